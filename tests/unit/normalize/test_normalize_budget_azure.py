"""Azure budget webhooks: the decisions in ``costwarden.normalize.budget.azure``."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from costwarden.errors import PayloadError, UnrecognisedPayloadError
from costwarden.normalize.budget import from_azure_webhook
from unit.normalize.budget_fixture_paths import load_event

COMMON: dict[str, Any] = load_event("azure/budget_common_actual.json")
LEGACY: dict[str, Any] = load_event("azure/budget_legacy_aip.json")


def _common(**alert_data: Any) -> dict[str, Any]:
    body = copy.deepcopy(COMMON)
    data = body["data"]["alertContext"]["AlertData"]
    for key, value in alert_data.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return body


def _fired(body: dict[str, Any], when: str) -> dict[str, Any]:
    body["data"]["essentials"]["firedDateTime"] = when
    return body


def test_threshold_percent_is_the_notification_amount_over_the_budget() -> None:
    alert = from_azure_webhook(COMMON)

    assert (alert.threshold_amount, alert.budget_amount) == (
        Decimal("9600.00"),
        Decimal("12000.00"),
    )
    assert alert.threshold_percent == 80.0


def test_period_is_the_month_the_alert_fired_not_the_budget_start() -> None:
    alert = from_azure_webhook(COMMON)

    assert COMMON["data"]["alertContext"]["AlertData"]["BudgetStartDate"] == "2025-01-01"
    assert (alert.period, alert.period_start) == (None, date(2025, 5, 1))


def test_same_threshold_next_month_has_a_different_dedup_key() -> None:
    may = from_azure_webhook(COMMON)
    june = from_azure_webhook(_fired(_common(), "2025-06-02T06:00:00Z"))

    assert june.period_start == date(2025, 6, 1)
    assert may.dedup_key != june.dedup_key


def test_without_fired_time_the_receipt_time_dates_the_period() -> None:
    body = _common()
    del body["data"]["essentials"]["firedDateTime"]

    alert = from_azure_webhook(body, received_at=datetime(2025, 8, 9, tzinfo=UTC))

    assert alert.period_start == date(2025, 8, 1)
    assert alert.notified_at is None


@pytest.mark.parametrize(
    ("grain", "start", "fired", "expected"),
    [
        ("Monthly", "2025-01-01", "2025-06-10T00:00:00Z", date(2025, 6, 1)),
        ("BillingMonth", "2025-01-01", "2025-06-10T00:00:00Z", date(2025, 6, 1)),
        ("Quarterly", "2025-02-01", "2025-06-10T00:00:00Z", date(2025, 5, 1)),
        ("Quarterly", None, "2025-06-10T00:00:00Z", date(2025, 4, 1)),
        ("Annually", "2024-07-01", "2025-03-05T00:00:00Z", date(2024, 7, 1)),
        ("Annually", "6/1/2018", "2025-03-05T00:00:00Z", date(2024, 6, 1)),
        ("BillingAnnual", None, "2025-03-05T00:00:00Z", date(2025, 1, 1)),
    ],
)
def test_a_time_grain_when_present_sets_the_period(
    grain: str, start: str | None, fired: str, expected: date
) -> None:
    body = _fired(_common(TimeGrain=grain, BudgetStartDate=start), fired)

    assert from_azure_webhook(body).period_start == expected


def test_forecast_alert_carries_the_forecast_total() -> None:
    alert = from_azure_webhook(load_event("azure/budget_common_forecasted.json"))

    assert alert.threshold_kind == "forecasted"
    assert alert.forecast_amount == Decimal("2917.73")
    assert alert.actual_amount == Decimal("1388.40")


def test_missing_threshold_type_is_inferred_from_the_forecast_total() -> None:
    body = load_event("azure/budget_common_forecasted.json")
    del body["data"]["alertContext"]["AlertData"]["ThresholdType"]

    assert from_azure_webhook(body).threshold_kind == "forecasted"
    assert from_azure_webhook(_common(ThresholdType=None)).threshold_kind == "actual"


def test_missing_unit_falls_back_to_the_dollar_sign() -> None:
    assert from_azure_webhook(_common(Unit=None)).currency == "USD"


def test_missing_unit_with_bare_numbers_is_rejected() -> None:
    body = _common(Unit=None, BudgetThreshold="12000", NotificationThresholdAmount="9600")

    with pytest.raises(PayloadError, match="Unit is missing"):
        from_azure_webhook(body)


def test_unambiguous_decimal_comma_amounts_are_read() -> None:
    body = _common(
        Unit="EUR", BudgetThreshold="12.000,00 €", NotificationThresholdAmount="9.600,00 €"
    )

    alert = from_azure_webhook(body)

    assert (alert.currency, alert.budget_amount, alert.threshold_percent) == (
        "EUR",
        Decimal("12000.00"),
        80.0,
    )


def test_scope_is_taken_from_the_budget_id_when_scope_is_absent() -> None:
    alert = from_azure_webhook(_common(Scope=None))

    assert alert.scope == "/subscriptions/00000000-0000-0000-0000-000000000000"


def test_usage_budget_keeps_its_unit() -> None:
    alert = from_azure_webhook(_common(BudgetType="Usage", Unit="Hours"))

    assert (alert.budget_type, alert.currency, alert.unit) == ("usage", None, "Hours")


def test_cost_alert_of_another_category_is_unrecognised() -> None:
    body = _common()
    body["data"]["alertContext"]["AlertCategory"] = "Anomaly"

    with pytest.raises(UnrecognisedPayloadError, match="AlertCategory 'Anomaly'"):
        from_azure_webhook(body)


def test_body_without_schema_id_is_unrecognised() -> None:
    with pytest.raises(UnrecognisedPayloadError, match="no schemaId"):
        from_azure_webhook({"data": {}})


def test_legacy_period_comes_from_the_receipt_time() -> None:
    alert = from_azure_webhook(LEGACY, received_at=datetime(2025, 9, 30, 23, 59, tzinfo=UTC))

    assert alert.period_start == date(2025, 9, 1)
    assert (alert.threshold_kind, alert.threshold_percent) == ("actual", 80.0)


def test_legacy_and_common_schema_name_the_same_budget_the_same_way() -> None:
    legacy = copy.deepcopy(LEGACY)
    legacy["data"]["BudgetName"] = "prod-subscription-monthly"
    common = from_azure_webhook(COMMON)

    rebuilt = from_azure_webhook(legacy, received_at=datetime(2025, 5, 21, tzinfo=UTC))

    assert (rebuilt.scope, rebuilt.budget_id) == (common.scope, common.budget_id)


def test_legacy_resource_group_budget_is_scoped_to_the_group() -> None:
    legacy = copy.deepcopy(LEGACY)
    legacy["data"]["ResourceGroup"] = "rg-web"

    alert = from_azure_webhook(legacy, received_at=datetime(2025, 5, 21, tzinfo=UTC))

    assert (
        alert.scope == "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-web"
    )


def _legacy(spent: str | None, threshold: str = "10000") -> dict[str, Any]:
    body = copy.deepcopy(LEGACY)
    body["data"]["NotificationThresholdAmount"] = threshold
    if spent is None:
        del body["data"]["SpendingAmount"]
    else:
        body["data"]["SpendingAmount"] = spent
    return body


def test_legacy_spend_below_the_threshold_is_a_forecast_not_an_actual_crossing() -> None:
    """The legacy body has no ThresholdType, yet Azure sends forecast notifications in it:
    spend below the threshold cannot be an actual alert (those fire once spend reaches it)."""
    at = datetime(2025, 5, 21, tzinfo=UTC)
    forecast = from_azure_webhook(_legacy("7000.00"), received_at=at)
    actual = from_azure_webhook(_legacy("10150.00"), received_at=at)
    assert forecast.threshold_kind == "forecasted"
    assert actual.threshold_kind == "actual"
    assert forecast.threshold_percent == actual.threshold_percent == 100.0
    assert forecast.dedup_key != actual.dedup_key  # the real actual alert still posts
    # Reaching the threshold exactly is an actual crossing.
    assert from_azure_webhook(_legacy("10000"), received_at=at).threshold_kind == "actual"


def test_legacy_without_a_spend_amount_names_no_kind() -> None:
    alert = from_azure_webhook(_legacy(None), received_at=datetime(2025, 5, 21, tzinfo=UTC))
    assert alert.threshold_kind is None
    assert alert.dedup_key.endswith("/-/100")
