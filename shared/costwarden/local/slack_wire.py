"""The wire side of the local Slack server: request bodies and Block Kit limits, as Slack sees them.

Kept apart from the server so tests can check rendered blocks against the same limits the
server enforces, without starting it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl


@dataclass
class Reply:
    """One HTTP answer of the local server.

    ``payload`` is the JSON body (None: hang up without answering); ``text``, when set, is sent
    as a plain-text body instead (Slack's upload URLs answer ``OK - <length>``).
    """

    status: int
    payload: dict[str, Any] | None
    headers: dict[str, str] = field(default_factory=dict)
    text: str | None = None


def ok_reply(**payload: Any) -> Reply:
    return Reply(200, {"ok": True, **payload})


def error_reply(
    status: int, error: str, headers: dict[str, str] | None = None, **extra: Any
) -> Reply:
    return Reply(status, {"ok": False, "error": error, **extra}, headers or {})


def parse_body(content_type: str, raw: bytes, query: str) -> dict[str, Any]:
    """JSON, urlencoded or multipart bodies (slack-sdk sends all three), plus query params."""
    body: dict[str, Any] = dict(parse_qsl(query))
    ctype = content_type.split(";", maxsplit=1)[0].strip().lower()
    if ctype == "application/json":
        try:
            parsed = json.loads(raw or b"{}")
        except ValueError:
            return {**body, "_invalid_json": True}
        if not isinstance(parsed, dict):
            return {**body, "_invalid_json": True}
        body.update(parsed)
    elif ctype == "application/x-www-form-urlencoded":
        body.update(parse_qsl(raw.decode("utf-8")))
    elif ctype == "multipart/form-data":
        head = f"Content-Type: {content_type}\r\n\r\n".encode()
        form = BytesParser(policy=HTTP).parsebytes(head + raw)
        for part in form.walk():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if isinstance(name, str) and isinstance(payload, bytes):
                body[name] = payload.decode("utf-8")
    # Form-encoded blocks arrive as a JSON string, as with the real API.
    if isinstance(body.get("blocks"), str):
        try:
            body["blocks"] = json.loads(body["blocks"])
        except ValueError:
            body["blocks"] = {"_invalid": body["blocks"]}
    return body


def content_problem(body: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """Slack's error code (and extra response fields) for a message it would refuse, or None."""
    blocks = body.get("blocks")
    if blocks is not None and (
        not isinstance(blocks, list)
        or not all(isinstance(b, dict) and isinstance(b.get("type"), str) for b in blocks)
    ):
        return "invalid_blocks_format", {}
    if not body.get("text") and not blocks:
        return "no_text", {}
    if len(str(body.get("text") or "")) > 40_000:
        return "msg_too_long", {}
    problems = block_kit_problems(blocks or [])
    if problems:
        return "invalid_blocks", {"response_metadata": {"messages": problems}}
    return None


def _text_of(obj: Any) -> str:
    return str(obj.get("text", "")) if isinstance(obj, dict) else ""


def block_kit_problems(blocks: list[dict[str, Any]]) -> list[str]:
    """Slack-style ``[ERROR] ... [json-pointer:...]`` lines for the limits Slack enforces."""
    problems: list[str] = []
    if len(blocks) > 50:
        problems.append("[ERROR] no more than 50 items allowed [json-pointer:/blocks]")
    seen_ids: set[str] = set()
    for i, block in enumerate(blocks):
        at = f"/blocks/{i}"
        block_id = block.get("block_id")
        if isinstance(block_id, str):
            problems += _too_long(block_id, 255, f"{at}/block_id")
            if block_id in seen_ids:
                problems.append(f"[ERROR] duplicate block_id [json-pointer:{at}/block_id]")
            seen_ids.add(block_id)
        check = _BLOCK_CHECKS.get(block["type"])
        if check is not None:
            problems += check(block, at)
    return problems


def _too_long(value: str, limit: int, pointer: str) -> list[str]:
    if len(value) <= limit:
        return []
    return [f"[ERROR] must be at most {limit} characters [json-pointer:{pointer}]"]


def _check_header(block: dict[str, Any], at: str) -> list[str]:
    text = block.get("text")
    problems = _too_long(_text_of(text), 150, f"{at}/text/text")
    if not isinstance(text, dict) or text.get("type") != "plain_text":
        problems.append(f"[ERROR] must be a plain_text object [json-pointer:{at}/text]")
    return problems


def _check_section(block: dict[str, Any], at: str) -> list[str]:
    fields = block.get("fields") or []
    problems = _too_long(_text_of(block.get("text")), 3000, f"{at}/text/text")
    if not block.get("text") and not fields:
        problems.append(f"[ERROR] must provide text or fields [json-pointer:{at}]")
    if len(fields) > 10:
        problems.append(f"[ERROR] no more than 10 items allowed [json-pointer:{at}/fields]")
    for j, fld in enumerate(fields):
        problems += _too_long(_text_of(fld), 2000, f"{at}/fields/{j}/text")
    return problems


def _check_elements(block: dict[str, Any], at: str) -> list[str]:
    elements = block.get("elements") or []
    limit = 10 if block["type"] == "context" else 25
    problems = []
    if not elements or len(elements) > limit:
        problems.append(f"[ERROR] must have 1 to {limit} items [json-pointer:{at}/elements]")
    for j, element in enumerate(elements):
        where = f"{at}/elements/{j}"
        if isinstance(element, dict) and element.get("type") == "button":
            problems += _too_long(_text_of(element.get("text")), 75, f"{where}/text/text")
            problems += _too_long(str(element.get("url", "")), 3000, f"{where}/url")
        else:
            problems += _too_long(_text_of(element), 3000, f"{where}/text")
    return problems


_BLOCK_CHECKS: dict[str, Callable[[dict[str, Any], str], list[str]]] = {
    "header": _check_header,
    "section": _check_section,
    "context": _check_elements,
    "actions": _check_elements,
}
