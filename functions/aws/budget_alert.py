"""AWS Lambda: AWS Budgets notification (SNS) -> one Slack message per threshold.

Thin by design: normalize the SNS event, get the warm container's dependencies, call the core
service, report. The core's normalizer unwraps the SNS envelope itself (rather than Powertools'
``SNSEvent``) so a malformed envelope gets the same typed ``PayloadError`` as a malformed
message. Failures are logged and re-raised: the asynchronous invocation is retried and then
lands in the on-failure destination (DLQ), where it can be inspected.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from costwarden.bootstrap import BudgetAlertDeps, build_budget_alert_deps
from costwarden.errors import CostwardenError
from costwarden.normalize.budget import parse_budget_event
from costwarden.ports import claim_owner
from costwarden.services.budget_alerts import process_budget_alert
from costwarden.settings import load_settings

logger = Logger(service="costwarden-budget-alert")
metrics = Metrics(namespace="costwarden", service="budget-alert")
tracer = Tracer(service="costwarden-budget-alert")


@cache
def _deps() -> BudgetAlertDeps:
    return build_budget_alert_deps(load_settings())


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    outcomes = []
    # Lambda retries an asynchronous invocation under the same request id, possibly while the
    # first attempt still runs (it timed out on our side only): each attempt needs its own claim
    # owner, or the state store lets the second re-acquire the first one's claim and both post.
    owner = claim_owner(context.aws_request_id)
    try:
        for alert in parse_budget_event(event, provider="aws"):
            outcome = process_budget_alert(alert, **vars(_deps()), invocation_id=owner)
            metrics.add_metric(name=f"BudgetAlert_{outcome.status}", unit=MetricUnit.Count, value=1)
            logger.info("budget alert processed", extra=outcome.as_log())
            outcomes.append(outcome.as_log())
    except CostwardenError as exc:
        metrics.add_metric(name="BudgetAlertFailed", unit=MetricUnit.Count, value=1)
        logger.exception("budget alert failed", extra={"error": type(exc).__name__})
        raise
    return {"outcomes": outcomes}
