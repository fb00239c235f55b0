"""Resource-creation events from the three clouds -> ``ResourceChange``.

``parse_resource_change(payload)`` detects the cloud from the shape: a CloudTrail event via
EventBridge (``detail-type`` "AWS API Call via CloudTrail"), an Event Grid
``Microsoft.Resources.ResourceWriteSuccess`` event (Event Grid or CloudEvents schema), or a
Google audit log entry via Eventarc (``google.cloud.audit.log.v1.written`` or the bare
LogEntry). It returns [] for an event that is well formed but needs no tagging (a failed call,
the later entries of a long-running operation, costwarden's own tag writes); an operation we
have no rule for raises ``UnrecognisedPayloadError``; malformed input ``PayloadError``.
"""

from __future__ import annotations

from collections.abc import Mapping

from costwarden.errors import PayloadError, UnrecognisedPayloadError
from costwarden.models.resource_change import ResourceChange
from costwarden.normalize.resource_change.aws import from_cloudtrail_event
from costwarden.normalize.resource_change.azure import from_event_grid_event
from costwarden.normalize.resource_change.gcp import from_audit_log_event

__all__ = [
    "from_audit_log_event",
    "from_cloudtrail_event",
    "from_event_grid_event",
    "parse_resource_change",
]


def parse_resource_change(payload: object) -> list[ResourceChange]:
    """Every resource change in one decoded trigger payload (see module docstring)."""
    if not isinstance(payload, Mapping):
        raise PayloadError(f"expected a JSON object, got {type(payload).__name__}")
    if payload.get("detail-type") == "AWS API Call via CloudTrail":
        return from_cloudtrail_event(payload)
    event_type = payload.get("eventType") or payload.get("type")
    if event_type == "Microsoft.Resources.ResourceWriteSuccess":
        return from_event_grid_event(payload)
    if event_type == "google.cloud.audit.log.v1.written" or "protoPayload" in payload:
        return from_audit_log_event(payload)
    raise UnrecognisedPayloadError(
        "not a resource-creation event: expected CloudTrail via EventBridge, Event Grid "
        "ResourceWriteSuccess or a Google audit log entry"
    )
