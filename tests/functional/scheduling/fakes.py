"""In-memory fakes of the scheduler's ports, written as real classes (no mocks).

``FakeCloud`` is one target's estate: it lists resources (``Inventory``) and acts on them
(``Actuator``) following the actuator contract (re-read first and answer ``already``; saved
capacity before scaling to zero; last-action tag after the change). It counts every mutating
call per resource, can refuse chosen resources, and can *die* (raise ``Crash``, a
``BaseException`` like a killed process) before its n-th mutating call.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from costwarden.errors import NotificationError
from costwarden.models.notification import PostedMessage
from costwarden.models.resource import Capacity, Resource
from costwarden.models.schedule_report import ScheduleReportMessage
from costwarden.plan.model import STOPPING, LastAction, Outcome, PlannedAction
from costwarden.policy import Policy, load_policy_text
from costwarden.policy.scheduling import LAST_ACTION_TAG, SAVED_CAPACITY_TAG, cloud_tag_key
from costwarden.ports_compute import CpuSummary, Target, WorkItem

ACCOUNT = "123456789012"

POLICY_YAML = """
version: 1
slack:
  default_channel: "#finops"
  default_mentions: ["here"]
teams:
  platform:
    slack_channel: "#platform"
    mentions: ["U012ABCDEF"]
  data:
    slack_channel: "#data"
schedules:
  office-hours:
    timezone: Europe/Berlin
    periods:
      - days: [mon-fri]
        start: "08:00"
        stop: "19:00"
  strict-hours:
    timezone: Europe/Berlin
    enforce: true
    periods:
      - days: [mon-fri]
        start: "08:00"
        stop: "19:00"
scheduling:
  warning_minutes: 30
  rules:
    - name: dev-nights
      schedule: office-hours
      match:
        tags: {Environment: [dev]}
      hibernate: true
      team: platform
  idle:
    - name: idle-sandbox
      match: {tags: {Environment: [sandbox]}}
      cpu_below_percent: 5
      window_hours: 24
      min_coverage_percent: 80
      team: data
safety:
  protected:
    - tags: {Environment: [prod]}
  max_actions_per_run: 100
  max_fleet_percent: 100
  dry_run: false
"""


def policy(
    *,
    insert: Mapping[str, str] | None = None,
    replace: Mapping[str, str] | None = None,
    **settings: Any,
) -> Policy:
    """The test policy. ``insert`` adds text after an anchor (``{anchor: text}``), ``replace``
    swaps text; keyword arguments replace the value of that key (its first occurrence)."""
    text = POLICY_YAML
    for old, new in (replace or {}).items():
        assert old in text, old
        text = text.replace(old, new, 1)
    for anchor, addition in (insert or {}).items():
        assert anchor in text, anchor
        text = text.replace(anchor, anchor + addition, 1)
    for key, value in settings.items():
        text, count = re.subn(rf"(?m)^(\s*{key}): .*$", rf"\g<1>: {value}", text, count=1)
        assert count == 1, key
    return load_policy_text(text, source="scheduling-test.yaml")


# Fri 20 Nov 2026; Berlin is UTC+1 in November: 08:00 local = 07:00Z, 19:00 local = 18:00Z.
FRIDAY_DAY = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
FRIDAY_STOP = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
FRIDAY_NIGHT = datetime(2026, 11, 20, 22, 0, tzinfo=UTC)
MONDAY_START = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
MONDAY_EVENING = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)


def ec2(name: str, *, state: str = "running", env: str = "dev", **kw: Any) -> Resource:
    return make("ec2_instance", name, state=state, env=env, size="m5.large", **kw)


def make(
    kind: str,
    name: str,
    *,
    state: str = "running",
    env: str | None = "dev",
    cloud: str = "aws",
    tags: Mapping[str, str] | None = None,
    **kw: Any,
) -> Resource:
    all_tags = dict(tags or {})
    if env is not None:
        all_tags.setdefault("Environment", env)
    ids = {
        "ec2_instance": f"i-{name}",
        "asg": name,
        "rds_instance": name,
        "azure_vm": f"/subscriptions/{ACCOUNT}/resourceGroups/rg/providers/"
        f"Microsoft.Compute/virtualMachines/{name}",
        "gce_instance": f"europe-west1-b/{name}",
    }
    return Resource(
        cloud=cloud,  # type: ignore[arg-type]
        account=ACCOUNT,
        region="eu-west-1" if cloud == "aws" else "europe-west1-b",
        resource_id=ids[kind],
        resource_type=kind,  # type: ignore[arg-type]
        name=name,
        state=state,  # type: ignore[arg-type]
        tags=all_tags,
        **kw,
    )


class Crash(BaseException):
    """The worker process dies (timeout, OOM): nothing after this point runs."""


@dataclass
class FakeCloud:
    """One target's estate: ``Inventory`` and ``Actuator`` over a dict of resources."""

    resources: dict[str, Resource] = field(default_factory=dict)
    refuse: set[str] = field(default_factory=set)  # resource names whose actions fail
    raise_for: set[str] = field(default_factory=set)  # names whose execute() raises (a bug)
    crash_before_call: int | None = None  # die before the n-th mutating call (1-based)
    calls: Counter[str] = field(default_factory=Counter)  # mutating calls per resource name
    log: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def of(cls, resources: Iterable[Resource], **kw: Any) -> FakeCloud:
        return cls({r.key: r for r in resources}, **kw)

    # -- Inventory -------------------------------------------------------------------------
    def list_resources(self) -> Sequence[Resource]:
        return list(self.resources.values())

    # -- Actuator --------------------------------------------------------------------------
    def execute(self, action: PlannedAction, *, record: LastAction) -> Outcome:
        current = self.resources[action.resource.key]
        if current.name in self.raise_for:
            raise RuntimeError(f"actuator bug on {current.name}")
        stopping = action.action in STOPPING
        if current.state == ("stopped" if stopping else "running"):
            return Outcome(action, "already", "already in the target state")
        if current.name in self.refuse:
            return Outcome(action, "failed", "IncorrectInstanceState: refused by the fake cloud")
        total = sum(self.calls.values())
        if self.crash_before_call is not None and total + 1 >= self.crash_before_call:
            self.crash_before_call = None  # the next process lives
            raise Crash(f"died before acting on {current.name}")
        tags = dict(current.tags)
        cloud = current.cloud
        capacity = current.capacity
        if action.action == "scale_to_zero":
            assert capacity is not None
            tags[cloud_tag_key(cloud, SAVED_CAPACITY_TAG)] = capacity.encode()
            capacity = Capacity(0, 0, 0)
        elif action.action == "restore_capacity":
            capacity = Capacity.decode(action.details["capacity"])
        self.calls[current.name] += 1
        self.log.append((current.name, action.action))
        tags[cloud_tag_key(cloud, LAST_ACTION_TAG)] = record.encode()
        self.resources[current.key] = dataclasses.replace(
            current,
            state="stopped" if stopping else "running",
            tags=tags,
            capacity=capacity,
        )
        return Outcome(action, "done")

    # -- what a person does by hand ----------------------------------------------------------
    def set_state(self, name: str, state: str) -> None:
        key = next(k for k, r in self.resources.items() if r.name == name)
        self.resources[key] = dataclasses.replace(self.resources[key], state=state)  # type: ignore[arg-type]

    def get(self, name: str) -> Resource:
        return next(r for r in self.resources.values() if r.name == name)

    def tag(self, name: str, key: str, value: str) -> None:
        r = self.get(name)
        self.resources[r.key] = dataclasses.replace(r, tags={**r.tags, key: value})


@dataclass
class FakeMetrics:
    """``UtilizationMetrics``: CPU summaries by resource name; records every call."""

    by_name: dict[str, CpuSummary] = field(default_factory=dict)
    calls: list[tuple[list[str], datetime, datetime]] = field(default_factory=list)

    def cpu(
        self, resources: Sequence[Resource], *, start: datetime, end: datetime
    ) -> Mapping[str, CpuSummary]:
        self.calls.append(([r.name for r in resources], start, end))
        return {r.key: self.by_name[r.name] for r in resources if r.name in self.by_name}


@dataclass
class RecordingNotifier:
    """``ScheduleNotifier``: keeps every message; fails the next ``failures`` posts."""

    messages: list[ScheduleReportMessage] = field(default_factory=list)
    failures: int = 0

    def post_schedule_report(self, message: ScheduleReportMessage) -> PostedMessage:
        if self.failures:
            self.failures -= 1
            raise NotificationError("slack is down (fake)")
        self.messages.append(message)
        return PostedMessage("C0TEST", f"1700000000.{len(self.messages):06d}")


TARGET = Target("aws", ACCOUNT, "eu-west-1")


def work_item(at: datetime, *, run_id: str | None = None, dry_run: bool = False) -> WorkItem:
    return WorkItem(TARGET, run_id or f"run-{at:%Y%m%dT%H%M}", at, dry_run)


def after(at: datetime, minutes: int) -> datetime:
    return at + timedelta(minutes=minutes)
