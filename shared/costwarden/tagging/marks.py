"""The violation mark: a tag saying which required keys are missing and when the grace period
ends. Written in each cloud's allowed characters (AWS tag values across services accept only
letters, digits, spaces and ``_ . : / = + - @``; Google labels only ``[a-z0-9_-]``).

The deadline is the only part read back; the key list is for the person looking at the
resource in the console.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from costwarden.models.budget import Provider
from costwarden.tagging.cloud_rules import label_key

_DUE = re.compile(r"due[=-](\d{4})-?(\d{2})-?(\d{2})")


def encode_mark(cloud: Provider, missing: Sequence[str], due: date) -> str:
    if cloud == "gcp":
        keys = "_".join(label_key(k).replace("-", "_") for k in missing)
        return f"due-{due:%Y%m%d}_{keys}"[:63].rstrip("_")
    return f"due={due.isoformat()} missing={'+'.join(missing)}"[:256]


def mark_deadline(value: str) -> date | None:
    """The deadline in a mark, or None when the value is not one of ours."""
    found = _DUE.search(value)
    if found is None:
        return None
    try:
        return date(int(found[1]), int(found[2]), int(found[3]))
    except ValueError:
        return None
