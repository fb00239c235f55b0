"""AWS Budgets SNS text: the decisions in ``costwarden.normalize.budget.aws``."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from costwarden.errors import PayloadError, UnrecognisedPayloadError
from costwarden.normalize.budget import from_sns_message
from unit.normalize.budget_fixture_paths import load_event

MONTHLY = load_event("aws/budget_monthly_actual.json")["Records"][0]["Sns"]
TIMESTAMP = datetime(2025, 5, 20, 14, 3, 11, tzinfo=UTC)


def test_threshold_percent_is_computed_from_the_absolute_threshold() -> None:
    alert = from_sns_message(subject=None, message=MONTHLY["Message"])

    assert alert.threshold_amount == Decimal("24.00")
    assert alert.budget_amount == Decimal("30.00")
    assert alert.threshold_percent == 80.0


def test_percent_snaps_to_the_round_value_the_display_was_rounded_from() -> None:
    # 80% of $33.33 is $26.664, which the text shows as $26.66: the alert is "80%", not 79.99.
    text = MONTHLY["Message"].replace("$30.00", "$33.33").replace("$24.00", "$26.66")

    alert = from_sns_message(subject=None, message=text)

    assert alert.threshold_percent == 80.0


def test_account_id_keeps_its_leading_zero() -> None:
    text = MONTHLY["Message"].replace("AWS Account 123456789012", "AWS Account 001234567890")

    assert from_sns_message(subject=None, message=text).scope == "001234567890"


def test_redacted_account_leaves_scope_empty() -> None:
    text = MONTHLY["Message"].replace("AWS Account 123456789012", "AWS Account XXXXXXXXX")

    assert from_sns_message(subject=None, message=text).scope is None


def test_same_budget_and_threshold_next_month_has_a_different_dedup_key() -> None:
    may = from_sns_message(subject=None, message=MONTHLY["Message"])
    june = from_sns_message(
        subject=None, message=MONTHLY["Message"].replace("May 20, 2025", "June 03, 2025")
    )

    assert may.period_start == date(2025, 5, 1)
    assert june.period_start == date(2025, 6, 1)
    assert may.dedup_key != june.dedup_key


def test_redelivered_notification_keeps_its_dedup_key() -> None:
    first = from_sns_message(subject=None, message=MONTHLY["Message"], message_id="a")
    again = from_sns_message(subject=None, message=MONTHLY["Message"], message_id="b")

    assert first.dedup_key == again.dedup_key


def test_without_a_header_date_the_sns_timestamp_dates_the_period() -> None:
    text = MONTHLY["Message"].replace("AWS Budget Notification May 20, 2025\n", "")

    alert = from_sns_message(subject=None, message=text, timestamp=datetime(2025, 7, 9, tzinfo=UTC))

    assert alert.period_start == date(2025, 7, 1)


def test_without_any_date_the_notification_is_rejected() -> None:
    text = MONTHLY["Message"].replace("AWS Budget Notification May 20, 2025\n", "")

    with pytest.raises(PayloadError, match="no date"):
        from_sns_message(subject=None, message=text)


def test_daily_budget_reports_yesterday() -> None:
    sns = load_event("aws/budget_daily_actual.json")["Records"][0]["Sns"]

    alert = from_sns_message(subject=sns["Subject"], message=sns["Message"])

    assert (alert.period, alert.period_start) == ("daily", date(2025, 3, 3))


def test_daily_budget_without_yesterday_is_about_the_notification_day() -> None:
    sns = load_event("aws/budget_daily_actual.json")["Records"][0]["Sns"]
    text = sns["Message"].replace("Yesterday, the", "The")

    assert from_sns_message(subject=None, message=text).period_start == date(2025, 3, 4)


def test_unknown_period_wording_falls_back_to_the_calendar_month() -> None:
    text = MONTHLY["Message"].replace("for the current month", "for the current budget period")

    alert = from_sns_message(subject=None, message=text)

    assert (alert.period, alert.period_start) == (None, date(2025, 5, 1))


def test_key_value_line_wins_over_the_prose_when_they_disagree() -> None:
    # Seen in a real FORECASTED message: prose "$1.03", line "FORECASTED Amount: $0.5".
    sns = load_event("aws/budget_monthly_forecasted.json")["Records"][0]["Sns"]
    text = sns["Message"].replace("FORECASTED Amount: $463.18", "FORECASTED Amount: $0.5")

    alert = from_sns_message(subject=None, message=text)

    assert alert.forecast_amount == Decimal("0.5")
    assert alert.actual_amount is None


def test_prose_fills_in_fields_whose_key_value_lines_are_missing() -> None:
    kept = ("Budgeted Amount:",)  # the budget amount appears only as a line
    text = "\n".join(
        line
        for line in MONTHLY["Message"].splitlines()
        if ":" not in line or line.startswith(kept) or line.startswith("[1]")
    )

    alert = from_sns_message(subject=None, message=text, timestamp=TIMESTAMP)

    assert alert.budget_name == "billingThree"
    assert alert.threshold_kind == "actual"
    assert alert.threshold_amount == Decimal("24.00")
    assert alert.actual_amount == Decimal("36.69")
    assert alert.threshold_percent == 80.0


def test_subject_supplies_the_name_when_the_text_does_not() -> None:
    text = (
        MONTHLY["Message"]
        .replace("Budget Name: billingThree\n", "")
        .replace("with your billingThree budget", "with your budget")
    )

    alert = from_sns_message(subject=MONTHLY["Subject"], message=text)

    assert alert.budget_name == "billingThree"


def test_iso_currency_code_is_read_from_the_amounts() -> None:
    text = MONTHLY["Message"]
    for amount in ("$30.00", "$24.00", "$36.69"):
        text = text.replace(amount, f"{amount[1:]} EUR")

    alert = from_sns_message(subject=None, message=text)

    assert alert.currency == "EUR"
    assert alert.threshold_percent == 80.0


def test_mixed_currencies_are_rejected() -> None:
    text = MONTHLY["Message"].replace("Budgeted Amount: $30.00", "Budgeted Amount: 30.00 EUR")

    with pytest.raises(PayloadError, match="different currencies"):
        from_sns_message(subject=None, message=text)


def test_usage_budget_has_a_unit_and_no_currency() -> None:
    sns = load_event("aws/budget_usage_actual.json")["Records"][0]["Sns"]

    alert = from_sns_message(subject=sns["Subject"], message=sns["Message"])

    assert (alert.budget_type, alert.currency, alert.unit) == ("usage", None, "Hrs")


def test_a_message_that_is_not_a_budget_notification_is_unrecognised() -> None:
    with pytest.raises(UnrecognisedPayloadError):
        from_sns_message(subject="Hello", message="Your EC2 instance was stopped.")


def test_an_empty_message_is_a_payload_error() -> None:
    with pytest.raises(PayloadError, match="Message is empty"):
        from_sns_message(subject=None, message="  \n")
