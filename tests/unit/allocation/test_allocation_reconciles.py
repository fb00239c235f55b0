"""Allocated + unallocated == total cost, exactly, and still after rounding to cents."""

from __future__ import annotations

import tempfile
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from costwarden.focus.allocation import FocusAllocator
from costwarden.models.allocation import apportion, summarize
from unit.allocation.conftest import Allocate, policy_with
from unit.allocation.focus_parquet import cost_row, parquet_total, write_focus_parquet

START = date(2026, 11, 1)
RULES = """\
  accounts:
    - {account: "222222222222", team: web}
  shared:
    - name: support
      match: {service: "AWS Support*"}
    - name: tax
      match: {charge_category: Tax}
      split: even
    - name: network
      match: {service: "Shared VPC"}
      split: fixed
      percentages: {platform: 33.34, data: 33.33, web: 33.33}
"""
POLICY = policy_with(RULES)

# Costs as exports write them: up to 10 decimals, credits negative, some large.
amounts = st.decimals(
    min_value=Decimal("-500"), max_value=Decimal("100000"), places=10, allow_nan=False
)
rows = st.lists(
    st.builds(
        lambda day, cost, team, service, account: cost_row(
            START + timedelta(days=day),
            cost,
            team=team,
            service=service[0],
            category=service[1],
            account=account,
        ),
        st.integers(0, 3),
        amounts,
        st.sampled_from([None, "platform", "data", "web", "marketing"]),
        st.sampled_from(
            [
                ("Amazon Elastic Compute Cloud", "Usage"),
                ("AWS Support (Business)", "Usage"),
                ("Tax", "Tax"),
                ("Shared VPC", "Usage"),
            ]
        ),
        st.sampled_from(["111111111111", "222222222222"]),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows)
def test_every_cent_of_every_day_is_allocated_or_reported_unallocated(
    generated: list[dict[str, object]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = write_focus_parquet(Path(tmp) / "focus", generated)
        costs = FocusAllocator(root).allocated_costs(
            POLICY, start=START, end=START + timedelta(days=4)
        )
        expected = parquet_total(root)

    # Exact, at 1e-10: nothing is lost or created by the shared splits.
    assert costs.total("USD") == expected
    per_day: dict[date, Decimal] = defaultdict(Decimal)
    for row in generated:
        per_day[row["ChargePeriodStart"].date()] += row["EffectiveCost"]  # type: ignore[attr-defined]
    for day, amount in per_day.items():
        assert costs.total("USD", day, day + timedelta(days=1)) == amount

    summary = summarize(costs, "USD")
    parts = sum((t.total for t in summary.teams), Decimal(0)) + summary.unallocated_total
    assert parts == summary.total == expected

    # Rounded to cents, the rows still add up to the rounded total.
    rounded = summary.rounded()
    shown = sum((t.direct + t.shared for t in rounded.teams), Decimal(0))
    shown += sum((u.amount for u in rounded.unallocated), Decimal(0))
    assert shown == rounded.total == expected.quantize(Decimal("0.01"))


def test_three_way_split_of_a_dollar_rounds_to_cents_that_add_up(allocate: Allocate) -> None:
    day = date(2026, 11, 5)
    costs = allocate(
        [cost_row(day, "1", service="Tax", category="Tax")],
        "  shared:\n    - {name: tax, match: {charge_category: Tax}, split: even}\n",
    )

    rounded = summarize(costs, "USD").rounded()

    assert sorted(t.shared for t in rounded.teams) == [
        Decimal("0.33"),
        Decimal("0.33"),
        Decimal("0.34"),
    ]
    assert rounded.total == Decimal("1.00")


def test_apportion_hands_missing_cents_to_the_largest_remainders() -> None:
    parts = [Decimal("10.004"), Decimal("10.004"), Decimal("10.007"), Decimal("-0.005")]

    cents = apportion(sum(parts, Decimal(0)), parts)

    assert cents == [Decimal("10.00"), Decimal("10.00"), Decimal("10.01"), Decimal("0.00")]
    assert sum(cents, Decimal(0)) == Decimal("30.01")


def test_apportion_of_equal_thirds_gives_the_extra_cent_to_the_first() -> None:
    third = Decimal(100) / 3

    assert apportion(Decimal(100), [third, third, third]) == [
        Decimal("33.34"),
        Decimal("33.33"),
        Decimal("33.33"),
    ]
