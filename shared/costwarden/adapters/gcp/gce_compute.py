"""Compute Engine instances of one project: the Google Cloud scheduler's Inventory and Actuator.

google-cloud-compute on its REST transport (Compute Engine has no gRPC API). Design points:

- One ``instances.aggregatedList`` walk (every zone, ``maxResults`` per page) lists the project.
  Without ``returnPartialSuccess`` the API fails the whole call rather than leave zones out; a
  response that still names ``unreachables`` raises, because a partial listing must never pass
  for the whole estate.
- Throttling (429) and server errors (500/502/503/504) are retried by a ``google.api_core``
  ``Retry`` with exponential back-off (``RetrySettings``); once its time budget is spent the
  call raises ``CloudApiError`` naming the call.
- stop/start (``resume`` for a SUSPENDED instance) are long-running: the call returns a zonal
  ``Operation``, polled with ``google.api_core`` ``ExtendedOperation.result(timeout=...)`` until
  DONE. The adapter builds that future itself over its own ``ZoneOperationsClient`` because the
  library's built-in one (``stop()``) creates a polling client without the caller's
  ``client_options``, i.e. always against compute.googleapis.com. Waiting surfaces failures
  that only the operation reports (a start refused with ZONE_RESOURCE_POOL_EXHAUSTED is
  accepted first and fails seconds later). ``execute_all`` sends every change first and then
  awaits their operations against one deadline, ``operation_timeout`` from the start of the
  batch (so a worker's worst case is one ``operation_timeout``, not one per action); an
  operation still running then is ``pending``, never ``done`` (accepted is not done), and is
  recorded with the ``pending`` flag so the next tick does not read its failure as a person's
  start or stop. ``operation_timeout=0`` skips waiting (every change is ``pending``).
- After a change, the ``last-action`` label is written with ``setLabels``, which needs the
  current ``labelFingerprint`` (optimistic locking: a stale one fails with 412 conditionNotMet).
  On a conflict the instance is re-read and the write tried once more, keeping the other
  writer's labels.
"""

from __future__ import annotations

import concurrent.futures
import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TypeVar

from google.api_core import exceptions as api_exceptions
from google.api_core import retry as api_retry
from google.api_core.extended_operation import ExtendedOperation
from google.api_core.future import polling
from google.auth.credentials import Credentials
from google.auth.exceptions import GoogleAuthError
from google.cloud import compute_v1

from costwarden.adapters.batch_operations import send_then_settle
from costwarden.errors import CloudApiError
from costwarden.models.resource import PowerState, Resource
from costwarden.plan.model import LastAction, Outcome, OutcomeStatus, PlannedAction
from costwarden.policy.scheduling import LAST_ACTION_TAG, cloud_tag_key

_T = TypeVar("_T")

# Instance.status -> PowerState. SUSPENDED bills no vCPU/memory, so it counts as stopped.
_STATES: dict[str, PowerState] = {
    "RUNNING": "running",
    "TERMINATED": "stopped",
    "STOPPED": "stopped",
    "SUSPENDED": "stopped",
    **dict.fromkeys(
        (
            "PROVISIONING",
            "STAGING",
            "STOPPING",
            "PENDING_STOP",
            "SUSPENDING",
            "REPAIRING",
            "DEPROVISIONING",
            "PENDING",
        ),
        "transitioning",
    ),
}
# Re-read before acting: these already are (or are on their way to) the action's target state.
_ALREADY = {
    "stop": frozenset({"TERMINATED", "STOPPED", "SUSPENDED", "STOPPING", "PENDING_STOP"}),
    "start": frozenset({"RUNNING", "PROVISIONING", "STAGING"}),
}
#: requests' connection errors derive from OSError; the client raises them after its retries.
API_ERRORS = (api_exceptions.GoogleAPIError, GoogleAuthError, OSError)


@dataclass(frozen=True, slots=True)
class RetrySettings:
    """Back-off for throttled (429) and failing (5xx) Google API calls.

    ``timeout`` is the budget for one call including its retries (api_core retries by time,
    not by attempt count). Production keeps the defaults; tests pass tiny delays.
    """

    initial: float = 1.0
    maximum: float = 32.0
    multiplier: float = 2.0
    timeout: float = 120.0

    def retry(self) -> api_retry.Retry:
        return api_retry.Retry(
            predicate=api_retry.if_exception_type(
                api_exceptions.TooManyRequests,  # also ResourceExhausted (gRPC)
                api_exceptions.InternalServerError,
                api_exceptions.BadGateway,
                api_exceptions.ServiceUnavailable,
                api_exceptions.GatewayTimeout,
            ),
            initial=self.initial,
            maximum=self.maximum,
            multiplier=self.multiplier,
            timeout=self.timeout,
        )


#: The production back-off (module-level: a default argument is evaluated once anyway).
DEFAULT_RETRY = RetrySettings()
_DEFAULT_POLLING = RetrySettings(initial=1.0, maximum=10.0, multiplier=1.5)


def power_state(status: str) -> PowerState:
    return _STATES.get(status, "unknown")


@dataclass(frozen=True, slots=True)
class _Sent:
    """A change Compute Engine accepted: its operation, awaited after the others were sent."""

    verb: str
    zone: str
    name: str
    instance: compute_v1.Instance
    operation: compute_v1.Operation


class _ComputeOperation(ExtendedOperation):
    """Compute's Operation names its error fields ``httpErrorStatusCode``/``httpErrorMessage``
    (what the library's own private wrapper maps too)."""

    @property
    def error_code(self) -> int:
        return int(self._extended_operation.http_error_status_code)

    @property
    def error_message(self) -> str:
        return str(self._extended_operation.http_error_message)


class GceCompute:
    """Inventory + Actuator for the Compute Engine instances of ``project``.

    ``credentials`` None means Application Default Credentials (the function's service
    account). ``api_endpoint`` overrides the public endpoint (COSTWARDEN_GCP_COMPUTE_ENDPOINT;
    ``http://127.0.0.1:PORT`` in tests: the REST transport honours the scheme). ``retry`` is
    the back-off of every call; ``operation_timeout`` bounds the wait for one operation (0: do
    not wait) and ``operation_polling`` sets the delays between polls (its ``timeout`` is
    unused). ``page_size`` is ``maxResults`` of the listing (at most 500).
    """

    def __init__(
        self,
        project: str,
        *,
        credentials: Credentials | None = None,
        api_endpoint: str | None = None,
        retry: RetrySettings = DEFAULT_RETRY,
        operation_timeout: float = 10.0,
        operation_polling: RetrySettings = _DEFAULT_POLLING,
        page_size: int = 500,
        call_timeout: float = 60.0,
    ) -> None:
        self._project = project
        options = {"api_endpoint": api_endpoint} if api_endpoint else None
        self._instances = compute_v1.InstancesClient(
            credentials=credentials, transport="rest", client_options=options
        )
        self._operations = compute_v1.ZoneOperationsClient(
            credentials=credentials, transport="rest", client_options=options
        )
        self._retry = retry.retry()
        self._operation_timeout = operation_timeout
        # Polls until DONE; result(timeout=...) bounds the whole wait.
        self._polling = api_retry.Retry(
            predicate=polling.POLLING_PREDICATE,
            initial=operation_polling.initial,
            maximum=operation_polling.maximum,
            multiplier=operation_polling.multiplier,
            timeout=operation_timeout,
        )
        self._page_size = min(max(page_size, 1), 500)  # the API caps maxResults at 500
        self._call_timeout = call_timeout
        # Labels allow [a-z0-9_-] only: costwarden:last-action is stored as costwarden-last-action.
        self._label_key = cloud_tag_key("gcp", LAST_ACTION_TAG)

    # -- Inventory -------------------------------------------------------------------------
    def list_resources(self) -> list[Resource]:
        call = f"compute instances.aggregatedList(project={self._project})"
        request = compute_v1.AggregatedListInstancesRequest(
            project=self._project, max_results=self._page_size
        )
        resources: list[Resource] = []
        try:
            pager = self._instances.aggregated_list(
                request=request, retry=self._retry, timeout=self._call_timeout
            )
            for page in pager.pages:  # the pager re-sends the request with each pageToken
                if page.unreachables:
                    raise CloudApiError(
                        f"{call} could not reach {', '.join(page.unreachables)}: "
                        "refusing a partial listing"
                    )
                for scope, scoped in page.items.items():
                    zone = scope.rpartition("/")[2]  # "zones/europe-west1-b"
                    resources.extend(self._resource(zone, i) for i in scoped.instances)
        except API_ERRORS as exc:
            raise CloudApiError(f"{call} failed: {exc}") from exc
        return resources

    def _resource(self, zone: str, instance: compute_v1.Instance) -> Resource:
        extra = {"instance_id": str(instance.id)} if instance.id else {}
        return Resource(
            cloud="gcp",
            account=self._project,
            region=zone,
            resource_id=f"{zone}/{instance.name}",
            resource_type="gce_instance",
            name=instance.name,
            state=power_state(instance.status),
            tags=MappingProxyType(dict(instance.labels)),
            size=instance.machine_type.rpartition("/")[2] or None,
            started_at=_timestamp(instance.last_start_timestamp),
            extra=MappingProxyType(extra),
        )

    # -- Actuator --------------------------------------------------------------------------
    def execute(self, action: PlannedAction, *, record: LastAction) -> Outcome:
        return self._carry_out([(action, record)])[0]

    def execute_all(self, actions: Sequence[PlannedAction], *, now: datetime) -> list[Outcome]:
        """Every action, in order: all operations sent first, then awaited against one
        deadline (``operation_timeout`` for the whole batch, not per action)."""
        return self._carry_out([(a, LastAction.of(a, now)) for a in actions])

    def _carry_out(self, items: Sequence[tuple[PlannedAction, LastAction]]) -> list[Outcome]:
        deadline = time.monotonic() + self._operation_timeout
        return send_then_settle(
            items,
            self._send,
            lambda action, record, sent: self._settle(action, record, sent, deadline),
        )

    def _send(self, action: PlannedAction) -> Outcome | _Sent:
        resource = action.resource
        if resource.resource_type != "gce_instance" or action.action not in _ALREADY:
            return Outcome(action, "failed", f"cannot {action.action} a {resource.resource_type}")
        zone, _, name = resource.resource_id.partition("/")
        if not zone or not name:
            return Outcome(action, "failed", f"not a <zone>/<name> id: {resource.resource_id!r}")
        try:
            instance = self._get(zone, name)
            status = instance.status
            if status in _ALREADY[action.action]:
                return Outcome(action, "already", f"instance is {status}")
            if action.action == "stop" and status == "RUNNING":
                verb, method = "stop", self._instances.stop_unary
            elif action.action == "start" and status in ("TERMINATED", "STOPPED"):
                verb, method = "start", self._instances.start_unary
            elif action.action == "start" and status == "SUSPENDED":
                verb, method = "resume", self._instances.resume_unary  # start refuses it
            else:
                return Outcome(action, "failed", f"instance is {status}: left for the next run")
            operation = self._call(
                verb,
                zone,
                name,
                lambda: method(
                    project=self._project,
                    zone=zone,
                    instance=name,
                    retry=self._retry,
                    timeout=self._call_timeout,
                ),
            )
        except CloudApiError as exc:
            return Outcome(action, "failed", str(exc))
        return _Sent(verb, zone, name, instance, operation)

    def _settle(
        self, action: PlannedAction, record: LastAction, sent: _Sent, deadline: float
    ) -> Outcome:
        """Await the operation until ``deadline``; unfinished is ``pending`` (recorded so)."""
        zone, name = sent.zone, sent.name
        try:
            message, confirmed = self._wait(
                sent.verb, zone, name, sent.operation, max(deadline - time.monotonic(), 0.0)
            )
        except CloudApiError as exc:
            return Outcome(action, "failed", str(exc))
        if not confirmed:
            record = record.unconfirmed(action)
        status: OutcomeStatus = "done" if confirmed else "pending"
        try:
            self._record(zone, name, sent.instance, record)
        except CloudApiError as exc:
            # The change itself was accepted; say the label is missing rather than "failed".
            return Outcome(action, status, f"{message}; recording {self._label_key} failed: {exc}")
        return Outcome(action, status, message)

    def _record(
        self, zone: str, name: str, instance: compute_v1.Instance, record: LastAction
    ) -> None:
        """setLabels with the read fingerprint; on a conflict re-read once and try again."""
        for attempt in (1, 2):
            labels = {**dict(instance.labels), self._label_key: record.encode()}
            body = compute_v1.InstancesSetLabelsRequest(
                label_fingerprint=instance.label_fingerprint, labels=labels
            )
            try:
                operation = self._instances.set_labels_unary(
                    project=self._project,
                    zone=zone,
                    instance=name,
                    instances_set_labels_request_resource=body,
                    retry=self._retry,
                    timeout=self._call_timeout,
                )
            except API_ERRORS as exc:
                if attempt == 1 and _fingerprint_conflict(exc):
                    instance = self._get(zone, name)
                    continue
                raise self._error("setLabels", zone, name, exc) from exc
            self._wait("setLabels", zone, name, operation)
            return

    # -- plumbing --------------------------------------------------------------------------
    def _get(self, zone: str, name: str) -> compute_v1.Instance:
        return self._call(
            "get",
            zone,
            name,
            lambda: self._instances.get(
                project=self._project,
                zone=zone,
                instance=name,
                retry=self._retry,
                timeout=self._call_timeout,
            ),
        )

    def _wait(
        self,
        verb: str,
        zone: str,
        name: str,
        operation: compute_v1.Operation,
        timeout: float | None = None,
    ) -> tuple[str, bool]:
        """Poll the zonal operation until DONE or ``timeout`` (default ``operation_timeout``):
        what to report and whether it finished; raise when it finished with an error."""
        timeout = self._operation_timeout if timeout is None else timeout
        if self._operation_timeout <= 0:
            return f"{verb} accepted (operation {operation.name} not awaited)", False
        request = compute_v1.GetZoneOperationRequest(
            project=self._project, zone=zone, operation=operation.name
        )
        refresh = functools.partial(self._operations.get, request, timeout=self._call_timeout)
        future = _ComputeOperation.make(  # type: ignore[no-untyped-call]
            refresh, _no_cancel, operation, polling=self._polling
        )
        try:
            future.result(timeout=timeout, retry=self._retry)
        except concurrent.futures.TimeoutError:
            # Also what a poll that exhausted its retries surfaces as (api_core maps its
            # RetryError to a timeout): either way completion is unconfirmed, not failed.
            return (
                f"{verb} accepted; operation {operation.name} not DONE "
                f"after {self._operation_timeout:g}s"
            ), False
        except API_ERRORS as exc:
            raise self._error(f"{verb} operation {operation.name}", zone, name, exc) from exc
        # ``error`` delegates to the final Operation; unset, it is an empty message.
        errors = [str(e.message or e.code) for e in future.error.errors]
        if errors:  # an error list without an HTTP status: still a failed operation
            raise CloudApiError(
                f"compute {verb} of {self._project}/{zone}/{name} failed: {'; '.join(errors)}"
            )
        return f"{verb} done", True

    def _call(self, verb: str, zone: str, name: str, send: Callable[[], _T]) -> _T:
        try:
            return send()
        except API_ERRORS as exc:
            raise self._error(verb, zone, name, exc) from exc

    def _error(self, verb: str, zone: str, name: str, exc: BaseException) -> CloudApiError:
        return CloudApiError(
            f"compute instances.{verb}({self._project}/{zone}/{name}) failed: {exc}"
        )


def _fingerprint_conflict(exc: BaseException) -> bool:
    """412 (the documented answer to a stale fingerprint), or a 400 naming conditionNotMet."""
    if isinstance(exc, api_exceptions.PreconditionFailed):
        return True
    if isinstance(exc, api_exceptions.BadRequest):
        reasons = {str(e.get("reason")) for e in exc.errors if isinstance(e, dict)}
        return "conditionNotMet" in reasons or "conditionNotMet" in str(exc)
    return False


def _no_cancel() -> None:
    """Compute operations cannot be cancelled."""


def _timestamp(text: str) -> datetime | None:
    """RFC 3339 with an offset (``2026-11-30T06:58:12.345-08:00``) -> aware UTC."""
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


__all__ = ["API_ERRORS", "DEFAULT_RETRY", "GceCompute", "RetrySettings", "power_state"]
