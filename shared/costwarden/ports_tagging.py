"""Ports tag remediation uses: reading resources with their tags (and their parents' tags),
and writing tags in the largest batches each cloud allows.

One adapter per cloud implements both for one target (account x region, subscription,
project). Listing failures raise ``CloudApiError`` (a throttled sweep must never look like a
compliant estate); per-resource write failures come back as outcomes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal, Protocol

from costwarden.models.budget import Provider

_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class TaggedResource:
    """Any taggable resource, as the sweep and the event handler see it."""

    cloud: Provider
    account: str
    region: str | None
    #: What the writer addresses: an EC2 id or ARN, an ARM id, a Google resource name.
    resource_id: str
    #: The cloud's own type name: ec2:instance, Microsoft.Compute/virtualMachines,
    #: compute.googleapis.com/Instance. Tagging scopes (include/exclude_types) match it.
    resource_type: str
    tags: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    name: str = ""
    #: Google labels are replaced as a whole and need the fingerprint read with them.
    fingerprint: str | None = None
    #: Provider facts the parent lookup needs (e.g. the resource group), never policy input.
    extra: Mapping[str, str] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True, slots=True)
class TagWrite:
    """Tags to add or change (``set``) and alias keys to delete (``remove``) on one resource."""

    resource: TaggedResource
    set: Mapping[str, str]
    remove: tuple[str, ...] = ()


TagOutcomeStatus = Literal["done", "failed", "not_applied"]


@dataclass(frozen=True, slots=True)
class TagOutcome:
    write: TagWrite
    status: TagOutcomeStatus
    message: str = ""


@dataclass(frozen=True, slots=True)
class ParentTags:
    """The tags of a resource's parent, and which parent it was (for the report)."""

    kind: str  # autoscaling_group, cloudformation_stack, resource_group, project
    name: str
    tags: Mapping[str, str]


class TagInventory(Protocol):
    def list_resources(self) -> Sequence[TaggedResource]:
        """Every taggable resource of the target (all pages)."""
        ...

    def read(self, resource_ids: Sequence[str]) -> Sequence[TaggedResource]:
        """Fresh copies of these resources (missing ones are left out): re-read before write."""
        ...

    def parents(self, resource: TaggedResource) -> Sequence[ParentTags]:
        """The parents whose tags a child may inherit, nearest first (cached per run)."""
        ...


class TagWriter(Protocol):
    def write(self, writes: Sequence[TagWrite]) -> Sequence[TagOutcome]:
        """Apply in the cloud's largest batches; one outcome per write, never raise for one."""
        ...
