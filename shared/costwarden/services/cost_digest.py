"""The daily cost digest: one Slack message (plus a chart) per team per day, and one overall.

``send_daily_digests`` is what each cloud's daily timer calls. Schedulers fire at least once
(EventBridge, Cloud Scheduler and Azure timers all retry or double-fire), so the contract is *one
digest per team per day*, held by the state store:

1. skip every digest already marked done today, without reading cost data when all are;
2. allocate the window's costs once (``AllocatedCostData``; DuckDB over FOCUS in production)
   and compute each digest's figures (``digest_figures.build_digest``, re-exported here);
3. per digest: claim ``digest:<date>:<team>``, post the message, record it, upload the chart,
   mark the claim done. A failure releases the claim and the next run retries that digest
   only; a message already posted is never posted twice (only its chart is retried).

One team's failure never stops the others; the run raises ``DigestsIncompleteError`` at the end
so the platform reports (and, where it retries, retries) the run.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal, Protocol

from costwarden.errors import CostwardenError, NotificationError, PayloadError
from costwarden.models.allocation import AllocatedCosts
from costwarden.models.digest import DigestMessage
from costwarden.models.notification import PostedMessage
from costwarden.policy import Policy
from costwarden.policy.allocation import AllocationSection
from costwarden.ports import ClaimStatus, Clock, StateStore
from costwarden.services.digest_figures import TRAILING_DAYS, build_digest

log = logging.getLogger(__name__)

#: Long enough for an allocation query and two Slack calls; short enough that a crashed run's
#: claim is free again well before the next scheduled retry.
DEFAULT_LEASE = timedelta(minutes=10)
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
    """One scheduled run: the day reported on and each digest's outcome.

    ``stale``: the trigger was scheduled on an earlier UTC day than the run (a redelivery or a
    retry that outlived its day); nothing was sent, the trigger is acknowledged.
    """

    day: date
    outcomes: tuple[DigestOutcome, ...] = ()
    disabled: bool = False  # the policy has no allocation section, or digest.enabled is false
    stale: bool = False

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
    scheduled_at: datetime | None = None,
) -> DigestRun:
    """Send the digests of the trigger's day (reporting on the day before, UTC) not sent yet.

    ``scheduled_at`` is when the trigger was *scheduled* (EventBridge's ``time``, the
    CloudEvent's ``time``, the Azure timer's occurrence); None: the clock's now. A trigger
    redelivered after midnight UTC must not send the next day's digests from data that has
    not arrived yet (and make that day's own run find them ``duplicate``): a trigger whose
    day is over is acknowledged without sending anything (``DigestRun.stale``).

    Raises ``CostDataError`` (nothing sent) when the cost data cannot be read and
    ``DigestsIncompleteError`` when some digests failed; the others are sent either way.
    """
    now = clock.now().astimezone(UTC)
    today = (scheduled_at or now).astimezone(UTC).date()
    day = today - timedelta(days=1)
    if today < now.date():
        log.warning(
            "daily digest trigger of %s arrived on %s: its day is over, nothing is sent late",
            today,
            now.date(),
        )
        return DigestRun(day, stale=True)
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


def trigger_time(value: object, *, field: str = "time") -> datetime | None:
    """The instant a trigger was scheduled for, from its ISO 8601 ``field`` (None: absent).

    Naive times are UTC (Azure's timer status may omit the offset); anything else that is not
    an ISO 8601 instant is a ``PayloadError``: guessing the day would send the wrong digests.
    """
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise PayloadError(f"the trigger's {field} is not an ISO 8601 string: {value!r}")
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise PayloadError(f"the trigger's {field} is not an ISO 8601 instant: {value!r}") from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


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
