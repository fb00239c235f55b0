"""The Google Cloud tag-remediation functions on the fake labels server, through
functions-framework's own app.

GIVEN Application Default Credentials from the token server, the fake Compute endpoint and a
fake-gcs-server state bucket, and the instance the sample audit log entry names,
WHEN ``tag_remediation`` receives the sample ``google.cloud.audit.log.v1.written`` CloudEvent
of the operation's *first* entry, THEN the instance is labelled with its creator
(owner=dave_example_com) and its team hears once; the operation's *last* entry changes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from costwarden.local.runtimes import GcpFunctionsRuntime
from costwarden.local.slack_server import LocalSlackServer
from fake_gce import FakeLabelsServer
from handler_support import EVENTS, FUNCTIONS, load, use_policy
from integration.tagging_functions.conftest import gcp_targets, policy_yaml

pytestmark = pytest.mark.integration

ZONE = "europe-west1-b"
WRITES = ("instances.setLabels", "disks.setLabels", "regionDisks.setLabels", "buckets.patch")


@pytest.fixture
def policy(gce: FakeLabelsServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_policy(tmp_path, monkeypatch, policy_yaml(clouds="gcp", targets=gcp_targets()))


def label_writes(gce: FakeLabelsServer) -> int:
    return sum(len(gce.calls_to(call)) for call in WRITES)


@pytest.mark.usefixtures("policy")
def test_the_first_audit_entry_labels_the_instance_with_its_creator(
    gce: FakeLabelsServer, slack: LocalSlackServer
) -> None:
    runner = gce.add_instance("runner-1", ZONE, labels={"environment": "dev", "team": "data"})
    function = GcpFunctionsRuntime(FUNCTIONS, target="tag_remediation")
    event = load(EVENTS / "gcp" / "audit_instance_insert_first.json")

    answer = function.deliver(event)

    assert answer.status == 200, answer.body
    assert runner.labels == {
        "environment": "dev",
        "team": "data",
        "owner": "dave_example_com",
        "costcenter": "cc-100",
    }
    [report] = slack.messages
    assert report["channel_name"] == "data-costs"
    assert "runner-1" in json.dumps(report)

    # Eventarc delivers at least once: the same entry again writes and posts nothing.
    writes = label_writes(gce)
    again = function.deliver(event)

    assert again.status == 200, again.body
    assert label_writes(gce) == writes
    assert len(slack.messages) == 1


@pytest.mark.usefixtures("policy")
def test_the_last_audit_entry_of_the_operation_changes_nothing(
    gce: FakeLabelsServer, slack: LocalSlackServer
) -> None:
    runner = gce.add_instance("runner-1", ZONE)

    answer = GcpFunctionsRuntime(FUNCTIONS, target="tag_remediation").deliver(
        load(EVENTS / "gcp" / "audit_instance_insert_last.json")
    )

    assert answer.status == 200, answer.body
    assert runner.labels == {}
    assert gce.calls == []
    assert slack.messages == []


def test_the_scheduled_sweep_labels_what_no_event_covered(
    gce: FakeLabelsServer, slack: LocalSlackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Instances only: buckets would be listed on the fake-gcs-server every test shares.
    only_instances = policy_yaml(
        clouds="gcp", targets=gcp_targets(), include_types="compute.googleapis.com/Instance"
    )
    use_policy(tmp_path, monkeypatch, only_instances)
    web = gce.add_instance("web-1", ZONE, labels={"env": "prod", "team": "data"})
    function = GcpFunctionsRuntime(FUNCTIONS, target="tag_sweep")
    event = load(EVENTS / "gcp" / "tag_sweep_pubsub.json")

    answer = function.deliver(event)

    assert answer.status == 200, answer.body
    assert web.labels["environment"] == "prod"
    assert web.labels["costcenter"] == "cc-100"
    assert "owner" in web.labels["costwarden-tag-violation"]
    assert [m["channel_name"] for m in slack.messages] == ["data-costs"]
