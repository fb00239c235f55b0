"""Tag reports: one Slack message per team per run, through the real SlackNotifier to the local
Slack Web API server, posted once even when the run is redelivered."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from costwarden.adapters.local.sqlite_state import SqliteStateStore
from costwarden.adapters.slack.notifier import SlackNotifier, build_slack_client
from costwarden.bootstrap_tagging import TagPorts, TagWorker
from costwarden.errors import AlertInProgressError, NotificationError
from costwarden.local.slack_server import DEFAULT_TOKEN, LocalSlackServer
from costwarden.ports_compute import Target
from costwarden.ports_tagging import TaggedResource
from costwarden.services.tag_remediation import TagRemediator
from costwarden.services.tag_reports import build_tag_reports, publish_tag_reports
from functional.tagging.fakes import MemoryTagCloud
from functional.tagging.test_tag_remediation_service import POLICY, SECTION

NOW = datetime(2026, 11, 27, 9, 15, tzinfo=UTC)


@pytest.fixture
def slack() -> Iterator[LocalSlackServer]:
    with LocalSlackServer(token=DEFAULT_TOKEN) as server:
        yield server


def notifier(slack: LocalSlackServer) -> SlackNotifier:
    return SlackNotifier(
        build_slack_client(DEFAULT_TOKEN, base_url=slack.base_url, backoff_factor=0.01)
    )


def ec2(rid: str, **tags: str) -> TaggedResource:
    return TaggedResource("aws", "123456789012", "eu-west-1", rid, "ec2:instance", tags, name=rid)


def sweep_messages():  # type: ignore[no-untyped-def]
    cloud = MemoryTagCloud(
        [
            ec2("web-1", env="dev"),
            ec2("etl-1", team="data"),
            ec2("ok-1", Environment="dev", Owner="a@example.com", CostCenter="cc-001"),
        ]
    )
    remediator = TagRemediator(POLICY, SECTION, cloud="aws")
    report = remediator.sweep(inventory=cloud, writer=cloud, now=NOW)
    return build_tag_reports(
        report,
        policy=POLICY,
        rules=remediator.rules,
        target="aws/123456789012/eu-west-1",
        run_id="sweep-2026-11-27T09:15Z",
        dry_run=False,
    )


def test_each_team_gets_one_message_listing_what_to_fix(slack: LocalSlackServer) -> None:
    messages = sweep_messages()
    state = SqliteStateStore(":memory:")
    assert (
        publish_tag_reports(messages, notifier=notifier(slack), state=state, now=NOW, owner="r1")
        == 2
    )
    posted = {m["channel"]: m for m in slack.messages}
    assert set(posted) == {slack.channel_id("#platform"), slack.channel_id("#data")}
    platform = str(posted[slack.channel_id("#platform")]["blocks"])
    assert "web-1" in platform
    assert "Owner: missing" in platform
    assert "Environment=dev" in platform  # fixed automatically, from the alias
    data = str(posted[slack.channel_id("#data")]["blocks"])
    assert "etl-1" in data
    assert "web-1" not in data


def test_a_redelivered_run_posts_nothing_new(slack: LocalSlackServer) -> None:
    messages = sweep_messages()
    state = SqliteStateStore(":memory:")
    publish_tag_reports(messages, notifier=notifier(slack), state=state, now=NOW, owner="r1")
    again = publish_tag_reports(
        messages, notifier=notifier(slack), state=state, now=NOW, owner="r2"
    )
    assert again == 0
    assert len(slack.messages) == 2


def test_a_failed_post_is_released_so_the_redelivery_posts_it(slack: LocalSlackServer) -> None:
    messages = sweep_messages()
    state = SqliteStateStore(":memory:")
    slack.go_down(status=500)
    with pytest.raises(NotificationError):
        publish_tag_reports(messages, notifier=notifier(slack), state=state, now=NOW, owner="r1")
    slack.come_back()
    assert (
        publish_tag_reports(messages, notifier=notifier(slack), state=state, now=NOW, owner="r2")
        == 2
    )


def test_a_claim_still_held_raises_so_the_platform_retries(slack: LocalSlackServer) -> None:
    """A delivery that claimed the data team's report and died (a timeout while Slack hung)
    never released it: the retry must fail, not report success with the message lost."""
    messages = sweep_messages()
    state = SqliteStateStore(":memory:")
    data = next(m for m in messages if m.route.team == "data")
    key = f"tag-report/{data.run_id}/{data.target}/data"
    state.claim(key, owner="dead-delivery", now=NOW, lease=timedelta(minutes=5))

    with pytest.raises(AlertInProgressError, match="data"):
        publish_tag_reports(
            messages,
            notifier=notifier(slack),
            state=state,
            now=NOW + timedelta(minutes=1),
            owner="r2",
        )
    assert [m["channel"] for m in slack.messages] == [slack.channel_id("#platform")]
    # the platform's later retry, after the dead delivery's lease: the data report is posted
    later = NOW + timedelta(minutes=6)
    assert (
        publish_tag_reports(messages, notifier=notifier(slack), state=state, now=later, owner="r3")
        == 1
    )
    assert len(slack.messages) == 2


def test_a_held_claim_in_one_target_does_not_stop_the_sweep_of_the_next(
    slack: LocalSlackServer,
) -> None:
    """The sweep posts every other target's report, then raises so the platform retries."""
    first, second = Target("aws", "111111111111"), Target("aws", "222222222222")
    clouds = {
        t.account: MemoryTagCloud([ec2(f"i-{t.account}", team="data")]) for t in (first, second)
    }
    state = SqliteStateStore(":memory:")
    run_id = "sweep-2026-11-27T09:15Z"
    state.claim(
        f"tag-report/{run_id}/{first.label}/data",
        owner="dead-delivery",
        now=NOW,
        lease=timedelta(minutes=5),
    )
    worker = TagWorker(
        cloud="aws",
        policy=POLICY,
        section=SECTION,
        remediator=TagRemediator(POLICY, SECTION, cloud="aws"),
        notifier=notifier(slack),
        state=state,
        dry_run=False,
        ports=lambda t: TagPorts(clouds[t.account], clouds[t.account]),
        targets=lambda: [first, second],
    )
    with pytest.raises(AlertInProgressError):
        worker.sweep(now=NOW, run_id=run_id, owner="r2")
    assert clouds["222222222222"].write_calls, "the second target was swept"
    assert len(slack.messages) == 1, "and its report posted"
