"""A local ARM Resources + Tags API over HTTPS, in a thread, for the real
``ResourceManagementClient`` (no emulator exists for ARM).

Routes (paths are case-insensitive, as in ARM; every request needs ``api-version`` and a bearer
token):

- ``GET  /subscriptions/{s}/resources`` (``Resources_List``; ``nextLink`` paging,
  ``page_size`` items a page)
- ``GET  /subscriptions/{s}/resourcegroups`` (``ResourceGroups_List``, paged the same way)
- ``GET  /subscriptions/{s}/resourcegroups/{rg}`` (``ResourceGroups_Get``)
- ``GET  /subscriptions/{s}/resourcegroups/{rg}/resources[?$filter=resourceType eq 'T']``
  (``Resources_ListByResourceGroup``)
- ``GET|PATCH|PUT {scope}/providers/Microsoft.Resources/tags/default`` (``Tags_GetAtScope``,
  ``Tags_UpdateAtScope`` with ``Merge``/``Replace``/``Delete``, ``Tags_CreateOrUpdateAtScope``)
  for a resource group or a resource; PATCH answers 200 with the resulting tags

Faults (``fail``) answer the next matching requests with an ARM error body and optional
``Retry-After``; every request is recorded (``requests``, ``calls``, ``tag_writes``).
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler
from typing import Any, Protocol
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from fake_arm import TlsFiles
from fake_arm.tls import HttpsServerThread
from fake_arm_tags.state import (
    FakeGroup,
    FakeResource,
    Fault,
    Recorded,
    Taggable,
    TagRefused,
    apply_patch,
    tags_json,
)

_SUB = r"^/subscriptions/(?P<sub>[^/]+)"
_TAGS = re.compile(r"^(?P<scope>/subscriptions/.+)/providers/microsoft\.resources/tags/default$")
_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("GET", re.compile(_SUB + r"/resources$"), "list_resources"),
    ("GET", re.compile(_SUB + r"/resourcegroups$"), "list_groups"),
    ("GET", re.compile(_SUB + r"/resourcegroups/(?P<rg>[^/]+)$"), "get_group"),
    ("GET", re.compile(_SUB + r"/resourcegroups/(?P<rg>[^/]+)/resources$"), "list_in_group"),
    ("GET", _TAGS, "get_tags"),
    ("PATCH", _TAGS, "patch_tags"),
    ("PUT", _TAGS, "put_tags"),
]
_TYPE_FILTER = re.compile(r"^\s*resourceType\s+eq\s+'(?P<type>[^']+)'\s*$", re.IGNORECASE)
Reply = tuple[int, Any, dict[str, str]]


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Reply:
    return status, {"error": {"code": code, "message": message}}, dict(headers or {})


def _no_group(name: str) -> Reply:
    return _error(404, "ResourceGroupNotFound", f"Resource group '{name}' could not be found.")


def _no_resource(scope: str) -> Reply:
    return _error(404, "ResourceNotFound", f"The Resource '{scope}' was not found.")


class FakeResources:
    """Start with ``with FakeResources(tls) as arm:``; ``arm.url`` is the ARM ``base_url``."""

    def __init__(self, tls: TlsFiles, *, page_size: int = 100) -> None:
        self._tls = tls
        self.page_size = page_size
        self._lock = threading.Lock()
        self._groups: dict[str, FakeGroup] = {}
        self._resources: dict[str, FakeResource] = {}
        self._faults: list[Fault] = []
        self._requests: list[Recorded] = []
        self._http: HttpsServerThread | None = None
        self.url = ""

    # -- lifecycle -----------------------------------------------------------------------------
    def __enter__(self) -> FakeResources:
        self._http = HttpsServerThread(self._tls, handler_for(self), name="fake-arm-tags")
        self.url = self._http.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._http is not None:
            self._http.stop()

    # -- state ---------------------------------------------------------------------------------
    def add_group(self, subscription: str, name: str, **kw: Any) -> FakeGroup:
        group = FakeGroup(subscription, name, **kw)
        with self._lock:
            self._groups[group.id.lower()] = group
        return group

    def add_resource(
        self, subscription: str, resource_group: str, type: str, name: str, **kw: Any
    ) -> FakeResource:
        resource = FakeResource(subscription, resource_group, type, name, **kw)
        with self._lock:
            if f"/subscriptions/{subscription}/resourcegroups/{resource_group}".lower() not in (
                self._groups
            ):
                raise AssertionError(f"add resource group {resource_group} first")
            self._resources[resource.id.lower()] = resource
        return resource

    def delete(self, resource_id: str) -> None:
        with self._lock:
            self._resources.pop(resource_id.lower(), None)
            self._groups.pop(resource_id.lower(), None)

    def tags_of(self, resource_id: str) -> dict[str, str]:
        with self._lock:
            entity = self._taggable(resource_id.lower())
            assert entity is not None, f"no {resource_id}"
            return dict(entity.tags)

    def set_tags(self, resource_id: str, tags: dict[str, str]) -> None:
        """Change tags behind the adapters' back (a person in the portal)."""
        with self._lock:
            entity = self._taggable(resource_id.lower())
            assert entity is not None, f"no {resource_id}"
            entity.tags = dict(tags)

    # -- faults and what happened --------------------------------------------------------------
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
        operation: str | None = None,
    ) -> None:
        """The next ``times`` requests whose path matches ``path`` (regex) answer ``status``;
        ``operation`` narrows it to tag PATCHes of that operation (``Delete``, ...)."""
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        default = {403: "AuthorizationFailed", 409: "Conflict", 429: "TooManyRequests"}
        fault = Fault(
            method.upper(),
            re.compile(path, re.IGNORECASE),
            status,
            times,
            headers,
            code or default.get(status, "InternalServerError"),
            message,
            operation,
        )
        with self._lock:
            self._faults.append(fault)

    @property
    def requests(self) -> list[Recorded]:
        with self._lock:
            return list(self._requests)

    def calls(self, method: str, path: str = "") -> list[Recorded]:
        pattern = re.compile(path, re.IGNORECASE)
        return [r for r in self.requests if r.method == method and pattern.search(r.path)]

    def tag_writes(self) -> list[Recorded]:
        """Every PATCH or PUT of a tags resource, answered or not."""
        return [r for r in self.requests if r.method in ("PATCH", "PUT")]

    # -- request handling (server threads) -----------------------------------------------------
    def handle(self, method: str, raw_path: str, body: bytes, auth: str | None) -> Reply:
        parts = urlsplit(raw_path)
        path = re.sub(r"/{2,}", "/", unquote(parts.path))
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        try:
            decoded = json.loads(body) if body else None
        except ValueError:
            decoded = body.decode(errors="replace")
        reply = self._dispatch(method, path, query, decoded, auth)
        with self._lock:
            self._requests.append(
                Recorded(method, path, query, reply[0], time.monotonic(), decoded)
            )
        return reply

    def _dispatch(
        self, method: str, path: str, query: dict[str, str], body: Any, auth: str | None
    ) -> Reply:
        if not (auth or "").startswith("Bearer "):
            return _error(401, "AuthenticationFailed", "no bearer token")
        if not query.get("api-version"):
            return _error(400, "MissingApiVersionParameter", "api-version is required")
        with self._lock:
            operation = body.get("operation") if isinstance(body, dict) else None
            for fault in self._faults:
                if (
                    fault.times > 0
                    and fault.method == method
                    and fault.path.search(path)
                    and fault.operation in (None, operation)
                ):
                    fault.times -= 1
                    return _error(fault.status, fault.code, fault.message, fault.headers)
        for route_method, pattern, name in _ROUTES:
            match = pattern.match(path.lower())
            if route_method == method and match:
                with self._lock:
                    handler = getattr(self, f"_{name}")
                    return handler(match, path, query, body)  # type: ignore[no-any-return]
        return _error(404, "NotFound", f"no route for {method} {path}")

    def _page(self, items: list[dict[str, Any]], path: str, query: dict[str, str]) -> Reply:
        offset = int(query.get("$skiptoken", "0"))
        payload: dict[str, Any] = {"value": items[offset : offset + self.page_size]}
        if offset + self.page_size < len(items):
            link = f"{self.url}{path}?api-version={query['api-version']}"
            if "$filter" in query:
                link += f"&$filter={quote(query['$filter'])}"
            payload["nextLink"] = f"{link}&$skiptoken={offset + self.page_size}"
        return 200, payload, {}

    def _taggable(self, scope: str) -> Taggable | None:
        return self._resources.get(scope) or self._groups.get(scope)

    def _list_resources(
        self, match: re.Match[str], path: str, query: dict[str, str], body: Any
    ) -> Reply:
        mine = [r for r in self._resources.values() if r.subscription.lower() == match["sub"]]
        return self._page([r.json() for r in mine], path, query)

    def _list_groups(
        self, match: re.Match[str], path: str, query: dict[str, str], body: Any
    ) -> Reply:
        mine = [g for g in self._groups.values() if g.subscription.lower() == match["sub"]]
        return self._page([g.json() for g in mine], path, query)

    def _get_group(
        self, match: re.Match[str], path: str, query: dict[str, str], body: Any
    ) -> Reply:
        group = self._groups.get(path.lower())
        if group is None:
            return _no_group(match["rg"])
        return 200, group.json(), {}

    def _list_in_group(
        self, match: re.Match[str], path: str, query: dict[str, str], body: Any
    ) -> Reply:
        group_id = path.lower().removesuffix("/resources")
        if group_id not in self._groups:
            return _no_group(match["rg"])
        wanted: str | None = None
        if "$filter" in query:
            found = _TYPE_FILTER.match(query["$filter"])
            if found is None:
                return _error(400, "InvalidFilterInQueryString", "unsupported $filter")
            wanted = found["type"].lower()
        items = [
            r.json()
            for r in self._resources.values()
            if r.id.lower().startswith(group_id + "/") and wanted in (None, r.type.lower())
        ]
        return self._page(items, path, query)

    def _get_tags(self, match: re.Match[str], path: str, query: dict[str, str], body: Any) -> Reply:
        entity = self._taggable(match["scope"])
        if entity is None:
            return _no_resource(match["scope"])
        return 200, tags_json(entity), {}

    def _patch_tags(
        self, match: re.Match[str], path: str, query: dict[str, str], body: Any
    ) -> Reply:
        try:
            operation, given = body["operation"], body["properties"]["tags"]
            assert isinstance(given, dict)
        except (TypeError, KeyError, AssertionError):
            return _error(400, "InvalidRequestContent", "expected {operation, properties.tags}")
        return self._write_tags(match["scope"], str(operation), given)

    def _put_tags(self, match: re.Match[str], path: str, query: dict[str, str], body: Any) -> Reply:
        try:
            given = body["properties"]["tags"]
            assert isinstance(given, dict)
        except (TypeError, KeyError, AssertionError):
            return _error(400, "InvalidRequestContent", "expected {properties.tags}")
        return self._write_tags(match["scope"], "Replace", given)

    def _write_tags(self, scope: str, operation: str, given: dict[str, str]) -> Reply:
        entity = self._taggable(scope)
        if entity is None:
            return _no_resource(scope)
        try:
            entity.tags = apply_patch(entity.tags, operation, given)
        except TagRefused as refused:
            return _error(400, refused.code, refused.message)
        return 200, tags_json(entity), {}


class _Handles(Protocol):
    def handle(self, method: str, raw_path: str, body: bytes, auth: str | None) -> Reply: ...


def handler_for(arm: _Handles) -> type[BaseHTTPRequestHandler]:
    """An HTTP handler answering every method with ``arm.handle`` (also used by the combined
    tags + compute server, ``with_compute``)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, payload, headers = arm.handle(
                self.command, self.path, body, self.headers.get("Authorization")
            )
            data = b"" if payload is None else json.dumps(payload).encode()
            self.send_response(status)
            for name, value in headers.items():
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
