"""AWS Lambda: a creation call seen by CloudTrail (EventBridge) -> its resources tagged.

Thin by design: normalize the event, get the warm container's tag worker, remediate what the
event created (each resource re-read first, so the creator's own tags win), report per team.
``now`` is the invocation's clock, not the event's: grace deadlines count from when costwarden
acted.

What is retried and what is not (EventBridge invokes asynchronously: two retries, then the
on-failure destination):

* an operation without a rule (``UnrecognisedPayloadError``) or an event that needs nothing
  (a failed call, costwarden's own tag write): logged, a summary returned, nothing retried;
* a malformed event (``PayloadError``): it can never succeed, so retrying it only delays the
  dead-letter queue; it is logged with its typed error and counted (``TagEventRejected``, the
  metric to alarm on) and a failure summary is returned;
* anything else (a read or write failed, Slack down): raised after every change ran, so the
  platform retries; a retry re-reads and writes only what is still missing, and its Slack
  reports are deduplicated by the event's id.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from costwarden.bootstrap_tagging import TagWorker, tag_worker_from_settings
from costwarden.errors import (
    CloudApiError,
    CostwardenError,
    PayloadError,
    UnrecognisedPayloadError,
)
from costwarden.normalize.resource_change import parse_resource_change
from costwarden.ports import claim_owner
from costwarden.settings import load_settings

logger = Logger(service="costwarden-tag-remediation")
metrics = Metrics(namespace="costwarden", service="tag-remediation")
tracer = Tracer(service="costwarden-tag-remediation")


@cache
def _worker() -> TagWorker:
    return tag_worker_from_settings(load_settings(), "aws")


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    event_id = event.get("id") if isinstance(event, dict) else None
    logger.append_keys(source_event=event_id)
    try:
        changes = parse_resource_change(event)
    except UnrecognisedPayloadError as exc:
        metrics.add_metric(name="TagEventIgnored", unit=MetricUnit.Count, value=1)
        logger.info("no tagging rule for this event", extra={"reason": str(exc)})
        return {"status": "ignored", "reason": str(exc)}
    except PayloadError as exc:
        metrics.add_metric(name="TagEventRejected", unit=MetricUnit.Count, value=1)
        logger.exception("tag event rejected", extra={"error": type(exc).__name__})
        return {"status": "rejected", "error": type(exc).__name__, "reason": str(exc)}
    if not changes:
        metrics.add_metric(name="TagEventIgnored", unit=MetricUnit.Count, value=1)
        logger.info("the event needs no tagging")
        return {"status": "ignored", "reason": "the event needs no tagging"}
    # One claim owner per delivery: a duplicate running at the same time finds the Slack
    # report claims busy instead of sharing them.
    owner = claim_owner(context.aws_request_id)
    try:
        runs = _worker().on_changes(changes, now=datetime.now(UTC), owner=owner)
    except CostwardenError as exc:
        metrics.add_metric(name="TagEventFailed", unit=MetricUnit.Count, value=1)
        logger.exception("tag remediation failed", extra={"error": type(exc).__name__})
        raise
    summaries = [run.summary() for run in runs]
    fixed = sum(len(run.report.fixed) for run in runs)
    violating = sum(len(run.report.violating) for run in runs)
    metrics.add_metric(name="TagResourcesFixed", unit=MetricUnit.Count, value=fixed)
    metrics.add_metric(name="TagResourcesViolating", unit=MetricUnit.Count, value=violating)
    logger.info("tag event remediated", extra={"runs": summaries})
    failed = [
        f"{v.resource.resource_id}: {v.outcome.message if v.outcome else ''}"
        for run in runs
        for v in run.report.failed
    ]
    if failed:
        metrics.add_metric(name="TagEventFailed", unit=MetricUnit.Count, value=1)
        # Slack was told; raising has the platform retry, which writes only what is missing.
        raise CloudApiError(f"{len(failed)} tag writes failed: " + "; ".join(failed))
    return {"status": "done", "runs": summaries}
