"""GceCompute.list_resources: google-cloud-compute (REST) against the loopback Compute API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from costwarden.adapters.gcp.gce_compute import GceCompute
from costwarden.errors import CloudApiError
from fake_gce import FakeGcpServer
from integration.scheduling_gcp.gcp_support import PROJECT, SHORT, by_name

Make = Callable[..., GceCompute]


def test_listing_walks_every_page_across_zones(gcp_server: FakeGcpServer, make_compute: Make):
    for index, zone in enumerate(["europe-west1-b", "europe-west1-c", "us-central1-a"] * 2):
        gcp_server.add_instance(f"vm-{index}", zone)
    gcp_server.add_instance("vm-6", "asia-east1-a")

    resources = make_compute(page_size=3).list_resources()

    assert sorted(r.name for r in resources) == [f"vm-{i}" for i in range(7)]
    pages = gcp_server.calls_to("instances.aggregatedList")
    assert len(pages) == 3
    assert [p.query.get("maxResults") for p in pages] == [["3"]] * 3
    assert "pageToken" not in pages[0].query
    assert all("pageToken" in p.query for p in pages[1:])
    assert {r.region for r in resources} == {
        "europe-west1-b",
        "europe-west1-c",
        "us-central1-a",
        "asia-east1-a",
    }


def test_an_instance_becomes_a_resource_with_zone_id_labels_and_start_time(
    gcp_server: FakeGcpServer, make_compute: Make
):
    fake = gcp_server.add_instance(
        "build-agent",
        "europe-west1-c",
        machine_type="n2-standard-4",
        labels={"env": "dev", "costwarden-schedule": "office-hours"},
        last_start="2026-11-30T06:58:12.345-08:00",
    )

    (resource,) = make_compute().list_resources()

    assert resource.cloud == "gcp"
    assert resource.account == PROJECT
    assert resource.region == "europe-west1-c"
    assert resource.resource_id == "europe-west1-c/build-agent"
    assert resource.resource_type == "gce_instance"
    assert resource.state == "running"
    assert resource.size == "n2-standard-4"
    assert dict(resource.tags) == {"env": "dev", "costwarden-schedule": "office-hours"}
    assert resource.started_at == datetime(2026, 11, 30, 14, 58, 12, 345000, tzinfo=UTC)
    assert resource.extra["instance_id"] == str(fake.id)


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("RUNNING", "running"),
        ("TERMINATED", "stopped"),
        ("STOPPED", "stopped"),
        ("SUSPENDED", "stopped"),
        ("PROVISIONING", "transitioning"),
        ("STAGING", "transitioning"),
        ("STOPPING", "transitioning"),
        ("SUSPENDING", "transitioning"),
        ("REPAIRING", "transitioning"),
        ("PENDING_STOP", "transitioning"),
        ("SOMETHING_NEW", "unknown"),
    ],
)
def test_instance_status_maps_to_power_state(
    gcp_server: FakeGcpServer, make_compute: Make, status: str, state: str
):
    gcp_server.add_instance("vm", "europe-west1-b", status=status)

    (resource,) = make_compute().list_resources()

    assert resource.state == state


def test_an_instance_that_never_started_has_no_start_time(
    gcp_server: FakeGcpServer, make_compute: Make
):
    gcp_server.add_instance("fresh", "europe-west1-b", status="TERMINATED", last_start=None)

    (resource,) = make_compute().list_resources()

    assert resource.started_at is None


def test_an_empty_project_lists_nothing(gcp_server: FakeGcpServer, make_compute: Make):
    assert make_compute().list_resources() == []
    assert len(gcp_server.calls_to("instances.aggregatedList")) == 1


def test_a_throttled_page_is_retried_and_the_listing_completes(
    gcp_server: FakeGcpServer, make_compute: Make
):
    for index in range(4):
        gcp_server.add_instance(f"vm-{index}", "europe-west1-b")
    gcp_server.fail("instances.aggregatedList", 429, times=2)

    resources = make_compute(page_size=2).list_resources()

    assert sorted(by_name(resources)) == ["vm-0", "vm-1", "vm-2", "vm-3"]
    statuses = [c.status for c in gcp_server.calls_to("instances.aggregatedList")]
    assert statuses == [429, 429, 200, 200]


def test_a_page_that_stays_unavailable_raises_instead_of_looking_empty(
    gcp_server: FakeGcpServer, make_compute: Make
):
    for index in range(4):
        gcp_server.add_instance(f"vm-{index}", "europe-west1-b")
    compute = make_compute(page_size=2, retry=SHORT)
    gcp_server.fail("instances.aggregatedList", 503, times=None)

    with pytest.raises(CloudApiError, match=r"instances\.aggregatedList\(project=cw-dev\)"):
        compute.list_resources()
    assert len(gcp_server.calls_to("instances.aggregatedList")) > 1  # it did retry


def test_unreachable_zones_fail_the_listing(gcp_server: FakeGcpServer, make_compute: Make):
    gcp_server.add_instance("vm", "europe-west1-b")
    gcp_server.unreachables = ["zones/us-central1-a"]

    with pytest.raises(CloudApiError, match="could not reach zones/us-central1-a"):
        make_compute().list_resources()


def test_an_unknown_project_is_an_error_not_an_empty_estate(gcp_server: FakeGcpServer):
    from google.auth.credentials import AnonymousCredentials

    compute = GceCompute(
        "someone-elses", credentials=AnonymousCredentials(), api_endpoint=gcp_server.base_url
    )

    with pytest.raises(CloudApiError, match="404"):
        compute.list_resources()
