"""AzureTagWriter with the real ResourceManagementClient against the fake Tags API."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from costwarden.adapters.azure.tagging import AzureTagInventory, AzureTagWriter
from costwarden.ports_tagging import TaggedResource, TagWrite
from fake_arm_tags import FakeResources
from integration.tagging_azure.conftest import OTHER_SUBSCRIPTION, STORAGE, SUBSCRIPTION, VM

pytestmark = pytest.mark.integration

MakeWriter = Callable[..., AzureTagWriter]
MakeInventory = Callable[..., AzureTagInventory]


def read_one(make_inventory: MakeInventory, resource_id: str) -> TaggedResource:
    [resource] = make_inventory().read([resource_id])
    return resource


def test_merge_adds_tags_and_keeps_one_a_person_added_after_the_read(
    arm: FakeResources, make_inventory: MakeInventory, make_writer: MakeWriter
) -> None:
    arm.add_group(SUBSCRIPTION, "rg-dev")
    vm = arm.add_resource(SUBSCRIPTION, "rg-dev", VM, "vm-1", tags={"Name": "build"})
    resource = read_one(make_inventory, vm.id)
    arm.set_tags(vm.id, {"Name": "build", "Team": "data"})  # raced with our write

    [outcome] = make_writer().write([TagWrite(resource, {"Environment": "dev"})])

    assert (outcome.status, outcome.message) == ("done", "")
    assert arm.tags_of(vm.id) == {"Name": "build", "Team": "data", "Environment": "dev"}
    [patch] = arm.tag_writes()
    assert patch.body == {"operation": "Merge", "properties": {"tags": {"Environment": "dev"}}}


def test_delete_removes_only_the_alias_and_only_after_the_merge(
    arm: FakeResources, make_inventory: MakeInventory, make_writer: MakeWriter
) -> None:
    arm.add_group(SUBSCRIPTION, "rg-dev")
    vm = arm.add_resource(
        SUBSCRIPTION, "rg-dev", VM, "vm-1", tags={"env": "dev", "Owner": "a@example.com"}
    )
    resource = read_one(make_inventory, vm.id)

    [outcome] = make_writer().write([TagWrite(resource, {"Environment": "dev"}, ("env",))])

    assert outcome.status == "done"
    assert arm.tags_of(vm.id) == {"Environment": "dev", "Owner": "a@example.com"}
    assert [p.body["operation"] for p in arm.tag_writes()] == ["Merge", "Delete"]
    assert arm.tag_writes()[1].body["properties"]["tags"] == {"env": "dev"}


def test_an_alias_whose_value_changed_since_the_read_is_kept(
    arm: FakeResources, make_inventory: MakeInventory, make_writer: MakeWriter
) -> None:
    arm.add_group(SUBSCRIPTION, "rg-dev")
    vm = arm.add_resource(SUBSCRIPTION, "rg-dev", VM, "vm-1", tags={"env": "dev"})
    resource = read_one(make_inventory, vm.id)
    arm.set_tags(vm.id, {"env": "test"})  # a person changed it in the meantime

    [outcome] = make_writer().write([TagWrite(resource, {"Environment": "dev"}, ("env",))])

    assert outcome.status == "done"
    assert arm.tags_of(vm.id) == {"env": "test", "Environment": "dev"}


def test_a_key_in_another_casing_is_renamed_not_duplicated_or_deleted(
    arm: FakeResources, make_inventory: MakeInventory, make_writer: MakeWriter
) -> None:
    arm.add_group(SUBSCRIPTION, "rg-dev")
    vm = arm.add_resource(
        SUBSCRIPTION, "rg-dev", VM, "vm-1", tags={"environment": "Dev", "Owner": "a@example.com"}
    )
    resource = read_one(make_inventory, vm.id)
    arm.set_tags(vm.id, {**arm.tags_of(vm.id), "Team": "data"})

    # What the engine asks for a case-variant key with remove_aliases on: on ARM both names
    # are one tag, so a Merge would keep "environment" and the Delete would then drop it.
    [outcome] = make_writer().write([TagWrite(resource, {"Environment": "dev"}, ("environment",))])

    assert outcome.status == "done"
    assert arm.tags_of(vm.id) == {"Environment": "dev", "Owner": "a@example.com", "Team": "data"}
    [write] = arm.tag_writes()
    assert write.body["operation"] == "Replace"


def test_a_throttled_write_waits_for_retry_after_and_lands(
    arm: FakeResources, make_inventory: MakeInventory, make_writer: MakeWriter
) -> None:
    arm.add_group(SUBSCRIPTION, "rg-dev")
    vm = arm.add_resource(SUBSCRIPTION, "rg-dev", VM, "vm-1")
    resource = read_one(make_inventory, vm.id)
    arm.fail("PATCH", r"/tags/default$", 429, retry_after=1)

    [outcome] = make_writer().write([TagWrite(resource, {"Environment": "dev"})])

    assert outcome.status == "done"
    assert arm.tags_of(vm.id) == {"Environment": "dev"}
    throttled, landed = arm.tag_writes()
    assert (throttled.status, landed.status) == (429, 200)
    assert landed.at - throttled.at >= 0.9, "Retry-After: 1 was honoured"


def test_one_refused_resource_fails_alone_with_the_arm_error_code(
    arm: FakeResources, make_inventory: MakeInventory, make_writer: MakeWriter
) -> None:
    arm.add_group(SUBSCRIPTION, "rg-dev")
    names = [f"vm-{i}" for i in range(12)]
    for name in names:
        arm.add_resource(SUBSCRIPTION, "rg-dev", VM, name)
    locked = arm.add_resource(SUBSCRIPTION, "rg-dev", STORAGE, "stlocked")
    denied = arm.add_resource(SUBSCRIPTION, "rg-dev", STORAGE, "stdenied")
    resources = make_inventory().list_resources()
    arm.fail("PATCH", r"/stlocked/providers/", 409, code="ScopeLocked", message="locked")
    arm.fail("PATCH", r"/stdenied/providers/", 403, message="no tags/write here")

    outcomes = make_writer().write([TagWrite(r, {"CostCenter": "cc-100"}) for r in resources])

    by_name = {o.write.resource.name: o for o in outcomes}
    assert [o.write.resource for o in outcomes] == resources, "one outcome per write, in order"
    assert by_name["stlocked"].status == "failed"
    assert "409 ScopeLocked" in by_name["stlocked"].message
    assert by_name["stdenied"].status == "failed"
    assert "403 AuthorizationFailed" in by_name["stdenied"].message
    assert arm.tags_of(locked.id) == {}
    assert arm.tags_of(denied.id) == {}
    done = [o for o in outcomes if o.status == "done"]
    assert len(done) == len(resources) - 2
    for outcome in done:
        assert arm.tags_of(outcome.write.resource.resource_id) == {"CostCenter": "cc-100"}


def test_an_alias_delete_failing_after_the_merge_reports_what_landed(
    arm: FakeResources, make_inventory: MakeInventory, make_writer: MakeWriter
) -> None:
    arm.add_group(SUBSCRIPTION, "rg-dev")
    vm = arm.add_resource(SUBSCRIPTION, "rg-dev", VM, "vm-1", tags={"env": "dev"})
    resource = read_one(make_inventory, vm.id)
    arm.fail("PATCH", r"/tags/default$", 403, operation="Delete")

    [outcome] = make_writer().write([TagWrite(resource, {"Environment": "dev"}, ("env",))])

    assert outcome.status == "failed"
    assert outcome.message.startswith("tags set; deleting env failed: HTTP 403")
    assert arm.tags_of(vm.id) == {"env": "dev", "Environment": "dev"}


def test_a_failed_merge_deletes_no_alias(
    arm: FakeResources, make_inventory: MakeInventory, make_writer: MakeWriter
) -> None:
    arm.add_group(SUBSCRIPTION, "rg-dev")
    vm = arm.add_resource(SUBSCRIPTION, "rg-dev", VM, "vm-1", tags={"env": "dev"})
    resource = read_one(make_inventory, vm.id)
    arm.fail("PATCH", r"/tags/default$", 409, code="ScopeLocked", operation="Merge")

    [outcome] = make_writer().write([TagWrite(resource, {"Environment": "dev"}, ("env",))])

    assert outcome.status == "failed"
    assert "ScopeLocked" in outcome.message
    assert arm.tags_of(vm.id) == {"env": "dev"}
    assert [p.body["operation"] for p in arm.tag_writes()] == ["Merge"]


@pytest.mark.parametrize(
    ("tags", "to_set", "reason"),
    [
        ({f"k{i}": "v" for i in range(49)}, {"Environment": "dev", "Owner": "a"}, "51 tags"),
        ({}, {"Cost/Center": "cc-100"}, "cannot contain /"),
        ({}, {"a" * 513: "x"}, "longer than 512"),
        ({}, {"Owner": "x" * 257}, "longer than 256"),
    ],
)
def test_a_write_over_azure_limits_fails_without_a_call(
    arm: FakeResources,
    make_inventory: MakeInventory,
    make_writer: MakeWriter,
    tags: dict[str, str],
    to_set: dict[str, str],
    reason: str,
) -> None:
    arm.add_group(SUBSCRIPTION, "rg-dev")
    vm = arm.add_resource(SUBSCRIPTION, "rg-dev", VM, "vm-1", tags=tags)
    resource = read_one(make_inventory, vm.id)

    [outcome] = make_writer().write([TagWrite(resource, to_set)])

    assert outcome.status == "failed"
    assert reason in outcome.message
    assert "not sent to ARM" in outcome.message
    assert arm.tag_writes() == []
    assert arm.tags_of(vm.id) == tags


def test_a_write_that_fits_only_once_the_alias_is_gone_is_one_replace(
    arm: FakeResources, make_inventory: MakeInventory, make_writer: MakeWriter
) -> None:
    arm.add_group(SUBSCRIPTION, "rg-dev")
    tags = {f"k{i}": "v" for i in range(49)} | {"env": "dev"}
    vm = arm.add_resource(SUBSCRIPTION, "rg-dev", VM, "vm-1", tags=tags)
    resource = read_one(make_inventory, vm.id)

    # 50 tags before and after, but 51 between a Merge and a Delete: ARM checks the result
    # of each operation, so that pair would be refused.
    [outcome] = make_writer().write([TagWrite(resource, {"Environment": "dev"}, ("env",))])

    assert outcome.status == "done"
    assert arm.tags_of(vm.id) == {f"k{i}": "v" for i in range(49)} | {"Environment": "dev"}
    assert [p.body["operation"] for p in arm.tag_writes()] == ["Replace"]


def test_writes_outside_the_subscription_fail_without_a_call(
    arm: FakeResources, make_writer: MakeWriter
) -> None:
    foreign = TaggedResource(
        "azure",
        OTHER_SUBSCRIPTION,
        "westeurope",
        f"/subscriptions/{OTHER_SUBSCRIPTION}/resourceGroups/rg/providers/{VM}/vm",
        VM,
    )

    [outcome] = make_writer().write([TagWrite(foreign, {"Environment": "dev"})])

    assert outcome.status == "failed"
    assert SUBSCRIPTION in outcome.message
    assert arm.requests == []
