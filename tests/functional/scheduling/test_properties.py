"""Properties over random estates, policies and instants (hypothesis).

Whatever the tags, states, overrides and last actions say: a protected resource is never in a
plan's actions or warnings, every resource gets at most one action, and applying a plan gives
every action one outcome with a failing resource never stopping the others.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from costwarden.models.resource import Capacity, Resource
from costwarden.plan.model import LastAction
from costwarden.policy import Policy
from costwarden.ports_compute import CpuSummary
from costwarden.pricing import PriceTableEstimator
from costwarden.schedule import ScheduleClock
from costwarden.services.scheduler import apply_plan, plan_target
from functional.scheduling.fakes import FRIDAY_DAY, FakeCloud, FakeMetrics, make, policy

KINDS = ("ec2_instance", "asg", "rds_instance", "azure_vm", "gce_instance")
CLOUD_OF = {"azure_vm": "azure", "gce_instance": "gcp"}
ENVS = ("dev", "prod", "production", "sandbox", "qa", None)
SCHEDULE_TAGS = (None, "office-hours", "strict-hours", "none", "bogus", "OFFICE-HOURS")
OVERRIDES = (None, "2026-11-20T06:00Z", "2026-12-30T06:00Z", "20261125t0000z", "soon")
PROTECTIONS = (
    "    - tags: {Environment: [prod, production]}\n",
    "    - names: ['web-1*']\n",
    "    - resource_types: [rds_instance]\n",
    "    - clouds: [azure]\n      tags: {Environment: ['*']}\n",
    "    - {}\n",  # everything: the whole estate is protected
)


@cache
def policy_for(protections: tuple[int, ...], cap: int, percent: int) -> Policy:
    protected = "".join(PROTECTIONS[i] for i in protections) or "    []\n"
    pol = policy(
        replace={"  protected:\n    - tags: {Environment: [prod]}\n": f"  protected:\n{protected}"},
        max_actions_per_run=cap,
        max_fleet_percent=percent,
    )
    return pol


@st.composite
def resources(draw: st.DrawFn, index: int) -> Resource:
    kind = draw(st.sampled_from(KINDS))
    cloud = CLOUD_OF.get(kind, "aws")
    state = draw(st.sampled_from(("running", "stopped", "transitioning")))
    tags: dict[str, str] = {}
    env = draw(st.sampled_from(ENVS))
    if env is not None:
        tags["environment" if cloud == "gcp" else "Environment"] = env
    key = "costwarden-schedule" if cloud == "gcp" else "costwarden:schedule"
    schedule = draw(st.sampled_from(SCHEDULE_TAGS))
    if schedule is not None:
        tags[key] = schedule
    override = draw(st.sampled_from(OVERRIDES))
    if override is not None:
        tags["costwarden:keep-running-until"] = override
    if draw(st.booleans()):
        kind_done = draw(st.sampled_from(("stop", "start", "hibernate", "scale_to_zero")))
        when = FRIDAY_DAY + timedelta(hours=draw(st.integers(-200, 200)))
        last_key = "costwarden-last-action" if cloud == "gcp" else "costwarden:last-action"
        tags[last_key] = LastAction(kind_done, when).encode()  # type: ignore[arg-type]
    extra = {}
    if kind == "asg":
        extra["capacity"] = Capacity(0, 0, 0) if state == "stopped" else Capacity(1, 2, 3)
        if draw(st.booleans()):
            tags["costwarden:saved-capacity"] = "1/2/3"
    name = f"{draw(st.sampled_from(('web', 'db', 'etl')))}-{index}"
    return make(kind, name, state=state, env=None, cloud=cloud, tags=tags, size="m5.large", **extra)


@st.composite
def estates(draw: st.DrawFn) -> list[Resource]:
    count = draw(st.integers(0, 25))
    return [draw(resources(i)) for i in range(count)]


@settings(max_examples=150, deadline=None)
@given(
    estate=estates(),
    protections=st.lists(st.integers(0, len(PROTECTIONS) - 1), max_size=3, unique=True),
    minutes=st.integers(0, 7 * 24 * 60),
    cap=st.integers(1, 40),
    percent=st.integers(1, 100),
    refuse=st.sets(st.integers(0, 25)),
    idle_cpu=st.floats(0, 100),
)
def test_protected_resources_are_never_planned_and_failures_stay_isolated(
    estate: list[Resource],
    protections: list[int],
    minutes: int,
    cap: int,
    percent: int,
    refuse: set[int],
    idle_cpu: float,
) -> None:
    pol = policy_for(tuple(sorted(protections)), cap, percent)
    at: datetime = FRIDAY_DAY + timedelta(minutes=minutes)
    metrics = FakeMetrics({r.name: CpuSummary(idle_cpu, 288, 288) for r in estate})
    plan = plan_target(
        policy=pol,
        clock=ScheduleClock(pol.schedules),
        resources=estate,
        metrics=metrics,
        savings=PriceTableEstimator(),
        at=at,
        dry_run=False,
        cloud="aws",
    )
    protected = {r.key for r in estate if any(s.matches(r) for s in pol.safety.protected)}
    planned = [a.resource.key for a in plan.actions]
    assert not protected & set(planned)
    assert not protected & {a.resource.key for a in plan.upcoming}
    assert {s.resource.key for s in plan.skipped if s.kind == "protected"} == protected
    assert len(planned) == len(set(planned))  # at most one action per resource
    assert len(metrics.calls) <= 1  # one idle rule, one window: one batched call at most
    assert plan.fleet_size <= len(estate)

    refused = {r.name for i, r in enumerate(estate) if i in refuse}
    cloud = FakeCloud.of(estate, refuse=refused)
    outcomes = apply_plan(plan, actuator=cloud, now=at)
    assert [o.action for o in outcomes] == list(plan.actions)
    for outcome in outcomes:
        name = outcome.action.resource.name
        if plan.blocked is not None:
            assert outcome.status == "not_applied"
        elif name in refused:
            assert outcome.status == "failed"
        else:
            assert outcome.status == "done"
    assert all(cloud.calls[name] == 0 for name in {r.name for r in estate if r.key in protected})
