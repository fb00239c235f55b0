"""Azure: Event Grid ``Microsoft.Storage.BlobCreated`` and Cost Management's ``manifest.json``.

Events arrive in the Event Grid schema (an array when delivered to a webhook, one event per
invocation in a Functions Event Grid trigger) or in the CloudEvents 1.0 schema: both carry the
blob as ``subject`` = ``/blobServices/default/containers/<container>/blobs/<path>`` and
``data.url``. The container and blob name come from ``subject`` (not URL-encoded); the account
endpoint comes from ``data.url``, which keeps Azurite's path-style URLs working.

On accounts with a hierarchical namespace (ADLS Gen2) a file fires ``CreateFile`` while still
empty and ``FlushWithClose`` once written: only the latter is a finished manifest.

Cost Management writes each run's parts and then a ``manifest.json`` into the run's folder
(``<root>/<export>/YYYYMMDD-YYYYMMDD/[<timestamp>/]<runId>/``) listing ``blobs[].blobName``
relative to the container, with ``dataRowCount`` totals and the export ``type``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlparse

from costwarden.errors import PayloadError
from costwarden.models.export import ExportArrived, ExportObject, SourceKind
from costwarden.normalize.export.fields import (
    count,
    mapping,
    optional_text,
    period_of,
    text,
)

BLOB_CREATED = "Microsoft.Storage.BlobCreated"
_VALIDATION = "Microsoft.EventGrid.SubscriptionValidationEvent"
_SUBJECT = re.compile(r"^/blobServices/default/containers/(?P<container>[^/]+)/blobs/(?P<blob>.+)$")
_DATE_RANGE = re.compile(r"(?:^|/)(?P<start>\d{8})-\d{8}(?:/|$)")

#: Cost Management export types that hold cost rows, by the source format they are in.
COST_EXPORT_TYPES: dict[str, SourceKind] = {
    "actualcost": "azure-cost",
    "amortizedcost": "azure-cost",
    "usage": "azure-cost",  # the older name of actual cost details
    "focuscost": "azure-focus",
}


class NotCostData(Exception):
    """A well-formed export manifest of a kind that holds no cost rows (price sheet, ...)."""


def is_event_grid_event(payload: object) -> bool:
    events = payload if isinstance(payload, list) else [payload]
    first = events[0] if events else None
    if not isinstance(first, Mapping):
        return False
    kind = first.get("eventType") or first.get("type")
    return isinstance(kind, str) and kind.startswith(("Microsoft.Storage.", "Microsoft.EventGrid."))


def objects_from_event_grid(payload: object) -> list[ExportObject]:
    """Every blob an Event Grid delivery (array or single event, either schema) names."""
    events = payload if isinstance(payload, list) else [payload]
    if not events:
        raise PayloadError("Event Grid delivery holds no events")
    found: list[ExportObject] = []
    for i, raw in enumerate(events):
        event = mapping(raw, f"Event Grid event {i}")
        kind = event.get("eventType") or event.get("type")
        if kind == _VALIDATION:
            continue  # the Functions trigger answers the handshake itself; nothing to ingest
        found.append(_object(event, i, kind))
    return found


def _object(event: Mapping[str, Any], index: int, kind: object) -> ExportObject:
    what = f"Event Grid event {index}"
    if not isinstance(kind, str):
        raise PayloadError(f"{what} has no 'eventType' (Event Grid) or 'type' (CloudEvents)")
    subject = text(event, "subject", what)
    match = _SUBJECT.match(subject)
    if match is None:
        raise PayloadError(f"{what} subject {subject!r} does not name a blob")
    container, blob = match["container"], match["blob"]
    data = mapping(event.get("data"), f"{what} 'data'")
    common: dict[str, Any] = {
        "provider": "azure",
        "store_url": f"{_account_url(text(data, 'url', f'{what} data'), container, blob, what)}/"
        f"{container}",
        "bucket": container,
        "key": blob,
        "event_id": optional_text(event, "id") or optional_text(data, "sequencer") or subject,
    }
    if kind != BLOB_CREATED:
        return ExportObject(**common, ignored_reason=f"{kind} is not a blob creation")
    if data.get("api") == "CreateFile":
        return ExportObject(
            **common, ignored_reason="CreateFile: the file is still empty; FlushWithClose follows"
        )
    if blob.rsplit("/", 1)[-1].lower() != "manifest.json":
        return ExportObject(**common, ignored_reason="not a Cost Management export manifest.json")
    start = _DATE_RANGE.search(blob)
    period = period_of(start["start"], f"export path {blob!r}") if start else None
    return ExportObject(**common, manifest_format="azure-cost-export", billing_period=period)


def _account_url(url: str, container: str, blob: str, what: str) -> str:
    """The account endpoint: ``data.url`` without ``/<container>/<blob>``.

    ``https://acct.blob.core.windows.net/c/b`` -> ``https://acct.blob.core.windows.net``;
    Azurite's ``http://127.0.0.1:10000/devstoreaccount1/c/b`` keeps its account segment.
    """
    parsed = urlparse(url)
    path = unquote(parsed.path)
    suffix = f"/{container}/{blob}"
    if not parsed.scheme or not parsed.netloc or not path.endswith(suffix):
        raise PayloadError(f"{what} data.url {url!r} does not name the blob in its subject")
    # ADLS Gen2 events name the dfs endpoint; the blob endpoint serves the same data.
    host = parsed.netloc.replace(".dfs.core.windows.net", ".blob.core.windows.net")
    return f"{parsed.scheme}://{host}{path[: -len(suffix)]}"


def read_cost_export_manifest(obj: ExportObject, document: Mapping[str, Any]) -> ExportArrived:
    what = f"export manifest {obj.url}"
    config = mapping(document.get("exportConfig"), f"{what} 'exportConfig'")
    export_type = text(config, "type", f"{what} exportConfig")
    source = COST_EXPORT_TYPES.get(export_type.lower())
    if source is None:
        raise NotCostData(f"export type {export_type!r} holds no cost rows")
    run = mapping(document.get("runInfo"), f"{what} 'runInfo'")
    period = obj.billing_period
    start = optional_text(run, "startDate")
    if start is not None:
        period = period_of(start, f"{what} runInfo.startDate")
    if period is None:
        raise PayloadError(f"{what} has no runInfo.startDate and its path no YYYYMMDD-YYYYMMDD")
    blobs = document.get("blobs")
    if not isinstance(blobs, list):
        raise PayloadError(f"{what} has no 'blobs' list")
    names = [text(mapping(b, f"{what} blobs[{i}]"), "blobName", what) for i, b in enumerate(blobs)]
    rows = document.get("dataRowCount")
    export_name = text(config, "exportName", f"{what} exportConfig")
    return ExportArrived(
        provider="azure",
        store_url=obj.store_url,
        bucket=obj.bucket,
        manifest_key=obj.key,
        export_name=export_name,
        export_root=_export_root(obj.key, export_name),
        billing_period=period,
        source=source,
        execution_id=text(run, "runId", f"{what} runInfo"),
        data_files=tuple(name.lstrip("/") for name in names),
        expected_rows=None if rows is None else count(rows, f"{what} dataRowCount"),
    )


def _export_root(key: str, export_name: str) -> str:
    """The folder every run of this export writes under: the path before the date range."""
    match = _DATE_RANGE.search(key)
    if match is not None:
        return key[: match.start()].strip("/") or export_name
    return export_name
