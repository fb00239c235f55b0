"""What the fake ARM server keeps, and the JSON bodies it answers with (per the API specs).

``VirtualMachines_ListAll`` / ``_Get`` / ``_InstanceView`` (compute 2024-07-01 examples),
``Tags_UpdateAtScope`` (resources 2021-04-01) and ``MetricsBatch`` (Azure.Monitor.Query.Metrics
2024-02-01, ``MetricBatchExample.json``): field names as documented, values made up.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

_DISPLAY = {
    "running": "VM running",
    "deallocated": "VM deallocated",
    "stopped": "VM stopped",
    "starting": "VM starting",
    "stopping": "VM stopping",
    "deallocating": "VM deallocating",
}


@dataclass
class FakeVm:
    subscription: str
    resource_group: str
    name: str
    location: str = "westeurope"
    size: str = "Standard_D2s_v5"
    #: The part after ``PowerState/``; None = the instance view has no PowerState status.
    power: str | None = "running"
    tags: dict[str, str] = field(default_factory=dict)
    scale_set: str | None = None
    #: ``Percentage CPU`` maxima per interval from the query's start (None = a gap);
    #: None = the VM has no metric data at all.
    cpu: list[float | None] | None = None
    vm_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def id(self) -> str:
        return (
            f"/subscriptions/{self.subscription}/resourceGroups/{self.resource_group}"
            f"/providers/Microsoft.Compute/virtualMachines/{self.name}"
        )


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")


def statuses(vm: FakeVm) -> list[dict[str, str]]:
    items = [
        {
            "code": "ProvisioningState/succeeded",
            "level": "Info",
            "displayStatus": "Provisioning succeeded",
            "time": "2026-01-05T09:00:00.0000000+00:00",
        }
    ]
    if vm.power is not None:
        items.append(
            {
                "code": f"PowerState/{vm.power}",
                "level": "Info",
                "displayStatus": _DISPLAY.get(vm.power, vm.power),
            }
        )
    return items


def instance_view_json(vm: FakeVm) -> dict[str, Any]:
    return {
        "computerName": vm.name,
        "osName": "ubuntu",
        "osVersion": "22.04",
        "hyperVGeneration": "V2",
        "statuses": statuses(vm),
    }


def vm_json(vm: FakeVm, with_instance_view: bool) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "vmId": vm.vm_id,
        "hardwareProfile": {"vmSize": vm.size},
        "provisioningState": "Succeeded",
        "timeCreated": "2026-01-05T09:00:00.0000000+00:00",
    }
    if vm.scale_set is not None:
        properties["virtualMachineScaleSet"] = {
            "id": (
                f"/subscriptions/{vm.subscription}/resourceGroups/{vm.resource_group}"
                f"/providers/Microsoft.Compute/virtualMachineScaleSets/{vm.scale_set}"
            )
        }
    if with_instance_view:
        properties["instanceView"] = {"statuses": statuses(vm)}
    return {
        "id": vm.id,
        "name": vm.name,
        "type": "Microsoft.Compute/virtualMachines",
        "location": vm.location,
        "tags": dict(vm.tags),
        "properties": properties,
    }


def tags_json(vm: FakeVm) -> dict[str, Any]:
    return {
        "id": f"{vm.id}/providers/Microsoft.Resources/tags/default",
        "name": "default",
        "type": "Microsoft.Resources/tags",
        "properties": {"tags": dict(vm.tags)},
    }


def metric_result(
    vm: FakeVm, start: datetime, end: datetime, step: timedelta, query: dict[str, str]
) -> dict[str, Any]:
    count = int((end - start) / step)
    series: list[dict[str, Any]] = []
    if vm.cpu is not None:
        data = []
        for index in range(count):
            point: dict[str, Any] = {"timeStamp": iso(start + index * step)}
            value = vm.cpu[index] if index < len(vm.cpu) else None
            if value is not None:
                point["maximum"] = value
            data.append(point)
        series.append({"metadatavalues": [], "data": data})
    return {
        "starttime": query["starttime"],
        "endtime": query["endtime"],
        "interval": query["interval"],
        "value": [
            {
                "id": f"{vm.id}/providers/Microsoft.Insights/metrics/Percentage CPU",
                "type": "Microsoft.Insights/metrics",
                "name": {"value": "Percentage CPU", "localizedValue": "Percentage CPU"},
                "displayDescription": "The percentage of allocated compute units in use.",
                "unit": "Percent",
                "timeseries": series,
                "errorCode": "Success",
            }
        ],
        "namespace": "microsoft.compute/virtualmachines",
        "resourceregion": vm.location,
        "resourceid": vm.id,
    }


@dataclass(frozen=True)
class Reply:
    status: int
    payload: Any
    headers: dict[str, str] = field(default_factory=dict)


def error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, {"error": {"code": code, "message": message}}, dict(headers or {}))


def not_found(match: re.Match[str]) -> Reply:
    return error(
        404,
        "ResourceNotFound",
        f"The Resource 'Microsoft.Compute/virtualMachines/{match['name']}' under resource "
        f"group '{match['rg']}' was not found.",
    )


_SETTLED = {"deallocate": "deallocated", "start": "running", "poweroff": "stopped"}


@dataclass
class Fault:
    method: str
    pattern: re.Pattern[str]
    status: int
    times: int
    headers: dict[str, str]
    code: str
    message: str


@dataclass
class Operation:
    id: str
    vm: FakeVm
    verb: str
    polls_left: int
    failure: tuple[str, str] | None
    started: datetime
    status: str = "InProgress"
    ended: datetime | None = None


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    status: int
    at: float


@dataclass(frozen=True)
class MetricsCall:
    region: str
    resource_ids: list[str]
    query: dict[str, str]


def finish(operation: Operation) -> None:
    operation.ended = datetime.now(UTC)
    if operation.failure is None:
        operation.status = "Succeeded"
        operation.vm.power = _SETTLED[operation.verb]
    else:
        operation.status = "Failed"
        operation.vm.power = "deallocated" if operation.verb == "start" else "running"
