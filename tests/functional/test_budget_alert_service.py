"""The budget alert service on fakes: a SQLite state store, a recording notifier, a fixed clock.

These pin the contract the cloud functions rely on: one message per budget · period · kind ·
threshold, whatever the redelivery pattern or failure in between.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from costwarden.adapters.focus.published_data import PublishedCostDrivers, PublishedFocusData
from costwarden.adapters.local.file_store import LocalObjectStore
from costwarden.adapters.local.sqlite_state import SqliteStateStore
from costwarden.errors import (
    AlertInProgressError,
    CostwardenError,
    NotificationError,
    StateStoreError,
)
from costwarden.models.budget import BudgetAlert
from costwarden.models.notification import BudgetAlertMessage, CostDriver, PostedMessage
from costwarden.policy import load_policy_text
from costwarden.ports import NoCostData
from costwarden.services.budget_alerts import process_budget_alert
from unit.allocation.focus_parquet import cost_row
from unit.published_data.publishing import publish_rows

POLICY = load_policy_text(
    """
version: 1
slack:
  default_channel: "#finops-alerts"
teams:
  platform:
    slack_channel: "#platform-costs"
    mentions: ["here"]
budgets:
  min_threshold_percent: 50
  routes:
    - name: "prod-*"
      team: platform
""",
    source="test-policy.yaml",
)


@dataclass
class FixedClock:
    at: datetime = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at


@dataclass
class RecordingNotifier:
    """A notifier fake: records messages, can be told to fail the next N posts."""

    posted: list[BudgetAlertMessage] = field(default_factory=list)
    failures: int = 0

    def post_budget_alert(self, message: BudgetAlertMessage) -> PostedMessage:
        if self.failures:
            self.failures -= 1
            raise NotificationError("slack is down (fake)")
        self.posted.append(message)
        return PostedMessage(channel="C0PLATFORM1", ts=f"1700000000.{len(self.posted):06d}")


@dataclass
class StaticDrivers:
    drivers: tuple[CostDriver, ...] | None = None
    error: bool = False
    asked: list[dict[str, object]] = field(default_factory=list)

    def top_drivers(self, *, provider, scope, period_start, limit=5, period_end=None):  # type: ignore[no-untyped-def]
        self.asked.append({"scope": scope, "start": period_start, "end": period_end})
        if self.error:
            raise CostwardenError("cost data unreadable (fake)")
        return self.drivers


def alert(
    percent: float = 80.0, *, kind: str = "actual", crossed: bool = True, **kw
) -> BudgetAlert:  # type: ignore[no-untyped-def]
    fields = {
        "provider": "aws",
        "budget_name": "prod-platform",
        "scope": "123456789012",
        "period_start": date(2026, 11, 1),
        "period": "monthly",
        "currency": "USD",
        "budget_amount": Decimal("1000"),
        "actual_amount": Decimal("812.40"),
        "threshold_percent": percent if crossed else None,
        "threshold_kind": kind if crossed else None,
        "crossed": crossed,
        **kw,
    }
    return BudgetAlert(**fields)


@pytest.fixture
def state() -> SqliteStateStore:
    return SqliteStateStore(":memory:")


def run(a: BudgetAlert, state, notifier, *, drivers=None, clock=None, invocation="inv-1"):  # type: ignore[no-untyped-def]
    return process_budget_alert(
        a,
        policy=POLICY,
        state=state,
        notifier=notifier,
        cost_drivers=drivers or NoCostData(),
        clock=clock or FixedClock(),
        invocation_id=invocation,
    )


def test_budget_alert_posts_once_per_threshold_across_redeliveries(state) -> None:
    notifier = RecordingNotifier()
    outcomes = [run(alert(), state, notifier, invocation=f"inv-{i}") for i in range(3)]
    assert [o.status for o in outcomes] == ["posted", "duplicate", "duplicate"]
    assert len(notifier.posted) == 1
    assert notifier.posted[0].route.channel == "#platform-costs"
    assert notifier.posted[0].route.mentions == ("here",)
    # the duplicate reports where the original went
    assert outcomes[1].channel == "C0PLATFORM1"
    assert outcomes[1].ts == outcomes[0].ts


def test_higher_threshold_posts_again_in_the_first_messages_thread(state) -> None:
    notifier = RecordingNotifier()
    first = run(alert(80.0), state, notifier)
    second = run(alert(100.0), state, notifier)
    forecast = run(alert(100.0, kind="forecasted"), state, notifier)
    assert [first.status, second.status, forecast.status] == ["posted"] * 3
    assert notifier.posted[0].thread_ts is None
    assert notifier.posted[1].thread_ts == first.ts
    assert notifier.posted[2].thread_ts == first.ts


def test_next_period_starts_a_new_message_and_thread(state) -> None:
    notifier = RecordingNotifier()
    run(alert(80.0), state, notifier)
    december = run(alert(80.0, period_start=date(2026, 12, 1)), state, notifier)
    assert december.status == "posted"
    assert notifier.posted[1].thread_ts is None


def test_status_update_that_crossed_nothing_posts_nothing_and_stores_nothing(state) -> None:
    notifier = RecordingNotifier()
    outcome = run(alert(crossed=False), state, notifier)
    assert outcome.status == "not_crossed"
    assert notifier.posted == []
    assert state.get(outcome.dedup_key) is None


def test_threshold_below_policy_minimum_is_not_posted(state) -> None:
    notifier = RecordingNotifier()
    assert run(alert(25.0), state, notifier).status == "below_minimum"
    assert notifier.posted == []


def test_unrouted_budget_goes_to_the_default_channel(state) -> None:
    notifier = RecordingNotifier()
    run(alert(budget_name="sandbox"), state, notifier)
    assert notifier.posted[0].route.channel == "#finops-alerts"
    assert notifier.posted[0].route.team is None


def test_failed_post_releases_the_claim_so_the_redelivery_posts_once(state) -> None:
    notifier = RecordingNotifier(failures=1)
    with pytest.raises(NotificationError):
        run(alert(), state, notifier, invocation="inv-1")
    assert state.get(alert().dedup_key) is None  # nothing half-done left behind
    assert run(alert(), state, notifier, invocation="inv-2").status == "posted"
    assert run(alert(), state, notifier, invocation="inv-3").status == "duplicate"
    assert len(notifier.posted) == 1


def test_concurrent_delivery_backs_off_while_a_live_claim_exists(state) -> None:
    clock = FixedClock()
    state.claim(alert().dedup_key, owner="other", now=clock.now(), lease=timedelta(minutes=5))
    notifier = RecordingNotifier()
    with pytest.raises(AlertInProgressError):
        run(alert(), state, notifier, clock=clock)
    assert notifier.posted == []


def test_crashed_holders_claim_expires_and_the_next_delivery_posts(state) -> None:
    clock = FixedClock()
    state.claim(alert().dedup_key, owner="crashed", now=clock.now(), lease=timedelta(minutes=5))
    later = FixedClock(clock.at + timedelta(minutes=6))
    notifier = RecordingNotifier()
    assert run(alert(), state, notifier, clock=later).status == "posted"
    assert len(notifier.posted) == 1


def test_cost_drivers_of_the_alerts_scope_and_period_are_passed_to_the_message(state) -> None:
    drivers = (CostDriver("Amazon EC2", Decimal("512.10"), "USD"),)
    source = StaticDrivers(drivers)
    notifier = RecordingNotifier()
    run(alert(), state, notifier, drivers=source)
    assert notifier.posted[0].drivers == drivers
    assert source.asked == [
        {"scope": "123456789012", "start": date(2026, 11, 1), "end": date(2026, 12, 1)}
    ]


def test_daily_budget_asks_for_that_day_only(state) -> None:
    source = StaticDrivers(())
    run(
        alert(period="daily", period_start=date(2026, 12, 31)),
        state,
        RecordingNotifier(),
        drivers=source,
    )
    assert source.asked[0]["end"] == date(2027, 1, 1)


def test_broken_cost_data_still_posts_the_alert_without_drivers(state) -> None:
    notifier = RecordingNotifier()
    outcome = run(alert(), state, notifier, drivers=StaticDrivers(error=True))
    assert outcome.status == "posted"
    assert notifier.posted[0].drivers is None
    assert outcome.drivers_error == "cost data unreadable (fake)"


def test_a_period_of_unknown_length_asks_up_to_the_day_of_the_notification(state) -> None:
    """Google says only when a quarterly or annual budget's period started: the drivers must
    cover the quarter so far, not its first month."""
    source = StaticDrivers(())
    quarter = alert(
        period=None,
        period_start=date(2026, 10, 1),
        notified_at=datetime(2026, 11, 15, 23, 30, tzinfo=UTC),
    )
    run(quarter, state, RecordingNotifier(), drivers=source)
    assert source.asked[0]["start"] == date(2026, 10, 1)
    assert source.asked[0]["end"] == date(2026, 11, 16)


def test_without_a_notification_time_the_window_ends_after_today(state) -> None:
    source = StaticDrivers(())
    run(
        alert(period=None, period_start=date(2026, 10, 1)),
        state,
        RecordingNotifier(),
        drivers=source,
    )
    assert source.asked[0]["end"] == date(2026, 11, 21)  # FixedClock: 2026-11-20


def test_a_full_cache_disk_still_posts_the_alert_without_drivers(state, tmp_path) -> None:
    """A local OSError while caching the published cost data is cost data unavailable, not a
    failed alert (the platform would retry it into its dead-letter queue)."""
    store = LocalObjectStore(tmp_path / "bucket")
    publish_rows(store, "focus", [cost_row(date(2026, 11, 3), "5", service="Amazon EC2")])
    cache = tmp_path / "cache"
    cache.write_text("a file where the cache folder should be")  # mkdir fails: a real OSError
    drivers = PublishedCostDrivers(PublishedFocusData(store, "focus", cache))
    notifier = RecordingNotifier()

    outcome = run(alert(), state, notifier, drivers=drivers)

    assert outcome.status == "posted"
    assert notifier.posted[0].drivers is None
    assert outcome.drivers_error is not None
    assert "cannot cache the FOCUS data" in outcome.drivers_error


def test_a_zero_budget_posts_each_absolute_threshold_once(state) -> None:
    """A $0 budget has no percent: the thresholds' amounts keep $5 and $100 apart."""
    notifier = RecordingNotifier()
    zero = {"budget_amount": Decimal("0"), "actual_amount": Decimal("140")}
    low = alert(None, threshold_amount=Decimal("5.00"), **zero)
    high = alert(None, threshold_amount=Decimal("100.00"), **zero)
    outcomes = [
        run(a, state, notifier, invocation=f"inv-{i}") for i, a in enumerate([low, high, low])
    ]
    assert [o.status for o in outcomes] == ["posted", "posted", "duplicate"]
    assert low.dedup_key.endswith("/actual/amount=5")
    assert high.dedup_key.endswith("/actual/amount=100")


class FlakyComplete(SqliteStateStore):
    """A state store whose next ``complete`` calls fail, as a throttled Azure Table does."""

    def __init__(self, failures: int) -> None:
        super().__init__(":memory:")
        self.failures = failures

    def complete(self, key, *, owner, data):  # type: ignore[no-untyped-def]
        if self.failures:
            self.failures -= 1
            raise StateStoreError("replace failed: 503 ServerBusy (fake)")
        return super().complete(key, owner=owner, data=data)


def test_a_posted_alert_is_recorded_despite_a_throttled_write_and_never_posted_again() -> None:
    state = FlakyComplete(failures=1)
    notifier = RecordingNotifier()

    first = run(alert(), state, notifier, invocation="webhook/1")
    # A retry after the claim's lease would have found it expired and posted again.
    later = FixedClock()
    later.at += timedelta(minutes=6)
    again = run(alert(), state, notifier, clock=later, invocation="queue/1")

    assert (first.status, again.status) == ("posted", "duplicate")
    assert len(notifier.posted) == 1


def test_a_post_that_cannot_be_recorded_is_not_raised_for_a_redelivery_to_repeat() -> None:
    state = FlakyComplete(failures=3)
    notifier = RecordingNotifier()

    outcome = run(alert(), state, notifier, invocation="webhook/1")

    assert outcome.status == "posted"  # the platform is told it is done: no second post
    assert len(notifier.posted) == 1
