"""The planner's semantics on in-memory fakes, tick by tick in frozen time (``at``).

Times: Berlin office hours Mon-Fri 08:00-19:00 local = 07:00Z-18:00Z in November.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from costwarden.models.resource import Capacity, Resource
from costwarden.plan.model import LastAction, Plan
from costwarden.policy import Policy
from costwarden.ports_compute import CpuSummary, UtilizationMetrics
from costwarden.pricing import PriceTableEstimator
from costwarden.schedule import ScheduleClock
from costwarden.services.scheduler import apply_plan, plan_target
from functional.scheduling.fakes import (
    FRIDAY_DAY,
    FRIDAY_NIGHT,
    FRIDAY_STOP,
    MONDAY_EVENING,
    MONDAY_START,
    FakeCloud,
    FakeMetrics,
    ec2,
    make,
    policy,
)

POLICY = policy()


def plan_for(
    cloud: FakeCloud,
    at: datetime,
    *,
    pol: Policy = POLICY,
    metrics: UtilizationMetrics | None = None,
    dry_run: bool = False,
    provider: str = "aws",
) -> Plan:
    return plan_target(
        policy=pol,
        clock=ScheduleClock(pol.schedules),
        resources=cloud.list_resources(),
        metrics=metrics,
        savings=PriceTableEstimator(),
        at=at,
        dry_run=dry_run,
        cloud=provider,  # type: ignore[arg-type]
    )


def tick(cloud: FakeCloud, at: datetime, **kw: Any) -> Plan:
    """One tick: plan and apply (stamping last actions at ``at``)."""
    plan = plan_for(cloud, at, **kw)
    apply_plan(plan, actuator=cloud, now=at)
    return plan


def actions(plan: Plan) -> dict[str, str]:
    return {a.resource.name: a.action for a in plan.actions}


def skips(plan: Plan) -> dict[str, str]:
    return {s.resource.name: s.kind for s in plan.skipped}


def skip_reason(plan: Plan, name: str, kind: str | None = None) -> str:
    return next(
        s.reason for s in plan.skipped if s.resource.name == name and kind in (None, s.kind)
    )


def every_type(state: str = "running") -> list[Resource]:
    stopped = state == "stopped"
    return [
        ec2("web-1", state=state),
        ec2("hib-1", state=state, hibernation_configured=True),
        make("asg", "workers", state=state, size="t3.large",
             capacity=Capacity(0, 0, 0) if stopped else Capacity(2, 3, 6)),
        make("rds_instance", "db-1", state=state, size="db.t3.medium"),
        make("azure_vm", "vm-1", state=state, cloud="azure", size="Standard_D2s_v3"),
        make("gce_instance", "gce-1", state=state, cloud="gcp", tags={"environment": "dev"},
             env=None, size="e2-medium"),
    ]  # fmt: skip


# -- nightly stop, morning start ---------------------------------------------------------------
def test_nightly_stop_uses_each_resource_types_own_way_of_stopping() -> None:
    cloud = FakeCloud.of(every_type())
    plan = tick(cloud, FRIDAY_STOP)
    assert actions(plan) == {
        "web-1": "stop",
        "hib-1": "hibernate",  # the rule asks for it and the instance is configured for it
        "workers": "scale_to_zero",
        "db-1": "stop",
        "vm-1": "deallocate",  # powered off still bills on Azure
        "gce-1": "stop",
    }
    assert all(r.state == "stopped" for r in cloud.list_resources())
    assert cloud.get("workers").tags["costwarden:saved-capacity"] == "2/3/6"
    assert cloud.get("gce-1").tags["costwarden-last-action"] == "stop-20261120t180000z"
    assert all(a.team == "platform" and a.rule == "dev-nights" for a in plan.actions)
    assert plan.fleet_size == 6


def test_morning_start_starts_everything_and_restores_the_saved_capacity() -> None:
    cloud = FakeCloud.of(every_type())
    tick(cloud, FRIDAY_STOP)
    assert tick(cloud, FRIDAY_NIGHT).actions == ()
    plan = tick(cloud, MONDAY_START + timedelta(minutes=2))
    assert actions(plan) == {
        "web-1": "start",
        "hib-1": "start",
        "workers": "restore_capacity",
        "db-1": "start",
        "vm-1": "start",
        "gce-1": "start",
    }
    restore = next(a for a in plan.actions if a.action == "restore_capacity")
    assert restore.details == {"capacity": "2/3/6"}
    assert cloud.get("workers").capacity == Capacity(2, 3, 6)
    assert all(r.state == "running" for r in cloud.list_resources())
    assert all(a.estimated_monthly_saving is None for a in plan.actions)  # starts save nothing


def test_a_missed_tick_heals_at_the_next_one() -> None:
    cloud = FakeCloud.of([ec2("web-1")])
    # no tick at 19:00 local (18:00Z): the 23:00 local tick still stops it
    plan = tick(cloud, FRIDAY_NIGHT)
    assert actions(plan) == {"web-1": "stop"}


def test_a_doubled_tick_does_nothing_the_second_time() -> None:
    cloud = FakeCloud.of(every_type())
    tick(cloud, FRIDAY_STOP)
    second = tick(cloud, FRIDAY_STOP)
    assert second.actions == ()
    assert all(count == 1 for count in cloud.calls.values())


def test_a_stale_inventory_on_a_doubled_tick_gets_already_not_a_second_call() -> None:
    cloud = FakeCloud.of([ec2("web-1")])
    stale = cloud.list_resources()
    tick(cloud, FRIDAY_STOP)
    plan = plan_target(
        policy=POLICY, clock=ScheduleClock(POLICY.schedules), resources=stale, metrics=None,
        savings=PriceTableEstimator(), at=FRIDAY_STOP, dry_run=False, cloud="aws",
    )  # fmt: skip
    outcomes = apply_plan(plan, actuator=cloud, now=FRIDAY_STOP)
    assert [o.status for o in outcomes] == ["already"]
    assert cloud.calls["web-1"] == 1


def test_resources_outside_every_rule_are_not_in_scope_or_counted() -> None:
    cloud = FakeCloud.of([ec2("web-1"), ec2("other", env="qa")])
    plan = tick(cloud, FRIDAY_STOP)
    assert actions(plan) == {"web-1": "stop"}
    assert "other" not in skips(plan)
    assert plan.fleet_size == 1


def test_during_hours_running_resources_are_left_alone() -> None:
    plan = plan_for(FakeCloud.of(every_type()), FRIDAY_DAY)
    assert plan.actions == ()
    assert plan.skipped == ()


# -- manual starts and stops -------------------------------------------------------------------
def test_a_manual_start_after_our_stop_is_left_running_until_the_next_stop() -> None:
    cloud = FakeCloud.of([ec2("web-1")])
    tick(cloud, FRIDAY_STOP)
    cloud.set_state("web-1", "running")  # someone needs it tonight
    plan = tick(cloud, FRIDAY_NIGHT)
    assert skips(plan) == {"web-1": "manual_start"}
    assert "started by someone after costwarden stopped it" in skip_reason(plan, "web-1")
    assert cloud.get("web-1").state == "running"
    # the weekend: still the same stopped window, still left alone
    assert skips(tick(cloud, FRIDAY_NIGHT + timedelta(days=1))) == {"web-1": "manual_start"}
    # Monday morning it is running anyway; Monday 19:00 is the next stop transition
    assert tick(cloud, MONDAY_START).actions == ()
    assert actions(tick(cloud, MONDAY_EVENING)) == {"web-1": "stop"}
    assert cloud.calls["web-1"] == 2


def test_an_enforcing_schedule_stops_a_manual_start_at_the_next_tick() -> None:
    cloud = FakeCloud.of([ec2("web-1", env="qa", tags={"costwarden:schedule": "strict-hours"})])
    tick(cloud, FRIDAY_STOP)
    cloud.set_state("web-1", "running")
    plan = tick(cloud, FRIDAY_NIGHT)
    assert actions(plan) == {"web-1": "stop"}
    assert plan.actions[0].rule == "tag"
    assert plan.actions[0].schedule == "strict-hours"


def test_a_manual_stop_after_our_start_is_left_stopped_until_the_next_start() -> None:
    cloud = FakeCloud.of([ec2("web-1", state="stopped")])
    assert actions(tick(cloud, MONDAY_START)) == {"web-1": "start"}
    cloud.set_state("web-1", "stopped")  # someone stops it at lunch
    plan = tick(cloud, MONDAY_START + timedelta(hours=5))
    assert skips(plan) == {"web-1": "manual_stop"}
    assert cloud.get("web-1").state == "stopped"
    assert actions(tick(cloud, MONDAY_START + timedelta(days=1))) == {"web-1": "start"}


def test_a_stopped_resource_costwarden_never_touched_is_started_in_hours() -> None:
    cloud = FakeCloud.of([ec2("web-1", state="stopped")])
    assert actions(tick(cloud, FRIDAY_DAY)) == {"web-1": "start"}


def test_an_rds_instance_aws_restarted_after_seven_days_is_stopped_again() -> None:
    weekly = "  weekly-stop:\n    timezone: Europe/Berlin\n    periods:\n      - days: [fri]\n"
    weekly += '        stop: "19:00"\n'
    text_policy = policy(insert={"schedules:\n": weekly})
    tag = {"costwarden:schedule": "weekly-stop"}
    db = make("rds_instance", "db-1", env="qa", tags=tag, size="db.t3.medium")
    vm = ec2("web-1", env="qa", tags=tag)
    cloud = FakeCloud.of([db, vm])
    tick(cloud, FRIDAY_STOP, pol=text_policy)
    assert cloud.get("db-1").state == "stopped"
    six_and_a_bit = FRIDAY_STOP + timedelta(days=6, hours=2)
    cloud.set_state("db-1", "running")  # AWS starts it after 7 days (here: a bit early)
    cloud.set_state("web-1", "running")  # a person starts the instance
    plan = tick(cloud, six_and_a_bit, pol=text_policy)
    assert actions(plan) == {"db-1": "stop"}
    assert "AWS restarted it" in plan.actions[0].reason
    assert skips(plan) == {"web-1": "manual_start"}


# -- overrides, opt-out, unknown names ------------------------------------------------------------
@pytest.mark.parametrize(
    "value", ["2026-11-21T07:00Z", "2026-11-21T08:00:00+01:00", "20261121t0700z"]
)
def test_a_future_override_keeps_it_running_and_says_until_when(value: str) -> None:
    cloud = FakeCloud.of([ec2("web-1", tags={"costwarden:keep-running-until": value})])
    plan = tick(cloud, FRIDAY_NIGHT)
    assert plan.actions == ()
    assert skips(plan) == {"web-1": "override"}
    assert "2026-11-21 07:00 UTC" in skip_reason(plan, "web-1")


def test_an_expired_override_is_reported_and_ignored() -> None:
    cloud = FakeCloud.of(
        [ec2("web-1", tags={"costwarden:keep-running-until": "2026-11-20T12:00Z"})]
    )
    plan = tick(cloud, FRIDAY_NIGHT)
    assert actions(plan) == {"web-1": "stop"}
    assert skips(plan) == {"web-1": "expired_override"}


@pytest.mark.parametrize("value", ["tomorrow", "2026-11-21T07:00", "2026-13-01T00:00Z"])
def test_an_unreadable_override_is_reported_and_ignored(value: str) -> None:
    cloud = FakeCloud.of([ec2("web-1", tags={"costwarden:keep-running-until": value})])
    plan = tick(cloud, FRIDAY_NIGHT)
    assert actions(plan) == {"web-1": "stop"}
    assert skips(plan) == {"web-1": "invalid_override"}


def test_a_gcp_override_is_read_from_its_label_spelling() -> None:
    labels = {"environment": "dev", "costwarden-keep-running-until": "20261121t0700z"}
    vm = make("gce_instance", "gce-1", cloud="gcp", env=None, tags=labels)
    plan = tick(FakeCloud.of([vm]), FRIDAY_NIGHT, provider="gcp")
    assert skips(plan) == {"gce-1": "override"}


def test_the_opt_out_value_beats_every_rule() -> None:
    cloud = FakeCloud.of([ec2("web-1", tags={"costwarden:schedule": "None"})])
    plan = tick(cloud, FRIDAY_NIGHT)
    assert plan.actions == ()
    assert skips(plan) == {"web-1": "opted_out"}
    assert plan.fleet_size == 0


def test_a_tag_naming_no_schedule_is_reported_not_guessed() -> None:
    cloud = FakeCloud.of([ec2("web-1", tags={"costwarden:schedule": "ofice-hours"})])
    plan = tick(cloud, FRIDAY_NIGHT)
    assert plan.actions == ()
    assert skips(plan) == {"web-1": "unknown_schedule"}
    assert "office-hours" in skip_reason(plan, "web-1")  # the known names are listed


def test_the_schedule_tag_beats_the_rules_and_is_reported_as_tag() -> None:
    cloud = FakeCloud.of([ec2("web-1", tags={"Costwarden:Schedule": "strict-hours"})])
    plan = tick(cloud, FRIDAY_NIGHT)
    assert [(a.rule, a.schedule, a.action) for a in plan.actions] == [
        ("tag", "strict-hours", "stop")  # no hibernate: that is the rule's option
    ]


def test_transitioning_resources_wait_for_the_next_tick() -> None:
    cloud = FakeCloud.of([ec2("web-1", state="transitioning"), ec2("web-2", state="unknown")])
    plan = tick(cloud, FRIDAY_NIGHT)
    assert plan.actions == ()
    assert skips(plan) == {"web-1": "transitioning", "web-2": "transitioning"}


def test_an_asg_without_saved_capacity_is_not_guessed_at() -> None:
    group = make("asg", "workers", state="stopped", capacity=Capacity(0, 0, 0))
    plan = tick(FakeCloud.of([group]), MONDAY_START)
    assert plan.actions == ()
    assert skips(plan) == {"workers": "unsupported"}
    assert "no saved capacity" in skip_reason(plan, "workers")


# -- protection --------------------------------------------------------------------------------
def test_protected_and_tagged_is_a_reported_conflict_and_never_acted_on() -> None:
    prod = ec2("prod-1", env="prod", tags={"costwarden:schedule": "office-hours"})
    cloud = FakeCloud.of([prod, ec2("web-1")])
    plan = tick(cloud, FRIDAY_NIGHT)
    assert actions(plan) == {"web-1": "stop"}
    reason = skip_reason(plan, "prod-1", "protected")
    assert "tagged costwarden:schedule=office-hours but protected by safety.protected[0]" in reason
    assert cloud.get("prod-1").state == "running"
    assert cloud.calls["prod-1"] == 0


def test_protected_and_matched_by_a_rule_is_a_reported_conflict() -> None:
    pol = policy(insert={"[prod]}": "\n    - names: ['web-*']"})
    plan = tick(FakeCloud.of([ec2("web-1")]), FRIDAY_NIGHT, pol=pol)
    assert plan.actions == ()
    assert "matches scheduling rule dev-nights but protected" in skip_reason(plan, "web-1")


def test_protected_resources_get_no_warnings() -> None:
    prod = ec2("prod-1", env="prod", tags={"costwarden:schedule": "office-hours"})
    plan = plan_for(FakeCloud.of([prod, ec2("web-1")]), FRIDAY_STOP - timedelta(minutes=20))
    assert [a.resource.name for a in plan.upcoming] == ["web-1"]


# -- blast radius and dry run ------------------------------------------------------------------
def test_more_actions_than_the_absolute_cap_blocks_the_whole_plan() -> None:
    cloud = FakeCloud.of([ec2(f"web-{i}") for i in range(5)])
    plan = tick(cloud, FRIDAY_NIGHT, pol=policy(max_actions_per_run=4))
    assert plan.blocked is not None
    assert "5 actions planned, more than safety.max_actions_per_run (4)" in plan.blocked
    assert all(r.state == "running" for r in cloud.list_resources())
    assert sum(cloud.calls.values()) == 0


def test_stopping_more_than_the_fleet_percentage_blocks_the_whole_plan() -> None:
    resources = [ec2(f"web-{i}") for i in range(3)] + [
        ec2(f"prod-{i}", env="prod") for i in range(3)
    ]
    cloud = FakeCloud.of(resources)
    plan = plan_for(cloud, FRIDAY_NIGHT, pol=policy(max_fleet_percent=40))
    assert plan.fleet_size == 6  # protected resources count: they are part of the fleet
    assert plan.blocked is not None
    assert "3 of 6 resources in scope would stop (50%)" in plan.blocked
    outcomes = apply_plan(plan, actuator=cloud, now=FRIDAY_NIGHT)
    assert {o.status for o in outcomes} == {"not_applied"}
    assert outcomes[0].message.startswith("blocked:")
    assert sum(cloud.calls.values()) == 0


def test_starts_count_toward_the_absolute_cap_only() -> None:
    cloud = FakeCloud.of([ec2(f"web-{i}", state="stopped") for i in range(4)])
    plan = plan_for(cloud, MONDAY_START, pol=policy(max_fleet_percent=10))
    assert plan.blocked is None
    assert len(plan.actions) == 4


def test_dry_run_plans_everything_and_applies_nothing() -> None:
    cloud = FakeCloud.of(every_type())
    plan = plan_for(cloud, FRIDAY_NIGHT, dry_run=True)
    outcomes = apply_plan(plan, actuator=cloud, now=FRIDAY_NIGHT)
    assert len(outcomes) == 6
    assert {(o.status, o.message) for o in outcomes} == {("not_applied", "dry run")}
    assert sum(cloud.calls.values()) == 0


def test_the_policys_dry_run_switch_is_honoured_too() -> None:
    plan = plan_for(FakeCloud.of([ec2("web-1")]), FRIDAY_NIGHT, pol=policy(dry_run="true"))
    assert plan.dry_run


# -- idle --------------------------------------------------------------------------------------
def sandbox(name: str, **kw: Any) -> Resource:
    return ec2(name, env="sandbox", **kw)


def test_idle_detection_asks_for_all_candidates_in_one_metrics_call() -> None:
    metrics = FakeMetrics(
        {
            "idle-1": CpuSummary(2.1, 288, 288),
            "busy-1": CpuSummary(64.0, 288, 288),
            "sparse-1": CpuSummary(0.5, 100, 288),
        }
    )
    cloud = FakeCloud.of([sandbox(n) for n in ("idle-1", "busy-1", "sparse-1", "silent-1")])
    plan = tick(cloud, FRIDAY_DAY, metrics=metrics)
    assert len(metrics.calls) == 1
    names, start, end = metrics.calls[0]
    assert sorted(names) == ["busy-1", "idle-1", "silent-1", "sparse-1"]
    assert end - start == timedelta(hours=24)
    assert actions(plan) == {"idle-1": "stop"}
    assert plan.actions[0].reason == "idle: CPU max 2.1% < 5% over 24 h"
    assert plan.actions[0].team == "data"
    assert plan.actions[0].estimated_monthly_saving == Decimal("70.08")  # 0.096 x 730, no hours
    assert skips(plan) == {"busy-1": "not_idle", "sparse-1": "no_metrics", "silent-1": "no_metrics"}
    assert "only 100 of 288" in skip_reason(plan, "sparse-1")


def test_without_a_metrics_source_nothing_is_called_idle() -> None:
    plan = plan_for(FakeCloud.of([sandbox("idle-1")]), FRIDAY_DAY, metrics=None)
    assert plan.actions == ()
    assert skips(plan) == {"idle-1": "no_metrics"}


def test_no_metrics_call_when_nothing_is_an_idle_candidate() -> None:
    metrics = FakeMetrics()
    plan_for(
        FakeCloud.of([ec2("web-1"), sandbox("off", state="stopped")]), FRIDAY_DAY, metrics=metrics
    )
    assert metrics.calls == []


def test_an_idle_stop_during_hours_is_not_undone_by_the_schedule_the_same_day() -> None:
    both = sandbox("idle-1", tags={"costwarden:schedule": "office-hours"})
    metrics = FakeMetrics({"idle-1": CpuSummary(1.0, 288, 288)})
    cloud = FakeCloud.of([both])
    assert actions(tick(cloud, FRIDAY_DAY, metrics=metrics)) == {"idle-1": "stop"}
    assert tick(cloud, FRIDAY_DAY + timedelta(hours=1), metrics=metrics).actions == ()
    assert actions(tick(cloud, MONDAY_START, metrics=metrics)) == {"idle-1": "start"}


def test_an_override_also_keeps_an_idle_resource_up() -> None:
    idle = sandbox("idle-1", tags={"costwarden:keep-running-until": "2026-11-21T00:00Z"})
    metrics = FakeMetrics({"idle-1": CpuSummary(1.0, 288, 288)})
    plan = plan_for(FakeCloud.of([idle]), FRIDAY_DAY, metrics=metrics)
    assert plan.actions == ()
    assert skips(plan) == {"idle-1": "override"}
    assert metrics.calls == []


# -- teams, warnings, savings ------------------------------------------------------------------
def test_the_team_tag_beats_the_rules_team() -> None:
    plan = plan_for(FakeCloud.of([ec2("web-1", tags={"team": "Data"})]), FRIDAY_NIGHT)
    assert plan.actions[0].team == "data"


def test_a_team_tag_naming_no_team_falls_back_to_the_rules_team() -> None:
    plan = plan_for(FakeCloud.of([ec2("web-1", tags={"team": "nobody"})]), FRIDAY_NIGHT)
    assert plan.actions[0].team == "platform"


def test_stops_due_within_the_warning_window_are_announced_with_the_local_time() -> None:
    kept = ec2("kept", tags={"costwarden:keep-running-until": "2026-11-21T07:00Z"})
    cloud = FakeCloud.of([ec2("web-1"), kept])
    plan = plan_for(cloud, FRIDAY_STOP - timedelta(minutes=25))
    assert [(a.resource.name, a.action) for a in plan.upcoming] == [("web-1", "stop")]
    warning = plan.upcoming[0]
    assert "stops it at 19:00 Europe/Berlin (in 25 min)" in warning.reason
    assert warning.details["stops_at"] == FRIDAY_STOP.isoformat()
    assert plan.actions == ()


def test_a_scheduled_resource_an_idle_rule_also_matches_is_warned_unless_stopped_now() -> None:
    tags = {"costwarden:schedule": "office-hours"}
    busy = ec2("busy-1", env="sandbox", tags=tags)  # idle-sandbox matches it too
    idle = ec2("idle-1", env="sandbox", tags=tags)
    metrics = FakeMetrics(
        {"busy-1": CpuSummary(64.0, 288, 288), "idle-1": CpuSummary(1.0, 288, 288)}
    )
    plan = plan_for(
        FakeCloud.of([busy, idle]), FRIDAY_STOP - timedelta(minutes=25), metrics=metrics
    )
    assert skips(plan) == {"busy-1": "not_idle"}
    assert actions(plan) == {"idle-1": "stop"}  # stopped now: no warning of 19:00
    assert [(a.resource.name, a.schedule) for a in plan.upcoming] == [("busy-1", "office-hours")]


def test_no_warnings_outside_the_window_or_when_switched_off() -> None:
    cloud = FakeCloud.of([ec2("web-1")])
    assert plan_for(cloud, FRIDAY_STOP - timedelta(minutes=31)).upcoming == ()
    quiet = policy(warning_minutes=0)
    assert plan_for(cloud, FRIDAY_STOP - timedelta(minutes=5), pol=quiet).upcoming == ()


def test_schedule_stop_saving_is_the_hours_the_schedule_keeps_it_off() -> None:
    plan = plan_for(FakeCloud.of([ec2("web-1")]), FRIDAY_NIGHT)
    action = plan.actions[0]
    off = 1 - ScheduleClock(POLICY.schedules).running_fraction("office-hours", FRIDAY_NIGHT)
    expected = Decimal("0.096") * 730 * Decimal(str(round(off, 6)))
    assert action.estimated_monthly_saving == expected.quantize(Decimal("0.01"))
    assert action.saving_basis == "price_table"
    assert action.currency == "USD"


def test_a_resource_without_a_price_has_no_saving_rather_than_a_guess() -> None:
    plan = plan_for(FakeCloud.of([make("ec2_instance", "odd", size="x9.huge")]), FRIDAY_NIGHT)
    assert plan.actions[0].estimated_monthly_saving is None


# -- apply -------------------------------------------------------------------------------------
def test_one_failing_resource_never_stops_the_others() -> None:
    cloud = FakeCloud.of([ec2(f"web-{i}") for i in range(5)], refuse={"web-1"}, raise_for={"web-3"})
    plan = plan_for(cloud, FRIDAY_NIGHT)
    outcomes = apply_plan(plan, actuator=cloud, now=FRIDAY_NIGHT)
    status = {o.action.resource.name: o.status for o in outcomes}
    assert status == {
        "web-0": "done",
        "web-1": "failed",
        "web-2": "done",
        "web-3": "failed",
        "web-4": "done",
    }
    assert "actuator bug on web-3" in next(
        o.message for o in outcomes if o.status == "failed" and "3" in o.action.resource.name
    )


def test_the_last_action_recorded_is_the_action_and_the_apply_time() -> None:
    cloud = FakeCloud.of([ec2("web-1")])
    tick(cloud, FRIDAY_NIGHT)
    recorded = LastAction.decode(cloud.get("web-1").tags["costwarden:last-action"])
    assert recorded == LastAction("stop", FRIDAY_NIGHT)


def test_plan_json_has_every_documented_key() -> None:
    plan = plan_for(
        FakeCloud.of([ec2("web-1"), ec2("p", env="prod")]), FRIDAY_STOP - timedelta(minutes=5)
    )
    data = plan.to_dict()
    assert set(data) == {
        "cloud",
        "at",
        "dry_run",
        "blocked",
        "fleet_size",
        "actions",
        "skipped",
        "upcoming",
    }
    assert set(data["upcoming"][0]) >= {
        "action",
        "resource_id",
        "reason",
        "estimated_monthly_saving",
        "saving_basis",
        "details",
    }  # type: ignore[index]


def test_a_start_after_a_stop_boundary_that_passed_while_stopped_is_still_a_manual_start() -> None:
    # A daily stop-only schedule: a stop boundary every evening, also while already stopped.
    nightly = "  nightly-stop:\n    timezone: Europe/Berlin\n    periods:\n"
    nightly += '      - days: [mon-sun]\n        stop: "19:00"\n'
    text_policy = policy(insert={"schedules:\n": nightly})
    vm = ec2("web-1", env="qa", tags={"costwarden:schedule": "nightly-stop"})
    cloud = FakeCloud.of([vm])
    assert actions(tick(cloud, FRIDAY_STOP, pol=text_policy)) == {"web-1": "stop"}
    saturday_stop = FRIDAY_STOP + timedelta(days=1)
    assert tick(cloud, saturday_stop, pol=text_policy).actions == ()  # already stopped
    # Sunday morning a person starts it; the cloud reports the start time (EC2 LaunchTime).
    started = saturday_stop + timedelta(hours=16)
    key = cloud.get("web-1").key
    cloud.resources[key] = dataclasses.replace(
        cloud.resources[key], state="running", started_at=started
    )
    plan = tick(cloud, started + timedelta(minutes=15), pol=text_policy)
    assert skips(plan) == {"web-1": "manual_start"}
    assert "after the scheduled stop" in skip_reason(plan, "web-1")
    # ...until Sunday's stop boundary.
    assert actions(tick(cloud, saturday_stop + timedelta(days=1), pol=text_policy)) == {
        "web-1": "stop"
    }


def test_running_since_before_the_stop_boundary_is_a_missed_stop_not_a_manual_start() -> None:
    vm = ec2("web-1")
    cloud = FakeCloud.of([dataclasses.replace(vm, started_at=FRIDAY_DAY)])
    assert actions(tick(cloud, FRIDAY_NIGHT)) == {"web-1": "stop"}
