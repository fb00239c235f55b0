"""With ``tagging.grace.action: stop`` a resource the tag sweep stopped is not started by its
schedule while its violation mark is overdue: otherwise the morning start and the next sweep
would stop and start it every day until someone tags it (docs/tagging.md)."""

from __future__ import annotations

import pytest

from costwarden.plan.model import LastAction
from functional.scheduling.fakes import FRIDAY_NIGHT, MONDAY_START, FakeCloud, ec2, policy
from functional.scheduling.test_planner import plan_for

TAGGING = """
tagging:
  clouds: [aws]
  required:
    Owner: {pattern: '[a-z.]+'}
  grace: {days: 7, action: ACTION}
"""
MARK = "costwarden:tag-violation"
# Stopped by the tag sweep on Saturday 21 Nov; Monday 23 Nov 07:00Z is the schedule's start.
SWEEP_STOP = LastAction("stop", FRIDAY_NIGHT).encode()


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
