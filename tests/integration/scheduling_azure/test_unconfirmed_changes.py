"""A change ARM accepted but that failed later, or was not seen finished, end to end: the worker
never reports it as done, and the next tick asks again instead of blaming a person
(``manual_stop`` / ``manual_start``), with the real SDK client against the fake ARM."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from costwarden.adapters.azure.vm_compute import LAST_ACTION_TAG, AzureVmCompute
from costwarden.adapters.local.sqlite_state import SqliteStateStore
from costwarden.policy import load_policy_text
from costwarden.ports_compute import Target, WorkItem
from costwarden.pricing import PriceTableEstimator
from costwarden.schedule import ScheduleClock
from costwarden.services.scheduler import RunReport, run_target
from fake_arm import FakeArm
from functional.scheduling.fakes import RecordingNotifier

from .conftest import SUBSCRIPTION

pytestmark = pytest.mark.integration
MakeCompute = Callable[..., AzureVmCompute]

POLICY = load_policy_text(
    """
version: 1
slack: {default_channel: "#finops"}
schedules:
  office-hours:
    timezone: Europe/Berlin
    periods: [{days: [mon-fri], start: "08:00", stop: "19:00"}]
scheduling:
  rules: [{name: dev, schedule: office-hours, match: {tags: {Environment: [dev]}}}]
safety: {max_fleet_percent: 100}
""",
    source="azure-unconfirmed.yaml",
)
MONDAY_0815 = datetime(2026, 11, 23, 7, 15, tzinfo=UTC)  # Berlin is UTC+1
MONDAY_0830 = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
MONDAY_1915 = datetime(2026, 11, 23, 18, 15, tzinfo=UTC)
MONDAY_1930 = datetime(2026, 11, 23, 18, 30, tzinfo=UTC)


def _tick(
    compute: AzureVmCompute, at: datetime, notifier: RecordingNotifier | None = None
) -> RunReport:
    return run_target(
        item=WorkItem(Target("azure", SUBSCRIPTION), f"run-{at:%H%M}", at, False),
        policy=POLICY,
        clock=ScheduleClock(POLICY.schedules),
        inventory=compute,
        actuator=compute,
        metrics=None,
        savings=PriceTableEstimator(),
        notifier=notifier,
        state=SqliteStateStore(":memory:"),
        now=at,
    )


def test_a_start_that_fails_after_acceptance_is_failed_and_tried_again_next_tick(
    arm: FakeArm, make_compute: MakeCompute
) -> None:
    arm.lro_polls = 2
    arm.add_vm("vm", subscription=SUBSCRIPTION, power="deallocated", tags={"Environment": "dev"})
    arm.fail_operation("vm", "AllocationFailed", "Allocation failed: no capacity for the size.")
    compute = make_compute(lro_timeout=60, polling_interval=0.01)

    first = _tick(compute, MONDAY_0815)
    assert [(o.action.action, o.status) for o in first.outcomes] == [("start", "failed")]
    assert "AllocationFailed" in first.outcomes[0].message

    again = _tick(compute, MONDAY_0830)  # capacity is back
    assert [(o.action.action, o.status) for o in again.outcomes] == [("start", "done")]
    assert arm.vm("vm").power == "running"


def test_an_unconfirmed_start_is_reported_as_not_confirmed_and_never_read_as_a_manual_stop(
    arm: FakeArm, make_compute: MakeCompute
) -> None:
    arm.add_vm("vm", subscription=SUBSCRIPTION, power="deallocated", tags={"Environment": "dev"})
    arm.fail_operation("vm", "AllocationFailed", "Allocation failed: no capacity for the size.")
    compute = make_compute()  # nothing awaited: ARM's 202 is all the worker sees
    notifier = RecordingNotifier()

    first = _tick(compute, MONDAY_0815, notifier)
    assert [o.status for o in first.outcomes] == ["pending"]
    [message] = notifier.messages
    assert message.started == ()  # never "started" on ARM's word alone
    assert [line.kind for line in message.skipped] == ["not_confirmed"]
    assert "start requested, not confirmed yet" in message.skipped[0].detail
    assert arm.vm("vm").tags[LAST_ACTION_TAG].endswith("-pending")

    arm.settle()  # the operation fails: the VM is deallocated again
    assert arm.vm("vm").power == "deallocated"
    again = _tick(compute, MONDAY_0830)
    assert again.plan.skipped == ()  # not "manual_stop": costwarden's own start failed
    [action] = again.plan.actions
    assert action.action == "start"
    assert "was never confirmed" in action.reason


def test_an_unconfirmed_deallocate_that_failed_is_requested_again_not_left_running(
    arm: FakeArm, make_compute: MakeCompute
) -> None:
    arm.add_vm("vm", subscription=SUBSCRIPTION, power="running", tags={"Environment": "dev"})
    arm.fail_operation("vm", "InternalExecutionError", "An internal execution error occurred.")
    compute = make_compute()

    assert [o.status for o in _tick(compute, MONDAY_1915).outcomes] == ["pending"]
    arm.settle()
    assert arm.vm("vm").power == "running"

    again = _tick(compute, MONDAY_1930)
    assert [s.kind for s in again.plan.skipped] == []  # not "manual_start"
    assert [(a.action, a.resource.name) for a in again.plan.actions] == [("deallocate", "vm")]


MONDAY_1945 = datetime(2026, 11, 23, 18, 45, tzinfo=UTC)
MONDAY_2130 = datetime(2026, 11, 23, 20, 30, tzinfo=UTC)


def test_a_late_finished_deallocate_is_asked_again_once_then_a_persons_start_is_respected(
    arm: FakeArm, make_compute: MakeCompute
) -> None:
    vm = arm.add_vm("vm", subscription=SUBSCRIPTION, power="running", tags={"Environment": "dev"})
    compute = make_compute()  # nothing awaited: every change stays unconfirmed
    assert [o.status for o in _tick(compute, MONDAY_1915).outcomes] == ["pending"]
    arm.settle()  # it did finish, unseen
    vm.power = "running"  # and then a person started the VM

    # Within the hour it cannot be told from a failed deallocate: asked again, once ...
    again = _tick(compute, MONDAY_1930)
    [action] = again.plan.actions
    assert "was never confirmed" in action.reason
    assert not vm.tags[LAST_ACTION_TAG].endswith("-pending"), "a retry is not pending again"
    arm.settle()
    vm.power = "running"  # the person starts it once more

    # ... and the person's start is then respected, not fought tick after tick.
    last = _tick(compute, MONDAY_1945)
    assert last.plan.actions == ()
    assert [s.kind for s in last.plan.skipped] == ["manual_start"]


def test_an_unconfirmed_deallocate_over_an_hour_old_reads_like_any_other(
    arm: FakeArm, make_compute: MakeCompute
) -> None:
    vm = arm.add_vm("vm", subscription=SUBSCRIPTION, power="running", tags={"Environment": "dev"})
    compute = make_compute()
    assert [o.status for o in _tick(compute, MONDAY_1915).outcomes] == ["pending"]
    arm.settle()
    vm.power = "running"  # started by a person in the evening

    later = _tick(compute, MONDAY_2130)

    assert later.plan.actions == ()
    assert [s.kind for s in later.plan.skipped] == ["manual_start"]
