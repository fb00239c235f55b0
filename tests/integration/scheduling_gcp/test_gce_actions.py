"""GceCompute.execute: stop/start with operation polling, the last-action label, failures."""

from __future__ import annotations

from collections.abc import Callable

from costwarden.adapters.gcp.gce_compute import GceCompute
from costwarden.plan.model import LastAction
from costwarden.policy.scheduling import LAST_ACTION_TAG, cloud_tag_key
from fake_gce import FakeGcpServer
from integration.scheduling_gcp.gcp_support import NOW, SHORT, by_name, plan, record

Make = Callable[..., GceCompute]
LABEL = "costwarden-last-action"


def test_the_last_action_label_key_is_the_contract_mapping():
    assert cloud_tag_key("gcp", LAST_ACTION_TAG) == LABEL


def test_stop_polls_the_operation_until_done_then_labels_the_instance(
    gcp_server: FakeGcpServer, make_compute: Make
):
    gcp_server.operation_polls = 3
    gcp_server.add_instance("web", "europe-west1-b", labels={"env": "dev"})
    compute = make_compute()
    (web,) = compute.list_resources()

    outcome = compute.execute(plan(web, "stop"), record=record("stop"))

    assert outcome.status == "done", outcome.message
    fake = gcp_server.instance("europe-west1-b", "web")
    assert fake.status == "TERMINATED"
    assert fake.labels == {"env": "dev", LABEL: "stop-20261201t180000z"}
    assert LastAction.decode(fake.labels[LABEL]) == LastAction("stop", NOW)
    calls = [c.call for c in gcp_server.calls if c.call != "instances.aggregatedList"]
    # re-read, stop, polls until DONE (the third GET finishes it), then the label write
    assert calls[:5] == [
        "instances.get",
        "instances.stop",
        "zoneOperations.get",
        "zoneOperations.get",
        "zoneOperations.get",
    ]
    assert calls[5] == "instances.setLabels"
    assert calls.index("instances.setLabels") > calls.index("instances.stop")


def test_start_brings_a_terminated_instance_back(gcp_server: FakeGcpServer, make_compute: Make):
    gcp_server.add_instance("db", "us-central1-a", status="TERMINATED")
    compute = make_compute()
    (db,) = compute.list_resources()

    outcome = compute.execute(plan(db, "start"), record=record("start"))

    assert outcome.status == "done", outcome.message
    fake = gcp_server.instance("us-central1-a", "db")
    assert fake.status == "RUNNING"
    assert fake.labels[LABEL] == "start-20261201t180000z"


def test_start_resumes_a_suspended_instance(gcp_server: FakeGcpServer, make_compute: Make):
    gcp_server.add_instance("notebook", "us-central1-a", status="SUSPENDED")
    compute = make_compute()
    (notebook,) = compute.list_resources()

    outcome = compute.execute(plan(notebook, "start"), record=record("start"))

    assert outcome.status == "done", outcome.message
    assert gcp_server.instance("us-central1-a", "notebook").status == "RUNNING"
    assert gcp_server.calls_to("instances.resume")
    assert not gcp_server.calls_to("instances.start")


def test_rerunning_an_applied_plan_reports_already_and_changes_nothing(
    gcp_server: FakeGcpServer, make_compute: Make
):
    gcp_server.add_instance("web", "europe-west1-b")
    compute = make_compute()
    (web,) = compute.list_resources()
    assert compute.execute(plan(web), record=record()).status == "done"
    labels_after_first = dict(gcp_server.instance("europe-west1-b", "web").labels)
    mutations = len(
        gcp_server.calls_to("instances.stop") + gcp_server.calls_to("instances.setLabels")
    )

    again = compute.execute(plan(web), record=LastAction("stop", NOW.replace(hour=19)))

    assert again.status == "already"
    assert "TERMINATED" in again.message
    assert mutations == 2
    assert (
        len(gcp_server.calls_to("instances.stop") + gcp_server.calls_to("instances.setLabels")) == 2
    )
    assert gcp_server.instance("europe-west1-b", "web").labels == labels_after_first


def test_a_stale_label_fingerprint_is_reread_and_the_write_retried_once(
    gcp_server: FakeGcpServer, make_compute: Make
):
    gcp_server.add_instance("web", "europe-west1-b", labels={"env": "dev"})
    compute = make_compute()
    (web,) = compute.list_resources()
    gcp_server.race_label_change("europe-west1-b", "web", "owner", "alice")

    outcome = compute.execute(plan(web), record=record())

    assert outcome.status == "done", outcome.message
    assert [c.status for c in gcp_server.calls_to("instances.setLabels")] == [412, 200]
    # The other writer's label survives: the retry merged into the labels it re-read.
    assert gcp_server.instance("europe-west1-b", "web").labels == {
        "env": "dev",
        "owner": "alice",
        LABEL: "stop-20261201t180000z",
    }


def test_a_second_fingerprint_conflict_leaves_the_stop_done_but_says_the_label_is_missing(
    gcp_server: FakeGcpServer, make_compute: Make
):
    gcp_server.add_instance("web", "europe-west1-b")
    compute = make_compute()
    (web,) = compute.list_resources()
    gcp_server.fail("instances.setLabels", 412, times=2)

    outcome = compute.execute(plan(web), record=record())

    assert outcome.status == "done"
    assert f"recording {LABEL} failed" in outcome.message
    assert gcp_server.instance("europe-west1-b", "web").status == "TERMINATED"
    assert len(gcp_server.calls_to("instances.setLabels")) == 2  # retried once, not more


def test_one_refused_instance_does_not_stop_the_others(
    gcp_server: FakeGcpServer, make_compute: Make
):
    for name in ("a", "b", "c"):
        gcp_server.add_instance(name, "europe-west1-b")
    gcp_server.fail("instances.stop", 403, times=None, instance="b")
    compute = make_compute()
    resources = by_name(compute.list_resources())

    outcomes = {n: compute.execute(plan(resources[n]), record=record()) for n in "abc"}

    assert {n: o.status for n, o in outcomes.items()} == {"a": "done", "b": "failed", "c": "done"}
    assert "instances.stop(cw-dev/europe-west1-b/b)" in outcomes["b"].message
    assert "403" in outcomes["b"].message
    assert gcp_server.instance("europe-west1-b", "b").status == "RUNNING"
    assert LABEL not in gcp_server.instance("europe-west1-b", "b").labels
    assert gcp_server.instance("europe-west1-b", "c").status == "TERMINATED"


def test_an_operation_that_finishes_with_an_error_fails_and_writes_no_label(
    gcp_server: FakeGcpServer, make_compute: Make
):
    gcp_server.add_instance(
        "gpu",
        "europe-west1-b",
        status="TERMINATED",
        operation_error=(503, "ZONE_RESOURCE_POOL_EXHAUSTED"),
    )
    compute = make_compute()
    (gpu,) = compute.list_resources()

    outcome = compute.execute(plan(gpu, "start"), record=record("start"))

    assert outcome.status == "failed"
    assert "ZONE_RESOURCE_POOL_EXHAUSTED" in outcome.message
    assert gcp_server.instance("europe-west1-b", "gpu").status == "TERMINATED"
    assert not gcp_server.calls_to("instances.setLabels")


def test_an_operation_still_running_at_the_timeout_is_pending_and_recorded_so(
    gcp_server: FakeGcpServer, make_compute: Make
):
    gcp_server.operation_polls = 10_000
    gcp_server.add_instance("slow", "europe-west1-b")
    compute = make_compute(operation_timeout=0.05)
    (slow,) = compute.list_resources()

    outcome = compute.execute(plan(slow), record=record())

    assert outcome.status == "pending"
    assert "not DONE after 0.05s" in outcome.message
    label = gcp_server.instance("europe-west1-b", "slow").labels[LABEL]
    assert label.startswith("stop-")
    assert label.endswith("-pending")


def test_a_throttled_stop_is_retried(gcp_server: FakeGcpServer, make_compute: Make):
    gcp_server.add_instance("web", "europe-west1-b")
    gcp_server.fail("instances.stop", 429, times=1)
    compute = make_compute()
    (web,) = compute.list_resources()

    outcome = compute.execute(plan(web), record=record())

    assert outcome.status == "done", outcome.message
    assert [c.status for c in gcp_server.calls_to("instances.stop")] == [429, 200]


def test_a_reread_that_stays_unavailable_fails_that_action_only(
    gcp_server: FakeGcpServer, make_compute: Make
):
    gcp_server.add_instance("web", "europe-west1-b")
    compute = make_compute(retry=SHORT)
    (web,) = compute.list_resources()
    gcp_server.fail("instances.get", 503, times=None)

    outcome = compute.execute(plan(web), record=record())

    assert outcome.status == "failed"
    assert "instances.get(cw-dev/europe-west1-b/web)" in outcome.message
    assert not gcp_server.calls_to("instances.stop")


def test_an_instance_that_vanished_fails_with_not_found(
    gcp_server: FakeGcpServer, make_compute: Make
):
    gcp_server.add_instance("gone", "europe-west1-b")
    compute = make_compute()
    (gone,) = compute.list_resources()
    gcp_server.remove_instance("europe-west1-b", "gone")

    outcome = compute.execute(plan(gone), record=record())

    assert outcome.status == "failed"
    assert "404" in outcome.message


def test_an_instance_in_transition_is_left_for_the_next_run(
    gcp_server: FakeGcpServer, make_compute: Make
):
    gcp_server.add_instance("busy", "europe-west1-b", status="TERMINATED")
    compute = make_compute()
    (busy,) = compute.list_resources()
    gcp_server.instance("europe-west1-b", "busy").status = "REPAIRING"

    outcome = compute.execute(plan(busy, "start"), record=record("start"))

    assert outcome.status == "failed"
    assert "REPAIRING" in outcome.message
    assert not gcp_server.calls_to("instances.start")


def test_actions_other_than_stop_and_start_are_refused(
    gcp_server: FakeGcpServer, make_compute: Make
):
    gcp_server.add_instance("web", "europe-west1-b")
    compute = make_compute()
    (web,) = compute.list_resources()

    outcome = compute.execute(plan(web, "deallocate"), record=record("deallocate"))

    assert outcome.status == "failed"
    assert "cannot deallocate" in outcome.message
    assert not gcp_server.calls_to("instances.get")


def test_execute_all_sends_every_change_before_awaiting_and_a_failed_one_fails_alone(
    gcp_server: FakeGcpServer, make_compute: Make
):
    gcp_server.operation_polls = 2
    for name in ("a", "b", "c"):
        gcp_server.add_instance(
            name,
            "europe-west1-b",
            status="TERMINATED",
            operation_error=(503, "ZONE_RESOURCE_POOL_EXHAUSTED") if name == "b" else None,
        )
    compute = make_compute()
    instances = by_name(compute.list_resources())

    outcomes = compute.execute_all([plan(instances[n], "start") for n in "abc"], now=NOW)

    assert [o.status for o in outcomes] == ["done", "failed", "done"]
    assert "ZONE_RESOURCE_POOL_EXHAUSTED" in outcomes[1].message
    assert LABEL not in gcp_server.instance("europe-west1-b", "b").labels
    assert gcp_server.instance("europe-west1-b", "c").labels[LABEL] == "start-20261201t180000z"
    calls = [c.call for c in gcp_server.calls if c.call != "instances.aggregatedList"]
    # one deadline for the batch: every start is sent before the first operation is awaited
    last_start = max(i for i, c in enumerate(calls) if c == "instances.start")
    assert last_start < calls.index("zoneOperations.get")
