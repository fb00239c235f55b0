"""Billing-export arrival on AWS, Azure and Google Cloud -> ``ExportObject`` / ``ExportArrived``.

Entry points (the functions' handlers and the export service depend on these names):

* ``parse_export_event(payload)`` - a decoded trigger exactly as a function receives it (a Lambda
  S3 notification, an Event Grid event / array / CloudEvent, a GCS CloudEvent as attributes plus
  ``data``); the cloud is detected from the shape unless ``provider`` forces it. Returns one
  ``ExportObject`` per object named, each either a manifest or ignored with a reason; setup
  pings (``s3:TestEvent``, Event Grid's validation event) name none.
* ``parse_export_event_text(text)`` - the same from raw bytes or text.
* ``read_manifest(obj, body)`` - the ``ExportArrived`` a manifest's bytes describe. Raises
  ``NotCostData`` for a well-formed export of something other than cost rows (an Azure price
  sheet export sharing the container), which the service reports as ignored.

Malformed input raises ``PayloadError`` naming the field; a well-formed payload of a shape we do
not handle (or not the forced provider's) raises ``UnrecognisedPayloadError``.
"""

from __future__ import annotations

import json

from costwarden.errors import PayloadError, UnrecognisedPayloadError
from costwarden.models.budget import Provider
from costwarden.models.export import ExportArrived, ExportObject
from costwarden.normalize.export import aws, azure, gcp
from costwarden.normalize.export.azure import NotCostData
from costwarden.normalize.export.fields import json_document
from costwarden.normalize.export.gcp import is_data_file

__all__ = [
    "NotCostData",
    "detect_export_provider",
    "is_data_file",
    "parse_export_event",
    "parse_export_event_text",
    "read_manifest",
]


def detect_export_provider(payload: object) -> Provider:
    if aws.is_s3_event(payload):
        return "aws"
    if azure.is_event_grid_event(payload):
        return "azure"
    if gcp.is_storage_cloud_event(payload):
        return "gcp"
    raise UnrecognisedPayloadError(
        "not an S3 notification, an Event Grid storage event or a GCS CloudEvent"
    )


def parse_export_event(payload: object, *, provider: Provider | None = None) -> list[ExportObject]:
    detected = detect_export_provider(payload)
    if provider is not None and detected != provider:
        raise UnrecognisedPayloadError(f"expected a {provider} storage event, got a {detected} one")
    if detected == "aws":
        return aws.objects_from_s3_event(payload)
    if detected == "azure":
        return azure.objects_from_event_grid(payload)
    return gcp.objects_from_cloud_event(payload)


def parse_export_event_text(
    text: str | bytes, *, provider: Provider | None = None
) -> list[ExportObject]:
    try:
        payload = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PayloadError(f"storage event is not JSON: {exc}") from None
    return parse_export_event(payload, provider=provider)


def read_manifest(obj: ExportObject, body: bytes) -> ExportArrived:
    if obj.manifest_format is None:
        raise PayloadError(f"{obj.url} is not a manifest: {obj.ignored_reason}")
    document = json_document(body, f"manifest {obj.url}")
    if obj.manifest_format == "aws-data-exports":
        return aws.read_data_exports_manifest(obj, document)
    if obj.manifest_format == "aws-cur-legacy":
        return aws.read_legacy_cur_manifest(obj, document)
    if obj.manifest_format == "azure-cost-export":
        return azure.read_cost_export_manifest(obj, document)
    return gcp.read_export_marker(obj, document)
