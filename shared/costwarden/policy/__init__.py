"""The policy file: schema, loader, budget routing, and the scheduling sections.

One YAML file configures a costwarden deployment (``docs/policy.md`` is its reference). It is
data: the CLI, CI checks and every cloud function load the same file with ``load_policy``.
"""

from costwarden.errors import PolicyError
from costwarden.policy.loader import default_policy, load_policy, load_policy_text
from costwarden.policy.routing import route_budget
from costwarden.policy.scheduling import (
    SafetySection,
    Schedule,
    SchedulingSection,
    Selector,
    TargetsSection,
)
from costwarden.policy.schema import (
    SUPPORTED_VERSIONS,
    BudgetRoute,
    BudgetsSection,
    Policy,
    SlackSettings,
    Team,
)

__all__ = [
    "SUPPORTED_VERSIONS",
    "BudgetRoute",
    "BudgetsSection",
    "Policy",
    "PolicyError",
    "SafetySection",
    "Schedule",
    "SchedulingSection",
    "Selector",
    "SlackSettings",
    "TargetsSection",
    "Team",
    "default_policy",
    "load_policy",
    "load_policy_text",
    "route_budget",
]
