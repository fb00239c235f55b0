"""Composition root of the export-arrival functions: stores, converter and state from settings.

Like ``bootstrap``, nothing runs at import time and each cloud's SDK is imported only when the
settings (or the event's cloud) ask for it, so the AWS function never loads Azure or Google
libraries. Handlers call ``build_export_arrival_deps`` once per warm container.

* **Output** (``COSTWARDEN_EXPORT_OUTPUT``): the one store FOCUS Parquet is published to.
* **Sources**: the bucket or container each export arrives in, opened per event with this
  deployment's credentials (cached per bucket): the function's role (AWS), its managed identity
  or ``COSTWARDEN_AZURE_BLOB_CONNECTION_STRING`` (Azure), its service account (Google).
* **Converter**: ``costwarden.focus.convert``, imported on first use so an ignored event (a data
  file's notification) never pays DuckDB's import.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from costwarden.bootstrap import build_state_store
from costwarden.errors import ConfigError
from costwarden.models.export import ExportObject, SourceKind
from costwarden.ports import Clock, StateStore, SystemClock
from costwarden.ports_storage import ObjectStore, SourceStores
from costwarden.services.export_arrival import Conversion, ConvertedPeriod, Converter
from costwarden.settings import Settings


@dataclass(frozen=True)
class ExportArrivalDeps:
    """Everything ``process_export_object`` needs besides the object and the invocation id."""

    sources: SourceStores
    output: ObjectStore
    output_prefix: str
    state: StateStore
    convert: Converter
    clock: Clock
    lease: timedelta
    max_input_bytes: int | None
    work_dir: Path | None


def build_export_arrival_deps(settings: Settings) -> ExportArrivalDeps:
    if settings.export_output is None:
        raise ConfigError(
            "export arrival needs COSTWARDEN_EXPORT_OUTPUT: where to publish FOCUS Parquet "
            "(s3://BUCKET/PREFIX, gs://BUCKET/PREFIX, azure-blob://CONTAINER/PREFIX, file:///DIR)"
        )
    output, prefix = build_object_store(settings.export_output, settings)
    mib = settings.export_max_input_mb
    return ExportArrivalDeps(
        sources=CloudSourceStores(settings),
        output=output,
        output_prefix=prefix,
        state=build_state_store(settings),
        convert=FocusConverter(
            memory_limit=settings.export_memory_limit, temp_directory=settings.export_work_dir
        ),
        clock=SystemClock(),
        lease=timedelta(seconds=settings.export_lease_seconds),
        max_input_bytes=None if mib is None else mib * 2**20,
        work_dir=settings.export_work_dir,
    )


def build_object_store(url: str, settings: Settings) -> tuple[ObjectStore, str]:
    """The store and key prefix a ``COSTWARDEN_EXPORT_OUTPUT``-style URL names."""
    parsed = urlparse(url)
    prefix = unquote(parsed.path).strip("/")
    if parsed.scheme == "file":
        from costwarden.adapters.local.file_store import LocalObjectStore

        return LocalObjectStore(unquote(parsed.path)), ""
    if parsed.scheme == "s3":
        return _s3_store(parsed.netloc), prefix
    if parsed.scheme == "gs":
        return _gcs_store(parsed.netloc), prefix
    if parsed.scheme == "azure-blob":
        endpoint = settings.azure_blob_endpoint
        return _azure_store(settings, endpoint, parsed.netloc), prefix
    if parsed.scheme in ("https", "http"):
        # https://acct.blob.core.windows.net/container/prefix (or Azurite's path-style URL,
        # whose first path segment is the account): the container is the next segment.
        segments = prefix.split("/")
        account_path = ""
        if not parsed.netloc.endswith(".core.windows.net") and len(segments) > 1:
            account_path, segments = f"/{segments[0]}", segments[1:]
        container, rest = segments[0], "/".join(segments[1:])
        endpoint = f"{parsed.scheme}://{parsed.netloc}{account_path}"
        return _azure_store(settings, endpoint, container), rest
    raise ConfigError(f"unsupported export output {url!r}")  # settings validated the scheme


class CloudSourceStores:
    """``SourceStores``: the export's own bucket/container, one client per bucket, cached."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._stores: dict[str, ObjectStore] = {}
        self._lock = threading.Lock()

    def __call__(self, obj: ExportObject) -> ObjectStore:
        with self._lock:
            store = self._stores.get(obj.store_url)
            if store is None:
                store = self._open(obj)
                self._stores[obj.store_url] = store
            return store

    def _open(self, obj: ExportObject) -> ObjectStore:
        if obj.provider == "aws":
            return _s3_store(obj.bucket)
        if obj.provider == "gcp":
            return _gcs_store(obj.bucket)
        account_url = obj.store_url[: -len(obj.bucket)].rstrip("/")
        return _azure_store(self._settings, account_url, obj.bucket)


def _s3_store(bucket: str) -> ObjectStore:
    import boto3

    from costwarden.adapters.aws.s3_store import S3ObjectStore

    return S3ObjectStore(boto3.client("s3"), bucket)


def _gcs_store(bucket: str) -> ObjectStore:
    from google.cloud import storage

    from costwarden.adapters.gcp.gcs_store import GcsObjectStore

    return GcsObjectStore(storage.Client().bucket(bucket))


def _azure_store(settings: Settings, account_url: str | None, container: str) -> ObjectStore:
    from azure.storage.blob import BlobServiceClient

    from costwarden.adapters.azure.blob_store import AzureBlobObjectStore

    service: Any
    if settings.azure_blob_connection_string is not None:
        service = BlobServiceClient.from_connection_string(
            settings.azure_blob_connection_string.get_secret_value()
        )
        wanted = _account_name(account_url) if account_url else None
        if wanted is not None and service.account_name != wanted:
            raise ConfigError(
                f"the export is in storage account {wanted!r} but "
                f"COSTWARDEN_AZURE_BLOB_CONNECTION_STRING is for {service.account_name!r}"
            )
    elif account_url:
        from azure.identity import DefaultAzureCredential

        service = BlobServiceClient(account_url, credential=DefaultAzureCredential())
    else:
        raise ConfigError(
            "azure-blob:// needs COSTWARDEN_AZURE_BLOB_ENDPOINT (managed identity) or "
            "COSTWARDEN_AZURE_BLOB_CONNECTION_STRING"
        )
    return AzureBlobObjectStore(service.get_container_client(container))


def _account_name(account_url: str) -> str | None:
    """``https://acct.blob.core.windows.net`` -> acct; Azurite's ``http://h:p/acct`` -> acct."""
    parsed = urlparse(account_url)
    path = parsed.path.strip("/")
    if path:
        return path.split("/", 1)[0]
    host = parsed.hostname or ""
    return host.split(".", 1)[0] if ".core.windows.net" in host else None


class FocusConverter:
    """``Converter`` on ``costwarden.focus.convert`` (DuckDB), imported on first use.

    ``memory_limit`` (``COSTWARDEN_EXPORT_MEMORY_LIMIT``) caps DuckDB below the function's memory
    so a large export spills to ``temp_directory`` instead of being killed.
    """

    def __init__(self, *, memory_limit: str | None, temp_directory: Path | None) -> None:
        self.memory_limit = memory_limit
        self.temp_directory = temp_directory

    def __call__(
        self,
        source: SourceKind,
        inputs: Sequence[Path],
        *,
        output: Path,
        count_source_rows: bool = False,
    ) -> Conversion:
        from costwarden.focus import FocusNoRowsError
        from costwarden.focus.convert import convert

        spill = None
        if self.temp_directory is not None:
            spill = self.temp_directory / "duckdb-spill"
            spill.mkdir(parents=True, exist_ok=True)
        try:
            result = convert(
                source,
                list(inputs),
                output=output,
                memory_limit=self.memory_limit,
                temp_directory=spill,
            )
        except FocusNoRowsError:
            # Header-only files: an export of a scope without charges. The period is empty,
            # as when the export lists no files at all.
            return Conversion(rows=0, periods=(), source_rows=0 if count_source_rows else None)
        periods = tuple(
            ConvertedPeriod(
                provider=p.provider,
                billing_period=p.billing_period,
                rows=p.rows,
                billed_cost=p.billed_cost,
                files=tuple(p.files),
            )
            for p in result.periods
        )
        source_rows = _source_rows(source, inputs) if count_source_rows else None
        return Conversion(rows=result.rows, periods=periods, source_rows=source_rows)


def _source_rows(source: SourceKind, inputs: Sequence[Path]) -> int:
    """Raw rows in the inputs, read the way the converter reads them (BOMs, gzip, NDJSON)."""
    from costwarden.focus.engine import connect
    from costwarden.focus.sources import open_source

    con = connect()
    try:
        open_source(con, source, list(inputs))
        row = con.execute("SELECT count(*) FROM raw").fetchone()
    finally:
        con.close()
    return int(row[0]) if row else 0
