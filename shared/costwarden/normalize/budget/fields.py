"""Typed access to decoded JSON, raising ``PayloadError`` that names the field.

Payloads arrive as ``object`` (whatever ``json.loads`` returned). Every lookup goes through
these helpers so a missing key or a wrong type becomes a one-line message such as
``AlertData.BudgetName is missing`` instead of a ``KeyError`` traceback.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from costwarden.errors import PayloadError
from costwarden.models.budget import BudgetAlert

JsonObject = Mapping[str, Any]


def as_object(value: object, where: str) -> JsonObject:
    """``value`` as a JSON object, or ``PayloadError`` saying what it was instead."""
    if not isinstance(value, Mapping):
        raise PayloadError(f"{where} must be a JSON object, got {type_name(value)}")
    return value


def child(obj: JsonObject, key: str, where: str) -> JsonObject:
    """The nested object ``obj[key]``; missing or not an object is a ``PayloadError``."""
    if key not in obj or obj[key] is None:
        raise PayloadError(f"{where}.{key} is missing")
    return as_object(obj[key], f"{where}.{key}")


def opt_str(obj: JsonObject, key: str, where: str) -> str | None:
    """``obj[key]`` stripped, or None when absent, null or blank; non-strings are an error."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise PayloadError(f"{where}.{key} must be a string, got {type_name(value)}")
    value = value.strip()
    return value or None


def req_str(obj: JsonObject, key: str, where: str) -> str:
    """``obj[key]`` as a non-blank string, or ``PayloadError`` naming the field."""
    value = opt_str(obj, key, where)
    if value is None:
        raise PayloadError(f"{where}.{key} is missing")
    return value


_JSON_TYPE_NAMES: tuple[tuple[type, str], ...] = (
    (bool, "a boolean"),  # before int: bool is an int subclass
    (int, "a number"),
    (float, "a number"),
    (str, "a string"),
    (list, "an array"),
    (Mapping, "an object"),
)


def type_name(value: object) -> str:
    """JSON's name for a decoded value's type, for error messages."""
    if value is None:
        return "null"
    for kind, name in _JSON_TYPE_NAMES:
        if isinstance(value, kind):
            return name
    return type(value).__name__


def build_alert(where: str, **fields: Any) -> BudgetAlert:
    """``BudgetAlert(**fields)``, turning a model validation failure into a ``PayloadError``.

    The normalizers check fields before this point; this is the last net, so that e.g. a
    currency code the model rejects still surfaces as a named payload problem.
    """
    try:
        return BudgetAlert(**fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "alert"
        raise PayloadError(f"{where}: {field}: {first['msg']}") from None
