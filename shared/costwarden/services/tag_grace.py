"""``tagging.grace.action: stop``: after the deadline, a violating resource is stopped through
the scheduler's own plan/apply path.

Nothing here re-implements the scheduler's guarantees; the overdue resources become a
``Plan`` (``plan.model``) that ``scheduler_run.apply_plan`` carries out, so a tag stop gets:

- ``safety.protected``: a protected resource is never stopped; the conflict is a ``Skip`` of
  kind ``protected`` and the team's report says so (as the scheduler reports it);
- the same action per type (``scheduler_parts.stop_kind``: EC2 ``stop``, Azure ``deallocate``,
  ASG ``scale_to_zero`` with its capacity saved, RDS and GCE ``stop``) and the same actuator,
  which re-reads first (``already`` for a resource already stopped) and records its
  ``costwarden:last-action`` tag;
- the blast-radius caps (``scheduler_parts.blast_radius``): over them nothing is stopped and
  the report quotes why. The fleet is every compute resource of the target the tag policy
  covers (protected ones included), as the scheduler counts the resources in scope;
- dry run (``safety.dry_run`` or ``COSTWARDEN_DRY_RUN``): "would stop", nothing changed.

The compute inventory is listed only when at least one overdue resource is of a stoppable
type, so a notify policy (or a sweep with nothing overdue) makes no extra call. A resource the
compute inventory does not hold (an instance of an Auto Scaling group or scale set: its group
is what stops; a type the scheduler does not act on) keeps the escalation. A listing failure is
reported per resource and never fails the sweep: the tags are written, and tomorrow's sweep
tries the stop again.

Idempotent: a stopped resource is not planned again (its report line says it stays stopped);
one that stopped between listing and acting is answered ``already`` by the actuator.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from costwarden.errors import CostwardenError
from costwarden.models.budget import Provider
from costwarden.models.resource import Resource, ResourceType
from costwarden.plan.model import GRACE_RULE, LastAction, Outcome, Plan, PlannedAction, Skip
from costwarden.policy.scheduling import LAST_ACTION_TAG, cloud_tag_key
from costwarden.policy.schema import Policy
from costwarden.ports_compute import Actuator, Inventory
from costwarden.services.scheduler_parts import blast_radius, stop_kind, tag_of
from costwarden.services.scheduler_run import apply_plan
from costwarden.services.tag_remediation import ResourceVerdict, TagRunReport
from costwarden.tagging.rules import CloudTagRules

log = logging.getLogger(__name__)

#: The tag sweep's type name of each compute type (what ``include_types`` globs match).
TAG_TYPES: Mapping[ResourceType, str] = {
    "ec2_instance": "ec2:instance",
    "asg": "autoscaling:autoScalingGroup",
    "rds_instance": "rds:db",
    "azure_vm": "Microsoft.Compute/virtualMachines",
    "gce_instance": "compute.googleapis.com/Instance",
}
_AWS_GROUP = TAG_TYPES["asg"]

GraceStatus = Literal[
    "stopped",  # the cloud accepted the stop this run
    "pending",  # the cloud accepted the stop, not seen finished (Azure / GCE operation)
    "already_stopped",  # stopped before (by an earlier sweep or a person): nothing to do
    "would_stop",  # dry run
    "protected",  # safety.protected: never stopped
    "blocked",  # the blast-radius cap refused the whole plan
    "failed",  # the stop (or the compute listing) failed; retried at the next sweep
    "waiting",  # transitioning or unknown power state: the next sweep sees where it settled
    "escalated",  # not a resource costwarden can stop: the report escalates it
]


@dataclass(frozen=True, slots=True)
class ComputePorts:
    """The scheduler's adapters of one target (``Ec2Compute``, ``AzureVmCompute``, ...)."""

    inventory: Inventory
    actuator: Actuator


ComputeFactory = Callable[[], ComputePorts]


@dataclass(frozen=True, slots=True)
class GraceStep:
    """What the grace action did to one overdue resource."""

    status: GraceStatus
    message: str


@dataclass(frozen=True)
class GraceRun:
    """The grace action of one sweep of one target."""

    #: ``TaggedResource.resource_id`` -> what happened (every overdue resource).
    steps: Mapping[str, GraceStep]
    #: The plan carried out; None when no overdue resource was of a stoppable type.
    plan: Plan | None = None
    outcomes: tuple[Outcome, ...] = field(default=())

    def count(self, status: GraceStatus) -> int:
        return sum(1 for s in self.steps.values() if s.status == status)


def compute_ref(verdict: ResourceVerdict) -> tuple[ResourceType, str] | None:
    """The compute inventory's (type, id) for a tagged resource; None when not stoppable.

    Tag adapters name resources by ARN / ARM id / audit-log name, the compute adapters by
    what their API addresses (``costwarden.models.resource.Resource.resource_id``).
    """
    r = verdict.resource
    rid, kind = r.resource_id, r.resource_type
    if r.cloud == "aws":
        return _aws_ref(kind, rid, r.name)
    if r.cloud == "azure":
        if kind.casefold() == "microsoft.compute/virtualmachines":
            return "azure_vm", rid.casefold()  # ARM ids are case-insensitive
        return None
    parts = rid.split("/")  # projects/<p>/zones/<z>/instances/<name>
    if (
        kind == TAG_TYPES["gce_instance"]
        and len(parts) == 6
        and parts[2:5:2] == ["zones", "instances"]
    ):
        return "gce_instance", f"{parts[3]}/{parts[5]}"
    return None


def _aws_ref(kind: str, rid: str, name: str) -> tuple[ResourceType, str] | None:
    if kind == "ec2:instance":
        return "ec2_instance", rid.rsplit("/", 1)[-1]  # arn:...:instance/i-0abc or i-0abc
    if kind == "rds:db":
        return "rds_instance", rid.rsplit(":db:", 1)[-1]  # arn:...:db:<identifier>
    if kind == _AWS_GROUP:
        marker = ":autoScalingGroupName/"
        return "asg", rid.split(marker, 1)[1] if marker in rid else (name or rid)
    return None


def _compute_key(resource: Resource) -> tuple[ResourceType, str]:
    rid = resource.resource_id
    return resource.resource_type, rid.casefold() if resource.cloud == "azure" else rid


def stop_overdue(
    report: TagRunReport,
    *,
    policy: Policy,
    rules: CloudTagRules,
    compute: ComputeFactory | None,
    cloud: Provider,
    now: datetime,
    dry_run: bool,
) -> GraceRun | None:
    """Stop the overdue stoppable resources of one target's sweep; None when nothing is
    overdue. ``compute`` is called (adapters built, inventory listed) only when needed."""
    overdue = report.overdue
    if not overdue:
        return None
    steps: dict[str, GraceStep] = {}
    wanted: dict[tuple[ResourceType, str], ResourceVerdict] = {}
    for verdict in overdue:
        ref = compute_ref(verdict)
        if ref is None:
            steps[verdict.resource.resource_id] = _escalated("a type costwarden cannot stop")
        else:
            wanted[ref] = verdict
    if not wanted:
        return GraceRun(steps)
    if compute is None:
        for verdict in wanted.values():
            steps[verdict.resource.resource_id] = _escalated("no compute adapter here")
        return GraceRun(steps)
    try:
        ports = compute()
        resources = ports.inventory.list_resources()
    except CostwardenError as error:
        log.warning("grace stop: compute inventory unavailable: %s", error)
        for verdict in wanted.values():
            message = f"not stopped: compute resources could not be listed ({error})"
            steps[verdict.resource.resource_id] = GraceStep("failed", message)
        return GraceRun(steps)
    plan, by_key, loose = _plan(
        wanted,
        resources,
        policy=policy,
        rules=rules,
        cloud=cloud,
        now=now,
        dry_run=dry_run or policy.safety.dry_run,
    )
    if plan.blocked:
        log.warning("grace stop blocked: %s", plan.blocked)
    outcomes = apply_plan(plan, actuator=ports.actuator, now=now) if plan.actions else []
    reason = "not in the scheduler's inventory (a member of a group or scale set)"
    for ref, verdict in wanted.items():
        if ref not in by_key:
            steps[verdict.resource.resource_id] = _escalated(reason)
    _record(steps, plan, outcomes, by_key, loose)
    return GraceRun(steps, plan, tuple(outcomes))


def _record(
    steps: dict[str, GraceStep],
    plan: Plan,
    outcomes: Sequence[Outcome],
    by_key: Mapping[tuple[ResourceType, str], str],
    loose: set[tuple[ResourceType, str]],
) -> None:
    """Each planned resource's step, keyed by its tag id: its skip, its outcome, or stopped."""
    for skip in plan.skipped:
        steps[by_key[_compute_key(skip.resource)]] = _skip_step(skip)
    for outcome in outcomes:
        steps[by_key[_compute_key(outcome.action.resource)]] = _outcome_step(outcome)
    for key, rid in by_key.items():  # neither acted on nor skipped: it was already stopped
        message = (
            "stopped, not by the tag sweep: its schedule may start it, and the next sweep "
            "that finds it running stops it"
            if key in loose
            else "stopped; stays stopped until tagged"
        )
        steps.setdefault(rid, GraceStep("already_stopped", message))


def _plan(
    wanted: Mapping[tuple[ResourceType, str], ResourceVerdict],
    resources: Sequence[Resource],
    *,
    policy: Policy,
    rules: CloudTagRules,
    cloud: Provider,
    now: datetime,
    dry_run: bool,
) -> tuple[Plan, dict[tuple[ResourceType, str], str], set[tuple[ResourceType, str]]]:
    """The stops, the skips and the fleet (compute resources the tag policy covers), and the
    overdue resources stopped by something else than a grace stop (not held stopped)."""
    protected = tuple(enumerate(policy.safety.protected))
    actions: list[PlannedAction] = []
    skipped: list[Skip] = []
    by_key: dict[tuple[ResourceType, str], str] = {}
    fleet = 0
    down = 0  # overdue and held stopped by a grace stop: they count toward the caps
    loose: set[tuple[ResourceType, str]] = set()
    for r in resources:
        if not rules.applies_to(TAG_TYPES[r.resource_type], r.account):
            continue
        fleet += 1
        key = _compute_key(r)
        verdict = wanted.get(key)
        if verdict is None:
            continue
        by_key[key] = verdict.resource.resource_id
        index = next((i for i, s in protected if s.matches(r)), None)
        if index is not None:
            reason = (
                f"tag grace period over but protected by safety.protected[{index}]: never acted on"
            )
            skipped.append(Skip(r, "protected", reason, GRACE_RULE, verdict.team))
            continue
        unsupported = r.extra.get("unsupported")  # e.g. an Aurora member: the cloud refuses
        if unsupported:
            skipped.append(Skip(r, "unsupported", unsupported, GRACE_RULE, verdict.team))
            continue
        if r.state in ("transitioning", "unknown"):
            reason = (
                "transitioning: the next sweep sees where it settles"
                if r.state == "transitioning"
                else "its state needs a person; the next sweep looks again"
            )
            skipped.append(Skip(r, "transitioning", reason, GRACE_RULE, verdict.team))
            continue
        kind = stop_kind(r, hibernate=False)
        if r.state != "running" or kind is None:
            # Held down by an earlier grace stop: counts toward the caps with this plan's
            # stops. Stopped by its schedule (or a person): not held, its schedule starts it,
            # so counting it would refuse grace stops every morning while dev is off.
            if _grace_stopped(r):
                down += 1
            else:
                loose.add(key)
            continue  # already stopped: nothing to plan (reported as such)
        missing = ", ".join(verdict.unresolved)
        due = f" on {verdict.due.isoformat()}" if verdict.due else ""
        reason = f"tag grace period over{due}: {missing} still missing or invalid"
        actions.append(PlannedAction(kind, r, GRACE_RULE, None, reason, verdict.team))
    plan = Plan(
        cloud=cloud,
        at=now,
        actions=tuple(actions),
        skipped=tuple(skipped),
        fleet_size=fleet,
        blocked=blast_radius(policy, actions, fleet, down=down, down_why="held for their tags"),
        dry_run=dry_run,
    )
    return plan, by_key, loose


def _grace_stopped(r: Resource) -> bool:
    """Whether the resource's last action is a grace stop (what keeps its schedule off it)."""
    value = tag_of(r.tags, cloud_tag_key(r.cloud, LAST_ACTION_TAG))
    last = LastAction.decode(value) if value else None
    return last is not None and last.grace


def _escalated(why: str) -> GraceStep:
    return GraceStep("escalated", f"not stopped ({why}): escalated")


def _skip_step(skip: Skip) -> GraceStep:
    if skip.kind == "protected":
        return GraceStep("protected", f"protected: not stopped ({skip.reason})")
    if skip.kind == "unsupported":
        return _escalated(skip.reason)
    return GraceStep("waiting", f"not stopped yet ({skip.reason})")


_DONE = {
    "stop": "stopped",
    "hibernate": "hibernated",
    "deallocate": "deallocated",
    "scale_to_zero": "scaled to zero",
}


def _outcome_step(outcome: Outcome) -> GraceStep:
    verb = _DONE.get(outcome.action.action, outcome.action.action)
    if outcome.status == "done":
        return GraceStep("stopped", verb)
    if outcome.status == "pending":
        return GraceStep("pending", f"stop requested, not confirmed yet: {outcome.message}")
    if outcome.status == "already":
        return GraceStep("already_stopped", f"already {verb}")
    if outcome.status == "failed":
        return GraceStep("failed", f"stop failed: {outcome.message}")
    if outcome.message == "dry run":
        return GraceStep("would_stop", f"would be {verb} (dry run)")
    why = outcome.message.removeprefix("blocked: ")
    return GraceStep("blocked", f"not stopped, the blast-radius cap refused the run: {why}")
