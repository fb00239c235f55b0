"""AWS Lambda: the daily tag sweep (EventBridge Scheduler) -> every target's resources remediated.

Thin by design: read the schedule's instant, get the warm container's tag worker, sweep,
report. The event's ``time`` (the Scheduler input ``{"time": "<aws.scheduler.scheduled-time>"}``,
or an EventBridge rule's ``Scheduled Event``) is the sweep's ``now`` and names the run
(``tag-sweep-<YYYYMMDDTHHMM>``): a retried or doubled delivery computes the same deadlines and
its Slack reports are deduplicated per run, target and team.

A target whose listing failed does not stop the others; the first such error is raised after
all ran, so the asynchronous invocation is retried (then the dead-letter queue). The retry
writes only what is still missing. Writes that failed on single resources are reported in
Slack and counted, not retried here: tomorrow's sweep tries them again.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from costwarden.bootstrap_schedule import tick_instant
from costwarden.bootstrap_tagging import TagWorker, tag_worker_from_settings
from costwarden.errors import PayloadError
from costwarden.ports import claim_owner
from costwarden.settings import load_settings

logger = Logger(service="costwarden-tag-sweep")
metrics = Metrics(namespace="costwarden", service="tag-sweep")
tracer = Tracer(service="costwarden-tag-sweep")


@cache
def _worker() -> TagWorker:
    return tag_worker_from_settings(load_settings(), "aws")


def sweep_run_id(at: datetime) -> str:
    """One run per scheduled instant, to the minute."""
    return f"tag-sweep-{at:%Y%m%dT%H%M}"


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        if not isinstance(event, dict):
            raise PayloadError(
                f"a sweep schedule event is a JSON object, not {type(event).__name__}"
            )
        at = tick_instant(event.get("time"))
        run_id = sweep_run_id(at)
        logger.append_keys(run_id=run_id)
        runs = _worker().sweep(now=at, run_id=run_id, owner=claim_owner(context.aws_request_id))
    except Exception as exc:
        metrics.add_metric(name="TagSweepFailed", unit=MetricUnit.Count, value=1)
        logger.exception("tag sweep failed", extra={"error": type(exc).__name__})
        raise
    summaries = [run.summary() for run in runs]
    for name, value in (
        ("TagResourcesChecked", sum(run.report.checked for run in runs)),
        ("TagResourcesFixed", sum(len(run.report.fixed) for run in runs)),
        ("TagResourcesViolating", sum(len(run.report.violating) for run in runs)),
        ("TagWritesFailed", sum(len(run.report.failed) for run in runs)),
        # tagging.grace.action: stop (docs/tagging.md "After the grace period").
        ("TagGraceStopped", sum(r.report.grace.count("stopped") for r in runs if r.report.grace)),
        ("TagGraceStopFailed", sum(r.report.grace.count("failed") for r in runs if r.report.grace)),
    ):
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    logger.info("tag sweep done", extra={"runs": summaries})
    return {"run_id": run_id, "at": at.isoformat(), "runs": summaries}
