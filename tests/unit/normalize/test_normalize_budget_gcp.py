"""Google budget Pub/Sub messages: the decisions in ``costwarden.normalize.budget.gcp``."""

from __future__ import annotations

import base64
import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from costwarden.normalize.budget import from_pubsub_message, parse_budget_event, pubsub_alerts
from unit.normalize.budget_fixture_paths import load_event

MESSAGE = load_event("gcp/budget_actual_crossed.json")["data"]["message"]
BODY: dict[str, Any] = json.loads(base64.b64decode(MESSAGE["data"]))


def _data(**changes: Any) -> str:
    body = {k: v for k, v in {**BODY, **changes}.items() if v is not None}
    return base64.b64encode(json.dumps(body).encode()).decode()


def test_alert_threshold_fraction_becomes_a_percent_and_an_amount() -> None:
    alert = from_pubsub_message(data=MESSAGE["data"], attributes=MESSAGE["attributes"])

    assert alert.threshold_percent == 80.0
    assert alert.threshold_amount == Decimal("4000.0")
    assert alert.actual_amount == Decimal("4120.37")  # the JSON float, not its binary neighbour


def test_routine_status_update_crosses_nothing() -> None:
    alert = from_pubsub_message(
        data=_data(alertThresholdExceeded=None), attributes=MESSAGE["attributes"]
    )

    assert alert.crossed is False
    assert (alert.threshold_percent, alert.threshold_amount, alert.threshold_kind) == (
        None,
        None,
        None,
    )


def test_repeated_status_messages_share_one_dedup_key() -> None:
    # Google repeats the highest crossed threshold in every later status of the period.
    first = from_pubsub_message(
        data=MESSAGE["data"], attributes=MESSAGE["attributes"], message_id="1"
    )
    later = from_pubsub_message(
        data=_data(costAmount=4450.1), attributes=MESSAGE["attributes"], message_id="2"
    )

    assert first.dedup_key == later.dedup_key


def test_same_threshold_next_period_has_a_different_dedup_key() -> None:
    may = from_pubsub_message(data=MESSAGE["data"], attributes=MESSAGE["attributes"])
    june = from_pubsub_message(
        data=_data(costIntervalStart="2025-06-01T07:00:00Z"), attributes=MESSAGE["attributes"]
    )

    assert (may.period_start, june.period_start) == (date(2025, 5, 1), date(2025, 6, 1))
    assert may.dedup_key != june.dedup_key


def test_both_threshold_kinds_give_two_alerts_and_the_single_form_returns_the_actual() -> None:
    data = _data(alertThresholdExceeded=0.5, forecastThresholdExceeded=1.0)

    both = pubsub_alerts(data=data, attributes=MESSAGE["attributes"])
    single = from_pubsub_message(data=data, attributes=MESSAGE["attributes"])

    assert [(a.threshold_kind, a.threshold_percent) for a in both] == [
        ("actual", 50.0),
        ("forecasted", 100.0),
    ]
    assert single == both[0]
    assert both[0].dedup_key != both[1].dedup_key


def test_already_decoded_json_data_is_accepted() -> None:
    raw = base64.b64decode(MESSAGE["data"])

    from_bytes = from_pubsub_message(data=raw, attributes=MESSAGE["attributes"])
    from_b64 = from_pubsub_message(data=MESSAGE["data"], attributes=MESSAGE["attributes"])

    assert from_bytes == from_b64


def test_url_safe_and_unpadded_base64_are_accepted() -> None:
    url_safe = base64.urlsafe_b64encode(base64.b64decode(MESSAGE["data"])).decode().rstrip("=")

    alert = from_pubsub_message(data=url_safe, attributes=MESSAGE["attributes"])

    assert alert.budget_name == BODY["budgetDisplayName"]


def test_scope_and_console_url_come_from_the_billing_account() -> None:
    alert = from_pubsub_message(data=MESSAGE["data"], attributes=MESSAGE["attributes"])

    assert alert.scope == "012345-6789AB-CDEF01"
    assert (
        alert.console_url == "https://console.cloud.google.com/billing/012345-6789AB-CDEF01/budgets"
    )


def test_missing_attributes_still_parse_with_no_scope_or_id() -> None:
    alert = from_pubsub_message(data=MESSAGE["data"], attributes={})

    assert (alert.scope, alert.budget_id) == (None, None)
    assert alert.dedup_key.startswith("budget/gcp/-/team-data-monthly/")


def test_nanosecond_publish_time_is_read() -> None:
    (alert,) = parse_budget_event(load_event("gcp/budget_forecast_crossed.json"))

    assert alert.notified_at is not None
    assert alert.notified_at.microsecond == 101234


@pytest.mark.parametrize("currency", ["usd", "Usd"])
def test_currency_code_is_upper_cased(currency: str) -> None:
    alert = from_pubsub_message(data=_data(currencyCode=currency), attributes={})

    assert alert.currency == "USD"
