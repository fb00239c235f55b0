"""GcpTagInventory: listing instances, disks and buckets, re-reading, the project parent."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from costwarden.adapters.gcp.tagging import (
    BUCKET,
    DISK,
    INSTANCE,
    GcpLabelClients,
    GcpTagInventory,
)
from costwarden.errors import CloudApiError
from costwarden.ports_tagging import ParentTags
from fake_gce import FakeLabelsServer
from integration.tagging_gcp.support import PROJECT, SHORT, US, ZONE_B, ZONE_C, by_id, instance_id

pytestmark = pytest.mark.integration
Make = Callable[..., GcpLabelClients]


def estate(gcp: FakeLabelsServer) -> None:
    gcp.add_instance("web-1", ZONE_B, labels={"env": "dev"})
    gcp.add_instance("web-2", ZONE_B)
    gcp.add_instance("batch-1", ZONE_C, status="TERMINATED", labels={"team": "data"})
    gcp.add_instance("ml-1", US)
    gcp.add_instance("ml-2", US)
    gcp.add_disk("web-1", zone=ZONE_B, labels={"environment": "dev"})
    gcp.add_disk("scratch", zone=US)
    gcp.add_disk("shared-ha", region="europe-west1", labels={"costcenter": "cc-100"})
    gcp.add_bucket("cw-logs", location="EUROPE-WEST1", labels={"owner": "alice_example_com"})
    gcp.add_bucket("cw-exports", location="EU")
    gcp.add_bucket("cw-tmp", location="US")


def test_lists_instances_disks_and_buckets_of_every_zone_across_pages(
    gcp: FakeLabelsServer, make_clients: Make
):
    estate(gcp)
    found = by_id(GcpTagInventory(make_clients(page_size=2)).list_resources())

    assert set(found) == {
        instance_id("web-1"),
        instance_id("web-2"),
        instance_id("batch-1", ZONE_C),
        instance_id("ml-1", US),
        instance_id("ml-2", US),
        f"projects/{PROJECT}/zones/{ZONE_B}/disks/web-1",
        f"projects/{PROJECT}/zones/{US}/disks/scratch",
        f"projects/{PROJECT}/regions/europe-west1/disks/shared-ha",
        "projects/_/buckets/cw-logs",
        "projects/_/buckets/cw-exports",
        "projects/_/buckets/cw-tmp",
    }
    web = found[instance_id("web-1")]
    assert (web.cloud, web.account, web.region, web.resource_type) == (
        "gcp",
        PROJECT,
        ZONE_B,
        INSTANCE,
    )
    assert dict(web.tags) == {"env": "dev"}
    assert web.fingerprint == gcp.instance(ZONE_B, "web-1").label_fingerprint
    assert dict(found[instance_id("batch-1", ZONE_C)].tags) == {"team": "data"}, "stopped too"
    ha = found[f"projects/{PROJECT}/regions/europe-west1/disks/shared-ha"]
    assert (ha.resource_type, ha.region, dict(ha.tags)) == (
        DISK,
        "europe-west1",
        {"costcenter": "cc-100"},
    )
    assert ha.fingerprint == gcp.disk("shared-ha", region="europe-west1").label_fingerprint
    logs = found["projects/_/buckets/cw-logs"]
    assert (logs.resource_type, logs.region, logs.name) == (BUCKET, "europe-west1", "cw-logs")
    assert dict(logs.tags) == {"owner": "alice_example_com"}
    assert logs.fingerprint == "1", "a bucket's fingerprint is its metageneration"
    # five instances in pages of two, three disks, three buckets: every page followed
    assert len(gcp.calls_to("instances.aggregatedList")) == 3
    assert len(gcp.calls_to("disks.aggregatedList")) == 2
    assert len(gcp.calls_to("buckets.list")) == 2
    assert all(c.query["maxResults"] == ["2"] for c in gcp.calls_to("buckets.list"))
    assert "pageToken" in gcp.calls_to("disks.aggregatedList")[1].query


def test_an_empty_project_lists_nothing(make_clients: Make):
    assert GcpTagInventory(make_clients()).list_resources() == []


def test_read_returns_fresh_copies_and_leaves_missing_and_foreign_ones_out(
    gcp: FakeLabelsServer, make_clients: Make
):
    estate(gcp)
    inventory = GcpTagInventory(make_clients())
    gcp.instance(ZONE_B, "web-1").labels["owner"] = "bob_example_com"  # after any listing
    gcp.bucket("cw-logs").labels["team"] = "platform"
    gcp.bucket("cw-logs").metageneration = 4

    fresh = by_id(
        inventory.read(
            [
                instance_id("web-1"),
                instance_id("gone"),
                f"projects/{PROJECT}/regions/europe-west1/disks/shared-ha",
                "projects/_/buckets/cw-logs",
                "projects/_/buckets/no-such-bucket",
                instance_id("web-2", project="someone-else"),
                "not/a/resource/name",
            ]
        )
    )

    assert set(fresh) == {
        instance_id("web-1"),
        f"projects/{PROJECT}/regions/europe-west1/disks/shared-ha",
        "projects/_/buckets/cw-logs",
    }
    assert dict(fresh[instance_id("web-1")].tags) == {"env": "dev", "owner": "bob_example_com"}
    bucket = fresh["projects/_/buckets/cw-logs"]
    assert dict(bucket.tags) == {"owner": "alice_example_com", "team": "platform"}
    assert bucket.fingerprint == "4"
    assert not [c for c in gcp.calls if "someone-else" in c.path], "never asks another project"


def test_read_accepts_cloud_asset_names(gcp: FakeLabelsServer, make_clients: Make):
    gcp.add_disk("data", zone=ZONE_C)
    asset = f"//compute.googleapis.com/projects/{PROJECT}/zones/{ZONE_C}/disks/data"
    (disk,) = GcpTagInventory(make_clients()).read([asset])
    assert disk.resource_id == f"projects/{PROJECT}/zones/{ZONE_C}/disks/data"


def test_project_labels_are_the_parent_and_are_read_once_per_run(
    gcp: FakeLabelsServer, make_clients: Make
):
    estate(gcp)
    gcp.project_labels = {"environment": "prod", "costcenter": "cc-200"}
    inventory = GcpTagInventory(make_clients())
    resources = inventory.list_resources()

    parents = [inventory.parents(r) for r in resources]

    assert parents[0] == [
        ParentTags("project", PROJECT, {"environment": "prod", "costcenter": "cc-200"})
    ]
    assert all(p == parents[0] for p in parents)
    (call,) = gcp.calls_to("projects.get")
    assert call.path == f"/v3/projects/{PROJECT}"


def test_no_project_lookup_when_the_policy_names_no_parent(
    gcp: FakeLabelsServer, make_clients: Make
):
    gcp.add_instance("web-1", ZONE_B)
    inventory = GcpTagInventory(make_clients(), parent_kinds=())
    (web,) = inventory.list_resources()
    assert inventory.parents(web) == []
    assert gcp.calls_to("projects.get") == []


def test_a_refused_project_lookup_raises(gcp: FakeLabelsServer, make_clients: Make):
    gcp.add_instance("web-1", ZONE_B)
    gcp.fail("projects.get", 403)
    inventory = GcpTagInventory(make_clients())
    (web,) = inventory.list_resources()
    with pytest.raises(CloudApiError, match=r"projects\.get"):
        inventory.parents(web)


def test_throttled_and_failing_listings_are_retried(gcp: FakeLabelsServer, make_clients: Make):
    estate(gcp)
    gcp.fail("instances.aggregatedList", 429)
    gcp.fail("disks.aggregatedList", 503)
    gcp.fail("buckets.list", 429)

    found = GcpTagInventory(make_clients()).list_resources()

    assert len(found) == 11
    assert [c.status for c in gcp.calls_to("instances.aggregatedList")] == [429, 200]
    assert [c.status for c in gcp.calls_to("disks.aggregatedList")] == [503, 200]
    assert [c.status for c in gcp.calls_to("buckets.list")] == [429, 200]


@pytest.mark.parametrize(
    "call", ["instances.aggregatedList", "disks.aggregatedList", "buckets.list"]
)
def test_a_listing_that_stays_throttled_raises_instead_of_looking_empty(
    gcp: FakeLabelsServer, make_clients: Make, call: str
):
    estate(gcp)
    gcp.fail(call, 429, times=None)
    with pytest.raises(CloudApiError, match=call.replace(".", r"\.")):
        GcpTagInventory(make_clients(retry=SHORT)).list_resources()
    assert len(gcp.calls_to(call)) > 1, "retried before giving up"


def test_an_unreachable_zone_refuses_a_partial_listing(gcp: FakeLabelsServer, make_clients: Make):
    estate(gcp)
    gcp.unreachables = [f"zones/{US}"]
    with pytest.raises(CloudApiError, match="partial"):
        GcpTagInventory(make_clients()).list_resources()
