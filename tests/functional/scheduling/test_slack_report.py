"""Schedule reports through the real ``SlackNotifier`` to the local Slack Web API server."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import timedelta

import pytest

from costwarden.adapters.local.sqlite_state import SqliteStateStore
from costwarden.adapters.slack.notifier import SlackNotifier, build_slack_client
from costwarden.local.slack_server import DEFAULT_TOKEN, LocalSlackServer
from costwarden.pricing import PriceTableEstimator
from costwarden.schedule import ScheduleClock
from costwarden.services.scheduler import run_target
from functional.scheduling.fakes import FRIDAY_STOP, FakeCloud, ec2, policy, work_item

POLICY = policy()


@pytest.fixture
def slack() -> Iterator[LocalSlackServer]:
    with LocalSlackServer(token=DEFAULT_TOKEN) as server:
        yield server


def notifier_for(slack: LocalSlackServer) -> SlackNotifier:
    client = build_slack_client(DEFAULT_TOKEN, base_url=slack.base_url, backoff_factor=0.01)
    return SlackNotifier(client)


def estate() -> FakeCloud:
    return FakeCloud.of(
        [
            ec2("web-1"),
            ec2("web-2"),
            ec2("etl-1", tags={"team": "data"}),
            ec2("solo", env="qa", tags={"costwarden:schedule": "office-hours"}),
        ]
    )


def run(cloud: FakeCloud, slack: LocalSlackServer, state: SqliteStateStore, **kw):  # type: ignore[no-untyped-def]
    item = kw.pop("item", None) or work_item(FRIDAY_STOP)
    return run_target(
        item=item,
        policy=POLICY,
        clock=ScheduleClock(POLICY.schedules),
        inventory=cloud,
        actuator=cloud,
        metrics=None,
        savings=PriceTableEstimator(),
        notifier=notifier_for(slack),
        state=state,
        now=item.at + timedelta(minutes=1),
    )


def test_each_team_gets_one_block_kit_message_in_its_channel(slack: LocalSlackServer) -> None:
    report = run(estate(), slack, SqliteStateStore(":memory:"))
    channels = sorted(m["channel_name"] for m in slack.messages)
    assert channels == ["data", "finops", "platform"]
    platform = next(m for m in slack.messages if m["channel_name"] == "platform")
    assert "2 stopped" in platform["text"]
    assert platform["blocks"][0]["type"] == "header"
    body = str(platform["blocks"])
    assert "web-1" in body
    assert "web-2" in body
    assert "(estimate)" in body  # list prices, labelled
    assert {d.status for d in report.deliveries} == {"posted"}
    assert all(d.ts for d in report.deliveries)


def test_a_redelivered_dry_run_adds_no_message(slack: LocalSlackServer) -> None:
    state = SqliteStateStore(":memory:")
    cloud = estate()
    item = work_item(FRIDAY_STOP, dry_run=True)
    run(cloud, slack, state, item=item)
    run(cloud, slack, state, item=item)
    assert len(slack.messages) == 3
    assert all("dry run" in m["text"].lower() for m in slack.messages)
    assert sum(cloud.calls.values()) == 0


def test_slack_refusing_a_channel_is_a_failed_delivery_and_the_actions_stand(
    slack: LocalSlackServer,
) -> None:
    slack.fail_next(5, error="channel_not_found", method="chat.postMessage")
    cloud = estate()
    report = run(cloud, slack, SqliteStateStore(":memory:"))
    assert {d.status for d in report.deliveries} == {"failed"}
    assert "channel_not_found" in (report.deliveries[0].error or "")
    assert sum(cloud.calls.values()) == 4  # the resources were stopped all the same


def test_a_team_gets_one_message_per_run_the_other_targets_reply_in_its_thread(
    slack: LocalSlackServer,
) -> None:
    state = SqliteStateStore(":memory:")
    first = work_item(FRIDAY_STOP)
    second = dataclasses.replace(
        first, target=dataclasses.replace(first.target, account="210987654321")
    )
    run(estate(), slack, state, item=first)
    roots = {m["channel"]: m["ts"] for m in slack.messages if "thread_ts" not in m}
    run(estate(), slack, state, item=second)
    replies = [m for m in slack.messages if "thread_ts" in m]
    assert {m["channel"]: m["thread_ts"] for m in replies} == roots
    assert len(replies) == len(roots)  # one reply per team, under that team's message
    # a third target of another run starts its own message
    run(estate(), slack, state, item=work_item(FRIDAY_STOP, run_id="another-run"))
    assert len([m for m in slack.messages if "thread_ts" not in m]) == 2 * len(roots)
