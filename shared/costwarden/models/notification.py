"""What the core hands a notifier: the alert plus routing and cost context, no Slack types."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from costwarden.models.budget import BudgetAlert


@dataclass(frozen=True)
class CostDriver:
    """One line of "where the money went" for an alert's scope and period."""

    name: str
    amount: Decimal
    currency: str
    kind: Literal["service", "resource", "sub_account"] = "service"


@dataclass(frozen=True)
class Route:
    """Where an alert goes and why (``rule`` names the policy entry that matched)."""

    channel: str
    team: str | None = None
    mentions: tuple[str, ...] = ()
    rule: str = "default"


@dataclass(frozen=True)
class BudgetAlertMessage:
    """Everything needed to render one budget alert message.

    ``drivers`` is None when no cost data is available (the message omits the section) and an
    empty tuple when data exists but shows no spend. ``thread_ts`` is set when an earlier
    threshold of the same budget period already has a message: the new one replies there.
    """

    alert: BudgetAlert
    route: Route
    drivers: tuple[CostDriver, ...] | None = None
    thread_ts: str | None = None


@dataclass(frozen=True)
class PostedMessage:
    """Slack's answer: the channel id and the message timestamp (its id)."""

    channel: str
    ts: str
