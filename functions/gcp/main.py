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
to a Pub/Sub topic once a day and Eventarc delivers the message here (its content is not used;
its ``time``, the publish time, gives the day). Unreadable cost data or a failed digest raises,
so a trigger deployed with retries redelivers; a redelivery posts only what is still missing,
and one that lands on a later UTC day is acknowledged without sending.

``schedule_planner`` is the scheduler's tick (docs/scheduling.md): Cloud Scheduler publishes to
a Pub/Sub topic every few minutes and Eventarc delivers the message here; the CloudEvent's
``time`` is the instant every worker reconciles for. It publishes one work item per project to
the topic ``COSTWARDEN_SCHEDULE_QUEUE``. ``schedule_worker`` receives those (Eventarc again):
plan, act and report for one project. Either raises on failure (malformed item, listing failed,
an action failed), so a trigger deployed with retries redelivers and, past the subscription's
limit, parks the message in its dead-letter topic; a redelivery reconciles and posts nothing new.

``tag_remediation`` is the 2nd-gen entry point for Cloud Audit Logs via Eventarc
(``google.cloud.audit.log.v1.written``, docs/tagging.md): what an insert created is re-read and
labelled (the creator as owner), each team told once per event. An entry that needs nothing
(not the first of a long-running operation, a failed call), whose method has no rule, or that is
malformed is logged and acknowledged: a redelivery cannot change it. Anything else raises, so a
trigger deployed with retries redelivers; the retry writes only what is missing.
``tag_sweep`` is the daily sweep: Cloud Scheduler publishes to a Pub/Sub topic and Eventarc
delivers the message here; the CloudEvent's ``time`` is the sweep's instant and names its run.
A project that could not be listed makes it raise after the others ran.
"""

from __future__ import annotations

import base64
import binascii
import logging
from datetime import UTC, datetime
from functools import cache
from typing import Any

import functions_framework
from cloudevents.http import CloudEvent

from costwarden.bootstrap import BudgetAlertDeps, build_budget_alert_deps
from costwarden.bootstrap_digest import DigestDeps, build_digest_deps
from costwarden.bootstrap_exports import ExportArrivalDeps, build_export_arrival_deps
from costwarden.bootstrap_schedule import (
    SchedulePlanner,
    ScheduleWorker,
    raise_if_failed,
    schedule_planner_from_settings,
    schedule_worker_from_settings,
    tick_instant,
)
from costwarden.bootstrap_tagging import TagWorker, tag_worker_from_settings
from costwarden.errors import CloudApiError, PayloadError, UnrecognisedPayloadError
from costwarden.models.budget import BudgetAlert
from costwarden.normalize.budget import parse_budget_event
from costwarden.normalize.export import parse_export_event
from costwarden.normalize.resource_change import parse_resource_change
from costwarden.ports import claim_owner
from costwarden.ports_compute import WorkItem
from costwarden.services.budget_alerts import process_budget_alert
from costwarden.services.cost_digest import send_daily_digests, trigger_time
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
    invocation_id = str(getattr(context, "event_id", None) or "background")
    _process(parse_budget_event(event, provider="gcp"), invocation_id)


def _process(alerts: list[BudgetAlert], delivery_id: str) -> None:
    # Pub/Sub redelivers a message whose ack deadline passed under the same id, possibly while
    # the first delivery still posts (e.g. waiting out a Slack Retry-After): each delivery needs
    # its own claim owner, so the second finds the claim busy instead of re-acquiring it.
    owner = claim_owner(delivery_id)
    for alert in alerts:
        outcome = process_budget_alert(alert, **vars(_deps()), invocation_id=owner)
        log.info("budget alert processed: %s", outcome.as_log())


# -- billing-export arrival ----------------------------------------------------------------------
export_log = logging.getLogger("costwarden.export_arrival")


@cache
def _export_deps() -> ExportArrivalDeps:
    return build_export_arrival_deps(load_settings())


@functions_framework.cloud_event
def export_arrival(cloud_event: CloudEvent) -> None:
    payload = {**cloud_event.get_attributes(), "data": cloud_event.get_data()}
    # A redelivery repeats the CloudEvent id; while the first delivery still converts it must
    # find the claim busy, not re-acquire it as the same owner and convert a second time.
    owner = claim_owner(cloud_event["id"])
    for obj in parse_export_event(payload, provider="gcp"):
        outcome = process_export_object(obj, **vars(_export_deps()), invocation_id=owner)
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
    invocation_id = claim_owner(cloud_event["id"])
    # The event's time is the message's publish time, the same on every redelivery: a
    # redelivery after midnight UTC is acknowledged, not sent as the next day's digests.
    scheduled_at = trigger_time(cloud_event.get("time"))
    run = send_daily_digests(
        **vars(_digest_deps()), invocation_id=invocation_id, scheduled_at=scheduled_at
    )
    digest_log.info(
        "daily digests for %s%s: %s",
        run.day,
        " (stale trigger, nothing sent)" if run.stale else "",
        [outcome.as_log() for outcome in run.outcomes],
    )


# -- scheduler: nightly shutdown, morning start, idle stop ---------------------------------------
schedule_log = logging.getLogger("costwarden.scheduler")


@cache
def _schedule_planner() -> SchedulePlanner:
    return schedule_planner_from_settings(load_settings(), "gcp")


@cache
def _schedule_worker() -> ScheduleWorker:
    return schedule_worker_from_settings(load_settings(), "gcp")


@functions_framework.cloud_event
def schedule_planner(cloud_event: CloudEvent) -> None:
    # Cloud Scheduler's message body is not used: the event's time is the tick's instant.
    at = tick_instant(cloud_event.get("time"))
    sent = _schedule_planner().fan_out(at)
    schedule_log.info("schedule work items sent for %s: %d", at.isoformat(), sent)


@functions_framework.cloud_event
def schedule_worker(cloud_event: CloudEvent) -> None:
    item = WorkItem.from_message(_pubsub_message_data(cloud_event.get_data()))
    report = _schedule_worker().run(item, invocation_id=claim_owner(cloud_event["id"]))
    schedule_log.info("schedule work item %s: %s", cloud_event["id"], report.summary())
    raise_if_failed(report)  # Pub/Sub redelivers; the retry reconciles what is left


def _pubsub_message_data(data: Any) -> bytes:
    """The published bytes of an Eventarc Pub/Sub CloudEvent (``data.message.data``, base64)."""
    message = data.get("message") if isinstance(data, dict) else None
    encoded = message.get("data") if isinstance(message, dict) else None
    if not isinstance(encoded, str):
        raise PayloadError("not a Pub/Sub CloudEvent: data.message.data is missing")
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise PayloadError("data.message.data is not base64") from None


# -- tag remediation -----------------------------------------------------------------------------
tag_log = logging.getLogger("costwarden.tag_remediation")


@cache
def _tag_worker() -> TagWorker:
    return tag_worker_from_settings(load_settings(), "gcp")


@functions_framework.cloud_event
def tag_remediation(cloud_event: CloudEvent) -> None:
    event_id = str(cloud_event["id"])
    payload = {**cloud_event.get_attributes(), "data": cloud_event.get_data()}
    try:
        changes = parse_resource_change(payload)
    except UnrecognisedPayloadError as exc:
        tag_log.info("no tagging rule for event %s: %s", event_id, exc)
        return
    except PayloadError as exc:
        # A redelivery cannot fix a malformed entry: log its typed error and acknowledge it.
        tag_log.error("tag event %s rejected (%s): %s", event_id, type(exc).__name__, exc)
        return
    if not changes:
        tag_log.info("event %s needs no tagging", event_id)
        return
    owner = claim_owner(event_id)
    runs = _tag_worker().on_changes(changes, now=datetime.now(UTC), owner=owner)
    tag_log.info("tag event %s: %s", event_id, [run.summary() for run in runs])
    failed = [
        f"{v.resource.resource_id}: {v.outcome.message if v.outcome else ''}"
        for run in runs
        for v in run.report.failed
    ]
    if failed:
        # Slack was told; raising has Eventarc redeliver, which writes only what is missing.
        raise CloudApiError(f"{len(failed)} label writes failed: " + "; ".join(failed))


@functions_framework.cloud_event
def tag_sweep(cloud_event: CloudEvent) -> None:
    # Cloud Scheduler's message body is not used: the event's time is the sweep's instant.
    at = tick_instant(cloud_event.get("time"))
    run_id = f"tag-sweep-{at:%Y%m%dT%H%M}"
    owner = claim_owner(cloud_event["id"])
    runs = _tag_worker().sweep(now=at, run_id=run_id, owner=owner)
    tag_log.info("tag sweep %s: %s", run_id, [run.summary() for run in runs])
