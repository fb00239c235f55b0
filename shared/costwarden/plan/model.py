"""The plan every destructive feature shares: a list of actions, each with its target, reason
and estimated saving, plus what was skipped and why.

Applying a plan is the only place the cloud changes; dry-run publishes the plan and applies
nothing. The JSON form (``to_dict``) is what ``costwarden plan --output`` writes and what the
functions log, so its keys are part of the interface (docs/scheduling.md).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC as _UTC
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Literal

from costwarden.models.budget import Provider
from costwarden.models.resource import Resource, ResourceType

ActionKind = Literal[
    "stop",  # EC2, RDS, GCE
    "hibernate",  # EC2 launched with hibernation configured, when the rule asks for it
    "deallocate",  # Azure: a VM that is only powered off still bills compute
    "scale_to_zero",  # ASG: min = desired = max = 0, old values saved in a tag first
    "start",  # EC2, RDS, GCE, Azure
    "restore_capacity",  # ASG: back to the saved min/desired/max
]
STOPPING: frozenset[str] = frozenset({"stop", "hibernate", "deallocate", "scale_to_zero"})

#: Why a resource in scope got no action. Stable identifiers: reports group by them.
SkipKind = Literal[
    "protected",  # matched safety.protected: never acted on, whatever its tags say
    "opted_out",  # schedule tag carries the opt-out value
    "override",  # keep-running-until in the future
    "expired_override",  # keep-running-until in the past: ignored, reported
    "invalid_override",  # keep-running-until unreadable: ignored, reported
    "unknown_schedule",  # schedule tag names no schedule in the policy
    "manual_start",  # started by someone after costwarden's last stop: left until next stop
    "manual_stop",  # stopped by someone after costwarden's last start: left until next start
    "tag_violation",  # stopped by the tag sweep (grace period over): not started until tagged
    "transitioning",  # pending / stopping / ...: the next tick sees where it settled
    "unsupported",  # e.g. RDS in a cluster, an instance with an instance-store root
    "no_metrics",  # idle rule, but no or too few datapoints: missing data is not idle
    "not_idle",  # idle rule, CPU above the threshold at some point in the window
]

SavingBasis = Literal["focus", "price_table"]


@dataclass(frozen=True, slots=True)
class PlannedAction:
    """One thing the plan will do to one resource, and why."""

    action: ActionKind
    resource: Resource
    #: The policy rule that asked for it (``scheduling.rules[].name`` or ``idle[].name``).
    rule: str
    #: The schedule behind it; None for idle stops.
    schedule: str | None
    #: One sentence a person reads in Slack and in the plan table.
    reason: str
    team: str | None = None
    estimated_monthly_saving: Decimal | None = None
    currency: str = "USD"
    saving_basis: SavingBasis | None = None
    #: Action-specific inputs, e.g. ``{"capacity": "1/2/4"}`` for restore_capacity.
    details: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def to_dict(self) -> dict[str, object]:
        r = self.resource
        return {
            "action": self.action,
            "cloud": r.cloud,
            "account": r.account,
            "region": r.region,
            "resource_id": r.resource_id,
            "resource_type": r.resource_type,
            "resource_name": r.name,
            "reason": self.reason,
            "rule": self.rule,
            "schedule": self.schedule,
            "team": self.team,
            "estimated_monthly_saving": (
                None
                if self.estimated_monthly_saving is None
                else str(self.estimated_monthly_saving)
            ),
            "currency": self.currency,
            "saving_basis": self.saving_basis,
            "details": dict(self.details),
        }


@dataclass(frozen=True, slots=True)
class Skip:
    """A resource in scope that gets no action this run, and why (reported, never silent)."""

    resource: Resource
    kind: SkipKind
    reason: str
    rule: str | None = None
    team: str | None = None

    def to_dict(self) -> dict[str, object]:
        r = self.resource
        return {
            "kind": self.kind,
            "cloud": r.cloud,
            "account": r.account,
            "region": r.region,
            "resource_id": r.resource_id,
            "resource_type": r.resource_type,
            "resource_name": r.name,
            "reason": self.reason,
            "rule": self.rule,
            "team": self.team,
        }


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything one run would do in one target (or, for the CLI, in all targets of a cloud)."""

    cloud: Provider
    #: The instant the desired states were computed for (``--at``; the tick's time).
    at: datetime
    actions: tuple[PlannedAction, ...]
    skipped: tuple[Skip, ...]
    #: Resources the scheduler looked at (in scope of a rule, protected ones included): the
    #: denominator of the blast-radius percentage.
    fleet_size: int
    #: Set when the blast-radius cap refused the plan: nothing is applied, an alert says why.
    blocked: str | None = None
    dry_run: bool = False
    #: Stops due within the warning window (``scheduling.warning_minutes``): announced, not done.
    upcoming: tuple[PlannedAction, ...] = ()

    @property
    def applicable(self) -> bool:
        return self.blocked is None and not self.dry_run

    def to_dict(self) -> dict[str, object]:
        return {
            "cloud": self.cloud,
            "at": self.at.isoformat(),
            "dry_run": self.dry_run,
            "blocked": self.blocked,
            "fleet_size": self.fleet_size,
            "actions": [a.to_dict() for a in self.actions],
            "skipped": [s.to_dict() for s in self.skipped],
            "upcoming": [a.to_dict() for a in self.upcoming],
        }


OutcomeStatus = Literal[
    "done",  # the cloud carried out the change (or accepted it: EC2, RDS, ASG answer at once)
    "pending",  # accepted, not seen finished (Azure/GCE operation still running): never "done"
    "already",  # the resource was already in the target state when re-read: nothing to do
    "failed",  # the cloud refused or errored; ``message`` says why; other actions went on
    "not_applied",  # dry-run or blocked by the blast-radius cap
]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one planned action."""

    action: PlannedAction
    status: OutcomeStatus
    message: str = ""

    def to_dict(self) -> dict[str, object]:
        return {**self.action.to_dict(), "status": self.status, "message": self.message}


#: ``PlannedAction.rule`` of the tag sweep's grace stops (``services.tag_grace``).
GRACE_RULE = "tagging.grace"

LastActionBy = Literal["schedule", "grace"]


@dataclass(frozen=True, slots=True)
class LastAction:
    """What costwarden last did to a resource, recorded on it as a tag.

    The scheduler reads it back to tell its own stops from a person's manual start (and its
    own starts from a manual stop): see ``docs/scheduling.md`` "Manual starts".
    Encoded as ``<action>-<YYYYMMDDTHHMMSSZ>[-grace][-pending]`` in lowercase so it is also a
    valid Google label value (``[a-z0-9_-]``, 63 characters at most):

    - ``grace``: the tag sweep stopped it after its grace period (``tagging.grace.action:
      stop``). Only such a stop keeps the schedule from starting it while its violation mark
      is overdue: a stop by the schedule itself never passed the grace plan's safety caps.
    - ``pending``: the cloud accepted the change but it was not seen finished (an Azure or
      GCE long-running operation still running at the deadline). The next tick checks the
      result instead of reading a different power state as a person's doing.
    """

    action: ActionKind
    at: datetime
    by: LastActionBy = "schedule"
    pending: bool = False

    @classmethod
    def of(cls, action: PlannedAction, at: datetime) -> LastAction:
        """The record of carrying out ``action`` at ``at`` (a grace stop says so)."""
        return cls(action.action, at, "grace" if action.rule == GRACE_RULE else "schedule")

    @property
    def grace(self) -> bool:
        return self.by == "grace"

    def encode(self) -> str:
        text = f"{self.action.replace('_', '-')}-{self.at.strftime('%Y%m%dt%H%M%Sz')}"
        if self.grace:
            text += "-grace"
        return text + "-pending" if self.pending else text

    @classmethod
    def decode(cls, text: str) -> LastAction | None:
        """The inverse of ``encode``; None for anything else (a hand-edited tag is ignored)."""
        parts = text.strip().lower().split("-")
        index = next((i for i, p in enumerate(parts) if _STAMP.fullmatch(p)), None)
        if index is None or index == 0:
            return None
        kind = "_".join(parts[:index])
        flags = parts[index + 1 :]
        if kind not in _ACTION_KINDS or len(set(flags)) != len(flags):
            return None
        if not set(flags) <= {"grace", "pending"}:
            return None
        try:
            at = datetime.strptime(parts[index], "%Y%m%dt%H%M%Sz").replace(tzinfo=_UTC)
        except ValueError:
            return None
        by: LastActionBy = "grace" if "grace" in flags else "schedule"
        return cls(kind, at, by, "pending" in flags)  # type: ignore[arg-type]

    def unconfirmed(self, action: PlannedAction) -> LastAction:
        """The record of ``action`` when the cloud accepted it but it was not seen finished:
        ``pending``, unless ``action`` already retries an unconfirmed change. A change that
        really finished late looks like a failed one to the next tick, which asks again; asking
        only once keeps costwarden from fighting a person who changed the resource since."""
        if action.details.get(RETRY_DETAIL) == RETRY_UNCONFIRMED:
            return self
        return LastAction(self.action, self.at, self.by, pending=True)


#: ``PlannedAction.details`` of a retry of a change recorded ``pending`` (see ``unconfirmed``).
RETRY_DETAIL = "retry"
RETRY_UNCONFIRMED = "unconfirmed"

_STAMP = re.compile(r"\d{8}t\d{6}z")
_ACTION_KINDS = frozenset(ActionKind.__args__)  # type: ignore[attr-defined]

__all__ = [
    "GRACE_RULE",
    "RETRY_DETAIL",
    "RETRY_UNCONFIRMED",
    "STOPPING",
    "ActionKind",
    "LastAction",
    "LastActionBy",
    "Outcome",
    "OutcomeStatus",
    "Plan",
    "PlannedAction",
    "ResourceType",
    "SavingBasis",
    "Skip",
    "SkipKind",
]
