"""File uploads and channel listing for ``LocalSlackServer``, the way slack-sdk calls them.

``WebClient.files_upload_v2`` makes three requests, all answered here:

1. ``files.getUploadURLExternal`` (``filename``, ``length``, ``alt_txt``): returns a ``file_id``
   and an ``upload_url`` on this same server (``/upload/v1/<file_id>``);
2. an HTTP POST of the raw bytes to that URL (no token: the URL is the credential), answered
   ``200 OK - <length>`` like Slack's file service;
3. ``files.completeUploadExternal`` (``files`` as a JSON list of ``{id, title}``,
   ``channel_id``, ``initial_comment``, ``thread_ts``): shares the file in the channel (or its
   thread) as a message with ``files`` and the comment as its text.

Slack's checks that costwarden could trip are kept: ``channel_id`` must be an id, not a name
(``invalid_arguments``, the real error), the channel must exist, the bytes must match the
declared length, and a file is completed once. Uploaded files are kept with their bytes in
``uploaded_files`` so tests can check what was sent. ``fail_next(method="upload", status=500)``
scripts a failure of step 2.

``conversations.list`` (cursor paging, ``limit`` 1-1000) and ``conversations.info`` list the
channels the server knows: those passed to the constructor and those created by posts.
"""

from __future__ import annotations

import base64
import binascii
import json
import mimetypes
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from costwarden.local.slack_wire import Reply, error_reply, ok_reply

UPLOAD_PATH = "/upload/v1/"
UPLOAD_METHOD = "upload"  # the name upload requests are recorded and faulted under
_UPLOAD_CHANNEL_ID = re.compile(r"^[CGDZ][A-Z0-9]{8,}$")  # Slack's own pattern for channel_id
_TS = re.compile(r"^\d+\.\d+$")
ALT_TEXT_MAX = 1000


@dataclass(frozen=True)
class UploadedFile:
    """A file completed with ``files.completeUploadExternal``, as received."""

    id: str
    filename: str
    title: str | None
    alt_txt: str | None
    content: bytes
    channel: str | None  # None: completed without a channel (a private file)
    thread_ts: str | None
    initial_comment: str | None
    message_ts: str | None  # the ts of the message that shared it


@dataclass
class _PendingFile:
    id: str
    filename: str
    length: int
    alt_txt: str | None
    content: bytes | None = None
    completed: UploadedFile | None = None


class SlackFilesMixin:
    """The ``files.*`` and ``conversations.*`` methods of ``LocalSlackServer``.

    The server owns the lock, the channels and the message list; every handler here runs with
    its lock held (from ``_dispatch`` or ``_handle_upload``).
    """

    _lock: threading.Lock
    _messages: list[dict[str, Any]]
    _ids_by_name: dict[str, str]
    _names_by_id: dict[str, str]
    _files: dict[str, _PendingFile]
    _file_seq: int

    # -- provided by LocalSlackServer ------------------------------------------------------
    @property
    def port(self) -> int:
        raise NotImplementedError

    def _resolve_channel(self, raw: str, *, create: bool | None) -> tuple[str, str | None] | None:
        raise NotImplementedError

    def _next_ts(self) -> str:
        raise NotImplementedError

    def _init_files(self) -> None:
        self._files = {}
        self._file_seq = 0

    @property
    def uploaded_files(self) -> list[UploadedFile]:
        """Files completed so far, oldest first."""
        with self._lock:
            return [f.completed for f in self._files.values() if f.completed is not None]

    def _file_methods(self) -> dict[str, Callable[[dict[str, Any]], Reply]]:
        return {
            "files.getUploadURLExternal": self._get_upload_url,
            "files.completeUploadExternal": self._complete_upload,
            "conversations.list": self._conversations_list,
            "conversations.info": self._conversations_info,
        }

    # -- files_upload_v2 ---------------------------------------------------------------------
    def _get_upload_url(self, body: dict[str, Any]) -> Reply:
        filename = str(body.get("filename") or "")
        if not filename:
            return _invalid("filename", "must be provided")
        try:
            length = int(str(body.get("length") or "0"))
        except ValueError:
            return _invalid("length", "must be an integer")
        if length <= 0:
            return error_reply(200, "missing_argument")
        alt_txt = body.get("alt_txt")
        if alt_txt is not None and len(str(alt_txt)) > ALT_TEXT_MAX:
            return error_reply(200, "alt_txt_too_large")
        self._file_seq += 1
        file_id = f"F0LOCAL{self._file_seq:05d}"
        self._files[file_id] = _PendingFile(
            file_id, filename, length, None if alt_txt is None else str(alt_txt)
        )
        return ok_reply(
            upload_url=f"http://127.0.0.1:{self.port}{UPLOAD_PATH}{file_id}", file_id=file_id
        )

    def _receive_upload(self, path: str, raw: bytes) -> Reply:
        pending = self._files.get(path.removeprefix(UPLOAD_PATH).strip("/"))
        if pending is None or pending.completed is not None:
            return Reply(404, None, text="file not found")
        if len(raw) != pending.length:
            text = f"length mismatch: declared {pending.length}, received {len(raw)}"
            return Reply(400, None, text=text)
        pending.content = raw
        return Reply(200, None, text=f"OK - {len(raw)}")

    def _complete_upload(self, body: dict[str, Any]) -> Reply:
        files = body.get("files")
        if isinstance(files, str):
            try:
                files = json.loads(files)
            except ValueError:
                return _invalid("files", "must be a JSON array")
        if not isinstance(files, list) or not files:
            return _invalid("files", "must be a non-empty array of {id, title}")
        target = self._upload_target(body)
        if isinstance(target, Reply):
            return target
        channel, thread_ts = target
        pending: list[tuple[_PendingFile, str | None]] = []
        for item in files:
            found = self._files.get(str(item.get("id"))) if isinstance(item, Mapping) else None
            if found is None or found.content is None or found.completed is not None:
                return error_reply(200, "file_not_found")
            title = item.get("title")
            pending.append((found, None if title is None else str(title)))
        comment = body.get("initial_comment")
        message_ts = self._share(channel, pending, comment, thread_ts) if channel else None
        answered = []
        for found, title in pending:
            assert found.content is not None
            found.completed = UploadedFile(
                id=found.id,
                filename=found.filename,
                title=title,
                alt_txt=found.alt_txt,
                content=found.content,
                channel=channel[0] if channel else None,
                thread_ts=None if thread_ts is None else str(thread_ts),
                initial_comment=None if comment is None else str(comment),
                message_ts=message_ts,
            )
            answered.append(_file_object(found, title, channel, message_ts, thread_ts))
        return ok_reply(files=answered)

    def _upload_target(
        self, body: dict[str, Any]
    ) -> tuple[tuple[str, str | None] | None, str | None] | Reply:
        """(channel, thread_ts) of a completion, or Slack's refusal."""
        channel_id = body.get("channel_id")
        thread_ts = body.get("thread_ts")
        channel: tuple[str, str | None] | None = None
        if channel_id:
            if not _UPLOAD_CHANNEL_ID.match(str(channel_id)):
                return _invalid(
                    "channel_id", "input must match regex pattern: ^[CGDZ][A-Z0-9]{8,}$"
                )
            channel = self._resolve_channel(str(channel_id), create=None)
            if channel is None:
                return error_reply(200, "channel_not_found")
        if thread_ts is not None and not _TS.match(str(thread_ts)):
            return error_reply(200, "invalid_thread_ts")
        return channel, None if thread_ts is None else str(thread_ts)

    def _share(
        self,
        channel: tuple[str, str | None],
        files: list[tuple[_PendingFile, str | None]],
        comment: object,
        thread_ts: object,
    ) -> str:
        """Post the message that shares the files in the channel; return its ts."""
        message: dict[str, Any] = {
            "type": "message",
            "channel": channel[0],
            "channel_name": channel[1],
            "ts": self._next_ts(),
            "text": "" if comment is None else str(comment),
            "files": [{"id": f.id, "name": f.filename, "title": t} for f, t in files],
            "upload": True,
        }
        if thread_ts is not None:
            message["thread_ts"] = str(thread_ts)
        self._messages.append(message)
        return str(message["ts"])

    # -- conversations -----------------------------------------------------------------------
    def _conversations_list(self, body: dict[str, Any]) -> Reply:
        try:
            limit = int(str(body.get("limit") or "100"))
        except ValueError:
            return error_reply(200, "invalid_limit")
        if not 1 <= limit <= 1000:
            return error_reply(200, "invalid_limit")
        offset = _decode_cursor(str(body.get("cursor") or ""))
        if offset is None:
            return error_reply(200, "invalid_cursor")
        channels = sorted(self._ids_by_name.items())
        page = channels[offset : offset + limit]
        more = offset + limit < len(channels)
        return ok_reply(
            channels=[_channel_object(cid, name) for name, cid in page],
            response_metadata={"next_cursor": _encode_cursor(offset + limit) if more else ""},
        )

    def _conversations_info(self, body: dict[str, Any]) -> Reply:
        resolved = self._resolve_channel(str(body.get("channel") or ""), create=False)
        if resolved is None or resolved[1] is None:
            return error_reply(200, "channel_not_found")
        return ok_reply(channel=_channel_object(resolved[0], resolved[1]))


def _invalid(field: str, message: str) -> Reply:
    """Slack's ``invalid_arguments`` answer, with the JSON-pointer message it gives."""
    return error_reply(
        200,
        "invalid_arguments",
        response_metadata={"messages": [f"[ERROR] {message} [json-pointer:/{field}]"]},
    )


def _file_object(
    found: _PendingFile,
    title: str | None,
    channel: tuple[str, str | None] | None,
    message_ts: str | None,
    thread_ts: object,
) -> dict[str, Any]:
    mimetype = mimetypes.guess_type(found.filename)[0] or "application/octet-stream"
    obj: dict[str, Any] = {
        "id": found.id,
        "name": found.filename,
        "title": title or found.filename,
        "mimetype": mimetype,
        "filetype": found.filename.rsplit(".", 1)[-1].lower() if "." in found.filename else "",
        "size": found.length,
        "user": "U0LOCALBOT",
    }
    if channel is not None and message_ts is not None:
        share: dict[str, Any] = {"ts": message_ts}
        if thread_ts is not None:
            share["thread_ts"] = str(thread_ts)
        kind = "private" if channel[0].startswith(("G", "D")) else "public"
        obj["shares"] = {kind: {channel[0]: [share]}}
    return obj


def _channel_object(channel_id: str, name: str | None) -> dict[str, Any]:
    return {
        "id": channel_id,
        "name": name,
        "name_normalized": name,
        "is_channel": channel_id.startswith("C"),
        "is_group": channel_id.startswith("G"),
        "is_private": channel_id.startswith("G"),
        "is_archived": False,
        "is_member": True,
    }


def _encode_cursor(offset: int) -> str:
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def _decode_cursor(cursor: str) -> int | None:
    if not cursor:
        return 0
    try:
        text = base64.b64decode(cursor, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    kind, _, number = text.partition(":")
    return int(number) if kind == "offset" and number.isdigit() else None
