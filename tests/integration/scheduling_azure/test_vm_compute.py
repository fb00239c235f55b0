"""``AzureVmCompute`` with the real azure-mgmt-compute client against the fake ARM server."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from costwarden.adapters.azure.vm_compute import LAST_ACTION_TAG, AzureVmCompute
from costwarden.errors import CloudApiError
from costwarden.models.resource import Resource
from costwarden.plan.model import ActionKind, LastAction, PlannedAction
from fake_arm import FakeArm

from .conftest import SUBSCRIPTION

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 16, 18, 0, tzinfo=UTC)
MakeCompute = Callable[..., AzureVmCompute]
_ACTION_POSTS = r"/(deallocate|start|poweroff)$"


def _by_name(compute: AzureVmCompute) -> dict[str, Resource]:
    return {r.name: r for r in compute.list_resources()}


def _action(kind: ActionKind, resource: Resource) -> PlannedAction:
    return PlannedAction(kind, resource, rule="dev-nights", schedule="office-hours", reason="test")


def _run(compute: AzureVmCompute, kind: ActionKind, resource: Resource) -> tuple[str, str]:
    outcome = compute.execute(_action(kind, resource), record=LastAction(kind, NOW))
    return outcome.status, outcome.message


# -- inventory -----------------------------------------------------------------------------------
def test_listing_follows_next_link_across_three_pages(arm: FakeArm, make_compute: MakeCompute):
    arm.page_size = 4
    for index in range(10):
        arm.add_vm(f"vm-{index:02d}", subscription=SUBSCRIPTION)

    resources = make_compute().list_resources()

    assert sorted(r.name for r in resources) == [f"vm-{i:02d}" for i in range(10)]
    pages = arm.calls("GET", r"/providers/Microsoft.Compute/virtualMachines$")
    assert len(pages) == 3
    assert all(page.query["statusOnly"] == "true" for page in pages)
    assert [page.query.get("$skiptoken") for page in pages] == [None, "4", "8"]


@pytest.mark.parametrize(
    ("power", "state"),
    [
        ("running", "running"),
        ("deallocated", "stopped"),
        # powered off but still allocated: still billed, so it must count as running
        ("stopped", "running"),
        ("starting", "transitioning"),
        ("stopping", "transitioning"),
        ("deallocating", "transitioning"),
        (None, "unknown"),
        ("hibernated-someday", "unknown"),
    ],
)
def test_power_state_comes_from_the_instance_view_status(
    arm: FakeArm, make_compute: MakeCompute, power: str | None, state: str
):
    arm.add_vm("vm", subscription=SUBSCRIPTION, power=power)

    assert _by_name(make_compute())["vm"].state == state


def test_resource_carries_the_arm_id_location_size_tags_and_resource_group(
    arm: FakeArm, make_compute: MakeCompute
):
    vm = arm.add_vm(
        "build-agent",
        subscription=SUBSCRIPTION,
        resource_group="RG-CI",
        location="northeurope",
        size="Standard_B2ms",
        tags={"Environment": "dev", "team": "platform"},
    )

    resource = _by_name(make_compute())["build-agent"]

    assert resource.cloud == "azure"
    assert resource.account == SUBSCRIPTION
    assert resource.resource_type == "azure_vm"
    assert resource.resource_id == vm.id
    assert resource.region == "northeurope"
    assert resource.size == "Standard_B2ms"
    assert dict(resource.tags) == {"Environment": "dev", "team": "platform"}
    assert dict(resource.extra) == {"resource_group": "RG-CI"}


def test_scale_set_instances_are_left_out(arm: FakeArm, make_compute: MakeCompute):
    arm.add_vm("standalone", subscription=SUBSCRIPTION)
    arm.add_vm("vmss_1", subscription=SUBSCRIPTION, scale_set="web-vmss")

    assert set(_by_name(make_compute())) == {"standalone"}


def test_listing_only_sees_its_own_subscription(arm: FakeArm, make_compute: MakeCompute):
    arm.add_vm("mine", subscription=SUBSCRIPTION)
    arm.add_vm("theirs", subscription="22222222-2222-2222-2222-222222222222")

    assert set(_by_name(make_compute())) == {"mine"}


def test_throttled_listing_is_retried(arm: FakeArm, make_compute: MakeCompute):
    arm.add_vm("vm", subscription=SUBSCRIPTION)
    arm.fail("GET", r"/virtualMachines$", 429, times=2)

    assert set(_by_name(make_compute())) == {"vm"}
    assert [r.status for r in arm.calls("GET", r"/virtualMachines$")] == [429, 429, 200]


def test_listing_that_keeps_failing_raises_cloud_api_error_naming_the_call(
    arm: FakeArm, make_compute: MakeCompute
):
    arm.add_vm("vm", subscription=SUBSCRIPTION)
    arm.fail("GET", r"/virtualMachines$", 503, times=100, code="ServiceUnavailable")

    with pytest.raises(CloudApiError) as raised:
        make_compute(retry_total=2).list_resources()

    assert "VirtualMachines.list_all" in str(raised.value)
    assert SUBSCRIPTION in str(raised.value)
    assert "503" in str(raised.value)
    assert len(arm.calls("GET", r"/virtualMachines$")) == 3  # first try + 2 retries


# -- actions -------------------------------------------------------------------------------------
def test_deallocate_polls_the_operation_to_completion_when_asked(
    arm: FakeArm, make_compute: MakeCompute
):
    arm.lro_polls = 3
    arm.add_vm("vm", subscription=SUBSCRIPTION)
    compute = make_compute(lro_timeout=60)

    status, message = _run(compute, "deallocate", _by_name(compute)["vm"])

    assert (status, message) == ("done", "completed")
    assert arm.vm("vm").power == "deallocated"
    polls = [r for r in arm.calls("GET", r"/operations/") if "monitor" not in r.query]
    assert len(polls) == 3  # InProgress, InProgress, Succeeded
    assert [r.path.rsplit("/", 1)[1] for r in arm.calls("POST", _ACTION_POSTS)] == ["deallocate"]


def test_without_a_timeout_an_accepted_deallocate_is_pending_never_done(
    arm: FakeArm, make_compute: MakeCompute
):
    arm.add_vm("vm", subscription=SUBSCRIPTION)
    compute = make_compute()

    status, message = _run(compute, "deallocate", _by_name(compute)["vm"])

    assert (status, message) == ("pending", "accepted by ARM; completion not awaited")
    assert arm.vm("vm").power == "deallocating"
    assert arm.calls("GET", r"/operations/") == []
    assert arm.vm("vm").tags[LAST_ACTION_TAG] == "deallocate-20261116t180000z-pending"


def test_a_powered_off_vm_is_deallocated_never_powered_off(arm: FakeArm, make_compute: MakeCompute):
    arm.add_vm("vm", subscription=SUBSCRIPTION, power="stopped")
    compute = make_compute(lro_timeout=60)

    status, _ = _run(compute, "deallocate", _by_name(compute)["vm"])

    assert status == "done"
    assert arm.vm("vm").power == "deallocated"
    assert [r.path.rsplit("/", 1)[1] for r in arm.calls("POST", _ACTION_POSTS)] == ["deallocate"]


def test_start_starts_a_deallocated_vm_and_records_it(arm: FakeArm, make_compute: MakeCompute):
    arm.add_vm("vm", subscription=SUBSCRIPTION, power="deallocated")
    compute = make_compute(lro_timeout=60)

    status, _ = _run(compute, "start", _by_name(compute)["vm"])

    assert status == "done"
    assert arm.vm("vm").power == "running"
    assert arm.vm("vm").tags[LAST_ACTION_TAG] == "start-20261116t180000z"
    assert [r.path.rsplit("/", 1)[1] for r in arm.calls("POST", _ACTION_POSTS)] == ["start"]


def test_rerun_after_acceptance_changes_nothing_more(arm: FakeArm, make_compute: MakeCompute):
    arm.add_vm("vm", subscription=SUBSCRIPTION)
    compute = make_compute()
    resource = _by_name(compute)["vm"]

    first = _run(compute, "deallocate", resource)
    while_deallocating = _run(compute, "deallocate", resource)
    arm.settle()
    after_settling = _run(compute, "deallocate", resource)

    assert first == ("pending", "accepted by ARM; completion not awaited")
    assert while_deallocating == ("already", "already deallocating")
    assert after_settling == ("already", "already deallocated")
    assert len(arm.calls("POST", _ACTION_POSTS)) == 1
    assert len(arm.calls("PATCH", r"/tags/default$")) == 1


def test_a_vm_already_in_the_target_state_is_only_read(arm: FakeArm, make_compute: MakeCompute):
    arm.add_vm("vm", subscription=SUBSCRIPTION, power="running", tags={"team": "data"})
    compute = make_compute()

    assert _run(compute, "start", _by_name(compute)["vm"]) == ("already", "already running")
    assert arm.calls("POST", _ACTION_POSTS) == []
    assert arm.calls("PATCH", r"/tags/default$") == []
    assert arm.vm("vm").tags == {"team": "data"}


@pytest.mark.parametrize(("kind", "power"), [("deallocate", "starting"), ("start", "stopping")])
def test_a_vm_moving_elsewhere_is_left_for_the_next_run(
    arm: FakeArm, make_compute: MakeCompute, kind: ActionKind, power: str
):
    arm.add_vm("vm", subscription=SUBSCRIPTION, power="running")
    compute = make_compute()
    resource = _by_name(compute)["vm"]
    arm.vm("vm").power = power  # changed between planning and acting

    status, message = _run(compute, kind, resource)

    assert status == "failed"
    assert f"power state is {power}" in message
    assert arm.calls("POST", _ACTION_POSTS) == []


def test_one_refused_vm_does_not_stop_the_others(arm: FakeArm, make_compute: MakeCompute):
    for name in ("vm-a", "vm-b", "vm-c"):
        arm.add_vm(name, subscription=SUBSCRIPTION)
    arm.fail(
        "POST",
        r"/vm-b/deallocate$",
        409,
        code="OperationNotAllowed",
        message="Operation 'deallocate' is not allowed since the VM is marked for deletion.",
    )
    compute = make_compute(lro_timeout=60)
    resources = _by_name(compute)

    outcomes = {name: _run(compute, "deallocate", resources[name]) for name in sorted(resources)}

    assert outcomes["vm-a"] == ("done", "completed")
    assert outcomes["vm-c"] == ("done", "completed")
    status, message = outcomes["vm-b"]
    assert status == "failed"
    assert "HTTP 409 OperationNotAllowed" in message
    assert "marked for deletion" in message
    assert arm.vm("vm-b").power == "running"
    assert LAST_ACTION_TAG not in arm.vm("vm-b").tags
    assert LAST_ACTION_TAG in arm.vm("vm-c").tags


def test_an_operation_that_fails_after_acceptance_is_reported_with_its_arm_error(
    arm: FakeArm, make_compute: MakeCompute
):
    arm.add_vm("vm", subscription=SUBSCRIPTION, power="deallocated")
    arm.fail_operation("vm", "AllocationFailed", "Allocation failed: no capacity for the size.")
    compute = make_compute(lro_timeout=60)

    status, message = _run(compute, "start", _by_name(compute)["vm"])

    assert status == "failed"
    assert "AllocationFailed" in message
    assert "no capacity" in message
    assert LAST_ACTION_TAG not in arm.vm("vm").tags


def test_an_operation_still_running_at_the_cap_is_pending_and_recorded_so(
    arm: FakeArm, make_compute: MakeCompute
):
    arm.lro_polls = 10**9  # never finishes while anyone polls
    arm.add_vm("vm", subscription=SUBSCRIPTION)
    compute = make_compute(lro_timeout=0.2, polling_interval=0.02)

    status, message = _run(compute, "deallocate", _by_name(compute)["vm"])

    assert status == "pending"
    assert message == "accepted by ARM; still in progress after 0.2s"
    assert arm.vm("vm").tags[LAST_ACTION_TAG] == "deallocate-20261116t180000z-pending"


def test_execute_all_awaits_every_operation_against_one_deadline(
    arm: FakeArm, make_compute: MakeCompute
):
    arm.lro_polls = 3
    for name in ("vm-a", "vm-b", "vm-c"):
        arm.add_vm(name, subscription=SUBSCRIPTION, power="deallocated")
    arm.fail_operation("vm-b", "AllocationFailed", "Allocation failed: no capacity.")
    compute = make_compute(lro_timeout=60, polling_interval=0.01)
    resources = _by_name(compute)
    actions = [_action("start", resources[n]) for n in ("vm-a", "vm-b", "vm-c")]

    outcomes = compute.execute_all(actions, now=NOW)

    assert [o.status for o in outcomes] == ["done", "failed", "done"]
    assert "AllocationFailed" in outcomes[1].message
    assert arm.vm("vm-b").power == "deallocated"
    assert LAST_ACTION_TAG not in arm.vm("vm-b").tags
    assert arm.vm("vm-c").tags[LAST_ACTION_TAG] == "start-20261116t180000z"
    # Every start was sent before any was awaited (and so recorded): one wait, not three.
    posts = [r.at for r in arm.calls("POST", _ACTION_POSTS)]
    records = [r.at for r in arm.calls("PATCH", r"/tags/default$")]
    assert len(posts) == 3
    assert len(records) == 2
    assert max(posts) < min(records)


def test_a_throttled_deallocate_is_retried_after_the_retry_after_header(
    arm: FakeArm, make_compute: MakeCompute
):
    arm.add_vm("vm", subscription=SUBSCRIPTION)
    arm.fail("POST", r"/deallocate$", 429, retry_after=1)
    compute = make_compute()

    status, _ = _run(compute, "deallocate", _by_name(compute)["vm"])

    posts = arm.calls("POST", r"/deallocate$")
    assert status == "pending"
    assert [p.status for p in posts] == [429, 202]
    assert posts[1].at - posts[0].at >= 1.0


def test_a_deallocate_throttled_without_retry_after_is_retried_too(
    arm: FakeArm, make_compute: MakeCompute
):
    # azure-core retries a POST without Retry-After only on 500/503/504 unless told otherwise
    arm.add_vm("vm", subscription=SUBSCRIPTION)
    arm.fail("POST", r"/deallocate$", 429, times=2)
    arm.fail("PATCH", r"/tags/default$", 429)
    compute = make_compute()

    status, message = _run(compute, "deallocate", _by_name(compute)["vm"])

    assert (status, message) == ("pending", "accepted by ARM; completion not awaited")
    assert [p.status for p in arm.calls("POST", r"/deallocate$")] == [429, 429, 202]
    assert [p.status for p in arm.calls("PATCH", r"/tags/default$")] == [429, 200]


def test_the_last_action_tag_is_merged_keeping_every_other_tag(
    arm: FakeArm, make_compute: MakeCompute
):
    tags = {"Environment": "dev", "costwarden:schedule": "office-hours", "owner": "ana"}
    arm.add_vm("vm", subscription=SUBSCRIPTION, tags=dict(tags))
    compute = make_compute(lro_timeout=60)
    resource = _by_name(compute)["vm"]
    arm.vm("vm").tags["added-meanwhile"] = "yes"  # a person tags it after our listing

    _run(compute, "deallocate", resource)

    assert arm.vm("vm").tags == {
        **tags,
        "added-meanwhile": "yes",
        LAST_ACTION_TAG: "deallocate-20261116t180000z",
    }
    (patch,) = arm.calls("PATCH", r"/tags/default$")
    assert patch.query["api-version"] == "2021-04-01"


def test_a_failed_tag_write_keeps_the_accepted_change(arm: FakeArm, make_compute: MakeCompute):
    arm.add_vm("vm", subscription=SUBSCRIPTION)
    arm.fail(
        "PATCH",
        r"/tags/default$",
        403,
        code="AuthorizationFailed",
        message="no Microsoft.Resources/tags/write",
    )
    compute = make_compute(lro_timeout=60)

    status, message = _run(compute, "deallocate", _by_name(compute)["vm"])

    assert status == "done"
    assert "tag failed: HTTP 403 AuthorizationFailed" in message
    assert arm.vm("vm").power == "deallocated"


def test_a_vm_deleted_since_planning_fails_its_action(arm: FakeArm, make_compute: MakeCompute):
    arm.add_vm("vm", subscription=SUBSCRIPTION)
    compute = make_compute()
    resource = _by_name(compute)["vm"]
    gone = Resource(**{**_fields(resource), "resource_id": resource.resource_id + "-deleted"})

    status, message = _run(compute, "deallocate", gone)

    assert status == "failed"
    assert "HTTP 404 ResourceNotFound" in message


def test_an_action_azure_vms_do_not_have_fails_without_a_call(
    arm: FakeArm, make_compute: MakeCompute
):
    arm.add_vm("vm", subscription=SUBSCRIPTION)
    compute = make_compute()
    resource = _by_name(compute)["vm"]
    before = len(arm.requests)

    status, _ = _run(compute, "stop", resource)

    assert status == "failed"
    assert len(arm.requests) == before


def _fields(resource: Resource) -> dict[str, object]:
    return {name: getattr(resource, name) for name in Resource.__dataclass_fields__}
