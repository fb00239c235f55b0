"""EC2 instance actions in batches (``Ec2Compute.execute_all``): a few calls for many
instances, and still one outcome per instance, with the single path's guarantees.

Calls are counted by a scripted-fault proxy between boto3 and moto (``fault_proxy``), which
also injects the refusals; results are read back from moto directly.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from costwarden.adapters.aws import Ec2Compute
from costwarden.adapters.aws.compute_common import LAST_ACTION_TAG
from costwarden.adapters.aws.ec2_instances import execute_instances, list_instances
from costwarden.models.resource import Resource
from costwarden.plan.model import ActionKind, Plan, PlannedAction
from costwarden.ports_compute import Target
from costwarden.services.scheduler_run import apply_plan
from integration.scheduling_aws.aws_estate import run_instance
from integration.scheduling_aws.conftest import MotoClient, session_in
from throttle_proxy import ThrottleProxy

pytestmark = pytest.mark.integration

AT = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)
STAMP = "-20261130t180000z"


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _action(resource: Resource, kind: ActionKind) -> PlannedAction:
    return PlannedAction(
        action=kind, resource=resource, rule="dev-nights", schedule="office-hours", reason="test"
    )


def _instances(ec2: Any, ids: list[str]) -> dict[str, tuple[str, dict[str, str]]]:
    """State and tags of each instance, read from moto directly."""
    found = ec2.describe_instances(InstanceIds=ids)["Reservations"]
    return {
        i["InstanceId"]: (i["State"]["Name"], {t["Key"]: t["Value"] for t in i.get("Tags", [])})
        for r in found
        for i in r["Instances"]
    }


def _ec2_via(proxy: ThrottleProxy, session: boto3.Session) -> Any:
    return session.client("ec2", endpoint_url=proxy.url)


@dataclass
class Fleet:
    """``n`` running instances made in moto, and a client through the fault proxy."""

    moto: Any  # an EC2 client on moto directly: set-up and checks
    client: Any  # the client under test, through ``fault_proxy``
    ids: list[str]
    listed: dict[str, Resource]

    def stops(self) -> list[PlannedAction]:
        return [_action(self.listed[i], "stop") for i in self.ids]


def _fleet(
    n: int, session: boto3.Session, target: Target, moto_client: MotoClient, proxy: ThrottleProxy
) -> Fleet:
    ec2 = moto_client("ec2")
    ids = [run_instance(ec2, _name("dev")) for _ in range(n)]
    client = _ec2_via(proxy, session)
    return Fleet(ec2, client, ids, _listed(client, target, ids))


def _listed(ec2: Any, target: Target, ids: list[str]) -> dict[str, Resource]:
    assert target.region is not None
    listed = list_instances(ec2, account=target.account, region=target.region)
    return {r.resource_id: r for r in listed if r.resource_id in ids}


def test_seven_stops_in_batches_of_three_are_three_calls_of_each_kind(
    session: boto3.Session, target: Target, moto_client: MotoClient, fault_proxy: ThrottleProxy
) -> None:
    fleet = _fleet(7, session, target, moto_client, fault_proxy)
    ec2, client, ids = fleet.moto, fleet.client, fleet.ids

    outcomes = execute_instances(client, fleet.stops(), now=AT, batch_size=3)

    assert [o.status for o in outcomes] == ["done"] * 7
    assert [o.action.resource.resource_id for o in outcomes] == ids
    assert all(o.message == "stopping (was running)" for o in outcomes)
    # one listing, then per batch of three: a re-read, a stop and a tag write
    assert fault_proxy.forwarded("DescribeInstances") == 1 + 3
    assert fault_proxy.forwarded("StopInstances") == 3
    assert fault_proxy.forwarded("CreateTags") == 3
    for state, tags in _instances(ec2, ids).values():
        assert state == "stopped"
        assert tags[LAST_ACTION_TAG] == "stop" + STAMP


def test_each_instance_of_a_mixed_batch_gets_its_own_outcome(
    session: boto3.Session, target: Target, moto_client: MotoClient, fault_proxy: ThrottleProxy
) -> None:
    ec2 = moto_client("ec2")
    running, stopped, start_me, no_hibernation, to_terminate, hibernating = (
        run_instance(ec2, _name("dev"), hibernation=name == "hib")
        for name in ("run", "stopped", "start", "nohib", "term", "hib")
    )
    ec2.stop_instances(InstanceIds=[stopped, start_me])
    client = _ec2_via(fault_proxy, session)
    ids = [running, stopped, start_me, no_hibernation, to_terminate, hibernating]
    listed = _listed(client, target, ids)
    ec2.terminate_instances(InstanceIds=[to_terminate])
    ghost = Resource(
        cloud="aws",
        account=target.account,
        region=target.region,
        resource_id="i-0123456789abcdef0",
        resource_type="ec2_instance",
        name="ghost",
        state="running",
    )
    plan = [
        _action(listed[running], "stop"),
        _action(listed[stopped], "stop"),
        _action(ghost, "stop"),
        _action(listed[start_me], "start"),
        _action(listed[no_hibernation], "hibernate"),
        _action(listed[to_terminate], "stop"),
        _action(listed[hibernating], "hibernate"),
        _action(listed[running], "start"),
    ]

    outcomes = execute_instances(client, plan, now=AT)

    assert [(o.status, o.message) for o in outcomes] == [
        ("done", "stopping (was running)"),
        ("already", "instance is already stopped"),
        ("failed", "instance i-0123456789abcdef0 not found"),
        ("done", "starting (was stopped)"),
        (
            "failed",
            "hibernation is not configured on this instance "
            "(UnsupportedHibernationConfiguration); not stopped",
        ),
        ("failed", f"instance {to_terminate} is terminated"),
        ("done", "hibernating (was running)"),
        # the re-read happened before the stop above: it was running then
        ("already", "instance is already running"),
    ]
    now = _instances(ec2, ids)
    assert now[running][0] == "stopped"
    assert now[start_me][0] == "running"
    assert now[hibernating][0] == "stopped"
    assert now[no_hibernation][0] == "running"
    assert now[stopped][1].get(LAST_ACTION_TAG) is None  # nothing done, nothing recorded
    assert now[start_me][1][LAST_ACTION_TAG] == "start" + STAMP
    assert now[hibernating][1][LAST_ACTION_TAG] == "hibernate" + STAMP
    # the unknown id made the batch re-read fall back to the instance-id filter
    assert fault_proxy.forwarded("StopInstances") == 2  # stop, hibernate
    assert fault_proxy.forwarded("StartInstances") == 1


def test_a_batch_refused_because_of_one_instance_is_retried_one_at_a_time(
    session: boto3.Session, target: Target, moto_client: MotoClient, fault_proxy: ThrottleProxy
) -> None:
    fleet = _fleet(4, session, target, moto_client, fault_proxy)
    ec2, client, ids = fleet.moto, fleet.client, fleet.ids
    # Someone stops the third between our re-read and our StopInstances: EC2 refuses the
    # whole batch with IncorrectInstanceState.
    fault_proxy.fail_next(
        "StopInstances",
        code="IncorrectInstanceState",
        before=lambda: ec2.stop_instances(InstanceIds=[ids[2]]),
    )

    outcomes = execute_instances(client, fleet.stops(), now=AT)

    assert [o.status for o in outcomes] == ["done", "done", "already", "done"]
    assert outcomes[2].message == "instance is already stopped"
    assert fault_proxy.injected("StopInstances") == 1
    assert fault_proxy.forwarded("StopInstances") == 3  # the three still running, one by one
    assert {state for state, _ in _instances(ec2, ids).values()} == {"stopped"}


def test_a_batch_refused_for_permissions_fails_every_action_and_records_nothing(
    session: boto3.Session, target: Target, moto_client: MotoClient, fault_proxy: ThrottleProxy
) -> None:
    fleet = _fleet(3, session, target, moto_client, fault_proxy)
    ec2, client, ids = fleet.moto, fleet.client, fleet.ids
    fault_proxy.fail_next("StopInstances", code="UnauthorizedOperation", status=403)

    outcomes = execute_instances(client, fleet.stops(), now=AT)

    assert {o.status for o in outcomes} == {"failed"}
    assert all("StopInstances failed: UnauthorizedOperation" in o.message for o in outcomes)
    assert fault_proxy.forwarded("StopInstances") == 0  # not retried one by one
    assert fault_proxy.forwarded("CreateTags") == 0
    for state, tags in _instances(ec2, ids).values():
        assert (state, tags.get(LAST_ACTION_TAG)) == ("running", None)


def test_a_failed_tag_write_after_a_batch_stop_still_reports_every_stop(
    session: boto3.Session, target: Target, moto_client: MotoClient, fault_proxy: ThrottleProxy
) -> None:
    fleet = _fleet(3, session, target, moto_client, fault_proxy)
    ec2, client, ids = fleet.moto, fleet.client, fleet.ids
    fault_proxy.fail_next("CreateTags", code="UnauthorizedOperation", status=403)

    outcomes = execute_instances(client, fleet.stops(), now=AT)

    assert {o.status for o in outcomes} == {"done"}
    assert all(
        f"recording tag {LAST_ACTION_TAG} failed: UnauthorizedOperation" in o.message
        for o in outcomes
    )
    assert {state for state, _ in _instances(ec2, ids).values()} == {"stopped"}


def test_apply_plan_batches_instances_and_keeps_plan_order_with_other_types(
    moto_endpoint: str, target: Target, moto_client: MotoClient, fault_proxy: ThrottleProxy
) -> None:
    ec2 = moto_client("ec2")
    first, second = run_instance(ec2, _name("a")), run_instance(ec2, _name("b"))
    compute = Ec2Compute(
        session_in(moto_endpoint, target.account), target, endpoint_url=fault_proxy.url
    )
    listed = {r.resource_id: r for r in compute.list_resources()}
    ghost_group = Resource(
        cloud="aws",
        account=target.account,
        region=target.region,
        resource_id="no-such-group",
        resource_type="asg",
        name="no-such-group",
        state="running",
    )
    actions = (
        _action(listed[first], "stop"),
        _action(ghost_group, "scale_to_zero"),
        _action(listed[second], "stop"),
    )
    plan = Plan(cloud="aws", at=AT, actions=actions, skipped=(), fleet_size=3)

    outcomes = apply_plan(plan, actuator=compute, now=AT)

    assert [(o.action, o.status) for o in outcomes] == [
        (actions[0], "done"),
        (actions[1], "failed"),
        (actions[2], "done"),
    ]
    assert fault_proxy.forwarded("StopInstances") == 1  # both instances in one call
    assert {state for state, _ in _instances(ec2, [first, second]).values()} == {"stopped"}


def test_the_slim_listing_reads_the_same_resources_as_botocores_full_parse(
    session: boto3.Session, target: Target, moto_endpoint: str, moto_client: MotoClient
) -> None:
    ec2 = moto_client("ec2")
    run_instance(ec2, _name("hib"), instance_type="m5.large", hibernation=True, Team="a&b")
    stopped = run_instance(ec2, _name("off"), Environment="<dev>")
    ec2.stop_instances(InstanceIds=[stopped])
    assert target.region is not None
    where = {"account": target.account, "region": target.region}
    full = list_instances(session.client("ec2", endpoint_url=moto_endpoint), **where)
    compute = Ec2Compute(session, target, endpoint_url=moto_endpoint)

    slim = compute.list_resources()

    instances = [r for r in slim if r.resource_type == "ec2_instance"]
    assert sorted(instances, key=lambda r: r.resource_id) == sorted(
        full, key=lambda r: r.resource_id
    )
    assert len(instances) >= 2
    assert any(r.hibernation_configured and r.size == "m5.large" for r in instances)
    assert all(r.started_at is not None and r.started_at.tzinfo for r in instances)
