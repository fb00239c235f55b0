"""AWS: S3 ``ObjectCreated:*`` notifications and the two manifest formats AWS writes.

* **Data Exports** (CUR 2.0, FOCUS): ``<prefix>/<export>/metadata/BILLING_PERIOD=YYYY-MM/
  <export>-Manifest.json``, written after every data file of the execution. It lists
  ``dataFiles`` as full ``s3://`` URIs and the ``columns``; the columns tell CUR 2.0 from FOCUS.
* **Legacy Cost and Usage Reports**: ``<prefix>/<report>/YYYYMMDD-YYYYMMDD/<report>-Manifest.json``
  (and a copy inside the ``<assemblyId>/`` folder) listing ``reportKeys`` relative to the bucket.
  Both copies name the same ``assemblyId``, so the second notification is a duplicate.

Keys in S3 notifications are URL-encoded the way HTML forms are (``+`` for a space).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote_plus, urlparse

from costwarden.errors import PayloadError
from costwarden.models.export import ExportArrived, ExportObject, SourceKind
from costwarden.normalize.export.fields import (
    mapping,
    optional_text,
    period_of,
    string_list,
    text,
)

# <root><export>/metadata/BILLING_PERIOD=YYYY-MM/[<execution folder>/]<name>-Manifest.json
_DATA_EXPORTS = re.compile(
    r"^(?P<root>(?:.*/)?)(?P<export>[^/]+)/metadata/BILLING_PERIOD=(?P<period>\d{4}-\d{2})/"
    r"(?:[^/]+/)?[^/]+-Manifest\.json$"
)
# <root><report>/YYYYMMDD-YYYYMMDD/[<assemblyId>/]<report>-Manifest.json
_LEGACY_CUR = re.compile(
    r"^(?P<root>(?:.*/)?)(?P<report>[^/]+)/(?P<start>\d{8})-(?P<end>\d{8})/"
    r"(?:[^/]+/)?(?P=report)-Manifest\.json$"
)
_NOT_A_MANIFEST = "not a Data Exports or CUR manifest (a data file or another object)"


def is_s3_event(payload: object) -> bool:
    if not isinstance(payload, Mapping):
        return False
    records = payload.get("Records")
    if isinstance(records, list):
        if not records:
            return True  # an empty notification: report it as a malformed S3 event
        first = records[0]
        return isinstance(first, Mapping) and (
            first.get("eventSource") == "aws:s3" or "s3" in first
        )
    return payload.get("Event") == "s3:TestEvent"


def objects_from_s3_event(payload: object) -> list[ExportObject]:
    """Every object an S3 notification names; ``s3:TestEvent`` (sent on setup) names none."""
    event = mapping(payload, "S3 event")
    if event.get("Event") == "s3:TestEvent":
        return []
    records = event.get("Records")
    if not isinstance(records, list) or not records:
        raise PayloadError("S3 event has no 'Records' list")
    return [_object(mapping(r, f"S3 event record {i}"), i) for i, r in enumerate(records)]


def _object(record: Mapping[str, Any], index: int) -> ExportObject:
    what = f"S3 event record {index}"
    s3 = mapping(record.get("s3"), f"{what} 's3'")
    bucket = text(mapping(s3.get("bucket"), f"{what} 's3.bucket'"), "name", f"{what} s3.bucket")
    obj = mapping(s3.get("object"), f"{what} 's3.object'")
    key = unquote_plus(text(obj, "key", f"{what} s3.object"))
    event_name = text(record, "eventName", what)
    # The sequencer orders events of one key; with the request id it names this delivery.
    request = mapping(record.get("responseElements") or {}, f"{what} responseElements")
    event_id = (
        optional_text(obj, "sequencer")
        or optional_text(request, "x-amz-request-id")
        or f"{bucket}/{key}"
    )
    common: dict[str, Any] = {
        "provider": "aws",
        "store_url": f"s3://{bucket}",
        "bucket": bucket,
        "key": key,
        "event_id": event_id,
    }
    if not event_name.startswith("ObjectCreated:"):
        return ExportObject(**common, ignored_reason=f"{event_name} is not an object creation")
    return classify(common)


def classify(common: dict[str, Any]) -> ExportObject:
    key: str = common["key"]
    if match := _DATA_EXPORTS.match(key):
        return ExportObject(
            **common, manifest_format="aws-data-exports", billing_period=match["period"]
        )
    if match := _LEGACY_CUR.match(key):
        period = period_of(match["start"], f"CUR manifest path {key!r}")
        return ExportObject(**common, manifest_format="aws-cur-legacy", billing_period=period)
    return ExportObject(**common, ignored_reason=_NOT_A_MANIFEST)


def read_data_exports_manifest(obj: ExportObject, document: Mapping[str, Any]) -> ExportArrived:
    what = f"Data Exports manifest {obj.url}"
    match = _DATA_EXPORTS.match(obj.key)
    if match is None or obj.billing_period is None:  # classify() only sends matching keys
        raise PayloadError(f"{obj.url} is not a Data Exports manifest path")
    files = [
        _key_in_bucket(uri, obj.bucket, what) for uri in string_list(document, "dataFiles", what)
    ]
    return ExportArrived(
        provider="aws",
        store_url=obj.store_url,
        bucket=obj.bucket,
        manifest_key=obj.key,
        export_name=match["export"],
        export_root=f"{match['root']}{match['export']}",
        billing_period=obj.billing_period,
        source=_data_exports_source(document, what),
        execution_id=text(document, "executionId", what),
        data_files=tuple(files),
    )


def read_legacy_cur_manifest(obj: ExportObject, document: Mapping[str, Any]) -> ExportArrived:
    what = f"CUR manifest {obj.url}"
    match = _LEGACY_CUR.match(obj.key)
    if match is None or obj.billing_period is None:
        raise PayloadError(f"{obj.url} is not a CUR manifest path")
    named_bucket = optional_text(document, "bucket")
    if named_bucket is not None and named_bucket != obj.bucket:
        raise PayloadError(f"{what} describes bucket {named_bucket!r}, not {obj.bucket!r}")
    period = obj.billing_period
    billing = document.get("billingPeriod")
    if isinstance(billing, Mapping) and isinstance(billing.get("start"), str):
        period = period_of(billing["start"], f"{what} billingPeriod.start")
    keys = string_list(document, "reportKeys", what)
    return ExportArrived(
        provider="aws",
        store_url=obj.store_url,
        bucket=obj.bucket,
        manifest_key=obj.key,
        export_name=optional_text(document, "reportName") or match["report"],
        export_root=f"{match['root']}{match['report']}",
        billing_period=period,
        source="aws-cur-legacy",
        execution_id=text(document, "assemblyId", what),
        data_files=tuple(keys),
    )


def _data_exports_source(document: Mapping[str, Any], what: str) -> SourceKind:
    """CUR 2.0 or FOCUS, from the column names the manifest declares."""
    columns = document.get("columns")
    names: set[str] = set()
    if isinstance(columns, list):
        names = {
            c["name"].lower()
            for c in columns
            if isinstance(c, Mapping) and isinstance(c.get("name"), str)
        }
    if "billedcost" in names:
        return "aws-focus"
    if any(name.startswith(("line_item_", "bill_")) for name in names):
        return "aws-cur2"
    raise PayloadError(
        f"{what}: cannot tell CUR 2.0 from FOCUS by its 'columns' "
        "(expected line_item_*/bill_* or BilledCost)"
    )


def _key_in_bucket(uri: str, bucket: str, what: str) -> str:
    parsed = urlparse(uri)
    if parsed.scheme != "s3" or not parsed.netloc or not parsed.path.strip("/"):
        raise PayloadError(f"{what} lists {uri!r}, not an s3://bucket/key URI")
    if parsed.netloc != bucket:
        # We read only the bucket that notified us: the function's role is scoped to it.
        raise PayloadError(f"{what} lists {uri!r} in another bucket than {bucket!r}")
    return parsed.path.lstrip("/")
