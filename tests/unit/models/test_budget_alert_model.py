"""BudgetAlert's derived values: the dedup key and the period bounds everything else relies on."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from costwarden.models.budget import BudgetAlert


def make(**kw: object) -> BudgetAlert:
    fields: dict[str, object] = {
        "provider": "gcp",
        "budget_name": "web",
        "budget_id": "b-1",
        "scope": "012345-6789AB-CDEF01",
        "period_start": date(2026, 11, 1),
        "period": "monthly",
        "currency": "USD",
        "budget_amount": Decimal("100"),
        "threshold_percent": 80.0,
        "threshold_kind": "actual",
        "crossed": True,
    }
    fields.update(kw)
    return BudgetAlert.model_validate(fields)


@pytest.mark.parametrize(
    ("period", "start", "end"),
    [
        ("daily", date(2026, 2, 28), date(2026, 3, 1)),
        ("monthly", date(2026, 12, 1), date(2027, 1, 1)),
        ("quarterly", date(2026, 10, 1), date(2027, 1, 1)),
        ("annually", date(2026, 1, 1), date(2027, 1, 1)),
        ("custom", date(2026, 1, 1), None),
        (None, date(2026, 1, 1), None),
    ],
)
def test_period_end_is_the_exclusive_end_of_the_budget_period(
    period: str | None, start: date, end: date | None
) -> None:
    assert make(period=period, period_start=start).period_end == end


def test_dedup_key_ignores_delivery_details_but_not_the_threshold() -> None:
    first = make(message_id="m-1", actual_amount=Decimal("81"))
    redelivered = make(message_id="m-2", actual_amount=Decimal("85"))
    assert first.dedup_key == redelivered.dedup_key
    assert make(threshold_percent=100.0).dedup_key != first.dedup_key
    assert make(threshold_kind="forecasted").dedup_key != first.dedup_key
    assert make(period_start=date(2026, 12, 1)).dedup_key != first.dedup_key


def test_amounts_serialize_as_json_numbers() -> None:
    dumped = make(actual_amount=Decimal("36.69")).model_dump(mode="json")
    assert dumped["budget_amount"] == 100.0
    assert dumped["actual_amount"] == 36.69
