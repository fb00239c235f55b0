"""The digest's Slack blocks and chart, checked against Slack's limits and PNG's format."""

from __future__ import annotations

import struct
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from costwarden.adapters.slack.chart import money_label, render_digest_chart
from costwarden.adapters.slack.digest_blocks import chart_alt_text, render_digest
from costwarden.local.slack_wire import block_kit_problems
from costwarden.models.digest import UNALLOCATED, CostDigest, CostLine, DailyPoint, DigestMessage

DAY = date(2026, 11, 19)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def make_digest(**changes: Any) -> CostDigest:
    fields: dict[str, Any] = {
        "team": "platform",
        "currency": "USD",
        "day": DAY,
        "month_to_date": Decimal("9759.54"),
        "yesterday": Decimal("534.57"),
        "trailing_average": Decimal("523.94"),
        "trailing_days": 7,
        "budget": Decimal(16000),
        "shared": Decimal("284.74"),
        "top_services": (
            CostLine("Amazon EC2", Decimal("6430.05")),
            CostLine("AWS Support", Decimal("284.74"), shared=Decimal("284.74")),
        ),
        "top_resources": (CostLine("i-0abc", Decimal("6430.05"), "Amazon EC2"),),
        "daily": tuple(
            DailyPoint(DAY - timedelta(days=n), service, Decimal(amount))
            for n in range(30)
            for service, amount in (("Amazon EC2", 300 + n), ("Amazon RDS", 120), ("Other", 9))
        ),
        "month_daily": tuple((date(2026, 11, d), Decimal(510)) for d in range(1, 20)),
        "chart_start": DAY - timedelta(days=29),
        "data_through": DAY,
        "shared_rules": ("support",),
    }
    fields.update(changes)
    return CostDigest(**fields)


def _text(blocks: list[dict[str, Any]]) -> str:
    return repr(blocks)


def test_a_team_digest_shows_the_days_figures_within_block_kit_limits() -> None:
    text, blocks = render_digest(DigestMessage(make_digest(), "#platform-costs"))
    payload = [b.to_dict() for b in blocks]

    assert block_kit_problems(payload) == []
    assert payload[0]["text"]["text"] == ":bar_chart: Daily cost · platform · Thu 19 Nov 2026"
    body = _text(payload)
    assert "$534.57" in body
    assert "+2% vs 7-day average $523.94" in body
    assert "$9,759.54 (19 of 30 days)" in body
    assert "$16,000.00 · 61% used" in body
    assert "AWS Support — $284.74 (shared)" in body
    assert "`i-0abc` (Amazon EC2) — $6,430.05" in body
    assert text.startswith("Daily cost for team platform on Thu 19 Nov: $534.57 (+2%")


def test_the_overall_digest_lists_teams_and_the_unallocated_remainder_with_a_total() -> None:
    digest = make_digest(
        team=None,
        month_to_date=Decimal("100.00"),
        unallocated=Decimal("12.50"),
        breakdown=(
            CostLine("platform", Decimal("60.00")),
            CostLine("data", Decimal("27.50")),
            CostLine(UNALLOCATED, Decimal("12.50")),
        ),
    )

    text, blocks = render_digest(DigestMessage(digest, "#finops-alerts"))
    body = _text([b.to_dict() for b in blocks])

    assert "• platform — $60.00 (60%)" in body
    assert "• _Unallocated_ — $12.50 (12.5%)" in body
    assert "*Total* — $100.00" in body
    assert "*Unallocated*\\n$12.50 (12.5%)" in body
    assert "unallocated $12.50" in text


def test_a_day_without_data_says_so_instead_of_showing_zero() -> None:
    digest = make_digest(yesterday=None, data_through=DAY - timedelta(days=2))

    text, blocks = render_digest(DigestMessage(digest, "#c"))

    assert "no cost data yet (latest: Tue 17 Nov)" in _text([b.to_dict() for b in blocks])
    assert "no cost data for that day yet" in text


def test_free_text_names_are_escaped_and_cut_to_fit() -> None:
    hostile = "<!channel> " + "x" * 500
    digest = make_digest(
        top_services=tuple(CostLine(f"{hostile}{n}", Decimal(n)) for n in range(15)),
        top_resources=tuple(CostLine("`" + hostile, Decimal(1), hostile) for _ in range(15)),
        other_currencies=(CostLine("EUR", Decimal("12")),),
    )

    _, blocks = render_digest(DigestMessage(digest, "#c"))
    payload = [b.to_dict() for b in blocks]

    assert block_kit_problems(payload) == []
    assert "<!channel>" not in _text(payload)
    assert "12.00 EUR" in _text(payload)


def test_the_chart_is_a_png_of_about_a_thousand_pixels_wide() -> None:
    png = render_digest_chart(make_digest())

    assert png.startswith(PNG_MAGIC)
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk
    assert (width, height) == (1000, 620)
    assert len(png) > 20_000


def test_the_same_digest_renders_the_same_bytes() -> None:
    assert render_digest_chart(make_digest()) == render_digest_chart(make_digest())


@pytest.mark.parametrize(
    "changes",
    [
        {"budget": None},  # no burn-up panel
        {"daily": (), "month_daily": (), "yesterday": None, "data_through": None},
        {"daily": (DailyPoint(DAY, "Credits $ refunds", Decimal(-40)),)},
        {"currency": "EUR", "team": None},
    ],
    ids=["no-budget", "no-data", "negative", "euro-overall"],
)
def test_the_chart_renders_edge_cases(changes: dict[str, Any]) -> None:
    png = render_digest_chart(make_digest(**changes))

    assert png.startswith(PNG_MAGIC)
    assert len(png) > 5_000


def test_money_on_the_axis_escapes_the_dollar_sign_for_matplotlib() -> None:
    assert money_label(1500, "USD") == "\\$1,500"
    assert money_label(25_000, "USD") == "\\$25.0k"
    assert money_label(-20, "EUR") == "-€20"
    assert money_label(3, "CHF") == "3 CHF"


def test_the_chart_has_alt_text_for_screen_readers() -> None:
    alt = chart_alt_text(make_digest())

    assert alt.startswith("Bar chart of the daily cost of team platform in USD")
    assert len(alt) <= 1000


def test_an_export_gap_is_named_next_to_the_month_to_date() -> None:
    gap = (*[date(2026, 11, d) for d in range(5, 11)], date(2026, 11, 14))
    digest = make_digest(missing_days=gap)

    text, blocks = render_digest(DigestMessage(digest, "#platform-costs"))

    body = _text([b.to_dict() for b in blocks])
    assert "(12 of 30 days)" in body
    assert ":warning: no cost data for 5-10 Nov, 14 Nov" in body
    assert text.endswith("· no cost data for 5-10 Nov, 14 Nov")


def test_providers_whose_data_ends_on_different_days_are_named() -> None:
    digest = make_digest(
        yesterday=None,
        data_through=DAY - timedelta(days=1),
        provider_data_through=(("aws", DAY - timedelta(days=1)), ("gcp", DAY)),
    )

    _, blocks = render_digest(DigestMessage(digest, "#platform-costs"))

    body = _text([b.to_dict() for b in blocks])
    assert "no cost data yet (latest: Wed 18 Nov)" in body
    assert "FOCUS cost data through Wed 18 Nov (aws Wed 18 Nov, gcp Thu 19 Nov)" in body


def test_the_month_to_date_and_the_breakdown_total_round_alike() -> None:
    # $2.005 month to date: half-even formatting would say $2.00 above a total of $2.01.
    digest = make_digest(
        team=None,
        month_to_date=Decimal("2.005"),
        breakdown=(CostLine("platform", Decimal("2.01")), CostLine(UNALLOCATED, Decimal(0))),
    )

    _, blocks = render_digest(DigestMessage(digest, "#finops-alerts"))

    body = _text([b.to_dict() for b in blocks])
    assert "*Month to date*\\n$2.01" in body
    assert "*Total* — $2.01" in body
