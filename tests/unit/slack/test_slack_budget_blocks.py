"""The budget alert message: what people read and act on, within Block Kit's limits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    SectionBlock,
)

from costwarden.adapters.slack.budget_blocks import (
    format_mention,
    format_money,
    format_period,
    format_scope,
    render_budget_alert,
)
from costwarden.local.slack_wire import block_kit_problems
from costwarden.models.budget import BudgetAlert
from costwarden.models.notification import BudgetAlertMessage, CostDriver, Route

MessageFactory = Callable[..., BudgetAlertMessage]  # the ``make_message`` fixture (conftest.py)


def as_dicts(blocks: list[Block]) -> list[dict[str, Any]]:
    return [b.to_dict() for b in blocks]  # to_dict() runs slack-sdk's validators


def all_text(blocks: list[Block]) -> str:
    """Every piece of text in the message, in order, for "does it say X" assertions."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                out.append(node["text"])
            for key in ("text", "fields", "elements"):
                if isinstance(node.get(key), dict | list):
                    walk(node[key])
            if "url" in node:
                out.append(node["url"])
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(as_dicts(blocks))
    return "\n".join(out)


def of_type(blocks: list[Block], kind: type[Block]) -> list[Any]:
    return [b for b in blocks if isinstance(b, kind)]


def assert_within_block_kit_limits(blocks: list[Block]) -> None:
    for block in blocks:
        block.validate_json()  # raises SlackObjectFormationError past a limit
    dicts = as_dicts(blocks)
    assert len(dicts) <= 50
    # The same checks the local Slack server applies before it accepts a message.
    assert block_kit_problems(dicts) == []


# -- headline ----------------------------------------------------------------------------------
def test_header_says_which_budget_crossed_which_threshold(make_message: MessageFactory) -> None:
    _text, blocks = render_budget_alert(make_message())

    header = of_type(blocks, HeaderBlock)[0].text
    assert header.type == "plain_text"
    assert header.text == ":rotating_light: Budget prod-platform crossed 80% (actual)"


def test_forecast_alert_says_forecast_and_shows_forecast_amount(
    make_message: MessageFactory,
) -> None:
    text, blocks = render_budget_alert(
        make_message(threshold_kind="forecasted", threshold_percent=100.0)
    )

    header = of_type(blocks, HeaderBlock)[0].text.text
    assert header == ":chart_with_upwards_trend: Budget prod-platform forecast to cross 100%"
    assert "forecast *$11,250.00*" in all_text(blocks)
    assert "(112.5% of budget)" in all_text(blocks)
    assert text.startswith("Budget *prod-platform* forecast to cross 100%")


def test_threshold_without_percent_names_the_amount(make_message: MessageFactory) -> None:
    _text, blocks = render_budget_alert(
        make_message(threshold_percent=None, threshold_amount=Decimal("7500"))
    )

    assert "crossed its $7,500.00 threshold" in of_type(blocks, HeaderBlock)[0].text.text
    assert "*Threshold*\n$7,500.00 of actual" in all_text(blocks)


def test_fallback_text_carries_headline_numbers_and_mentions(
    make_message: MessageFactory,
) -> None:
    route = Route(channel="#platform-costs", mentions=("U012AB3CD", "here"))
    text, _blocks = render_budget_alert(make_message(route=route))

    assert text == (
        "Budget *prod-platform* crossed 80% (actual): spent $8,412.50 of $10,000.00 "
        "(84.1% of budget). <@U012AB3CD> <!here>"
    )


# -- the numbers and context people act on ----------------------------------------------------
def test_summary_shows_every_field_people_act_on(make_message: MessageFactory) -> None:
    _text, blocks = render_budget_alert(make_message())

    section = of_type(blocks, SectionBlock)[0]
    fields = [f.text for f in section.fields]
    assert fields == [
        "*Actual spend*\n$8,412.50 (84.1% of budget)",
        "*Budget*\n$10,000.00",
        "*Forecast*\n$11,250.00 (112.5% of budget)",
        "*Threshold*\n80% · $8,000.00 of actual",
        "*Period*\nNovember 2026, monthly",
        "*Scope*\nAWS account 123456789012",
    ]
    assert section.text.text.startswith(
        "*prod-platform*: spent *$8,412.50* of *$10,000.00* (84.1% of budget)."
    )
    assert "*Team:* platform" in section.text.text


def test_forecast_field_is_omitted_when_unknown(make_message: MessageFactory) -> None:
    _text, blocks = render_budget_alert(make_message(forecast_amount=None))

    assert "*Forecast*" not in all_text(blocks)


def test_alert_without_actual_amount_still_renders(make_message: MessageFactory) -> None:
    message = make_message(
        actual_amount=None,
        forecast_amount=None,
        threshold_percent=None,
        threshold_kind=None,
        period_start=None,
        period=None,
        scope=None,
        budget_id=None,
        console_url=None,
    )
    text, blocks = render_budget_alert(message)

    assert of_type(blocks, HeaderBlock)[0].text.text.endswith("crossed an alert threshold")
    assert "actual spend not stated" in text
    assert "*Scope*\nAWS (scope not stated)" in all_text(blocks)
    assert not of_type(blocks, ActionsBlock)
    assert_within_block_kit_limits(blocks)


def test_routine_status_update_is_not_worded_as_a_crossing(make_message: MessageFactory) -> None:
    _text, blocks = render_budget_alert(make_message(crossed=False, threshold_kind=None))

    header = of_type(blocks, HeaderBlock)[0].text.text
    assert header == ":bar_chart: Budget prod-platform status update"


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (Decimal("1234.5"), "USD", "$1,234.50"),
        (Decimal("1234567.891"), "USD", "$1,234,567.89"),
        (Decimal("1234.56"), "EUR", "1,234.56 EUR"),
        (Decimal("-12"), "USD", "-$12.00"),
        (Decimal("0"), "JPY", "0.00 JPY"),
        (Decimal("99.9"), None, "99.90"),
        # Half up, like apportion: half-even would show $2.00 over rows that add up to $2.01.
        (Decimal("2.005"), "USD", "$2.01"),
        (Decimal("0.125"), "EUR", "0.13 EUR"),
        (Decimal("-2.005"), "USD", "-$2.01"),
    ],
)
def test_money_has_thousands_separators_and_currency(
    amount: Decimal, currency: str | None, expected: str
) -> None:
    assert format_money(amount, currency) == expected


def test_usage_budget_shows_units_not_currency(make_message: MessageFactory) -> None:
    message = make_message(
        budget_type="usage",
        currency=None,
        unit="Hrs",
        budget_amount=Decimal("2000"),
        actual_amount=Decimal("1650.25"),
        forecast_amount=None,
        threshold_percent=75.0,
    )
    text, blocks = render_budget_alert(message)

    body = all_text(blocks)
    assert "*Actual usage*\n1,650.25 Hrs (82.5% of budget)" in body
    assert "*Budget*\n2,000 Hrs" in body
    assert "*Threshold*\n75% · 1,500 Hrs of actual" in body
    assert "used 1,650.25 Hrs of 2,000 Hrs" in text
    assert "$" not in body + text


@pytest.mark.parametrize(
    ("period_start", "period", "expected"),
    [
        (date(2026, 11, 1), "monthly", "November 2026, monthly"),
        (date(2026, 11, 3), "daily", "3 November 2026, daily"),
        (date(2026, 10, 1), "quarterly", "Q4 2026, quarterly"),
        (date(2026, 1, 1), "annually", "2026, annually"),
        (date(2026, 4, 1), "annually", "from 1 April 2026, annually"),
        (date(2026, 11, 3), "custom", "from 3 November 2026, custom period"),
        (date(2026, 11, 3), None, "from 3 November 2026"),
        (None, "monthly", "monthly"),
        (None, None, None),
    ],
)
def test_period_is_named_the_way_people_say_it(
    period_start: date | None, period: str | None, expected: str | None
) -> None:
    alert = BudgetAlert(
        provider="aws",
        budget_name="b",
        budget_amount=Decimal(1),
        crossed=True,
        period_start=period_start,
        period=period,  # type: ignore[arg-type]
    )
    assert format_period(alert) == expected


@pytest.mark.parametrize(
    ("provider", "scope", "expected"),
    [
        ("aws", "123456789012", "AWS account 123456789012"),
        ("gcp", "01A2B3-C4D5E6-F7G8H9", "Google Cloud billing account 01A2B3-C4D5E6-F7G8H9"),
        (
            "azure",
            "/subscriptions/00000000-0000-0000-0000-000000000001",
            "Azure subscription 00000000-0000-0000-0000-000000000001",
        ),
        (
            "azure",
            "/subscriptions/sub-1/resourceGroups/rg-data",
            "Azure resource group rg-data (subscription sub-1)",
        ),
        (
            "azure",
            "/providers/Microsoft.Billing/billingAccounts/1234:5678_2019-05-31",
            "Azure billing account 1234:5678_2019-05-31",
        ),
        (
            "azure",
            "/providers/Microsoft.Management/managementGroups/finance",
            "Azure management group finance",
        ),
        ("azure", "something-else", "Azure scope something-else"),
        ("gcp", None, "Google Cloud (scope not stated)"),
    ],
)
def test_scope_is_named_the_way_each_cloud_names_it(
    provider: str, scope: str | None, expected: str
) -> None:
    alert = BudgetAlert(
        provider=provider,  # type: ignore[arg-type]
        budget_name="b",
        budget_amount=Decimal(1),
        crossed=True,
        scope=scope,
    )
    assert format_scope(alert) == expected


# -- team and mentions -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("mention", "expected"),
    [
        ("U012AB3CD", "<@U012AB3CD>"),
        ("@U012AB3CD", "<@U012AB3CD>"),
        ("W012AB3CD", "<@W012AB3CD>"),
        ("S0PLATFORM", "<!subteam^S0PLATFORM>"),
        ("subteam^S0PLATFORM", "<!subteam^S0PLATFORM>"),
        ("here", "<!here>"),
        ("@here", "<!here>"),
        ("!here", "<!here>"),
        ("channel", "<!channel>"),
        ("<!subteam^S0PLATFORM|@platform>", "<!subteam^S0PLATFORM|@platform>"),
        # Plain names ping nobody in Slack any more: shown as text, never as a control sequence.
        ("@alice", "@alice"),
        ("a<b>&c", "a&lt;b&gt;&amp;c"),
    ],
)
def test_mentions_render_as_slack_syntax(mention: str, expected: str) -> None:
    assert format_mention(mention) == expected


def test_team_and_mentions_appear_in_the_summary(make_message: MessageFactory) -> None:
    route = Route(
        channel="#platform-costs", team="platform", mentions=("S0PLATFORM", "U012AB3CD", "@here")
    )
    _text, blocks = render_budget_alert(make_message(route=route))

    summary = of_type(blocks, SectionBlock)[0].text.text
    assert "*Team:* platform  ·  <!subteam^S0PLATFORM> <@U012AB3CD> <!here>" in summary


def test_budget_name_cannot_inject_slack_control_sequences(
    make_message: MessageFactory,
) -> None:
    text, blocks = render_budget_alert(make_message(budget_name="ops <!channel> & <@U999>"))

    for rendered in (text, of_type(blocks, SectionBlock)[0].text.text):
        assert "<!channel>" not in rendered
        assert "ops &lt;!channel&gt; &amp; &lt;@U999&gt;" in rendered
    # The header is plain_text: Slack shows it literally, so it is not escaped.
    assert "ops <!channel> & <@U999>" in of_type(blocks, HeaderBlock)[0].text.text


# -- cost drivers ------------------------------------------------------------------------------
def test_no_cost_data_omits_the_drivers_section(make_message: MessageFactory) -> None:
    _text, blocks = render_budget_alert(make_message(drivers=None))

    assert "Top cost drivers" not in all_text(blocks)
    assert not of_type(blocks, DividerBlock)


def test_empty_drivers_say_no_spend_recorded_yet(make_message: MessageFactory) -> None:
    _text, blocks = render_budget_alert(make_message(drivers=()))

    assert (
        "*Top cost drivers* in this scope this period\nNo spend recorded yet for this scope."
        in all_text(blocks)
    )


def test_drivers_list_amounts_of_the_scope_without_shares_of_the_budget(
    make_message: MessageFactory,
) -> None:
    drivers = (
        CostDriver("Amazon EC2", Decimal("5100"), "USD"),
        CostDriver("i-0abc123", Decimal("841.25"), "USD", kind="resource"),
        CostDriver("Sandbox account", Decimal("1200"), "EUR", kind="sub_account"),
    )
    _text, blocks = render_budget_alert(make_message(drivers=drivers))

    section = of_type(blocks, SectionBlock)[1].text.text
    assert section.splitlines() == [
        "*Top cost drivers* in this scope this period",
        # The scope's whole spend: a budget filtered to part of it would read 2,600% shares.
        "• Amazon EC2 — $5,100.00",
        "• i-0abc123 (resource) — $841.25",
        "• Sandbox account (sub-account) — 1,200.00 EUR",
    ]


def test_many_long_drivers_are_cut_to_fit_one_section(make_message: MessageFactory) -> None:
    drivers = tuple(
        CostDriver(f"service-{i}-" + "x" * 300, Decimal(1000 - i), "USD") for i in range(60)
    )
    _text, blocks = render_budget_alert(make_message(drivers=drivers))

    section = of_type(blocks, SectionBlock)[1].text.text
    assert len(section) <= 3000
    assert section.splitlines()[-1].startswith("…and ")
    assert "…" in section.splitlines()[1]  # names are truncated, visibly
    assert_within_block_kit_limits(blocks)


# -- link and context --------------------------------------------------------------------------
def test_button_opens_the_budget_in_the_console(make_message: MessageFactory) -> None:
    _text, blocks = render_budget_alert(make_message())

    button = of_type(blocks, ActionsBlock)[0].elements[0]
    assert button.url == "https://console.aws.amazon.com/billing/home#/budgets/details"
    assert button.text.text == "Open in AWS Budgets"


@pytest.mark.parametrize("url", [None, "javascript:alert(1)", "https://x.example/" + "a" * 3000])
def test_no_button_without_a_usable_console_url(
    make_message: MessageFactory, url: str | None
) -> None:
    _text, blocks = render_budget_alert(make_message(console_url=url))

    assert not of_type(blocks, ActionsBlock)


def test_context_names_provider_budget_id_dedup_key_and_rule(
    make_message: MessageFactory,
) -> None:
    message = make_message()
    _text, blocks = render_budget_alert(message)

    context = of_type(blocks, ContextBlock)[0].elements[0].text
    assert context == (
        "AWS · budget id `123456789012:prod-platform` · "
        f"dedup `{message.alert.dedup_key}` · routed by `team-platform`"
    )


# -- Block Kit limits --------------------------------------------------------------------------
def test_500_character_budget_name_stays_within_block_kit_limits(
    make_message: MessageFactory,
) -> None:
    name = "budget-" + "n" * 493
    route = Route(channel="#c", team="t" * 500, mentions=tuple(f"U{i:08d}" for i in range(40)))
    drivers = tuple(CostDriver("d" * 500, Decimal(10**9), "USD") for _ in range(40))
    message = make_message(budget_name=name, budget_id=name, route=route, drivers=drivers)

    text, blocks = render_budget_alert(message)

    header = of_type(blocks, HeaderBlock)[0].text.text
    assert len(header) <= 150
    assert header.startswith(":rotating_light: Budget budget-nnn")
    assert header.endswith("… crossed 80% (actual)")  # the name is cut, the threshold is not
    for section in of_type(blocks, SectionBlock):
        assert len(section.text.text) <= 3000
        assert len(section.fields or []) <= 10
        assert all(len(f.text) <= 2000 for f in section.fields or [])
    assert len(text) <= 3000
    assert_within_block_kit_limits(blocks)


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"threshold_kind": "forecasted", "threshold_percent": 100.0},
        {"provider": "azure", "scope": "/subscriptions/s/resourceGroups/rg", "currency": "EUR"},
        {"provider": "gcp", "scope": "01A2B3-C4D5E6-F7G8H9", "budget_id": None},
        {"budget_type": "usage", "currency": None, "unit": "GB-Mo"},
    ],
    ids=["aws-actual", "forecast", "azure-eur", "gcp", "usage"],
)
def test_every_variant_passes_slack_sdk_validation(
    make_message: MessageFactory, overrides: dict[str, Any]
) -> None:
    drivers = (CostDriver("Compute", Decimal("12.5"), "USD"),)
    message: BudgetAlertMessage = make_message(drivers=drivers, **overrides)

    _text, blocks = render_budget_alert(message)

    assert_within_block_kit_limits(blocks)
    assert [b.type for b in blocks][:2] == ["header", "section"]
    assert blocks[-1].type == "context"
