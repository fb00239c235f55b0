"""The scheduler planner's building blocks: tag keys, the resource being planned, idle judging,
the blast-radius caps and small helpers (``scheduler_plan.py`` is the planner itself).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import MappingProxyType

from costwarden.models.resource import Resource
from costwarden.plan.model import (
    STOPPING,
    ActionKind,
    LastAction,
    PlannedAction,
    SavingBasis,
    Skip,
    SkipKind,
)
from costwarden.policy import Policy
from costwarden.policy.scheduling import IdleRule, ScheduleRule
from costwarden.ports_compute import CpuSummary

HOURS_PER_MONTH = Decimal(730)
CENT = Decimal("0.01")
#: AWS starts a stopped RDS instance again after 7 days. A running instance whose last stop by
#: costwarden is older than this was started by AWS, not a person: it is stopped again.
RDS_AUTO_START_AFTER = timedelta(days=6)
TAG_RULE = "tag"  # PlannedAction.rule when the resource's schedule tag chose the schedule
START_KINDS: frozenset[str] = frozenset({"start", "restore_capacity"})
NO_DETAILS: Mapping[str, str] = MappingProxyType({})
Saving = tuple[Decimal, str, SavingBasis]


@dataclass(frozen=True, slots=True)
class TagKeys:
    """The policy's logical tag keys as one cloud spells them (Google labels differ)."""

    schedule: str
    override: str
    last_action: str
    saved_capacity: str
    team: tuple[str, ...]


@dataclass(slots=True)
class Subject:
    """One in-scope resource being planned, with what decided its scope."""

    resource: Resource
    keys: TagKeys
    rule: ScheduleRule | None
    rule_name: str | None
    team: str | None
    until: datetime | None = None

    def skip(self, kind: SkipKind, reason: str) -> Skip:
        return Skip(self.resource, kind, reason, self.rule_name, self.team)


@dataclass
class IdleCandidate:
    subject: Subject  # rule_name is the idle rule's
    rule: IdleRule


@dataclass
class PlanState:
    actions: list[PlannedAction] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    upcoming: list[PlannedAction] = field(default_factory=list)
    idle: list[IdleCandidate] = field(default_factory=list)
    fleet: int = 0


def blast_radius(
    policy: Policy,
    actions: Sequence[PlannedAction],
    fleet_size: int,
    *,
    down: int = 0,
    down_why: str = "",
) -> str | None:
    """Why the safety caps refuse ``actions``, or None when they are within both caps.

    The caps apply per plan, i.e. per target (one AWS account and region, Azure subscription
    or Google project), not per run across targets. Starts count toward the absolute cap
    only: starting everything is never the accident the percentage guards against. ``down``
    resources already stopped count as stops (the tag sweep's overdue resources: ``down_why``
    says which).
    """
    safety = policy.safety
    also = f" + {down} {down_why}" if down else ""
    if len(actions) + down > safety.max_actions_per_run:
        return (
            f"{len(actions)} actions planned{also}, more than safety.max_actions_per_run "
            f"({safety.max_actions_per_run}) for one target"
        )
    stopping = sum(1 for a in actions if a.action in STOPPING) + down
    if fleet_size and stopping * 100 / fleet_size > safety.max_fleet_percent:
        percent = stopping * 100 / fleet_size
        what = "would stop" if not down else f"would be down ({down} {down_why})"
        return (
            f"{stopping} of {fleet_size} resources in scope {what} ({percent:.0f}%), more "
            f"than safety.max_fleet_percent ({safety.max_fleet_percent:g}%)"
        )
    return None


def judge_idle(
    c: IdleCandidate,
    cpu: CpuSummary | None,
    state: PlanState,
    saving_of: Callable[[Resource], Saving | None],
) -> None:
    """Stop an idle candidate, or say why not (missing data is never idle)."""
    rule, s = c.rule, c.subject
    window = f"{rule.window_hours:g} h"
    if cpu is None or cpu.expected_datapoints <= 0:
        reason = f"no CPU datapoints over {window}: missing data is not idle"
        state.skipped.append(s.skip("no_metrics", reason))
        return
    coverage = cpu.datapoints * 100 / cpu.expected_datapoints
    if coverage < rule.min_coverage_percent:
        reason = (
            f"only {cpu.datapoints} of {cpu.expected_datapoints} CPU datapoints over "
            f"{window} ({coverage:.0f}% < {rule.min_coverage_percent:g}%): not enough to "
            "call it idle"
        )
        state.skipped.append(s.skip("no_metrics", reason))
        return
    threshold = f"{rule.cpu_below_percent:g}%"
    if cpu.max_percent >= rule.cpu_below_percent:
        reason = f"CPU max {cpu.max_percent:.1f}% >= {threshold} over {window}"
        state.skipped.append(s.skip("not_idle", reason))
        return
    kind = stop_kind(s.resource, hibernate=False)
    if kind is None:
        return
    reason = f"idle: CPU max {cpu.max_percent:.1f}% < {threshold} over {window}"
    state.actions.append(planned(kind, s, None, reason, saving=saving_of(s.resource)))


def planned(
    kind: ActionKind,
    s: Subject,
    schedule: str | None,
    reason: str,
    *,
    saving: Saving | None = None,
    details: Mapping[str, str] = NO_DETAILS,
) -> PlannedAction:
    rule = s.rule_name or TAG_RULE
    if saving is None:
        return PlannedAction(kind, s.resource, rule, schedule, reason, s.team, details=details)
    monthly, currency, basis = saving
    return PlannedAction(
        kind,
        s.resource,
        rule,
        schedule,
        reason,
        s.team,
        estimated_monthly_saving=monthly,
        currency=currency,
        saving_basis=basis,
        details=details,
    )


def stop_kind(r: Resource, *, hibernate: bool) -> ActionKind | None:
    kind = r.resource_type
    if kind == "ec2_instance":
        return "hibernate" if hibernate and r.hibernation_configured else "stop"
    if kind == "asg":
        capacity = r.capacity
        if capacity is not None and capacity.desired == 0 and capacity.min_size == 0:
            return None  # nothing runs: nothing to scale down
        return "scale_to_zero"
    if kind == "azure_vm":
        return "deallocate"  # a VM that is only powered off still bills compute
    return "stop"  # rds_instance, gce_instance


#: Tag-key sets seen, each mapped from casefolded key to the key as stored. Estates reuse a
#: handful of key sets, so a case-insensitive lookup costs one tuple and two dict reads instead
#: of a scan of every tag of every resource.
_FOLDED: dict[tuple[str, ...], dict[str, str]] = {}
_FOLDED_MAX = 50_000


def tag_of(tags: Mapping[str, str], key: str) -> str | None:
    """The tag's value: the exact key, else a key equal ignoring case.

    Azure tag names are case-insensitive and people type ``Costwarden:Schedule`` on AWS too;
    the policy's selectors read tags the same way (``costwarden.schedule.tags.find_tag``).
    """
    value = tags.get(key)
    if value is not None or not tags:
        return value
    names = tuple(tags)
    folded = _FOLDED.get(names)
    if folded is None:
        folded = {}
        for name in names:
            folded.setdefault(name.casefold(), name)
        if len(_FOLDED) < _FOLDED_MAX:
            _FOLDED[names] = folded
    found = folded.get(key.casefold())
    return None if found is None else tags[found]


def last_action(r: Resource, keys: TagKeys) -> LastAction | None:
    value = tag_of(r.tags, keys.last_action)
    return None if value is None else LastAction.decode(value)


def utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
