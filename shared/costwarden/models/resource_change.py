"""A resource was created (or changed), and by whom: the trigger of event-driven tagging.

Normalized from CloudTrail via EventBridge, Azure Event Grid ``ResourceWriteSuccess`` and Google
audit logs via Eventarc. The creator is what inference turns into the owner tag (first in the
documented order, docs/tagging.md).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from costwarden.models.budget import Provider

CreatorKind = Literal[
    "user",  # AWS IAM user, Azure user (upn), Google user account
    "role_session",  # AWS assumed role (SSO sessions carry the person's e-mail)
    "federated",  # AWS FederatedUser
    "service_account",  # Google service account
    "service_principal",  # Azure app / managed identity
    "root",  # AWS root user: never an owner
    "service",  # an AWS service on its own behalf (AWSService)
]


class Creator(BaseModel):
    """Who made the call that created the resource."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: CreatorKind
    #: The identity as the cloud names it: an ARN, a principal e-mail, an object id.
    identity: str
    #: A person's e-mail address when the event carries one.
    email: str | None = None
    #: The short name people know them by (IAM user name, role session name, app id).
    name: str | None = None

    def owner(self) -> str | None:
        """The value the owner tag gets, or None when the creator is not an owner.

        A root user or a service acting on its own is nobody's name to put on a resource.
        """
        if self.kind in ("root", "service"):
            return None
        return self.email or self.name


class ResourceChange(BaseModel):
    """One create/update event, normalized."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cloud: Provider
    account: str
    region: str | None
    #: The API operation: RunInstances, Microsoft.Compute/virtualMachines/write,
    #: v1.compute.instances.insert.
    operation: str
    #: The cloud's own type name, as tagging scopes match it: ec2:instance,
    #: Microsoft.Compute/virtualMachines, compute.googleapis.com/Instance.
    resource_type: str
    #: What the tagging adapter addresses: EC2 ids / ARNs, ARM ids, Google resource names.
    resource_ids: tuple[str, ...]
    creator: Creator | None
    at: datetime
    event_id: str
