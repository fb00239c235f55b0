"""Constants and builders the Google Cloud scheduler adapter tests share."""

from __future__ import annotations

from datetime import UTC, datetime

from costwarden.adapters.gcp.gce_compute import RetrySettings
from costwarden.models.resource import Resource
from costwarden.plan.model import ActionKind, LastAction, PlannedAction

PROJECT = "cw-dev"
NOW = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
#: Back-off of a millisecond or so; a budget that lets a retry or two through.
FAST = RetrySettings(initial=0.001, maximum=0.01, multiplier=2.0, timeout=10.0)
#: A small budget for tests that exhaust the retries on purpose.
SHORT = RetrySettings(initial=0.001, maximum=0.01, multiplier=2.0, timeout=0.3)


def plan(resource: Resource, action: ActionKind = "stop") -> PlannedAction:
    return PlannedAction(
        action=action,
        resource=resource,
        rule="dev-nights",
        schedule="office-hours",
        reason="outside office hours",
    )


def record(action: ActionKind = "stop") -> LastAction:
    return LastAction(action, NOW)


def by_name(resources: list[Resource]) -> dict[str, Resource]:
    return {r.name: r for r in resources}
