"""Money and percent parsing (``costwarden.normalize.budget.amounts``), with properties."""

from __future__ import annotations

import base64
import contextlib
import json
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from costwarden.errors import PayloadError
from costwarden.normalize.budget import from_sns_message, parse_budget_event
from costwarden.normalize.budget.amounts import (
    parse_json_amount,
    parse_money,
    parse_number,
    percent_of,
)
from unit.normalize.budget_fixture_paths import load_event

CENTS = st.decimals(min_value=0, max_value=Decimal("999999999.99"), places=2)


@pytest.mark.parametrize(
    ("text", "amount", "label"),
    [
        ("$36.69", "36.69", "$"),
        ("$11,111.00", "11111.00", "$"),
        ("$1111.11", "1111.11", "$"),
        ("$0.5", "0.5", "$"),
        ("8000.0", "8000.0", None),
        ("-$3.10", "-3.10", "$"),
        ("$-3.10", "-3.10", "$"),
        ("750.00 Hrs", "750.00", "Hrs"),
        ("USD 5", "5", "USD"),
        ("30.00 EUR", "30.00", "EUR"),
        ("€1.234,56", "1234.56", "€"),
        ("50,00 €", "50.00", "€"),
        ("1 234,56 €", "1234.56", "€"),
        ("$1,234,567.89", "1234567.89", "$"),
    ],
)
def test_amount_formats_the_providers_write_are_parsed_exactly(
    text: str, amount: str, label: str | None
) -> None:
    money = parse_money(text, field="x")

    assert (money.amount, money.label) == (Decimal(amount), label)
    assert str(money.amount) == str(Decimal(amount))  # exact, trailing zeros kept


@pytest.mark.parametrize(
    "text", ["1,2345", "12.34.56", "1.234,567", "1,,000", "", "abc", "$", "1e3"]
)
def test_ambiguous_or_malformed_numbers_are_refused(text: str) -> None:
    with pytest.raises(PayloadError):
        parse_money(text, field="x")


def test_dot_grouping_without_a_decimal_comma_reads_as_english() -> None:
    # "1.234" could be German for 1234; English (what the providers write) wins.
    assert parse_number("1.234", field="x") == Decimal("1.234")


@pytest.mark.parametrize(
    ("label", "currency"),
    [
        ("$", "USD"),
        ("US$", "USD"),
        ("€", "EUR"),
        ("£", "GBP"),
        ("CHF", "CHF"),
        ("¥", None),
        ("Hrs", None),
    ],
)
def test_only_unambiguous_labels_map_to_a_currency(label: str, currency: str | None) -> None:
    assert parse_money(f"{label}10.00", field="x").currency == currency


@pytest.mark.parametrize("value", [True, None, [1], {"a": 1}, float("nan"), float("inf")])
def test_json_amounts_must_be_finite_numbers(value: object) -> None:
    with pytest.raises(PayloadError):
        parse_json_amount(value, field="x")


def test_json_float_keeps_its_written_digits() -> None:
    assert parse_json_amount(5860.14, field="x") == Decimal("5860.14")


def test_percent_of_a_zero_budget_is_none() -> None:
    assert percent_of(Decimal("1.00"), Decimal("0")) is None


@given(amount=CENTS)
def test_thousands_separated_dollar_amounts_round_trip_exactly(amount: Decimal) -> None:
    money = parse_money(f"${amount:,.2f}", field="x")

    assert money.amount == amount
    assert money.currency == "USD"


@given(amount=CENTS)
def test_decimal_comma_amounts_round_trip_exactly(amount: Decimal) -> None:
    german = f"{amount:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")

    assert parse_money(f"{german} €", field="x").amount == amount


@given(
    budget=st.decimals(min_value=1, max_value=Decimal("99999999.99"), places=2),
    percent=st.integers(min_value=1, max_value=1000),
)
def test_whole_percent_thresholds_are_recovered_from_the_rounded_amounts(
    budget: Decimal, percent: int
) -> None:
    # What AWS/Azure display: the threshold amount rounded to cents.
    shown = (budget * percent / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    assert percent_of(shown, budget) == float(percent)


@given(
    budget=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999.99"), places=2),
    threshold=CENTS,
)
def test_computed_percent_reproduces_the_displayed_threshold(
    budget: Decimal, threshold: Decimal
) -> None:
    percent = percent_of(threshold, budget)

    assert percent is not None
    redisplayed = (budget * Decimal(str(percent)) / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
    # Within the display's own rounding: never further off than a cent plus the 2-dp fallback.
    assert abs(redisplayed - threshold) <= Decimal("0.01") + budget / 10000


@given(budget=CENTS.filter(lambda d: d > 0), actual=CENTS)
def test_aws_amounts_with_separators_survive_the_whole_notification(
    budget: Decimal, actual: Decimal
) -> None:
    sns = load_event("aws/budget_thousands_separators.json")["Records"][0]["Sns"]
    text = (
        sns["Message"]
        .replace("$12,500.00", f"${budget:,.2f}")
        .replace("$11,734.56", f"${actual:,.2f}")
    )

    alert = from_sns_message(subject=None, message=text)

    assert (alert.budget_amount, alert.actual_amount) == (budget, actual)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "Records",
                    "Sns",
                    "Message",
                    "schemaId",
                    "data",
                    "message",
                    "attributes",
                    "specversion",
                    "type",
                    "essentials",
                    "alertContext",
                    "AlertData",
                    "context",
                    "EventSource",
                    "monitoringService",
                    "BudgetName",
                    "Timestamp",
                    "eventType",
                ]
            )
            | st.text(max_size=8),
            inner,
            max_size=5,
        )
    ),
    max_leaves=25,
)


@given(payload=JSON)
def test_arbitrary_json_only_ever_raises_payload_errors(payload: Any) -> None:
    with contextlib.suppress(PayloadError):
        parse_budget_event(payload)


@given(text=st.text(max_size=400))
def test_arbitrary_sns_text_only_ever_raises_payload_errors(text: str) -> None:
    with contextlib.suppress(PayloadError):
        from_sns_message(subject=None, message=text)


@given(
    mutation=st.text(max_size=30),
    field=st.sampled_from(
        [
            "BudgetThreshold",
            "NotificationThresholdAmount",
            "SpentAmount",
            "Unit",
            "BudgetStartDate",
            "ThresholdType",
            "BudgetType",
            "Scope",
        ]
    ),
)
def test_mutated_azure_fields_only_ever_raise_payload_errors(mutation: str, field: str) -> None:
    body = json.loads(json.dumps(load_event("azure/budget_common_actual.json")))
    body["data"]["alertContext"]["AlertData"][field] = mutation
    with contextlib.suppress(PayloadError):
        parse_budget_event(body)


JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)


@given(
    value=JSON_SCALARS | st.lists(JSON_SCALARS, max_size=2),
    field=st.sampled_from(
        [
            "budgetDisplayName",
            "costAmount",
            "budgetAmount",
            "currencyCode",
            "costIntervalStart",
            "alertThresholdExceeded",
            "forecastThresholdExceeded",
        ]
    ),
)
def test_mutated_google_fields_only_ever_raise_payload_errors(value: Any, field: str) -> None:
    event = load_event("gcp/budget_push_body.json")
    body = json.loads(base64.b64decode(event["message"]["data"]))
    body[field] = value
    event["message"]["data"] = base64.b64encode(json.dumps(body).encode()).decode()
    with contextlib.suppress(PayloadError):
        parse_budget_event(event)


def test_non_string_background_event_type_is_a_payload_error() -> None:
    # Found by the JSON property above: ``in frozenset`` on a list raised TypeError.
    with pytest.raises(PayloadError, match=r"context\.eventType must be a string"):
        parse_budget_event({"eventType": []})


def test_absurdly_large_amounts_are_refused_before_any_arithmetic() -> None:
    # Found by the Azure property above: a 29-digit amount overflowed the decimal context.
    with pytest.raises(PayloadError, match="implausibly large"):
        parse_money("10000000000000000000000000000", field="x")
    with pytest.raises(PayloadError, match="implausibly large"):
        parse_json_amount(10**30, field="x")
