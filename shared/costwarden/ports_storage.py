"""The ``ObjectStore`` port: a bucket or container, as the export service needs it.

Adapters: ``S3ObjectStore`` (boto3), ``AzureBlobObjectStore`` (azure-storage-blob),
``GcsObjectStore`` (google-cloud-storage) and ``LocalObjectStore`` (a directory), each in its
cloud's adapter package. Keys are ``/``-separated names inside the bucket, never URLs.

Every object has an opaque ``version`` (S3 and Azure ETag, GCS generation, the local file's
identity) that changes on every write. ``write`` compares it (or absence) atomically on the
server, which is what makes the per-period pointer swap safe when two invocations race: the
loser's precondition fails and it re-reads instead of overwriting.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from costwarden.errors import CostwardenError
from costwarden.models.export import ExportObject


class ObjectStoreError(CostwardenError):
    """A store call failed after the SDK's own retries (throttled, denied, unreachable)."""


class ObjectNotFoundError(ObjectStoreError):
    """The object does not exist (or vanished between listing and reading it)."""


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    version: str
    updated: datetime  # timezone-aware, UTC


class ObjectStore(Protocol):
    """One bucket / container. Missing objects raise ``ObjectNotFoundError``."""

    #: the bucket's URL for humans and pointers: s3://b, gs://b, https://acct.../c, file:///dir
    location: str

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        """Every object whose key starts with ``prefix`` (no delimiter: the whole subtree)."""
        ...

    def head(self, key: str) -> ObjectInfo | None: ...

    def read(self, key: str) -> tuple[bytes, ObjectInfo]:
        """A small object's bytes with the version of exactly those bytes."""
        ...

    def download(self, key: str, path: Path) -> ObjectInfo:
        """Stream the object to ``path`` (its parent exists); never loads it into memory."""
        ...

    def upload(self, path: Path, key: str, *, content_type: str | None = None) -> ObjectInfo:
        """Write ``path`` to ``key`` unconditionally (large files go up in parts)."""
        ...

    def write(
        self,
        key: str,
        data: bytes,
        *,
        if_version: str | None = None,
        if_absent: bool = False,
        content_type: str | None = None,
    ) -> ObjectInfo | None:
        """Write small ``data``; with a precondition, None when it failed (a lost race)."""
        ...

    def delete(self, key: str) -> None:
        """Delete ``key``; an object already gone is not an error."""
        ...


#: Opens the store an export arrived in (its bucket / container), with this deployment's
#: credentials. Built by the composition root; the service never constructs an SDK client.
SourceStores = Callable[[ExportObject], ObjectStore]


def join_key(*parts: str) -> str:
    """``a/``, ``/b``, ``c`` -> ``a/b/c``: keys never carry doubled or leading slashes."""
    return "/".join(part.strip("/") for part in parts if part.strip("/"))
