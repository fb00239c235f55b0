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
    assert sum(c.amount for c in digest.breakdown) == digest.month_to_date.quantize(Decimal("0.01"))
    assert digest.unallocated == third
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
