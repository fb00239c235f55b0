"""With ``tagging.grace.action: stop`` a resource the tag sweep stopped is not started by its
schedule while its violation mark is overdue: otherwise the morning start and the next sweep
would stop and start it every day until someone tags it (docs/tagging.md)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from costwarden.models.resource import Resource
from costwarden.plan.model import LastAction
from functional.scheduling.fakes import FRIDAY_NIGHT, MONDAY_START, FakeCloud, ec2, policy
from functional.scheduling.test_planner import plan_for
from functional.tagging.test_tag_grace_stop import (
    OVERDUE,
    Compute,
    arn,
    compute_vm,
    marked_estate,
    sweep,
)
from functional.tagging.test_tag_grace_stop import policy as grace_policy

TAGGING = """
tagging:
  clouds: [aws]
  required:
    Owner: {pattern: '[a-z.]+'}
  grace: {days: 7, action: ACTION}
"""
MARK = "costwarden:tag-violation"
# Stopped by the tag sweep on Friday night; Monday 23 Nov 07:00Z is the schedule's start.
SWEEP_STOP = LastAction("stop", FRIDAY_NIGHT, "grace").encode()
SCHEDULE_STOP = LastAction("stop", FRIDAY_NIGHT).encode()


def _policy(action: str):  # type: ignore[no-untyped-def]
    return policy(insert={"  dry_run: false\n": TAGGING.replace("ACTION", action)})


def _stopped_by_sweep(mark: str) -> FakeCloud:
    return FakeCloud.of(
        [ec2("web-1", state="stopped", tags={MARK: mark, "costwarden:last-action": SWEEP_STOP})]
    )


def test_an_overdue_resource_the_sweep_stopped_is_not_started_by_its_schedule() -> None:
    cloud = _stopped_by_sweep("due=2026-11-19 missing=Owner")

    plan = plan_for(cloud, MONDAY_START, pol=_policy("stop"))

    assert plan.actions == ()
    [skip] = plan.skipped
    assert skip.kind == "tag_violation"
    assert "deadline 2026-11-19 passed" in skip.reason
    assert "start it by hand" in skip.reason


@pytest.mark.parametrize(
    ("action", "mark"),
    [
        ("stop", "due=2026-11-23 missing=Owner"),  # the deadline is today: not overdue yet
        ("stop", "someone's own text"),  # not a mark costwarden wrote
        ("notify", "due=2026-11-19 missing=Owner"),  # the sweep does not stop: no hold
    ],
)
def test_the_schedule_starts_it_when_the_mark_does_not_hold_it(action: str, mark: str) -> None:
    cloud = _stopped_by_sweep(mark)

    plan = plan_for(cloud, MONDAY_START, pol=_policy(action))

    assert [(a.resource.name, a.action) for a in plan.actions] == [("web-1", "start")]


@pytest.mark.parametrize(
    "tags",
    [
        {MARK: "due=2026-11-19 missing=Owner", "costwarden:last-action": SCHEDULE_STOP},
        {MARK: "due=2026-11-19 missing=Owner"},  # stopped by a person
    ],
)
def test_an_overdue_resource_its_schedule_or_a_person_stopped_is_started_all_the_same(
    tags: dict[str, str],
) -> None:
    # Only a grace stop passed the sweep's blast-radius caps: holding a resource the schedule
    # stopped at night would let the caps be bypassed (the sweep refused to stop 15 of 20; the
    # schedule stops 10 at night; held, 10 stay down and the next sweep stops the other 5).
    cloud = FakeCloud.of([ec2("web-1", state="stopped", tags=tags)])

    plan = plan_for(cloud, MONDAY_START, pol=_policy("stop"))

    assert [(a.resource.name, a.action) for a in plan.actions] == [("web-1", "start")]


def _stopped(name: str, last_action: str) -> Resource:
    vm = compute_vm(name, state="stopped")
    return replace(vm, tags={**vm.tags, "costwarden:last-action": last_action})


def test_resources_held_by_grace_stops_count_toward_the_cap_and_a_grace_stop_says_so() -> None:
    # Two overdue instances held stopped by earlier grace stops, one running; cap 2: stopping
    # the third would put three of the target down for their tags at once.
    tags = marked_estate("a", "b", "c")
    held = [_stopped("a", SWEEP_STOP), _stopped("b", SWEEP_STOP)]
    cloud = FakeCloud.of([*held, compute_vm("c")])
    _, grace = sweep(grace_policy(max_actions_per_run=2), tags, Compute(cloud), now=OVERDUE)
    assert grace is not None
    assert grace.plan is not None
    assert grace.plan.blocked is not None
    assert "1 actions planned + 2 held for their tags" in grace.plan.blocked
    assert cloud.log == []

    _, grace = sweep(grace_policy(max_actions_per_run=3), tags, Compute(cloud), now=OVERDUE)
    assert cloud.log == [("c", "stop")]
    assert grace is not None
    assert grace.steps[arn("a")].message == "stopped; stays stopped until tagged"
    last = LastAction.decode(cloud.get("c").tags["costwarden:last-action"])
    assert last is not None
    assert (last.action, last.by) == ("stop", "grace")


def test_resources_their_schedule_stopped_do_not_count_toward_the_grace_cap() -> None:
    # The sweep runs at 06:00, while the nightly schedule has dev stopped: those are not held
    # (their schedule starts them), so counting them would refuse grace stops every morning.
    tags = marked_estate("a", "b", "c")
    cloud = FakeCloud.of(
        [_stopped("a", SCHEDULE_STOP), _stopped("b", SCHEDULE_STOP), compute_vm("c")]
    )
    _, grace = sweep(grace_policy(max_actions_per_run=2), tags, Compute(cloud), now=OVERDUE)

    assert grace is not None
    assert grace.plan is not None
    assert grace.plan.blocked is None
    assert cloud.log == [("c", "stop")]
    assert grace.steps[arn("a")].message.startswith("stopped, not by the tag sweep")
