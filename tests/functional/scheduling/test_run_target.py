"""A work item end to end: plan, apply, report; redelivery, crashes, Slack failures, fan-out."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from costwarden.adapters.local.sqlite_state import SqliteStateStore
from costwarden.policy import Policy
from costwarden.ports_compute import Target, WorkItem
from costwarden.pricing import PriceTableEstimator
from costwarden.schedule import ScheduleClock
from costwarden.services.scheduler import RunReport, fan_out, run_target
from functional.scheduling.fakes import (
    ACCOUNT,
    FRIDAY_NIGHT,
    FRIDAY_STOP,
    MONDAY_EVENING,
    MONDAY_START,
    Crash,
    FakeCloud,
    RecordingNotifier,
    ec2,
    make,
    policy,
    work_item,
)

POLICY = policy()


def run(
    cloud: FakeCloud,
    item: WorkItem,
    notifier: RecordingNotifier,
    state: SqliteStateStore,
    *,
    pol: Policy = POLICY,
    now_offset: timedelta = timedelta(minutes=1),
) -> RunReport:
    return run_target(
        item=item,
        policy=pol,
        clock=ScheduleClock(pol.schedules),
        inventory=cloud,
        actuator=cloud,
        metrics=None,
        savings=PriceTableEstimator(),
        notifier=notifier,
        state=state,
        now=item.at + now_offset,
    )


@pytest.fixture
def state() -> SqliteStateStore:
    return SqliteStateStore(":memory:")


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


def mixed_estate() -> FakeCloud:
    return FakeCloud.of(
        [
            ec2("web-1"),
            ec2("web-2", tags={"team": "data"}),
            ec2("solo", env="qa", tags={"costwarden:schedule": "office-hours"}),  # no team
            ec2("prod-1", env="prod", tags={"costwarden:schedule": "office-hours"}),
        ]
    )


# -- reports ------------------------------------------------------------------------------------
def test_a_nightly_run_posts_one_report_per_team_to_its_channel(
    state: SqliteStateStore, notifier: RecordingNotifier
) -> None:
    report = run(mixed_estate(), work_item(FRIDAY_STOP), notifier, state)
    assert [d.status for d in report.deliveries] == ["posted", "posted", "posted"]
    by_team = {m.team: m for m in notifier.messages}
    assert set(by_team) == {"platform", "data", None}
    assert by_team["platform"].channel == "#platform"
    assert by_team["platform"].mentions == ("U012ABCDEF",)
    assert by_team["data"].channel == "#data"
    assert by_team[None].channel == "#finops"  # no team tag, no rule team: the default channel
    assert [line.name for line in by_team["platform"].stopped] == ["web-1"]
    assert by_team["platform"].applied
    assert by_team["platform"].estimated_monthly_saving is not None
    assert by_team["platform"].saving_basis == "price_table"
    assert by_team["platform"].target == f"aws/{ACCOUNT}/eu-west-1"


def test_the_conflict_of_a_protected_tagged_resource_is_reported() -> None:
    notifier, state = RecordingNotifier(), SqliteStateStore(":memory:")
    run(mixed_estate(), work_item(FRIDAY_STOP), notifier, state)
    unassigned = next(m for m in notifier.messages if m.team is None)
    (conflict,) = [line for line in unassigned.skipped if line.kind == "protected"]
    assert conflict.name == "prod-1"
    assert "but protected by safety.protected[0]" in conflict.detail


def test_a_redelivered_work_item_posts_nothing_new(
    state: SqliteStateStore, notifier: RecordingNotifier
) -> None:
    cloud = mixed_estate()
    item = work_item(FRIDAY_STOP)
    run(cloud, item, notifier, state)
    again = run(cloud, item, notifier, state)
    assert again.plan.actions == ()
    assert len(notifier.messages) == 3
    assert sum(cloud.calls.values()) == 3


def test_a_redelivered_dry_run_with_the_same_plan_posts_nothing_new(
    state: SqliteStateStore, notifier: RecordingNotifier
) -> None:
    cloud = FakeCloud.of([ec2("web-1")])
    item = work_item(FRIDAY_STOP, dry_run=True)
    first = run(cloud, item, notifier, state)
    run(cloud, item, notifier, state)
    assert [d.status for d in first.deliveries] == ["posted"]
    assert len(notifier.messages) == 1
    assert notifier.messages[0].dry_run
    assert notifier.messages[0].stopped[0].name == "web-1"
    assert sum(cloud.calls.values()) == 0


@dataclass
class ReentrantNotifier(RecordingNotifier):
    """Delivers the same work item again while the first delivery is posting (a concurrent
    redelivery), then the same item once more after it finished."""

    rerun: list[RunReport] = field(default_factory=list)
    again: object = None

    def post_schedule_report(self, message):  # type: ignore[no-untyped-def]
        if callable(self.again):
            again, self.again = self.again, None
            self.rerun.append(again())
        return super().post_schedule_report(message)


def test_a_concurrent_delivery_of_the_same_run_posts_nothing(state: SqliteStateStore) -> None:
    cloud = FakeCloud.of([ec2("web-1")])
    notifier = ReentrantNotifier()
    item = work_item(FRIDAY_STOP, dry_run=True)
    notifier.again = lambda: run(cloud, item, notifier, state)
    first = run(cloud, item, notifier, state)
    (second,) = notifier.rerun
    assert [d.status for d in second.deliveries] == ["in_progress"]
    assert [d.status for d in first.deliveries] == ["posted"]
    assert len(notifier.messages) == 1


def test_a_dry_run_repeated_every_tick_is_reported_once_per_transition(
    state: SqliteStateStore, notifier: RecordingNotifier
) -> None:
    cloud = FakeCloud.of([ec2("web-1")])
    for minutes in range(0, 240, 15):  # every tick of the evening
        run(
            cloud,
            work_item(FRIDAY_STOP + timedelta(minutes=minutes), dry_run=True),
            notifier,
            state,
        )
    assert len(notifier.messages) == 1
    run(cloud, work_item(MONDAY_EVENING, dry_run=True), notifier, state)  # the next stop
    assert len(notifier.messages) == 2


def test_a_blocked_plan_applies_nothing_and_alerts_once_saying_why(
    state: SqliteStateStore, notifier: RecordingNotifier
) -> None:
    pol = policy(max_actions_per_run=2)
    cloud = FakeCloud.of([ec2(f"web-{i}") for i in range(3)])
    report = run(cloud, work_item(FRIDAY_STOP), notifier, state, pol=pol)
    assert report.plan.blocked is not None
    assert {o.status for o in report.outcomes} == {"not_applied"}
    assert sum(cloud.calls.values()) == 0
    (alert,) = notifier.messages
    assert alert.blocked is not None
    assert "more than safety.max_actions_per_run (2)" in alert.blocked
    assert not alert.applied
    run(cloud, work_item(FRIDAY_NIGHT), notifier, state, pol=pol)  # still blocked, same news
    assert len(notifier.messages) == 1


def test_failures_are_reported_with_the_error_and_the_rest_is_done(
    state: SqliteStateStore, notifier: RecordingNotifier
) -> None:
    cloud = FakeCloud.of([ec2("web-1"), ec2("web-2")], refuse={"web-2"})
    report = run(cloud, work_item(FRIDAY_STOP), notifier, state)
    assert [o.status for o in report.outcomes] == ["done", "failed"]
    assert [o.action.resource.name for o in report.failed] == ["web-2"]
    (message,) = notifier.messages
    assert [line.name for line in message.stopped] == ["web-1"]
    assert [line.name for line in message.failed] == ["web-2"]
    assert "IncorrectInstanceState" in message.failed[0].detail
    assert message.needs_attention


def test_upcoming_stops_are_announced_once_with_the_tag_that_keeps_a_resource_up(
    state: SqliteStateStore, notifier: RecordingNotifier
) -> None:
    cloud = FakeCloud.of([ec2("web-1"), ec2("web-2")])
    run(cloud, work_item(FRIDAY_STOP - timedelta(minutes=25)), notifier, state)
    (warning,) = notifier.messages
    assert [line.name for line in warning.upcoming] == ["web-1", "web-2"]
    assert "19:00 Europe/Berlin" in warning.upcoming[0].detail
    assert warning.keep_running_hint is not None
    # the next start is Monday 08:00 Berlin = 07:00Z: the example keeps it up until then
    assert "`costwarden:keep-running-until` = `2026-11-23T07:00Z`" in warning.keep_running_hint
    assert warning.stopped == ()
    run(cloud, work_item(FRIDAY_STOP - timedelta(minutes=10)), notifier, state)
    assert len(notifier.messages) == 1  # the same transition is announced once


def test_a_google_warning_gives_the_label_spelling_and_the_only_valid_value_form(
    state: SqliteStateStore, notifier: RecordingNotifier
) -> None:
    vm = make("gce_instance", "gce-1", cloud="gcp", env=None, tags={"environment": "dev"})
    item = WorkItem(
        Target("gcp", "dev-project"), "run-g", FRIDAY_STOP - timedelta(minutes=5), False
    )
    run(FakeCloud.of([vm]), item, notifier, state)
    (warning,) = notifier.messages
    assert warning.keep_running_hint is not None
    assert "`costwarden-keep-running-until` = `20261123t0700z`" in warning.keep_running_hint


def test_a_slack_failure_is_reported_not_raised_and_the_next_delivery_posts(
    state: SqliteStateStore, notifier: RecordingNotifier
) -> None:
    cloud = FakeCloud.of([ec2("web-1")])
    item = work_item(FRIDAY_STOP, dry_run=True)
    notifier.failures = 1
    first = run(cloud, item, notifier, state)
    assert [d.status for d in first.deliveries] == ["failed"]
    assert "slack is down" in (first.deliveries[0].error or "")
    second = run(cloud, item, notifier, state)
    assert [d.status for d in second.deliveries] == ["posted"]
    assert len(notifier.messages) == 1


def test_no_report_when_nothing_happened(
    state: SqliteStateStore, notifier: RecordingNotifier
) -> None:
    report = run(mixed_estate(), work_item(FRIDAY_STOP - timedelta(hours=3)), notifier, state)
    assert report.deliveries == []
    assert notifier.messages == []


# -- crash and rerun ---------------------------------------------------------------------------
def test_a_crash_halfway_and_a_rerun_act_on_every_resource_exactly_once(
    state: SqliteStateStore, notifier: RecordingNotifier
) -> None:
    cloud = FakeCloud.of([ec2(f"web-{i}") for i in range(6)], crash_before_call=4)
    item = work_item(FRIDAY_STOP)
    with pytest.raises(Crash):
        run(cloud, item, notifier, state)
    assert sum(cloud.calls.values()) == 3
    report = run(cloud, item, notifier, state)  # the platform redelivers the item
    assert len(report.plan.actions) == 3
    assert dict(cloud.calls) == {f"web-{i}": 1 for i in range(6)}
    assert all(r.state == "stopped" for r in cloud.list_resources())
    assert [len(m.stopped) for m in notifier.messages] == [3]


# -- stale items, logs ----------------------------------------------------------------------------
def test_a_stale_work_item_is_planned_for_now_not_for_its_old_tick(
    state: SqliteStateStore, notifier: RecordingNotifier
) -> None:
    cloud = FakeCloud.of([ec2("web-1", state="stopped")])
    # last night's stop tick delivered the next morning: start (now), never stop (then)
    item = work_item(FRIDAY_STOP - timedelta(days=1))
    report = run(cloud, item, notifier, state, now_offset=timedelta(hours=14))
    assert report.planned_at == item.at + timedelta(hours=14)
    assert [a.action for a in report.plan.actions] == ["start"]


def test_a_late_redelivery_never_undoes_the_schedule_transition_after_its_tick(
    state: SqliteStateStore, notifier: RecordingNotifier
) -> None:
    cloud = FakeCloud.of([ec2("web-1", state="stopped")])
    monday_0745 = MONDAY_START - timedelta(minutes=15)
    run(cloud, work_item(MONDAY_START), notifier, state)  # the 08:00 tick starts it
    assert cloud.get("web-1").state == "running"
    # The 07:45 item failed once and is redelivered at 08:15 (under MAX_ITEM_AGE): planned for
    # 07:45 it would stop what 08:00 started, and nothing would start it again that day.
    report = run(cloud, work_item(monday_0745), notifier, state, now_offset=timedelta(minutes=30))
    assert report.planned_at == MONDAY_START + timedelta(minutes=15)
    assert report.plan.actions == ()
    assert cloud.get("web-1").state == "running"
    assert dict(cloud.calls) == {"web-1": 1}


def test_a_late_item_with_no_transition_since_its_tick_is_planned_for_its_tick(
    state: SqliteStateStore, notifier: RecordingNotifier
) -> None:
    cloud = FakeCloud.of([ec2("web-1")])
    item = work_item(FRIDAY_STOP + timedelta(minutes=5))
    report = run(cloud, item, notifier, state, now_offset=timedelta(minutes=40))
    assert report.planned_at == item.at
    assert [a.action for a in report.plan.actions] == ["stop"]


def test_a_stale_redelivery_reports_its_new_actions_even_after_the_old_run_reported(
    state: SqliteStateStore, notifier: RecordingNotifier
) -> None:
    cloud = FakeCloud.of([ec2("web-1")])
    item = work_item(FRIDAY_STOP)
    run(cloud, item, notifier, state)  # stops web-1, reports
    assert len(notifier.messages) == 1
    cloud.set_state("web-1", "stopped")
    # the same item redelivered on Monday morning: planned for now (start), a different run
    run(cloud, item, notifier, state, now_offset=timedelta(days=2, hours=14))
    assert len(notifier.messages) == 2


def test_every_action_is_logged_with_structured_fields(
    state: SqliteStateStore, notifier: RecordingNotifier, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="costwarden.services")
    run(FakeCloud.of([ec2("web-1")], refuse=set()), work_item(FRIDAY_STOP), notifier, state)
    (record,) = [r for r in caplog.records if getattr(r, "event", None) == "schedule_action"]
    assert record.action == "stop"  # type: ignore[attr-defined]
    assert record.status == "done"  # type: ignore[attr-defined]
    assert record.resource_id == "i-web-1"  # type: ignore[attr-defined]
    assert record.rule == "dev-nights"  # type: ignore[attr-defined]
    assert record.team == "platform"  # type: ignore[attr-defined]
    summary = [r for r in caplog.records if getattr(r, "event", None) == "schedule_run"]
    assert summary[0].outcomes == {"done": 1}  # type: ignore[attr-defined]


# -- fan-out -------------------------------------------------------------------------------------
@dataclass
class StaticDirectory:
    listed: list[Target]

    def targets(self) -> list[Target]:
        return self.listed


@dataclass
class RecordingQueue:
    batches: list[list[str]] = field(default_factory=list)

    def send(self, bodies: list[str]) -> None:  # type: ignore[override]
        self.batches.append(list(bodies))


def test_fan_out_sends_one_work_item_per_distinct_target() -> None:
    a = Target("aws", ACCOUNT, "eu-west-1", f"arn:aws:iam::{ACCOUNT}:role/costwarden-member")
    b = Target("aws", ACCOUNT, "us-east-1")
    queue = RecordingQueue()
    count = fan_out(
        directory=StaticDirectory([a, b, a]), queue=queue, run_id="r1", at=FRIDAY_STOP, dry_run=True
    )
    assert count == 2
    (batch,) = queue.batches
    items = [WorkItem.from_message(body) for body in batch]
    assert [i.target for i in items] == [a, b]
    assert all(i.run_id == "r1" and i.at == FRIDAY_STOP and i.dry_run for i in items)
    assert json.loads(batch[0])["kind"] == "costwarden.schedule.work-item"


def test_fan_out_with_no_targets_sends_nothing() -> None:
    queue = RecordingQueue()
    count = fan_out(
        directory=StaticDirectory([]), queue=queue, run_id="r1", at=FRIDAY_STOP, dry_run=False
    )
    assert count == 0
    assert queue.batches == []
