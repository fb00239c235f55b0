"""Cold-start cost of each budget-alert handler, against its runtime's own import.

Every sample is a fresh interpreter (what a cold container pays). Two figures per handler:
- ``import``: importing the handler module, as the runtime does before the first event;
- ``import+init``: that plus building the warm-container dependencies (policy, state store
  client, Slack client, cost-data reader) that the first invocation builds; no network is used.
Baselines, measured in the same run: ``import boto3`` (AWS), ``import azure.functions`` (Azure),
``import functions_framework`` (Google). Ratios are handler / baseline medians.

A second reference, the *floor*, is the platform stack every such handler needs before any
costwarden code runs: boto3 plus Powertools Logger, Metrics and an instantiated Tracer on AWS
(the Tracer pulls in the X-Ray SDK and botocore); the Azure Functions library plus the Tables
SDK; functions-framework plus the Cloud Storage client. ``vs floor`` is what costwarden itself adds.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import sys, time, json
sys.path.insert(0, {folder!r})
t0 = time.perf_counter()
{import_stmt}
t1 = time.perf_counter()
{init_stmt}
t2 = time.perf_counter()
print(json.dumps({{"import": t1 - t0, "init": t2 - t1}}))
"""

CASES = {
    "aws": ("functions/aws", "import budget_alert as m", "import boto3"),
    "azure": ("functions/azure", "import function_app as m", "import azure.functions"),
    "gcp": ("functions/gcp", "import main as m", "import functions_framework"),
}
FLOORS = {
    "aws": "import boto3; from aws_lambda_powertools import Logger, Metrics, Tracer; "
    "Logger(); Metrics(namespace='bench'); Tracer()",
    "azure": "import azure.functions, azure.data.tables",
    "gcp": "import functions_framework; from google.cloud import storage",
}

ENV = {
    "COSTWARDEN_SLACK_TOKEN": "xoxb-bench",
    "COSTWARDEN_WEBHOOK_TOKEN": "bench",
    "POWERTOOLS_TRACE_DISABLED": "1",
    "POWERTOOLS_METRICS_NAMESPACE": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
}
STATE = {
    "aws": "dynamodb://costwarden-state",
    "azure": "sqlite:///:memory:",  # table client construction needs no network either way
    "gcp": "sqlite:///:memory:",  # storage.Client() would look up credentials on the network
}


def sample(folder: str, import_stmt: str, init_stmt: str, env: dict[str, str]) -> dict[str, float]:
    code = PROBE.format(
        folder=str(ROOT / folder), import_stmt=import_stmt, init_stmt=init_stmt or "pass"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        cwd=ROOT,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def compile_bytecode() -> None:
    """Measure what a deployed package does: import from .pyc, not compile every module.

    Deployment artifacts ship bytecode (a Lambda's /var/task is read-only, so a missing .pyc is
    recompiled on every cold start); a shell with PYTHONDONTWRITEBYTECODE would otherwise make
    every figure here mostly compile time.
    """
    import compileall
    import site

    for folder in [*site.getsitepackages(), str(ROOT / "shared"), str(ROOT / "functions")]:
        compileall.compile_dir(folder, quiet=1, workers=0)


def main(runs: int = 15) -> None:
    compile_bytecode()
    print(f"cold start, median of {runs} fresh interpreters each (Python {sys.version.split()[0]})")
    print(
        f"{'handler':8} {'baseline':26} {'base ms':>8} {'floor ms':>9} {'import ms':>10} "
        f"{'/base':>6} {'/floor':>7} {'+init ms':>9} {'/base':>6} {'/floor':>7}"
    )
    for cloud, (folder, import_stmt, baseline_stmt) in CASES.items():
        env = {**ENV, "COSTWARDEN_STATE": STATE[cloud]}
        base, floor, imp, full = [], [], [], []
        for _ in range(runs):  # interleaved, so drift in machine load hits every side alike
            base.append(sample(folder, baseline_stmt, "", env)["import"])
            floor.append(sample(folder, FLOORS[cloud], "", env)["import"])
            handler = sample(folder, import_stmt, "m._deps()", env)
            imp.append(handler["import"])
            full.append(handler["import"] + handler["init"])
        b, fl, i, f = median_ms(base), median_ms(floor), median_ms(imp), median_ms(full)
        print(
            f"{cloud:8} {baseline_stmt:26} {b:8.1f} {fl:9.1f} {i:10.1f} {i / b:6.2f} "
            f"{i / fl:7.2f} {f:9.1f} {f / b:6.2f} {f / fl:7.2f}"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
