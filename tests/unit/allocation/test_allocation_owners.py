"""Who owns a cost: shared rule, then team tag (keys in order, values case-insensitive), then the
account mapping, else unallocated with its reason."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from costwarden.models.allocation import AllocatedCosts, summarize
from unit.allocation.conftest import Allocate
from unit.allocation.focus_parquet import cost_row

DAY = date(2026, 11, 3)


def _by_team(
    costs: AllocatedCosts,
) -> tuple[dict[str, Decimal], dict[tuple[str, str | None], Decimal]]:
    summary = summarize(costs, "USD")
    teams = {t.team: t.total for t in summary.teams}
    unallocated = {(u.reason, u.detail): u.amount for u in summary.unallocated}
    return teams, unallocated


def test_the_first_team_tag_key_present_wins_and_values_match_case_insensitively(
    allocate: Allocate,
) -> None:
    rows = [
        cost_row(DAY, "10", tags={"team": "platform", "Team": "data"}),
        cost_row(DAY, "20", tags={"Team": "DATA"}),
        cost_row(DAY, "30", tags={"owner-team": " Web "}),
    ]

    teams, unallocated = _by_team(
        allocate(rows, "  team_tag:\n    keys: [team, Team, owner-team]\n")
    )

    assert teams == {"platform": Decimal(10), "data": Decimal(20), "web": Decimal(30)}
    assert unallocated == {}


def test_an_empty_tag_value_falls_through_to_the_next_key(allocate: Allocate) -> None:
    rows = [cost_row(DAY, "5", tags={"team": "  ", "Team": "web"})]

    teams, _ = _by_team(allocate(rows, "  team_tag: {keys: [team, Team]}\n"))

    assert teams == {"web": Decimal(5)}


def test_tag_value_aliases_name_teams_spelled_differently(allocate: Allocate) -> None:
    rows = [cost_row(DAY, "7", team="Platform Engineering")]

    teams, _ = _by_team(
        allocate(rows, '  team_tag:\n    values: {"platform engineering": platform}\n')
    )

    assert teams == {"platform": Decimal(7)}


def test_a_tag_value_that_names_no_team_is_unallocated_and_names_the_value(
    allocate: Allocate,
) -> None:
    rows = [cost_row(DAY, "12.5", team="marketing"), cost_row(DAY, "1", team="platform")]

    teams, unallocated = _by_team(allocate(rows))

    assert teams == {"platform": Decimal(1)}
    assert unallocated == {("unknown_team", "marketing"): Decimal("12.5")}


def test_untagged_costs_fall_back_to_the_account_mapping(allocate: Allocate) -> None:
    rows = [
        cost_row(DAY, "3", account="012345678901"),  # AWS id with its leading zero
        cost_row(DAY, "4", provider="azure", account="/subscriptions/AAAA-1111"),
        cost_row(DAY, "6", provider="gcp", account="web-prod-project"),
        cost_row(DAY, "8", account="999999999999"),  # not mapped
    ]
    mapping = """\
  accounts:
    - {account: 012345678901, provider: aws, team: platform}
    - {account: "aaaa-1111", team: data}
    - {account: "web-prod-project", provider: gcp, team: web}
"""

    teams, unallocated = _by_team(allocate(rows, mapping))

    assert teams == {"platform": Decimal(3), "data": Decimal(4), "web": Decimal(6)}
    assert unallocated == {("untagged", None): Decimal(8)}


def test_an_account_mapping_for_another_provider_does_not_apply(allocate: Allocate) -> None:
    rows = [cost_row(DAY, "9", provider="gcp", account="shared-123")]

    _teams, unallocated = _by_team(
        allocate(rows, "  accounts:\n    - {account: shared-123, provider: azure, team: data}\n")
    )

    assert unallocated == {("untagged", None): Decimal(9)}


def test_a_team_tag_beats_the_account_mapping(allocate: Allocate) -> None:
    rows = [cost_row(DAY, "2", account="111111111111", team="web")]

    teams, _ = _by_team(allocate(rows, "  accounts:\n    - {account: 111111111111, team: data}\n"))

    assert teams == {"web": Decimal(2)}


def test_a_shared_rule_beats_the_team_tag(allocate: Allocate) -> None:
    rows = [
        cost_row(DAY, "100", team="platform"),
        cost_row(DAY, "6", service="AWS Support (Business)", team="platform"),
    ]
    rule = """\
  shared:
    - name: support
      match: {service: "AWS Support*"}
      split: even
      among: [platform, data]
"""

    costs = allocate(rows, rule)

    shared = {(line.team, line.amount) for line in costs.lines if line.basis == "shared"}
    assert shared == {("platform", Decimal(3)), ("data", Decimal(3))}


def test_without_an_allocation_section_the_team_tag_is_read_from_team(
    allocate: Allocate,
) -> None:
    rows = [cost_row(DAY, "1", team="data"), cost_row(DAY, "2", tags={"Team": "data"})]

    teams, unallocated = _by_team(allocate(rows))

    assert teams == {"data": Decimal(1)}
    assert unallocated == {("untagged", None): Decimal(2)}


def test_rows_outside_the_window_are_left_out(allocate: Allocate) -> None:
    rows = [
        cost_row(date(2026, 10, 31), "1", team="data"),
        cost_row(date(2026, 11, 1), "2", team="data"),
        cost_row(date(2026, 11, 30), "4", team="data"),
        cost_row(date(2026, 12, 1), "8", team="data"),
    ]

    costs = allocate(rows, start=date(2026, 11, 1), end=date(2026, 12, 1))

    assert costs.total("USD") == Decimal(6)
    assert (costs.data_from, costs.data_through) == (date(2026, 11, 1), date(2026, 11, 30))


def test_each_currency_is_allocated_on_its_own(allocate: Allocate) -> None:
    rows = [
        cost_row(DAY, "10", team="data"),
        cost_row(DAY, "7", team="data", currency="EUR", provider="azure"),
    ]

    costs = allocate(rows)

    assert costs.currencies() == ("EUR", "USD")
    assert (costs.total("USD"), costs.total("EUR")) == (Decimal(10), Decimal(7))


def test_top_resources_rank_direct_costs_per_team_and_unallocated(allocate: Allocate) -> None:
    rows = [
        cost_row(DAY, "50", team="data", resource="i-big", resource_name="etl"),
        cost_row(DAY, "5", team="data", resource="i-small"),
        cost_row(DAY, "9", team="data", resource="i-mid"),
        cost_row(DAY, "40", resource="i-orphan"),
        cost_row(DAY, "-3", team="data", resource="i-credit"),
    ]

    costs = allocate(rows, top=2)

    data = [(r.resource_id, r.name, r.amount) for r in costs.resources if r.team == "data"]
    orphans = [r.resource_id for r in costs.resources if r.team is None]
    assert data == [("i-big", "etl", Decimal(50)), ("i-mid", None, Decimal(9))]
    assert orphans == ["i-orphan"]
    assert [r.resource_id for r in costs.overall_resources] == ["i-big", "i-orphan"]


def test_a_misspelt_team_tag_in_a_mapped_account_is_reported_not_covered(
    allocate: Allocate,
) -> None:
    # The tag is set, so its owner means that value: the account mapping is for untagged costs.
    rows = [
        cost_row(DAY, "40", team="plattform", account="222222222222"),
        cost_row(DAY, "5", account="222222222222"),
    ]

    teams, unallocated = _by_team(
        allocate(rows, "  accounts:\n    - {account: '222222222222', team: web}\n")
    )

    assert teams == {"web": Decimal(5)}
    assert unallocated == {("unknown_team", "plattform"): Decimal(40)}


def test_the_last_day_of_data_is_known_per_provider_and_currency(allocate: Allocate) -> None:
    rows = [
        cost_row(date(2026, 11, 18), "1", team="platform"),
        cost_row(date(2026, 11, 19), "2", team="data", provider="gcp"),
        cost_row(date(2026, 11, 19), "3", team="platform", currency="EUR"),
    ]

    costs = allocate(rows)

    assert costs.data_through == date(2026, 11, 19)
    assert costs.data_through_by == (
        ("aws", "EUR", date(2026, 11, 19)),
        ("aws", "USD", date(2026, 11, 18)),
        ("gcp", "USD", date(2026, 11, 19)),
    )
    assert costs.data_through_for("USD", {"aws"}) == date(2026, 11, 18)
    assert costs.data_through_for("USD") == date(2026, 11, 18)  # every provider's
    assert {(line.team, line.provider) for line in costs.lines if line.currency == "USD"} == {
        ("platform", "aws"),
        ("data", "gcp"),
    }
