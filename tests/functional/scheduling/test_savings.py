"""Savings in plans and reports: billed FOCUS costs where there are some, list prices otherwise."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb

from costwarden.adapters.focus.resource_costs import FocusResourceCosts
from costwarden.adapters.local.sqlite_state import SqliteStateStore
from costwarden.pricing import FocusSavingsEstimator, PriceTableEstimator, SavingsEstimator
from costwarden.schedule import ScheduleClock
from costwarden.services.scheduler import plan_target, run_target
from functional.scheduling.fakes import (
    ACCOUNT,
    FRIDAY_STOP,
    FakeCloud,
    RecordingNotifier,
    ec2,
    policy,
    work_item,
)

POLICY = policy()
CLOCK = ScheduleClock(POLICY.schedules)


def focus_file(path: Path, resource_id: str, hourly: str, hours: int = 200) -> Path:
    """A FOCUS parquet with ``hours`` hourly charges of ``hourly`` for one EC2 instance."""
    conn = duckdb.connect()
    conn.execute(
        f"""
        COPY (
            SELECT 'AWS' AS ProviderName, '{ACCOUNT}' AS SubAccountId,
                   '{resource_id}' AS ResourceId, 'web-1' AS ResourceName,
                   'USD' AS BillingCurrency,
                   TIMESTAMP '2026-11-01 00:00:00' + INTERVAL (h) HOUR AS ChargePeriodStart,
                   TIMESTAMP '2026-11-01 01:00:00' + INTERVAL (h) HOUR AS ChargePeriodEnd,
                   CAST({hourly} AS DECIMAL(18, 6)) AS EffectiveCost
            FROM range({hours}) t(h)
        ) TO '{path}' (FORMAT parquet)
        """
    )
    conn.close()
    return path


def plan_with(savings: SavingsEstimator, at: datetime = FRIDAY_STOP):  # type: ignore[no-untyped-def]
    cloud = FakeCloud.of([ec2("web-1"), ec2("web-2")])
    return plan_target(
        policy=POLICY, clock=CLOCK, resources=cloud.list_resources(), metrics=None,
        savings=savings, at=at, dry_run=False, cloud="aws",
    )  # fmt: skip


def off_fraction(at: datetime) -> Decimal:
    return Decimal(1) - Decimal(str(round(CLOCK.running_fraction("office-hours", at), 6)))


def test_price_table_basis_when_no_focus_data_is_configured() -> None:
    plan = plan_with(PriceTableEstimator())
    for action in plan.actions:
        assert action.saving_basis == "price_table"
        expected = Decimal("0.096") * 730 * off_fraction(FRIDAY_STOP)
        assert action.estimated_monthly_saving == expected.quantize(Decimal("0.01"))


def test_focus_basis_uses_the_billed_hourly_cost_and_falls_back_per_resource(
    tmp_path: Path,
) -> None:
    path = focus_file(tmp_path / "focus.parquet", "i-web-1", "0.05")
    estimator = FocusSavingsEstimator(FocusResourceCosts([path]), at=FRIDAY_STOP)
    plan = plan_with(estimator)
    by_name = {a.resource.name: a for a in plan.actions}
    assert by_name["web-1"].saving_basis == "focus"
    expected = (Decimal("0.05") * 730 * off_fraction(FRIDAY_STOP)).quantize(Decimal("0.01"))
    assert by_name["web-1"].estimated_monthly_saving == expected
    assert by_name["web-2"].saving_basis == "price_table"  # no FOCUS rows for it


def test_a_report_mixing_both_bases_says_so(tmp_path: Path) -> None:
    path = focus_file(tmp_path / "focus.parquet", "i-web-1", "0.05")
    notifier = RecordingNotifier()
    cloud = FakeCloud.of([ec2("web-1"), ec2("web-2")])
    run_target(
        item=work_item(FRIDAY_STOP),
        policy=POLICY,
        clock=CLOCK,
        inventory=cloud,
        actuator=cloud,
        metrics=None,
        savings=FocusSavingsEstimator(FocusResourceCosts([path]), at=FRIDAY_STOP),
        notifier=notifier,
        state=SqliteStateStore(":memory:"),
        now=FRIDAY_STOP + timedelta(minutes=1),
    )
    (message,) = notifier.messages
    assert message.saving_basis == "mixed"
    total = sum((line.saving or Decimal(0) for line in message.stopped), Decimal(0))
    assert message.estimated_monthly_saving == total
    assert message.currency == "USD"
