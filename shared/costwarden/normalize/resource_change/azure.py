"""Event Grid ``Microsoft.Resources.ResourceWriteSuccess`` -> ``ResourceChange``.

Both Event Grid schema (``eventType``, ``eventTime``) and CloudEvents schema (``type``,
``time``) carry the same ``data``. The resource type is the operation without ``/write``; a
resource group's own id (``/subscriptions/<s>/resourceGroups/<g>``, no ``/providers/``) is
``Microsoft.Resources/resourceGroups``, as the sweep lists groups. The creator comes from the
caller's token claims: a user's UPN (an e-mail), else a service principal's app id. Whether the
caller is a person is read from ``authorization.evidence.principalType`` or the token's
``idtyp`` before falling back to the app id: a guest or personal-account user has no ``upn``
(their e-mail is in the ``name`` claim as ``live.com#bob@outlook.com``), and the ``appid`` of
their token is the tool they used (Azure CLI), not them. Writes of the tags resource itself
(``Microsoft.Resources/tags/write``, which costwarden's own tag merge raises) need no tagging:
they return [] so the function never chases its own tail.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from costwarden.errors import PayloadError
from costwarden.models.resource_change import Creator, ResourceChange
from costwarden.normalize.resource_change.fields import dig, obj, optional_text, text, timestamp

UPN = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn"
EMAIL = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
OBJECT_ID = "http://schemas.microsoft.com/identity/claims/objectidentifier"
NAME = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"
IGNORED_OPERATIONS = frozenset({"Microsoft.Resources/tags/write"})


def from_event_grid_event(event: Mapping[str, object]) -> list[ResourceChange]:
    data = obj(event.get("data"), "data")
    operation = text(data.get("operationName"), "data.operationName")
    if data.get("status") not in (None, "Succeeded") or operation in IGNORED_OPERATIONS:
        return []
    if not operation.endswith("/write"):
        return []
    resource_id = text(data.get("resourceUri") or event.get("subject"), "data.resourceUri")
    resource_type = operation.removesuffix("/write")
    if "/providers/" not in resource_id:
        if not _GROUP_ID.fullmatch(resource_id):
            raise PayloadError(f"data.resourceUri: not an ARM resource id: {resource_id!r}")
        resource_type = RESOURCE_GROUP_TYPE  # the operation says .../subscriptions/resourceGroups
    subscription = text(data.get("subscriptionId"), "data.subscriptionId")
    when = event.get("eventTime") or event.get("time")
    claims = data.get("claims")
    return [
        ResourceChange(
            cloud="azure",
            account=subscription,
            region=None,  # not in the event; the adapter reads the location when it re-reads
            operation=operation,
            resource_type=resource_type,
            resource_ids=(resource_id,),
            creator=(
                creator(obj(claims, "data.claims"), dig(data, "authorization.evidence"))
                if claims is not None
                else None
            ),
            at=timestamp(when, "eventTime"),
            event_id=text(event.get("id"), "id"),
        )
    ]


def creator(claims: Mapping[str, object], evidence: object = None) -> Creator | None:
    upn = optional_text(claims.get(UPN) or claims.get(EMAIL), "data.claims.upn")
    object_id = optional_text(claims.get(OBJECT_ID) or claims.get("oid"), "data.claims.oid")
    name = optional_text(claims.get("name"), "data.claims.name")
    if upn:
        return Creator(kind="user", identity=object_id or upn, email=upn, name=name)
    if _is_user(claims, evidence):
        email = _guest_email(claims)
        identity = object_id or email or name
        if identity is None:
            return None
        return Creator(kind="user", identity=identity, email=email, name=name)
    app = optional_text(claims.get("appid") or claims.get("azp"), "data.claims.appid")
    if app:
        return Creator(kind="service_principal", identity=object_id or app, name=app)
    return None


RESOURCE_GROUP_TYPE = "Microsoft.Resources/resourceGroups"
_GROUP_ID = re.compile(r"/subscriptions/[^/]+/resourceGroups/[^/]+/?", re.IGNORECASE)
_EMAIL = re.compile(r"[^@\s#]+@[^@\s#]+\.[^@\s#]+")


def _is_user(claims: Mapping[str, object], evidence: object) -> bool:
    """Whether the caller is a person though the token has no ``upn``."""
    kind = evidence.get("principalType") if isinstance(evidence, Mapping) else None
    if isinstance(kind, str) and kind:
        return kind.casefold() == "user"
    return claims.get("idtyp") == "user"


def _guest_email(claims: Mapping[str, object]) -> str | None:
    """A guest's or personal account's e-mail: ``name``/``unique_name`` carry it after the
    identity provider's prefix (``live.com#bob@outlook.com``)."""
    for raw in (claims.get(NAME), claims.get("unique_name"), claims.get("preferred_username")):
        if isinstance(raw, str) and (found := _EMAIL.fullmatch(raw.rsplit("#", 1)[-1])):
            return found[0]
    return None
