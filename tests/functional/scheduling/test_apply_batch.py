"""``apply_plan`` with a ``BatchActuator``: the whole plan in one call when the actuator can,
each action on its own when the batch raises or answers out of order.

The batch fakes are real classes over ``FakeCloud``: ``execute_all`` carries out the actions
(through the same per-resource code) and then misbehaves as scripted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from costwarden.plan.model import LastAction, Outcome, Plan, PlannedAction
from costwarden.ports_compute import BatchActuator
from costwarden.services.scheduler import apply_plan
from functional.scheduling.fakes import FRIDAY_NIGHT, FakeCloud, ec2


@dataclass
class BatchCloud(FakeCloud):
    """``FakeCloud`` with a batch path: ``execute_all`` acts on ``acts_before_failing``
    actions, then does what ``misbehave`` says (nothing, raise, or answer reversed)."""

    misbehave: str = "nothing"
    acts_before_failing: int = 1_000
    batches: list[int] = field(default_factory=list)

    def execute_all(self, actions: Sequence[PlannedAction], *, now: datetime) -> list[Outcome]:
        self.batches.append(len(actions))
        outcomes = [
            self.execute(a, record=LastAction(a.action, now))
            for a in actions[: self.acts_before_failing]
        ]
        if self.misbehave == "raise":
            raise RuntimeError("the batch call blew up halfway")
        if self.misbehave == "reverse":
            return outcomes[::-1]
        return outcomes


def _plan(cloud: FakeCloud) -> Plan:
    actions = tuple(
        PlannedAction(action="stop", resource=r, rule="dev-nights", schedule="office-hours",
                      reason="test")
        for r in cloud.resources.values()
    )  # fmt: skip
    return Plan(cloud="aws", at=FRIDAY_NIGHT, actions=actions, skipped=(), fleet_size=3)


def _estate(**kw: object) -> BatchCloud:
    cloud = BatchCloud(**kw)  # type: ignore[arg-type]
    for name in ("web-1", "web-2", "web-3"):
        r = ec2(name)
        cloud.resources[r.key] = r
    return cloud


def test_a_batch_actuator_gets_the_whole_plan_in_one_call() -> None:
    cloud = _estate()
    assert isinstance(cloud, BatchActuator)

    outcomes = apply_plan(_plan(cloud), actuator=cloud, now=FRIDAY_NIGHT)

    assert cloud.batches == [3]
    assert [(o.action.resource.name, o.status) for o in outcomes] == [
        ("web-1", "done"), ("web-2", "done"), ("web-3", "done"),
    ]  # fmt: skip


def test_a_batch_that_raises_halfway_is_finished_one_action_at_a_time_without_redoing() -> None:
    cloud = _estate(misbehave="raise", acts_before_failing=2)

    outcomes = apply_plan(_plan(cloud), actuator=cloud, now=FRIDAY_NIGHT)

    # the two the batch did are "already" on the second pass, the third is done then
    assert [o.status for o in outcomes] == ["already", "already", "done"]
    assert dict(cloud.calls) == {"web-1": 1, "web-2": 1, "web-3": 1}
    assert {r.state for r in cloud.resources.values()} == {"stopped"}


def test_a_batch_answering_out_of_order_is_not_trusted() -> None:
    cloud = _estate(misbehave="reverse")

    outcomes = apply_plan(_plan(cloud), actuator=cloud, now=FRIDAY_NIGHT)

    assert [o.action.resource.name for o in outcomes] == ["web-1", "web-2", "web-3"]
    assert [o.status for o in outcomes] == ["already"] * 3
    assert sum(cloud.calls.values()) == 3


def test_a_dry_run_plan_never_reaches_the_batch_path() -> None:
    cloud = _estate()
    plan = _plan(cloud)
    dry = Plan(cloud="aws", at=plan.at, actions=plan.actions, skipped=(), fleet_size=3,
               dry_run=True)  # fmt: skip

    outcomes = apply_plan(dry, actuator=cloud, now=FRIDAY_NIGHT)

    assert cloud.batches == []
    assert {o.status for o in outcomes} == {"not_applied"}
