"""Tag keys across clouds: the policy writes logical keys, each cloud stores its own spelling.

AWS tags and Azure tags keep a key as written. Google labels allow only lowercase letters,
digits, ``_`` and ``-`` (at most 63 characters), so ``costwarden:schedule`` is stored as the
label ``costwarden-schedule``. Every reader and writer of costwarden's tags goes through
``cloud_tag_key`` so the two spellings never drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from costwarden.models.budget import Provider

#: Google label keys and values: lowercase letters, digits, '_' and '-', 63 characters at most.
GCP_LABEL_MAX = 63
_NOT_LABEL = re.compile(r"[^a-z0-9_-]")


def gcp_label(text: str) -> str:
    """``text`` as a Google label key or value: lowercase, other characters -> '-', <= 63."""
    return _NOT_LABEL.sub("-", text.lower())[:GCP_LABEL_MAX]


def cloud_tag_key(cloud: Provider, key: str) -> str:
    """The key under which ``cloud`` stores the logical tag ``key``."""
    return gcp_label(key) if cloud == "gcp" else key


def find_tag(tags: Mapping[str, str], cloud: Provider, key: str) -> str | None:
    """The value of logical tag ``key``: the exact key, then (Google) the label spelling, then
    any key equal ignoring case (Azure tag names are case-insensitive; people type ``env`` and
    ``Env`` on AWS). None when absent."""
    value = tags.get(key)
    if value is not None:
        return value
    if cloud == "gcp":
        value = tags.get(gcp_label(key))
        if value is not None:
            return value
    folded = key.casefold()
    for name, found in tags.items():
        if name.casefold() == folded:
            return found
    return None
