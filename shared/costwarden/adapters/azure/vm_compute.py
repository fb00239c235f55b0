"""Azure virtual machines of one subscription: the scheduler's ``Inventory`` and ``Actuator``.

Listing is one paged call, ``VirtualMachines.list_all(statusOnly=true)``: every VM of the
subscription with its instance-view statuses, so the power state needs no per-VM call.
``PowerState/*`` maps to ``Resource.state``:

===============================  =================  =============================================
instance-view status             ``state``          why
===============================  =================  =============================================
``PowerState/running``           ``running``
``PowerState/deallocated``       ``stopped``        compute released: no compute charge
``PowerState/stopped``           ``running``        powered off but still allocated: still billed,
                                                    so it counts as running and gets deallocated
``starting`` / ``stopping`` /    ``transitioning``  the next tick sees where it settled
``deallocating``
none / anything else             ``unknown``        never acted on
===============================  =================  =============================================

VMs that belong to a scale set are left out: a scale set owns its instances and would fight
per-instance schedules.

Actions: ``deallocate`` is ``begin_deallocate`` (never ``power_off``, which keeps billing) and
``start`` is ``begin_start``. ARM answers 202 *Accepted*; the operation can still fail minutes
later (a start refused with ``AllocationFailed``), so accepted is never reported as done (the
Azure Start/Stop v2 complaint: "reports success while nothing happened"):

- ``lro_timeout=<seconds>`` (what the functions use) polls the operations
  (``Azure-AsyncOperation``) until then. ``execute_all`` begins every change first and then
  waits for all of them against one deadline (each poller polls in its own thread), so a
  subscription's hundred deallocates cost one wait, not a hundred. Finished: ``done``; failed:
  ``failed`` with ARM's error; still running at the deadline: ``pending``.
- Without ``lro_timeout`` nothing is awaited: every accepted change is ``pending``.

A ``pending`` change is recorded with the ``pending`` flag in its last-action tag: the next tick
then reads a power state that differs from it as the change having failed (and asks again), not
as a person's start or stop.

After a finished or pending change the ``costwarden:last-action`` tag is written with the Tags API
(``PATCH {id}/providers/Microsoft.Resources/tags/default``, operation ``Merge``): it merges on the
server, so it cannot race a person editing other tags the way read-modify-write of the VM can,
and it needs only ``Microsoft.Resources/tags/write``, not VM write. It goes through the compute
client's own pipeline (``send_request``: same credential, retries and endpoint).

Retries are azure-core's ``RetryPolicy``; tune it with the client keyword arguments
(``retry_total``, ``retry_backoff_factor``, ...). It retries any answer carrying ``Retry-After``
(ARM's 429s do) after that delay, and otherwise 408/429/5xx, but POST and PATCH only on
500/503/504. Deallocate, start and a tag merge are idempotent, so these calls also retry 408, 429
and 502 without the header (``retry_on_methods``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import Enum
from typing import Any, Final

from azure.core.credentials import TokenCredential
from azure.core.exceptions import AzureError, HttpResponseError
from azure.core.polling import LROPoller
from azure.core.rest import HttpRequest, HttpResponse
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.compute.models import InstanceViewStatus, VirtualMachine

from costwarden.adapters.batch_operations import send_then_settle
from costwarden.errors import CloudApiError
from costwarden.models.resource import PowerState, Resource
from costwarden.plan.model import LastAction, Outcome, OutcomeStatus, PlannedAction
from costwarden.policy.scheduling import LAST_ACTION_TAG

#: Tags API version: the 2021-04-01 PATCH answers 200 synchronously with the merged tags.
TAGS_API_VERSION: Final = "2021-04-01"
_RETRY_METHODS: Final = frozenset(
    {"HEAD", "GET", "PUT", "DELETE", "OPTIONS", "TRACE", "POST", "PATCH"}
)

_STATES: Mapping[str, PowerState] = {
    "powerstate/running": "running",
    "powerstate/deallocated": "stopped",
    "powerstate/stopped": "running",  # still allocated, still billed: must be deallocated
    "powerstate/starting": "transitioning",
    "powerstate/stopping": "transitioning",
    "powerstate/deallocating": "transitioning",
}
# action -> (power state that is the goal, power state already heading there, states acted on)
_TARGETS: Mapping[str, tuple[str, str, frozenset[str]]] = {
    "deallocate": (
        "powerstate/deallocated",
        "powerstate/deallocating",
        frozenset({"powerstate/running", "powerstate/stopped"}),
    ),
    "start": (
        "powerstate/running",
        "powerstate/starting",
        frozenset({"powerstate/deallocated", "powerstate/stopped"}),
    ),
}
_VM_ID = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourcegroups/(?P<rg>[^/]+)"
    r"/providers/microsoft\.compute/virtualmachines/(?P<name>[^/]+)$",
    re.IGNORECASE,
)


class AzureVmCompute:
    """``Inventory`` + ``Actuator`` for the VMs of one subscription (azure-mgmt-compute).

    ``base_url`` overrides the ARM endpoint (sovereign clouds, tests); ``client_kwargs`` go to
    ``ComputeManagementClient`` (retry settings, ``polling_interval``, ``connection_verify``, a
    transport, ...).
    """

    def __init__(
        self,
        credential: TokenCredential,
        subscription_id: str,
        base_url: str | None = None,
        *,
        lro_timeout: float | None = None,
        **client_kwargs: Any,
    ) -> None:
        self.subscription_id = subscription_id
        self._lro_timeout = lro_timeout
        self._client = ComputeManagementClient(
            credential, subscription_id, base_url=base_url, **client_kwargs
        )

    def close(self) -> None:
        self._client.close()

    # -- Inventory -----------------------------------------------------------------------------
    def list_resources(self) -> Sequence[Resource]:
        """Every VM of the subscription with its power state (all pages)."""
        try:
            machines = list(self._client.virtual_machines.list_all(status_only="true"))
        except AzureError as exc:
            raise CloudApiError(
                f"Azure VirtualMachines.list_all(statusOnly=true) in subscription "
                f"{self.subscription_id} failed: {_describe(exc)}"
            ) from exc
        return [r for r in (self._resource(vm) for vm in machines) if r is not None]

    def _resource(self, vm: VirtualMachine) -> Resource | None:
        props = vm.properties
        if vm.id is None or (props is not None and props.virtual_machine_scale_set is not None):
            return None
        match = _VM_ID.match(vm.id)
        if match is None:
            return None
        statuses = props.instance_view.statuses if props and props.instance_view else None
        hardware = props.hardware_profile if props else None
        return Resource(
            cloud="azure",
            account=self.subscription_id,
            region=vm.location,
            resource_id=vm.id,
            resource_type="azure_vm",
            name=vm.name or match["name"],
            state=power_state(statuses),
            tags=dict(vm.tags or {}),
            size=_text(hardware.vm_size) if hardware else None,
            extra={"resource_group": match["rg"]},
        )

    # -- Actuator ------------------------------------------------------------------------------
    def execute(self, action: PlannedAction, *, record: LastAction) -> Outcome:
        """Deallocate or start one VM; never raises for one resource (see the module doc)."""
        return self._carry_out([(action, record)])[0]

    def execute_all(self, actions: Sequence[PlannedAction], *, now: datetime) -> list[Outcome]:
        """Every action, in order, their operations awaited together (``BatchActuator``)."""
        return self._carry_out([(a, LastAction.of(a, now)) for a in actions])

    def _carry_out(self, items: Sequence[tuple[PlannedAction, LastAction]]) -> list[Outcome]:
        deadline = None if self._lro_timeout is None else time.monotonic() + self._lro_timeout
        return send_then_settle(
            items,
            self._begin,
            lambda action, record, poller: self._settle(action, record, poller, deadline),
        )

    def _begin(self, action: PlannedAction) -> Outcome | LROPoller[None]:
        """Re-read the VM and send the change: its poller, or the outcome without one."""
        target = _TARGETS.get(action.action)
        match = _VM_ID.match(action.resource.resource_id)
        if target is None or match is None:
            what = action.action if target is None else action.resource.resource_id
            return Outcome(action, "failed", f"not an Azure VM action or VM id: {what}")
        group, name = match["rg"], match["name"]
        try:
            view = self._client.virtual_machines.instance_view(group, name)
            verdict = _verdict(action.action, target, _power_code(view.statuses))
            if verdict is not None:
                return Outcome(action, *verdict)
        except AzureError as exc:
            return Outcome(action, "failed", f"re-reading the VM failed: {_describe(exc)}")
        operations = self._client.virtual_machines
        options: dict[str, Any] = {
            "polling": self._lro_timeout is not None,
            "retry_on_methods": _RETRY_METHODS,
        }
        try:
            begin = (
                operations.begin_deallocate
                if action.action == "deallocate"
                else operations.begin_start
            )
            poller: LROPoller[None] = begin(group, name, **options)
        except AzureError as exc:
            return Outcome(action, "failed", f"{action.action} failed: {_describe(exc)}")
        return poller

    def _settle(
        self,
        action: PlannedAction,
        record: LastAction,
        poller: LROPoller[None],
        deadline: float | None,
    ) -> Outcome:
        """Wait for the operation until ``deadline``: done, failed, or pending (recorded so)."""
        resource_id = action.resource.resource_id
        if deadline is None:
            message = "accepted by ARM; completion not awaited"
            pending = record.unconfirmed(action)
            return Outcome(action, "pending", self._record(resource_id, pending, message))
        try:
            poller.wait(max(deadline - time.monotonic(), 0.0))  # re-raises the failure
            if poller.done():
                poller.result()
        except AzureError as exc:
            return Outcome(action, "failed", f"{action.action} failed: {_describe(exc)}")
        if not poller.done():
            message = f"accepted by ARM; still in progress after {self._lro_timeout:g}s"
            pending = record.unconfirmed(action)
            return Outcome(action, "pending", self._record(resource_id, pending, message))
        return Outcome(action, "done", self._record(resource_id, record, "completed"))

    def _record(self, resource_id: str, record: LastAction, message: str) -> str:
        """Merge the last-action tag; the change stands even when the tag write fails."""
        request = HttpRequest(
            "PATCH",
            f"{resource_id}/providers/Microsoft.Resources/tags/default",
            params={"api-version": TAGS_API_VERSION},
            json={"operation": "Merge", "properties": {"tags": {LAST_ACTION_TAG: record.encode()}}},
        )
        try:
            response = self._client.send_request(request, retry_on_methods=_RETRY_METHODS)
        except AzureError as exc:
            return f"{message}; writing the {LAST_ACTION_TAG} tag failed: {_describe(exc)}"
        if response.status_code != 200:
            detail = _response_error(response)
            return f"{message}; writing the {LAST_ACTION_TAG} tag failed: {detail}"
        return message


def power_state(statuses: Sequence[InstanceViewStatus] | None) -> PowerState:
    """``Resource.state`` from instance-view statuses (table in the module docstring)."""
    code = _power_code(statuses)
    return "unknown" if code is None else _STATES.get(code, "unknown")


def _power_code(statuses: Sequence[InstanceViewStatus] | None) -> str | None:
    for status in statuses or ():
        if status.code and status.code.lower().startswith("powerstate/"):
            return status.code.lower()
    return None


def _verdict(
    kind: str, target: tuple[str, str, frozenset[str]], code: str | None
) -> tuple[OutcomeStatus, str] | None:
    """The outcome without calling the mutating API, or None when the change must be sent."""
    goal, heading, actionable = target
    if code in (goal, heading):
        return "already", f"already {_word(code)}"
    if code not in actionable:
        return (
            "failed",
            f"power state is {_word(code)}, not one to {kind} from: left for the next run",
        )
    return None


def _word(code: str | None) -> str:
    return "unknown" if code is None else code.split("/", 1)[1]


def _text(value: object) -> str | None:
    """An SDK enum (``VirtualMachineSizeTypes``) or a plain string, as the string ARM sent."""
    if value is None:
        return None
    return str(value.value) if isinstance(value, Enum) else str(value)


def _describe(exc: AzureError) -> str:
    """``HTTP 409 OperationNotAllowed: <message>`` from an ARM error, else the SDK's text."""
    if isinstance(exc, HttpResponseError):
        error = exc.error
        if error is not None and error.code:
            return f"HTTP {exc.status_code} {error.code}: {error.message}"
        return f"HTTP {exc.status_code}: {exc.reason or exc.message}"
    return f"{type(exc).__name__}: {exc.message}"


def _response_error(response: HttpResponse) -> str:
    try:
        error = response.json().get("error") or {}
    except ValueError:
        error = {}
    if isinstance(error, dict) and error.get("code"):
        return f"HTTP {response.status_code} {error['code']}: {error.get('message', '')}"
    return f"HTTP {response.status_code}: {response.text()[:200]}"
