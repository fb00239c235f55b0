"""GcpTagWriter: whole-map setLabels with fingerprints, bucket patches with metageneration
preconditions, label rules enforced up front, one outcome per resource."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from costwarden.adapters.gcp.tagging import GcpLabelClients, GcpTagInventory, GcpTagWriter
from costwarden.ports_tagging import TaggedResource
from fake_gce import FakeLabelsServer
from integration.tagging_gcp.support import PROJECT, US, ZONE_B, by_id, change, instance_id

pytestmark = pytest.mark.integration
Make = Callable[..., GcpLabelClients]
DISK_ID = f"projects/{PROJECT}/zones/{ZONE_B}/disks/data"
HA_ID = f"projects/{PROJECT}/regions/europe-west1/disks/shared-ha"
BUCKET_ID = "projects/_/buckets/cw-logs"


def listed(make_clients: Make) -> tuple[dict[str, TaggedResource], GcpTagWriter]:
    clients = make_clients()
    return by_id(GcpTagInventory(clients).list_resources()), GcpTagWriter(clients)


def test_set_labels_sends_the_whole_new_map_with_the_fingerprint_read(
    gcp: FakeLabelsServer, make_clients: Make
):
    fake = gcp.add_instance("web-1", ZONE_B, labels={"env": "prod", "team": "data"})
    read_fingerprint = fake.label_fingerprint
    found, writer = listed(make_clients)

    (outcome,) = writer.write(
        [change(found[instance_id("web-1")], {"environment": "prod"}, remove=("env",))]
    )

    assert (outcome.status, outcome.message) == ("done", "")
    assert fake.labels == {"team": "data", "environment": "prod"}
    (call,) = gcp.calls_to("instances.setLabels")
    assert call.body == {
        "labelFingerprint": read_fingerprint,
        "labels": {"team": "data", "environment": "prod"},
    }


def test_a_stale_fingerprint_rereads_once_and_the_other_writers_label_survives(
    gcp: FakeLabelsServer, make_clients: Make
):
    fake = gcp.add_instance("web-1", ZONE_B, labels={"team": "data"})
    found, writer = listed(make_clients)
    gcp.race_label_change(ZONE_B, "web-1", "app", "checkout")

    (outcome,) = writer.write([change(found[instance_id("web-1")], {"environment": "dev"})])

    assert outcome.status == "done", outcome.message
    assert fake.labels == {"team": "data", "app": "checkout", "environment": "dev"}
    calls = [c.call for c in gcp.calls if c.call != "instances.aggregatedList"]
    assert calls[-3:] == ["instances.setLabels", "instances.get", "instances.setLabels"]
    assert [c.status for c in gcp.calls_to("instances.setLabels")] == [412, 200]


def test_a_label_the_other_writer_set_meanwhile_is_not_overwritten(
    gcp: FakeLabelsServer, make_clients: Make
):
    fake = gcp.add_instance("web-1", ZONE_B)
    found, writer = listed(make_clients)
    gcp.race_label_change(ZONE_B, "web-1", "owner", "bob_example_com")  # the creator, say

    (outcome,) = writer.write(
        [change(found[instance_id("web-1")], {"owner": "dave_example_com", "environment": "dev"})]
    )

    assert outcome.status == "done"
    assert "kept owner" in outcome.message
    assert fake.labels == {"owner": "bob_example_com", "environment": "dev"}


def test_labels_that_keep_changing_fail_that_resource_after_one_retry(
    gcp: FakeLabelsServer, make_clients: Make
):
    gcp.add_instance("web-1", ZONE_B)
    found, writer = listed(make_clients)
    gcp.fail("instances.setLabels", 412, times=None)

    (outcome,) = writer.write([change(found[instance_id("web-1")], {"environment": "dev"})])

    assert outcome.status == "failed"
    assert "412" in outcome.message
    assert len(gcp.calls_to("instances.setLabels")) == 2


def test_zonal_and_regional_disks_are_labelled_with_their_own_fingerprints(
    gcp: FakeLabelsServer, make_clients: Make
):
    data = gcp.add_disk("data", zone=ZONE_B, labels={"owner": "carol_example_com"})
    ha = gcp.add_disk("shared-ha", region="europe-west1")
    found, writer = listed(make_clients)
    gcp.race_labels("disk", "data", "backup", "daily")

    outcomes = writer.write(
        [
            change(found[DISK_ID], {"environment": "test"}),
            change(found[HA_ID], {"environment": "prod"}),
        ]
    )

    assert [o.status for o in outcomes] == ["done", "done"]
    assert data.labels == {"owner": "carol_example_com", "backup": "daily", "environment": "test"}
    assert ha.labels == {"environment": "prod"}
    assert [c.status for c in gcp.calls_to("disks.setLabels")] == [412, 200]
    assert [c.status for c in gcp.calls_to("regionDisks.setLabels")] == [200]


def test_bucket_labels_are_patched_on_the_metageneration_read(
    gcp: FakeLabelsServer, make_clients: Make
):
    fake = gcp.add_bucket("cw-logs", labels={"env": "prod", "team": "data"}, metageneration=3)
    found, writer = listed(make_clients)

    (outcome,) = writer.write([change(found[BUCKET_ID], {"environment": "prod"}, remove=("env",))])

    assert outcome.status == "done", outcome.message
    assert fake.labels == {"team": "data", "environment": "prod"}
    assert fake.metageneration == 4
    (patch,) = gcp.calls_to("buckets.patch")
    assert patch.query["ifMetagenerationMatch"] == ["3"]
    assert patch.body["labels"]["env"] is None, "a removed label is sent as null"


def test_a_stale_bucket_metageneration_rereads_once_and_keeps_the_other_writers_label(
    gcp: FakeLabelsServer, make_clients: Make
):
    fake = gcp.add_bucket("cw-logs")
    found, writer = listed(make_clients)
    gcp.race_labels("bucket", "cw-logs", "app", "billing")

    (outcome,) = writer.write([change(found[BUCKET_ID], {"costcenter": "cc-100"})])

    assert outcome.status == "done", outcome.message
    assert fake.labels == {"app": "billing", "costcenter": "cc-100"}
    patches = gcp.calls_to("buckets.patch")
    assert [(p.status, p.query["ifMetagenerationMatch"]) for p in patches] == [
        (412, ["1"]),
        (200, ["2"]),
    ]


@pytest.mark.parametrize(
    ("labels", "why"),
    [
        ({"Environment": "dev"}, "label key 'Environment'"),
        ({"owner": "alice@example.com"}, "owner='alice@example.com'"),
        ({"9lives": "x"}, "starting with a letter"),
        ({"k" * 64: "x"}, "at most 63"),
        ({"note": "v" * 64}, "at most 63"),
        ({f"k{i}": "x" for i in range(64)}, "65 labels exceed"),
    ],
)
def test_a_write_breaking_label_rules_fails_without_any_api_call(
    gcp: FakeLabelsServer, make_clients: Make, labels: dict[str, str], why: str
):
    gcp.add_instance("web-1", ZONE_B, labels={"team": "data"})
    found, writer = listed(make_clients)
    before = len(gcp.calls)

    (outcome,) = writer.write([change(found[instance_id("web-1")], labels)])

    assert outcome.status == "failed"
    assert "refused before writing" in outcome.message
    assert why in outcome.message
    assert gcp.calls[before:] == []


def test_one_failing_resource_does_not_stop_the_others(gcp: FakeLabelsServer, make_clients: Make):
    for name in ("web-1", "web-2", "web-3", "web-4"):
        gcp.add_instance(name, US)
    gcp.add_bucket("cw-logs")
    found, writer = listed(make_clients)
    gcp.fail("instances.setLabels", 403, times=None, instance="web-2")
    gcp.remove_instance(US, "web-4")
    wanted = {"environment": "dev"}

    outcomes = writer.write(
        [
            change(found[instance_id("web-1", US)], wanted),
            change(found[instance_id("web-2", US)], wanted),
            change(found[instance_id("web-3", US)], {"Bad": "x"}),
            change(found[instance_id("web-4", US)], wanted),
            change(found[BUCKET_ID], wanted),
        ]
    )

    assert [o.status for o in outcomes] == ["done", "failed", "failed", "failed", "done"]
    assert "403" in outcomes[1].message
    assert "no longer exists" in outcomes[3].message
    assert gcp.instance(US, "web-1").labels == wanted
    assert gcp.instance(US, "web-3").labels == {}
    assert gcp.bucket("cw-logs").labels == wanted


def test_a_throttled_label_write_is_retried(gcp: FakeLabelsServer, make_clients: Make):
    fake = gcp.add_instance("web-1", ZONE_B)
    found, writer = listed(make_clients)
    gcp.fail("instances.setLabels", 429)
    gcp.fail("buckets.patch", 503)
    gcp.add_bucket("cw-logs")
    bucket = GcpTagInventory(make_clients()).read([BUCKET_ID])[0]

    outcomes = writer.write(
        [
            change(found[instance_id("web-1")], {"environment": "dev"}),
            change(bucket, {"environment": "dev"}),
        ]
    )

    assert [o.status for o in outcomes] == ["done", "done"]
    assert fake.labels == {"environment": "dev"}
    assert [c.status for c in gcp.calls_to("instances.setLabels")] == [429, 200]
    assert [c.status for c in gcp.calls_to("buckets.patch")] == [503, 200]


def test_a_resource_given_without_fingerprint_is_read_before_writing(
    gcp: FakeLabelsServer, make_clients: Make
):
    fake = gcp.add_instance("web-1", ZONE_B, labels={"team": "data"})
    bare = TaggedResource("gcp", PROJECT, ZONE_B, instance_id("web-1"), "x", {"team": "data"})
    writer = GcpTagWriter(make_clients())

    (outcome,) = writer.write([change(replace(bare, fingerprint=None), {"environment": "dev"})])

    assert outcome.status == "done", outcome.message
    assert fake.labels == {"team": "data", "environment": "dev"}
    assert [c.call for c in gcp.calls] == ["instances.get", "instances.setLabels"]


def test_a_write_that_changes_nothing_makes_no_call(gcp: FakeLabelsServer, make_clients: Make):
    gcp.add_instance("web-1", ZONE_B, labels={"environment": "dev"})
    found, writer = listed(make_clients)

    (outcome,) = writer.write([change(found[instance_id("web-1")], {"environment": "dev"})])

    assert outcome.status == "done"
    assert gcp.calls_to("instances.setLabels") == []
