"""The daily cost digest: one Slack message (plus a chart) per team per day, and one overall.

``send_daily_digests`` is what each cloud's daily timer calls. Schedulers fire at least once
(EventBridge, Cloud Scheduler and Azure timers all retry or double-fire), so the contract is *one
digest per team per day*, held by the state store:

1. skip every digest already marked done today, without reading cost data when all are;
2. allocate the window's costs once (``AllocatedCostData``; DuckDB over FOCUS in production);
3. per digest: claim ``digest:<date>:<team>``, post the message, record it, upload the chart,
   mark the claim done. A failure releases the claim and the next run retries that digest
   only; a message already posted is never posted twice (only its chart is retried).

One team's failure never stops the others; the run raises ``DigestsIncompleteError`` at the end
so the platform reports (and, where it retries, retries) the run.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, timedelta
from decimal import Decimal
from typing import Literal, Protocol

from costwarden.errors import CostwardenError, NotificationError
from costwarden.models.allocation import ZERO, AllocatedCost, AllocatedCosts, apportion
from costwarden.models.digest import (
    UNALLOCATED,
    CostDigest,
    CostLine,
    DailyPoint,
    DigestMessage,
)
from costwarden.models.notification import PostedMessage
from costwarden.policy import Policy
from costwarden.policy.allocation import AllocationSection
from costwarden.ports import ClaimStatus, Clock, StateStore

log = logging.getLogger(__name__)

#: Long enough for an allocation query and two Slack calls; short enough that a crashed run's
#: claim is free again well before the next scheduled retry.
DEFAULT_LEASE = timedelta(minutes=10)
TRAILING_DAYS = 7
CHART_GROUPS = 6  # series in the chart before the rest are folded into "Other"
OVERALL = "*"  # the overall digest's key part; team names cannot contain "*"

DigestStatus = Literal["posted", "duplicate", "in_progress", "failed"]


class AllocatedCostData(Protocol):
    """Costs allocated to the policy's teams (``costwarden.focus.allocation.FocusAllocator``)."""

    def allocated_costs(
        self,
        policy: Policy,
        *,
        start: date,
        end: date,
        resources_from: date | None = None,
        top: int = 5,
    ) -> AllocatedCosts: ...


class DigestNotifier(Protocol):
    """Posts digests (``SlackNotifier``). Both steps raise ``NotificationError`` on failure."""

    def post_digest_message(self, message: DigestMessage) -> PostedMessage: ...

    def upload_digest_chart(self, message: DigestMessage, *, posted: PostedMessage) -> str: ...


@dataclass(frozen=True)
class DigestOutcome:
    """What happened to one digest; ``team`` None is the overall digest."""

    team: str | None
    key: str
    status: DigestStatus
    channel: str | None = None
    ts: str | None = None
    file_id: str | None = None
    error: str | None = None

    def as_log(self) -> dict[str, str | None]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class DigestRun:
    """One scheduled run: the day reported on and each digest's outcome."""

    day: date
    outcomes: tuple[DigestOutcome, ...] = ()
    disabled: bool = False  # the policy has no allocation section, or digest.enabled is false

    @property
    def failed(self) -> tuple[DigestOutcome, ...]:
        return tuple(o for o in self.outcomes if o.status == "failed")


class DigestsIncompleteError(NotificationError):
    """Some digests failed after the others were sent; ``run`` holds every outcome."""

    def __init__(self, run: DigestRun) -> None:
        self.run = run
        names = ", ".join(o.team or "overall" for o in run.failed)
        details = "; ".join(f"{o.team or 'overall'}: {o.error}" for o in run.failed)
        super().__init__(f"{len(run.failed)} digest(s) for {run.day} failed ({names}): {details}")


def send_daily_digests(
    *,
    policy: Policy,
    cost_data: AllocatedCostData,
    notifier: DigestNotifier,
    clock: Clock,
    state: StateStore,
    invocation_id: str | None = None,
    lease: timedelta = DEFAULT_LEASE,
) -> DigestRun:
    """Send today's digests (reporting on yesterday, UTC) that have not been sent yet.

    Raises ``CostDataError`` (nothing sent) when the cost data cannot be read and
    ``DigestsIncompleteError`` when some digests failed; the others are sent either way.
    """
    now = clock.now()
    today = now.astimezone(UTC).date()
    day = today - timedelta(days=1)
    allocation = policy.allocation
    if allocation is None or not allocation.digest.enabled:
        log.info("daily digests are off: the policy has no allocation.digest to send")
        return DigestRun(day, disabled=True)
    owner = invocation_id or uuid.uuid4().hex
    targets = _targets(policy, allocation)

    outcomes: dict[str | None, DigestOutcome] = {}
    for team in targets:
        record = state.get(_key(today, team))
        if record is not None and record.status == "done":
            outcomes[team] = _duplicate(team, _key(today, team), record.data)
    pending = [team for team in targets if team not in outcomes]
    if pending:
        settings = allocation.digest
        start = min(
            day - timedelta(days=settings.history_days - 1),
            day - timedelta(days=TRAILING_DAYS),
            day.replace(day=1),
        )
        costs = cost_data.allocated_costs(
            policy,
            start=start,
            end=day + timedelta(days=1),
            resources_from=day.replace(day=1),
            top=settings.top,
        )
        for team in pending:
            digest = build_digest(costs, team=team, day=day, allocation=allocation)
            message = DigestMessage(digest, _channel(policy, allocation, team), settings.chart)
            outcomes[team] = _deliver(
                message,
                key=_key(today, team),
                owner=owner,
                lease=lease,
                state=state,
                notifier=notifier,
                clock=clock,
            )
    run = DigestRun(day, tuple(outcomes[team] for team in targets))
    for outcome in run.outcomes:
        log.info("daily digest %s", outcome.as_log())
    if run.failed:
        raise DigestsIncompleteError(run)
    return run


def _deliver(
    message: DigestMessage,
    *,
    key: str,
    owner: str,
    lease: timedelta,
    state: StateStore,
    notifier: DigestNotifier,
    clock: Clock,
) -> DigestOutcome:
    team = message.digest.team
    claim = state.claim(key, owner=owner, now=clock.now(), lease=lease)
    if claim.status is ClaimStatus.DONE:
        return _duplicate(team, key, claim.record.data if claim.record else {})
    if claim.status is ClaimStatus.BUSY:
        # Another run is sending it now; if that run dies, its lease expires and the next
        # scheduled run (or the platform's retry) sends it.
        return DigestOutcome(team, key, "in_progress")
    try:
        # The message and its chart are two Slack calls: remember the message as soon as it is
        # posted, so a retry after a failed upload adds the chart instead of a second message.
        recorded = state.get(f"{key}:message")
        if recorded is not None and "ts" in recorded.data:
            posted = PostedMessage(recorded.data["channel"], recorded.data["ts"])
        else:
            posted = notifier.post_digest_message(message)
            data = {"channel": posted.channel, "ts": posted.ts}
            state.put_if_absent(f"{key}:message", owner=owner, data=data)
        file_id = None
        if message.chart != "none":
            file_id = notifier.upload_digest_chart(message, posted=posted)
    except CostwardenError as error:
        state.release(key, owner=owner)
        log.warning("daily digest %s failed: %s", key, error)
        return DigestOutcome(team, key, "failed", channel=message.channel, error=str(error))
    except BaseException:
        state.release(key, owner=owner)
        raise
    data = {"channel": posted.channel, "ts": posted.ts}
    if file_id:
        data["file_id"] = file_id
    state.complete(key, owner=owner, data=data)
    return DigestOutcome(team, key, "posted", posted.channel, posted.ts, file_id)


def _duplicate(team: str | None, key: str, data: Mapping[str, str]) -> DigestOutcome:
    return DigestOutcome(
        team,
        key,
        "duplicate",
        channel=data.get("channel"),
        ts=data.get("ts"),
        file_id=data.get("file_id"),
    )


def _key(today: date, team: str | None) -> str:
    return f"digest:{today.isoformat()}:{team or OVERALL}"


def _targets(policy: Policy, allocation: AllocationSection) -> list[str | None]:
    teams: list[str | None] = list(allocation.digest.teams or sorted(policy.teams))
    return [*teams, None] if allocation.digest.overall else teams


def _channel(policy: Policy, allocation: AllocationSection, team: str | None) -> str:
    if team is None:
        return allocation.digest.channel or policy.slack.default_channel
    return policy.teams[team].slack_channel or policy.slack.default_channel


# -- the figures ---------------------------------------------------------------------------------
def build_digest(
    costs: AllocatedCosts, *, team: str | None, day: date, allocation: AllocationSection
) -> CostDigest:
    """The digest of ``team`` (None: everyone) for ``day``, from allocated costs. Pure."""
    currency = allocation.currency
    settings = allocation.digest
    month_start = day.replace(day=1)
    mine = [
        line
        for line in costs.select(currency)
        if line.day <= day and (team is None or line.team == team)
    ]
    by_day: dict[date, Decimal] = defaultdict(lambda: ZERO)
    for line in mine:
        by_day[line.day] += line.amount
    month = [line for line in mine if line.day >= month_start]
    has_data = costs.data_through is not None and costs.data_through >= day
    trailing = [
        day - timedelta(days=n)
        for n in range(1, TRAILING_DAYS + 1)
        if costs.data_from is not None and costs.data_from <= day - timedelta(days=n)
    ]
    chart_start = day - timedelta(days=settings.history_days - 1)
    budget = allocation.overall_budget if team is None else allocation.budgets.get(team)
    return CostDigest(
        team=team,
        currency=currency,
        day=day,
        month_to_date=_sum(month),
        yesterday=by_day.get(day, ZERO) if has_data else None,
        trailing_average=(
            sum((by_day.get(d, ZERO) for d in trailing), ZERO) / len(trailing) if trailing else None
        ),
        trailing_days=len(trailing),
        budget=budget,
        shared=_sum(line for line in month if line.basis == "shared"),
        unallocated=_sum(line for line in month if line.team is None),
        top_services=_top_services(month, settings.top),
        top_resources=tuple(
            CostLine(r.name or r.resource_id, r.amount, r.service)
            for r in (
                costs.overall_resources
                if team is None
                else [r for r in costs.resources if r.team == team]
            )[: settings.top]
        ),
        breakdown=_breakdown(month) if team is None else (),
        daily=_daily([line for line in mine if line.day >= chart_start], by_team=team is None),
        month_daily=tuple(
            (month_start + timedelta(days=n), by_day.get(month_start + timedelta(days=n), ZERO))
            for n in range(day.day)
        ),
        chart_start=chart_start,
        data_through=costs.data_through,
        other_currencies=_other_currencies(costs, team, month_start, day, currency),
        shared_rules=tuple(sorted({line.rule for line in month if line.rule and line.team})),
    )


def _sum(lines: Iterable[AllocatedCost]) -> Decimal:
    return sum((line.amount for line in lines), ZERO)


def _top_services(lines: list[AllocatedCost], top: int) -> tuple[CostLine, ...]:
    total: dict[str, Decimal] = defaultdict(lambda: ZERO)
    shared: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        total[line.service] += line.amount
        if line.basis == "shared":
            shared[line.service] += line.amount
    ranked = sorted((s for s in total if total[s] > 0), key=lambda s: (-total[s], s))[:top]
    return tuple(CostLine(s, total[s], shared=shared.get(s, ZERO)) for s in ranked)


def _breakdown(lines: list[AllocatedCost]) -> tuple[CostLine, ...]:
    """Month to date per team, then unallocated, in cents that add up to the rounded total."""
    per: dict[str | None, Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        per[line.team] += line.amount
    teams = sorted((t for t in per if t is not None), key=lambda t: (-per[t], t))
    order: list[str | None] = [*teams, None]
    cents = apportion(_sum(lines), [per.get(t, ZERO) for t in order])
    return tuple(CostLine(t or UNALLOCATED, c) for t, c in zip(order, cents, strict=True))


def _daily(lines: list[AllocatedCost], *, by_team: bool) -> tuple[DailyPoint, ...]:
    """Chart series: the biggest groups by name, the rest as Other (Unallocated kept apart)."""

    def group_of(line: AllocatedCost) -> str:
        if by_team:
            return line.team or UNALLOCATED
        return line.service

    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        totals[group_of(line)] += line.amount
    ranked = sorted((g for g in totals if g != UNALLOCATED), key=lambda g: (-totals[g], g))
    keep = set(ranked[: CHART_GROUPS - 1]) if len(ranked) > CHART_GROUPS else set(ranked)
    points: dict[tuple[date, str], Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        group = group_of(line)
        points[(line.day, group if group in keep or group == UNALLOCATED else "Other")] += (
            line.amount
        )
    return tuple(DailyPoint(d, g, a) for (d, g), a in sorted(points.items()) if a)


def _other_currencies(
    costs: AllocatedCosts, team: str | None, start: date, day: date, currency: str
) -> tuple[CostLine, ...]:
    others: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for line in costs.lines:
        mine = team is None or line.team == team
        if mine and line.currency != currency and start <= line.day <= day:
            others[line.currency] += line.amount
    return tuple(CostLine(c, a) for c, a in sorted(others.items()) if a)
