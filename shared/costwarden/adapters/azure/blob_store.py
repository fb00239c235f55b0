"""``ObjectStore`` on an Azure Blob Storage container (azure-storage-blob).

Conditional writes are the Blob service's own: ``overwrite=False`` sends ``If-None-Match: *``
(create-if-absent, ``ResourceExistsError`` when taken) and ``etag`` with
``MatchConditions.IfNotModified`` sends ``If-Match`` (compare-and-swap, ``ResourceModifiedError``
on a lost race). The ETag is the version. Azurite enforces both, so the tests are real.

Large blobs stream in blocks with a few parallel connections; nothing is held in memory whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import (
    AzureError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.storage.blob import ContainerClient, ContentSettings

from costwarden.ports_storage import ObjectInfo, ObjectNotFoundError, ObjectStoreError

_CONCURRENCY = 4


class AzureBlobObjectStore:
    def __init__(self, container: ContainerClient) -> None:
        self._container = container
        self.location = container.url.rstrip("/")

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        try:
            for blob in self._container.list_blobs(name_starts_with=prefix or None):
                yield _info(blob.name, blob)
        except AzureError as exc:
            raise self._error("list", prefix, exc) from exc

    def head(self, key: str) -> ObjectInfo | None:
        try:
            return _info(key, self._container.get_blob_client(key).get_blob_properties())
        except ResourceNotFoundError:
            return None
        except AzureError as exc:
            raise self._error("head", key, exc) from exc

    def read(self, key: str) -> tuple[bytes, ObjectInfo]:
        try:
            downloader = self._container.get_blob_client(key).download_blob()
            return downloader.readall(), _info(key, downloader.properties)
        except ResourceNotFoundError:
            raise ObjectNotFoundError(f"{self.location}/{key} does not exist") from None
        except AzureError as exc:
            raise self._error("read", key, exc) from exc

    def download(self, key: str, path: Path) -> ObjectInfo:
        try:
            downloader = self._container.get_blob_client(key).download_blob(
                max_concurrency=_CONCURRENCY
            )
            with path.open("wb") as handle:
                downloader.readinto(handle)
            return _info(key, downloader.properties)
        except ResourceNotFoundError:
            raise ObjectNotFoundError(f"{self.location}/{key} does not exist") from None
        except AzureError as exc:
            raise self._error("download", key, exc) from exc

    def upload(self, path: Path, key: str, *, content_type: str | None = None) -> ObjectInfo:
        try:
            with path.open("rb") as handle:
                self._container.get_blob_client(key).upload_blob(
                    handle,
                    overwrite=True,
                    max_concurrency=_CONCURRENCY,
                    content_settings=_content(content_type),
                )
        except AzureError as exc:
            raise self._error("upload", key, exc) from exc
        info = self.head(key)
        if info is None:
            raise ObjectStoreError(f"{self.location}/{key} vanished right after its upload")
        return info

    def write(
        self,
        key: str,
        data: bytes,
        *,
        if_version: str | None = None,
        if_absent: bool = False,
        content_type: str | None = None,
    ) -> ObjectInfo | None:
        conditions: dict[str, Any] = {"overwrite": not if_absent}
        if if_version is not None:
            conditions.update(etag=if_version, match_condition=MatchConditions.IfNotModified)
        try:
            result = self._container.get_blob_client(key).upload_blob(
                data, content_settings=_content(content_type), **conditions
            )
        except (ResourceExistsError, ResourceModifiedError):
            return None
        except ResourceNotFoundError:
            if if_version is not None:  # If-Match on a blob someone deleted
                return None
            raise
        except AzureError as exc:
            raise self._error("write", key, exc) from exc
        return ObjectInfo(
            key=key,
            size=len(data),
            version=str(result["etag"]),
            updated=_utc(result.get("last_modified")),
        )

    def delete(self, key: str) -> None:
        try:
            self._container.get_blob_client(key).delete_blob()
        except ResourceNotFoundError:
            return
        except AzureError as exc:
            raise self._error("delete", key, exc) from exc

    def _error(self, operation: str, key: str, exc: Exception) -> ObjectStoreError:
        return ObjectStoreError(f"Azure Blob {operation} of {self.location}/{key} failed: {exc}")


def _content(content_type: str | None) -> ContentSettings | None:
    return ContentSettings(content_type=content_type) if content_type else None


def _info(key: str, properties: Any) -> ObjectInfo:
    return ObjectInfo(
        key=key,
        size=int(properties.size or 0),
        version=_quoted(str(properties.etag)),
        updated=_utc(properties.last_modified),
    )


def _quoted(etag: str) -> str:
    """One spelling per version: a listing gives the ETag bare (``0x8D...``), a head, download
    or write quoted (``"0x8D..."``); versions are compared across them."""
    return etag if etag.startswith(('"', 'W/"')) else f'"{etag}"'


def _utc(value: datetime | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
