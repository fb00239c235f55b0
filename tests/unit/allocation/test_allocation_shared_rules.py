"""Shared costs: selectors, and the three split methods, to the last 1e-10."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest

from costwarden.models.allocation import AllocatedCosts
from unit.allocation.conftest import Allocate
from unit.allocation.focus_parquet import cost_row

DAY = date(2026, 11, 3)
NEXT = date(2026, 11, 4)


def _shared(costs: AllocatedCosts, day: date | None = None) -> dict[str, Decimal]:
    out: dict[str, Decimal] = defaultdict(Decimal)
    for line in costs.lines:
        if line.basis == "shared" and line.team and (day is None or line.day == day):
            out[line.team] += line.amount
    return dict(out)


def _rule(match: str, split: str = "", extra: str = "") -> str:
    text = f"  shared:\n    - name: the-rule\n      match: {match}\n"
    if split:
        text += f"      split: {split}\n"
    return text + extra


def test_proportional_split_follows_each_teams_direct_cost_that_day(allocate: Allocate) -> None:
    rows = [
        cost_row(DAY, "300", team="platform"),
        cost_row(DAY, "100", team="data"),
        cost_row(DAY, "40", service="AWS Support (Business)"),
        cost_row(NEXT, "10", team="web"),
        cost_row(NEXT, "10", service="AWS Support (Business)"),
    ]

    costs = allocate(rows, _rule('{service: "AWS Support*"}'))

    assert _shared(costs, DAY) == {"platform": Decimal(30), "data": Decimal(10)}
    assert _shared(costs, NEXT) == {"web": Decimal(10)}


def test_proportional_split_is_restricted_to_among(allocate: Allocate) -> None:
    rows = [
        cost_row(DAY, "100", team="platform"),
        cost_row(DAY, "100", team="data"),
        cost_row(DAY, "100", team="web"),
        cost_row(DAY, "9", service="Shared VPC", account="222222222222"),
    ]

    costs = allocate(
        rows, _rule('{account: "222222222222"}', extra="      among: [platform, data]\n")
    )

    assert _shared(costs) == {"platform": Decimal("4.5"), "data": Decimal("4.5")}


def test_even_split_gives_every_listed_team_a_share_even_without_direct_cost(
    allocate: Allocate,
) -> None:
    rows = [
        cost_row(DAY, "100", team="platform"),
        cost_row(DAY, "1", service="Tax", category="Tax"),
    ]

    costs = allocate(rows, _rule("{charge_category: Tax}", "even"))

    third = Decimal("0.3333333333")
    # The leftover 1e-10 goes to the largest remainder; a tie goes to the first team by name.
    assert _shared(costs) == {"data": third + Decimal("1E-10"), "platform": third, "web": third}
    assert sum(_shared(costs).values()) == Decimal(1)


def test_fixed_split_uses_the_percentages(allocate: Allocate) -> None:
    rows = [cost_row(DAY, "200", service="Datadog", tags={"cost-center": "Shared"})]
    rule = _rule(
        "{tag: {cost-center: shared}}",
        "fixed",
        "      percentages: {platform: 50, data: 37.5, web: 12.5}\n",
    )

    costs = allocate(rows, rule)

    assert _shared(costs) == {"platform": Decimal(100), "data": Decimal(75), "web": Decimal(25)}


def test_a_shared_credit_splits_with_its_sign(allocate: Allocate) -> None:
    rows = [
        cost_row(DAY, "30", team="platform"),
        cost_row(DAY, "10", team="data"),
        cost_row(DAY, "-8", service="AWS Support (Business)", category="Credit"),
    ]

    costs = allocate(rows, _rule('{service: "AWS Support*"}'))

    assert _shared(costs) == {"platform": Decimal(-6), "data": Decimal(-2)}


def test_a_pool_with_no_team_to_split_by_stays_unallocated_and_names_the_rule(
    allocate: Allocate,
) -> None:
    # Proportional on a day when no team has direct cost: nothing to weigh the split by.
    rows = [cost_row(DAY, "25", service="AWS Support (Business)"), cost_row(DAY, "5")]

    costs = allocate(rows, _rule('{service: "AWS Support*"}'))

    orphan = [line for line in costs.lines if line.reason == "no_split_basis"]
    assert [(line.rule, line.amount, line.team) for line in orphan] == [
        ("the-rule", Decimal(25), None)
    ]
    assert costs.total("USD") == Decimal(30)


def test_the_first_matching_rule_takes_the_cost(allocate: Allocate) -> None:
    rows = [cost_row(DAY, "10", service="AWS Support (Enterprise)")]
    rules = """\
  shared:
    - name: first
      match: {service: "AWS Support*"}
      split: fixed
      percentages: {web: 100}
    - name: second
      match: {provider: aws}
      split: fixed
      percentages: {data: 100}
"""

    costs = allocate(rows, rules)

    assert {(line.rule, line.team) for line in costs.lines} == {("first", "web")}


@pytest.mark.parametrize(
    ("match", "matched"),
    [
        ('{service: "amazon ec2"}', False),  # globs match the whole name
        ('{service: "amazon*compute*"}', True),  # case-insensitive
        ('{service: "Amazon [EF]lastic*"}', True),
        ('{service: "Amazon [!E]lastic*"}', False),
        ("{provider: azure}", False),
        ("{provider: aws, charge_category: Usage}", True),
        ('{account: "111111111111", tag: {env: prod}}', True),
        ("{tag: {env: prod, owner: nobody}}", False),  # every tag must match
    ],
)
def test_selectors(allocate: Allocate, match: str, matched: bool) -> None:
    rows = [cost_row(DAY, "10", tags={"env": "PROD"}), cost_row(DAY, "1", team="web")]

    costs = allocate(rows, _rule(match, "fixed", "      percentages: {data: 100}\n"))

    assert ("data" in _shared(costs)) is matched
