"""Event Grid ``Microsoft.Resources.ResourceWriteSuccess`` -> ``ResourceChange``.

Both Event Grid schema (``eventType``, ``eventTime``) and CloudEvents schema (``type``,
``time``) carry the same ``data``. The resource type is the operation without ``/write``. The
creator comes from the caller's token claims: a user's UPN (an e-mail), else a service
principal's app id. Writes of the tags resource itself (``Microsoft.Resources/tags/write``,
which costwarden's own tag merge raises) need no tagging: they return [] so the function never
chases its own tail.
"""

from __future__ import annotations

from collections.abc import Mapping

from costwarden.errors import PayloadError
from costwarden.models.resource_change import Creator, ResourceChange
from costwarden.normalize.resource_change.fields import obj, optional_text, text, timestamp

UPN = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn"
EMAIL = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
OBJECT_ID = "http://schemas.microsoft.com/identity/claims/objectidentifier"
IGNORED_OPERATIONS = frozenset({"Microsoft.Resources/tags/write"})


def from_event_grid_event(event: Mapping[str, object]) -> list[ResourceChange]:
    data = obj(event.get("data"), "data")
    operation = text(data.get("operationName"), "data.operationName")
    if data.get("status") not in (None, "Succeeded") or operation in IGNORED_OPERATIONS:
        return []
    if not operation.endswith("/write"):
        return []
    resource_id = text(data.get("resourceUri") or event.get("subject"), "data.resourceUri")
    if "/providers/" not in resource_id:
        raise PayloadError(f"data.resourceUri: not an ARM resource id: {resource_id!r}")
    subscription = text(data.get("subscriptionId"), "data.subscriptionId")
    when = event.get("eventTime") or event.get("time")
    claims = data.get("claims")
    return [
        ResourceChange(
            cloud="azure",
            account=subscription,
            region=None,  # not in the event; the adapter reads the location when it re-reads
            operation=operation,
            resource_type=operation.removesuffix("/write"),
            resource_ids=(resource_id,),
            creator=creator(obj(claims, "data.claims")) if claims is not None else None,
            at=timestamp(when, "eventTime"),
            event_id=text(event.get("id"), "id"),
        )
    ]


def creator(claims: Mapping[str, object]) -> Creator | None:
    upn = optional_text(claims.get(UPN) or claims.get(EMAIL), "data.claims.upn")
    object_id = optional_text(claims.get(OBJECT_ID) or claims.get("oid"), "data.claims.oid")
    name = optional_text(claims.get("name"), "data.claims.name")
    if upn:
        return Creator(kind="user", identity=object_id or upn, email=upn, name=name)
    app = optional_text(claims.get("appid") or claims.get("azp"), "data.claims.appid")
    if app:
        return Creator(kind="service_principal", identity=object_id or app, name=app)
    return None
