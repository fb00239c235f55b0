"""Budget routing: which Slack channel, team and mentions a ``BudgetAlert`` goes to.

Order: ``budgets.min_threshold_percent`` first (below it: nothing to post), then
``budgets.routes`` in file order (the first route whose matchers all match wins), then
``slack.default_channel``. Routing is total: every alert above the minimum gets a ``Route``.

Matching is case-insensitive throughout. Budget names are typed by people in three consoles
with three habits, and Azure resource ids (budget ids, scopes) are case-insensitive but come
back in mixed case (``resourceGroups`` vs ``resourcegroups``).
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from costwarden.models.budget import BudgetAlert
from costwarden.models.notification import Route
from costwarden.policy.schema import BudgetRoute, Policy

DEFAULT_RULE = "slack.default_channel"

# Azure scope path segments whose next segment is an id a policy author may write on its own.
_AZURE_ID_SEGMENTS = frozenset({"subscriptions", "billingaccounts", "managementgroups"})


def route_budget(policy: Policy, alert: BudgetAlert) -> Route | None:
    """Where ``alert`` goes, or None when it is below ``budgets.min_threshold_percent``.

    ``Route.rule`` names what matched, e.g. ``budgets.routes[2] (name 'prod-*')`` or
    ``slack.default_channel``; ``Route.mentions`` holds the policy's ids as written
    (``U…``, ``S…``, ``here``), for the notifier to render.
    """
    if below_minimum(policy, alert):
        return None
    for index, rule in enumerate(policy.budgets.routes):
        if route_matches(rule, alert):
            team = policy.teams[rule.team]
            return Route(
                channel=team.slack_channel or policy.slack.default_channel,
                team=rule.team,
                mentions=team.mentions,
                rule=f"budgets.routes[{index}] ({rule.describe()})",
            )
    return Route(
        channel=policy.slack.default_channel,
        team=None,
        mentions=policy.slack.default_mentions,
        rule=DEFAULT_RULE,
    )


def alert_percent(alert: BudgetAlert) -> float | None:
    """The threshold an alert crossed, in percent of its budget, when that can be known."""
    if alert.threshold_percent is not None:
        return alert.threshold_percent
    if alert.threshold_amount is not None and alert.budget_amount:
        return float(alert.threshold_amount / alert.budget_amount * 100)
    return None


def below_minimum(policy: Policy, alert: BudgetAlert) -> bool:
    """True only when the alert's threshold is *known* to be below the minimum.

    An alert whose threshold cannot be told (no percent, no amount) is routed: dropping what we
    cannot measure would look exactly like "no alert" to the people paying the bill.
    """
    minimum = policy.budgets.min_threshold_percent
    if minimum <= 0:
        return False
    percent = alert_percent(alert)
    return percent is not None and percent < minimum


def route_matches(rule: BudgetRoute, alert: BudgetAlert) -> bool:
    """True when every matcher the route sets matches the alert (an unset matcher matches all)."""
    if rule.provider is not None and rule.provider != alert.provider:
        return False
    if rule.name is not None and not _glob(alert.budget_name, rule.name):
        return False
    if rule.id is not None and (alert.budget_id or "").casefold() != rule.id.casefold():
        return False
    if rule.scope is not None:
        if alert.scope is None:
            return False
        return any(_glob(candidate, rule.scope) for candidate in scope_candidates(alert.scope))
    return True


def scope_candidates(scope: str) -> list[str]:
    """The texts a scope pattern is tried against.

    The scope itself; and for an Azure resource path such as
    ``/subscriptions/<sub>/resourceGroups/<rg>`` also each enclosing scope
    (``/subscriptions/<sub>``) and the bare subscription / billing account / management group
    id, so ``scope: "<sub>"`` catches every budget in that subscription, resource groups too.
    """
    candidates = [scope]
    if scope.startswith("/"):
        segments = [s for s in scope.split("/") if s]
        candidates += ["/" + "/".join(segments[:end]) for end in range(2, len(segments), 2)]
        candidates += [
            segments[i + 1]
            for i in range(len(segments) - 1)
            if segments[i].casefold() in _AZURE_ID_SEGMENTS
        ]
    return candidates


def _glob(text: str, pattern: str) -> bool:
    return fnmatchcase(text.casefold(), pattern.casefold())
