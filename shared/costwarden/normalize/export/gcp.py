"""Google Cloud: GCS ``object.v1.finalized`` CloudEvents and our export's completion marker.

Google exports billing data to BigQuery only. ``docs/billing-exports.md`` documents a scheduled
query script that writes one run of one invoice month as

    <root>/billing_period=YYYY-MM/run=<run id>/part-000000000000.parquet   (EXPORT DATA, N parts)
    <root>/billing_period=YYYY-MM/run=<run id>/manifest-000000000000.json  (a second EXPORT DATA)

The marker is written by a statement that starts only after the data export finished, so its
arrival means every part is in place. ``EXPORT DATA`` cannot name its files, so the parts are
found by listing the run folder; the marker's ``row_count`` is checked after the conversion,
which is what catches a lost part.

The marker is one NDJSON record (``EXPORT DATA ... format='JSON'`` writes INT64 as strings):
``{"billing_period": "2026-05", "run_id": "...", "source": "gcp-billing", "row_count": "1234"}``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from costwarden.errors import PayloadError
from costwarden.models.export import ExportArrived, ExportObject
from costwarden.normalize.export.fields import (
    count,
    mapping,
    optional_text,
    period_of,
    text,
)

FINALIZED = "google.cloud.storage.object.v1.finalized"
_MARKER = re.compile(
    r"^(?P<root>(?:.*/)?)billing_period=(?P<period>\d{4}-\d{2})/run=(?P<run>[^/]+)/"
    r"manifest(?:-\d+)?\.json$"
)
_SOURCE = re.compile(r"^//storage\.googleapis\.com/projects/_/buckets/(?P<bucket>[^/]+)$")


def is_storage_cloud_event(payload: object) -> bool:
    if not isinstance(payload, Mapping):
        return False
    kind = payload.get("type")
    return isinstance(kind, str) and kind.startswith("google.cloud.storage.object.")


def objects_from_cloud_event(payload: object) -> list[ExportObject]:
    """The object a GCS CloudEvent (attributes plus ``data``) names."""
    event = mapping(payload, "GCS CloudEvent")
    kind = text(event, "type", "GCS CloudEvent")
    data = mapping(event.get("data"), "GCS CloudEvent 'data'")
    bucket = optional_text(data, "bucket")
    source = optional_text(event, "source")
    if bucket is None and source is not None and (match := _SOURCE.match(source)):
        bucket = match["bucket"]
    if bucket is None:
        raise PayloadError("GCS CloudEvent names no bucket (data.bucket or source)")
    name = optional_text(data, "name")
    subject = optional_text(event, "subject")
    if name is None and subject is not None and subject.startswith("objects/"):
        name = subject[len("objects/") :]
    if name is None:
        raise PayloadError("GCS CloudEvent names no object (data.name or subject)")
    generation = data.get("generation")
    common: dict[str, Any] = {
        "provider": "gcp",
        "store_url": f"gs://{bucket}",
        "bucket": bucket,
        "key": name,
        "event_id": optional_text(event, "id") or f"{bucket}/{name}#{generation}",
    }
    if kind != FINALIZED:
        return [ExportObject(**common, ignored_reason=f"{kind} is not an object finalize")]
    match = _MARKER.match(name)
    if match is None:
        reason = "not an export completion marker (billing_period=YYYY-MM/run=ID/manifest-*.json)"
        return [ExportObject(**common, ignored_reason=reason)]
    return [
        ExportObject(**common, manifest_format="gcp-export-marker", billing_period=match["period"])
    ]


def read_export_marker(obj: ExportObject, document: Mapping[str, Any]) -> ExportArrived:
    what = f"export marker {obj.url}"
    match = _MARKER.match(obj.key)
    if match is None or obj.billing_period is None:
        raise PayloadError(f"{obj.url} is not an export marker path")
    declared = period_of(text(document, "billing_period", what), f"{what} billing_period")
    if declared != obj.billing_period:
        raise PayloadError(
            f"{what} says billing_period {declared} but sits under billing_period="
            f"{obj.billing_period}"
        )
    source = optional_text(document, "source") or "gcp-billing"
    if source != "gcp-billing":
        raise PayloadError(f"{what} source {source!r} is not 'gcp-billing'")
    if "row_count" not in document:
        raise PayloadError(f"{what} has no 'row_count' (the rows the script exported)")
    root = match["root"].rstrip("/")
    return ExportArrived(
        provider="gcp",
        store_url=obj.store_url,
        bucket=obj.bucket,
        manifest_key=obj.key,
        export_name=root.rsplit("/", 1)[-1] if root else "gcp-billing",
        export_root=root,
        billing_period=declared,
        source="gcp-billing",
        execution_id=optional_text(document, "run_id") or match["run"],
        list_prefix=obj.key[: obj.key.rindex("/") + 1],
        expected_rows=count(document["row_count"], f"{what} row_count"),
    )


def is_data_file(key: str, marker_key: str) -> bool:
    """Which listed objects of a run folder are its data: not the marker, nothing hidden."""
    name = key.rsplit("/", 1)[-1]
    return key != marker_key and not name.startswith(("manifest", "_", "."))
