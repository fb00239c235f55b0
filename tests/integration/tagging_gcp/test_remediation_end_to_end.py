"""TagRemediator on Google Cloud through the real label adapters: a sweep, a second sweep that
writes nothing, and a Compute creation event tagged with its creator."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from google.auth.credentials import AnonymousCredentials

from costwarden.adapters.gcp.tagging import GcpLabelClients, GcpTagInventory, GcpTagWriter
from costwarden.normalize.resource_change import parse_resource_change
from costwarden.policy.loader import load_policy_text
from costwarden.policy.tagging import TaggingSection
from costwarden.services.tag_remediation import TagRemediator
from fake_gce import FakeLabelsServer
from integration.tagging_gcp.support import FAST, PROJECT, US, ZONE_B

pytestmark = pytest.mark.integration
Make = Callable[..., GcpLabelClients]
EVENTS = Path(__file__).resolve().parents[3] / "events"
NOW = datetime(2026, 11, 27, 9, 45, tzinfo=UTC)
POLICY = load_policy_text('version: 1\nslack: {default_channel: "#finops"}\n')
SECTION = TaggingSection.model_validate(
    {
        "clouds": ["aws", "gcp"],
        "required": {
            "Environment": {"aliases": ["env"], "values": ["dev", "test", "prod"]},
            "Owner": {
                "pattern": r"[^@ ]+@example\.com",
                "gcp_pattern": r"[a-z0-9_-]+_example_com",
                "infer": ["creator", "parent"],
            },
            "CostCenter": {"pattern": r"cc-[0-9]{3}"},
        },
        "owner_key": "Owner",
        "remove_aliases": True,
        "defaults": [{"accounts": [PROJECT, "acme-*"], "tags": {"CostCenter": "cc-100"}}],
    }
)
WRITES = ("instances.setLabels", "disks.setLabels", "regionDisks.setLabels", "buckets.patch")


def label_writes(gcp: FakeLabelsServer) -> int:
    return sum(len(gcp.calls_to(call)) for call in WRITES)


def sweep(make_clients: Make) -> None:
    clients = make_clients()
    TagRemediator(POLICY, SECTION, cloud="gcp").sweep(
        inventory=GcpTagInventory(clients), writer=GcpTagWriter(clients), now=NOW
    )


def test_a_sweep_writes_the_mapped_labels_and_a_second_sweep_writes_nothing(
    gcp: FakeLabelsServer, make_clients: Make
):
    gcp.project_labels = {"owner": "alice_example_com", "environment": "dev"}
    web = gcp.add_instance("web-1", ZONE_B)
    api = gcp.add_instance("api-1", US, labels={"env": "Prod", "team": "payments"})
    done = gcp.add_instance(
        "db-1",
        US,
        labels={"environment": "test", "owner": "carol_example_com", "costcenter": "cc-300"},
    )
    disk = gcp.add_disk("web-1", zone=ZONE_B, labels={"costcenter": "cc-200"})
    bucket = gcp.add_bucket("cw-logs", location="EUROPE-WEST1")

    sweep(make_clients)

    parent = {"environment": "dev", "owner": "alice_example_com"}
    assert web.labels == {**parent, "costcenter": "cc-100"}
    # alias moved to the canonical key (normalized), then removed; other labels untouched
    assert api.labels == {
        "environment": "prod",
        "team": "payments",
        "owner": "alice_example_com",
        "costcenter": "cc-100",
    }
    assert disk.labels == {**parent, "costcenter": "cc-200"}
    assert bucket.labels == {**parent, "costcenter": "cc-100"}
    assert done.labels["owner"] == "carol_example_com", "a valid label is never overwritten"
    first = label_writes(gcp)
    assert first == 4, "one write per resource that needed one (db-1 was compliant)"
    assert len(gcp.calls_to("projects.get")) == 1

    sweep(make_clients)

    assert label_writes(gcp) == first, "the second sweep writes nothing"


def test_what_cannot_be_inferred_is_marked_once(gcp: FakeLabelsServer, make_clients: Make):
    web = gcp.add_instance("web-1", ZONE_B)  # no project labels: no owner, no environment

    sweep(make_clients)

    assert web.labels["costcenter"] == "cc-100"
    assert web.labels["costwarden-tag-violation"] == "due-20261204_environment_owner"
    sweep(make_clients)
    assert len(gcp.calls_to("instances.setLabels")) == 1


@pytest.fixture
def acme() -> Iterator[FakeLabelsServer]:
    with FakeLabelsServer(project="acme-dev") as server:
        yield server


def test_a_creation_event_labels_the_instance_with_its_creator(acme: FakeLabelsServer):
    event = json.loads((EVENTS / "gcp/audit_instance_insert_first.json").read_text())
    [created] = parse_resource_change(event)
    runner = acme.add_instance("runner-1", "europe-west1-b", labels={"environment": "dev"})
    acme.project_labels = {"costcenter": "cc-400"}
    clients = GcpLabelClients(
        "acme-dev",
        credentials=AnonymousCredentials(),
        compute_endpoint=acme.base_url,
        storage_endpoint=acme.base_url,
        resource_manager_endpoint=acme.base_url,
        retry=FAST,
    )

    report = TagRemediator(POLICY, SECTION, cloud="gcp").on_change(
        created, inventory=GcpTagInventory(clients), writer=GcpTagWriter(clients), now=NOW
    )

    assert runner.labels == {
        "environment": "dev",
        "owner": "dave_example_com",
        "costcenter": "cc-400",
    }
    assert [v.resource.resource_id for v in report.fixed] == [
        "projects/acme-dev/zones/europe-west1-b/instances/runner-1"
    ]
    assert [c.call for c in acme.calls][:1] == ["instances.get"], "re-read before writing"
