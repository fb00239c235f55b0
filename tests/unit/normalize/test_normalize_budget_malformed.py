"""Bad input fails with a typed error naming the problem - never a KeyError or a traceback.

Each file under ``malformed/`` is a raw trigger body (bytes as a function would receive them).
The table pins the error class and a fragment of the message; a fixture without a row fails
``test_every_malformed_fixture_has_an_expectation`` so none goes unchecked.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from costwarden.errors import PayloadError, UnrecognisedPayloadError
from costwarden.normalize.budget import parse_budget_event_text
from unit.normalize.budget_fixture_paths import MALFORMED

P, U = PayloadError, UnrecognisedPayloadError

EXPECTED: dict[str, tuple[type[PayloadError], str]] = {
    # generic
    "not_json.txt": (P, "not JSON"),
    "top_level_array.json": (P, "payload must be a JSON object"),
    "unknown_shape.json": (U, "not a known budget notification shape"),
    # AWS
    "aws_empty_records.json": (P, "Records is empty"),
    "aws_records_not_array.json": (P, "Records must be an array"),
    "aws_s3_record.json": (U, "not an SNS record"),
    "aws_missing_message.json": (P, "Sns.Message is missing"),
    "aws_missing_budgeted_amount.json": (P, "'Budgeted Amount' is missing"),
    "aws_missing_threshold.json": (P, "'Alert Threshold' is missing"),
    "aws_non_numeric_amount.json": (P, "'Budgeted Amount' is not an amount: '$thirty'"),
    "aws_misgrouped_amount.json": (P, "'Budgeted Amount' is not a number: '$1,23,4.00'"),
    "aws_unknown_currency.json": (P, "unrecognised currency '¥'"),
    "aws_ri_utilization_budget.json": (U, "'RI Utilization' is not supported"),
    "aws_cost_anomaly_message.json": (U, "not an AWS Budgets notification"),
    "aws_bad_timestamp.json": (P, "Sns.Timestamp is not an ISO 8601 timestamp"),
    "aws_alert_type_unknown.json": (P, "'Alert Type' must be ACTUAL or FORECASTED"),
    # Google
    "gcp_bad_base64.json": (P, "message.data is not valid base64"),
    "gcp_data_not_json.json": (P, "message.data is not JSON"),
    "gcp_data_is_array.json": (P, "message.data must be a JSON object"),
    "gcp_missing_data.json": (P, "message.data is missing"),
    "gcp_missing_cost_amount.json": (P, "data.costAmount is missing"),
    "gcp_non_numeric_budget_amount.json": (P, "data.budgetAmount is not a number"),
    "gcp_boolean_threshold.json": (P, "data.alertThresholdExceeded must be a number"),
    "gcp_bad_interval_start.json": (P, "data.costIntervalStart is not an ISO 8601 timestamp"),
    "gcp_unknown_schema_version.json": (U, "unsupported schemaVersion '2.0'"),
    "gcp_storage_cloudevent.json": (U, "is not a Pub/Sub message"),
    # Azure
    "azure_unknown_schema_id.json": (U, "unknown Azure schemaId"),
    "azure_metric_alert.json": (U, "monitoringService 'Platform' is not a budget alert"),
    "azure_missing_alert_data.json": (P, "alertContext.AlertData is missing"),
    "azure_missing_budget_name.json": (P, "AlertData.BudgetName is missing"),
    "azure_bad_threshold_amount.json": (P, "AlertData.NotificationThresholdAmount is not"),
    "azure_unit_not_currency.json": (P, "AlertData.Unit must be an ISO 4217 currency code"),
    "azure_threshold_type_unknown.json": (P, "AlertData.ThresholdType must be Actual or"),
    "azure_bad_fired_date_time.json": (P, "essentials.firedDateTime is not an ISO 8601"),
    "azure_legacy_missing_budget.json": (P, "data.Budget is missing"),
}

FIXTURES = sorted(MALFORMED.iterdir())


def test_every_malformed_fixture_has_an_expectation() -> None:
    assert sorted(p.name for p in FIXTURES) == sorted(EXPECTED)


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.name)
def test_malformed_payload_raises_a_typed_error_naming_the_problem(fixture: Path) -> None:
    error, fragment = EXPECTED[fixture.name]

    with pytest.raises(PayloadError) as raised:
        parse_budget_event_text(fixture.read_bytes())

    assert type(raised.value) is error
    assert fragment in str(raised.value)
