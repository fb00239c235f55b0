"""Google Cloud audit log entries (Eventarc ``google.cloud.audit.log.v1.written``) ->
``ResourceChange``.

Compute Engine inserts are long-running: the same operation writes a first and a last entry.
Only the first (or an entry outside any operation) counts, so one insert is one change; a
non-zero ``protoPayload.status.code`` is a failed call and counts for nothing. The creator is
``authenticationInfo.principalEmail``: a person, or a ``…gserviceaccount.com`` service account.
A Google-managed *service agent* is never an owner: a managed instance group creates its
instances as ``<project-number>@cloudservices.gserviceaccount.com``, other services as
``service-<project-number>@….iam.gserviceaccount.com``. Their local part is all digits (or
``service-`` and digits), which a service account people create cannot have (it starts with a
letter); the parent's labels or the defaults fill the owner then.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from costwarden.errors import UnrecognisedPayloadError
from costwarden.models.resource_change import Creator, ResourceChange
from costwarden.normalize.resource_change.fields import dig, obj, optional_text, text, timestamp

#: methodName (without its version prefix) -> Cloud Asset type name
CREATE_METHODS: dict[str, str] = {
    "compute.instances.insert": "compute.googleapis.com/Instance",
    "compute.disks.insert": "compute.googleapis.com/Disk",
    "storage.buckets.create": "storage.googleapis.com/Bucket",
}
_VERSION = re.compile(r"^(?:v\d+\w*|beta|alpha)\.")
_SERVICE_AGENT = re.compile(r"^(?:service-)?\d+$")


def from_audit_log_event(event: Mapping[str, object]) -> list[ResourceChange]:
    entry = obj(event.get("data"), "data") if "protoPayload" not in event else event
    proto = obj(entry.get("protoPayload"), "protoPayload")
    method = text(proto.get("methodName"), "protoPayload.methodName")
    if isinstance(dig(proto, "status.code"), int) and dig(proto, "status.code") != 0:
        return []
    operation = entry.get("operation")
    if isinstance(operation, Mapping) and operation.get("last") and not operation.get("first"):
        return []
    kind = CREATE_METHODS.get(_VERSION.sub("", method))
    if kind is None:
        raise UnrecognisedPayloadError(f"no tagging rule for {method}")
    name = text(proto.get("resourceName"), "protoPayload.resourceName")
    labels = obj(dig(entry, "resource.labels") or {}, "resource.labels")
    project = optional_text(labels.get("project_id"), "resource.labels.project_id") or _project(
        name, entry
    )
    email = optional_text(
        dig(proto, "authenticationInfo.principalEmail"),
        "protoPayload.authenticationInfo.principalEmail",
    )
    return [
        ResourceChange(
            cloud="gcp",
            account=project,
            region=optional_text(labels.get("zone") or labels.get("location"), "resource.labels"),
            operation=method,
            resource_type=kind,
            resource_ids=(name,),
            creator=_creator(email),
            at=timestamp(entry.get("timestamp") or event.get("time"), "timestamp"),
            event_id=text(entry.get("insertId") or event.get("id"), "insertId"),
        )
    ]


def _project(resource_name: str, entry: Mapping[str, object]) -> str:
    parts = resource_name.split("/")
    if len(parts) > 1 and parts[0] == "projects" and parts[1] != "_":
        return parts[1]
    log_name = text(entry.get("logName"), "logName")  # projects/<p>/logs/...
    return log_name.split("/")[1]


def _creator(email: str | None) -> Creator | None:
    if not email:
        return None
    if email.endswith(".gserviceaccount.com"):
        local = email.split("@", 1)[0]
        if _SERVICE_AGENT.match(local):
            return Creator(kind="service", identity=email)
        return Creator(kind="service_account", identity=email, name=email.split("@", 1)[0])
    return Creator(kind="user", identity=email, email=email, name=email.split("@", 1)[0])
