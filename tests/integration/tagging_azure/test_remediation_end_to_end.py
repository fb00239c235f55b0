"""TagRemediator on Azure end to end: the real service, the real ResourceManagementClient, the
fake Resources/Tags API, and the Event Grid samples in ``events/azure/``."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from costwarden.adapters.azure.tagging import GROUP_TYPE, AzureTagInventory, AzureTagWriter
from costwarden.normalize.resource_change import parse_resource_change
from costwarden.policy.loader import load_policy_text
from costwarden.policy.tagging import TaggingSection
from costwarden.services.tag_remediation import TagRemediator
from costwarden.tagging.marks import mark_deadline
from fake_arm_tags import FakeResources
from integration.tagging_azure.conftest import DISK, STORAGE, SUBSCRIPTION, VM

pytestmark = pytest.mark.integration

EVENTS = Path(__file__).resolve().parents[3] / "events"
NOW = datetime(2026, 11, 27, 9, 25, tzinfo=UTC)
MARK = "costwarden:tag-violation"
POLICY = load_policy_text(
    """
version: 1
slack: {default_channel: "#finops"}
teams:
  platform: {slack_channel: "#platform"}
"""
)
SECTION = TaggingSection.model_validate(
    {
        "clouds": ["azure"],
        "required": {
            "Environment": {"aliases": ["env"], "values": ["dev", "test", "prod"]},
            "Owner": {"pattern": r"[^@ ]+@example\.com", "infer": ["creator"]},
            "CostCenter": {"pattern": r"cc-[0-9]{3}"},
        },
        "owner_key": "Owner",
        "remove_aliases": True,
        "defaults": [
            {"clouds": ["azure"], "accounts": [SUBSCRIPTION], "tags": {"CostCenter": "cc-100"}}
        ],
        "grace": {"days": 7, "action": "notify"},
        "team": "platform",
    }
)
MakeInventory = Callable[..., AzureTagInventory]
MakeWriter = Callable[..., AzureTagWriter]


def remediator() -> TagRemediator:
    return TagRemediator(POLICY, SECTION, cloud="azure")


def event(name: str) -> object:
    return json.loads((EVENTS / "azure" / name).read_text())


def test_a_sweep_writes_inferred_tags_and_a_second_sweep_writes_nothing(
    arm: FakeResources, make_inventory: MakeInventory, make_writer: MakeWriter
) -> None:
    arm.page_size = 2
    dev = arm.add_group(SUBSCRIPTION, "rg-dev", tags={"Environment": "dev"})
    prod = arm.add_group(SUBSCRIPTION, "rg-prod", tags={"env": "prod", "Owner": "ops@example.com"})
    build = arm.add_resource(SUBSCRIPTION, "rg-dev", VM, "vm-build-02")
    disk = arm.add_resource(
        SUBSCRIPTION, "rg-dev", DISK, "vm-build-02-os", tags={"Owner": "dev@example.com"}
    )
    storage = arm.add_resource(
        SUBSCRIPTION, "rg-prod", STORAGE, "stprod", tags={"env": "Prod", "Team": "data"}
    )
    done = {"Environment": "test", "Owner": "a@example.com", "CostCenter": "cc-300"}
    compliant = arm.add_resource(SUBSCRIPTION, "rg-prod", VM, "vm-ok", tags=done)
    writer = make_writer()

    report = remediator().sweep(inventory=make_inventory(), writer=writer, now=NOW)

    assert report.checked == 6
    assert report.compliant == 1
    assert report.failed == []
    due = NOW.date() + timedelta(days=7)
    # Environment from the resource group, CostCenter from the defaults, Owner unknowable:
    # marked with the deadline.
    vm_tags = arm.tags_of(build.id)
    assert {k: v for k, v in vm_tags.items() if k != MARK} == {
        "Environment": "dev",
        "CostCenter": "cc-100",
    }
    assert mark_deadline(vm_tags[MARK]) == due
    assert "Owner" in vm_tags[MARK]
    assert arm.tags_of(disk.id) == {
        "Owner": "dev@example.com",
        "Environment": "dev",
        "CostCenter": "cc-100",
    }
    # the alias moved to the canonical key (parent-independent), normalized, and removed
    assert arm.tags_of(storage.id) == {
        "Team": "data",
        "Environment": "prod",
        "CostCenter": "cc-100",
        MARK: vm_tags[MARK],
    }
    # resource groups are remediated too
    assert arm.tags_of(prod.id) == {
        "Owner": "ops@example.com",
        "Environment": "prod",
        "CostCenter": "cc-100",
    }
    assert arm.tags_of(dev.id)["CostCenter"] == "cc-100"
    assert arm.tags_of(compliant.id) == done
    assert {v.resource.resource_type for v in report.fixed} >= {GROUP_TYPE, VM, DISK, STORAGE}
    writes = len(arm.tag_writes())
    assert writes > 0

    again = remediator().sweep(inventory=make_inventory(), writer=writer, now=NOW)

    assert len(arm.tag_writes()) == writes, "the second sweep sent no PATCH or PUT"
    assert again.fixed == []
    assert {v.resource.resource_id for v in again.violating} == {build.id, storage.id, dev.id}


def test_a_creation_event_tags_the_vm_with_its_creator_and_the_rest_by_inference(
    arm: FakeResources, make_inventory: MakeInventory, make_writer: MakeWriter
) -> None:
    arm.add_group(SUBSCRIPTION, "rg-dev", location="westeurope", tags={"Environment": "dev"})
    vm = arm.add_resource(SUBSCRIPTION, "rg-dev", VM, "vm-build-01", tags={"Name": "build"})
    [change] = parse_resource_change(event("resource_write_vm.json"))
    assert change.resource_ids == (vm.id,)

    report = remediator().on_change(
        change, inventory=make_inventory(), writer=make_writer(), now=NOW
    )

    assert arm.tags_of(vm.id) == {
        "Name": "build",
        "Owner": "carol@example.com",
        "Environment": "dev",
        "CostCenter": "cc-100",
    }
    [verdict] = report.fixed
    assert verdict.resource.region == "westeurope"
    assert verdict.change.sources["Owner"].startswith("creator")
    [patch] = arm.tag_writes()
    assert patch.body["operation"] == "Merge"


def test_a_tag_the_creator_added_before_the_re_read_wins(
    arm: FakeResources, make_inventory: MakeInventory, make_writer: MakeWriter
) -> None:
    arm.add_group(SUBSCRIPTION, "rg-dev", tags={"Environment": "dev"})
    vm = arm.add_resource(SUBSCRIPTION, "rg-dev", VM, "vm-build-01")
    [change] = parse_resource_change(event("resource_write_vm.json"))
    arm.set_tags(vm.id, {"Owner": "team-lead@example.com"})  # after the event, before the read

    remediator().on_change(change, inventory=make_inventory(), writer=make_writer(), now=NOW)

    assert arm.tags_of(vm.id)["Owner"] == "team-lead@example.com"


def test_costwardens_own_tag_write_event_changes_nothing(
    arm: FakeResources, make_inventory: MakeInventory, make_writer: MakeWriter
) -> None:
    arm.add_group(SUBSCRIPTION, "rg-dev")
    arm.add_resource(SUBSCRIPTION, "rg-dev", VM, "vm-build-01")

    changes = parse_resource_change(event("resource_write_tags_by_costwarden.json"))

    assert changes == []
    for change in changes:  # what the function does with each; nothing here
        remediator().on_change(change, inventory=make_inventory(), writer=make_writer(), now=NOW)
    assert arm.requests == []


def test_a_case_only_rename_at_the_50_tag_limit_is_written_once(
    arm: FakeResources, make_inventory: MakeInventory, make_writer: MakeWriter
) -> None:
    """ARM tag names are case-insensitive: ``environment`` -> ``Environment`` takes no new
    slot, so a resource already holding 50 tags still gets the canonical spelling."""
    arm.add_group(SUBSCRIPTION, "rg-full")
    tags = {f"k{i}": "v" for i in range(47)}
    tags |= {"environment": "Dev", "Owner": "a@example.com", "CostCenter": "cc-100"}
    vm = arm.add_resource(SUBSCRIPTION, "rg-full", VM, "vm-full", tags=tags)
    writer = make_writer()

    report = remediator().sweep(inventory=make_inventory(), writer=writer, now=NOW)

    assert report.failed == []
    after = arm.tags_of(vm.id)
    assert after["Environment"] == "dev"
    assert "environment" not in after
    assert len(after) == 50
    writes = len(arm.tag_writes())
    again = remediator().sweep(inventory=make_inventory(), writer=writer, now=NOW)
    assert len(arm.tag_writes()) == writes
    assert vm.id not in {v.resource.resource_id for v in again.violating}
