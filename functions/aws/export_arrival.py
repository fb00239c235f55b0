"""AWS Lambda: S3 ``ObjectCreated:*`` on a billing-export manifest -> FOCUS Parquet published.

Thin by design: normalize the S3 notification, get the warm container's dependencies, call the
core service per object, report. Objects that are not manifests are ignored (and counted), so
the function is safe behind a broad notification as well as a ``-Manifest.json`` suffix filter.
Every record is processed even when an earlier one fails; then the invocation fails, so the
asynchronous retries (and the on-failure destination) see it. Retried records that already
succeeded are duplicates by execution id and cost one small read.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from costwarden.bootstrap_exports import ExportArrivalDeps, build_export_arrival_deps
from costwarden.errors import CostwardenError
from costwarden.normalize.export import parse_export_event
from costwarden.services.export_arrival import process_export_object
from costwarden.settings import load_settings

logger = Logger(service="costwarden-export-arrival")
metrics = Metrics(namespace="costwarden", service="export-arrival")
tracer = Tracer(service="costwarden-export-arrival")


@cache
def _deps() -> ExportArrivalDeps:
    return build_export_arrival_deps(load_settings())


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    outcomes: list[dict[str, Any]] = []
    failures: list[CostwardenError] = []
    try:
        objects = parse_export_event(event, provider="aws")
    except CostwardenError as exc:
        metrics.add_metric(name="ExportArrivalFailed", unit=MetricUnit.Count, value=1)
        logger.exception("export event rejected", extra={"error": type(exc).__name__})
        raise
    # Counted even when zero (S3's setup ping names no object), so the metric is never empty.
    metrics.add_metric(name="ExportObjects", unit=MetricUnit.Count, value=len(objects))
    for obj in objects:
        try:
            outcome = process_export_object(
                obj, **vars(_deps()), invocation_id=context.aws_request_id
            )
        except CostwardenError as exc:
            metrics.add_metric(name="ExportArrivalFailed", unit=MetricUnit.Count, value=1)
            logger.exception(
                "export failed", extra={"object": obj.url, "error": type(exc).__name__}
            )
            failures.append(exc)
            continue
        metrics.add_metric(name=f"Export_{outcome.status}", unit=MetricUnit.Count, value=1)
        logger.info("export processed", extra=outcome.as_log())
        outcomes.append(outcome.as_log())
    if failures:
        raise failures[0]
    return {"outcomes": outcomes}
