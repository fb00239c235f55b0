"""Scheduler: costwarden against Cloud Custodian on a moto estate of EC2 instances (issue 3).

One moto server (in this process) holds ``--instances`` EC2 instances (5,000 by default) with
mixed tags: half ``Environment=dev``, the rest test, prod, staging or untagged. A subset of the
dev instances (``--with-metrics``) has 24 h of ``CPUUtilization`` datapoints (PutMetricData),
some of them idle (maximum < 5 %), the others busy. Then, each tool in a fresh process, not as a
dry run:

* **stop-dev**: stop every running dev instance outside office hours.
  costwarden: ``plan_target`` + ``apply_plan`` with ``Ec2Compute``, a policy with an
  ``office-hours`` schedule and a rule matching ``Environment=dev``, at a night instant.
  Custodian: ``resource: ec2``, ``tag:Environment: dev`` + ``offhour`` (opt-out mode, every
  day, its off hour set to the hour the run happens in) + action ``stop``.
* **idle**: stop running dev instances whose CPU maximum stayed under 5 % for 24 h.
  costwarden: an idle rule with ``CloudWatchCpuMetrics`` (GetMetricData, 500 queries a call).
  Custodian: ``tag:Environment: dev``, ``State.Name: running`` and the ``metrics`` filter
  (CPUUtilization, Maximum, 1 day, < 5: one GetMetricStatistics per instance) + ``stop``.

Between runs the estate is reset (stopped instances started again, costwarden's last-action tag
deleted) and every run must stop exactly the expected instances, or it counts as failed.

Figures, client side only, measured as in ``tag_sweep.py`` (whose helpers this imports): API
calls counted by a proxy between the tool and moto, CPU seconds and peak RSS of the tool's own
process (``os.wait4`` from a bare launcher). Plus the planner's throughput on 100,000 synthetic
resources in this process (no I/O), best of 3.

moto accommodations, server side only, in addition to tag_sweep's tag look-up: CloudWatch's
``GetMetricData`` / ``GetMetricStatistics`` scan every datapoint of the region once per query
and period (hours at 144,000 datapoints), so the look-up is narrowed to the datapoints
carrying the query's first dimension before moto's own code runs (same answers).

    .venv/bin/python bench/schedule_stop.py                       # 5,000 instances
    .venv/bin/python bench/schedule_stop.py --instances 1000 --json /tmp/schedule.json
    .venv/bin/python bench/schedule_stop.py --only plan           # throughput only, no moto
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import median
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1] / "shared"))

from tag_sweep import (  # bench/ is not a package: imported by path
    ACCOUNT,
    AMI,
    CUSTODIAN_CHILD,
    DEFAULT_VENV,
    READ_TIMEOUT,
    REGION,
    ROOT,
    CountingProxy,
    Run,
    ec2_client,
    ensure_custodian,
    measure,
    moto_server,
    tool_env,
)

LAST_ACTION = "costwarden:last-action"
IDLE_BELOW = 5.0
WINDOW_HOURS = 24
POINT_SPACING = timedelta(minutes=10)  # seeded data: 144 points a day per instance
METRIC_OPS = ("monitoring:GetMetricData", "monitoring:GetMetricStatistics")

# Per 20 instances: 10 dev, 3 test, 5 prod, 1 staging, 1 without Environment.
PROFILES: list[tuple[str | None, int, str]] = [
    ("dev", 5, "t3.micro"),
    ("dev", 5, "m5.large"),
    ("test", 3, "t3.medium"),
    ("prod", 5, "m5.xlarge"),
    ("staging", 1, "c5.large"),
    (None, 1, "t3.small"),
]

POLICY_HEAD = """\
version: 1
slack: {default_channel: "#finops"}
teams:
  platform: {slack_channel: "#platform"}
safety:
  protected:
    - tags: {Environment: [prod, production]}
  max_actions_per_run: 1000000   # raised: the caps must not block the benchmark
  max_fleet_percent: 100
"""

STOP_POLICY = (
    POLICY_HEAD
    + """\
schedules:
  office-hours:
    timezone: UTC
    periods:
      - days: [mon-fri]
        start: "08:00"
        stop: "19:00"
scheduling:
  warning_minutes: 0
  rules:
    - name: dev-nights
      schedule: office-hours
      match: {resource_types: [ec2_instance], tags: {Environment: [dev]}}
      team: platform
"""
)


def idle_rules(env: str) -> str:
    return f"""\
  idle:
    - name: idle-{env}
      match: {{resource_types: [ec2_instance], tags: {{Environment: [{env}]}}}}
      cpu_below_percent: {IDLE_BELOW:g}
      window_hours: {WINDOW_HOURS}
      min_coverage_percent: 80
      team: platform
"""


IDLE_POLICY = POLICY_HEAD + "scheduling:\n  warning_minutes: 0\n" + idle_rules("dev")
# Throughput: the stop-dev policy plus an idle rule for test (dev is stopped by its schedule).
PLAN_POLICY = STOP_POLICY + idle_rules("test")


def custodian_stop_policy(hour: int) -> str:
    return f"""\
policies:
  - name: ec2-stop-dev-offhours
    resource: ec2
    filters:
      - "tag:Environment": dev
      - "State.Name": running
      - type: offhour
        default_tz: utc
        offhour: {hour}
        opt-out: true
        weekends: false
    actions:
      - stop
"""


CUSTODIAN_IDLE_POLICY = f"""\
policies:
  - name: ec2-stop-idle-dev
    resource: ec2
    filters:
      - "tag:Environment": dev
      - "State.Name": running
      - type: metrics
        name: CPUUtilization
        statistics: Maximum
        days: {WINDOW_HOURS / 24:g}
        value: {IDLE_BELOW:g}
        op: less-than
    actions:
      - stop
"""

COSTWARDEN_CHILD = r"""
import json, sys, time
t0, c0 = time.perf_counter(), time.process_time()
from datetime import UTC, datetime
import boto3
from botocore.config import Config
from costwarden.adapters.aws import CloudWatchCpuMetrics, Ec2Compute
from costwarden.adapters.aws.retry import client_config
from costwarden.policy.loader import load_policy_text
from costwarden.ports_compute import Target
from costwarden.pricing import PriceTableEstimator
from costwarden.schedule import ScheduleClock
from costwarden.services.scheduler import apply_plan, plan_target
endpoint, account, region, policy_path, at, read_timeout = sys.argv[1:7]
c1 = time.process_time()
policy = load_policy_text(open(policy_path).read(), source=policy_path)
session = boto3.Session(region_name=region)
config = client_config().merge(Config(read_timeout=int(read_timeout)))
target = Target(cloud="aws", account=account, region=region)
compute = Ec2Compute(session, target, endpoint_url=endpoint, config=config)
metrics = CloudWatchCpuMetrics(session, endpoint_url=endpoint, config=config)
now = datetime.now(UTC)
when = now if at == "now" else datetime.fromisoformat(at)
resources = compute.list_resources()
c2 = time.process_time()
plan = plan_target(policy=policy, clock=ScheduleClock(policy.schedules), resources=resources,
                   metrics=metrics, savings=PriceTableEstimator(), at=when, dry_run=False,
                   cloud="aws")
c3 = time.process_time()
outcomes = apply_plan(plan, actuator=compute, now=now)
c4 = time.process_time()
from collections import Counter
print(json.dumps({
    "listed": len(resources), "actions": len(plan.actions), "blocked": plan.blocked,
    "skipped": dict(sorted(Counter(s.kind for s in plan.skipped).items())),
    "outcomes": dict(Counter(o.status for o in outcomes)),
    "metric_calls_own": metrics.calls,
    "cpu_s": {"imports": round(c1 - c0, 2), "list": round(c2 - c1, 2),
              "plan": round(c3 - c2, 2), "apply": round(c4 - c3, 2)},
}))
"""


# -- moto ----------------------------------------------------------------------------------------
_metrics_lock = threading.Lock()


def _fast_cloudwatch_lookup() -> None:
    """moto's GetMetricData / GetMetricStatistics filter every datapoint of the region for every
    query (and, for GetMetricData, every period): quadratic with 144,000 datapoints. Hand moto's
    own code only the datapoints that carry the query's first dimension (a superset of what it
    keeps), so it returns the same answers."""
    from moto.cloudwatch.models import CloudWatchBackend

    original_data = CloudWatchBackend.get_metric_data
    original_stats = CloudWatchBackend.get_metric_statistics
    cache: dict[int, tuple[int, dict[tuple[str, str], list[Any]]]] = {}

    def index(backend: Any) -> dict[tuple[str, str], list[Any]]:
        size = len(backend.metric_data)
        held = cache.get(id(backend))
        if held is None or held[0] != size:
            by_dim: dict[tuple[str, str], list[Any]] = {}
            for datum in backend.metric_data:
                for d in datum.dimensions:
                    by_dim.setdefault((d.name, d.value), []).append(datum)
            held = cache[id(backend)] = (size, by_dim)
        return held[1]

    def narrowed(backend: Any, first: dict[str, str] | None, call: Any) -> Any:
        if first is None or "Value" not in first:
            return call()
        with _metrics_lock:
            subset = list(index(backend).get((first["Name"], first["Value"]), []))
            subset += [
                m
                for m in backend.aws_metric_data
                if any(d.name == first["Name"] and d.value == first["Value"] for d in m.dimensions)
            ]
            backend.get_all_metrics = lambda: subset  # instance attribute shadows the method
            try:
                return call()
            finally:
                del backend.get_all_metrics

    def get_metric_data(self: Any, queries: list[dict[str, Any]], *args: Any, **kw: Any) -> Any:
        if not all("MetricStat" in q for q in queries):
            return original_data(self, queries, *args, **kw)
        results = []
        for q in queries:
            dims = q["MetricStat"]["Metric"].get("Dimensions") or [None]
            results += narrowed(self, dims[0], lambda q=q: original_data(self, [q], *args, **kw))
        return results

    def get_metric_statistics(self: Any, *args: Any, **kw: Any) -> Any:
        dims = kw.get("dimensions") if "dimensions" in kw else args[6]
        first = dims[0] if dims else None
        return narrowed(self, first, lambda: original_stats(self, *args, **kw))

    CloudWatchBackend.get_metric_data = get_metric_data  # type: ignore[method-assign]
    CloudWatchBackend.get_metric_statistics = get_metric_statistics  # type: ignore[method-assign]


def seed(endpoint: str, instances: int) -> dict[str, list[str]]:
    """Instances by Environment value ("-" for none), in PROFILES' proportions."""
    ec2 = ec2_client(endpoint)
    per_round = sum(n for _env, n, _size in PROFILES)
    ids: dict[str, list[str]] = {}
    for env, share, size in PROFILES:
        count = instances * share // per_round
        tags = {"Owner": "ops@example.com", "CostCenter": "cc-200", "Name": f"{env or 'misc'}"}
        if env is not None:
            tags["Environment"] = env
        spec = [
            {"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
        ]
        group = ids.setdefault(env or "-", [])
        made = 0
        while made < count:
            batch = min(500, count - made)
            answer = ec2.run_instances(
                ImageId=AMI,
                MinCount=batch,
                MaxCount=batch,
                InstanceType=size,
                TagSpecifications=spec,
            )
            group += [i["InstanceId"] for i in answer["Instances"]]
            made += batch
    return ids


def seed_metrics(endpoint: str, idle: list[str], busy: list[str], end: datetime) -> int:
    """24 h of CPUUtilization (one point per 10 min) for ``idle`` (max < 5 %) and ``busy``."""
    import boto3

    cloudwatch = boto3.client(
        "cloudwatch",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    points = int(timedelta(hours=WINDOW_HOURS) / POINT_SPACING)
    data = []
    for n, instance_id in enumerate(idle + busy):
        high = 1.0 + n % 30 / 10 if n < len(idle) else 20.0 + n % 50
        for p in range(points):
            data.append(
                {
                    "MetricName": "CPUUtilization",
                    "Dimensions": [{"Name": "InstanceId", "Value": instance_id}],
                    "Timestamp": end - POINT_SPACING * p - timedelta(minutes=1),
                    "Value": high if p == n % points else high / 2,
                }
            )
    for offset in range(0, len(data), 1000):
        cloudwatch.put_metric_data(Namespace="AWS/EC2", MetricData=data[offset : offset + 1000])
    return len(data)


def states(endpoint: str) -> dict[str, str]:
    pages = ec2_client(endpoint).get_paginator("describe_instances").paginate()
    return {
        i["InstanceId"]: i["State"]["Name"]
        for page in pages
        for r in page["Reservations"]
        for i in r["Instances"]
    }


def reset(endpoint: str, every: list[str]) -> None:
    """Start what a run stopped and drop costwarden's last-action tag: the estate as seeded."""
    ec2 = ec2_client(endpoint)
    stopped = [i for i, s in states(endpoint).items() if s != "running"]
    for start in range(0, len(stopped), 1000):
        ec2.start_instances(InstanceIds=stopped[start : start + 1000])
    for start in range(0, len(every), 1000):
        ec2.delete_tags(Resources=every[start : start + 1000], Tags=[{"Key": LAST_ACTION}])


def next_night(now: datetime) -> datetime:
    """22:00 UTC on the first weekday after today: outside office hours, and after the
    instances' launch, so their LaunchTime does not read as a manual start."""
    day = now.date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 22, 0, tzinfo=UTC)


# -- running the tools ---------------------------------------------------------------------------
def run_costwarden(proxy: CountingProxy, policy: Path, at: str, name: str) -> Run:
    argv = [
        sys.executable,
        "-c",
        COSTWARDEN_CHILD,
        proxy.url,
        ACCOUNT,
        REGION,
        str(policy),
        at,
        str(READ_TIMEOUT),
    ]
    return _run(name, argv, proxy, ROOT)


def run_custodian(proxy: CountingProxy, venv: Path, policy: Path, name: str) -> Run:
    out = policy.parent / f"out-{policy.stem}"
    argv = [str(venv / "bin" / "python"), "-c", CUSTODIAN_CHILD, str(READ_TIMEOUT), "run"]
    argv += ["-s", str(out), "--region", REGION, "--cache-period", "0", str(policy)]
    return _run(name, argv, proxy, policy.parent)


def _run(tool: str, argv: list[str], proxy: CountingProxy, cwd: Path) -> Run:
    proxy.calls.clear()
    code, wall, cpu, rss, text = measure(argv, tool_env(proxy.url), cwd)
    run = Run(tool, code == 0, wall, cpu, rss, dict(proxy.calls))
    at = text.rfind('{"listed"')
    if at >= 0:
        run.detail = json.loads(text[at:].strip().splitlines()[0])
    if code != 0:
        run.detail["error"] = " | ".join(text.strip().splitlines()[-4:])
    return run


def wait_for_hour_margin(margin_s: int = 240) -> int:
    """The UTC hour Custodian's offhour must name; waits out the last minutes of an hour so the
    hour cannot change under a run."""
    now = datetime.now(UTC)
    left = 3600 - now.minute * 60 - now.second
    if left < margin_s:
        time.sleep(left + 5)
    return datetime.now(UTC).hour


def check(run: Run, endpoint: str, expected: set[str]) -> None:
    stopped = {i for i, s in states(endpoint).items() if s != "running"}
    run.marked = len(stopped)  # here: instances stopped
    if run.ok and stopped != expected:
        run.ok = False
        run.detail["error"] = (
            f"stopped {len(stopped & expected):,} of the {len(expected):,} expected and "
            f"{len(stopped - expected):,} others"
        )


def metric_calls(run: Run) -> int:
    return sum(n for op, n in run.calls.items() if op in METRIC_OPS)


# -- plan throughput -----------------------------------------------------------------------------
def plan_throughput(count: int = 100_000, rounds: int = 3) -> dict[str, Any]:
    """``plan_target`` over ``count`` synthetic EC2 instances (no I/O), best of ``rounds``."""
    from costwarden.models.resource import Resource
    from costwarden.policy.loader import load_policy_text
    from costwarden.ports_compute import CpuSummary
    from costwarden.pricing import PriceTableEstimator
    from costwarden.schedule import ScheduleClock
    from costwarden.services.scheduler import plan_target

    policy = load_policy_text(PLAN_POLICY)
    at = next_night(datetime.now(UTC))
    launched = at - timedelta(days=3)
    envs = [env for env, share, _ in PROFILES for _ in range(share)]
    sizes = [size for _, share, size in PROFILES for _ in range(share)]
    resources = []
    for n in range(count):
        env = envs[n % len(envs)]
        tags = {"Owner": "ops@example.com", "CostCenter": f"cc-{n % 7}00", "Name": f"host-{n}"}
        if env is not None:
            tags["Environment"] = env
        if n % 50 == 0:
            tags["costwarden:schedule"] = "office-hours"
        resources.append(
            Resource(
                cloud="aws",
                account=ACCOUNT,
                region=REGION,
                resource_id=f"i-{n:017x}",
                resource_type="ec2_instance",
                name=f"host-{n}",
                state="stopped" if n % 10 == 9 else "running",
                tags=tags,
                size=sizes[n % len(sizes)],
                started_at=launched,
            )
        )

    class Metrics:  # in memory: the planner's own cost only
        def cpu(self, batch: Any, *, start: datetime, end: datetime) -> dict[str, CpuSummary]:
            # odd positions idle (max 2 %), even ones busy (40 %), full coverage
            return {
                r.key: CpuSummary(2.0 if i % 2 else 40.0, 144, 144) for i, r in enumerate(batch)
            }

    times = []
    plan = None
    for _ in range(rounds):
        clock = ScheduleClock(policy.schedules)
        started = time.perf_counter()
        plan = plan_target(
            policy=policy,
            clock=clock,
            resources=resources,
            metrics=Metrics(),
            savings=PriceTableEstimator(),
            at=at,
            dry_run=False,
            cloud="aws",
        )
        times.append(time.perf_counter() - started)
    assert plan is not None
    best = min(times)
    return {
        "resources": count,
        "seconds": [round(t, 3) for t in times],
        "best_s": round(best, 3),
        "per_s": round(count / best),
        "actions": len(plan.actions),
        "skipped": dict(Counter(s.kind for s in plan.skipped)),
        "blocked": plan.blocked,
    }


# -- report --------------------------------------------------------------------------------------
def report(scenario: str, runs: list[Run], expected: int) -> dict[str, Any]:
    print(f"\n{scenario}: {expected:,} instances to stop")
    print(
        f"  {'tool':11} {'API calls':>9} {'metric':>7} {'CPU s':>7} {'RSS MiB':>8} {'wall s':>7} "
        f"{'stopped':>8}  calls by operation / costwarden CPU by phase"
    )
    for r in runs:
        if not r.ok:
            print(f"  {r.tool:11} FAILED: {r.detail.get('error')}")
            continue
        ops = ", ".join(f"{op.split(':')[1]} {n}" for op, n in sorted(r.calls.items()))
        phases = r.detail.get("cpu_s")
        print(
            f"  {r.tool:11} {r.total_calls:9,} {metric_calls(r):7,} {r.cpu_s:7.2f} "
            f"{r.peak_rss_mib:8.0f} {r.wall_s:7.1f} {r.marked:8,}  {ops}"
            + (f"  | {phases}" if phases else "")
        )
    cw = [r for r in runs if r.tool == "costwarden" and r.ok]
    c7n = [r for r in runs if r.tool == "custodian" and r.ok]
    ratios: dict[str, float] = {}
    if cw and c7n:
        ratios = {
            "API calls": median(r.total_calls for r in cw) / median(r.total_calls for r in c7n),
            "CPU": median(r.cpu_s for r in cw) / median(r.cpu_s for r in c7n),
            "peak RSS": median(r.peak_rss_mib for r in cw) / median(r.peak_rss_mib for r in c7n),
        }
        targets = {"CPU": 0.5, "peak RSS": 1.0}
        print(
            "  costwarden / custodian (medians): "
            + ", ".join(
                f"{k} {v:.2f}x"
                + (
                    f" (target <= {targets[k]}: {'met' if v <= targets[k] else 'NOT met'})"
                    if k in targets
                    else ""
                )
                for k, v in ratios.items()
            )
        )
    return {
        "scenario": scenario,
        "expected": expected,
        "runs": [{**vars(r), "total_calls": r.total_calls} for r in runs],
        "ratios": ratios,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=5000)
    parser.add_argument(
        "--with-metrics", type=float, default=0.4, help="share of dev instances with CPU data"
    )
    parser.add_argument("--idle", type=float, default=0.6, help="share of those that are idle")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each tool, alternating")
    parser.add_argument(
        "--only", choices=["stop", "idle", "plan"], action="append", help="default: all three"
    )
    parser.add_argument("--plan-resources", type=int, default=100_000)
    parser.add_argument("--custodian-venv", type=Path, default=DEFAULT_VENV)
    parser.add_argument("--no-custodian", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    only = set(args.only or ["stop", "idle", "plan"])
    load = os.getloadavg()
    print(
        f"Scheduler benchmark, {os.cpu_count()} cores, load {load[0]:.1f}/{load[1]:.1f}/"
        f"{load[2]:.1f} at start, Python {sys.version.split()[0]}"
    )
    results: dict[str, Any] = {"instances": args.instances}
    if "plan" in only:
        figures = plan_throughput(args.plan_resources)
        results["plan_throughput"] = figures
        print(
            f"\nplan_target over {figures['resources']:,} synthetic resources: best "
            f"{figures['best_s']:.3f} s of {figures['seconds']} = {figures['per_s']:,} "
            f"resources/s (target >= 50,000: {'met' if figures['per_s'] >= 50_000 else 'NOT met'})"
            f"; {figures['actions']:,} actions, skipped {figures['skipped']}"
        )
    if not only & {"stop", "idle"}:
        _write(args.json, results)
        return
    custodian = not args.no_custodian and ensure_custodian(args.custodian_venv)
    tools = ["custodian", "costwarden"] if custodian else ["costwarden"]
    _fast_cloudwatch_lookup()
    with (
        moto_server() as endpoint,
        CountingProxy(endpoint) as proxy,
        tempfile.TemporaryDirectory() as tmp,
    ):
        started = time.perf_counter()
        ids = seed(endpoint, args.instances)
        every = [i for group in ids.values() for i in group]
        dev = ids["dev"]
        with_data = dev[: round(len(dev) * args.with_metrics)]
        idle = with_data[: round(len(with_data) * args.idle)]
        busy = with_data[len(idle) :]
        points = seed_metrics(endpoint, idle, busy, datetime.now(UTC))
        groups = ", ".join(f"{k} {len(v):,}" for k, v in ids.items())
        print(
            f"\nseeded {len(every):,} instances ({groups})"
            f" and {points:,} CPU datapoints for {len(with_data):,} dev instances "
            f"({len(idle):,} idle) in {time.perf_counter() - started:.0f} s"
        )
        run_scenarios(
            args,
            tools,
            only,
            endpoint=endpoint,
            proxy=proxy,
            work=Path(tmp),
            ids=ids,
            idle=idle,
            results=results,
        )
    _write(args.json, results)


def run_scenarios(
    args: argparse.Namespace,
    tools: list[str],
    only: set[str],
    *,
    endpoint: str,
    proxy: CountingProxy,
    work: Path,
    ids: dict[str, list[str]],
    idle: list[str],
    results: dict[str, Any],
) -> None:
    """Stop-dev, then idle: each tool in turn, the estate reset after every run."""
    every = [i for group in ids.values() for i in group]
    dev = ids["dev"]
    (work / "stop.yml").write_text(STOP_POLICY)
    (work / "idle.yml").write_text(IDLE_POLICY)
    (work / "c7n-idle.yml").write_text(CUSTODIAN_IDLE_POLICY)
    at = next_night(datetime.now(UTC)).isoformat()
    scenarios = [
        ("stop-dev outside hours", "stop", set(dev), work / "stop.yml", at),
        ("idle dev (CPU max < 5 % over 24 h)", "idle", set(idle), work / "idle.yml", "now"),
    ]
    for title, key, expected, policy, when in scenarios:
        if key not in only:
            continue
        runs: list[Run] = []
        for n in range(args.repeat):
            for tool in tools if n % 2 == 0 else tools[::-1]:
                if tool == "costwarden":
                    run = run_costwarden(proxy, policy, when, tool)
                else:
                    if key == "stop":
                        c7n_policy = work / "c7n-stop.yml"
                        c7n_policy.write_text(custodian_stop_policy(wait_for_hour_margin()))
                    else:
                        c7n_policy = work / "c7n-idle.yml"
                    run = run_custodian(proxy, args.custodian_venv, c7n_policy, tool)
                check(run, endpoint, expected)
                print(
                    f"  {key} {tool}: {run.total_calls:,} calls ({metric_calls(run):,} "
                    f"metric), {run.cpu_s:.2f} s CPU, {run.peak_rss_mib:.0f} MiB, "
                    f"{run.wall_s:.1f} s wall, {run.marked:,} stopped"
                    + ("" if run.ok else f" FAILED {run.detail.get('error')}")
                    + (f" {run.detail.get('cpu_s')}" if run.detail.get("cpu_s") else "")
                )
                runs.append(run)
                reset(endpoint, every)
                if any(s != "running" for s in states(endpoint).values()):
                    raise SystemExit("could not restore the estate between runs")
        results[key] = report(title, runs, len(expected))
        if key == "idle":
            print(
                f"  metric calls for {len(dev):,} candidates: ceil(N/500) = {-(-len(dev) // 500)}"
            )


def _write(path: Path | None, results: dict[str, Any]) -> None:
    if path:
        path.write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
