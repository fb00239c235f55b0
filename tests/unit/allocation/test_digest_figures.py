"""The digest's figures from allocated costs (pure: no DuckDB, no Slack)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from costwarden.models.allocation import AllocatedCost, AllocatedCosts, ResourceCost
from costwarden.models.digest import UNALLOCATED, CostLine
from costwarden.policy.allocation import AllocationSection
from costwarden.services.cost_digest import build_digest

DAY = date(2026, 11, 19)  # a Thursday; the month has 30 days
ALLOCATION = AllocationSection.model_validate(
    {"budgets": {"platform": 3000}, "overall_budget": 6000, "digest": {"top": 2}}
)


def line(day: date, amount: str, team: str | None = "platform", **kw: object) -> AllocatedCost:
    fields: dict[str, object] = {"service": "Amazon EC2", "currency": "USD"}
    fields.update(kw)
    if team is None:
        fields.setdefault("basis", "unallocated")
        fields.setdefault("reason", "untagged")
    return AllocatedCost(day=day, amount=Decimal(amount), team=team, **fields)  # type: ignore[arg-type]


def costs(*lines: AllocatedCost, through: date = DAY, **kw: object) -> AllocatedCosts:
    days = [item.day for item in lines]
    return AllocatedCosts(
        start=min([*days, DAY - timedelta(days=40)]),
        end=max([*days, DAY]) + timedelta(days=1),
        lines=lines,
        data_from=min(days) if days else None,
        data_through=through if days else None,
        **kw,  # type: ignore[arg-type]
    )


def daily(amount: str, days: int, team: str | None = "platform") -> list[AllocatedCost]:
    return [line(DAY - timedelta(days=n), amount, team) for n in range(days)]


def test_yesterday_is_compared_with_the_average_of_the_seven_days_before() -> None:
    data = costs(*daily("100", 8)[1:], line(DAY, "150"))

    digest = build_digest(data, team="platform", day=DAY, allocation=ALLOCATION)

    assert digest.yesterday == Decimal(150)
    assert digest.trailing_average == Decimal(100)
    assert digest.trailing_days == 7
    assert digest.change_percent == pytest.approx(50.0)


def test_the_trailing_average_covers_only_days_the_data_covers() -> None:
    data = costs(line(DAY - timedelta(days=2), "30"), line(DAY - timedelta(days=1), "10"))

    digest = build_digest(data, team="platform", day=DAY, allocation=ALLOCATION)

    assert digest.trailing_days == 2
    assert digest.trailing_average == Decimal(20)
    assert digest.yesterday == Decimal(0)  # the data reaches the day; the team spent nothing


def test_a_day_the_export_has_not_reached_yet_is_unknown_not_zero() -> None:
    data = costs(*daily("100", 19)[2:], through=DAY - timedelta(days=2))  # 1 to 17 November

    digest = build_digest(data, team="platform", day=DAY, allocation=ALLOCATION)

    assert digest.yesterday is None
    assert digest.days_covered == 17
    assert digest.month_to_date == Decimal(1700)
    assert digest.forecast == Decimal(3000)  # 100 a day over 30 days, not 1700 / 19 * 30


def test_month_to_date_budget_percent_pace_and_forecast() -> None:
    data = costs(*daily("100", 25))  # 19 November days + 6 October days

    digest = build_digest(data, team="platform", day=DAY, allocation=ALLOCATION)

    assert digest.month_to_date == Decimal(1900)
    assert digest.budget == Decimal(3000)
    assert digest.budget_percent == pytest.approx(1900 / 3000 * 100)
    assert digest.pace == Decimal(3000) * 19 / 30
    assert digest.forecast == Decimal(3000)
    assert [amount for _, amount in digest.month_daily] == [Decimal(100)] * 19


def test_on_the_first_of_the_month_the_digest_reports_the_whole_previous_month() -> None:
    last = date(2026, 10, 31)
    data = costs(*[line(last - timedelta(days=n), "10") for n in range(31)], through=last)

    digest = build_digest(data, team="platform", day=last, allocation=ALLOCATION)

    assert digest.month_to_date == Decimal(310)
    assert digest.days_covered == 31


def test_top_services_include_the_teams_share_of_shared_costs() -> None:
    data = costs(
        line(DAY, "500", service="EC2"),
        line(DAY, "300", service="RDS"),
        line(DAY, "40", service="Support", basis="shared", rule="support"),
        line(DAY, "900", service="RDS", team="data"),
        line(DAY, "5", service="S3"),
    )

    digest = build_digest(data, team="platform", day=DAY, allocation=ALLOCATION)

    assert digest.top_services == (CostLine("EC2", Decimal(500)), CostLine("RDS", Decimal(300)))
    assert digest.shared == Decimal(40)
    assert digest.shared_rules == ("support",)


def test_the_overall_breakdown_lists_teams_then_unallocated_adding_up_in_cents() -> None:
    third = Decimal(1) / 3
    data = costs(
        line(DAY, str(third), "platform"),
        line(DAY, str(third), "data"),
        line(DAY, str(third), None),
        line(DAY, "100", "web"),
    )

    digest = build_digest(data, team=None, day=DAY, allocation=ALLOCATION)

    assert [(c.name, c.amount) for c in digest.breakdown] == [
        ("web", Decimal("100.00")),
        ("data", Decimal("0.34")),
        ("platform", Decimal("0.33")),
        (UNALLOCATED, Decimal("0.33")),
    ]
    # The key figures are the breakdown's cents: "Unallocated" and the total never disagree
    # with the lines below them.
    assert sum(c.amount for c in digest.breakdown) == digest.month_to_date == Decimal("101.00")
    assert digest.unallocated == Decimal("0.33")
    assert digest.budget == Decimal(6000)


def test_the_overall_chart_is_stacked_by_team_and_keeps_unallocated_apart() -> None:
    data = costs(line(DAY, "5", "platform"), line(DAY, "7", None), line(DAY, "1", "data"))

    digest = build_digest(data, team=None, day=DAY, allocation=ALLOCATION)

    assert {(p.group, p.amount) for p in digest.daily} == {
        ("platform", Decimal(5)),
        ("data", Decimal(1)),
        (UNALLOCATED, Decimal(7)),
    }
    assert digest.chart_days()[0] == DAY - timedelta(days=29)


def test_a_team_chart_folds_small_services_into_other() -> None:
    services = [line(DAY, str(100 - n), service=f"svc-{n}") for n in range(8)]

    digest = build_digest(costs(*services), team="platform", day=DAY, allocation=ALLOCATION)

    groups = {p.group for p in digest.daily}
    assert groups == {"svc-0", "svc-1", "svc-2", "svc-3", "svc-4", "Other"}


def test_costs_in_other_currencies_are_named_not_added() -> None:
    data = costs(line(DAY, "10"), line(DAY, "99", currency="EUR"))

    digest = build_digest(data, team="platform", day=DAY, allocation=ALLOCATION)

    assert digest.month_to_date == Decimal(10)
    assert digest.other_currencies == (CostLine("EUR", Decimal(99)),)


def test_top_resources_come_from_the_teams_ranked_resources() -> None:
    resources = (
        ResourceCost("i-1", "api", "EC2", Decimal(9), "platform"),
        ResourceCost("i-2", None, "EC2", Decimal(8), "platform"),
        ResourceCost("i-3", None, "EC2", Decimal(7), "platform"),
        ResourceCost("db", None, "RDS", Decimal(50), "data"),
    )

    digest = build_digest(
        costs(line(DAY, "1"), resources=resources), team="platform", day=DAY, allocation=ALLOCATION
    )

    assert digest.top_resources == (
        CostLine("api", Decimal(9), "EC2"),
        CostLine("i-2", Decimal(8), "EC2"),
    )


def test_a_team_is_judged_by_its_own_providers_data_not_the_freshest_one() -> None:
    # AWS (platform) lags a day; GCP (data) is in through yesterday.
    data = costs(
        *[line(DAY - timedelta(days=n), "100", provider="aws") for n in range(1, 19)],
        *[line(DAY - timedelta(days=n), "50", "data", provider="gcp") for n in range(19)],
        data_through_by=(("aws", "USD", DAY - timedelta(days=1)), ("gcp", "USD", DAY)),
    )

    platform = build_digest(data, team="platform", day=DAY, allocation=ALLOCATION)
    team_data = build_digest(data, team="data", day=DAY, allocation=ALLOCATION)
    overall = build_digest(data, team=None, day=DAY, allocation=ALLOCATION)

    assert platform.yesterday is None  # not "$0.00, -100%"
    assert platform.data_through == DAY - timedelta(days=1)
    assert platform.days_covered == 18
    assert platform.forecast == Decimal(3000)
    assert team_data.yesterday == Decimal(50)
    assert overall.yesterday is None  # yesterday's AWS costs are not in yet
    assert overall.provider_data_through == (("aws", DAY - timedelta(days=1)), ("gcp", DAY))


def test_another_currencys_fresh_data_does_not_hide_a_lag() -> None:
    data = costs(
        *[line(DAY - timedelta(days=n), "100", provider="aws") for n in range(1, 19)],
        line(DAY, "50", "data", currency="EUR", provider="aws"),
        data_through_by=(("aws", "EUR", DAY), ("aws", "USD", DAY - timedelta(days=1))),
    )

    digest = build_digest(data, team="platform", day=DAY, allocation=ALLOCATION)

    assert digest.yesterday is None


def test_a_teams_figures_are_its_cents_of_the_overall_breakdown() -> None:
    third = Decimal(1) / 3
    data = costs(
        line(DAY, str(third), "platform", basis="shared", rule="support"),
        line(DAY, str(third), "data", basis="shared", rule="support"),
        line(DAY, str(third), "web", basis="shared", rule="support"),
    )

    overall = build_digest(data, team=None, day=DAY, allocation=ALLOCATION)
    per_team = {
        team: build_digest(data, team=team, day=DAY, allocation=ALLOCATION)
        for team in ("data", "platform", "web")
    }

    breakdown = {c.name: c.amount for c in overall.breakdown}
    assert {t: d.month_to_date for t, d in per_team.items()} == {t: breakdown[t] for t in per_team}
    assert {t: d.yesterday for t, d in per_team.items()} == {t: breakdown[t] for t in per_team}
    assert sum(d.month_to_date for d in per_team.values()) == overall.month_to_date == Decimal(1)


def test_days_without_any_cost_row_are_gaps_not_covered_days() -> None:
    # An export gap: no row at all for 5 to 10 November.
    data = costs(*[line(date(2026, 11, n), "100") for n in range(1, 20) if not 5 <= n <= 10])

    digest = build_digest(data, team="platform", day=DAY, allocation=ALLOCATION)

    assert digest.missing_days == tuple(date(2026, 11, n) for n in range(5, 11))
    assert digest.days_covered == 13
    assert digest.forecast == Decimal(3000)  # 100 a day with data, not 1300 / 19 * 30
