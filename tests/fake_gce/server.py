"""``FakeGcpServer``: Compute Engine v1 and Pub/Sub v1 over HTTP/JSON on 127.0.0.1.

Wire shapes follow the REST reference (compute/docs/reference/rest/v1, pubsub/docs/reference/
rest): ``InstanceAggregatedList`` with ``items`` keyed by ``zones/<zone>`` (a zone without
instances on the page carries a ``NO_RESULTS_ON_PAGE`` warning), ``nextPageToken`` until the last
page, ``maxResults`` capped at 500; an ``Operation`` (``compute#operation``) that goes
PENDING -> RUNNING -> DONE as it is polled, finishing with ``error`` plus
``httpErrorStatusCode``/``httpErrorMessage`` when it fails; ``setLabels`` refusing a stale
``labelFingerprint`` with 412 ``conditionNotMet``; errors in the Google JSON error format.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fake_gce.model import (
    IDS,
    PUBLIC,
    FakeInstance,
    Fault,
    HttpError,
    Operation,
    RecordedCall,
    error_body,
)

_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("GET", re.compile(r"^/compute/v1/projects/([^/]+)/aggregated/instances$"), "aggregated"),
    ("GET", re.compile(r"^/compute/v1/projects/([^/]+)/zones/([^/]+)/instances/([^/]+)$"), "get"),
    (
        "POST",
        re.compile(
            r"^/compute/v1/projects/([^/]+)/zones/([^/]+)/instances/([^/]+)/"
            r"(stop|start|resume|setLabels)$"
        ),
        "mutate",
    ),
    (
        "GET",
        re.compile(r"^/compute/v1/projects/([^/]+)/zones/([^/]+)/operations/([^/]+)$"),
        "poll",
    ),
    (
        "POST",
        re.compile(r"^/compute/v1/projects/([^/]+)/zones/([^/]+)/operations/([^/]+)/wait$"),
        "wait",
    ),
    ("POST", re.compile(r"^/v1/projects/([^/]+)/topics/([^/:]+):publish$"), "publish"),
]


class FakeGcpServer:
    """Compute Engine + Pub/Sub on loopback. ``operation_polls``: GETs before an op is DONE."""

    def __init__(
        self,
        *,
        project: str = "cw-dev",
        operation_polls: int = 2,
        zones: tuple[str, ...] = ("europe-west1-b", "europe-west1-c", "us-central1-a"),
    ) -> None:
        self.project = project
        self.operation_polls = operation_polls
        self.zones = list(zones)
        self.unreachables: list[str] = []
        self.calls: list[RecordedCall] = []
        self.published: dict[str, list[bytes]] = {}
        self._instances: dict[tuple[str, str], FakeInstance] = {}
        self._operations: dict[str, Operation] = {}
        self._faults: list[Fault] = []
        self._label_races: dict[tuple[str, str], tuple[str, str]] = {}
        self._lock = threading.RLock()
        self._ops = itertools.count(1)
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.base_url = f"http://127.0.0.1:{self._http.server_address[1]}"

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> FakeGcpServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.shutdown()
        self._http.server_close()
        self._thread.join()

    # -- scripting -------------------------------------------------------------------------
    def add_instance(self, name: str, zone: str, **fields: Any) -> FakeInstance:
        instance = FakeInstance(name=name, zone=zone, **fields)
        with self._lock:
            self._instances[(zone, name)] = instance
            if zone not in self.zones:
                self.zones.append(zone)
        return instance

    def instance(self, zone: str, name: str) -> FakeInstance:
        return self._instances[(zone, name)]

    def remove_instance(self, zone: str, name: str) -> None:
        """Someone deleted it (between the listing and the action)."""
        with self._lock:
            del self._instances[(zone, name)]

    def fail(
        self, call: str, status: int, *, times: int | None = 1, instance: str | None = None
    ) -> None:
        """Answer ``call`` (e.g. ``instances.aggregatedList``) with ``status``; ``times=None``:
        always. ``instance`` limits the fault to one instance name."""
        with self._lock:
            self._faults.append(Fault(call, status, times, instance))

    def race_label_change(self, zone: str, name: str, key: str, value: str) -> None:
        """Someone else sets ``key=value`` just before the next setLabels on this instance
        lands, so the fingerprint the client read is stale."""
        with self._lock:
            self._label_races[(zone, name)] = (key, value)

    def create_topic(self, topic: str) -> None:
        self.published.setdefault(topic, [])

    def calls_to(self, call: str) -> list[RecordedCall]:
        return [c for c in self.calls if c.call == call]

    # -- dispatch --------------------------------------------------------------------------
    def _handle(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> Any:
        for verb, pattern, kind in _ROUTES:
            match = pattern.match(path)
            if verb == method and match:
                return getattr(self, f"_{kind}")(*match.groups(), query=query, body=body)
        raise HttpError(404, f"no such method: {method} {path}", "notFound")

    @staticmethod
    def call_name(method: str, path: str) -> str:
        if ":publish" in path:
            return "topics.publish"
        if "/aggregated/instances" in path:
            return "instances.aggregatedList"
        if "/operations/" in path:
            return "zoneOperations.wait" if path.endswith("/wait") else "zoneOperations.get"
        if method == "POST":
            return f"instances.{path.rsplit('/', 1)[-1]}"
        return "instances.get"

    def _check_fault(self, call: str, path: str) -> None:
        with self._lock:
            for fault in self._faults:
                if fault.call != call or fault.remaining == 0:
                    continue
                if fault.instance and f"/instances/{fault.instance}" not in path:
                    continue
                if fault.remaining is not None:
                    fault.remaining -= 1
                raise HttpError(fault.status, f"injected {fault.status} on {call}")

    def _project_ok(self, project: str) -> None:
        if project != self.project:
            raise HttpError(404, f"The resource 'projects/{project}' was not found", "notFound")

    def _find(self, project: str, zone: str, name: str) -> FakeInstance:
        self._project_ok(project)
        found = self._instances.get((zone, name))
        if found is None:
            raise HttpError(
                404,
                f"The resource 'projects/{project}/zones/{zone}/instances/{name}' was not found",
                "notFound",
            )
        return found

    # -- compute ---------------------------------------------------------------------------
    def _aggregated(self, project: str, *, query: dict[str, list[str]], body: Any) -> Any:
        self._project_ok(project)
        size = min(int(query.get("maxResults", ["500"])[0]), 500)
        offset = int(base64.urlsafe_b64decode(query["pageToken"][0])) if "pageToken" in query else 0
        ordered = sorted(self._instances.values(), key=lambda i: (i.zone, i.name))
        page = ordered[offset : offset + size]
        items: dict[str, Any] = {}
        for zone in self.zones:
            here = [i.to_json(project) for i in page if i.zone == zone]
            items[f"zones/{zone}"] = (
                {"instances": here}
                if here
                else {
                    "warning": {
                        "code": "NO_RESULTS_ON_PAGE",
                        "message": f"There are no results for scope 'zones/{zone}' on this page.",
                        "data": [{"key": "scope", "value": f"zones/{zone}"}],
                    }
                }
            )
        response: dict[str, Any] = {
            "kind": "compute#instanceAggregatedList",
            "id": f"projects/{project}/aggregated/instances",
            "items": items,
            "selfLink": f"{PUBLIC}/projects/{project}/aggregated/instances",
        }
        if offset + size < len(ordered):
            response["nextPageToken"] = base64.urlsafe_b64encode(
                str(offset + size).encode()
            ).decode()
        if self.unreachables:
            response["unreachables"] = list(self.unreachables)
        return response

    def _get(self, project: str, zone: str, name: str, **_: Any) -> Any:
        return self._find(project, zone, name).to_json(project)

    def _mutate(self, project: str, zone: str, name: str, verb: str, *, body: Any, **_: Any) -> Any:
        instance = self._find(project, zone, name)
        if verb == "setLabels":
            return self._set_labels(project, instance, body or {})
        before = instance.status
        if verb == "stop":
            target, during = "TERMINATED", "STOPPING"
            if before in ("TERMINATED", "STOPPED"):
                return self._new_operation(project, instance, verb, lambda: None, done=True)
        elif verb == "resume":
            if before != "SUSPENDED":
                raise HttpError(400, f"Instance '{name}' is not suspended.", "badRequest")
            target, during = "RUNNING", "STAGING"
        else:
            if before == "SUSPENDED":
                raise HttpError(400, f"Instance '{name}' is suspended: resume it", "badRequest")
            target, during = "RUNNING", "STAGING"
            if before == "RUNNING":
                return self._new_operation(project, instance, verb, lambda: None, done=True)
        error, instance.operation_error = instance.operation_error, None
        instance.status = during

        def finish() -> None:
            instance.status = before if error else target
            if not error and target == "RUNNING":
                instance.last_start = "2026-12-01T07:00:03.000-08:00"

        return self._new_operation(project, instance, verb, finish, error=error)

    def _set_labels(self, project: str, instance: FakeInstance, body: dict[str, Any]) -> Any:
        race = self._label_races.pop((instance.zone, instance.name), None)
        if race:
            instance.labels[race[0]] = race[1]
        if body.get("labelFingerprint") != instance.label_fingerprint:
            # Documented: "You must always provide an up-to-date fingerprint hash in order to
            # update or change labels, otherwise the request will fail with error 412
            # conditionNotMet."
            raise HttpError(
                412,
                "Labels fingerprint either invalid or resource labels have changed",
                "conditionNotMet",
            )
        labels = body.get("labels") or {}
        for key, value in labels.items():
            if not re.fullmatch(r"[a-z][a-z0-9_-]{0,62}", key) or not re.fullmatch(
                r"[a-z0-9_-]{0,63}", value
            ):
                raise HttpError(400, f"Invalid label {key}={value}", "invalid")
        instance.labels = dict(labels)  # visible at once; the operation only reports it
        return self._new_operation(project, instance, "setLabels", lambda: None)

    def _new_operation(
        self,
        project: str,
        instance: FakeInstance,
        kind: str,
        finish: Callable[[], None],
        *,
        error: tuple[int, str] | None = None,
        done: bool = False,
    ) -> Any:
        name = f"operation-{next(self._ops)}-{kind.lower()}"
        op = Operation(name, project, instance.zone, kind, instance, self.operation_polls, finish)
        op.error = error
        self._operations[name] = op
        if done or op.polls_left <= 0:
            self._complete(op)
        return op.to_json()

    def _complete(self, op: Operation) -> None:
        if op.status != "DONE":
            op.status = "DONE"
            op.finish()

    def _poll(self, project: str, zone: str, name: str, **_: Any) -> Any:
        """zoneOperations.get: the operation advances one step per poll."""
        op = self._known_operation(project, zone, name)
        op.polls_left -= 1
        if op.polls_left <= 0:
            self._complete(op)
        elif op.status == "PENDING":
            op.status = "RUNNING"
        return op.to_json()

    def _wait(self, project: str, zone: str, name: str, **_: Any) -> Any:
        """zoneOperations.wait: returns once the operation is DONE (here: at once)."""
        op = self._known_operation(project, zone, name)
        self._complete(op)
        return op.to_json()

    def _known_operation(self, project: str, zone: str, name: str) -> Operation:
        self._project_ok(project)
        op = self._operations.get(name)
        if op is None or op.zone != zone:
            raise HttpError(404, f"The resource 'operations/{name}' was not found", "notFound")
        return op

    # -- pub/sub ---------------------------------------------------------------------------
    def _publish(self, project: str, topic: str, *, body: Any, **_: Any) -> Any:
        path = f"projects/{project}/topics/{topic}"
        if path not in self.published:
            raise HttpError(404, f"Resource not found (resource={topic}).", "notFound")
        messages = (body or {}).get("messages") or []
        if not messages:
            raise HttpError(400, "The request contains no messages.", "badRequest")
        ids = []
        for message in messages:
            self.published[path].append(base64.b64decode(message.get("data", "")))
            ids.append(str(next(IDS)))
        return {"messageIds": ids}

    # -- HTTP plumbing ---------------------------------------------------------------------
    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def _serve(self, method: str) -> None:
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                query = parse_qs(url.query)
                call = server.call_name(method, url.path)
                status, reply = 200, None
                with server._lock:
                    try:
                        server._check_fault(call, url.path)
                        reply = server._handle(method, url.path, query, body)
                    except HttpError as exc:
                        status = exc.status
                        reply = error_body(exc)
                    server.calls.append(RecordedCall(call, method, url.path, query, body, status))
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
