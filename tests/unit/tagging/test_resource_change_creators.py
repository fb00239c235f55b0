"""Who becomes the owner of a new resource: people, never a cloud service acting on its own.

The paired fixtures (``events/*/…expected.json``, checked by tests/unit/normalize) pin the whole
normalized change; these tests pin the owner decisions and the cases around them.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from costwarden.errors import PayloadError
from costwarden.normalize.resource_change import parse_resource_change
from costwarden.policy.loader import load_policy_text
from costwarden.policy.tagging import TaggingSection
from costwarden.ports_tagging import ParentTags, TaggedResource
from costwarden.services.tag_remediation import TagRemediator
from functional.tagging.fakes import MemoryTagCloud

EVENTS = Path(__file__).resolve().parents[3] / "events"
UPN = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn"
NAME = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"


def load(name: str) -> Any:
    return json.loads((EVENTS / name).read_text())


def owner(event: Any) -> str | None:
    [change] = parse_resource_change(event)
    return change.creator.owner() if change.creator else None


# -- AWS ---------------------------------------------------------------------------------------
def test_an_instance_auto_scaling_launches_has_no_owner_from_the_event() -> None:
    assert owner(load("aws/resource_created_run_instances_autoscaling.json")) is None


def test_a_service_linked_role_is_recognised_by_its_name_alone() -> None:
    event = load("aws/resource_created_run_instances_sso.json")
    event["detail"]["userIdentity"] = {
        "type": "AssumedRole",
        "arn": "arn:aws:sts::123456789012:assumed-role/AWSServiceRoleForEC2Fleet/EC2Fleet",
        "accountId": "123456789012",
    }
    assert owner(event) is None


def test_a_person_whose_call_cloudformation_made_stays_the_owner() -> None:
    """``invokedBy`` is set when CloudFormation uses the person's own session: not a service."""
    event = load("aws/resource_created_run_instances_sso.json")
    event["detail"]["userIdentity"]["invokedBy"] = "cloudformation.amazonaws.com"
    assert owner(event) == "alice@example.com"


def test_the_group_s_owner_tag_fills_an_auto_scaling_instance() -> None:
    [change] = parse_resource_change(load("aws/resource_created_run_instances_autoscaling.json"))
    [rid] = change.resource_ids
    instance = TaggedResource(
        "aws", "123456789012", "eu-west-1", rid, "ec2:instance", {"aws:autoscaling:groupName": "w"}
    )
    group = ParentTags("autoscaling_group", "w", {"Owner": "alice@example.com"})
    cloud = MemoryTagCloud([instance], parents={rid: [group]})
    policy = load_policy_text('version: 1\nslack: {default_channel: "#finops"}\n')
    section = TaggingSection.model_validate(
        {"clouds": ["aws"], "required": {"Owner": {}}, "owner_key": "Owner"}
    )
    now = datetime(2026, 11, 27, 9, 15, tzinfo=UTC)
    TagRemediator(policy, section, cloud="aws").on_change(
        change, inventory=cloud, writer=cloud, now=now
    )
    assert cloud.resources[rid].tags["Owner"] == "alice@example.com"


# -- Google ------------------------------------------------------------------------------------
def test_a_managed_instance_group_s_instance_has_no_owner_from_the_event() -> None:
    assert owner(load("gcp/audit_instance_insert_mig.json")) is None


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("service-123456789012@compute-system.iam.gserviceaccount.com", None),
        ("123456789012@cloudservices.gserviceaccount.com", None),
        ("deployer@acme-dev.iam.gserviceaccount.com", "deployer"),  # people made it: a name
        ("123456789012-compute@developer.gserviceaccount.com", "123456789012-compute"),
        ("dave@example.com", "dave@example.com"),
    ],
)
def test_google_service_agents_are_never_owners(email: str, expected: str | None) -> None:
    event = load("gcp/audit_instance_insert_first.json")
    event["data"]["protoPayload"]["authenticationInfo"] = {"principalEmail": email}
    assert owner(event) == expected


# -- Azure -------------------------------------------------------------------------------------
def test_a_guest_user_is_a_person_not_the_azure_cli() -> None:
    assert owner(load("azure/resource_write_resource_group_guest.json")) == "bob@outlook.com"


def guest(**changes: Any) -> Any:
    event = load("azure/resource_write_vm.json")
    claims = event["data"]["claims"]
    claims.pop(UPN)
    claims[NAME] = "live.com#bob@outlook.com"
    claims["name"] = "Bob Guest"
    for key, value in changes.items():
        if value is None:
            event["data"]["authorization"]["evidence"].pop(key, None)
            claims.pop(key, None)
        else:
            claims[key] = value
    return event


def test_the_token_type_says_user_when_the_evidence_does_not() -> None:
    assert owner(guest(principalType=None, idtyp="user")) == "bob@outlook.com"


def test_a_service_principal_keeps_its_app_id() -> None:
    event = guest(principalType=None, idtyp="app")
    event["data"]["authorization"]["evidence"]["principalType"] = "ServicePrincipal"
    assert owner(event) == "04b07795-8ddb-461a-bbee-02f9e1bf7b46"


def test_a_user_without_any_e_mail_is_named_not_replaced_by_the_app() -> None:
    event = guest()
    event["data"]["claims"].pop(NAME)
    [change] = parse_resource_change(event)
    assert change.creator is not None
    assert (change.creator.kind, change.creator.owner()) == ("user", "Bob Guest")


def test_a_resource_group_creation_is_a_resource_group_change() -> None:
    event = copy.deepcopy(load("azure/resource_write_resource_group_guest.json"))
    [change] = parse_resource_change(event)
    assert change.resource_type == "Microsoft.Resources/resourceGroups"
    event["data"]["resourceUri"] = "/subscriptions/s/resourceGroups/rg/other/thing"
    with pytest.raises(PayloadError, match="not an ARM resource id"):
        parse_resource_change(event)
