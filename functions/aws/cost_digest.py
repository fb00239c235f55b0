"""AWS Lambda: the daily cost digest, fired by EventBridge Scheduler (or an EventBridge rule).

Thin by design: note the trigger, get the warm container's dependencies, call
``send_daily_digests``, report. The day is the event's ``time`` (an EventBridge rule's
``Scheduled Event``, or the ``{"time": "<aws.scheduler.scheduled-time>"}`` input the template
gives its Scheduler schedules), so a retry that lands after midnight UTC does not send the next
day's digests early; it is acknowledged instead. Without ``time`` (any other JSON object) the
day is the clock's. A second fire the same day posts nothing new (the service claims each
digest per team per day). Cost data that cannot be read, or a digest that failed, raises: the
asynchronous invocation is retried (Scheduler's retry policy, then its dead-letter queue) and
the retry sends only what is missing.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from costwarden.bootstrap_digest import DigestDeps, build_digest_deps
from costwarden.errors import CostwardenError, PayloadError
from costwarden.ports import claim_owner
from costwarden.services.cost_digest import (
    DigestsIncompleteError,
    send_daily_digests,
    trigger_time,
)
from costwarden.settings import load_settings

logger = Logger(service="costwarden-cost-digest")
metrics = Metrics(namespace="costwarden", service="cost-digest")
tracer = Tracer(service="costwarden-cost-digest")


@cache
def _deps() -> DigestDeps:
    return build_digest_deps(load_settings())


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        if not isinstance(event, dict):
            raise PayloadError(f"a schedule event is a JSON object, not {type(event).__name__}")
        logger.append_keys(schedule_time=event.get("time"), schedule_event=event.get("id"))
        # A unique owner per attempt: an at-least-once duplicate delivery running at the same
        # time must find the claims busy, not share them.
        invocation_id = claim_owner(context.aws_request_id)
        scheduled_at = trigger_time(event.get("time"))
        run = send_daily_digests(
            **vars(_deps()), invocation_id=invocation_id, scheduled_at=scheduled_at
        )
    except DigestsIncompleteError as exc:
        _count(exc.run.outcomes)
        metrics.add_metric(name="CostDigestFailed", unit=MetricUnit.Count, value=1)
        logger.exception("some daily digests failed", extra={"day": str(exc.run.day)})
        raise
    except CostwardenError as exc:
        metrics.add_metric(name="CostDigestFailed", unit=MetricUnit.Count, value=1)
        logger.exception("daily digest failed", extra={"error": type(exc).__name__})
        raise
    _count(run.outcomes)
    if run.stale:
        metrics.add_metric(name="CostDigestStale", unit=MetricUnit.Count, value=1)
    outcomes = [o.as_log() for o in run.outcomes]
    logger.info(
        "daily digests done",
        extra={"day": str(run.day), "disabled": run.disabled, "stale": run.stale},
    )
    return {
        "day": run.day.isoformat(),
        "disabled": run.disabled,
        "stale": run.stale,
        "outcomes": outcomes,
    }


def _count(outcomes: Any) -> None:
    for outcome in outcomes:
        metrics.add_metric(name=f"CostDigest_{outcome.status}", unit=MetricUnit.Count, value=1)
