"""Tag sweep: costwarden against Cloud Custodian on a moto estate of EC2 instances (issue 4).

One moto server (in this process) holds ``--instances`` EC2 instances (5,000 by default), of
which ``--violating`` (25 %) miss one required tag (Owner, Environment or CostCenter). Each
tool then runs, in a fresh process, the same job against the same estate:

* ``costwarden``: ``TagRemediator.sweep`` with the real AWS adapters (``AwsTagInventory``,
  ``AwsTagWriter``), not a dry run. Nothing can be inferred here (no creator, no parents, no
  defaults), so it marks each violating instance with ``costwarden:tag-violation``.
* ``custodian``: Cloud Custodian's equivalent policy (``c7n`` from PyPI, in its own venv,
  created by this script on first use): ``resource: ec2``, an ``or`` of ``tag:<key>: absent``
  over the required keys, action ``mark-for-op`` (op ``stop``, 7 days) with the same tag key.

Between the two runs the written tag is deleted again, so the second tool sees the estate the
first one saw (checked: each run must leave exactly the violating instances marked).

Figures, client side only (moto's own time is not the tools'):

* API calls: every HTTP request, counted by a small proxy between the tool and moto
  (service from the SigV4 credential scope, operation from ``Action=`` or ``X-Amz-Target``),
  so both tools are counted the same way, retries included.
* CPU seconds and peak RSS of the tool's process, from ``os.wait4`` (interpreter start and
  imports included, alike for both).

moto accommodations (server side or timeouts only; documented in bench/README.md): moto looks
up an EC2 resource's tags by scanning every tag in the region, which makes listing thousands
of tagged instances quadratic, so this process replaces that look-up with a dictionary read
(the answers are identical); and moto answers a 5,000-instance ``DescribeInstances`` in one
page that takes it 10-30 s to render, so both tools get a 900 s read timeout (costwarden through
its ``config`` argument, Custodian through botocore's default) instead of 30 s / 60 s.

    .venv/bin/python bench/tag_sweep.py                   # 5,000 instances, ~5 minutes
    .venv/bin/python bench/tag_sweep.py --instances 1000 --json /tmp/tag-sweep.json
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.client import HTTPConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from statistics import median
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_VENV = Path("/tmp/costwarden-bench/venv-c7n")
C7N_VERSION = "0.9.53"
ACCOUNT = "123456789012"  # moto's default account for plain credentials
REGION = "eu-west-1"
AMI = "ami-12c6146b"
MARK = "costwarden:tag-violation"
REQUIRED = ("Owner", "Environment", "CostCenter")
COMPLIANT = {"Owner": "ops@example.com", "Environment": "prod", "CostCenter": "cc-200"}
READ_TIMEOUT = 900

SECTION = {
    "clouds": ["aws"],
    "required": {
        "Owner": {"pattern": r"[^@ ]+@example\.com"},
        "Environment": {"values": ["dev", "test", "prod"]},
        "CostCenter": {"pattern": "cc-[0-9]{3}"},
    },
    "include_types": ["ec2:instance"],  # as Custodian's ``resource: ec2``
    "mark_key": MARK,
    "grace": {"days": 7, "action": "notify"},
}

CUSTODIAN_POLICY = f"""\
policies:
  - name: ec2-required-tags
    resource: ec2
    filters:
      - or:
{chr(10).join(f"          - tag:{key}: absent" for key in REQUIRED)}
    actions:
      - type: mark-for-op
        tag: "{MARK}"
        op: stop
        days: 7
"""

COSTWARDEN_CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
from datetime import UTC, datetime
import boto3
from botocore.config import Config
from costwarden.adapters.aws.retry import client_config
from costwarden.adapters.aws.tagging_inventory import AwsTagInventory
from costwarden.adapters.aws.tagging_writer import AwsTagWriter
from costwarden.policy.loader import load_policy_text
from costwarden.policy.tagging import TaggingSection
from costwarden.ports_compute import Target
from costwarden.services.tag_remediation import TagRemediator
endpoint, account, region, section_json, read_timeout = sys.argv[1:6]
t1 = time.perf_counter()
section = TaggingSection.model_validate(json.loads(section_json))
policy = load_policy_text('version: 1\nslack: {default_channel: "#finops"}\n')
remediator = TagRemediator(policy, section, cloud="aws")
session = boto3.Session(region_name=region)
config = client_config().merge(Config(read_timeout=int(read_timeout)))
target = Target(cloud="aws", account=account, region=region)
inventory = AwsTagInventory(
    session, target, endpoint_url=endpoint, config=config,
    type_filter=lambda kind: remediator.rules.applies_to(kind, account),
    parent_kinds=section.parents.aws,
)
writer = AwsTagWriter(session, target, endpoint_url=endpoint, config=config,
                      counter=inventory.counter)
report = remediator.sweep(inventory=inventory, writer=writer, now=datetime.now(UTC))
t2 = time.perf_counter()
print(json.dumps({
    "checked": report.checked, "compliant": report.compliant, "marked": len(report.fixed),
    "failed": len(report.failed), "own_count": dict(inventory.counter.calls),
    "import_s": round(t1 - t0, 3), "sweep_s": round(t2 - t1, 3),
}))
"""

# Custodian as its console script runs it, with botocore's default read timeout raised (moto).
CUSTODIAN_CHILD = r"""
import sys
import botocore.config
botocore.config.Config.OPTION_DEFAULTS["read_timeout"] = int(sys.argv.pop(1))
from c7n.cli import main
sys.argv[0] = "custodian"
sys.exit(main())
"""


# -- moto ----------------------------------------------------------------------------------------
def _fast_ec2_tag_lookup() -> None:
    """moto finds one resource's tags by regex-matching every tag of the region (quadratic in
    a 5,000-instance estate); read the resource's own entry instead. Same answers."""
    from moto.ec2.models.core import TaggedEC2Resource
    from moto.ec2.utils import EC2_PREFIX_TO_RESOURCE, get_prefix

    def get_tags(self: Any) -> list[dict[str, str]]:
        rid = getattr(self, "id", None)
        tags = self.ec2_backend.tags.get(rid) if rid else None
        if not rid or not tags:
            return []
        kind = EC2_PREFIX_TO_RESOURCE.get(get_prefix(rid), "")
        return [
            {"resource_id": rid, "key": k, "value": v, "resource_type": kind}
            for k, v in tags.items()
        ]

    TaggedEC2Resource.get_tags = get_tags  # type: ignore[method-assign]


@contextmanager
def moto_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    _fast_ec2_tag_lookup()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        _host, port = server.get_host_and_port()
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def ec2_client(endpoint: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "ec2",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(read_timeout=READ_TIMEOUT, retries={"mode": "standard"}),
    )


def seed(endpoint: str, instances: int, violating: int) -> dict[str, list[str]]:
    """Compliant instances, and ``violating`` ones each missing one required key (in turn)."""
    ec2 = ec2_client(endpoint)
    profiles: dict[str, int] = {"compliant": instances - violating}
    for n, key in enumerate(REQUIRED):
        profiles[f"no {key}"] = violating // len(REQUIRED) + (n < violating % len(REQUIRED))
    ids: dict[str, list[str]] = {}
    for profile, count in profiles.items():
        tags = {k: v for k, v in COMPLIANT.items() if profile != f"no {k}"}
        spec = [
            {"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
        ]
        ids[profile] = []
        while len(ids[profile]) < count:
            batch = min(500, count - len(ids[profile]))
            answer = ec2.run_instances(
                ImageId=AMI,
                MinCount=batch,
                MaxCount=batch,
                InstanceType="t3.micro",
                TagSpecifications=spec,
            )
            ids[profile] += [i["InstanceId"] for i in answer["Instances"]]
    return ids


def marked(endpoint: str) -> set[str]:
    """The instances carrying the violation mark (straight from moto)."""
    pages = (
        ec2_client(endpoint)
        .get_paginator("describe_tags")
        .paginate(Filters=[{"Name": "key", "Values": [MARK]}])
    )
    return {t["ResourceId"] for page in pages for t in page["Tags"]}


def unmark(endpoint: str, ids: list[str]) -> None:
    ec2 = ec2_client(endpoint)
    for start in range(0, len(ids), 1000):
        ec2.delete_tags(Resources=ids[start : start + 1000], Tags=[{"Key": MARK}])


# -- the counting proxy --------------------------------------------------------------------------
_SCOPE = re.compile(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/aws4_request")
_ACTION = re.compile(rb"(?:^|&)Action=([A-Za-z0-9]+)")
_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class CountingProxy:
    """Forwards every request to moto and counts it as ``service:Operation``."""

    def __init__(self, upstream: str) -> None:
        host, port = upstream.removeprefix("http://").split(":")
        self.upstream = (host, int(port))
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                proxy.count(self.command, self.path, dict(self.headers), body)
                connection = HTTPConnection(*proxy.upstream, timeout=READ_TIMEOUT)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
                connection.request(self.command, self.path, body=body, headers=headers)
                answer = connection.getresponse()
                data = answer.read()
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in _HOP:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                connection.close()

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def count(self, method: str, path: str, headers: dict[str, str], body: bytes) -> None:
        scope = _SCOPE.search(headers.get("Authorization", ""))
        service = scope.group(1) if scope else "?"
        target = headers.get("X-Amz-Target")
        action = _ACTION.search(body)
        if target:
            operation = target.rsplit(".", 1)[-1]
        elif action:
            operation = action.group(1).decode()
        else:
            operation = f"{method} {path.split('?', maxsplit=1)[0]}"
        with self._lock:
            self.calls[f"{service}:{operation}"] += 1

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> CountingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


# -- running a tool ------------------------------------------------------------------------------
@dataclass
class Run:
    tool: str
    ok: bool
    wall_s: float
    cpu_s: float
    peak_rss_mib: float
    calls: dict[str, int] = field(default_factory=dict)
    marked: int = 0
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())


# A child's ``ru_maxrss`` includes the memory of the process it was forked from (Linux keeps
# the high-water mark across exec), and this process holds moto and the whole estate. So tools
# are started by a bare interpreter (``-S``, ~10 MiB) that reports their rusage.
LAUNCHER = r"""
import json, os, sys
out, argv = sys.argv[1], sys.argv[2:]
pid = os.posix_spawn(argv[0], argv, os.environ)
_, status, usage = os.wait4(pid, 0)
with open(out, "w") as f:
    json.dump({"code": os.waitstatus_to_exitcode(status), "cpu": usage.ru_utime + usage.ru_stime,
               "maxrss_kib": usage.ru_maxrss}, f)
"""


def measure(
    argv: list[str], env: dict[str, str], cwd: Path
) -> tuple[int, float, float, float, str]:
    """Run a tool; exit code, wall s, its own CPU s and peak RSS MiB, and its output."""
    with tempfile.TemporaryFile() as out, tempfile.NamedTemporaryFile() as usage:
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-S", "-c", LAUNCHER, usage.name, *argv],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            check=False,
        )
        wall = time.perf_counter() - started
        out.seek(0)
        text = out.read().decode(errors="replace")
        try:
            result = json.loads(Path(usage.name).read_text())
        except ValueError:
            return 1, wall, 0.0, 0.0, text
    return result["code"], wall, result["cpu"], result["maxrss_kib"] / 1024, text


def tool_env(endpoint: str) -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "TMPDIR")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=REGION,
        AWS_REGION=REGION,
        AWS_ENDPOINT_URL=endpoint,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
        NO_PROXY="127.0.0.1,localhost",
        PYTHONPATH=str(ROOT / "shared"),
    )
    return env


def run_costwarden(proxy: CountingProxy) -> Run:
    argv = [
        sys.executable,
        "-c",
        COSTWARDEN_CHILD,
        proxy.url,
        ACCOUNT,
        REGION,
        json.dumps(SECTION),
        str(READ_TIMEOUT),
    ]
    return _run("costwarden", argv, proxy, ROOT)


def run_custodian(proxy: CountingProxy, venv: Path, workdir: Path) -> Run:
    policy = workdir / "ec2-required-tags.yml"
    policy.write_text(CUSTODIAN_POLICY)
    argv = [
        str(venv / "bin" / "python"),
        "-c",
        CUSTODIAN_CHILD,
        str(READ_TIMEOUT),
        "run",
        "-s",
        str(workdir / "out"),
        "--region",
        REGION,
        "--cache-period",
        "0",
        str(policy),
    ]
    return _run("custodian", argv, proxy, workdir)


def _run(tool: str, argv: list[str], proxy: CountingProxy, cwd: Path) -> Run:
    proxy.calls.clear()
    code, wall, cpu, rss, text = measure(argv, tool_env(proxy.url), cwd)
    run = Run(tool, code == 0, wall, cpu, rss, dict(proxy.calls))
    at = text.rfind('{"checked"')
    if at >= 0:
        run.detail = json.loads(text[at:].strip())
    if code != 0:
        run.detail["error"] = " | ".join(text.strip().splitlines()[-4:])
    return run


def ensure_custodian(venv: Path) -> bool:
    """Create Custodian's venv on first use (Python 3.11, ``c7n==C7N_VERSION``)."""
    if (venv / "bin" / "custodian").exists():
        return True
    print(f"creating {venv} with c7n=={C7N_VERSION} ...", flush=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run(["python3.11", "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", f"c7n=={C7N_VERSION}"], check=True
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"  could not install Custodian: {exc}")
        return False
    return True


# -- report --------------------------------------------------------------------------------------
def report(runs: list[Run], instances: int, violating: int) -> dict[str, Any]:
    print(f"\n{instances:,} EC2 instances, {violating:,} missing a required tag")
    print(
        f"  {'tool':11} {'API calls':>9} {'CPU s':>7} {'peak RSS MiB':>13} {'wall s':>7} "
        f"{'marked':>7}  calls by operation"
    )
    for r in runs:
        if not r.ok:
            print(f"  {r.tool:11} FAILED: {r.detail.get('error')}")
            continue
        ops = ", ".join(f"{op} {n}" for op, n in sorted(r.calls.items()))
        print(
            f"  {r.tool:11} {r.total_calls:9,} {r.cpu_s:7.2f} {r.peak_rss_mib:13.0f} "
            f"{r.wall_s:7.1f} {r.marked:7,}  {ops}"
        )
    ratios: dict[str, float] = {}
    cw = [r for r in runs if r.tool == "costwarden" and r.ok]
    c7n = [r for r in runs if r.tool == "custodian" and r.ok]
    if cw and c7n:
        # Medians over the repeats (the call counts do not vary).
        ratios = {
            "API calls": median(r.total_calls for r in cw) / median(r.total_calls for r in c7n),
            "CPU": median(r.cpu_s for r in cw) / median(r.cpu_s for r in c7n),
            "peak RSS": median(r.peak_rss_mib for r in cw) / median(r.peak_rss_mib for r in c7n),
        }
        targets = {"API calls": 0.25, "CPU": 0.75, "peak RSS": 1.0}
        print(
            "  costwarden / custodian (medians): "
            + ", ".join(
                f"{k} {v:.2f}x (target <= {targets[k]}: {'met' if v <= targets[k] else 'NOT met'})"
                for k, v in ratios.items()
            )
        )
    return {
        "instances": instances,
        "violating": violating,
        "runs": [{**vars(r), "total_calls": r.total_calls} for r in runs],
        "ratios": ratios,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=5000)
    parser.add_argument("--violating", type=float, default=0.25, help="share missing a tag")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each tool, alternating")
    parser.add_argument("--custodian-venv", type=Path, default=DEFAULT_VENV)
    parser.add_argument("--no-custodian", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    violating = round(args.instances * args.violating)
    load = os.getloadavg()
    print(
        f"Tag sweep benchmark, {os.cpu_count()} cores, load {load[0]:.1f}/{load[1]:.1f}/"
        f"{load[2]:.1f} at start, Python {sys.version.split()[0]}"
    )
    custodian = not args.no_custodian and ensure_custodian(args.custodian_venv)
    results = []
    with (
        moto_server() as endpoint,
        CountingProxy(endpoint) as proxy,
        tempfile.TemporaryDirectory() as tmp,
    ):
        started = time.perf_counter()
        ids = seed(endpoint, args.instances, violating)
        expected = {i for profile, group in ids.items() if profile != "compliant" for i in group}
        every = [i for group in ids.values() for i in group]
        print(f"  seeded {args.instances:,} instances in {time.perf_counter() - started:.0f} s")
        tools = ["custodian", "costwarden"] if custodian else ["costwarden"]
        runs: list[Run] = []
        for n in range(args.repeat):
            for tool in tools if n % 2 == 0 else tools[::-1]:
                if tool == "costwarden":
                    run = run_costwarden(proxy)
                else:
                    run = run_custodian(proxy, args.custodian_venv, Path(tmp))
                found = marked(endpoint)
                run.marked = len(found)
                if run.ok and found != expected:
                    run.ok = False
                    run.detail["error"] = (
                        f"marked {len(found & expected):,} of the {len(expected):,} violating "
                        f"instances and {len(found - expected):,} others"
                    )
                print(
                    f"  {tool}: {run.total_calls} calls, {run.cpu_s:.2f} s CPU, "
                    f"{run.peak_rss_mib:.0f} MiB, {run.wall_s:.1f} s wall"
                    + ("" if run.ok else f" FAILED {run.detail.get('error')}")
                )
                runs.append(run)
                unmark(endpoint, every)
                if marked(endpoint):
                    raise SystemExit("could not restore the estate between runs")
        results.append(report(runs, args.instances, violating))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
