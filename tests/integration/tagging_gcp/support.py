"""Constants and builders the Google Cloud label adapter tests share."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from costwarden.adapters.gcp.gce_compute import RetrySettings
from costwarden.ports_tagging import TaggedResource, TagWrite

PROJECT = "cw-dev"
ZONE_B, ZONE_C, US = "europe-west1-b", "europe-west1-c", "us-central1-a"
#: Back-off of a millisecond or so; a budget that lets a retry or two through.
FAST = RetrySettings(initial=0.001, maximum=0.01, multiplier=2.0, timeout=10.0)
#: A small budget for tests that exhaust the retries on purpose.
SHORT = RetrySettings(initial=0.001, maximum=0.01, multiplier=2.0, timeout=0.3)


def instance_id(name: str, zone: str = ZONE_B, project: str = PROJECT) -> str:
    return f"projects/{project}/zones/{zone}/instances/{name}"


def by_id(resources: Sequence[TaggedResource]) -> dict[str, TaggedResource]:
    return {r.resource_id: r for r in resources}


def change(
    resource: TaggedResource, set_: Mapping[str, str], remove: tuple[str, ...] = ()
) -> TagWrite:
    return TagWrite(resource, dict(set_), remove)
