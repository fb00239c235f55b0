"""Turning free-text state keys into names a store accepts, without collisions.

Shared by the Azure Table and Cloud Storage state stores: characters outside ``safe`` become
``~XX`` per UTF-8 byte (reversible, so two keys never meet), and a name over ``budget``
characters keeps a readable start and ends in ``!`` plus a SHA-256 of the whole key. ``!`` is
never produced by the escaping, so a hashed name cannot equal an escaped one.
"""

from __future__ import annotations

import hashlib
import string

HASH_MARK = "!"
ALPHANUMERIC = string.ascii_letters + string.digits


def escape_key(key: str, *, safe: frozenset[str], budget: int) -> str:
    raw = key.encode("utf-8", "surrogatepass")
    parts: list[str] = []
    for char in key:
        if char in safe:
            parts.append(char)
        else:
            parts.extend(f"~{byte:02X}" for byte in char.encode("utf-8", "surrogatepass"))
    encoded = "".join(parts)
    if len(encoded) <= budget:
        return encoded
    digest = hashlib.sha256(raw).hexdigest()
    return encoded[: budget - len(digest) - 1] + HASH_MARK + digest
