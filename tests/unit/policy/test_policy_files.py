"""The policies shipped with costwarden load, and the default one routes the sample events."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from costwarden.models.budget import BudgetAlert
from costwarden.policy import default_policy, load_policy, route_budget

ROOT = Path(__file__).resolve().parents[3]
SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
EXPECTED_ALERTS = sorted((ROOT / "events").glob("*/budget*.expected.json"))


def sample_alerts() -> list[BudgetAlert]:
    alerts = []
    for path in EXPECTED_ALERTS:
        for item in json.loads(path.read_text(encoding="utf-8")):
            fields = {k: v for k, v in item.items() if k in BudgetAlert.model_fields}
            alerts.append(BudgetAlert.model_validate(fields))
    return alerts


def test_the_example_policy_loads() -> None:
    policy = load_policy(ROOT / "policy.example.yaml")

    assert policy.version == 1
    assert set(policy.teams) == {"platform", "data", "web"}
    assert policy.budgets.min_threshold_percent == 50
    # Written unquoted in the example, with its leading zero: kept as typed.
    assert policy.budgets.routes[1].scope == "012345678901"


def test_the_default_policy_loads_and_is_shared() -> None:
    policy = default_policy()

    assert policy.slack.default_channel == "#finops-alerts"
    assert default_policy() is policy


@pytest.mark.parametrize(
    ("provider", "name", "scope", "team"),
    [
        ("aws", "prod-account-monthly", "123456789012", "platform"),
        ("aws", "team-data-monthly", "123456789012", "data"),
        ("azure", "prod-subscription-monthly", f"/subscriptions/{SUBSCRIPTION}", "platform"),
        ("azure", "analytics-rg-monthly", "/subscriptions/x/resourceGroups/rg-analytics", "data"),
        ("gcp", "web-frontend-quarterly", "012345-6789AB-CDEF01", "web"),
        ("gcp", "team-data-monthly", "012345-6789AB-CDEF01", "data"),
        ("aws", "billingThree", "123456789012", None),
        ("gcp", "ml-training-eu", "012345-6789AB-CDEF01", None),
    ],
)
def test_the_default_policy_routes_team_budgets_and_leaves_the_rest_to_the_default(
    provider: str, name: str, scope: str, team: str | None
) -> None:
    alert = BudgetAlert(
        provider=provider,
        budget_name=name,
        scope=scope,
        budget_amount=100,
        threshold_percent=80.0,
        crossed=True,
    )

    route = route_budget(default_policy(), alert)

    assert route is not None
    assert route.team == team


@pytest.mark.skipif(not EXPECTED_ALERTS, reason="no sample events yet")
def test_the_sample_events_of_every_cloud_show_a_team_route_and_the_default() -> None:
    teams_by_provider: dict[str, set[str | None]] = defaultdict(set)
    for alert in sample_alerts():
        route = route_budget(default_policy(), alert)
        assert route is not None
        teams_by_provider[alert.provider].add(route.team)

    assert set(teams_by_provider) == {"aws", "azure", "gcp"}
    for provider, teams in teams_by_provider.items():
        assert teams - {None}, f"no {provider} sample is routed to a team"
    assert any(None in teams for teams in teams_by_provider.values())
