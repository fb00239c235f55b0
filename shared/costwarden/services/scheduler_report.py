"""From a plan and its outcomes to one Slack report per team: what to say, and when to stay quiet.

Ticks run every few minutes and the planner reconciles, so the same plan can come back tick
after tick (a dry run, a blocked plan, a resource that keeps failing). Saying it every tick
would teach people to mute the channel. So:

- outcomes found ``already`` done are counted, never a reason to post;
- a report with nothing ``done`` is fingerprinted (resources, actions, statuses and the
  schedule transition they belong to): the same content is posted once per transition
  (``schedule-report-seen/...``), and again after the next transition;
- an upcoming stop is announced once per schedule transition and team;
- skipped resources ride along with a report that has something else to say;
- a change the cloud accepted but was not seen finished (``pending``) is listed as
  ``not_confirmed`` with the skips, never as stopped or started.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from costwarden.models.schedule_report import ReportLine, ReportSavingBasis, ScheduleReportMessage
from costwarden.plan.model import STOPPING, Outcome, Plan, PlannedAction, Skip
from costwarden.policy import Policy
from costwarden.policy.scheduling import cloud_tag_key
from costwarden.ports import StateStore
from costwarden.ports_compute import Target
from costwarden.schedule import DesiredState, ScheduleClock

NO_TEAM = "-"  # the key part of unassigned resources' reports; team names cannot be "-"


@dataclass(frozen=True)
class TeamReport:
    """One message to post, with the state keys that record it."""

    message: ScheduleReportMessage
    #: Claimed before posting: one message per team per run, whatever the redeliveries.
    run_key: str
    #: Recorded after posting a report without progress, so the same content is not repeated.
    seen_key: str | None = None
    #: Recorded after posting: upcoming stops already announced.
    warnings: tuple[str, ...] = ()


def build_reports(
    plan: Plan,
    outcomes: Sequence[Outcome],
    *,
    policy: Policy,
    clock: ScheduleClock,
    target: Target,
    run_id: str,
    state: StateStore,
) -> list[TeamReport]:
    """The reports this run should post, one per team with something new to say."""
    teams = sorted(
        {o.action.team for o in outcomes} | {a.team for a in plan.upcoming},
        key=lambda t: (t is None, t or ""),
    )
    reports = []
    for team in teams:
        report = _team_report(
            plan,
            outcomes,
            team,
            policy=policy,
            clock=clock,
            target=target,
            run_id=run_id,
            state=state,
        )
        if report is not None:
            reports.append(report)
    return reports


def _team_report(
    plan: Plan,
    outcomes: Sequence[Outcome],
    team: str | None,
    *,
    policy: Policy,
    clock: ScheduleClock,
    target: Target,
    run_id: str,
    state: StateStore,
) -> TeamReport | None:
    label = target.label
    part = team or NO_TEAM
    mine = [o for o in outcomes if o.action.team == team]
    unchanged = sum(1 for o in mine if o.status == "already")
    said = [o for o in mine if o.status != "already"]
    seen_key = None
    if said and not any(o.status == "done" for o in said):
        seen_key = f"schedule-report-seen/{label}/{part}/{_fingerprint(said, plan, clock)}"
        if state.get(seen_key) is not None:
            said, seen_key = [], None  # posted already for this transition: nothing new
    warnings: list[str] = []
    upcoming: list[PlannedAction] = []
    for action in plan.upcoming:
        if action.team != team:
            continue
        stops_at = action.details.get("stops_at", "")
        key = f"schedule-warning/{action.schedule}/{stops_at}/{label}/{part}"
        if key in warnings or state.get(key) is None:
            upcoming.append(action)
            if key not in warnings:
                warnings.append(key)
    if not said and not upcoming:
        return None
    skipped = [s for s in plan.skipped if s.team == team] if said else []
    message = _message(
        plan,
        said,
        unchanged=unchanged,
        skipped=skipped,
        upcoming=upcoming,
        team=team,
        policy=policy,
        clock=clock,
        target=target,
        run_id=run_id,
    )
    return TeamReport(
        message, f"schedule-report/{run_id}/{label}/{part}", seen_key, tuple(warnings)
    )


def _message(
    plan: Plan,
    said: list[Outcome],
    *,
    unchanged: int,
    skipped: list[Skip],
    upcoming: list[PlannedAction],
    team: str | None,
    policy: Policy,
    clock: ScheduleClock,
    target: Target,
    run_id: str,
) -> ScheduleReportMessage:
    if team is not None and team in policy.teams:
        channel = policy.teams[team].slack_channel or policy.slack.default_channel
        mentions = policy.teams[team].mentions
    else:
        channel, mentions = policy.slack.default_channel, policy.slack.default_mentions
    # A pending change is never reported as stopped or started: the cloud only accepted it
    # (Azure Start/Stop v2 says "succeeded" there, and people find the VM still running).
    carried = [o for o in said if o.status not in ("failed", "pending")]
    stops = [o for o in carried if o.action.action in STOPPING]
    starts = [o for o in carried if o.action.action not in STOPPING]
    failed = [o for o in said if o.status == "failed"]
    pending = [_pending_line(o) for o in said if o.status == "pending"]
    totals, bases = _savings(o.action for o in stops)
    currency, total, others = _main_currency(totals)
    override = cloud_tag_key(plan.cloud, policy.scheduling.override_tag_key)
    return ScheduleReportMessage(
        team=team,
        channel=channel,
        target=target.label,
        run_id=run_id,
        cloud=plan.cloud,
        at=plan.at,
        mentions=tuple(mentions),
        dry_run=plan.dry_run,
        blocked=plan.blocked,
        stopped=tuple(_line(o.action) for o in stops),
        started=tuple(_line(o.action) for o in starts),
        failed=tuple(_line(o.action, o.message or "failed") for o in failed),
        skipped=(*pending, *(_skip_line(s) for s in skipped)),
        upcoming=tuple(_line(a) for a in upcoming),
        unchanged=unchanged,
        estimated_monthly_saving=total,
        currency=currency,
        saving_basis=_basis(bases),
        other_currencies=others,
        keep_running_hint=_hint(plan, upcoming, clock, override) if upcoming else None,
        override_tag=override,
    )


def _line(action: PlannedAction, detail: str | None = None) -> ReportLine:
    r = action.resource
    return ReportLine(
        name=r.name or r.resource_id,
        resource_id=r.resource_id,
        resource_type=r.resource_type,
        region=r.region,
        kind=action.action,
        detail=action.reason if detail is None else detail,
        saving=action.estimated_monthly_saving,
        currency=action.currency,
    )


def _pending_line(outcome: Outcome) -> ReportLine:
    """An accepted change not seen finished: listed with the skips, as "not confirmed"."""
    action = outcome.action
    detail = (
        f"{action.action.replace('_', ' ')} requested, not confirmed yet "
        f"({outcome.message}); the next run checks it and asks again if it did not happen"
    )
    return dataclasses.replace(_line(action, detail), kind="not_confirmed", saving=None)


def _skip_line(skip: Skip) -> ReportLine:
    r = skip.resource
    return ReportLine(
        name=r.name or r.resource_id,
        resource_id=r.resource_id,
        resource_type=r.resource_type,
        region=r.region,
        kind=skip.kind,
        detail=skip.reason,
    )


def _savings(actions: Iterable[PlannedAction]) -> tuple[dict[str, Decimal], set[str]]:
    totals: dict[str, Decimal] = {}
    bases: set[str] = set()
    for action in actions:
        if action.estimated_monthly_saving is None:
            continue
        currency = action.currency
        totals[currency] = totals.get(currency, Decimal(0)) + action.estimated_monthly_saving
        if action.saving_basis:
            bases.add(action.saving_basis)
    return totals, bases


def _main_currency(
    totals: dict[str, Decimal],
) -> tuple[str, Decimal | None, tuple[tuple[str, Decimal], ...]]:
    """The largest total's currency first; amounts in other currencies are never added to it."""
    if not totals:
        return "USD", None, ()
    ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    return ranked[0][0], ranked[0][1], tuple(ranked[1:])


def _basis(bases: set[str]) -> ReportSavingBasis | None:
    if not bases:
        return None
    if bases == {"focus"}:
        return "focus"
    if bases == {"price_table"}:
        return "price_table"
    return "mixed"


def _fingerprint(said: Sequence[Outcome], plan: Plan, clock: ScheduleClock) -> str:
    """Identifies "the same news": resources, actions, statuses, and the transition they follow."""
    lines = []
    for outcome in said:
        action = outcome.action
        to: DesiredState = "stopped" if action.action in STOPPING else "running"
        since = None
        if action.schedule is not None:
            since = clock.last_transition(action.schedule, plan.at, to)
        epoch = since.isoformat() if since else plan.at.date().isoformat()
        lines.append(f"{action.resource.key}|{action.action}|{outcome.status}|{epoch}")
    lines.append(f"blocked={plan.blocked is not None}|dry_run={plan.dry_run}")
    return hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest()[:20]


def _hint(plan: Plan, upcoming: Sequence[PlannedAction], clock: ScheduleClock, key: str) -> str:
    """Exactly how to keep a resource up: the tag key as this cloud spells it, and a value."""
    first = upcoming[0]
    stops_at = datetime.fromisoformat(first.details.get("stops_at", plan.at.isoformat()))
    until = None
    if first.schedule is not None:
        until = clock.next_transition(first.schedule, stops_at, "running")
    until = (until or stops_at + timedelta(hours=12)).astimezone(UTC)
    basic = until.strftime("%Y%m%dt%H%Mz")
    if plan.cloud == "gcp":
        value = f"`{basic}` (labels allow only this form: yyyymmddThhmmZ, lowercase)"
    else:
        value = f"`{until.strftime('%Y-%m-%dT%H:%MZ')}` (any ISO time with Z or an offset)"
    return (
        f"To keep one running, tag it `{key}` = {value}: it then stays up until that time "
        "and the schedule resumes by itself."
    )
