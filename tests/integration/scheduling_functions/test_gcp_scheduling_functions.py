"""The Google Cloud scheduler functions: Cloud Scheduler tick -> planner -> Pub/Sub -> worker.

GIVEN a project on the fake Compute Engine server with a dev instance on the office-hours
schedule (labels are lowercase: the policy's ``Environment`` tag matches ``environment``), and
a prod instance labelled with the schedule but protected,
WHEN ``schedule_planner`` receives the sample Cloud Scheduler CloudEvent (Friday 20:15 in
Berlin) and ``schedule_worker`` receives the message it really published,
THEN the dev instance is stopped and labelled, prod runs on, the team gets one report, and a
redelivery of the same CloudEvent stops and posts nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from costwarden.local.runtimes import GcpFunctionsRuntime
from costwarden.local.slack_server import LocalSlackServer
from costwarden.ports_compute import WorkItem
from fake_gce import FakeGcpServer
from handler_support import EVENTS, FUNCTIONS, load, use_policy
from integration.scheduling_functions.conftest import (
    GCP_PROJECT,
    GCP_WORK_TOPIC,
    STARTED,
    TEST_TAG,
    TICK,
    gcp_targets,
    policy_yaml,
    pubsub_event,
    running_at_tick,
)

pytestmark = pytest.mark.integration

ZONE = "europe-west1-b"


def test_the_tick_publishes_a_work_item_and_the_worker_stops_dev_and_leaves_prod(
    gce: FakeGcpServer,
    slack: LocalSlackServer,
    run_tag: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_policy(tmp_path, monkeypatch, policy_yaml(run=run_tag, targets=gcp_targets([GCP_PROJECT])))
    gce.add_instance(
        "vm-dev",
        ZONE,
        labels={"environment": "dev", "team": "platform", TEST_TAG: run_tag},
        last_start=STARTED.isoformat(),
    )
    gce.add_instance(
        "vm-prod",
        ZONE,
        labels={"environment": "prod", "team": "platform", "costwarden-schedule": "office-hours"},
        last_start=STARTED.isoformat(),
    )
    planner = GcpFunctionsRuntime(FUNCTIONS, target="schedule_planner")
    worker = GcpFunctionsRuntime(FUNCTIONS, target="schedule_worker")

    with running_at_tick():
        planned = planner.deliver(load(EVENTS / "gcp" / "schedule_tick_pubsub.json"))
        [body] = gce.published[GCP_WORK_TOPIC]
        event = pubsub_event(body)
        worked = worker.deliver(event)

        assert planned.status == 200, planned.body
        assert worked.status == 200, worked.body
        item = WorkItem.from_message(body)
        assert (item.target.cloud, item.target.account, item.target.region) == (
            "gcp",
            GCP_PROJECT,
            None,
        )
        assert item.at.replace(microsecond=0) == TICK  # the CloudEvent's time
        assert gce.instance(ZONE, "vm-dev").status == "TERMINATED"
        assert gce.instance(ZONE, "vm-dev").labels["costwarden-last-action"].startswith("stop-")
        assert gce.instance(ZONE, "vm-prod").status == "RUNNING"
        [report] = slack.messages
        assert report["channel_name"] == "platform-costs"
        assert "vm-dev" in json.dumps(report)

        # Pub/Sub delivers at least once: the same event again stops and posts nothing.
        again = worker.deliver(event)

        assert again.status == 200, again.body
        assert len(gce.calls_to("instances.stop")) == 1
        assert len(slack.messages) == 1


def test_the_sample_work_item_lists_its_project(
    gce: FakeGcpServer, run_tag: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_policy(tmp_path, monkeypatch, policy_yaml(run=run_tag))

    with running_at_tick():
        result = GcpFunctionsRuntime(FUNCTIONS, target="schedule_worker").deliver(
            load(EVENTS / "gcp" / "schedule_work_pubsub.json")
        )

    assert result.status == 200, result.body
    assert len(gce.calls_to("instances.aggregatedList")) == 1


@pytest.mark.parametrize(
    "data", [b"not json", b'{"kind": "something-else"}'], ids=["not-json", "not-a-work-item"]
)
def test_a_malformed_message_fails_so_pub_sub_redelivers_and_nothing_is_called(
    data: bytes, gce: FakeGcpServer, run_tag: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_policy(tmp_path, monkeypatch, policy_yaml(run=run_tag))

    result = GcpFunctionsRuntime(FUNCTIONS, target="schedule_worker").deliver(pubsub_event(data))

    assert result.status == 500
    assert gce.calls == []
