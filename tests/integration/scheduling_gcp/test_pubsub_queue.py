"""PubSubWorkQueue: google-cloud-pubsub's PublisherClient (REST) against the loopback topic."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from google.auth.credentials import AnonymousCredentials

from costwarden.adapters.gcp.pubsub_queue import PubSubWorkQueue
from costwarden.errors import CloudApiError, ConfigError
from costwarden.ports_compute import Target, WorkItem
from fake_gce import FakeGcpServer
from integration.scheduling_gcp.gcp_support import FAST, PROJECT, SHORT

TOPIC = f"projects/{PROJECT}/topics/costwarden-schedule-work"


def queue(server: FakeGcpServer, **options: Any) -> PubSubWorkQueue:
    options.setdefault("retry", FAST)
    return PubSubWorkQueue.create(
        TOPIC, credentials=AnonymousCredentials(), api_endpoint=server.base_url, **options
    )


def test_every_work_item_reaches_the_topic_and_parses_back(gcp_server: FakeGcpServer):
    gcp_server.create_topic(TOPIC)
    at = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
    bodies = [
        Target("gcp", f"project-{i}").to_message(run_id="run-1", at=at, dry_run=False)
        for i in range(25)
    ]

    queue(gcp_server).send(bodies)

    received = gcp_server.published[TOPIC]
    assert sorted(received) == sorted(b.encode() for b in bodies)
    items = [WorkItem.from_message(body) for body in received]
    assert {i.target.account for i in items} == {f"project-{i}" for i in range(25)}
    # the client batches: fewer requests than messages
    assert 1 <= len(gcp_server.calls_to("topics.publish")) < 25


def test_a_throttled_publish_is_retried(gcp_server: FakeGcpServer):
    gcp_server.create_topic(TOPIC)
    gcp_server.fail("topics.publish", 429, times=1)

    queue(gcp_server).send(["one"])

    assert gcp_server.published[TOPIC] == [b"one"]
    assert [c.status for c in gcp_server.calls_to("topics.publish")] == [429, 200]


def test_a_publish_that_stays_unavailable_raises_naming_the_topic(gcp_server: FakeGcpServer):
    gcp_server.create_topic(TOPIC)
    gcp_server.fail("topics.publish", 503, times=None)

    with pytest.raises(CloudApiError, match=r"topics\.publish\(projects/cw-dev/topics/"):
        queue(gcp_server, retry=SHORT).send(["one", "two"])
    assert gcp_server.published[TOPIC] == []
    assert len(gcp_server.calls_to("topics.publish")) > 1


def test_a_missing_topic_raises(gcp_server: FakeGcpServer):
    with pytest.raises(CloudApiError, match="1 of 1 messages"):
        queue(gcp_server).send(["one"])


def test_nothing_to_send_sends_nothing(gcp_server: FakeGcpServer):
    gcp_server.create_topic(TOPIC)

    queue(gcp_server).send([])

    assert gcp_server.calls == []


def test_a_topic_that_is_not_a_topic_path_is_a_config_error(gcp_server: FakeGcpServer):
    with pytest.raises(ConfigError, match="projects/<p>/topics/<t>"):
        PubSubWorkQueue(object(), "costwarden-schedule-work")
