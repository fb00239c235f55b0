"""The scheduler's planner: which resources of one target to stop or start now, and why.

Reconcile, not react: each tick compares every resource's power state with what its schedule
wants *now* (``ScheduleClock.desired``), so a missed or late tick heals at the next one (Cloud
Custodian acts only in the configured hour and skips the day when a run is late). A doubled
tick finds nothing left to do. Rules, in the order they are applied to each resource, are in
``docs/scheduling.md``; the short form:

1. ``safety.protected`` beats everything, tags included, and a conflict is reported;
2. the schedule tag beats ``scheduling.rules`` (first match wins); opt-out and unknown names
   are skipped and reported;
3. transitioning resources wait for the next tick;
4. a keep-running-until override in the future suppresses stops; expired or unreadable ones
   are reported and ignored;
5. costwarden's own last-action tag tells its stop from a person's start (left alone until the
   next stop transition unless the schedule ``enforce``\\ s) and its start from a person's stop;
   a resource the tag sweep stopped after its grace period (``tagging.grace.action: stop``,
   recorded as a grace stop) is not started while its violation mark is overdue; a change
   recorded ``pending`` (accepted, never seen finished) whose resource is in the other state
   failed: it is asked again, never read as a person's start or stop;
6. idle rules for running resources no schedule stops, with ONE batched metrics call;
7. the blast-radius caps block the whole plan (nothing applied, an alert says why);
8. stops due within ``warning_minutes`` are announced (``Plan.upcoming``).

Planning is pure and fast (no validation per resource, one ``desired`` per schedule per plan)
so 100,000 resources plan in about a second.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType
from zoneinfo import ZoneInfo

from costwarden.errors import CostwardenError
from costwarden.models.budget import Provider
from costwarden.models.resource import Capacity, Resource
from costwarden.plan.model import (
    RETRY_DETAIL,
    RETRY_UNCONFIRMED,
    STOPPING,
    ActionKind,
    LastAction,
    Plan,
    Skip,
)
from costwarden.policy import Policy
from costwarden.policy.allocation import TeamNames
from costwarden.policy.scheduling import (
    LAST_ACTION_TAG,
    SAVED_CAPACITY_TAG,
    IdleRule,
    ScheduleRule,
    cloud_tag_key,
)
from costwarden.ports_compute import UtilizationMetrics
from costwarden.pricing import SavingsEstimator
from costwarden.schedule import DesiredState, ScheduleClock, parse_until
from costwarden.services.scheduler_parts import (
    CENT,
    HOURS_PER_MONTH,
    NO_DETAILS,
    RDS_AUTO_START_AFTER,
    START_KINDS,
    TAG_RULE,
    IdleCandidate,
    PlanState,
    Saving,
    Subject,
    TagKeys,
    blast_radius,
    judge_idle,
    last_action,
    planned,
    stop_kind,
    tag_of,
    utc,
)
from costwarden.tagging.marks import mark_deadline

log = logging.getLogger(__name__)


def plan_target(
    *,
    policy: Policy,
    clock: ScheduleClock,
    resources: Sequence[Resource],
    metrics: UtilizationMetrics | None,
    savings: SavingsEstimator,
    at: datetime,
    dry_run: bool,
    cloud: Provider,
) -> Plan:
    """The plan for ``resources`` (one target's inventory) at the instant ``at``. Pure."""
    if at.tzinfo is None:
        raise ValueError("plan_target needs an aware 'at'")
    planner = _Planner(policy, clock, at, savings)
    state = PlanState()
    for resource in resources:
        planner.plan_one(resource, state)
    planner.plan_idle(state, metrics)
    actions = tuple(state.actions)
    acted = {a.resource.key for a in actions}
    return Plan(
        cloud=cloud,
        at=at,
        actions=actions,
        skipped=tuple(state.skipped),
        fleet_size=state.fleet,
        blocked=blast_radius(policy, actions, state.fleet),
        dry_run=dry_run or policy.safety.dry_run,
        # A resource stopped now (idle) needs no warning of its scheduled stop.
        upcoming=tuple(a for a in state.upcoming if a.resource.key not in acted),
    )


#: How long after a change recorded ``pending`` a resource in the other state is taken for a
#: failure (asked again) rather than a person's doing: a few ticks, enough for the next tick
#: to see a failed operation (``_Planner._recheck``).
PENDING_RECHECK = timedelta(hours=1)
_RETRY = MappingProxyType({RETRY_DETAIL: RETRY_UNCONFIRMED})


class _Planner:
    """One plan's precomputed policy (selectors, keys) and per-schedule clock answers."""

    def __init__(
        self,
        policy: Policy,
        clock: ScheduleClock,
        at: datetime,
        savings: SavingsEstimator,
    ) -> None:
        self.policy = policy
        self.clock = clock
        self.at = at
        self.savings = savings
        scheduling = policy.scheduling
        self.protected = tuple(enumerate(policy.safety.protected))
        self.rules: tuple[ScheduleRule, ...] = tuple(scheduling.rules)
        self.idle_rules: tuple[IdleRule, ...] = tuple(scheduling.idle)
        self.opt_out = scheduling.opt_out_value.strip().lower()
        self.schedule_names = {name.lower(): name for name in policy.schedules}
        self.warning = timedelta(minutes=scheduling.warning_minutes)
        self.team_names = TeamNames(
            policy.allocation.team_tag if policy.allocation else None, policy.teams
        )
        tagging = policy.tagging
        #: With ``tagging.grace.action: stop``, the violation mark's key: a resource the tag
        #: sweep stopped is not started by its schedule while the mark says it is overdue.
        self.tag_mark = tagging.mark_key if tagging and tagging.grace.action == "stop" else None
        self._keys: dict[str, TagKeys] = {}
        self._desired: dict[str, DesiredState | None] = {}
        self._since: dict[tuple[str, str], datetime | None] = {}
        self._next_stop: dict[str, datetime | None] = {}
        self._fraction: dict[str, Decimal] = {}

    # -- cached per plan -----------------------------------------------------------------------
    def keys(self, cloud: Provider) -> TagKeys:
        keys = self._keys.get(cloud)
        if keys is None:
            scheduling = self.policy.scheduling

            def key(name: str) -> str:
                return cloud_tag_key(cloud, name)

            keys = self._keys[cloud] = TagKeys(
                schedule=key(scheduling.tag_key),
                override=key(scheduling.override_tag_key),
                last_action=key(LAST_ACTION_TAG),
                saved_capacity=key(SAVED_CAPACITY_TAG),
                team=tuple(key(k) for k in self.team_names.keys),
            )
        return keys

    def desired(self, schedule: str) -> DesiredState | None:
        if schedule not in self._desired:
            self._desired[schedule] = self.clock.desired(schedule, self.at)
        return self._desired[schedule]

    def since(self, schedule: str, to: DesiredState) -> datetime | None:
        key = (schedule, to)
        if key not in self._since:
            self._since[key] = self.clock.last_transition(schedule, self.at, to)
        return self._since[key]

    def next_stop(self, schedule: str) -> datetime | None:
        if schedule not in self._next_stop:
            self._next_stop[schedule] = self.clock.next_transition(schedule, self.at, "stopped")
        return self._next_stop[schedule]

    def off_fraction(self, schedule: str) -> Decimal:
        if schedule not in self._fraction:
            running = self.clock.running_fraction(schedule, self.at)
            self._fraction[schedule] = Decimal(1) - Decimal(str(round(running, 6)))
        return self._fraction[schedule]

    # -- one resource --------------------------------------------------------------------------
    def plan_one(self, r: Resource, state: PlanState) -> None:
        keys = self.keys(r.cloud)
        for index, selector in self.protected:
            if selector.matches(r):
                state.fleet += 1
                state.skipped.append(self._protected(r, index, keys))
                return
        scoped = self._scope(r, keys, state)
        if scoped is None:
            return
        subject, schedule, idle = scoped
        state.fleet += 1
        if r.state not in ("running", "stopped"):
            reason = f"{r.state}: the next tick sees where it settles"
            state.skipped.append(subject.skip("transitioning", reason))
            return
        unsupported = r.extra.get("unsupported")  # a read replica, an Aurora member, ...
        if unsupported:
            # The cloud refuses every stop of it: planning one each tick would fail each tick,
            # count toward the caps and make the worker report a failed run forever.
            reason = f"{unsupported}; never stopped or started by costwarden"
            state.skipped.append(subject.skip("unsupported", reason))
            return
        subject.until = self._override(subject, state)
        if schedule is not None and self._follow(subject, schedule, state):
            return
        if r.state == "running":
            self._running(subject, schedule, idle, state)

    def _follow(self, s: Subject, schedule: str, state: PlanState) -> bool:
        """Act on what the schedule wants now; True when that settles the resource."""
        desired = self.desired(schedule)
        running = s.resource.state == "running"
        if desired == "stopped":
            if running:
                self._stop_now(s, schedule, state)
            return True
        if desired == "running" and not running:
            self._start_now(s, schedule, state)
            return True
        return False  # running in hours, or no opinion: idle rules and warnings may apply

    def _running(
        self, s: Subject, schedule: str | None, idle: IdleRule | None, state: PlanState
    ) -> None:
        """A running resource no schedule stops now: an idle candidate, or a warning."""
        r = s.resource
        if idle is None:
            idle = next((x for x in self.idle_rules if x.match.matches(r)), None)
        if idle is not None:
            if s.until is None:
                state.idle.append(IdleCandidate(Subject(r, s.keys, None, idle.name, s.team), idle))
            else:
                state.skipped.append(self._kept(s, idle.name))
        # Also for an idle candidate: a busy one is stopped by its schedule all the same, and
        # needs the warning (``plan_target`` drops it when the idle rule stops it now).
        if schedule is not None and self.warning:
            self._warn(s, schedule, state)

    def _scope(
        self, r: Resource, keys: TagKeys, state: PlanState
    ) -> tuple[Subject, str | None, IdleRule | None] | None:
        """The resource's schedule (tag, then rules) or idle rule; None when out of scope."""
        tagged = tag_of(r.tags, keys.schedule)
        if tagged is not None and tagged.strip():
            value = tagged.strip()
            subject = Subject(r, keys, None, TAG_RULE, self.team(r, None))
            if value.lower() == self.opt_out:
                reason = f"tagged {keys.schedule}={value}: opted out of scheduling"
                state.skipped.append(subject.skip("opted_out", reason))
                return None
            schedule = self.schedule_names.get(value.lower())
            if schedule is None:
                known = ", ".join(sorted(self.policy.schedules)) or "none defined"
                reason = f"tagged {keys.schedule}={value}, which names no schedule ({known})"
                state.skipped.append(subject.skip("unknown_schedule", reason))
                return None
            return subject, schedule, None
        rule = next((x for x in self.rules if x.match.matches(r)), None)
        if rule is not None:
            return Subject(r, keys, rule, rule.name, self.team(r, rule)), rule.schedule, None
        idle = next((x for x in self.idle_rules if x.match.matches(r)), None)
        if idle is None:
            return None
        return Subject(r, keys, None, idle.name, self.team(r, idle)), None, idle

    def _stop_now(self, s: Subject, schedule: str, state: PlanState) -> None:
        r = s.resource
        if s.until is not None:
            state.skipped.append(self._kept(s, s.rule_name))
            return
        last = last_action(r, s.keys)
        ours = last is not None and last.action in STOPPING
        auto = (
            ours
            and last is not None
            and r.resource_type == "rds_instance"
            and self.at - last.at > RDS_AUTO_START_AFTER
        )
        since = self.since(schedule, "stopped")
        if not auto and since is not None and not self.policy.schedules[schedule].enforce:
            # Two ways to know a person started it after the latest scheduled stop: the start
            # time the cloud reports (EC2 LaunchTime, GCE lastStartTimestamp: exact, even when
            # that stop passed while it was already stopped), else costwarden's own tag.
            reason = None
            # A start time after `at` is a plan for another instant (--at in the past): no
            # evidence either way about that instant.
            if r.started_at is not None and since <= r.started_at <= self.at:
                reason = f"started at {utc(r.started_at)}, after the scheduled stop at {utc(since)}"
            elif ours and last is not None and last.at >= since and not self._recheck(last):
                # A stop recorded pending within the hour, running now, most likely failed:
                # no person's doing, so it is stopped again (once, see _recheck).
                reason = f"started by someone after costwarden stopped it at {utc(last.at)}"
            if reason is not None:
                reason += (
                    f"; left running until the next scheduled stop (schedule {schedule} does not "
                    "enforce)"
                )
                state.skipped.append(s.skip("manual_start", reason))
                return
        kind = stop_kind(r, hibernate=s.rule is not None and s.rule.hibernate)
        if kind is None:
            return
        reason = f"outside the hours of schedule {schedule}"
        details = NO_DETAILS
        if auto:
            reason += " (AWS restarted it after 7 days stopped)"
        elif (
            ours
            and last is not None
            and since is not None
            and last.at >= since
            and self._recheck(last)
        ):
            # An unconfirmed stop of these hours, running now (otherwise the schedule enforces).
            reason += f" (the stop requested at {utc(last.at)} was never confirmed: again)"
            details = _RETRY
        saving = self._saving(r, self.off_fraction(schedule))
        state.actions.append(planned(kind, s, schedule, reason, saving=saving, details=details))

    def _start_now(self, s: Subject, schedule: str, state: PlanState) -> None:
        r = s.resource
        held = self._held_for_tags(r, s.keys)
        if held is not None:
            state.skipped.append(s.skip("tag_violation", held))
            return
        last = last_action(r, s.keys)
        since = self.since(schedule, "running")
        retry = (
            last is not None
            and self._recheck(last)
            and last.action in START_KINDS
            and since is not None
        )
        if last is not None and since is not None and last.at >= since and not retry:
            if last.action in START_KINDS:
                reason = (
                    f"stopped by someone after costwarden started it at {utc(last.at)}; left "
                    "stopped until the next scheduled start"
                )
                state.skipped.append(s.skip("manual_stop", reason))
            # else: costwarden stopped it during these hours (idle): it stays stopped until
            # the next start transition, which the last-action tag then predates.
            return
        details = NO_DETAILS
        kind: ActionKind = "start"
        if r.resource_type == "asg":
            saved = tag_of(r.tags, s.keys.saved_capacity)
            if not saved or Capacity.decode(saved.strip()) is None:
                reason = (
                    f"no saved capacity ({s.keys.saved_capacity} tag missing or unreadable); "
                    "set its min/desired/max by hand"
                )
                state.skipped.append(s.skip("unsupported", reason))
                return
            kind, details = "restore_capacity", MappingProxyType({"capacity": saved.strip()})
        reason = f"within the hours of schedule {schedule}"
        if retry and last is not None and since is not None and last.at >= since:
            # Not a person's stop: the start was accepted but never seen finished (a failed
            # Azure start answers 202 first), so it is tried again, not left off all day.
            reason += f" (the start requested at {utc(last.at)} was never confirmed: again)"
            details = MappingProxyType({**details, **_RETRY})
        state.actions.append(planned(kind, s, schedule, reason, details=details))

    def _recheck(self, last: LastAction) -> bool:
        """Whether a change of costwarden's counts as unconfirmed: recorded ``pending`` (the
        cloud accepted it, it was not seen finished) no longer than ``PENDING_RECHECK`` ago.

        A resource in the other state then most likely saw the change fail (Azure's
        AllocationFailed arrives after the 202), so the change is asked again rather than read
        as a person's doing. But a change that finished late looks the same, and a person may
        have changed the resource since: the retry is asked once (it is recorded without
        ``pending``, ``LastAction.unconfirmed``) and only within the hour, after which the
        resource's state is respected as for any confirmed change.
        """
        return last.pending and self.at - last.at <= PENDING_RECHECK

    def _held_for_tags(self, r: Resource, keys: TagKeys) -> str | None:
        """Why a stopped resource must stay stopped for its tags, or None.

        The tag sweep stops a resource whose grace period is over (``services.tag_grace``) and
        records the stop as a grace stop: without this, its schedule would start it again in
        the morning and the sweep stop it again the next day, for as long as nobody tags it.
        Only a grace stop holds it: one the schedule (or a person) stopped never passed the
        grace plan's blast-radius caps, and holding it would let the caps be bypassed (a sweep
        refused for 15 of 20, the schedule stops 10 at night, the hold keeps them down).
        """
        if self.tag_mark is None:
            return None
        last = last_action(r, keys)
        if last is None or not last.grace or last.action not in STOPPING:
            return None
        value = tag_of(r.tags, cloud_tag_key(r.cloud, self.tag_mark))
        due = mark_deadline(value) if value else None
        if due is None or self.at.astimezone(UTC).date() <= due:
            return None
        return (
            f"required tags missing (deadline {due.isoformat()} passed): not started; add "
            "them (the next tag sweep clears the mark) or start it by hand"
        )

    def _override(self, s: Subject, state: PlanState) -> datetime | None:
        """The keep-running-until instant when it is in the future; reports the others."""
        key = s.keys.override
        value = tag_of(s.resource.tags, key)
        if value is None:
            return None
        until = parse_until(value)
        if until is None:
            reason = (
                f"{key}={value!r} is not a time (use e.g. 2026-11-30T08:00Z or "
                "20261130t0800z); ignored"
            )
            state.skipped.append(s.skip("invalid_override", reason))
            return None
        if until <= self.at:
            reason = f"{key} expired at {utc(until)}; ignored (remove the tag)"
            state.skipped.append(s.skip("expired_override", reason))
            return None
        return until

    def _kept(self, s: Subject, rule: str | None) -> Skip:
        assert s.until is not None
        reason = f"kept running until {utc(s.until)} by its {s.keys.override} tag"
        return Skip(s.resource, "override", reason, rule, s.team)

    def _protected(self, r: Resource, index: int, keys: TagKeys) -> Skip:
        where = f"safety.protected[{index}]"
        asks: list[str] = []
        tagged = tag_of(r.tags, keys.schedule)
        if tagged is not None and tagged.strip():
            asks.append(f"tagged {keys.schedule}={tagged.strip()}")
        rule = next((x for x in self.rules if x.match.matches(r)), None)
        if rule is not None:
            asks.append(f"matches scheduling rule {rule.name}")
        idle = next((x for x in self.idle_rules if x.match.matches(r)), None)
        if idle is not None:
            asks.append(f"matches idle rule {idle.name}")
        if asks:
            reason = f"{' and '.join(asks)} but protected by {where}: never acted on"
        else:
            reason = f"protected by {where}: never acted on"
        name = rule.name if rule else (idle.name if idle else None)
        return Skip(r, "protected", reason, name, self.team(r, rule or idle))

    def _warn(self, s: Subject, schedule: str, state: PlanState) -> None:
        stop_at = self.next_stop(schedule)
        if stop_at is None or stop_at - self.at > self.warning:
            return
        if s.until is not None and s.until >= stop_at:
            return  # kept up past the stop by its override: nothing will happen
        kind = stop_kind(s.resource, hibernate=s.rule is not None and s.rule.hibernate)
        if kind is None:
            return
        minutes = max(int((stop_at - self.at).total_seconds() // 60), 0)
        zone = self.policy.schedules[schedule].timezone
        local = stop_at.astimezone(ZoneInfo(zone)).strftime("%H:%M")
        reason = f"schedule {schedule} stops it at {local} {zone} (in {minutes} min)"
        details = MappingProxyType({"stops_at": stop_at.isoformat()})
        saving = self._saving(s.resource, self.off_fraction(schedule))
        state.upcoming.append(planned(kind, s, schedule, reason, saving=saving, details=details))

    # -- idle ----------------------------------------------------------------------------------
    def plan_idle(self, state: PlanState, metrics: UtilizationMetrics | None) -> None:
        """Judge the collected idle candidates: one batched metrics call per window length."""
        if not state.idle:
            return
        if metrics is None:
            reason = "no utilization metrics source configured: missing data is not idle"
            state.skipped.extend(c.subject.skip("no_metrics", reason) for c in state.idle)
            return
        for hours in sorted({c.rule.window_hours for c in state.idle}):
            group = [c for c in state.idle if c.rule.window_hours == hours]
            start = self.at - timedelta(hours=hours)
            try:
                data = metrics.cpu([c.subject.resource for c in group], start=start, end=self.at)
            except CostwardenError as error:
                log.warning("utilization metrics unavailable: %s", error)
                reason = f"metrics unavailable ({error}): missing data is not idle"
                state.skipped.extend(c.subject.skip("no_metrics", reason) for c in group)
                continue
            for c in group:
                judge_idle(c, data.get(c.subject.resource.key), state, self._idle_saving)

    # -- team and savings ------------------------------------------------------------------------
    def team(self, r: Resource, rule: ScheduleRule | IdleRule | None) -> str | None:
        """The resource's team tag (allocation.team_tag) naming a known team, else the rule's."""
        team = self.team_names.team(tag_of(r.tags, key) for key in self.keys(r.cloud).team)
        if team is not None:
            return team
        return rule.team if rule is not None else None

    def _idle_saving(self, r: Resource) -> Saving | None:
        return self._saving(r, Decimal(1))  # idle: off all month, as far as anyone knows

    def _saving(self, r: Resource, off_fraction: Decimal) -> Saving | None:
        try:
            hourly = self.savings.hourly(r)
        except CostwardenError as error:
            log.warning("no savings estimate for %s: %s", r.key, error)
            return None
        if hourly is None:
            return None
        price, currency, basis = hourly
        monthly = (price * HOURS_PER_MONTH * off_fraction).quantize(CENT, rounding=ROUND_HALF_UP)
        return monthly, currency, basis
