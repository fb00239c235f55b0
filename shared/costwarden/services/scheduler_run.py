"""Applying a plan and running one target end to end: plan, apply, report to Slack.

``apply_plan`` is the only place the cloud changes. Each action gets its own outcome: one
failing resource gets a ``failed`` outcome and the others go on (Azure Start/Stop v2 aborts a
run on one failing VM; Cloud Custodian fails a whole stop batch, where the EC2 actuator retries
a batch refused because of one instance one at a time). Every action is logged as one
structured record.

``run_target`` is what a schedule worker calls per work item. Work items are delivered at least
once; the guarantees:

- a redelivered item re-plans from the cloud's current state, so what was done is not redone
  (the actuator re-reads first and answers ``already``) and a crash halfway heals;
- an item is planned for its tick's instant unless it is stale (``MAX_ITEM_AGE``) or a
  schedule changed its desired state since that tick: then for now, so a late item never
  undoes what a later tick did (a 07:45 stop run at 08:15, after the 08:00 start);
- one Slack message per team per run: the key ``schedule-report/<run>/<target>/<team>`` is
  claimed in the state store before posting and completed after, so a redelivery posts nothing
  new; a report with no change since the last one (a dry run or a blocked plan re-planned every
  tick, the same failure again) is posted once per schedule transition, not every tick;
- warnings of an upcoming stop are posted once per schedule transition and team
  (``schedule-warning/<schedule>/<transition>/<target>/<team>``);
- a Slack failure is logged and reported in ``RunReport.deliveries``, never raised: the actions
  are done and a redelivery could not rebuild their report.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol

from costwarden.errors import CostwardenError
from costwarden.models.notification import PostedMessage
from costwarden.models.schedule_report import ScheduleReportMessage
from costwarden.plan.model import LastAction, Outcome, Plan, PlannedAction
from costwarden.policy import Policy
from costwarden.ports import ClaimStatus, StateStore
from costwarden.ports_compute import (
    Actuator,
    BatchActuator,
    Inventory,
    Target,
    TargetDirectory,
    UtilizationMetrics,
    WorkItem,
    WorkQueue,
)
from costwarden.pricing import SavingsEstimator
from costwarden.schedule import DesiredState, ScheduleClock
from costwarden.services.scheduler_plan import plan_target
from costwarden.services.scheduler_report import TeamReport, build_reports

log = logging.getLogger(__name__)

#: A work item older than this is stale (a queue backlog, a redelivery hours later): planning
#: at its ``at`` could stop resources in the morning for last night's tick, so it plans at now.
MAX_ITEM_AGE = timedelta(hours=1)
_STATES: tuple[DesiredState, ...] = ("running", "stopped")
#: Long enough for a few Slack calls with retries; a crashed holder's claim frees up after it.
REPORT_LEASE = timedelta(minutes=5)

DeliveryStatus = Literal["posted", "duplicate", "in_progress", "failed"]


class ScheduleNotifier(Protocol):
    """Posts schedule reports (``SlackNotifier``); raises ``NotificationError`` on failure."""

    def post_schedule_report(self, message: ScheduleReportMessage) -> PostedMessage | None: ...


@dataclass(frozen=True)
class Delivery:
    """What happened to one team's report."""

    team: str | None
    key: str
    status: DeliveryStatus
    channel: str | None = None
    ts: str | None = None
    error: str | None = None


@dataclass
class RunReport:
    """One target's run: the plan, every action's outcome and the Slack deliveries."""

    target: Target
    plan: Plan
    outcomes: list[Outcome]
    deliveries: list[Delivery] = field(default_factory=list)
    #: The instant the plan was made for (the item's ``at``, or now for a stale item).
    planned_at: datetime | None = None

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    def summary(self) -> dict[str, object]:
        """Counts for the function's log line and the CLI."""
        counts: dict[str, int] = {}
        for outcome in self.outcomes:
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
        return {
            "target": self.target.label,
            "at": self.plan.at.isoformat(),
            "dry_run": self.plan.dry_run,
            "blocked": self.plan.blocked,
            "fleet_size": self.plan.fleet_size,
            "actions": len(self.plan.actions),
            "skipped": len(self.plan.skipped),
            "upcoming": len(self.plan.upcoming),
            "outcomes": counts,
            "reports": [d.status for d in self.deliveries],
        }


def apply_plan(plan: Plan, *, actuator: Actuator, now: datetime) -> list[Outcome]:
    """Carry out ``plan``: every action gets exactly one outcome, in plan order.

    Blocked or dry-run plans change nothing (every outcome ``not_applied``). An actuator that
    raises despite its contract costs that one resource a ``failed`` outcome, not the run. A
    ``BatchActuator`` (EC2) gets the whole plan at once and makes a few calls for hundreds of
    resources; if it raises, each action is carried out on its own after all.
    """
    if not plan.applicable:
        why = "dry run" if plan.dry_run else f"blocked: {plan.blocked}"
        outcomes = [Outcome(action, "not_applied", why) for action in plan.actions]
        for outcome in outcomes:
            _log_outcome(outcome)
        return outcomes
    batched = _batched(plan, actuator, now) if isinstance(actuator, BatchActuator) else None
    outcomes = batched or [_one(action, actuator, now) for action in plan.actions]
    for outcome in outcomes:
        _log_outcome(outcome)
    return outcomes


def _batched(plan: Plan, actuator: BatchActuator, now: datetime) -> list[Outcome] | None:
    """The batch path; None if it raised or broke its contract (then each action is carried
    out on its own: the actuator re-reads first, so what the batch did is not redone)."""
    try:
        outcomes = actuator.execute_all(plan.actions, now=now)
    except Exception:
        log.exception("batch actuator raised: carrying out the actions one at a time")
        return None
    if [o.action for o in outcomes] != list(plan.actions):
        log.error("batch actuator answered out of order: carrying out the actions one at a time")
        return None
    return outcomes


def _one(action: PlannedAction, actuator: Actuator, now: datetime) -> Outcome:
    try:
        return actuator.execute(action, record=LastAction.of(action, now))
    except Exception as error:  # one resource must never stop the rest
        log.exception("actuator raised for %s", action.resource.key)
        return Outcome(action, "failed", f"{type(error).__name__}: {error}")


def run_target(
    *,
    item: WorkItem,
    policy: Policy,
    clock: ScheduleClock,
    inventory: Inventory,
    actuator: Actuator,
    metrics: UtilizationMetrics | None,
    savings: SavingsEstimator,
    notifier: ScheduleNotifier | None,
    state: StateStore,
    now: datetime | None = None,
    invocation_id: str | None = None,
) -> RunReport:
    """Plan, apply and report one work item's target.

    ``now`` is the wall clock (default: the system's): it stamps the last-action tags and
    decides whether the item is stale. Raises ``CloudApiError`` when the inventory cannot be
    listed (nothing acted on; the platform redelivers the item).
    """
    current = now or datetime.now(UTC)
    at = item.at
    run_id = item.run_id
    why = (
        "stale"
        if current - at > MAX_ITEM_AGE
        else "late: a schedule changed since its tick"
        if _transition_between(policy, clock, at, current)
        else None
    )
    if why is not None:
        log.warning(
            "work item for %s is %s (tick %s, now %s): planning for now",
            item.target.label,
            why,
            at.isoformat(),
            current.isoformat(),
        )
        at = current
        # A different run: its report must not be taken for the old tick's (already posted).
        run_id = f"{item.run_id}+replanned-{current:%Y%m%dT%H%M}"
    resources = inventory.list_resources()
    plan = plan_target(
        policy=policy,
        clock=clock,
        resources=resources,
        metrics=metrics,
        savings=savings,
        at=at,
        dry_run=item.dry_run,
        cloud=item.target.cloud,
    )
    if plan.blocked:
        log.warning("plan for %s blocked: %s", item.target.label, plan.blocked)
    # Never stamp a last action earlier than the instant planned for: the manual-start rule
    # compares it with the schedule's transitions.
    outcomes = apply_plan(plan, actuator=actuator, now=max(current, at))
    report = RunReport(item.target, plan, outcomes, planned_at=at)
    if notifier is not None:
        owner = invocation_id or uuid.uuid4().hex
        reports = build_reports(
            plan,
            outcomes,
            policy=policy,
            clock=clock,
            target=item.target,
            run_id=run_id,
            state=state,
        )
        report.deliveries = [
            _deliver(r, notifier=notifier, state=state, owner=owner, now=current) for r in reports
        ]
    summary = report.summary()
    log.info("schedule run %s", summary, extra={"event": "schedule_run", **summary})
    return report


def _transition_between(policy: Policy, clock: ScheduleClock, at: datetime, now: datetime) -> bool:
    """Whether any schedule changes its desired state in (``at``, ``now``].

    A redelivered item (a worker failed; the queue hands it out again minutes later) planned
    for its old tick would undo what the tick after it did: a 07:45 item run at 08:15 stops
    what the 08:00 start started, and nothing starts it again that day. Planning at now is
    always right then; planning at the tick is kept otherwise so a run reports for its tick.
    """
    if now <= at:
        return False
    for name in policy.schedules:
        for to in _STATES:
            after = clock.next_transition(name, at, to)
            if after is not None and after <= now:
                return True
    return False


def fan_out(
    *, directory: TargetDirectory, queue: WorkQueue, run_id: str, at: datetime, dry_run: bool
) -> int:
    """Send one work item per target of ``directory`` (duplicates dropped); returns the count.

    Raises what the directory or queue raise (``CloudApiError``): the planner's platform then
    retries the tick, and workers re-plan idempotently, so a partial send is harmless.
    """
    seen: set[Target] = set()
    bodies: list[str] = []
    for target in directory.targets():
        if target in seen:
            continue
        seen.add(target)
        bodies.append(target.to_message(run_id=run_id, at=at, dry_run=dry_run))
    if bodies:
        queue.send(bodies)
    log.info("schedule fan-out: %d work item(s) for run %s", len(bodies), run_id)
    return len(bodies)


# -- delivery ------------------------------------------------------------------------------------
def _deliver(
    report: TeamReport,
    *,
    notifier: ScheduleNotifier,
    state: StateStore,
    owner: str,
    now: datetime,
) -> Delivery:
    message, team = report.message, report.message.team
    claim = state.claim(report.run_key, owner=owner, now=now, lease=REPORT_LEASE)
    if claim.status is ClaimStatus.DONE:
        data = claim.record.data if claim.record else {}
        return Delivery(team, report.run_key, "duplicate", data.get("channel"), data.get("ts"))
    if claim.status is ClaimStatus.BUSY:
        return Delivery(team, report.run_key, "in_progress", message.channel)
    # One message per team per run across all targets: the first target's report is the run's
    # message, the others reply in its thread.
    root_key = f"schedule-report-root/{message.run_id}/{team or '-'}"
    root = state.get(root_key)
    if root is not None and root.data.get("ts") and root.data.get("channel"):
        message = dataclasses.replace(
            message, thread_ts=root.data["ts"], channel=root.data["channel"]
        )
    try:
        posted = notifier.post_schedule_report(message)
    except CostwardenError as error:
        state.release(report.run_key, owner=owner)
        log.error("schedule report for %s not posted: %s", team or "unassigned", error)
        return Delivery(team, report.run_key, "failed", message.channel, error=str(error))
    except BaseException:
        state.release(report.run_key, owner=owner)
        raise
    data = {"channel": posted.channel, "ts": posted.ts} if posted else {"channel": message.channel}
    state.complete(report.run_key, owner=owner, data=data)
    if posted is not None and message.thread_ts is None:
        # Two targets racing to be first both post at the top level; later ones thread anyway.
        state.put_if_absent(root_key, owner=owner, data=data)
    for key in (*report.warnings, *([report.seen_key] if report.seen_key else [])):
        state.put_if_absent(key, owner=owner, data=data)
    return Delivery(team, report.run_key, "posted", data.get("channel"), data.get("ts"))


def _log_outcome(outcome: Outcome) -> None:
    action = outcome.action
    r = action.resource
    fields = {
        "event": "schedule_action",
        "action": action.action,
        "status": outcome.status,
        "resource_key": r.key,
        "resource_id": r.resource_id,
        "resource_name": r.name,
        "resource_type": r.resource_type,
        "cloud": r.cloud,
        "account": r.account,
        "region": r.region,
        "rule": action.rule,
        "schedule": action.schedule,
        "team": action.team,
        "reason": action.reason,
        "outcome_message": outcome.message,
        "estimated_monthly_saving": (
            None
            if action.estimated_monthly_saving is None
            else str(action.estimated_monthly_saving)
        ),
    }
    level = logging.WARNING if outcome.status == "failed" else logging.INFO
    log.log(
        level,
        "%s %s %s: %s%s",
        action.action,
        r.resource_type,
        r.resource_id,
        outcome.status,
        f" ({outcome.message})" if outcome.message else "",
        extra=fields,
    )
