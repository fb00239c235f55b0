"""Ports the scheduler and idle detection use: inventory, actions, utilization metrics, and
the work queue that fans one run out to one invocation per target.

One adapter per cloud implements ``Inventory`` and ``Actuator`` for one ``Target`` (an AWS
account x region reached through an assumed role, an Azure subscription, a Google project).
Adapters raise ``costwarden.errors.CloudApiError`` when a call fails after the SDK's retries:
a throttled or failed listing must never look like an empty estate.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from costwarden.errors import WorkItemError
from costwarden.models.budget import Provider
from costwarden.models.resource import Resource
from costwarden.plan.model import LastAction, Outcome, PlannedAction

_CLOUDS: tuple[Provider, ...] = ("aws", "azure", "gcp")


@dataclass(frozen=True, slots=True)
class Target:
    """One unit of fan-out: everything one worker invocation looks at."""

    cloud: Provider
    #: AWS account id, Azure subscription id, Google project id.
    account: str
    #: AWS region; None for Azure (a subscription spans locations) and Google (a project
    #: spans zones; the aggregated list covers them all).
    region: str | None = None
    #: AWS only: the role to assume in a member account; None = the function's own account.
    role_arn: str | None = None

    @property
    def label(self) -> str:
        return "/".join(p for p in (self.cloud, self.account, self.region) if p)

    def to_message(self, *, run_id: str, at: datetime, dry_run: bool) -> str:
        """The queue message body for this target's work item."""
        return json.dumps(
            {
                "kind": "costwarden.schedule.work-item",
                "version": 1,
                "run_id": run_id,
                "at": at.isoformat(),
                "dry_run": dry_run,
                "target": {
                    "cloud": self.cloud,
                    "account": self.account,
                    "region": self.region,
                    "role_arn": self.role_arn,
                },
            },
            separators=(",", ":"),
        )


@dataclass(frozen=True, slots=True)
class WorkItem:
    """A queue message parsed back: which target, for which run and instant."""

    target: Target
    run_id: str
    at: datetime
    dry_run: bool

    @classmethod
    def from_message(cls, body: str | bytes) -> WorkItem:
        """Parse a work-item message; anything else raises ``WorkItemError`` (typed, no action)."""
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise WorkItemError(f"work item is not JSON: {exc}") from None
        if not isinstance(data, dict) or data.get("kind") != "costwarden.schedule.work-item":
            raise WorkItemError("not a costwarden work item (kind is missing or different)")
        if data.get("version") != 1:
            raise WorkItemError(f"unsupported work item version {data.get('version')!r}")
        target = data.get("target")
        if not isinstance(target, dict):
            raise WorkItemError("work item has no target")
        cloud, account = target.get("cloud"), target.get("account")
        if cloud not in _CLOUDS or not isinstance(account, str) or not account:
            raise WorkItemError(f"work item target is invalid: {target!r}")
        region, role_arn = target.get("region"), target.get("role_arn")
        if not (region is None or isinstance(region, str)) or not (
            role_arn is None or isinstance(role_arn, str)
        ):
            raise WorkItemError("work item region/role_arn must be strings or null")
        run_id, at_text, dry_run = data.get("run_id"), data.get("at"), data.get("dry_run")
        if not isinstance(run_id, str) or not isinstance(at_text, str):
            raise WorkItemError("work item needs run_id and at")
        if not isinstance(dry_run, bool):
            raise WorkItemError("work item dry_run must be true or false")
        try:
            at = datetime.fromisoformat(at_text)
        except ValueError:
            raise WorkItemError(f"work item 'at' is not an ISO time: {at_text!r}") from None
        if at.tzinfo is None:
            raise WorkItemError("work item 'at' needs a UTC offset")
        return cls(Target(cloud, account, region, role_arn), run_id, at, dry_run)


class Inventory(Protocol):
    """Lists the schedulable resources of one target (all pages, all supported types)."""

    def list_resources(self) -> Sequence[Resource]: ...


class Actuator(Protocol):
    """Carries out one planned action and records it on the resource.

    Contract, relied on by the crash-and-rerun guarantee:
    - re-read the resource first; already in the target state -> ``Outcome(status="already")``
      without calling the mutating API;
    - for ``scale_to_zero`` write the saved-capacity tag *before* scaling; for every action
      write the ``last_action`` tag *after* the change was accepted (a crash in between leaves
      a stopped resource with an old tag, which the next tick treats correctly);
    - any failure -> ``Outcome(status="failed", message=...)``; never raise for one resource.
    Stop/deallocate calls do not wait for long-running operations to finish beyond the
    cloud's acceptance of the request.
    """

    def execute(self, action: PlannedAction, *, record: LastAction) -> Outcome: ...


@runtime_checkable
class BatchActuator(Actuator, Protocol):
    """An ``Actuator`` that can also carry out many actions in a few calls (EC2 takes hundreds
    of instance ids per StopInstances). Same contract per action; ``apply_plan`` uses it when
    the actuator has it, and falls back to ``execute`` per action if the batch raises."""

    def execute_all(self, actions: Sequence[PlannedAction], *, now: datetime) -> list[Outcome]:
        """One outcome per action, in the order given; ``now`` stamps the last-action tags."""
        ...


@dataclass(frozen=True, slots=True)
class CpuSummary:
    """CPU utilization of one resource over the idle window."""

    max_percent: float
    #: Datapoints seen; the idle rule requires enough of them (missing data is not idle).
    datapoints: int
    #: Datapoints a full window would have at the adapter's period.
    expected_datapoints: int


class UtilizationMetrics(Protocol):
    """CPU utilization for many resources in as few calls as the cloud allows (batched)."""

    def cpu(
        self, resources: Sequence[Resource], *, start: datetime, end: datetime
    ) -> Mapping[str, CpuSummary]:
        """Keyed by ``Resource.key``; a resource with no data is absent from the result."""
        ...


class WorkQueue(Protocol):
    """Where the planner puts one work item per target (SQS, Storage Queue, Pub/Sub)."""

    def send(self, bodies: Sequence[str]) -> None: ...


class TargetDirectory(Protocol):
    """Enumerates the targets of a cloud (the policy's list, or AWS Organizations)."""

    def targets(self) -> Sequence[Target]: ...
