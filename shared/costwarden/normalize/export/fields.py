"""Small typed readers shared by the export normalizers: every miss is a ``PayloadError``."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from costwarden.errors import PayloadError

_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def mapping(value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PayloadError(f"{what} is not a JSON object (got {type(value).__name__})")
    return value


def text(container: Mapping[str, Any], name: str, what: str) -> str:
    value = container.get(name)
    if not isinstance(value, str) or not value.strip():
        raise PayloadError(f"{what} has no {name!r} (a non-empty string)")
    return value


def optional_text(container: Mapping[str, Any], name: str) -> str | None:
    value = container.get(name)
    return value if isinstance(value, str) and value.strip() else None


def string_list(container: Mapping[str, Any], name: str, what: str) -> list[str]:
    value = container.get(name)
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise PayloadError(f"{what} has no {name!r} list of strings")
    return list(value)


def count(value: object, what: str) -> int:
    """A non-negative integer that may arrive as a JSON string (BigQuery writes INT64 so)."""
    if isinstance(value, bool):
        raise PayloadError(f"{what} is not a row count: {value!r}")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    else:
        raise PayloadError(f"{what} is not a row count: {value!r}")
    if number < 0:
        raise PayloadError(f"{what} is negative: {number}")
    return number


def json_document(body: bytes, what: str) -> Mapping[str, Any]:
    """A JSON object, tolerating a UTF-8 BOM and a one-record NDJSON file (BigQuery's JSON)."""
    try:
        decoded = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PayloadError(f"{what} is not UTF-8 text: {exc}") from None
    try:
        parsed = json.loads(decoded)
    except json.JSONDecodeError as exc:
        records = _ndjson_records(decoded)
        if records > 1:
            raise PayloadError(f"{what} holds {records} JSON records; expected one") from None
        raise PayloadError(f"{what} is not JSON: {exc.msg} at line {exc.lineno}") from None
    return mapping(parsed, what)


def _ndjson_records(decoded: str) -> int:
    """How many JSON records the text holds if it is NDJSON, else 0."""
    lines = [line for line in decoded.splitlines() if line.strip()]
    try:
        for line in lines:
            json.loads(line)
    except json.JSONDecodeError:
        return 0
    return len(lines)


def period_of(value: str, what: str) -> str:
    """``YYYY-MM`` from ``YYYY-MM``, ``YYYYMM``, ``YYYYMMDD``, an ISO date or datetime, or AWS's
    legacy ``20240101T000000.000Z``."""
    raw = value.strip()
    match = _YEAR_MONTH.match(raw)
    if match:
        return _checked(int(match[1]), int(match[2]), what, raw)
    digits = raw[:8]
    if re.fullmatch(r"\d{6}", raw) or re.fullmatch(r"\d{8}", digits):
        return _checked(int(raw[:4]), int(raw[4:6]), what, raw)
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed_date = date.fromisoformat(raw[:10])
        except ValueError:
            raise PayloadError(f"{what} is not a date: {value!r}") from None
        return f"{parsed_date.year:04d}-{parsed_date.month:02d}"
    return f"{parsed.year:04d}-{parsed.month:02d}"


def _checked(year: int, month: int, what: str, raw: str) -> str:
    if not 1 <= month <= 12 or year < 2000:
        raise PayloadError(f"{what} is not a billing month: {raw!r}")
    return f"{year:04d}-{month:02d}"
