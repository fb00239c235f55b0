"""``ObjectStore`` on a Cloud Storage bucket (google-cloud-storage).

The object's generation is the version. Conditional writes use generation preconditions:
``if_generation_match=0`` creates only if absent, ``if_generation_match=<generation>`` replaces
only that generation; a failed one answers 412 (``PreconditionFailed``). Reads fetch the
metadata first and then download *that* generation, so the bytes and the version always match,
even when the object is replaced in between (the download then fails instead of mixing them).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from google.api_core.exceptions import GoogleAPIError, NotFound, PreconditionFailed
from google.auth.exceptions import GoogleAuthError
from google.cloud.storage import Blob, Bucket

from costwarden.ports_storage import ObjectInfo, ObjectNotFoundError, ObjectStoreError

# requests' connection errors derive from OSError; the client raises them once its retries end.
_TRANSPORT_ERRORS = (GoogleAPIError, GoogleAuthError, OSError)


class GcsObjectStore:
    def __init__(self, bucket: Bucket) -> None:
        self._bucket = bucket
        self.location = f"gs://{bucket.name}"

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        try:
            for blob in self._bucket.client.list_blobs(self._bucket, prefix=prefix or None):
                yield _info(blob)
        except _TRANSPORT_ERRORS as exc:
            raise self._error("list", prefix, exc) from exc

    def head(self, key: str) -> ObjectInfo | None:
        try:
            blob = self._bucket.get_blob(key)
        except _TRANSPORT_ERRORS as exc:
            raise self._error("head", key, exc) from exc
        return None if blob is None else _info(blob)

    def read(self, key: str) -> tuple[bytes, ObjectInfo]:
        blob = self._existing(key)
        try:
            return blob.download_as_bytes(if_generation_match=blob.generation), _info(blob)
        except NotFound:
            raise ObjectNotFoundError(f"{self.location}/{key} does not exist") from None
        except _TRANSPORT_ERRORS as exc:
            raise self._error("read", key, exc) from exc

    def download(self, key: str, path: Path) -> ObjectInfo:
        blob = self._existing(key)
        try:
            blob.download_to_filename(str(path), if_generation_match=blob.generation)
        except NotFound:
            raise ObjectNotFoundError(f"{self.location}/{key} does not exist") from None
        except _TRANSPORT_ERRORS as exc:
            raise self._error("download", key, exc) from exc
        return _info(blob)

    def upload(self, path: Path, key: str, *, content_type: str | None = None) -> ObjectInfo:
        blob = self._bucket.blob(key)
        try:
            blob.upload_from_filename(str(path), content_type=content_type)
        except _TRANSPORT_ERRORS as exc:
            raise self._error("upload", key, exc) from exc
        return _info(blob)  # the upload's response filled in generation, size, updated

    def write(
        self,
        key: str,
        data: bytes,
        *,
        if_version: str | None = None,
        if_absent: bool = False,
        content_type: str | None = None,
    ) -> ObjectInfo | None:
        blob = self._bucket.blob(key)
        precondition: dict[str, Any] = {}
        if if_absent:
            precondition["if_generation_match"] = 0
        elif if_version is not None:
            precondition["if_generation_match"] = _generation(if_version)
        try:
            # With a generation precondition the client retries safely: a retry of a write that
            # landed fails its precondition instead of writing twice.
            blob.upload_from_string(data, content_type=content_type, **precondition)
        except (PreconditionFailed, NotFound):
            if precondition:
                return None
            raise
        except _TRANSPORT_ERRORS as exc:
            raise self._error("write", key, exc) from exc
        return _info(blob)

    def delete(self, key: str) -> None:
        try:
            self._bucket.blob(key).delete()
        except NotFound:
            return
        except _TRANSPORT_ERRORS as exc:
            raise self._error("delete", key, exc) from exc

    def _existing(self, key: str) -> Blob:
        try:
            blob = self._bucket.get_blob(key)
        except _TRANSPORT_ERRORS as exc:
            raise self._error("head", key, exc) from exc
        if blob is None:
            raise ObjectNotFoundError(f"{self.location}/{key} does not exist")
        return blob

    def _error(self, operation: str, key: str, exc: Exception) -> ObjectStoreError:
        return ObjectStoreError(f"GCS {operation} of {self.location}/{key} failed: {exc}")


def _info(blob: Blob) -> ObjectInfo:
    updated: datetime | None = blob.updated
    return ObjectInfo(
        key=str(blob.name),
        size=int(blob.size or 0),
        version=str(blob.generation),
        updated=datetime.now(UTC) if updated is None else updated.astimezone(UTC),
    )


def _generation(version: str) -> int:
    try:
        return int(version)
    except ValueError:
        raise ObjectStoreError(f"not a GCS object generation: {version!r}") from None
