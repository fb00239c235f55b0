"""Small typed readers shared by the resource-change normalizers: each failure names the path."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from costwarden.errors import PayloadError


def obj(value: object, path: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise PayloadError(f"{path}: expected an object")
    return value


def text(value: object, path: str) -> str:
    if not isinstance(value, str) or not value:
        raise PayloadError(f"{path}: expected a non-empty string")
    return value


def optional_text(value: object, path: str) -> str | None:
    if value is None:
        return None
    return text(value, path)


def timestamp(value: object, path: str) -> datetime:
    raw = text(value, path)
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise PayloadError(f"{path}: not an ISO timestamp: {raw!r}") from None
    if parsed.tzinfo is None:
        raise PayloadError(f"{path}: timestamp without a time zone: {raw!r}")
    return parsed


def dig(root: Mapping[str, object], dotted: str) -> object:
    """``a.b.c`` into nested objects; None when any step is missing."""
    node: object = root
    for part in dotted.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node
