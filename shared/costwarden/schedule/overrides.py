"""The keep-running-until override: a tag value naming the instant a temporary exemption ends.

Two spellings are read, and nothing else:

* extended ISO 8601 with an explicit offset or ``Z``: ``2026-11-30T08:00Z``,
  ``2026-11-30T08:00:00+01:00`` (seconds and fractions optional, ``T`` or a space);
* the basic form ``20261130t0800z`` (optionally with seconds, ``20261130t080000z``, or an offset
  ``20261130t0800-0500``), case-insensitive. Google labels allow only lowercase letters,
  digits, ``_`` and ``-``, so this is the only form a Google label can hold.

A value without an offset is *unreadable*, not read in some zone: the host's zone is never a
fallback (Cloud Custodian's ``mark-for-op`` does exactly that). Unreadable values are reported
(``invalid_override``) and ignored by the scheduler.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

_EXTENDED = re.compile(
    r"(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})[T ](?P<h>\d{2}):(?P<mi>\d{2})"
    r"(?::(?P<s>\d{2})(?:[.,]\d{1,9})?)?"
    r"(?P<z>Z|[+-]\d{2}:\d{2})",
    re.IGNORECASE,
)
_BASIC = re.compile(
    r"(?P<y>\d{4})(?P<mo>\d{2})(?P<d>\d{2})T(?P<h>\d{2})(?P<mi>\d{2})(?P<s>\d{2})?"
    r"(?P<z>Z|[+-]\d{4})",
    re.IGNORECASE,
)
#: Offsets beyond +-18:00 do not exist; a value claiming one is a typo, not a time.
_MAX_OFFSET = timedelta(hours=18)


def parse_until(value: str) -> datetime | None:
    """An override tag value -> the aware UTC instant it names; None when unreadable."""
    text = value.strip()
    found = _EXTENDED.fullmatch(text) or _BASIC.fullmatch(text)
    if found is None:
        return None
    zone = found["z"].upper()
    if zone == "Z":
        offset = timedelta(0)
    else:
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        if int(digits[2:]) > 59 or offset > _MAX_OFFSET:
            return None
        if zone[0] == "-":
            offset = -offset
    try:
        local = datetime(
            int(found["y"]),
            int(found["mo"]),
            int(found["d"]),
            int(found["h"]),
            int(found["mi"]),
            int(found["s"] or 0),
            tzinfo=timezone(offset),
        )
        # Near year 1 or 9999 the UTC instant lies outside datetime's range
        # (9999-12-31T23:59-05:00): OverflowError, which must not crash a whole target's plan.
        return local.astimezone(UTC)
    except (ValueError, OverflowError):  # 2026-02-30, 25:00, out of range ...
        return None


def format_until(at: datetime) -> str:
    """An aware instant -> the basic form (``20261130t0800z``), valid as a tag on every cloud."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("format_until needs an aware datetime")
    utc = at.astimezone(UTC)
    return utc.strftime("%Y%m%dt%H%M%Sz" if utc.second else "%Y%m%dt%H%Mz")
