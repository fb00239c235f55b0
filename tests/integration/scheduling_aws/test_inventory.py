"""Ec2Compute as an Inventory: one listing of EC2 instances, Auto Scaling groups and RDS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from costwarden.adapters.aws import Ec2Compute
from costwarden.adapters.aws.ec2_instances import _resource as instance_resource
from costwarden.adapters.aws.rds_instances import AURORA_MEMBER
from costwarden.adapters.aws.rds_instances import _state as rds_state
from costwarden.models.resource import Capacity, Resource
from costwarden.ports_compute import Target
from integration.scheduling_aws.aws_estate import REGION, Estate, create_group

pytestmark = pytest.mark.integration


def _by_id(resources: list[Resource]) -> dict[str, Resource]:
    return {r.resource_id: r for r in resources}


def test_inventory_lists_every_type_with_its_power_state(
    session: boto3.Session, target: Target, moto_endpoint: str, estate: Estate
) -> None:
    resources = Ec2Compute(session, target, endpoint_url=moto_endpoint).list_resources()

    listed = {(r.resource_type, r.resource_id, r.state) for r in resources}
    assert listed == {
        ("ec2_instance", estate.web, "running"),
        ("ec2_instance", estate.batch, "stopped"),
        ("ec2_instance", estate.hibernating, "running"),
        ("asg", estate.workers_group, "running"),
        ("asg", estate.empty_group, "stopped"),
        ("rds_instance", estate.orders_db, "running"),
        ("rds_instance", estate.reports_db, "stopped"),
        ("rds_instance", estate.aurora_member, "running"),
        ("rds_instance", estate.replica_source, "running"),
        ("rds_instance", estate.replica, "running"),
    }
    assert all(r.cloud == "aws" and r.account == target.account for r in resources)
    assert all(r.region == REGION for r in resources)


def test_instances_launched_by_a_group_and_terminated_ones_are_not_listed(
    session: boto3.Session, target: Target, moto_endpoint: str, estate: Estate
) -> None:
    ids = _by_id(Ec2Compute(session, target, endpoint_url=moto_endpoint).list_resources())

    assert len(estate.workers_instances) == 2
    assert not set(estate.workers_instances) & set(ids)
    assert estate.terminated not in ids


def test_instance_carries_type_tags_launch_time_and_hibernation(
    session: boto3.Session, target: Target, moto_endpoint: str, estate: Estate
) -> None:
    ids = _by_id(Ec2Compute(session, target, endpoint_url=moto_endpoint).list_resources())

    web = ids[estate.web]
    assert web.name == "web-dev"
    assert web.size == "t3.micro"
    assert dict(web.tags) == {"Name": "web-dev", "Environment": "dev"}
    assert web.started_at is not None
    assert web.started_at.tzinfo is not None
    assert abs(web.started_at - datetime.now(UTC)) < timedelta(days=1)
    assert not web.hibernation_configured
    assert ids[estate.hibernating].hibernation_configured
    assert ids[estate.batch].size == "m5.large"
    assert "unsupported" not in web.extra


def test_group_carries_capacity_tags_and_instance_type(
    session: boto3.Session, target: Target, moto_endpoint: str, estate: Estate
) -> None:
    ids = _by_id(Ec2Compute(session, target, endpoint_url=moto_endpoint).list_resources())

    workers = ids[estate.workers_group]
    assert workers.capacity == Capacity(1, 2, 4)
    assert workers.tags["team"] == "platform"
    assert workers.size == "t3.small"
    assert workers.name == "workers"
    assert ids[estate.empty_group].capacity == Capacity(0, 0, 0)


def test_databases_carry_class_and_tags_and_unstoppable_ones_say_why(
    session: boto3.Session, target: Target, moto_endpoint: str, estate: Estate
) -> None:
    ids = _by_id(Ec2Compute(session, target, endpoint_url=moto_endpoint).list_resources())

    orders = ids[estate.orders_db]
    assert orders.size == "db.t3.micro"
    assert orders.tags["Environment"] == "dev"
    assert "unsupported" not in orders.extra
    assert ids[estate.aurora_member].extra["unsupported"] == AURORA_MEMBER
    assert ids[estate.aurora_member].size == "db.r6g.large"
    assert "read replica" in ids[estate.replica].extra["unsupported"]
    assert "has read replicas" in ids[estate.replica_source].extra["unsupported"]


def test_empty_account_lists_nothing(
    fresh_account: tuple[boto3.Session, Target], moto_endpoint: str
) -> None:
    session, target = fresh_account
    assert Ec2Compute(session, target, endpoint_url=moto_endpoint).list_resources() == []


def test_groups_are_read_from_every_page(
    fresh_account: tuple[boto3.Session, Target], moto_endpoint: str
) -> None:
    session, target = fresh_account
    asg = session.client("autoscaling", endpoint_url=moto_endpoint)
    ec2 = session.client("ec2", endpoint_url=moto_endpoint)
    create_group(asg, ec2, "group-000", 0, 0, 0)
    for n in range(1, 105):  # DescribeAutoScalingGroups returns at most 100 per page
        create_group(asg, ec2, f"group-{n:03d}", 0, 0, 0, template="group-000-template")
    pages: list[str] = []
    session.events.register(
        "before-call.auto-scaling.DescribeAutoScalingGroups",
        lambda **kwargs: pages.append("page"),
    )

    resources = Ec2Compute(session, target, endpoint_url=moto_endpoint).list_resources()

    assert sorted(r.name for r in resources) == [f"group-{n:03d}" for n in range(105)]
    assert len(pages) == 2


# -- state mappings moto cannot produce (its transitions are instant) ------------------------------
@pytest.mark.parametrize(
    ("ec2_state", "expected"),
    [
        ("pending", "transitioning"),
        ("running", "running"),
        ("stopping", "transitioning"),
        ("stopped", "stopped"),
        ("shutting-down", "transitioning"),
        ("rebooting", "unknown"),
    ],
)
def test_ec2_states_map_to_power_states(ec2_state: str, expected: str) -> None:
    instance: Any = {"InstanceId": "i-1", "State": {"Name": ec2_state}}
    resource = instance_resource(instance, account="123456789012", region=REGION)
    assert resource is not None
    assert resource.state == expected


def test_instance_store_instances_are_listed_as_unsupported() -> None:
    instance: Any = {"InstanceId": "i-1", "State": {"Name": "running"}}
    instance["RootDeviceType"] = "instance-store"
    resource = instance_resource(instance, account="123456789012", region=REGION)
    assert resource is not None
    assert "instance-store" in resource.extra["unsupported"]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("available", "running"),
        ("stopped", "stopped"),
        ("starting", "transitioning"),
        ("stopping", "transitioning"),
        ("backing-up", "transitioning"),
        ("modifying", "transitioning"),
        ("storage-full", "unknown"),
        ("failed", "unknown"),
    ],
)
def test_rds_statuses_map_to_power_states(status: str, expected: str) -> None:
    assert rds_state(status) == expected
