"""Budget alert service: route, deduplicate, enrich and post one normalized ``BudgetAlert``.

Delivery is at-least-once on every cloud (SNS, Pub/Sub, Action Groups all retry), and Google
re-sends a budget's status several times a day. The contract here is *one Slack message per
budget · period · threshold kind · threshold*:

1. claim the alert's dedup key in the state store (a lease, not a lock: a crashed holder's
   claim expires and the next delivery takes over);
2. post; on failure release the claim and re-raise, so the platform redelivers and the retry
   posts exactly once;
3. mark the key done with the Slack channel and ts.

A higher threshold of the same budget period replies in the thread of the first message,
broadcast to the channel, so a month's story reads as one conversation.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, date, timedelta
from typing import Literal

from costwarden.errors import AlertInProgressError, CostwardenError, StateStoreError
from costwarden.models.budget import BudgetAlert
from costwarden.models.notification import BudgetAlertMessage, CostDriver
from costwarden.policy import Policy, route_budget
from costwarden.ports import ClaimStatus, Clock, CostDrivers, Notifier, StateStore

log = logging.getLogger(__name__)

#: How long a claim stays exclusive. Longer than Slack's worst retry sequence, shorter than the
#: platforms' redelivery back-off, so a crash mid-post delays the alert by minutes, not hours.
DEFAULT_LEASE = timedelta(minutes=5)

Status = Literal["posted", "duplicate", "not_crossed", "below_minimum"]


@dataclass(frozen=True)
class AlertOutcome:
    """What happened to one alert; handlers log it and map it to their platform's response."""

    status: Status
    dedup_key: str
    channel: str | None = None
    ts: str | None = None
    thread_ts: str | None = None
    team: str | None = None
    rule: str | None = None
    drivers_error: str | None = None

    def as_log(self) -> dict[str, str | None]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def process_budget_alert(
    alert: BudgetAlert,
    *,
    policy: Policy,
    state: StateStore,
    notifier: Notifier,
    cost_drivers: CostDrivers,
    clock: Clock,
    invocation_id: str,
    lease: timedelta = DEFAULT_LEASE,
) -> AlertOutcome:
    """Post ``alert`` once to the channel the policy routes it to.

    Raises ``AlertInProgressError`` when another invocation holds a live claim (the caller's
    platform should redeliver later) and ``NotificationError`` when Slack refused the message
    after its retries (the claim is released first so the redelivery can post).
    """
    key = alert.dedup_key
    if not alert.crossed:
        return AlertOutcome("not_crossed", key)
    route = route_budget(policy, alert)
    if route is None:
        return AlertOutcome("below_minimum", key)

    claim = state.claim(key, owner=invocation_id, now=clock.now(), lease=lease)
    if claim.status is ClaimStatus.DONE:
        data = claim.record.data if claim.record else {}
        return AlertOutcome(
            "duplicate", key, channel=data.get("channel"), ts=data.get("ts"), team=route.team
        )
    if claim.status is ClaimStatus.BUSY:
        raise AlertInProgressError(f"{key} is being posted by another invocation; retry later")

    try:
        drivers, drivers_error = _top_drivers(cost_drivers, alert, clock)
        thread = state.get(alert.thread_key)
        # Reply only in a thread of the channel we post to now (the policy may have re-routed).
        same_channel = thread is not None and thread.data.get("route") == route.channel
        thread_ts = thread.data.get("ts") if thread and same_channel else None
        message = BudgetAlertMessage(alert=alert, route=route, drivers=drivers, thread_ts=thread_ts)
        posted = notifier.post_budget_alert(message)
    except BaseException:
        state.release(key, owner=invocation_id)
        raise

    _record_posted(state, key, invocation_id, {"channel": posted.channel, "ts": posted.ts})
    if thread_ts is None:
        # The first message of this budget period becomes the thread later thresholds reply to.
        state.put_if_absent(
            alert.thread_key,
            owner=invocation_id,
            data={"channel": posted.channel, "ts": posted.ts, "route": route.channel},
        )
    return AlertOutcome(
        "posted",
        key,
        channel=posted.channel,
        ts=posted.ts,
        thread_ts=thread_ts,
        team=route.team,
        rule=route.rule,
        drivers_error=drivers_error,
    )


#: Tries (and the seconds before the second and third) to record a message Slack accepted.
_RECORD_WAITS = (0.5, 2.0)


def _record_posted(state: StateStore, key: str, owner: str, data: dict[str, str]) -> None:
    """Mark the claim done once the message is out, trying the write a few times.

    The message is posted: raising now would make the platform deliver the alert again (the
    Azure retry queue, Lambda's and Pub/Sub's retries all outlast the claim's lease), and that
    delivery would find the claim expired and post a second message. So a state store that
    refuses the write (throttled, unavailable) is tried again, and if it keeps refusing the
    failure is logged, not raised: one missing record beats one duplicate in the channel.
    """
    for wait in (*_RECORD_WAITS, None):
        try:
            state.complete(key, owner=owner, data=data)
            return
        except StateStoreError:
            if wait is None:
                log.exception("%s was posted but could not be recorded as done", key)
                return
            log.warning("recording %s as posted failed; trying again in %.1f s", key, wait)
            time.sleep(wait)


def drivers_window_end(alert: BudgetAlert, clock: Clock) -> date | None:
    """The exclusive end of the period the drivers cover.

    The period's own end when its length is known. Otherwise (Google quarterly and annual
    budgets say only when the period started; Azure without a time grain) the day after the
    notification: a cost reader left to itself would assume one month and show a quarterly
    budget's first month as "this period".
    """
    if alert.period_end is not None or alert.period_start is None:
        return alert.period_end
    notified = alert.notified_at or clock.now()
    day = notified.astimezone(UTC).date() if notified.tzinfo else notified.date()
    return max(day, alert.period_start) + timedelta(days=1)


def _top_drivers(
    cost_drivers: CostDrivers, alert: BudgetAlert, clock: Clock
) -> tuple[tuple[CostDriver, ...] | None, str | None]:
    """Cost context is an enrichment: a broken cost store must not silence the alert itself.

    The failure is returned (and logged) so the handler can emit a metric; the message then
    simply has no drivers section, which is how "unknown" reads, never as a fake "no spend".
    """
    try:
        drivers = cost_drivers.top_drivers(
            provider=alert.provider,
            scope=alert.scope,
            period_start=alert.period_start,
            period_end=drivers_window_end(alert, clock),
        )
    except CostwardenError as exc:
        log.warning("cost drivers unavailable for %s: %s", alert.dedup_key, exc)
        return None, str(exc)
    return drivers, None
