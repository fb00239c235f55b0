"""Each cloud's rules for tags, and the documented mapping of logical keys to Google labels.

AWS: <= 50 user tags, keys <= 128 and values <= 256 characters, case-sensitive, ``aws:``
reserved. Azure: <= 50 tags, names <= 512 and values <= 256 characters, names cannot contain
``< > % & \\ ? /``. Google Compute labels: <= 64, keys and values <= 63 characters of lowercase
``[a-z0-9_-]``, keys start with a letter (REFERENCE §5).

Google mapping (docs/tagging.md): a logical key is lowercased and every other character becomes
``-`` (``CostCenter`` -> ``costcenter``, ``costwarden:schedule`` -> ``costwarden-schedule``); a
value is lowercased and every other character becomes ``_`` (``alice@example.com`` ->
``alice_example_com``). Both are truncated to 63 characters. A policy whose keys or allowed
values collide under this mapping is refused at validation time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# The stdlib's own regex parser (``sre_parse`` before Python 3.11).
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

from costwarden.models.budget import Provider
from costwarden.schedule.tags import gcp_label


@dataclass(frozen=True, slots=True)
class CloudLimits:
    max_tags: int
    max_key: int
    max_value: int


CLOUD_LIMITS: dict[Provider, CloudLimits] = {
    "aws": CloudLimits(max_tags=50, max_key=128, max_value=256),
    "azure": CloudLimits(max_tags=50, max_key=512, max_value=256),
    "gcp": CloudLimits(max_tags=64, max_key=63, max_value=63),
}
AZURE_FORBIDDEN = frozenset("<>%&\\?/")
_LABEL_VALUE_OTHER = re.compile(r"[^a-z0-9_-]")
_LABEL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_-")


def label_key(key: str) -> str:
    """A logical key as a Google label key: the scheduler's spelling (``schedule.tags``), so
    a key both features read (the violation mark, costwarden:last-action) is one label."""
    return gcp_label(key)


def label_value(value: str) -> str:
    """A logical value as a Google label value."""
    return _LABEL_VALUE_OTHER.sub("_", value.lower())[:63]


def cloud_key(cloud: Provider, key: str) -> str:
    """How a logical key is spelled on ``cloud``."""
    return label_key(key) if cloud == "gcp" else key


def cloud_value(cloud: Provider, value: str) -> str:
    """How a logical value is written on ``cloud``."""
    return label_value(value) if cloud == "gcp" else value


def key_problem(cloud: Provider, key: str) -> str | None:
    """Why ``key`` cannot be a tag key on ``cloud``, or None."""
    limit = CLOUD_LIMITS[cloud].max_key
    problem: str | None = None
    if cloud == "aws" and key.lower().startswith("aws:"):
        problem = "the aws: prefix is reserved for AWS"
    elif cloud == "azure" and (bad := sorted(set(key) & AZURE_FORBIDDEN)):
        problem = f"Azure tag names cannot contain {' '.join(bad)}"
    elif len(key) > limit:
        problem = f"longer than {limit} characters"
    elif cloud == "gcp" and not label_key(key)[:1].isalpha():
        problem = f"becomes label {label_key(key)!r}, and label keys must start with a letter"
    return problem


def value_problem(cloud: Provider, value: str) -> str | None:
    """Why ``value`` cannot be a tag value on ``cloud``, or None."""
    limit = CLOUD_LIMITS[cloud].max_value
    if len(value) > limit:
        return f"longer than {limit} characters"
    return None


def pattern_problem(cloud: Provider, pattern: str) -> str | None:
    """Why no value matching ``pattern`` could ever be a Google label value, or None.

    Sound, not complete: it finds a character or a character class the pattern *requires*
    (outside any optional part or alternation) that no label character matches, e.g. an
    ``@``, or an uppercase letter or ``[A-Z]`` without ``(?i)``. On AWS and Azure every
    pattern is fine.
    """
    if cloud != "gcp":
        return None
    parsed = sre_parse.parse(pattern)
    ignore_case = bool(parsed.state.flags & re.IGNORECASE)
    for required, ignore in _required(parsed, ignore_case):
        if not any(_matches(required, c, ignore) for c in _LABEL_CHARS):
            kind, arg = required
            shown = repr(arg) if kind == "LITERAL" else "a character from a class"
            upper = any(_matches(required, c.upper(), False) for c in _LABEL_CHARS if c.isalpha())
            hint = "; add (?i) or write it in lowercase" if upper else ""
            return f"requires {shown}, which Google label values cannot contain{hint}"
    return None


#: a required element: ("LITERAL", char) or ("IN", the parsed class items)
_Required = tuple[str, Any]


def _required(items: Any, ignore_case: bool) -> list[tuple[_Required, bool]]:
    """Characters and classes every match must contain, each with its case-insensitivity."""
    out: list[tuple[_Required, bool]] = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            out.append((("LITERAL", chr(arg)), ignore_case))
        elif name == "IN":
            out.append((("IN", arg), ignore_case))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") and arg[0] >= 1:
            out += _required(arg[2], ignore_case)
        elif name == "SUBPATTERN":  # (group, add_flags, del_flags, pattern): (?i:...) too
            _, add, remove, sub = arg
            inner = (ignore_case or bool(add & re.IGNORECASE)) and not remove & re.IGNORECASE
            out += _required(sub, inner)
        elif name == "ATOMIC_GROUP":
            out += _required(arg, ignore_case)
    return out


def _matches(required: _Required, char: str, ignore_case: bool) -> bool:
    """Whether ``char`` (or, ignoring case, its other case) matches the required element."""
    candidates = {char, char.upper(), char.lower()} if ignore_case else {char}
    kind, arg = required
    if kind == "LITERAL":
        return arg in candidates
    return any(_in_class(arg, c) for c in candidates)


def _in_class(items: Any, char: str) -> bool:
    negate = False
    hit = False
    code = ord(char)
    for op, arg in items:
        name = str(op)
        if name == "NEGATE":
            negate = True
        elif name == "LITERAL":
            hit = hit or code == arg
        elif name == "RANGE":
            hit = hit or arg[0] <= code <= arg[1]
        elif name == "CATEGORY":
            test = _CATEGORIES.get(str(arg))
            hit = hit or test is None or test(char)
        else:  # anything unforeseen: assume it matches (sound: never refuse wrongly)
            hit = True
    return hit != negate


_CATEGORIES: dict[str, Callable[[str], bool]] = {
    "CATEGORY_DIGIT": str.isdigit,
    "CATEGORY_NOT_DIGIT": lambda c: not c.isdigit(),
    "CATEGORY_WORD": lambda c: c.isalnum() or c == "_",
    "CATEGORY_NOT_WORD": lambda c: not (c.isalnum() or c == "_"),
    "CATEGORY_SPACE": str.isspace,
    "CATEGORY_NOT_SPACE": lambda c: not c.isspace(),
}
