"""Ec2Compute as an Actuator: every action, re-runs, failures that stay one resource's own.

Each test creates the resources it acts on in the module's moto account and checks the result
with plain boto3 calls to moto, not through the adapter.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from costwarden.adapters.aws import Ec2Compute
from costwarden.adapters.aws.compute_common import LAST_ACTION_TAG, SAVED_CAPACITY_TAG
from costwarden.models.resource import Resource
from costwarden.plan.model import ActionKind, LastAction, Outcome, PlannedAction
from costwarden.ports_compute import Target
from integration.scheduling_aws.aws_estate import (
    REGION,
    Estate,
    create_database,
    create_group,
    run_instance,
)
from integration.scheduling_aws.conftest import MotoClient, session_in
from throttle_proxy import ThrottleProxy

pytestmark = pytest.mark.integration

STOPPED_AT = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)
STARTED_AT = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _listed(compute: Ec2Compute, resource_id: str) -> Resource:
    """The resource as the inventory reports it (what the planner would hand the actuator)."""
    return next(r for r in compute.list_resources() if r.resource_id == resource_id)


def _act(
    compute: Ec2Compute,
    resource: Resource,
    kind: ActionKind,
    at: datetime = STOPPED_AT,
    **details: str,
) -> Outcome:
    action = PlannedAction(
        action=kind,
        resource=resource,
        rule="dev-nights",
        schedule="office-hours",
        reason="test",
        details=details,
    )
    return compute.execute(action, record=LastAction(kind, at))


def _instance(ec2: Any, instance_id: str) -> dict[str, Any]:
    reservations = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
    instance: dict[str, Any] = reservations[0]["Instances"][0]
    instance["TagMap"] = {t["Key"]: t["Value"] for t in instance.get("Tags", [])}
    return instance


def _group(asg: Any, name: str) -> tuple[str, dict[str, str]]:
    group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]
    capacity = f"{group['MinSize']}/{group['DesiredCapacity']}/{group['MaxSize']}"
    return capacity, {t["Key"]: t["Value"] for t in group.get("Tags", [])}


def _database(rds: Any, identifier: str) -> tuple[str, dict[str, str]]:
    db = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]
    return db["DBInstanceStatus"], {t["Key"]: t["Value"] for t in db.get("TagList", [])}


def _counting(
    moto_endpoint: str, account: str, event: str
) -> tuple[boto3.Session, list[dict[str, Any]]]:
    """A new session on the module's account whose clients record ``event``'s parameters."""
    session = session_in(moto_endpoint, account)
    seen: list[dict[str, Any]] = []
    session.events.register(event, lambda params, **kwargs: seen.append(dict(params)))
    return session, seen


@pytest.fixture
def compute(session: boto3.Session, target: Target, moto_endpoint: str) -> Ec2Compute:
    return Ec2Compute(session, target, endpoint_url=moto_endpoint)


# -- EC2 instances ---------------------------------------------------------------------------------
def test_stop_stops_a_running_instance_and_records_the_last_action(
    compute: Ec2Compute, moto_client: MotoClient
) -> None:
    ec2 = moto_client("ec2")
    instance_id = run_instance(ec2, _name("web"))

    outcome = _act(compute, _listed(compute, instance_id), "stop")

    assert outcome.status == "done", outcome.message
    instance = _instance(ec2, instance_id)
    assert instance["State"]["Name"] == "stopped"
    assert instance["TagMap"][LAST_ACTION_TAG] == "stop-20261130t180000z"


def test_stopping_a_stopped_instance_again_is_already_and_calls_no_stop(
    compute: Ec2Compute,
    moto_client: MotoClient,
    moto_endpoint: str,
    target: Target,
) -> None:
    ec2 = moto_client("ec2")
    instance_id = run_instance(ec2, _name("web"))
    resource = _listed(compute, instance_id)
    assert _act(compute, resource, "stop").status == "done"
    session, stops = _counting(
        moto_endpoint, target.account, "provide-client-params.ec2.StopInstances"
    )
    rerun = Ec2Compute(session, target, endpoint_url=moto_endpoint)

    outcome = _act(rerun, resource, "stop", at=STARTED_AT)

    assert outcome.status == "already"
    assert "stopped" in outcome.message
    assert stops == []
    # the earlier record stands: nothing was done this time
    assert _instance(ec2, instance_id)["TagMap"][LAST_ACTION_TAG] == "stop-20261130t180000z"


def test_start_starts_a_stopped_instance_and_a_rerun_is_already(
    compute: Ec2Compute, moto_client: MotoClient
) -> None:
    ec2 = moto_client("ec2")
    instance_id = run_instance(ec2, _name("web"))
    ec2.stop_instances(InstanceIds=[instance_id])
    resource = _listed(compute, instance_id)
    assert resource.state == "stopped"

    first = _act(compute, resource, "start", at=STARTED_AT)
    second = _act(compute, resource, "start", at=STARTED_AT)

    assert first.status == "done", first.message
    assert second.status == "already"
    instance = _instance(ec2, instance_id)
    assert instance["State"]["Name"] == "running"
    assert instance["TagMap"][LAST_ACTION_TAG] == "start-20261201t080000z"


def test_hibernate_asks_ec2_to_hibernate_an_instance_configured_for_it(
    moto_client: MotoClient, moto_endpoint: str, target: Target
) -> None:
    ec2 = moto_client("ec2")
    instance_id = run_instance(ec2, _name("hib"), hibernation=True)
    session, stops = _counting(
        moto_endpoint, target.account, "provide-client-params.ec2.StopInstances"
    )
    compute = Ec2Compute(session, target, endpoint_url=moto_endpoint)
    resource = _listed(compute, instance_id)
    assert resource.hibernation_configured

    outcome = _act(compute, resource, "hibernate")

    assert outcome.status == "done", outcome.message
    assert stops == [{"InstanceIds": [instance_id], "Hibernate": True}]
    instance = _instance(ec2, instance_id)
    assert instance["State"]["Name"] == "stopped"
    assert instance["TagMap"][LAST_ACTION_TAG] == "hibernate-20261130t180000z"


def test_hibernate_is_refused_for_an_instance_without_hibernation(
    compute: Ec2Compute, moto_client: MotoClient
) -> None:
    ec2 = moto_client("ec2")
    instance_id = run_instance(ec2, _name("web"))

    outcome = _act(compute, _listed(compute, instance_id), "hibernate")

    assert outcome.status == "failed"
    assert "UnsupportedHibernationConfiguration" in outcome.message
    assert _instance(ec2, instance_id)["State"]["Name"] == "running"


def test_a_refused_stop_reports_the_aws_error_code_and_records_nothing(
    session: boto3.Session, target: Target, moto_client: MotoClient, fault_proxy: ThrottleProxy
) -> None:
    ec2 = moto_client("ec2")
    instance_id = run_instance(ec2, _name("web"))
    compute = Ec2Compute(session, target, endpoint_url=fault_proxy.url)
    resource = _listed(compute, instance_id)
    fault_proxy.fail_next("StopInstances", code="UnauthorizedOperation", status=403)

    outcome = _act(compute, resource, "stop")

    assert outcome.status == "failed"
    assert "StopInstances" in outcome.message
    assert "UnauthorizedOperation" in outcome.message
    instance = _instance(ec2, instance_id)
    assert instance["State"]["Name"] == "running"
    assert LAST_ACTION_TAG not in instance["TagMap"]


def test_incorrect_instance_state_is_re_read_and_reported_as_already_when_it_stopped(
    session: boto3.Session, target: Target, moto_client: MotoClient, fault_proxy: ThrottleProxy
) -> None:
    ec2 = moto_client("ec2")
    instance_id = run_instance(ec2, _name("web"))
    compute = Ec2Compute(session, target, endpoint_url=fault_proxy.url)
    resource = _listed(compute, instance_id)
    # Someone stops it between our re-read and our StopInstances: EC2 answers with
    # IncorrectInstanceState.
    fault_proxy.fail_next(
        "StopInstances",
        code="IncorrectInstanceState",
        before=lambda: ec2.stop_instances(InstanceIds=[instance_id]),
    )

    outcome = _act(compute, resource, "stop")

    assert outcome.status == "already"
    assert "IncorrectInstanceState" in outcome.message
    assert "stopped" in outcome.message


def test_incorrect_instance_state_is_a_failure_naming_the_state_when_it_did_not_stop(
    session: boto3.Session, target: Target, moto_client: MotoClient, fault_proxy: ThrottleProxy
) -> None:
    ec2 = moto_client("ec2")
    instance_id = run_instance(ec2, _name("web"))
    compute = Ec2Compute(session, target, endpoint_url=fault_proxy.url)
    resource = _listed(compute, instance_id)
    fault_proxy.fail_next("StopInstances", code="IncorrectInstanceState")

    outcome = _act(compute, resource, "stop")

    assert outcome.status == "failed"
    assert outcome.message == "StopInstances failed: IncorrectInstanceState: it is running"


def test_a_failed_tag_write_after_the_stop_still_reports_the_stop(
    session: boto3.Session, target: Target, moto_client: MotoClient, fault_proxy: ThrottleProxy
) -> None:
    ec2 = moto_client("ec2")
    instance_id = run_instance(ec2, _name("web"))
    compute = Ec2Compute(session, target, endpoint_url=fault_proxy.url)
    resource = _listed(compute, instance_id)
    fault_proxy.fail_next("CreateTags", code="UnauthorizedOperation", status=403)

    outcome = _act(compute, resource, "stop")

    assert outcome.status == "done"
    assert f"recording tag {LAST_ACTION_TAG} failed: UnauthorizedOperation" in outcome.message
    assert _instance(ec2, instance_id)["State"]["Name"] == "stopped"


# -- Auto Scaling groups ---------------------------------------------------------------------------
def test_group_round_trip_scales_to_zero_and_restores_the_saved_capacity(
    compute: Ec2Compute, moto_client: MotoClient
) -> None:
    asg, ec2 = moto_client("autoscaling"), moto_client("ec2")
    name = _name("workers")
    create_group(asg, ec2, name, 1, 2, 4)

    stop = _act(compute, _listed(compute, name), "scale_to_zero")
    stop_again = _act(compute, _listed(compute, name), "scale_to_zero")

    assert stop.status == "done", stop.message
    assert stop_again.status == "already"
    capacity, tags = _group(asg, name)
    assert capacity == "0/0/0"
    assert tags[SAVED_CAPACITY_TAG] == "1/2/4"
    assert tags[LAST_ACTION_TAG] == "scale-to-zero-20261130t180000z"

    # the planner passes the saved tag's value, as it read it from the inventory
    stopped = _listed(compute, name)
    assert stopped.state == "stopped"
    saved = stopped.tags[SAVED_CAPACITY_TAG]
    start = _act(compute, stopped, "restore_capacity", at=STARTED_AT, capacity=saved)
    start_again = _act(compute, stopped, "restore_capacity", at=STARTED_AT, capacity=saved)

    assert start.status == "done", start.message
    assert start_again.status == "already"
    capacity, tags = _group(asg, name)
    assert capacity == "1/2/4"
    assert SAVED_CAPACITY_TAG not in tags
    assert tags[LAST_ACTION_TAG] == "restore-capacity-20261201t080000z"
    assert tags["team"] == "platform"


def test_capacity_is_saved_before_the_group_is_scaled(
    session: boto3.Session, target: Target, moto_client: MotoClient, fault_proxy: ThrottleProxy
) -> None:
    asg, ec2 = moto_client("autoscaling"), moto_client("ec2")
    name = _name("workers")
    create_group(asg, ec2, name, 2, 3, 6)
    compute = Ec2Compute(session, target, endpoint_url=fault_proxy.url)
    fault_proxy.fail_next("UpdateAutoScalingGroup", code="ScalingActivityInProgress")

    outcome = _act(compute, _listed(compute, name), "scale_to_zero")

    assert outcome.status == "failed"
    assert "UpdateAutoScalingGroup failed: ScalingActivityInProgress" in outcome.message
    capacity, tags = _group(asg, name)
    assert capacity == "2/3/6"
    assert tags[SAVED_CAPACITY_TAG] == "2/3/6"
    assert LAST_ACTION_TAG not in tags


def test_restoring_without_a_saved_capacity_fails_and_leaves_the_group_at_zero(
    compute: Ec2Compute, moto_client: MotoClient
) -> None:
    asg, ec2 = moto_client("autoscaling"), moto_client("ec2")
    name = _name("empty")
    create_group(asg, ec2, name, 0, 0, 0)

    outcome = _act(compute, _listed(compute, name), "restore_capacity", at=STARTED_AT)

    assert outcome.status == "failed"
    assert "no valid saved capacity" in outcome.message
    assert _group(asg, name)[0] == "0/0/0"


# -- RDS -------------------------------------------------------------------------------------------
def test_database_stop_and_start_with_reruns_already(
    compute: Ec2Compute, moto_client: MotoClient
) -> None:
    rds = moto_client("rds")
    identifier = _name("db")
    create_database(rds, identifier)
    resource = _listed(compute, identifier)

    stop, stop_again = _act(compute, resource, "stop"), _act(compute, resource, "stop")

    assert (stop.status, stop_again.status) == ("done", "already"), stop.message
    status, tags = _database(rds, identifier)
    assert status == "stopped"
    assert tags[LAST_ACTION_TAG] == "stop-20261130t180000z"

    start = _act(compute, resource, "start", at=STARTED_AT)
    start_again = _act(compute, resource, "start", at=STARTED_AT)

    assert (start.status, start_again.status) == ("done", "already"), start.message
    status, tags = _database(rds, identifier)
    assert status == "available"
    assert tags[LAST_ACTION_TAG] == "start-20261201t080000z"


def test_aurora_cluster_member_is_refused_not_stopped(
    compute: Ec2Compute, moto_client: MotoClient, estate: Estate
) -> None:
    outcome = _act(compute, _listed(compute, estate.aurora_member), "stop")

    assert outcome.status == "failed"
    assert "Aurora cluster" in outcome.message
    assert _database(moto_client("rds"), estate.aurora_member)[0] == "available"


def test_invalid_db_instance_state_is_re_read(
    session: boto3.Session, target: Target, moto_client: MotoClient, fault_proxy: ThrottleProxy
) -> None:
    rds = moto_client("rds")
    identifier = _name("db")
    create_database(rds, identifier)
    compute = Ec2Compute(session, target, endpoint_url=fault_proxy.url)
    resource = _listed(compute, identifier)
    fault_proxy.fail_next(
        "StopDBInstance",
        code="InvalidDBInstanceState",
        before=lambda: rds.stop_db_instance(DBInstanceIdentifier=identifier),
    )

    outcome = _act(compute, resource, "stop")

    assert outcome.status == "already"
    assert "stopped" in outcome.message


# -- one resource's failure is its own -------------------------------------------------------------
def _ghost(target: Target, resource_id: str, kind: Any) -> Resource:
    return Resource(
        cloud="aws",
        account=target.account,
        region=REGION,
        resource_id=resource_id,
        resource_type=kind,
        name=resource_id,
        state="running",
    )


def test_failures_of_some_resources_do_not_stop_the_others(
    compute: Ec2Compute, moto_client: MotoClient, target: Target
) -> None:
    ec2 = moto_client("ec2")
    first, last = run_instance(ec2, _name("a")), run_instance(ec2, _name("b"))
    plan: list[tuple[Resource, ActionKind]] = [
        (_listed(compute, first), "stop"),
        (_ghost(target, "i-0123456789abcdef0", "ec2_instance"), "stop"),
        (_ghost(target, "no-such-group", "asg"), "scale_to_zero"),
        (_ghost(target, "no-such-db", "rds_instance"), "stop"),
        (_listed(compute, last), "stop"),
    ]

    outcomes = [_act(compute, resource, kind) for resource, kind in plan]

    assert [o.status for o in outcomes] == ["done", "failed", "failed", "failed", "done"]
    assert "InvalidInstanceID.NotFound" in outcomes[1].message
    assert "Auto Scaling group no-such-group not found" in outcomes[2].message
    assert "DBInstanceNotFound" in outcomes[3].message
    for instance_id in (first, last):
        assert _instance(ec2, instance_id)["State"]["Name"] == "stopped"


def test_a_resource_of_another_target_is_refused(compute: Ec2Compute, target: Target) -> None:
    elsewhere = Target(cloud="aws", account="999999999999", region=REGION)

    outcome = _act(compute, _ghost(elsewhere, "i-0123456789abcdef0", "ec2_instance"), "stop")

    assert outcome.status == "failed"
    assert f"not in target {target.label}" in outcome.message


@pytest.mark.parametrize(
    ("kind", "resource_type"),
    [("scale_to_zero", "ec2_instance"), ("deallocate", "rds_instance"), ("stop", "asg")],
)
def test_an_action_that_does_not_fit_the_resource_type_is_refused(
    compute: Ec2Compute, moto_client: MotoClient, kind: ActionKind, resource_type: str
) -> None:
    ec2, asg, rds = moto_client("ec2"), moto_client("autoscaling"), moto_client("rds")
    make: dict[str, Callable[[], str]] = {
        "ec2_instance": lambda: run_instance(ec2, _name("web")),
        "asg": lambda: _made_group(asg, ec2),
        "rds_instance": lambda: _made_database(rds),
    }
    resource = _listed(compute, make[resource_type]())

    outcome = _act(compute, resource, kind)

    assert outcome.status == "failed"
    assert f"action {kind!r} does not apply" in outcome.message


def _made_group(asg: Any, ec2: Any) -> str:
    name = _name("group")
    create_group(asg, ec2, name, 1, 1, 1)
    return name


def _made_database(rds: Any) -> str:
    identifier = _name("db")
    create_database(rds, identifier)
    return identifier
