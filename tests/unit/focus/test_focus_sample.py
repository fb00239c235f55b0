"""The shipped FOCUS sample (events/cost/focus-sample.csv): what the demo's cost drivers read.

Pins three promises: the committed CSV is exactly what ``events/cost/make_focus_sample.py``
writes; every crossed sample budget alert finds drivers in it, with totals that read plausibly
against the budgets the sample is sized for; and its rows keep the FOCUS rules a real export keeps.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from costwarden.focus.schema import SERVICE_SUBCATEGORIES

pytest.importorskip("duckdb")

from costwarden.adapters.focus.duckdb_cost_drivers import FocusCostDrivers
from costwarden.models.budget import BudgetAlert
from costwarden.models.notification import CostDriver

REPO = Path(__file__).resolve().parents[3]
EVENTS = REPO / "events"
SAMPLE = EVENTS / "cost" / "focus-sample.csv"
GENERATOR = EVENTS / "cost" / "make_focus_sample.py"
Drivers = tuple[CostDriver, ...] | None


def crossed_sample_alerts() -> list[tuple[str, BudgetAlert]]:
    """(expected file, alert) for every sample alert that crossed a threshold, so posts."""
    fields = BudgetAlert.model_fields
    alerts = [
        (path.name, BudgetAlert.model_validate({k: v for k, v in data.items() if k in fields}))
        for path in sorted(EVENTS.glob("*/budget_*.expected.json"))
        for data in json.loads(path.read_text("utf-8"))
    ]
    return [(file, alert) for file, alert in alerts if alert.crossed]


CROSSED = crossed_sample_alerts()
CROSSED_IDS = [f"{a.budget_name}-{a.threshold_kind}-{a.threshold_percent:g}" for _, a in CROSSED]


def drivers_shown(adapter: FocusCostDrivers, alert: BudgetAlert, limit: int = 5) -> Drivers:
    """What the budget-alert service asks for: the alert's scope over the budget's own period."""
    return adapter.top_drivers(
        provider=alert.provider,
        scope=alert.scope,
        period_start=alert.period_start,
        period_end=alert.period_end,
        limit=limit,
    )


def scope_total(adapter: FocusCostDrivers, alert: BudgetAlert) -> Decimal:
    """Net spend of the alert's scope in its period: every driver, not only the five shown."""
    drivers = drivers_shown(adapter, alert, limit=100)
    assert drivers, alert.dedup_key
    return sum((d.amount for d in drivers), Decimal(0))


@pytest.fixture(scope="module")
def adapter() -> FocusCostDrivers:
    return FocusCostDrivers([SAMPLE])


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with SAMPLE.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# -- the file and its generator --------------------------------------------------------------
def test_committed_sample_is_exactly_what_the_generator_writes(tmp_path: Path) -> None:
    out = tmp_path / "focus-sample.csv"
    subprocess.run(
        [sys.executable, str(GENERATOR), str(out)], check=True, capture_output=True, timeout=60
    )
    assert out.read_bytes() == SAMPLE.read_bytes(), (
        "events/cost/focus-sample.csv is stale: rerun events/cost/make_focus_sample.py"
    )


def test_sample_stays_small() -> None:
    assert SAMPLE.stat().st_size < 400_000


# -- what the demo shows ---------------------------------------------------------------------
@pytest.mark.parametrize(("file", "alert"), CROSSED, ids=CROSSED_IDS)
def test_shipped_sample_has_drivers_for_every_demo_scope(
    adapter: FocusCostDrivers, file: str, alert: BudgetAlert
) -> None:
    drivers = drivers_shown(adapter, alert)
    assert drivers, file
    assert 3 <= len(drivers) <= 5
    assert all(d.currency == "USD" and d.amount > 0 for d in drivers)


def budget(name: str) -> BudgetAlert:
    return next(alert for _, alert in CROSSED if alert.budget_name == name)


# The budgets each scope is sized for, and the share of their amount its period should read.
SIZED_FOR = [
    # Whole-account and whole-subscription budgets: most of the actual, never all of it exactly.
    ("prod-account-monthly", "actual_amount", "0.85", "1"),
    ("prod-subscription-monthly", "actual_amount", "0.85", "1"),
    ("billing-account-total", "actual_amount", "0.85", "1"),
    # The quarter so far: the sample runs to 13 August, the day before the alert.
    ("platform-quarterly", "actual_amount", "0.9", "1"),
    # Sent on 3 March: about two months of a year forecast at $134,876.
    ("org-annual", "forecast_amount", "0.14", "0.2"),
]


@pytest.mark.parametrize(
    ("name", "amount", "low", "high"), SIZED_FOR, ids=[s[0] for s in SIZED_FOR]
)
def test_scope_period_reads_close_to_the_budget_it_is_sized_for(
    adapter: FocusCostDrivers, name: str, amount: str, low: str, high: str
) -> None:
    alert = budget(name)
    expected = getattr(alert, amount)
    total = scope_total(adapter, alert)
    assert Decimal(low) * expected <= total < Decimal(high) * expected


def test_resource_group_budget_reads_between_its_actual_and_its_forecast(
    adapter: FocusCostDrivers,
) -> None:
    # Its actual is from 12 May; the sample runs to 20 May, so the group has spent more by then.
    alert = budget("analytics-rg-monthly")
    subscription = budget("prod-subscription-monthly")
    total = scope_total(adapter, alert)
    assert alert.actual_amount is not None
    assert alert.forecast_amount is not None
    assert alert.actual_amount < total < alert.forecast_amount
    assert total < scope_total(adapter, subscription) / 2  # one group, not the subscription


# -- FOCUS rules -----------------------------------------------------------------------------
MANDATORY_FOCUS_1_2 = {
    "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency",
    "BillingPeriodStart", "BillingPeriodEnd", "ChargeCategory", "ChargeClass",
    "ChargeDescription", "ChargePeriodStart", "ChargePeriodEnd", "ContractedCost",
    "EffectiveCost", "InvoiceIssuerName", "ListCost", "PricingQuantity", "PricingUnit",
    "ProviderName", "PublisherName", "ServiceCategory", "ServiceName", "ServiceSubcategory",
}  # fmt: skip

UTC_DAY = re.compile(r"\d{4}-\d\d-\d\dT00:00:00Z")


def utc_day(text: str) -> date:
    assert UTC_DAY.fullmatch(text), text
    return date.fromisoformat(text[:10])


def test_sample_has_the_focus_1_2_mandatory_columns(rows: list[dict[str, str]]) -> None:
    assert set(rows[0]) >= MANDATORY_FOCUS_1_2


def test_charge_and_billing_periods_are_utc_days_inside_month_bounds(
    rows: list[dict[str, str]],
) -> None:
    for row in rows:
        start, end = utc_day(row["ChargePeriodStart"]), utc_day(row["ChargePeriodEnd"])
        month, next_month = utc_day(row["BillingPeriodStart"]), utc_day(row["BillingPeriodEnd"])
        assert end == start + timedelta(days=1), row
        assert month == start.replace(day=1), row
        assert next_month == (month + timedelta(days=32)).replace(day=1), row


def test_usage_costs_are_unit_price_times_quantity_and_credits_are_negative(
    rows: list[dict[str, str]],
) -> None:
    categories = set()
    for row in rows:
        categories.add(row["ChargeCategory"])
        billed = Decimal(row["BilledCost"])
        assert row["BillingCurrency"] == "USD"
        assert row["ChargeClass"] == ""  # no corrections in the sample
        assert Decimal(row["EffectiveCost"]) == billed  # nothing prepaid to amortize
        if row["ChargeCategory"] == "Usage":
            quantity = Decimal(row["PricingQuantity"])
            assert billed > 0
            assert row["ChargeFrequency"] == "Usage-Based"
            assert Decimal(row["ListCost"]) == Decimal(row["ListUnitPrice"]) * quantity
            assert Decimal(row["ContractedCost"]) == Decimal(row["ContractedUnitPrice"]) * quantity
            assert Decimal(row["ConsumedQuantity"]) == quantity
        else:
            assert row["ChargeCategory"] == "Credit"
            assert row["ChargeFrequency"] == "One-Time"
            assert billed < 0
            # FOCUS: a credit not derived from other charges lists and contracts at its billed cost
            assert Decimal(row["ListCost"]) == Decimal(row["ContractedCost"]) == billed
            assert row["PricingQuantity"] == row["ListUnitPrice"] == row["ConsumedQuantity"] == ""
    assert categories == {"Usage", "Credit"}


def test_services_are_categorised_with_allowed_values_and_tags_are_flat_json(
    rows: list[dict[str, str]],
) -> None:
    for row in rows:
        # FOCUS 1.2's own subcategory -> category table (checked against the spec's model).
        assert SERVICE_SUBCATEGORIES.get(row["ServiceSubcategory"]) == row["ServiceCategory"], row
        if row["Tags"]:
            tags = json.loads(row["Tags"])
            assert isinstance(tags, dict)
            assert all(isinstance(v, str) for v in tags.values())
