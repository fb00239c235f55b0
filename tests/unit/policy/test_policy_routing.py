"""Budget routing: minimum first, then routes in file order (first match wins), then default."""

from __future__ import annotations

from decimal import Decimal
from textwrap import dedent
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from costwarden.models.budget import BudgetAlert
from costwarden.models.notification import Route
from costwarden.policy import Policy, load_policy_text, route_budget

POLICY = load_policy_text(
    dedent(
        """\
        version: 1
        slack:
          default_channel: "#finops-alerts"
          default_mentions: ["S0FINOPS01"]
        teams:
          platform:
            slack_channel: "C0PLATFORM1"
            mentions: ["S0PLATFORM1", "here"]
          data:
            slack_channel: "#data-costs"
          web: {}
        budgets:
          routes:
            - {provider: aws, scope: 123456789012, name: "prod-*", team: platform}
            - {name: "prod-*", team: data}
            - {provider: azure, id: "/subscriptions/s1/budgets/b1", team: web}
            - {provider: azure, scope: "00000000-0000-0000-0000-000000000000", team: platform}
            - {provider: gcp, scope: "012345-6789AB-CDEF01", name: "analytics-??", team: data}
            - {scope: "/subscriptions/*/resourceGroups/web-*", team: web}
        """
    ),
    source="routing.yaml",
)


def alert(**overrides: Any) -> BudgetAlert:
    fields: dict[str, Any] = {
        "provider": "aws",
        "budget_name": "prod-compute",
        "scope": "123456789012",
        "budget_amount": Decimal(1000),
        "threshold_percent": 80.0,
        "threshold_kind": "actual",
        "crossed": True,
    }
    return BudgetAlert(**(fields | overrides))


def with_minimum(percent: float) -> Policy:
    budgets = POLICY.budgets.model_copy(update={"min_threshold_percent": percent})
    return POLICY.model_copy(update={"budgets": budgets})


def test_the_first_matching_route_wins() -> None:
    route = route_budget(POLICY, alert())

    assert route == Route(
        channel="C0PLATFORM1",
        team="platform",
        mentions=("S0PLATFORM1", "here"),
        rule="budgets.routes[0] (name 'prod-*', provider aws, scope '123456789012')",
    )


def test_a_later_route_catches_what_the_earlier_one_does_not() -> None:
    route = route_budget(POLICY, alert(scope="012345678901"))

    assert route is not None
    assert (route.team, route.channel, route.rule) == (
        "data",
        "#data-costs",
        "budgets.routes[1] (name 'prod-*')",
    )


def test_name_globs_match_case_insensitively() -> None:
    route = route_budget(POLICY, alert(budget_name="PROD-Compute"))

    assert route is not None
    assert route.team == "platform"


def test_the_provider_matcher_keeps_other_clouds_out() -> None:
    route = route_budget(POLICY, alert(provider="gcp", scope="123456789012"))

    assert route is not None
    assert route.rule == "budgets.routes[1] (name 'prod-*')"


def test_the_id_matcher_is_exact_but_ignores_case() -> None:
    budget_id = "/subscriptions/S1/budgets/B1"
    matched = route_budget(POLICY, alert(provider="azure", budget_name="b1", budget_id=budget_id))
    longer = route_budget(
        POLICY, alert(provider="azure", budget_name="b1", budget_id=budget_id + "0")
    )

    assert matched is not None
    assert matched.team == "web"
    assert longer is not None
    assert longer.rule == "slack.default_channel"


def test_a_bare_subscription_id_matches_azure_scopes_inside_it() -> None:
    sub = "00000000-0000-0000-0000-000000000000"
    for scope in (f"/subscriptions/{sub}", f"/subscriptions/{sub}/resourceGroups/rg-1"):
        route = route_budget(POLICY, alert(provider="azure", budget_name="team-x", scope=scope))
        assert route is not None
        assert route.rule == f"budgets.routes[3] (provider azure, scope '{sub}')"


def test_a_scope_glob_matches_the_whole_azure_path() -> None:
    scope = "/subscriptions/11111111-1111-1111-1111-111111111111/resourcegroups/WEB-shop"

    route = route_budget(POLICY, alert(provider="azure", budget_name="shop", scope=scope))

    assert route is not None
    assert (route.team, route.channel) == ("web", "#finops-alerts")  # web has no channel


def test_question_mark_globs_match_exactly_one_character() -> None:
    gcp = {"provider": "gcp", "scope": "012345-6789ab-cdef01"}

    hit = route_budget(POLICY, alert(budget_name="analytics-eu", **gcp))
    miss = route_budget(POLICY, alert(budget_name="analytics-emea", **gcp))

    assert hit is not None
    assert hit.team == "data"
    assert miss is not None
    assert miss.rule == "slack.default_channel"


def test_a_scope_matcher_never_matches_an_alert_without_scope() -> None:
    route = route_budget(POLICY, alert(provider="azure", budget_name="legacy", scope=None))

    assert route == Route(
        channel="#finops-alerts", team=None, mentions=("S0FINOPS01",), rule="slack.default_channel"
    )


def test_unmatched_budgets_go_to_the_default_channel() -> None:
    route = route_budget(POLICY, alert(budget_name="sandbox"))

    assert route == Route(
        channel="#finops-alerts", team=None, mentions=("S0FINOPS01",), rule="slack.default_channel"
    )


def test_alerts_below_the_minimum_threshold_are_not_routed() -> None:
    policy = with_minimum(80)

    assert route_budget(policy, alert(threshold_percent=50.0)) is None
    assert route_budget(policy, alert(threshold_percent=80.0)) is not None
    assert route_budget(policy, alert(threshold_percent=120.0)) is not None


def test_the_minimum_uses_the_threshold_amount_when_no_percent_is_given() -> None:
    policy = with_minimum(80)
    by_amount = {"threshold_percent": None, "budget_amount": Decimal(200)}

    assert route_budget(policy, alert(threshold_amount=Decimal(100), **by_amount)) is None
    assert route_budget(policy, alert(threshold_amount=Decimal(180), **by_amount)) is not None


def test_an_alert_whose_threshold_is_unknown_is_routed_whatever_the_minimum() -> None:
    route = route_budget(with_minimum(90), alert(threshold_percent=None))

    assert route is not None


def test_a_zero_minimum_routes_even_a_zero_percent_threshold() -> None:
    assert route_budget(POLICY, alert(threshold_percent=0.0)) is not None


# --- properties -------------------------------------------------------------------------------

names = st.text(alphabet="abcdefgprodPROD-_*?[]0123456789 ", min_size=1, max_size=20)
alerts = st.builds(
    BudgetAlert,
    provider=st.sampled_from(["aws", "azure", "gcp"]),
    budget_name=names,
    budget_id=st.none() | st.text(max_size=40),
    scope=st.none()
    | st.sampled_from(
        [
            "123456789012",
            "012345678901",
            "012345-6789AB-CDEF01",
            "/subscriptions/00000000-0000-0000-0000-000000000000",
            "/subscriptions/x/resourceGroups/web-1",
            "/",
            "//",
        ]
    )
    | st.text(max_size=30),
    budget_amount=st.decimals(min_value=0, max_value=10**9, places=2),
    threshold_amount=st.none() | st.decimals(min_value=0, max_value=10**9, places=2),
    threshold_percent=st.none() | st.floats(allow_nan=True, allow_infinity=True),
    crossed=st.booleans(),
)
minimums = st.sampled_from([0.0, 50.0, 100.0]) | st.floats(min_value=0, max_value=1e6)


@given(alert=alerts, minimum=minimums)
def test_routing_is_total_every_alert_gets_a_route_unless_below_the_minimum(
    alert: BudgetAlert, minimum: float
) -> None:
    policy = with_minimum(minimum)
    channels = {policy.slack.default_channel} | {
        t.slack_channel for t in policy.teams.values() if t.slack_channel
    }

    route = route_budget(policy, alert)

    percent = alert.threshold_percent
    if percent is None and alert.threshold_amount is not None and alert.budget_amount:
        percent = float(alert.threshold_amount / alert.budget_amount * 100)
    below = minimum > 0 and percent is not None and percent < minimum
    assert (route is None) == below
    if route is not None:
        assert route.channel in channels
        assert route.team is None or route.team in policy.teams
        assert route.rule == "slack.default_channel" or route.rule.startswith("budgets.routes[")
