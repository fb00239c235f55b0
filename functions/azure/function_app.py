"""Azure Functions (v2 programming model): Action Group webhook -> one Slack message per threshold.

The Action Group calls ``POST /api/budget-alert?code=<function key>&token=<shared secret>``.
Action Groups cannot send custom headers, so the shared secret travels in the query string
(the function key already keeps anonymous callers out; the token proves the caller is *our*
Action Group). A body that is not a budget alert gets 400 and a wrong token 401 (never retried).
A valid alert is posted at once (200). When posting fails for a reason a later try can fix
(Slack down, another delivery holds the claim, state store throttled), the body is handed to
the Storage queue ``budget-alert-retry`` and the answer is 202: an Action Group retries only
~5 times within ~75 s and then drops the alert, far shorter than a Slack outage or the claim
lease of a delivery that died mid-post. ``budget_alert_retry`` is that queue's trigger; it
raises on failure, so the host retries the message (``host.json``: every 2 minutes,
``maxDequeueCount`` 5) and then moves it to ``budget-alert-retry-poison``. Only when the queue
itself cannot be written does the webhook answer 503 (the Action Group's retries).

``export_arrival`` is an Event Grid trigger on ``Microsoft.Storage.BlobCreated`` (Event Grid or
CloudEvents schema): a Cost Management export's ``manifest.json`` -> FOCUS Parquet published
(docs/billing-exports.md). Raising makes Event Grid redeliver with back-off (up to 24 hours,
then the subscription's dead-letter container).

``cost_digest`` is a timer trigger (NCRONTAB from the app setting
``COSTWARDEN_DIGEST_SCHEDULE``, e.g. ``0 0 7 * * *``: 07:00 UTC daily) -> the daily Slack digests
(docs/cost-digest.md). It raises when cost data cannot be read or a digest failed, so the
retry policy runs it again; a run that finds every digest sent posts nothing, and one whose
occurrence was on an earlier UTC day sends nothing.

``schedule_planner`` is a timer trigger (NCRONTAB from ``COSTWARDEN_SCHEDULE_TICK``, e.g.
``0 */15 * * * *``) -> one work item per subscription on the Storage queue
``COSTWARDEN_SCHEDULE_QUEUE`` (docs/scheduling.md). ``schedule_worker`` is that queue's trigger
(``connection="COSTWARDEN_QUEUE_CONNECTION"``): plan, act and report for one subscription.
A worker that raises (malformed item, listing failed, an action failed) leaves the message to
the host's retries (``maxDequeueCount``, 5 by default), then to ``<queue>-poison``; a retry
reconciles, so nothing is stopped twice and Slack reports are deduplicated per run.

``tag_remediation`` is an Event Grid trigger on the subscription's
``Microsoft.Resources.ResourceWriteSuccess`` events (docs/tagging.md): what was created is
re-read and tagged (the creator as owner), each team told once per event. An event that needs
nothing (costwarden's own tag write, a failed call) or whose operation has no rule is logged and
acknowledged; a malformed one too, since a redelivery cannot fix it. Anything else raises, so
Event Grid redelivers; the retry writes only what is still missing and posts nothing twice.
``tag_sweep`` is a timer trigger (NCRONTAB from ``COSTWARDEN_TAG_SWEEP_SCHEDULE``, e.g.
``0 30 5 * * *``) -> every subscription's resources remediated; a subscription that could not
be listed makes it raise after the others ran, so the retry policy runs it again.
"""

from __future__ import annotations

import hmac
import json
import logging
import uuid
from datetime import UTC, datetime
from functools import cache

import azure.functions as func

from costwarden.bootstrap import BudgetAlertDeps, build_budget_alert_deps
from costwarden.bootstrap_digest import DigestDeps, build_digest_deps
from costwarden.bootstrap_exports import ExportArrivalDeps, build_export_arrival_deps
from costwarden.bootstrap_schedule import (
    SchedulePlanner,
    ScheduleWorker,
    build_work_queue,
    raise_if_failed,
    schedule_planner_from_settings,
    schedule_worker_from_settings,
    tick_instant,
)
from costwarden.bootstrap_tagging import TagWorker, tag_worker_from_settings
from costwarden.errors import (
    AlertInProgressError,
    CloudApiError,
    CostwardenError,
    PayloadError,
    UnauthorizedError,
    UnrecognisedPayloadError,
)
from costwarden.normalize.budget import from_azure_webhook
from costwarden.normalize.export import parse_export_event
from costwarden.normalize.resource_change import parse_resource_change
from costwarden.ports import claim_owner
from costwarden.ports_compute import WorkItem, WorkQueue
from costwarden.services.budget_alerts import process_budget_alert
from costwarden.services.cost_digest import send_daily_digests, trigger_time
from costwarden.services.export_arrival import process_export_object
from costwarden.settings import Settings, load_settings

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
log = logging.getLogger("costwarden.budget_alert")


@cache
def _settings() -> Settings:
    return load_settings()


@cache
def _deps() -> BudgetAlertDeps:
    return build_budget_alert_deps(_settings())


#: Where a webhook delivery that could not be posted waits for its retries (infra/azure
#: budget_queue.tf); the host moves a message that failed maxDequeueCount times to
#: ``<queue>-poison``. A fixed name: the queue trigger's binding and the sender must agree.
BUDGET_RETRY_QUEUE = "budget-alert-retry"


@cache
def _budget_retry_queue() -> WorkQueue:
    # The scheduler's queue client, pointed at the budget queue: same storage account, same
    # connection setting (COSTWARDEN_QUEUE_CONNECTION) and identity as the queue trigger's.
    settings = _settings().model_copy(update={"schedule_queue": BUDGET_RETRY_QUEUE})
    return build_work_queue(settings, "azure")


@app.route(route="budget-alert", methods=["POST"])
def budget_alert(req: func.HttpRequest) -> func.HttpResponse:
    # A retried webhook may repeat the request id while the first delivery still runs: each
    # delivery needs its own claim owner, so the second finds the claim busy, not its own.
    delivery = req.headers.get("x-ms-client-request-id") or "webhook"
    owner = claim_owner(delivery)
    body: dict[str, object] | None = None
    try:
        _authorize(req, _settings())
        body = _json_object(req.get_body())
        alert = from_azure_webhook(body)
        outcome = process_budget_alert(alert, **vars(_deps()), invocation_id=owner)
    except UnauthorizedError as exc:
        log.warning("budget alert rejected: %s", exc)
        return _json(401, {"error": "unauthorized"})
    except PayloadError as exc:
        log.error("budget alert payload rejected: %s", exc)
        return _json(400, {"error": str(exc)})
    except (AlertInProgressError, CostwardenError) as exc:
        # Transient (Slack down, claim held, state store throttled): retry from the queue.
        log.warning("budget alert not posted (%s: %s); queueing it", type(exc).__name__, exc)
        return _queue_for_retry(body, exc)
    log.info("budget alert processed: %s", outcome.as_log())
    return _json(200, outcome.as_log())


def _queue_for_retry(body: dict[str, object] | None, cause: Exception) -> func.HttpResponse:
    try:
        if body is None:  # the settings failed before the body was read: nothing to queue
            raise cause
        _budget_retry_queue().send([json.dumps(body)])
    except CostwardenError:
        # No queue configured (a local run) or it cannot be written: the Action Group's own
        # retries are all that is left.
        log.exception("budget alert could not be queued, asking the Action Group to retry")
        return _json(503, {"error": type(cause).__name__}, headers={"Retry-After": "60"})
    return _json(
        202, {"status": "queued", "queue": BUDGET_RETRY_QUEUE, "error": type(cause).__name__}
    )


@app.queue_trigger(
    arg_name="message",
    queue_name=BUDGET_RETRY_QUEUE,
    connection="COSTWARDEN_QUEUE_CONNECTION",
)
def budget_alert_retry(message: func.QueueMessage) -> None:
    # Raising hands the message back to the queue: the host retries it (host.json spaces the
    # tries two minutes apart, longer than a dead delivery's claim lease over five tries), then
    # moves it to the poison queue. The webhook queued only bodies that parsed.
    alert = from_azure_webhook(_json_object(message.get_body()))
    owner = claim_owner(message.id)
    outcome = process_budget_alert(alert, **vars(_deps()), invocation_id=owner)
    log.info(
        "queued budget alert %s (try %s) processed: %s",
        message.id,
        message.dequeue_count,
        outcome.as_log(),
    )


def _json_object(raw: bytes) -> dict[str, object]:
    """The body as a JSON object; anything else (not JSON, a list, a string, null) is a
    ``PayloadError``, i.e. 400, rather than a crash in the normalizer."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise PayloadError("request body is not JSON") from None
    if not isinstance(body, dict):
        raise PayloadError(f"request body must be a JSON object, got {type(body).__name__}")
    return body


def _authorize(req: func.HttpRequest, settings: Settings) -> None:
    expected = settings.webhook_token
    if expected is None:
        # Refuse to run open: a missing secret is a deployment error, not "no auth".
        raise UnauthorizedError("COSTWARDEN_WEBHOOK_TOKEN is not configured")
    given = req.params.get("token") or req.headers.get("x-costwarden-token") or ""
    if not hmac.compare_digest(given.encode(), expected.get_secret_value().encode()):
        raise UnauthorizedError("missing or wrong token")


def _json(status: int, body: object, *, headers: dict[str, str] | None = None) -> func.HttpResponse:
    return func.HttpResponse(
        json.dumps(body), status_code=status, mimetype="application/json", headers=headers
    )


# -- billing-export arrival ----------------------------------------------------------------------
export_log = logging.getLogger("costwarden.export_arrival")


@cache
def _export_deps() -> ExportArrivalDeps:
    return build_export_arrival_deps(_settings())


@app.event_grid_trigger(arg_name="event")
def export_arrival(event: func.EventGridEvent) -> None:
    # Event Grid redelivers an event it got no answer for within 30 s, while the first delivery
    # may still be converting: each invocation needs its own claim owner, so the redelivery
    # finds the claim busy (and fails, to be retried later) instead of converting a second time.
    invocation_id = claim_owner(event.id)
    for obj in parse_export_event(_event_grid_payload(event), provider="azure"):
        outcome = process_export_object(obj, **vars(_export_deps()), invocation_id=invocation_id)
        export_log.info("export processed: %s", outcome.as_log())


def _event_grid_payload(event: func.EventGridEvent | func.CloudEvent) -> dict[str, object]:
    """The event as its schema's JSON: the worker decodes either schema to its own class."""
    if isinstance(event, func.CloudEvent):
        return {
            "specversion": event.specversion,
            "id": event.id,
            "source": event.source,
            "type": event.type,
            "subject": event.subject,
            "data": event.get_json(),
        }
    return {
        "id": event.id,
        "topic": event.topic,
        "subject": event.subject,
        "eventType": event.event_type,
        "data": event.get_json(),
        "dataVersion": event.data_version,
    }


# -- daily cost digest ---------------------------------------------------------------------------
digest_log = logging.getLogger("costwarden.cost_digest")


@cache
def _digest_deps() -> DigestDeps:
    return build_digest_deps(_settings())


# The host resolves %NAME% from app settings when it indexes the function: the setting must
# exist (infra sets it; docs/cost-digest.md gives the default). The retry policy re-runs a
# failed digest run; the service sends only what is still missing.
@app.timer_trigger(
    arg_name="timer",
    schedule="%COSTWARDEN_DIGEST_SCHEDULE%",
    run_on_startup=False,
    use_monitor=True,
)
@app.retry(
    strategy="exponential_backoff",
    max_retry_count="3",
    minimum_interval="00:01:00",
    maximum_interval="00:15:00",
)
def cost_digest(timer: func.TimerRequest) -> None:
    # The monitor's ScheduleStatus.Next, read before this run updates it, is the occurrence
    # being run (a past-due one included): its day is the digest's day, so a run the host
    # catches up on after midnight UTC is acknowledged rather than sent a day early. A manual
    # run (Next still ahead) uses the clock.
    occurrence = trigger_time(timer.schedule_status.get("Next"), field="ScheduleStatus.Next")
    if occurrence is not None and occurrence > datetime.now(UTC):
        occurrence = None
    if timer.past_due:
        digest_log.warning("the digest timer is past due (scheduled %s)", occurrence)
    run = send_daily_digests(
        **vars(_digest_deps()), invocation_id=uuid.uuid4().hex, scheduled_at=occurrence
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
    return schedule_planner_from_settings(_settings(), "azure")


@cache
def _schedule_worker() -> ScheduleWorker:
    return schedule_worker_from_settings(_settings(), "azure")


# No retry policy: the next tick, minutes later, fans out again and workers reconcile; a
# failure shows in the invocation log and alerts.
@app.timer_trigger(
    arg_name="timer",
    schedule="%COSTWARDEN_SCHEDULE_TICK%",
    run_on_startup=False,
    use_monitor=True,
)
def schedule_planner(timer: func.TimerRequest) -> None:
    at = _tick_instant(timer)
    sent = _schedule_planner().fan_out(at)
    schedule_log.info("schedule work items sent for %s: %d", at.isoformat(), sent)


def _tick_instant(timer: func.TimerRequest) -> datetime:
    """The occurrence this invocation stands for: while it runs, the host's schedule status
    still holds the previous update, whose ``Next`` is this occurrence (use_monitor=True).
    A past-due invocation (the app was down) reconciles for now, not for a stale slot."""
    scheduled = timer.schedule_status.get("Next")
    if timer.past_due or not scheduled:
        return datetime.now(UTC)
    return tick_instant(scheduled)


@app.queue_trigger(
    arg_name="message",
    queue_name="%COSTWARDEN_SCHEDULE_QUEUE%",
    connection="COSTWARDEN_QUEUE_CONNECTION",
)
def schedule_worker(message: func.QueueMessage) -> None:
    item = WorkItem.from_message(message.get_body())
    report = _schedule_worker().run(item, invocation_id=claim_owner(message.id))
    schedule_log.info("schedule work item %s: %s", message.id, report.summary())
    # Raising hands the message back to the queue: the retry reconciles what is left.
    raise_if_failed(report)


# -- tag remediation -----------------------------------------------------------------------------
tag_log = logging.getLogger("costwarden.tag_remediation")


@cache
def _tag_worker() -> TagWorker:
    return tag_worker_from_settings(_settings(), "azure")


@app.event_grid_trigger(arg_name="event")
def tag_remediation(event: func.EventGridEvent) -> None:
    try:
        changes = parse_resource_change(_resource_write_payload(event))
    except UnrecognisedPayloadError as exc:
        tag_log.info("no tagging rule for event %s: %s", event.id, exc)
        return
    except PayloadError as exc:
        # Redelivering a malformed event cannot fix it: log it with its typed error and
        # acknowledge it, instead of Event Grid retrying for 24 hours.
        tag_log.error("tag event %s rejected (%s): %s", event.id, type(exc).__name__, exc)
        return
    if not changes:
        tag_log.info("event %s needs no tagging", event.id)
        return
    # Event Grid redelivers an event it got no answer for within 30 s: each delivery claims
    # the Slack reports as its own owner, so a concurrent duplicate finds them busy.
    owner = claim_owner(event.id)
    runs = _tag_worker().on_changes(changes, now=datetime.now(UTC), owner=owner)
    tag_log.info("tag event %s: %s", event.id, [run.summary() for run in runs])
    failed = [
        f"{v.resource.resource_id}: {v.outcome.message if v.outcome else ''}"
        for run in runs
        for v in run.report.failed
    ]
    if failed:
        # Slack was told; raising has Event Grid redeliver, which writes only what is missing.
        raise CloudApiError(f"{len(failed)} tag writes failed: " + "; ".join(failed))


def _resource_write_payload(event: func.EventGridEvent) -> dict[str, object]:
    """The event as Event Grid sent it, with its time (the normalizer records it)."""
    payload = _event_grid_payload(event)
    if event.event_time is not None:
        payload["eventTime"] = event.event_time.isoformat()
    return payload


# The retry policy re-runs a sweep whose listing failed; the rerun writes only what is missing
# and its Slack reports are deduplicated per run (the scheduled instant), target and team.
@app.timer_trigger(
    arg_name="timer",
    schedule="%COSTWARDEN_TAG_SWEEP_SCHEDULE%",
    run_on_startup=False,
    use_monitor=True,
)
@app.retry(
    strategy="exponential_backoff",
    max_retry_count="3",
    minimum_interval="00:01:00",
    maximum_interval="00:15:00",
)
def tag_sweep(timer: func.TimerRequest) -> None:
    at = _tick_instant(timer)
    run_id = f"tag-sweep-{at:%Y%m%dT%H%M}"
    runs = _tag_worker().sweep(now=at, run_id=run_id, owner=claim_owner(run_id))
    tag_log.info("tag sweep %s: %s", run_id, [run.summary() for run in runs])
