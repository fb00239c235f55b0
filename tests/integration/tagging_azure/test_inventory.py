"""AzureTagInventory with the real ResourceManagementClient against the fake Resources API."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from costwarden.adapters.azure.tagging import GROUP_TYPE, AzureTagInventory, parse_arm_id
from costwarden.errors import CloudApiError
from costwarden.ports_tagging import ParentTags
from fake_arm_tags import FakeResources
from integration.tagging_azure.conftest import (
    DISK,
    OTHER_SUBSCRIPTION,
    STORAGE,
    SUBSCRIPTION,
    VM,
)

pytestmark = pytest.mark.integration

Make = Callable[..., AzureTagInventory]


def test_listing_pages_through_every_resource_and_includes_resource_groups(
    arm: FakeResources, make_inventory: Make
) -> None:
    arm.page_size = 2
    dev = arm.add_group(SUBSCRIPTION, "rg-dev", tags={"Environment": "dev"})
    data = arm.add_group(SUBSCRIPTION, "rg-data", location="northeurope")
    arm.add_group(OTHER_SUBSCRIPTION, "rg-elsewhere")
    vm = arm.add_resource(SUBSCRIPTION, "rg-dev", VM, "vm-1", tags={"Owner": "a@example.com"})
    arm.add_resource(SUBSCRIPTION, "rg-dev", VM, "vm-2")
    arm.add_resource(SUBSCRIPTION, "rg-dev", DISK, "vm-1-os")
    arm.add_resource(SUBSCRIPTION, "rg-data", STORAGE, "stdata", location="northeurope")
    arm.add_resource(SUBSCRIPTION, "rg-data", STORAGE, "stlogs", kind="StorageV2")
    arm.add_resource(OTHER_SUBSCRIPTION, "rg-elsewhere", VM, "not-mine")

    listed = make_inventory().list_resources()

    assert len(arm.calls("GET", r"/resources$")) == 3, "5 resources at 2 a page"
    assert {r.name for r in listed} == {
        "rg-dev",
        "rg-data",
        "vm-1",
        "vm-2",
        "vm-1-os",
        "stdata",
        "stlogs",
    }
    by_id = {r.resource_id: r for r in listed}
    group = by_id[dev.id]
    assert (group.resource_type, group.tags, group.region) == (
        GROUP_TYPE,
        {"Environment": "dev"},
        "westeurope",
    )
    assert by_id[data.id].tags == {}
    first = by_id[vm.id]
    assert (first.cloud, first.account) == ("azure", SUBSCRIPTION)
    assert (first.resource_type, first.region) == (VM, "westeurope")
    assert first.tags == {"Owner": "a@example.com"}
    assert first.extra == {"resource_group": "rg-dev"}
    storage = next(r for r in listed if r.name == "stdata")
    assert (storage.resource_type, storage.region) == (STORAGE, "northeurope")
    assert storage.extra["resource_group"] == "rg-data"


def test_a_listing_that_keeps_failing_raises_naming_the_call(
    arm: FakeResources, make_inventory: Make
) -> None:
    arm.add_group(SUBSCRIPTION, "rg-dev")
    arm.fail("GET", r"/subscriptions/[^/]+/resources$", 503, times=10)

    with pytest.raises(CloudApiError, match=r"Resources\.list .*503"):
        make_inventory().list_resources()
    assert len(arm.calls("GET", r"/resources$")) == 4, "azure-core retried 3 times"


def test_a_throttled_listing_is_retried_and_completes(
    arm: FakeResources, make_inventory: Make
) -> None:
    arm.page_size = 1
    arm.add_group(SUBSCRIPTION, "rg-dev")
    arm.add_resource(SUBSCRIPTION, "rg-dev", VM, "vm-1")
    arm.add_resource(SUBSCRIPTION, "rg-dev", VM, "vm-2")
    arm.fail("GET", r"/resources$", 429, retry_after=0, times=2)

    assert {r.name for r in make_inventory().list_resources()} == {"rg-dev", "vm-1", "vm-2"}


def test_read_returns_fresh_tags_and_leaves_out_missing_resources(
    arm: FakeResources, make_inventory: Make
) -> None:
    group = arm.add_group(SUBSCRIPTION, "rg-dev", tags={"Environment": "dev"})
    vm = arm.add_resource(SUBSCRIPTION, "rg-dev", VM, "vm-1", location="eastus")
    gone = arm.add_resource(SUBSCRIPTION, "rg-dev", VM, "vm-gone")
    inventory = make_inventory()
    inventory.list_resources()
    arm.set_tags(vm.id, {"Owner": "someone@example.com"})  # the creator tagged it since
    arm.delete(gone.id)

    fresh = inventory.read([vm.id, gone.id, group.id, f"{group.id}-missing"])

    assert [r.resource_id for r in fresh] == [vm.id, group.id]
    machine, rg = fresh
    assert machine.tags == {"Owner": "someone@example.com"}
    assert (machine.resource_type, machine.region, machine.name) == (VM, "eastus", "vm-1")
    assert machine.extra == {"resource_group": "rg-dev"}
    assert (rg.resource_type, rg.tags) == (GROUP_TYPE, {"Environment": "dev"})


def test_read_of_an_id_spelled_in_another_case_gives_the_canonical_type_and_id(
    arm: FakeResources, make_inventory: Make
) -> None:
    arm.add_group(SUBSCRIPTION, "rg-dev")
    vm = arm.add_resource(SUBSCRIPTION, "rg-dev", VM, "vm-1", tags={"env": "dev"})

    [fresh] = make_inventory().read([vm.id.lower()])

    # Policies glob on types case-sensitively: the type must be ARM's own spelling.
    assert (fresh.resource_id, fresh.resource_type) == (vm.id, VM)
    assert fresh.tags == {"env": "dev"}


def test_read_leaves_out_ids_of_other_subscriptions_and_non_arm_ids_without_a_call(
    arm: FakeResources, make_inventory: Make
) -> None:
    arm.add_group(OTHER_SUBSCRIPTION, "rg-x")
    other = arm.add_resource(OTHER_SUBSCRIPTION, "rg-x", VM, "vm-x")

    assert make_inventory().read([other.id, "i-0123456789abcdef0", "/subscriptions"]) == []
    assert arm.requests == []


def test_a_failing_read_raises_instead_of_looking_gone(
    arm: FakeResources, make_inventory: Make
) -> None:
    arm.add_group(SUBSCRIPTION, "rg-dev")
    vm = arm.add_resource(SUBSCRIPTION, "rg-dev", VM, "vm-1")
    arm.fail("GET", r"/tags/default$", 403)

    with pytest.raises(CloudApiError, match=r"Tags\.get_at_scope.*403 AuthorizationFailed"):
        make_inventory().read([vm.id])


def test_parents_are_the_resource_group_looked_up_once_per_run(
    arm: FakeResources, make_inventory: Make
) -> None:
    arm.add_group(SUBSCRIPTION, "rg-dev", tags={"Environment": "dev", "CostCenter": "cc-200"})
    first = arm.add_resource(SUBSCRIPTION, "rg-dev", VM, "vm-1")
    second = arm.add_resource(SUBSCRIPTION, "rg-dev", DISK, "disk-1")
    inventory = make_inventory()
    resources = inventory.read([first.id, second.id])
    assert arm.calls("GET", r"/resourcegroups/rg-dev$") == []

    parents = [inventory.parents(r) for r in resources]

    expected = ParentTags(
        "resource_group", "rg-dev", {"Environment": "dev", "CostCenter": "cc-200"}
    )
    assert parents == [[expected], [expected]]
    assert len(arm.calls("GET", r"/resourcegroups/rg-dev$")) == 1


def test_listing_answers_parent_lookups_without_more_calls_and_groups_have_none(
    arm: FakeResources, make_inventory: Make
) -> None:
    arm.add_group(SUBSCRIPTION, "rg-dev", tags={"Environment": "dev"})
    arm.add_resource(SUBSCRIPTION, "rg-dev", VM, "vm-1")
    inventory = make_inventory()
    listed = {r.resource_type: r for r in inventory.list_resources()}
    before = len(arm.requests)

    assert inventory.parents(listed[VM]) == [
        ParentTags("resource_group", "rg-dev", {"Environment": "dev"})
    ]
    assert inventory.parents(listed[GROUP_TYPE]) == []
    assert len(arm.requests) == before


def test_parent_kinds_the_policy_leaves_out_are_not_looked_up(
    arm: FakeResources, make_inventory: Make
) -> None:
    arm.add_group(SUBSCRIPTION, "rg-dev", tags={"Environment": "dev"})
    vm = arm.add_resource(SUBSCRIPTION, "rg-dev", VM, "vm-1")
    inventory = make_inventory(parent_kinds=())
    [resource] = inventory.read([vm.id])
    before = len(arm.requests)

    assert inventory.parents(resource) == []
    assert len(arm.requests) == before


def test_a_deleted_resource_group_has_no_parent_tags(
    arm: FakeResources, make_inventory: Make
) -> None:
    group = arm.add_group(SUBSCRIPTION, "rg-dev", tags={"Environment": "dev"})
    vm = arm.add_resource(SUBSCRIPTION, "rg-dev", VM, "vm-1")
    inventory = make_inventory()
    [resource] = inventory.read([vm.id])
    arm.delete(group.id)

    assert inventory.parents(resource) == []
    assert inventory.parents(resource) == []
    assert len(arm.calls("GET", r"/resourcegroups/rg-dev$")) == 1, "a 404 is remembered too"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/subscriptions/s/resourceGroups/rg", ("s", "rg", GROUP_TYPE, "rg")),
        (
            "/subscriptions/s/resourcegroups/rg/providers/Microsoft.Sql/servers/db1/databases/d",
            ("s", "rg", "Microsoft.Sql/servers/databases", "d"),
        ),
        (
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm"
            "/providers/Microsoft.Insights/diagnosticSettings/ds",
            ("s", "rg", "Microsoft.Insights/diagnosticSettings", "ds"),
        ),
        ("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines", None),
        ("arn:aws:ec2:eu-west-1:123456789012:instance/i-1", None),
    ],
)
def test_arm_ids_are_parsed_into_subscription_group_type_and_name(
    value: str, expected: tuple[str, str, str, str] | None
) -> None:
    parsed = parse_arm_id(value)
    got = (
        None
        if parsed is None
        else (
            parsed.subscription,
            parsed.resource_group,
            parsed.resource_type,
            parsed.name,
        )
    )
    assert got == expected
