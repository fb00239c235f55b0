"""The daily digest against real parts: FOCUS Parquet written with DuckDB, the DuckDB allocator,
a SQLite state store, the real Slack client talking to a ``LocalSlackServer``, a fixed clock."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from costwarden.adapters.local.sqlite_state import SqliteStateStore
from costwarden.adapters.slack.notifier import SlackNotifier, build_slack_client
from costwarden.focus.allocation import FocusAllocator
from costwarden.local.slack_server import DEFAULT_TOKEN, LocalSlackServer
from costwarden.models.allocation import AllocatedCosts
from costwarden.policy import Policy, load_policy_text
from unit.allocation.focus_parquet import cost_row, write_focus_parquet

#: "Today" for these tests: the digests report on 19 November 2026.
NOW = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
DAY = date(2026, 11, 19)

POLICY_YAML = """
version: 1
slack:
  default_channel: "#finops-alerts"
teams:
  platform:
    slack_channel: "#platform-costs"
  data:
    slack_channel: "#data-costs"
  web: {}
allocation:
  team_tag: {keys: [team, Team]}
  accounts:
    - {account: "222222222222", team: web}
  shared:
    - name: support
      match: {service: "AWS Support*"}
  budgets:
    platform: 16000
    data: 9000
  overall_budget: 30000
  digest:
    chart: CHART
"""


def digest_policy(chart: str = "channel", extra: str = "") -> Policy:
    return load_policy_text(POLICY_YAML.replace("CHART", chart) + extra, source="digest.yaml")


@dataclass
class FixedClock:
    at: datetime = NOW

    def now(self) -> datetime:
        return self.at


@dataclass
class CountingCostData:
    """The real allocator, counting how often the digest service reads cost data."""

    allocator: FocusAllocator
    calls: list[tuple[date, date]] = field(default_factory=list)

    def allocated_costs(
        self,
        policy: Policy,
        *,
        start: date,
        end: date,
        resources_from: date | None = None,
        top: int = 5,
    ) -> AllocatedCosts:
        self.calls.append((start, end))
        return self.allocator.allocated_costs(
            policy, start=start, end=end, resources_from=resources_from, top=top
        )


def forty_days_of_costs() -> list[dict[str, object]]:
    """Daily rows from 11 October to 19 November for three teams, shared support, an orphan."""
    rows = []
    for n in range(40):
        day = DAY - timedelta(days=n)
        rows += [
            cost_row(
                day,
                f"{300 + n % 7}.1234567891",
                team="platform",
                resource="i-api",
                resource_name="api-server",
            ),
            cost_row(
                day,
                "120.5",
                team="platform",
                service="Amazon Relational Database Service",
                resource="db-main",
            ),
            cost_row(day, "200", tags={"Team": "data"}, service="Amazon Redshift", resource="rs-1"),
            cost_row(
                day, "60", account="222222222222", service="Amazon CloudFront", resource="cf-1"
            ),
            cost_row(day, "25.3333333333", service="AWS Support (Business)"),
            cost_row(day, "11", service="AWS Lambda", resource="fn-orphan"),
        ]
    return rows


@pytest.fixture
def focus_dir(tmp_path: Path) -> Path:
    return write_focus_parquet(tmp_path / "focus", forty_days_of_costs())


@pytest.fixture
def cost_data(focus_dir: Path) -> CountingCostData:
    return CountingCostData(FocusAllocator(focus_dir))


@pytest.fixture
def slack_server() -> Iterator[LocalSlackServer]:
    with LocalSlackServer() as server:
        yield server


@pytest.fixture
def notifier(slack_server: LocalSlackServer) -> SlackNotifier:
    client = build_slack_client(
        DEFAULT_TOKEN, base_url=slack_server.base_url, backoff_factor=0.01, timeout=5
    )
    return SlackNotifier(client, upload_backoff=0.01)


@pytest.fixture
def state() -> SqliteStateStore:
    return SqliteStateStore(":memory:")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()
