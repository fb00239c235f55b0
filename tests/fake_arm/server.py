"""A local Azure Resource Manager + Azure Monitor metrics endpoint, over HTTPS, in a thread.

No emulator exists for ARM compute or Azure Monitor, so this serves the documented REST shapes
(azure-rest-api-specs examples: ``VirtualMachines_ListAll``, ``VirtualMachines_InstanceView``,
``VirtualMachines_Deallocate``/``Start`` (202 + ``Azure-AsyncOperation``/``Location``),
``Tags_UpdateAtScope`` 2021-04-01, ``Batch`` of Azure.Monitor.Query.Metrics 2024-02-01) to the real
SDK clients. It keeps state (VMs, tags, power states, operations) so tests can assert what the
adapters changed, records every request, and injects faults (429 with ``Retry-After``, 5xx, 409).

Routes (paths are case-insensitive, as in ARM):

- ``GET  /subscriptions/{s}/providers/Microsoft.Compute/virtualMachines[?statusOnly=true]``
  (``nextLink`` paging, ``page_size`` VMs per page; instance view only with ``statusOnly``)
- ``GET  {vm id}[?$expand=instanceView]`` and ``GET {vm id}/instanceView``
- ``POST {vm id}/deallocate|start|powerOff`` -> 202, then the operation answers ``InProgress``
  for ``lro_polls - 1`` polls and ``Succeeded`` (or ``Failed``, see ``fail_operation``) after
- ``GET  /subscriptions/{s}/providers/Microsoft.Compute/locations/{l}/operations/{id}``
  (``monitor=true`` is the ``Location`` form: 202 while running, 200 once done)
- ``PATCH {vm id}/providers/Microsoft.Resources/tags/default`` (Merge / Replace / Delete)
- ``POST /{region}/subscriptions/{s}/metrics:getBatch`` (point ``MetricsClient`` at
  ``metrics_endpoint(region)``); refuses more than 50 ids, another subscription, or a resource
  outside ``region``, as the service does
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import isodate

from fake_arm.shapes import (
    FakeVm,
    Fault,
    MetricsCall,
    Operation,
    Recorded,
    Reply,
    error,
    finish,
    instance_view_json,
    iso,
    metric_result,
    not_found,
    tags_json,
    vm_json,
)
from fake_arm.tls import HttpsServerThread, TlsFiles

_VM = (
    r"/subscriptions/(?P<sub>[^/]+)/resourcegroups/(?P<rg>[^/]+)"
    r"/providers/microsoft\.compute/virtualmachines/(?P<name>[^/]+)"
)
_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    (
        "GET",
        re.compile(r"^/subscriptions/(?P<sub>[^/]+)/providers/microsoft\.compute/virtualmachines$"),
        "list",
    ),
    ("GET", re.compile(f"^{_VM}$"), "get"),
    ("GET", re.compile(f"^{_VM}/instanceview$"), "instance_view"),
    ("POST", re.compile(f"^{_VM}/(?P<verb>deallocate|start|poweroff)$"), "action"),
    (
        "GET",
        re.compile(
            r"^/subscriptions/(?P<sub>[^/]+)/providers/microsoft\.compute/locations/[^/]+"
            r"/operations/(?P<op>[^/]+)$"
        ),
        "operation",
    ),
    ("PATCH", re.compile(f"^{_VM}/providers/microsoft\\.resources/tags/default$"), "tags"),
    ("GET", re.compile(f"^{_VM}/providers/microsoft\\.resources/tags/default$"), "get_tags"),
    (
        "POST",
        re.compile(r"^/(?P<region>[^/]+)/subscriptions/(?P<sub>[^/]+)/metrics:getbatch$"),
        "metrics",
    ),
]
_MOVING = {"deallocate": "deallocating", "start": "starting", "poweroff": "stopping"}
MAX_METRIC_IDS = 50


class FakeArm:
    """Start with ``with FakeArm(tls) as arm:``; ``arm.url`` is the ARM ``base_url``."""

    def __init__(
        self,
        tls: TlsFiles,
        *,
        page_size: int = 100,
        lro_polls: int = 2,
        retry_after: int | None = None,
    ) -> None:
        self._tls = tls
        self.page_size = page_size
        self.lro_polls = lro_polls
        # ``Retry-After`` (seconds) on a running operation's answers, as ARM sends it: the SDK
        # polls after that long instead of its default 30 s, which a client built by the
        # product's own bootstrap (no ``polling_interval`` option) would otherwise wait.
        self._wait = {} if retry_after is None else {"Retry-After": str(retry_after)}
        self._lock = threading.Lock()
        self._vms: dict[str, FakeVm] = {}
        self._faults: list[Fault] = []
        self._operation_failures: dict[str, tuple[str, str]] = {}
        self._operations: dict[str, Operation] = {}
        self._requests: list[Recorded] = []
        self._metrics_calls: list[MetricsCall] = []
        self._http: HttpsServerThread | None = None
        self.url = ""

    # -- lifecycle -----------------------------------------------------------------------------
    def __enter__(self) -> FakeArm:
        self._http = HttpsServerThread(self._tls, _handler_for(self), name="fake-arm")
        self.url = self._http.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._http is not None:
            self._http.stop()

    # -- state ---------------------------------------------------------------------------------
    def add_vm(
        self, name: str, *, subscription: str, resource_group: str = "rg-dev", **kw: Any
    ) -> FakeVm:
        vm = FakeVm(subscription=subscription, resource_group=resource_group, name=name, **kw)
        with self._lock:
            self._vms[vm.id.lower()] = vm
        return vm

    def vm(self, name: str) -> FakeVm:
        with self._lock:
            matches = [vm for vm in self._vms.values() if vm.name == name]
        assert len(matches) == 1, f"{len(matches)} VMs named {name}"
        return matches[0]

    def metrics_endpoint(self, region: str) -> str:
        return f"{self.url}/{region}"

    # -- faults --------------------------------------------------------------------------------
    def fail(
        self,
        method: str,
        path: str,
        status: int,
        *,
        times: int = 1,
        retry_after: int | None = None,
        code: str | None = None,
        message: str = "injected by the test",
    ) -> None:
        """The next ``times`` requests whose path matches ``path`` (regex) answer ``status``."""
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        default = {409: "Conflict", 429: "TooManyRequests"}.get(status, "InternalServerError")
        fault = Fault(
            method.upper(),
            re.compile(path, re.IGNORECASE),
            status,
            times,
            headers,
            code or default,
            message,
        )
        with self._lock:
            self._faults.append(fault)

    def fail_operation(self, vm_name: str, code: str, message: str) -> None:
        """The next operation on ``vm_name`` is accepted (202) and then ends ``Failed``."""
        with self._lock:
            self._operation_failures[vm_name.lower()] = (code, message)

    def settle(self) -> None:
        """Finish every running operation, as Azure eventually does when nobody polls."""
        with self._lock:
            for operation in self._operations.values():
                if operation.status == "InProgress":
                    finish(operation)

    # -- what happened -------------------------------------------------------------------------
    @property
    def requests(self) -> list[Recorded]:
        with self._lock:
            return list(self._requests)

    def calls(self, method: str, path: str) -> list[Recorded]:
        pattern = re.compile(path, re.IGNORECASE)
        return [r for r in self.requests if r.method == method and pattern.search(r.path)]

    @property
    def metrics_calls(self) -> list[MetricsCall]:
        with self._lock:
            return list(self._metrics_calls)

    # -- request handling (server threads) -----------------------------------------------------
    def handle(self, method: str, raw_path: str, body: bytes, auth: str | None) -> Reply:
        parts = urlsplit(raw_path)
        path = unquote(parts.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        reply = self._dispatch(method, path, query, body, auth)
        with self._lock:
            self._requests.append(Recorded(method, path, query, reply.status, time.monotonic()))
        return reply

    def _dispatch(
        self, method: str, path: str, query: dict[str, str], body: bytes, auth: str | None
    ) -> Reply:
        if not (auth or "").startswith("Bearer "):
            return error(401, "AuthenticationFailed", "no bearer token")
        with self._lock:
            for fault in self._faults:
                if fault.times > 0 and fault.method == method and fault.pattern.search(path):
                    fault.times -= 1
                    return error(fault.status, fault.code, fault.message, fault.headers)
        for route_method, pattern, name in _ROUTES:
            match = pattern.match(path.lower())
            if route_method == method and match:
                with self._lock:
                    handler = getattr(self, f"_{name}")
                    return handler(match, path, query, body)  # type: ignore[no-any-return]
        return error(404, "NotFound", f"no route for {method} {path}")

    def _find(self, match: re.Match[str]) -> FakeVm | None:
        key = (
            f"/subscriptions/{match['sub']}/resourcegroups/{match['rg']}"
            f"/providers/microsoft.compute/virtualmachines/{match['name']}"
        )
        return self._vms.get(key)

    def _list(self, match: re.Match[str], path: str, query: dict[str, str], body: bytes) -> Reply:
        vms = [vm for vm in self._vms.values() if vm.subscription.lower() == match["sub"]]
        offset = int(query.get("$skiptoken", "0"))
        page = vms[offset : offset + self.page_size]
        status_only = query.get("statusOnly", "").lower() == "true"
        payload: dict[str, Any] = {"value": [vm_json(vm, status_only) for vm in page]}
        if offset + self.page_size < len(vms):
            payload["nextLink"] = (
                f"{self.url}{path}?api-version={query.get('api-version', '')}"
                f"&statusOnly={query.get('statusOnly', 'false')}"
                f"&$skiptoken={offset + self.page_size}"
            )
        return Reply(200, payload)

    def _get(self, match: re.Match[str], path: str, query: dict[str, str], body: bytes) -> Reply:
        vm = self._find(match)
        if vm is None:
            return not_found(match)
        return Reply(200, vm_json(vm, query.get("$expand") == "instanceView"))

    def _instance_view(
        self, match: re.Match[str], path: str, query: dict[str, str], body: bytes
    ) -> Reply:
        vm = self._find(match)
        if vm is None:
            return not_found(match)
        return Reply(200, instance_view_json(vm))

    def _action(self, match: re.Match[str], path: str, query: dict[str, str], body: bytes) -> Reply:
        vm = self._find(match)
        if vm is None:
            return not_found(match)
        verb = match["verb"]
        vm.power = _MOVING[verb]
        operation = Operation(
            id=str(uuid.uuid4()),
            vm=vm,
            verb=verb,
            polls_left=self.lro_polls,
            failure=self._operation_failures.pop(vm.name.lower(), None),
            started=datetime.now(UTC),
        )
        self._operations[operation.id] = operation
        status_url = (
            f"{self.url}/subscriptions/{vm.subscription}/providers/Microsoft.Compute"
            f"/locations/{vm.location}/operations/{operation.id}"
            f"?p={uuid.uuid4()}&api-version={query.get('api-version', '')}"
        )
        headers = {"Azure-AsyncOperation": status_url, "Location": f"{status_url}&monitor=true"}
        return Reply(202, None, {**headers, **self._wait})

    def _operation(
        self, match: re.Match[str], path: str, query: dict[str, str], body: bytes
    ) -> Reply:
        operation = self._operations.get(match["op"])
        if operation is None:
            return error(404, "NotFound", f"operation {match['op']} not found")
        if query.get("monitor") == "true":  # the Location form: 202 until done, then 200
            if operation.status == "InProgress":
                return Reply(
                    202, None, {"Location": f"{self.url}{path}?monitor=true", **self._wait}
                )
            return Reply(200, None)
        if operation.status == "InProgress":
            operation.polls_left -= 1
            if operation.polls_left <= 0:
                finish(operation)
        payload: dict[str, Any] = {
            "startTime": iso(operation.started),
            "status": operation.status,
            "name": operation.id,
        }
        if operation.ended is not None:
            payload["endTime"] = iso(operation.ended)
        if operation.status == "Failed" and operation.failure is not None:
            payload["error"] = {"code": operation.failure[0], "message": operation.failure[1]}
        return Reply(200, payload, dict(self._wait) if operation.status == "InProgress" else {})

    def _tags(self, match: re.Match[str], path: str, query: dict[str, str], body: bytes) -> Reply:
        vm = self._find(match)
        if vm is None:
            return not_found(match)
        try:
            request = json.loads(body)
            operation = request["operation"]
            tags = request["properties"]["tags"]
            assert isinstance(tags, dict)
        except (ValueError, KeyError, TypeError, AssertionError):
            return error(400, "InvalidRequestContent", "expected {operation, properties.tags}")
        if operation == "Merge":
            vm.tags.update(tags)
        elif operation == "Replace":
            vm.tags = dict(tags)
        elif operation == "Delete":
            for key, value in tags.items():
                if vm.tags.get(key) == value or value == "":
                    vm.tags.pop(key, None)
        else:
            return error(400, "InvalidTagOperation", f"unknown operation {operation!r}")
        return Reply(200, tags_json(vm))

    def _get_tags(
        self, match: re.Match[str], path: str, query: dict[str, str], body: bytes
    ) -> Reply:
        vm = self._find(match)
        return not_found(match) if vm is None else Reply(200, tags_json(vm))

    def _metrics(
        self, match: re.Match[str], path: str, query: dict[str, str], body: bytes
    ) -> Reply:
        region, subscription = match["region"], match["sub"]
        ids = json.loads(body).get("resourceids", [])
        self._metrics_calls.append(MetricsCall(region, list(ids), dict(query)))
        problem = self._metrics_problem(region, subscription, ids, query)
        if problem:
            return error(400, "BadRequest", problem)
        start = isodate.parse_datetime(query["starttime"])
        end = isodate.parse_datetime(query["endtime"])
        step = isodate.parse_duration(query["interval"])
        values = []
        for resource_id in ids:
            vm = self._vms[resource_id.lower()]
            values.append(metric_result(vm, start, end, step, query))
        return Reply(200, {"values": values})

    def _metrics_problem(
        self, region: str, subscription: str, ids: list[str], query: dict[str, str]
    ) -> str | None:
        if not 1 <= len(ids) <= MAX_METRIC_IDS:
            return f"between 1 and {MAX_METRIC_IDS} resource ids per call, got {len(ids)}"
        if query.get("metricnamespace", "").lower() != "microsoft.compute/virtualmachines":
            return f"unexpected metricnamespace {query.get('metricnamespace')!r}"
        if query.get("metricnames") != "Percentage CPU":
            return f"unexpected metricnames {query.get('metricnames')!r}"
        if "maximum" not in query.get("aggregation", "").lower():
            return "Maximum aggregation not requested"
        for resource_id in ids:
            vm = self._vms.get(resource_id.lower())
            if vm is None:
                return f"unknown resource {resource_id}"
            if vm.subscription.lower() != subscription:
                return f"{resource_id} is not in subscription {subscription}"
            if vm.location.lower() != region:
                return f"{resource_id} is in {vm.location}, not {region}"
        return None


def _handler_for(arm: FakeArm) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            reply = arm.handle(self.command, self.path, body, self.headers.get("Authorization"))
            data = b"" if reply.payload is None else json.dumps(reply.payload).encode()
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if data:
                self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("x-ms-request-id", str(uuid.uuid4()))
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
