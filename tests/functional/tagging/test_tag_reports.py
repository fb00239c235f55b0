"""Tag reports: one Slack message per team per run, through the real SlackNotifier to the local
Slack Web API server, posted once even when the run is redelivered."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from costwarden.adapters.local.sqlite_state import SqliteStateStore
from costwarden.adapters.slack.notifier import SlackNotifier, build_slack_client
from costwarden.errors import NotificationError
from costwarden.local.slack_server import DEFAULT_TOKEN, LocalSlackServer
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
