"""Field types of the policy schema: text, Slack ids, team names and globs.

Each type validates one value and explains a failure in words a policy author can act on
(``'@alice' is a name; Slack mentions need a member id``) rather than a regular expression.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Strict
from pydantic_core import PydanticCustomError

from costwarden.policy.yaml_source import source_text

_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{8,}")
# Slack: channel names are lowercase letters, digits, hyphens and underscores, <= 80 chars.
# Periods are accepted because channels created before that rule may still contain them.
_CHANNEL_NAME = re.compile(r"#[a-z0-9][a-z0-9._-]{0,79}")
_USER_ID = re.compile(r"[UW][A-Z0-9]{8,}")
_GROUP_ID = re.compile(r"S[A-Z0-9]{8,}")
# Lowercase and <= 63 chars so a team name is also a valid GCP label value and Azure/AWS tag
# value, which later policy sections (tag rules) will rely on.
_TEAM_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")

SPECIAL_MENTIONS = ("here", "channel")


def fail(code: str, message: str) -> PydanticCustomError:
    """A validation error whose message is shown verbatim.

    The message goes through the context, not the template, so braces in user data cannot
    break pydantic's formatting.
    """
    return PydanticCustomError(code, "{message}", {"message": message})


def describe_value(value: object) -> str:
    """How a YAML author would name a value's type, for error messages."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {source_text(value) or value}"
    if isinstance(value, date):
        return f"the date {value.isoformat()}"
    kinds = {dict: "a mapping", list: "a list", tuple: "a list"}
    return next((kind for t, kind in kinds.items() if isinstance(value, t)), type(value).__name__)


def _as_text(value: object) -> object:
    """Take a YAML number's source text; explain the YAML 1.1 traps for everything else."""
    text = source_text(value)
    if text is not None:
        return text
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        raise fail(
            "text_type",
            f"expected text, got {describe_value(value)} (YAML reads unquoted yes/no/on/off/"
            "true/false as booleans): quote the value",
        )
    if value is None or isinstance(value, dict | list | tuple):
        raise fail("text_type", f"expected text, got {describe_value(value)}")
    raise fail("text_type", f"expected text, got {describe_value(value)}: quote the value")


def _not_blank(value: str) -> str:
    if not value.strip():
        raise fail("blank", "must not be empty")
    return value


Text = Annotated[str, BeforeValidator(_as_text), Strict(), AfterValidator(_not_blank)]
"""Non-empty text. A YAML number written here is taken as typed (``012345678901`` stays so)."""


def _channel(value: str) -> str:
    if _CHANNEL_ID.fullmatch(value) or _CHANNEL_NAME.fullmatch(value):
        return value
    if _CHANNEL_ID.fullmatch(value.upper()):
        raise fail("channel", f"Slack ids are uppercase: write {value.upper()!r}")
    if value.startswith("#") and _CHANNEL_NAME.fullmatch(value.lower()):
        raise fail("channel", f"Slack channel names are lowercase: write {value.lower()!r}")
    if _CHANNEL_NAME.fullmatch("#" + value):
        raise fail(
            "channel",
            f"{value!r} is neither a channel id (C…/G…) nor a #name: write '#{value}' "
            "(quoted: YAML reads an unquoted # as a comment) or, better, the channel id",
        )
    raise fail(
        "channel",
        f"{value!r} is not a Slack channel: use the channel id (C… or G…, from the channel's "
        "details) or '#name' (quoted)",
    )


Channel = Annotated[Text, AfterValidator(_channel)]
"""A Slack channel: an id (``C0123456789``, preferred: it survives renames) or ``#name``."""


def _mention(value: str) -> str:
    if value in SPECIAL_MENTIONS or _USER_ID.fullmatch(value) or _GROUP_ID.fullmatch(value):
        return value
    bare = value.lstrip("@!")
    if bare.lower() in SPECIAL_MENTIONS:
        raise fail("mention", f"write {bare.lower()!r}, without {value[0]!r}")
    if bare.lower() == "everyone":
        raise fail("mention", "'everyone' is not supported: use 'channel' or 'here'")
    if _USER_ID.fullmatch(bare) or _GROUP_ID.fullmatch(bare):
        raise fail("mention", f"write the bare id {bare!r}, without {value[0]!r}")
    if _USER_ID.fullmatch(bare.upper()) or _GROUP_ID.fullmatch(bare.upper()):
        raise fail("mention", f"Slack ids are uppercase: write {bare.upper()!r}")
    raise fail(
        "mention",
        f"{value!r} is not a Slack id: mentions need a member id (U…/W…, from the profile's "
        "⋮ menu → Copy member ID), a user-group id (S…) or 'here'/'channel'",
    )


Mention = Annotated[Text, AfterValidator(_mention)]
"""Who to notify: a member id (``U…``/``W…``), a user-group id (``S…``), ``here`` or ``channel``."""


def _team_name(value: str) -> str:
    if _TEAM_NAME.fullmatch(value):
        return value
    raise fail(
        "team_name",
        f"invalid team name {value!r}: use lowercase letters, digits, '-' and '_' "
        "(at most 63, starting with a letter or digit)",
    )


TeamName = Annotated[Text, AfterValidator(_team_name)]


def unclosed_bracket(pattern: str) -> int | None:
    """Index of a ``[`` that fnmatch would silently treat as a literal, else None.

    Mirrors fnmatch's own parsing: ``[!`` negates and a ``]`` right after the opening bracket
    is a member, not the end.
    """
    i = 0
    while i < len(pattern):
        if pattern[i] == "[":
            j = i + 1
            if j < len(pattern) and pattern[j] == "!":
                j += 1
            if j < len(pattern) and pattern[j] == "]":
                j += 1
            end = pattern.find("]", j)
            if end < 0:
                return i
            i = end
        i += 1
    return None


def _glob(value: str) -> str:
    at = unclosed_bracket(value)
    if at is not None:
        raise fail(
            "glob",
            f"pattern {value!r} has an unclosed '[' at position {at + 1}: close it, or write "
            "'[[]' to match a literal '['",
        )
    return value


Glob = Annotated[Text, AfterValidator(_glob)]
"""An fnmatch pattern (``*``, ``?``, ``[abc]``), matched case-insensitively."""
