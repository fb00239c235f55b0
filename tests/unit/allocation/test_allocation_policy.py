"""The ``allocation`` policy section: what it accepts, and every mistake reported with its line."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from costwarden.policy import PolicyError, load_policy, load_policy_text

REPO = Path(__file__).resolve().parents[3]

HEAD = """\
version: 1
slack:
  default_channel: "#finops-alerts"
teams:
  platform: {}
  data: {}
"""  # 6 lines: the allocation section starts on line 7


def _problems(allocation: str) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        load_policy_text(HEAD + allocation, source="p.yaml")
    return caught.value.problems


def test_a_full_allocation_section_loads_with_exact_numbers() -> None:
    policy = load_policy_text(
        HEAD
        + """\
allocation:
  currency: EUR
  team_tag:
    keys: [team, Team, owner-team]
    values: {"Platform Eng": platform}
  accounts:
    - account: 012345678901
      provider: aws
      team: platform
  shared:
    - name: network
      match: {account: "210987654321"}
      split: fixed
      percentages: {platform: 33.34, data: 66.66}
  budgets:
    platform: 12000.50
  overall_budget: 30000
  digest:
    channel: "#finops-digest"
    teams: [platform]
    top: 3
    chart: thread
"""
    )

    allocation = policy.allocation
    assert allocation is not None
    assert allocation.accounts[0].account == "012345678901"  # leading zero kept
    assert allocation.shared[0].percentages == {
        "platform": Decimal("33.34"),
        "data": Decimal("66.66"),
    }
    assert allocation.budgets == {"platform": Decimal("12000.50")}
    assert allocation.digest.chart == "thread"


def test_the_example_policy_file_is_valid_and_has_an_allocation_section() -> None:
    policy = load_policy(REPO / "policy.example.yaml")

    assert policy.allocation is not None
    assert policy.allocation.shared


def test_percentages_must_add_up_to_exactly_100() -> None:
    problems = _problems(
        """\
allocation:
  shared:
    - name: network
      match: {service: "VPC*"}
      split: fixed
      percentages: {platform: 33.33, data: 66.66}
"""
    )

    assert problems == [
        "p.yaml:12: allocation.shared[0].percentages: percentages must add up to 100, these "
        "add up to 99.99"
    ]


@pytest.mark.parametrize(
    ("rule", "line", "message"),
    [
        (
            "split: fixed",
            9,
            "allocation.shared[0]: split: fixed needs percentages (team: percent, summing to 100)",
        ),
        (
            "split: even\n      percentages: {platform: 100}",
            9,
            "allocation.shared[0]: percentages apply to split: fixed only (this rule splits even)",
        ),
        (
            "split: fixed\n      among: [data]\n      percentages: {platform: 100}",
            9,
            "allocation.shared[0]: split: fixed takes its teams from percentages: drop among",
        ),
        (
            "split: halves",
            11,
            "allocation.shared[0].split: must be one of 'proportional', 'even' or 'fixed', "
            "got 'halves'",
        ),
    ],
)
def test_split_settings_must_agree(rule: str, line: int, message: str) -> None:
    problems = _problems(
        f"""\
allocation:
  shared:
    - name: r
      match: {{service: x}}
      {rule}
"""
    )

    assert problems == [f"p.yaml:{line}: {message}"]


def test_every_team_named_in_the_section_must_exist() -> None:
    problems = _problems(
        """\
allocation:
  team_tag:
    values: {"Web Team": web}
  accounts:
    - {account: "a-project", team: webb}
  shared:
    - name: support
      match: {service: "Support*"}
      among: [platform, mobile]
  budgets:
    platfrom: 100
  digest:
    teams: [ghost]
"""
    )

    known = "(known: data, platform)"
    assert problems == [
        f"p.yaml:9: allocation.team_tag.values.Web Team: unknown team 'web' {known}",
        f"p.yaml:11: allocation.accounts[0].team: unknown team 'webb' {known}",
        f"p.yaml:15: allocation.shared[0].among[1]: unknown team 'mobile' {known}",
        f"p.yaml:17: allocation.budgets.platfrom: unknown team 'platfrom' {known}",
        f"p.yaml:19: allocation.digest.teams[0]: unknown team 'ghost' {known}",
    ]


def test_an_account_mapped_twice_and_a_rule_name_used_twice_are_reported() -> None:
    problems = _problems(
        """\
allocation:
  accounts:
    - {account: 012345678901, team: platform}
    - {account: "12345678901", team: data}
  shared:
    - {name: support, match: {service: "A*"}}
    - {name: support, match: {service: "B*"}}
"""
    )

    assert problems == [
        "p.yaml:10: allocation.accounts[1].account: account '12345678901' is already mapped "
        "by allocation.accounts[0]",
        "p.yaml:13: allocation.shared[1].name: rule name 'support' is already used by "
        "allocation.shared[0]",
    ]


def test_value_mistakes_are_reported_in_the_authors_words() -> None:
    problems = _problems(
        """\
allocation:
  currency: usd
  team_tag:
    keys: []
  shared:
    - name: nothing
      match: {}
  budgets:
    platform: "12000"
    data: 0
  overall_budget: 80%
  digest:
    top: 40
    bogus: 1
"""
    )

    assert problems == [
        "p.yaml:8: allocation.currency: 'usd' is not an ISO 4217 code such as USD or EUR",
        "p.yaml:10: allocation.team_tag.keys: must have at least 1 item(s)",
        "p.yaml:13: allocation.shared[0].match: a shared rule needs at least one selector: "
        "service, account, provider, charge_category or tag",
        "p.yaml:15: allocation.budgets.platform: expected a number, got the text '12000' "
        "(write it unquoted)",
        "p.yaml:16: allocation.budgets.data: must be more than 0, got 0",
        "p.yaml:17: allocation.overall_budget: expected a number, got the text '80%' "
        "(write 80, without the %)",
        "p.yaml:19: allocation.digest.top: must be 15 or less, got 40",
        "p.yaml:20: allocation.digest.bogus: unknown field 'bogus' (allowed: channel, chart, "
        "enabled, history_days, overall, teams, top)",
    ]
