"""A compute resource as every cloud's inventory reports it, whatever the cloud.

The scheduler, idle detection and (later) tag remediation reason over this one shape; cloud
differences end in the inventory adapters. A plain frozen dataclass rather than a pydantic model:
plans are computed over estates of 100,000 resources and validation already happened at the
adapter, which builds these from typed SDK responses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Literal

from costwarden.models.budget import Provider

ResourceType = Literal["ec2_instance", "asg", "rds_instance", "azure_vm", "gce_instance"]
RESOURCE_TYPES: tuple[ResourceType, ...] = (
    "ec2_instance",
    "asg",
    "rds_instance",
    "azure_vm",
    "gce_instance",
)

#: ``stopped`` covers every state that no longer bills compute: an EC2/GCE instance stopped,
#: an Azure VM *deallocated* (a VM that is only powered off still bills, so it counts as
#: ``running``), an RDS instance stopped, an ASG at min = desired = max = 0.
#: ``transitioning`` (pending, stopping, starting, deallocating, ...) is never acted on: the
#: next tick sees where it settled. ``unknown`` is never acted on either.
PowerState = Literal["running", "stopped", "transitioning", "unknown"]

_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Capacity:
    """An Auto Scaling group's size, saved before scaling to zero and restored at start."""

    min_size: int
    desired: int
    max_size: int

    def encode(self) -> str:
        """``min/desired/max``: the value of the saved-capacity tag."""
        return f"{self.min_size}/{self.desired}/{self.max_size}"

    @classmethod
    def decode(cls, text: str) -> Capacity | None:
        """The inverse of ``encode``; None for anything that is not three counts."""
        parts = text.split("/")
        if len(parts) != 3 or not all(p.isdigit() for p in parts):
            return None
        low, want, high = (int(p) for p in parts)
        if not low <= want <= high:
            return None
        return cls(low, want, high)


@dataclass(frozen=True, slots=True)
class Resource:
    """One schedulable resource in one target (account x region, subscription, project)."""

    cloud: Provider
    #: AWS account id (12 digits, a string), Azure subscription id, Google project id.
    account: str
    #: AWS region, Azure location, Google zone.
    region: str
    #: What the actuator needs to address it: EC2 instance id, ASG name, RDS identifier,
    #: the full ARM id of an Azure VM, ``<zone>/<name>`` of a GCE instance.
    resource_id: str
    resource_type: ResourceType
    name: str
    state: PowerState
    #: Tags (Google: labels). Keys are case-sensitive as the cloud stores them.
    tags: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    #: Instance type / VM size / machine type / DB instance class, for savings estimates.
    size: str | None = None
    #: When the resource last started, where the cloud reports it (EC2 LaunchTime, GCE
    #: lastStartTimestamp). The scheduler reads a start after the latest scheduled stop as a
    #: person's manual start (docs/scheduling.md); None elsewhere, where its tag decides.
    started_at: datetime | None = None
    #: ASG only: the current min/desired/max.
    capacity: Capacity | None = None
    #: EC2 only: launched with hibernation enabled (HibernationOptions.Configured).
    hibernation_configured: bool = False
    #: Provider-specific facts an actuator needs (e.g. Azure resource group), never policy input.
    extra: Mapping[str, str] = field(default_factory=lambda: _EMPTY)

    @property
    def key(self) -> str:
        """Unique across clouds: ``<cloud>/<account>/<region>/<type>/<id>``."""
        return f"{self.cloud}/{self.account}/{self.region}/{self.resource_type}/{self.resource_id}"
