"""The local run: every cloud's budget-alert function on the sample events, no cloud account.

Slack is ``LocalSlackServer`` (the real slack-sdk client talks HTTP to it), state is a SQLite
file, cost drivers come from the sample FOCUS file. Each sample event is delivered twice: the
second round is the platforms' redelivery and must post nothing new.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import costwarden
from costwarden.errors import ConfigError
from costwarden.local.runtimes import (
    AwsLambdaRuntime,
    AzureFunctionsRuntime,
    GcpFunctionsRuntime,
    HttpResult,
)
from costwarden.local.slack_server import LocalSlackServer

# Not secrets: the local capture accepts exactly these, and they mean nothing anywhere else.
DEMO_SLACK_TOKEN = "xoxb-local-demo"  # noqa: S105
DEMO_WEBHOOK_TOKEN = "local-demo-webhook-token"  # noqa: S105
CLOUDS = ("aws", "azure", "gcp")


@dataclass
class Delivery:
    round: int
    cloud: str
    event: str
    result: str
    new_messages: int


def checkout_root() -> Path:
    """The repository the package runs from (an editable install of a checkout)."""
    root = Path(costwarden.__file__).resolve().parents[2]
    if not (root / "functions").is_dir():
        raise ConfigError("the local run needs a costwarden checkout (functions/ and events/)")
    return root


def sample_events(events_dir: Path, cloud: str) -> list[Path]:
    """Budget trigger payloads of one cloud (``budget_*.json``, not the expected outputs)."""
    return sorted(
        p for p in (events_dir / cloud).glob("budget_*.json") if ".expected" not in p.name
    )


@contextmanager
def patched_env(values: dict[str, str]) -> Iterator[None]:
    """Set ``values`` and hide every other ``COSTWARDEN_*`` variable of the caller's shell, so a
    developer's own deployment settings never leak into the local run."""
    hidden = [k for k in os.environ if k.startswith("COSTWARDEN_") and k not in values]
    saved = {key: os.environ.get(key) for key in [*values, *hidden]}
    for key in hidden:
        del os.environ[key]
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


class LocalFunctions:
    """One cold-started instance of each cloud's budget-alert function."""

    def __init__(self, functions_dir: Path) -> None:
        self.aws = AwsLambdaRuntime(functions_dir)
        self.azure = AzureFunctionsRuntime(functions_dir)
        self.gcp = GcpFunctionsRuntime(functions_dir)
        self.gcp_legacy = GcpFunctionsRuntime(functions_dir, target="budget_alert_legacy")

    def deliver(self, cloud: str, payload: dict[str, Any]) -> str:
        """Deliver one payload the way its platform would; return a short result."""
        if cloud == "aws":
            response = self.aws.invoke(payload)
            return ", ".join(o["status"] for o in response["outcomes"])
        if cloud == "azure":
            result = self.azure.post(
                "budget_alert",
                json.dumps(payload).encode(),
                params={"token": os.environ["COSTWARDEN_WEBHOOK_TOKEN"]},
            )
            return _http_summary(result)
        if "specversion" in payload:
            return _http_summary(self.gcp.deliver(payload))
        return _http_summary(self.gcp_legacy.deliver(payload))

    def accepts(self, cloud: str, payload: dict[str, Any]) -> bool:
        """False for a Pub/Sub push body: `budget parse` reads it, but no function takes it."""
        return cloud != "gcp" or "specversion" in payload or "data" in payload


def _http_summary(result: HttpResult) -> str:
    if result.status != 200:
        return f"HTTP {result.status}"
    try:
        body = json.loads(result.body)
    except json.JSONDecodeError:
        return "HTTP 200"
    return str(body.get("status", "HTTP 200")) if isinstance(body, dict) else "HTTP 200"


def run_demo(*, events_dir: Path | None, workdir: Path, keep_state: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    from costwarden.local.preview import render_terminal, write_html_preview

    console = Console()
    root = checkout_root()
    events_dir = events_dir or root / "events"
    if not any(sample_events(events_dir, cloud) for cloud in CLOUDS):
        raise ConfigError(f"{events_dir}: no budget_*.json sample events under aws/, azure/, gcp/")
    workdir.mkdir(parents=True, exist_ok=True)
    state_path = (workdir / "state.sqlite3").resolve()
    if not keep_state:
        state_path.unlink(missing_ok=True)

    deliveries: list[Delivery] = []
    with LocalSlackServer(token=DEMO_SLACK_TOKEN) as slack:
        env = {
            "COSTWARDEN_STATE": f"sqlite:///{state_path}",
            "COSTWARDEN_SLACK_TOKEN": DEMO_SLACK_TOKEN,
            "COSTWARDEN_SLACK_BASE_URL": slack.base_url,
            "COSTWARDEN_WEBHOOK_TOKEN": DEMO_WEBHOOK_TOKEN,
            "COSTWARDEN_COST_DATA": json.dumps([str(events_dir / "cost" / "focus-sample.csv")]),
            "POWERTOOLS_TRACE_DISABLED": "1",
            "POWERTOOLS_METRICS_DISABLED": "1",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
        }
        with patched_env(env):
            functions = LocalFunctions(root / "functions")
            for round_no in (1, 2):
                for cloud in CLOUDS:
                    for path in sample_events(events_dir, cloud):
                        payload = json.loads(path.read_text())
                        if not functions.accepts(cloud, payload):
                            continue
                        before = len(slack.messages)
                        result = functions.deliver(cloud, payload)
                        new = len(slack.messages) - before
                        deliveries.append(Delivery(round_no, cloud, path.name, result, new))
        messages = list(slack.messages)

    table = Table(title="Deliveries (round 2 = every event redelivered)")
    for column in ("round", "cloud", "event", "result", "new Slack messages"):
        table.add_column(column)
    for d in deliveries:
        table.add_row(str(d.round), d.cloud, d.event, d.result, str(d.new_messages))
    for renderable in render_terminal(messages):
        console.print(renderable)
    console.print(table)
    preview = write_html_preview(messages, workdir / "slack-preview.html")
    first = sum(d.new_messages for d in deliveries if d.round == 1)
    second = sum(d.new_messages for d in deliveries if d.round == 2)
    console.print(
        f"[bold]{len(deliveries) // 2} events[/] delivered twice: round 1 posted {first} "
        f"Slack messages, the redelivery posted {second}."
    )
    console.print(f"State (dedup records): sqlite:///{state_path}")
    console.print(f"Slack preview: {preview.resolve()}")
