"""``tagging.grace.action: stop`` on Google Cloud: the tag sweep with the real label adapters
and the scheduler's ``GceCompute`` (google-cloud-compute, REST) against the loopback fake. An
overdue instance ends TERMINATED; a protected one keeps running; labels are Google's."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from google.auth.credentials import AnonymousCredentials

from costwarden.adapters.gcp.gce_compute import GceCompute
from costwarden.adapters.gcp.tagging import GcpLabelClients, GcpTagInventory, GcpTagWriter
from costwarden.services.tag_grace import ComputePorts, stop_overdue
from costwarden.services.tag_remediation import TagRemediator, TagRunReport
from fake_gce import FakeLabelsServer
from grace_stop_support import MARKED, OVERDUE, grace_stop_policy
from integration.tagging_gcp.support import FAST, PROJECT, ZONE_B, instance_id

pytestmark = pytest.mark.integration
Make = Callable[..., GcpLabelClients]
POLICY = grace_stop_policy("gcp", '"compute.googleapis.com/Instance"', "[a-z0-9_-]+_example_com")


def sweep(gcp: FakeLabelsServer, make_clients: Make, now: datetime) -> TagRunReport:
    assert POLICY.tagging is not None
    clients = make_clients()
    remediator = TagRemediator(POLICY, POLICY.tagging, cloud="gcp")
    report = remediator.sweep(
        inventory=GcpTagInventory(clients), writer=GcpTagWriter(clients), now=now
    )

    def compute() -> ComputePorts:
        instances = GceCompute(
            PROJECT,
            credentials=AnonymousCredentials(),
            api_endpoint=gcp.base_url,
            retry=FAST,
            operation_polling=FAST,
        )
        return ComputePorts(instances, instances)

    report.grace = stop_overdue(
        report,
        policy=POLICY,
        rules=remediator.rules,
        compute=compute,
        cloud="gcp",
        now=now,
        dry_run=False,
    )
    return report


def test_an_overdue_instance_is_stopped_and_a_protected_one_keeps_running(
    gcp: FakeLabelsServer, make_clients: Make
) -> None:
    web = gcp.add_instance("web-1", ZONE_B)
    prod = gcp.add_instance("api-1", ZONE_B, labels={"environment": "prod"})
    first = sweep(gcp, make_clients, MARKED)
    assert first.grace is None
    assert "costwarden-tag-violation" in web.labels
    assert gcp.calls_to("instances.stop") == []

    report = sweep(gcp, make_clients, OVERDUE)
    assert web.status == "TERMINATED"
    assert prod.status == "RUNNING"
    assert len(gcp.calls_to("instances.stop")) == 1
    assert web.labels["costwarden-last-action"].startswith("stop-20261128t0900")
    assert report.grace is not None
    steps = report.grace.steps
    assert steps[instance_id("web-1")].status == "stopped"
    assert steps[instance_id("api-1")].status == "protected"

    again = sweep(gcp, make_clients, OVERDUE + timedelta(days=1))
    assert again.grace is not None
    assert again.grace.steps[instance_id("web-1")].status == "already_stopped"
    assert len(gcp.calls_to("instances.stop")) == 1, "no second stop"
