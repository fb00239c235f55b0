"""Resource-creation events -> ResourceChange, proven by paired fixtures in events/."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from costwarden.errors import PayloadError, UnrecognisedPayloadError
from costwarden.normalize.resource_change import parse_resource_change

EVENTS = Path(__file__).resolve().parents[3] / "events"
PAIRS = sorted(
    p
    for pattern in (
        "aws/resource_created_*.json",
        "azure/resource_write_*.json",
        "gcp/audit_*.json",
    )
    for p in EVENTS.glob(pattern)
    if not p.name.endswith(".expected.json")
)


def load(path: Path) -> Any:
    return json.loads(path.read_text())


def test_there_is_a_fixture_per_cloud() -> None:
    assert {p.parent.name for p in PAIRS} == {"aws", "azure", "gcp"}


@pytest.mark.parametrize("path", PAIRS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_event_normalizes_to_its_expected_changes(path: Path) -> None:
    expected = load(path.with_name(path.stem + ".expected.json"))
    got = [c.model_dump(mode="json") for c in parse_resource_change(load(path))]
    for change in got:
        change["at"] = change["at"].replace("+00:00", "Z")
    assert got == expected


def test_owner_is_the_sso_email_of_the_role_session() -> None:
    [change] = parse_resource_change(load(EVENTS / "aws/resource_created_run_instances_sso.json"))
    assert change.creator is not None
    assert change.creator.owner() == "alice@example.com"


def test_root_and_aws_services_are_never_owners() -> None:
    event = load(EVENTS / "aws/resource_created_bucket_iam_user.json")
    event["detail"]["userIdentity"] = {"type": "Root", "arn": "arn:aws:iam::123456789012:root"}
    [change] = parse_resource_change(event)
    assert change.creator is not None
    assert change.creator.owner() is None


def test_google_service_account_creator_is_named_but_has_no_email() -> None:
    event = load(EVENTS / "gcp/audit_instance_insert_first.json")
    event["data"]["protoPayload"]["authenticationInfo"]["principalEmail"] = (
        "ci-deployer@acme-dev.iam.gserviceaccount.com"
    )
    [change] = parse_resource_change(event)
    assert change.creator is not None
    assert (change.creator.kind, change.creator.owner()) == ("service_account", "ci-deployer")


def test_unsupported_operation_is_a_typed_error() -> None:
    event = load(EVENTS / "aws/resource_created_bucket_iam_user.json")
    event["detail"]["eventName"] = "PutBucketPolicy"
    with pytest.raises(UnrecognisedPayloadError, match=r"no tagging rule for s3\.amazonaws\.com"):
        parse_resource_change(event)


@pytest.mark.parametrize(
    ("fixture", "breaks", "message"),
    [
        ("aws/resource_created_run_instances_sso.json", ("detail",), "detail: expected an object"),
        (
            "aws/resource_created_run_instances_sso.json",
            ("detail", "responseElements"),
            "names no created resource",
        ),
        (
            "aws/resource_created_run_instances_sso.json",
            ("detail", "eventTime"),
            "detail.eventTime",
        ),
        ("azure/resource_write_vm.json", ("data", "subscriptionId"), "data.subscriptionId"),
        ("azure/resource_write_vm.json", ("data", "resourceUri"), "data.resourceUri"),
        (
            "gcp/audit_instance_insert_first.json",
            ("data", "protoPayload", "resourceName"),
            "protoPayload.resourceName",
        ),
    ],
)
def test_malformed_events_name_the_broken_field(
    fixture: str, breaks: tuple[str, ...], message: str
) -> None:
    event = copy.deepcopy(load(EVENTS / fixture))
    node = event
    for key in breaks[:-1]:
        node = node[key]
    node[breaks[-1]] = 12 if breaks[-1] != "responseElements" else {}
    if breaks == ("detail", "eventTime"):
        node[breaks[-1]] = "yesterday"
    if breaks == ("data", "resourceUri"):
        node[breaks[-1]] = "/subscriptions/x"
        event["subject"] = "/subscriptions/x"
    with pytest.raises(PayloadError, match=message):
        parse_resource_change(event)


@pytest.mark.parametrize("payload", [[], "x", {"hello": "world"}])
def test_anything_else_is_refused(payload: object) -> None:
    with pytest.raises(PayloadError):
        parse_resource_change(payload)
