"""A local HTTP proxy between boto3 and moto's server that throttles a seeded share of calls.

Point a client's ``endpoint_url`` at ``ThrottleProxy.url``. Each request is either answered by
the proxy with the throttling error the real service sends, in that service's wire protocol,
or forwarded to moto unchanged:

- EC2 (credential scope ``ec2``): HTTP 400, ``<Response><Errors><Error>`` with code
  ``RequestLimitExceeded``;
- other query services (form body with ``Action=``): HTTP 400, ``<ErrorResponse>`` with code
  ``Throttling``;
- JSON services (``X-Amz-Target`` header): HTTP 400, ``{"__type": "ThrottlingException"}``;
- RPCv2 CBOR services (``smithy-protocol`` header; CloudWatch in current botocore): HTTP 400,
  the same map in CBOR;
- every ``slowdown_every``-th injected error instead: HTTP 503 with code ``SlowDown``.

The choice is ``random.Random(seed)``: with sequential callers the same test throttles the same
calls on every run. ``rate=1.0`` throttles everything (a call can never succeed).

Scripted faults take precedence over the random ones, for the races moto cannot produce:
``fail_next(operation, code=...)`` answers the next call of an operation with an error (after
running ``before``, e.g. to change the resource behind the caller's back), and
``fail_batch_entries`` makes SendMessageBatch (JSON) report chosen entries as failed while the
rest reach moto. ``calls`` records every request: service, operation and what was injected.
"""

from __future__ import annotations

import json
import random
import re
import threading
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.client import HTTPConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "content-length",
}
_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/aws4_request")
_THROTTLE_CODES = {
    "ec2": "RequestLimitExceeded",
    "query": "Throttling",
    "json": "ThrottlingException",
    "cbor": "ThrottlingException",
}


@dataclass(frozen=True)
class ProxiedCall:
    service: str
    operation: str
    #: The error code the proxy answered with; None when the call went to moto.
    injected: str | None
    status: int


@dataclass
class _Fault:
    operation: str
    code: str
    status: int
    message: str
    before: Callable[[], None] | None
    remaining: int


@dataclass
class _EntryFault:
    operation: str
    ids: frozenset[str]
    code: str
    remaining: int


@dataclass
class _Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    service: str = ""
    protocol: str = ""
    operation: str = ""
    extra: dict[str, object] = field(default_factory=dict)


class ThrottleProxy:
    def __init__(
        self, upstream: str, *, rate: float = 0.3, seed: int = 0, slowdown_every: int = 5
    ) -> None:
        parsed = urllib.parse.urlsplit(upstream)
        if parsed.hostname not in ("127.0.0.1", "localhost"):
            raise ValueError("the throttle proxy only forwards to loopback")
        self._upstream = (parsed.hostname, parsed.port or 80)
        self.rate = rate
        self._random = random.Random(seed)
        self._slowdown_every = slowdown_every
        self._lock = threading.Lock()
        self._faults: list[_Fault] = []
        self._entry_faults: list[_EntryFault] = []
        self._injected_count = 0
        self.calls: list[ProxiedCall] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> ThrottleProxy:
        proxy = self

        class Handler(_Handler):
            owner = proxy

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()

    @property
    def url(self) -> str:
        assert self._server is not None, "use the proxy as a context manager"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- scripting and counting ----------------------------------------------------------------
    def fail_next(
        self,
        operation: str,
        *,
        code: str,
        status: int = 400,
        message: str = "injected by the test proxy",
        before: Callable[[], None] | None = None,
        times: int = 1,
    ) -> None:
        with self._lock:
            self._faults.append(_Fault(operation, code, status, message, before, times))

    def fail_batch_entries(
        self,
        ids: set[str],
        *,
        operation: str = "SendMessageBatch",
        code: str = "InternalError",
        times: int = 1,
    ) -> None:
        with self._lock:
            self._entry_faults.append(_EntryFault(operation, frozenset(ids), code, times))

    def injected(self, operation: str | None = None) -> int:
        return sum(1 for c in self._calls(operation) if c.injected is not None)

    def forwarded(self, operation: str | None = None) -> int:
        return sum(1 for c in self._calls(operation) if c.injected is None)

    def _calls(self, operation: str | None) -> Iterator[ProxiedCall]:
        with self._lock:
            calls = list(self.calls)
        return (c for c in calls if operation is None or c.operation == operation)

    # -- the decision --------------------------------------------------------------------------
    def _handle(self, request: _Request) -> tuple[int, dict[str, str], bytes]:
        _classify(request)
        with self._lock:
            fault = next((f for f in self._faults if f.operation == request.operation), None)
            if fault is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
            entry_fault = next(
                (
                    f
                    for f in self._entry_faults
                    if f.operation == request.operation and _has_entry(request, f.ids)
                ),
                None,
            )
            if entry_fault is not None and fault is None:
                entry_fault.remaining -= 1
                if entry_fault.remaining <= 0:
                    self._entry_faults.remove(entry_fault)
            throttle = fault is None and entry_fault is None and self._random.random() < self.rate
            slowdown = False
            if throttle:
                self._injected_count += 1
                slowdown = self._injected_count % self._slowdown_every == 0
        if fault is not None:
            if fault.before is not None:
                fault.before()
            return self._answer(request, fault.code, fault.status, fault.message)
        if throttle:
            code = "SlowDown" if slowdown else _THROTTLE_CODES[request.protocol]
            return self._answer(request, code, 503 if slowdown else 400, "Rate exceeded")
        if entry_fault is not None:
            return self._drop_entries(request, entry_fault)
        status, headers, body = self._forward(request)
        self._record(request, None, status)
        return status, headers, body

    def _answer(
        self, request: _Request, code: str, status: int, message: str
    ) -> tuple[int, dict[str, str], bytes]:
        self._record(request, code, status)
        return _error(request, code, status, message)

    def _record(self, request: _Request, injected: str | None, status: int) -> None:
        with self._lock:
            self.calls.append(ProxiedCall(request.service, request.operation, injected, status))

    def _forward(self, request: _Request) -> tuple[int, dict[str, str], bytes]:
        connection = HTTPConnection(*self._upstream, timeout=120)
        try:
            headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
            connection.request(request.method, request.path, body=request.body, headers=headers)
            response = connection.getresponse()
            body = response.read()
            answer = {k: v for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP}
            return response.status, answer, body
        finally:
            connection.close()

    def _drop_entries(
        self, request: _Request, fault: _EntryFault
    ) -> tuple[int, dict[str, str], bytes]:
        """Forward a JSON batch without the chosen entries; report those as failed."""
        payload = json.loads(request.body)
        entries = payload.get("Entries", [])
        payload["Entries"] = [e for e in entries if e.get("Id") not in fault.ids]
        dropped = [e["Id"] for e in entries if e.get("Id") in fault.ids]
        if payload["Entries"]:
            request.body = json.dumps(payload).encode()
            status, headers, body = self._forward(request)
            answer = json.loads(body) if status == 200 else None
        else:
            status, headers, answer = 200, {"Content-Type": "application/x-amz-json-1.0"}, {}
        if answer is None:
            self._record(request, None, status)
            return status, headers, body
        answer.setdefault("Successful", [])
        answer.setdefault("Failed", []).extend(
            {"Id": i, "SenderFault": False, "Code": fault.code, "Message": "injected"}
            for i in dropped
        )
        self._record(request, f"entries:{','.join(dropped)}", status)
        return status, headers, json.dumps(answer).encode()


class _Handler(BaseHTTPRequestHandler):
    owner: ThrottleProxy
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self._serve()

    def do_GET(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: object) -> None:
        return

    def _serve(self) -> None:
        request = _Request(
            method=self.command,
            path=self.path,
            headers=dict(self.headers.items()),
            body=self._body(),
        )
        status, headers, body = self.owner._handle(request)
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""


def _has_entry(request: _Request, ids: frozenset[str]) -> bool:
    if request.protocol != "json":
        return False
    entries = json.loads(request.body or b"{}").get("Entries", [])
    return any(entry.get("Id") in ids for entry in entries)


def _classify(request: _Request) -> None:
    headers = {k.lower(): v for k, v in request.headers.items()}
    scope = _CREDENTIAL_SCOPE.search(headers.get("authorization", ""))
    request.service = scope.group(1) if scope else ""
    if "x-amz-target" in headers:
        request.protocol = "json"
        request.operation = headers["x-amz-target"].rsplit(".", 1)[-1]
    elif headers.get("smithy-protocol") == "rpc-v2-cbor":
        request.protocol = "cbor"
        request.operation = request.path.rstrip("/").rsplit("/", 1)[-1]
    else:
        request.protocol = "ec2" if request.service == "ec2" else "query"
        form = urllib.parse.parse_qs(request.body.decode("utf-8", errors="replace"))
        request.operation = form.get("Action", [""])[0]


def _error(
    request: _Request, code: str, status: int, message: str
) -> tuple[int, dict[str, str], bytes]:
    request_id = str(uuid.uuid4())
    if request.protocol == "json":
        body = json.dumps({"__type": code, "message": message}).encode()
        return (
            status,
            {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": request_id},
            body,
        )
    if request.protocol == "cbor":
        body = _cbor_map({"__type": code, "message": message})
        return (
            status,
            {
                "Content-Type": "application/cbor",
                "smithy-protocol": "rpc-v2-cbor",
                "x-amzn-RequestId": request_id,
            },
            body,
        )
    if request.protocol == "ec2":
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message>"
            f"</Error></Errors><RequestID>{request_id}</RequestID></Response>"
        )
    else:
        xml = (
            f'<ErrorResponse xmlns="https://{request.service}.amazonaws.com/doc/">'
            f"<Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        )
    return status, {"Content-Type": "text/xml", "x-amzn-RequestId": request_id}, xml.encode()


# -- just enough CBOR (RFC 8949) for an error body: a map of text strings -----------------------
def _cbor_head(major: int, length: int) -> bytes:
    if length < 24:
        return bytes([major << 5 | length])
    if length < 0x100:
        return bytes([major << 5 | 24, length])
    if length < 0x10000:
        return bytes([major << 5 | 25]) + length.to_bytes(2, "big")
    return bytes([major << 5 | 26]) + length.to_bytes(4, "big")


def _cbor_text(text: str) -> bytes:
    data = text.encode("utf-8")
    return _cbor_head(3, len(data)) + data


def _cbor_map(items: dict[str, str]) -> bytes:
    return _cbor_head(5, len(items)) + b"".join(
        _cbor_text(k) + _cbor_text(v) for k, v in items.items()
    )
