"""AWS Lambda: the scheduler's tick (EventBridge) -> one SQS work item per account x region.

Thin by design: read the tick's instant, get the warm container's planner, fan out, report.
The tick's ``time`` is the instant every worker reconciles for, so a late or doubled tick plans
the same desired states as a punctual one; the run id derives from it, so a doubled tick's
Slack reports are deduplicated. Any JSON object with a ``time`` is accepted: an EventBridge
rule's ``Scheduled Event`` or an EventBridge Scheduler target input carrying
``<aws.scheduler.scheduled-time>``. A failure raises: the asynchronous invocation is retried
(then the dead-letter queue), and re-sent work items are harmless (workers reconcile).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from costwarden.bootstrap_schedule import (
    SchedulePlanner,
    schedule_planner_from_settings,
    tick_instant,
)
from costwarden.errors import CostwardenError, PayloadError
from costwarden.settings import load_settings

logger = Logger(service="costwarden-schedule-planner")
metrics = Metrics(namespace="costwarden", service="schedule-planner")
tracer = Tracer(service="costwarden-schedule-planner")


@cache
def _planner() -> SchedulePlanner:
    return schedule_planner_from_settings(load_settings(), "aws")


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        if not isinstance(event, dict):
            raise PayloadError(f"a schedule tick is a JSON object, not {type(event).__name__}")
        at = tick_instant(event.get("time"))
        logger.append_keys(tick_time=at.isoformat(), tick_event=event.get("id"))
        sent = _planner().fan_out(at)
    except CostwardenError as exc:
        metrics.add_metric(name="SchedulePlannerFailed", unit=MetricUnit.Count, value=1)
        logger.exception("schedule fan-out failed", extra={"error": type(exc).__name__})
        raise
    metrics.add_metric(name="ScheduleWorkItems", unit=MetricUnit.Count, value=sent)
    logger.info("schedule work items sent", extra={"work_items": sent})
    return {"at": at.isoformat(), "work_items": sent}
