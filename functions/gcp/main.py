"""Google Cloud Functions: budget notification (Pub/Sub) -> one Slack message per threshold.

``budget_alert`` is the 2nd-gen entry point (a CloudEvent from Eventarc); ``budget_alert_legacy``
serves a 1st-gen background function. Google re-sends each budget's status several times a day:
the dedup in the core service, not this handler, turns that into one message per threshold.

Raising makes Pub/Sub redeliver (deploy with retries and a dead-letter topic, see docs), which is
what we want for a transient failure (Slack down) and, after the retry limit, parks a malformed
message in the dead-letter topic instead of dropping it silently.

``export_arrival`` is the 2nd-gen entry point for GCS ``object.v1.finalized`` (Eventarc): the
completion marker of the documented ``EXPORT DATA`` script -> FOCUS Parquet published
(docs/billing-exports.md). Every other object is ignored; a failure raises, so a trigger
deployed with retries redelivers it.

``cost_digest`` is the 2nd-gen entry point for the daily Slack digests: Cloud Scheduler publishes
to a Pub/Sub topic once a day and Eventarc delivers the message here (its content is not used:
"today" is the clock's, in UTC). Unreadable cost data or a failed digest raises, so a trigger
deployed with retries redelivers; a redelivery posts only what is still missing.
"""

from __future__ import annotations

import logging
import uuid
from functools import cache
from typing import Any

import functions_framework
from cloudevents.http import CloudEvent

from costwarden.bootstrap import BudgetAlertDeps, build_budget_alert_deps
from costwarden.bootstrap_digest import DigestDeps, build_digest_deps
from costwarden.bootstrap_exports import ExportArrivalDeps, build_export_arrival_deps
from costwarden.models.budget import BudgetAlert
from costwarden.normalize.budget import parse_budget_event
from costwarden.normalize.export import parse_export_event
from costwarden.services.budget_alerts import process_budget_alert
from costwarden.services.cost_digest import send_daily_digests
from costwarden.services.export_arrival import process_export_object
from costwarden.settings import load_settings

log = logging.getLogger("costwarden.budget_alert")


@cache
def _deps() -> BudgetAlertDeps:
    return build_budget_alert_deps(load_settings())


@functions_framework.cloud_event
def budget_alert(cloud_event: CloudEvent) -> None:
    payload = {**cloud_event.get_attributes(), "data": cloud_event.get_data()}
    _process(parse_budget_event(payload, provider="gcp"), str(cloud_event["id"]))


def budget_alert_legacy(event: dict[str, Any], context: Any) -> None:
    """1st-gen background function: ``event`` holds ``data`` (base64) and ``attributes``."""
    invocation_id = str(getattr(context, "event_id", None) or uuid.uuid4())
    _process(parse_budget_event(event, provider="gcp"), invocation_id)


def _process(alerts: list[BudgetAlert], invocation_id: str) -> None:
    for alert in alerts:
        outcome = process_budget_alert(alert, **vars(_deps()), invocation_id=invocation_id)
        log.info("budget alert processed: %s", outcome.as_log())


# -- billing-export arrival ----------------------------------------------------------------------
export_log = logging.getLogger("costwarden.export_arrival")


@cache
def _export_deps() -> ExportArrivalDeps:
    return build_export_arrival_deps(load_settings())


@functions_framework.cloud_event
def export_arrival(cloud_event: CloudEvent) -> None:
    payload = {**cloud_event.get_attributes(), "data": cloud_event.get_data()}
    for obj in parse_export_event(payload, provider="gcp"):
        outcome = process_export_object(
            obj, **vars(_export_deps()), invocation_id=str(cloud_event["id"])
        )
        export_log.info("export processed: %s", outcome.as_log())


# -- daily cost digest ---------------------------------------------------------------------------
digest_log = logging.getLogger("costwarden.cost_digest")


@cache
def _digest_deps() -> DigestDeps:
    return build_digest_deps(load_settings())


@functions_framework.cloud_event
def cost_digest(cloud_event: CloudEvent) -> None:
    # Pub/Sub may redeliver (same event id) while the first delivery still runs: each delivery
    # needs its own claim owner, so the second finds the claims busy instead of taking them.
    invocation_id = f"{cloud_event['id']}/{uuid.uuid4().hex[:12]}"
    run = send_daily_digests(**vars(_digest_deps()), invocation_id=invocation_id)
    digest_log.info(
        "daily digests for %s: %s", run.day, [outcome.as_log() for outcome in run.outcomes]
    )
