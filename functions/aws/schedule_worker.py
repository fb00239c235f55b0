"""AWS Lambda: one SQS work item per target -> plan, act, report (the scheduler's worker).

Thin by design: parse each record's work item, run it through the warm container's worker,
count and log the outcome. Records are processed by Powertools' ``BatchProcessor`` and failures
are reported per record (``ReportBatchItemFailures`` on the event source mapping): a malformed
message, a target that could not be listed or an action that failed makes *that* record
visible again, the others are deleted. A record that keeps failing reaches the queue's
dead-letter queue. Redelivery is safe: the worker reconciles (a stopped instance is not stopped
again) and its Slack reports are deduplicated per run, target and team.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from costwarden.bootstrap_schedule import (
    ScheduleWorker,
    raise_if_failed,
    schedule_worker_from_settings,
)
from costwarden.errors import CostwardenError
from costwarden.ports import claim_owner
from costwarden.ports_compute import WorkItem
from costwarden.settings import load_settings

logger = Logger(service="costwarden-schedule-worker")
metrics = Metrics(namespace="costwarden", service="schedule-worker")
tracer = Tracer(service="costwarden-schedule-worker")
processor = BatchProcessor(event_type=EventType.SQS)


@cache
def _worker() -> ScheduleWorker:
    return schedule_worker_from_settings(load_settings(), "aws")


@tracer.capture_method
def record_handler(record: SQSRecord) -> dict[str, object]:
    try:
        item = WorkItem.from_message(record.body)
        logger.append_keys(target=item.target.label, run_id=item.run_id)
        # A unique claim owner per delivery: a duplicate running at the same time finds the
        # Slack report claims busy instead of sharing them.
        report = _worker().run(item, invocation_id=claim_owner(record.message_id))
    except CostwardenError as exc:
        metrics.add_metric(name="ScheduleWorkItemFailed", unit=MetricUnit.Count, value=1)
        logger.exception(
            "schedule work item failed",
            extra={"message_id": record.message_id, "error": type(exc).__name__},
        )
        raise
    finally:
        logger.remove_keys(["target", "run_id"])
    for outcome in report.outcomes:
        metrics.add_metric(name=f"ScheduleAction_{outcome.status}", unit=MetricUnit.Count, value=1)
    if report.plan.blocked is not None:
        metrics.add_metric(name="SchedulePlanBlocked", unit=MetricUnit.Count, value=1)
    summary = report.summary()
    logger.info("schedule work item done", extra={"run": summary})
    raise_if_failed(report)  # the record fails, so SQS delivers it again
    return summary


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    records = event.get("Records") if isinstance(event, dict) else None
    count = len(records) if isinstance(records, list) else 0
    metrics.add_metric(name="ScheduleWorkItemsReceived", unit=MetricUnit.Count, value=count)
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
