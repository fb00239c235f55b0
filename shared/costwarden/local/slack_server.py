"""``LocalSlackServer``: a loopback stand-in for the part of the Slack Web API costwarden uses.

It is a capture device and a test double, not a Slack clone. The local run points the real
``WebClient`` at it (``base_url=server.base_url``) so a demo shows exactly what Slack would have
received; the tests use it the way slack-sdk's own tests use theirs, plus scriptable faults
(429 with Retry-After, 5xx, ``ok: false`` errors, dropped connections) to prove the retries.

What it checks is what Slack checks and what costwarden can get wrong: the bot token
(``invalid_auth``), the channel (``channel_not_found``), ``text``/``blocks`` presence
(``no_text``) and the Block Kit limits (``invalid_blocks``, with Slack-style messages), so a
rendering bug fails here the way it would fail in a real workspace. It binds 127.0.0.1 only.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal, Self
from urllib.parse import urlsplit

from costwarden.local.slack_files import UPLOAD_METHOD, UPLOAD_PATH, SlackFilesMixin
from costwarden.local.slack_wire import Reply as _Reply
from costwarden.local.slack_wire import content_problem, parse_body
from costwarden.local.slack_wire import error_reply as _error
from costwarden.local.slack_wire import ok_reply as _ok

log = logging.getLogger(__name__)

DEFAULT_TOKEN = "xoxb-costwarden-local"  # noqa: S105 - a fake token for a loopback server
BOT_USER_ID = "U0LOCALBOT"
BOT_ID = "B0LOCALBOT"
TEAM_ID = "T0LOCAL00"

_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{8,}$")
# Slack channel names: lowercase, no spaces, at most 80 characters.
_CHANNEL_NAME = re.compile(r"^[a-z0-9][a-z0-9._\-]{0,79}$")
_TS = re.compile(r"^\d+\.\d+$")
_DEFAULT_ERRORS = {429: "ratelimited", 500: "internal_error", 503: "service_unavailable"}


@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP request as the server saw it. ``response`` is None for a dropped connection."""

    api_method: str
    http_method: str
    headers: Mapping[str, str]
    body: Mapping[str, Any]
    status: int
    response: Mapping[str, Any] | None


@dataclass
class _Fault:
    remaining: int
    status: int
    error: str
    retry_after: int | None
    method: str | None


class LocalSlackServer(SlackFilesMixin):
    """A threaded HTTP server on 127.0.0.1 speaking ``auth.test``, ``chat.postMessage`` and
    ``chat.update``, plus the ``files_upload_v2`` flow and ``conversations.list``/``info``
    (``SlackFilesMixin``). Use it as a context manager, or ``start()`` / ``stop()``."""

    def __init__(
        self,
        *,
        port: int = 0,
        token: str = DEFAULT_TOKEN,
        channels: Mapping[str, str] | None = None,
        unknown_channels: Literal["create", "not_found"] = "create",
        first_ts: int = 1_700_000_000,
    ) -> None:
        """``token`` is the one bot token accepted (anything else gets ``invalid_auth``).
        ``channels`` maps names (with or without ``#``) to ids. A channel not listed gets a
        stable id derived from its name, or ``channel_not_found`` with ``unknown_channels=
        "not_found"`` (to test routing to a channel the bot was never invited to)."""
        self._port = port
        self._token = token
        self._unknown_channels = unknown_channels
        self._ids_by_name = {name.lstrip("#"): cid for name, cid in (channels or {}).items()}
        self._names_by_id = {cid: name for name, cid in self._ids_by_name.items()}
        self._first_ts = first_ts
        self._seq = 0
        self._lock = threading.Lock()
        self._messages: list[dict[str, Any]] = []
        self._requests: list[RecordedRequest] = []
        self._faults: list[_Fault] = []
        self._down = False
        self._down_status: int | None = None  # None: drop connections while down
        self._httpd: _HttpServer | None = None
        self._thread: threading.Thread | None = None
        self._init_files()

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> Self:
        if self._httpd is not None:
            return self
        httpd = _HttpServer(("127.0.0.1", self._port), _Handler)
        httpd.app = self
        self._httpd = httpd
        # A short poll interval: stop() waits up to one interval, and tests stop a server each.
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="local-slack-server",
            daemon=True,
        )
        self._thread.start()
        log.info("local Slack server listening on %s", self.base_url)
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("LocalSlackServer is not started")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """The ``WebClient(base_url=...)`` value; ends with ``/api/`` like Slack's."""
        return f"http://127.0.0.1:{self.port}/api/"

    # -- what was received -------------------------------------------------------------------
    @property
    def messages(self) -> list[dict[str, Any]]:
        """Accepted messages (current state, edits applied), oldest first; a copy."""
        with self._lock:
            return copy.deepcopy(self._messages)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request, including refused and faulted ones, oldest first."""
        with self._lock:
            return list(self._requests)

    def channel_id(self, channel: str) -> str:
        """The id this server gives ``channel`` (a name, with or without ``#``, or an id)."""
        with self._lock:
            resolved = self._resolve_channel(channel, create=True)
        if resolved is None:
            raise KeyError(channel)
        return resolved[0]

    def reset(self) -> None:
        """Forget messages, requests and pending faults (channels and ts keep counting)."""
        with self._lock:
            self._messages.clear()
            self._requests.clear()
            self._faults.clear()
            self._down = False
            self._files.clear()

    # -- scripted faults ---------------------------------------------------------------------
    def fail_next(
        self,
        n: int = 1,
        *,
        status: int | None = None,
        error: str | None = None,
        retry_after: int | None = None,
        method: str | None = None,
        drop: bool = False,
    ) -> None:
        """Answer the next ``n`` requests (to ``method``, or any) with a failure.

        No arguments: HTTP 429 ``ratelimited`` with ``Retry-After: 1``. ``status=500``/``503``:
        that status. ``error="..."`` alone: HTTP 200 with ``{"ok": false, "error": ...}``, the
        way Slack reports most failures. ``drop=True``: hang up without answering (a connection
        error for the client). Faults queue up in the order they were scripted.
        """
        if drop:
            status = 0
        elif status is None:
            status = 200 if error is not None else 429
        if status == 429 and retry_after is None:
            retry_after = 1
        err = error or _DEFAULT_ERRORS.get(status, "request_failed")
        with self._lock:
            self._faults.append(_Fault(n, status, err, retry_after, method))

    def go_down(self, *, status: int | None = None) -> None:
        """Fail every request until ``come_back()``: by dropping the connection without an
        answer (``status=None``, a connection error for the client) or with ``status``."""
        with self._lock:
            self._down = True
            self._down_status = status

    def come_back(self) -> None:
        with self._lock:
            self._down = False

    # -- request handling (called from server threads) ---------------------------------------
    def _handle(
        self, api_method: str, http_method: str, headers: dict[str, str], raw: bytes, query: str
    ) -> _Reply:
        body = parse_body(headers.get("Content-Type", ""), raw, query)
        with self._lock:
            reply = self._dispatch(api_method, headers, body)
            recorded = RecordedRequest(
                api_method, http_method, headers, body, reply.status, reply.payload
            )
            self._requests.append(recorded)
        return reply

    def _handle_upload(
        self, path: str, http_method: str, headers: dict[str, str], raw: bytes
    ) -> _Reply:
        """The upload URL ``files.getUploadURLExternal`` hands out: raw bytes, no token."""
        with self._lock:
            reply = self._injected_failure(UPLOAD_METHOD) or self._receive_upload(path, raw)
            recorded = RecordedRequest(
                UPLOAD_METHOD,
                http_method,
                headers,
                {"bytes": len(raw)},
                reply.status,
                {"text": reply.text} if reply.text is not None else reply.payload,
            )
            self._requests.append(recorded)
        return reply

    def _dispatch(self, api_method: str, headers: dict[str, str], body: dict[str, Any]) -> _Reply:
        injected = self._injected_failure(api_method)
        if injected is not None:
            return injected
        if body.get("_invalid_json"):
            return _error(200, "invalid_json")
        token = _bearer(headers) or str(body.get("token") or "")
        if not token:
            return _error(200, "not_authed")
        if token != self._token:
            return _error(200, "invalid_auth")
        handler = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            **self._file_methods(),
        }.get(api_method)
        if handler is None:
            return _error(200, "unknown_method")
        return handler(body)

    def _injected_failure(self, api_method: str) -> _Reply | None:
        """The outage or the next scripted fault for this request, if any."""
        if self._down:
            if self._down_status is None:
                return _Reply(0, None)
            status = self._down_status
            return _error(status, _DEFAULT_ERRORS.get(status, "request_failed"))
        for fault in self._faults:
            if fault.method in (None, api_method):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                if fault.status == 0:
                    return _Reply(0, None)
                after = fault.retry_after
                return _error(
                    fault.status, fault.error, {} if after is None else {"Retry-After": str(after)}
                )
        return None

    def _auth_test(self, body: dict[str, Any]) -> _Reply:
        return _ok(
            url=f"http://127.0.0.1:{self.port}/",
            team="costwarden local",
            user="costwarden",
            team_id=TEAM_ID,
            user_id=BOT_USER_ID,
            bot_id=BOT_ID,
            is_enterprise_install=False,
        )

    def _post_message(self, body: dict[str, Any]) -> _Reply:
        resolved = self._resolve_channel(str(body.get("channel") or ""), create=None)
        if resolved is None:
            return _error(200, "channel_not_found")
        problem = content_problem(body)
        if problem is not None:
            return _error(200, problem[0], **problem[1])
        thread_ts = body.get("thread_ts")
        if thread_ts is not None and not _TS.match(str(thread_ts)):
            return _error(200, "invalid_thread_ts")
        channel_id, channel_name = resolved
        message: dict[str, Any] = {
            "type": "message",
            "channel": channel_id,
            "channel_name": channel_name,
            "ts": self._next_ts(),
            "text": str(body.get("text") or ""),
            "blocks": body.get("blocks") or [],
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
        }
        if thread_ts is not None:
            message["thread_ts"] = str(thread_ts)
            message["reply_broadcast"] = _truthy(body.get("reply_broadcast"))
        self._messages.append(message)
        public = {k: v for k, v in message.items() if k not in ("channel", "channel_name")}
        return _ok(channel=channel_id, ts=message["ts"], message=copy.deepcopy(public))

    def _update(self, body: dict[str, Any]) -> _Reply:
        resolved = self._resolve_channel(str(body.get("channel") or ""), create=False)
        if resolved is None:
            return _error(200, "channel_not_found")
        ts = str(body.get("ts") or "")
        target = next(
            (m for m in self._messages if m["channel"] == resolved[0] and m["ts"] == ts), None
        )
        if target is None:
            return _error(200, "message_not_found")
        problem = content_problem(body)
        if problem is not None:
            return _error(200, problem[0], **problem[1])
        target["text"] = str(body.get("text") or "")
        if "blocks" in body:
            target["blocks"] = body["blocks"] or []
        target["edited"] = {"user": BOT_USER_ID, "ts": self._next_ts()}
        public = {k: v for k, v in target.items() if k not in ("channel", "channel_name")}
        return _ok(channel=resolved[0], ts=ts, text=target["text"], message=copy.deepcopy(public))

    def _next_ts(self) -> str:
        # Slack ts: seconds.microseconds, unique per channel and increasing.
        self._seq += 1
        micros = self._first_ts * 1_000_000 + self._seq * 100
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _resolve_channel(self, raw: str, *, create: bool | None) -> tuple[str, str | None] | None:
        """(id, name) for a channel id or name. ``create=None`` follows ``unknown_channels``."""
        raw = raw.strip()
        if raw in self._names_by_id:
            return raw, self._names_by_id[raw]
        allow_new = self._unknown_channels == "create" if create is None else create
        if _CHANNEL_ID.match(raw):
            return (raw, None) if allow_new else None
        name = raw.removeprefix("#")
        if name in self._ids_by_name:
            return self._ids_by_name[name], name
        if not allow_new or not _CHANNEL_NAME.match(name):
            return None
        # Stable across runs, so a local demo's thread ids and previews stay comparable.
        cid = "C" + hashlib.sha256(name.encode()).hexdigest()[:10].upper()
        self._ids_by_name[name] = cid
        self._names_by_id[cid] = name
        return cid, name


# -- helpers -----------------------------------------------------------------------------------
def _bearer(headers: Mapping[str, str]) -> str | None:
    value = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    app: LocalSlackServer


class _Handler(BaseHTTPRequestHandler):
    server: _HttpServer
    server_version = "LocalSlack/1"

    def do_POST(self) -> None:
        self._serve()

    def do_GET(self) -> None:
        self._serve()

    def _serve(self) -> None:
        url = urlsplit(self.path)
        api_method = url.path.rsplit("/", 1)[-1]
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = dict(self.headers.items())
        if url.path.startswith(UPLOAD_PATH):
            reply = self.server.app._handle_upload(url.path, self.command, headers, raw)
        else:
            reply = self.server.app._handle(api_method, self.command, headers, raw, url.query)
        if reply.payload is None and reply.text is None:
            # "Down": hang up without a status line; the client sees RemoteDisconnected.
            self.close_connection = True
            return
        if reply.text is not None:
            data, content_type = reply.text.encode(), "text/plain; charset=utf-8"
        else:
            data, content_type = (
                json.dumps(reply.payload).encode(),
                "application/json; charset=utf-8",
            )
        self.send_response(reply.status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for key, value in reply.headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("local slack: " + format, *args)
