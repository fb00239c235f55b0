"""Under throttling the adapters still do every intended thing, or fail loudly: never quietly.

``throttle_proxy`` answers a seeded 30 % of calls with each service's throttling error (and
every fifth of those with 503 SlowDown). The adapters run with their default client config
(``client_config()``: standard retry mode, 8 attempts): the estate they see and the changes they
make must be exactly those made without throttling. At 100 % throttling a listing raises
``CloudApiError`` rather than return an empty estate.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from costwarden.adapters.aws import CloudWatchCpuMetrics, Ec2Compute, SqsWorkQueue, client_config
from costwarden.adapters.aws.compute_common import LAST_ACTION_TAG, SAVED_CAPACITY_TAG
from costwarden.errors import CloudApiError
from costwarden.models.resource import Resource
from costwarden.plan.model import ActionKind, LastAction, PlannedAction
from costwarden.ports_compute import Target
from integration.scheduling_aws.aws_estate import (
    REGION,
    create_database,
    create_group,
    run_instance,
)
from integration.scheduling_aws.conftest import MotoClient
from throttle_proxy import ThrottleProxy

pytestmark = pytest.mark.integration

AT = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)
MUTATING = {
    "StopInstances",
    "StartInstances",
    "CreateTags",
    "UpdateAutoScalingGroup",
    "CreateOrUpdateTags",
    "DeleteTags",
    "StopDBInstance",
    "StartDBInstance",
    "AddTagsToResource",
}


@pytest.fixture(scope="module")
def fleet(moto_client: MotoClient) -> dict[str, list[str]]:
    """What the throttled run acts on, by the action it should get."""
    ec2, asg, rds = moto_client("ec2"), moto_client("autoscaling"), moto_client("rds")
    stop = [run_instance(ec2, f"dev-{n}") for n in range(3)]
    start = [run_instance(ec2, "night")]
    ec2.stop_instances(InstanceIds=start)
    hibernate = [run_instance(ec2, "hib", hibernation=True)]
    create_group(asg, ec2, "throttled-workers", 1, 2, 3)
    for name in ("orders", "reports"):
        create_database(rds, name)
    rds.stop_db_instance(DBInstanceIdentifier="reports")
    return {
        "stop": stop,
        "start": start,
        "hibernate": hibernate,
        "scale_to_zero": ["throttled-workers"],
        "stop_db": ["orders"],
        "start_db": ["reports"],
    }


def _key(resource: Resource) -> tuple[object, ...]:
    return (resource.resource_type, resource.resource_id)


def test_inventory_under_30_percent_throttling_is_the_whole_estate(
    session: boto3.Session,
    target: Target,
    moto_endpoint: str,
    throttle_proxy: ThrottleProxy,
    fleet: dict[str, list[str]],
) -> None:
    direct = Ec2Compute(session, target, endpoint_url=moto_endpoint).list_resources()

    throttled = Ec2Compute(session, target, endpoint_url=throttle_proxy.url).list_resources()

    assert sorted(throttled, key=_key) == sorted(direct, key=_key)
    assert len(direct) == 8  # 5 instances (the group's 2 not counted), 1 group, 2 databases
    assert throttle_proxy.injected() >= 1


def test_every_action_lands_under_30_percent_throttling(
    session: boto3.Session,
    target: Target,
    moto_client: MotoClient,
    throttle_proxy: ThrottleProxy,
    fleet: dict[str, list[str]],
) -> None:
    compute = Ec2Compute(session, target, endpoint_url=throttle_proxy.url)
    listed = {r.resource_id: r for r in compute.list_resources()}
    kinds: dict[str, ActionKind] = {"stop_db": "stop", "start_db": "start"}
    planned = [
        PlannedAction(
            action=kinds.get(group, group),  # type: ignore[arg-type]
            resource=listed[resource_id],
            rule="nights",
            schedule="office-hours",
            reason="test",
        )
        for group, ids in fleet.items()
        for resource_id in ids
    ]

    # the production path: instances in batches, the other types one by one
    outcomes = compute.execute_all(planned, now=AT)

    assert [(o.status, o.message) for o in outcomes if o.status != "done"] == []
    # what moto holds now, read directly
    ec2, asg, rds = moto_client("ec2"), moto_client("autoscaling"), moto_client("rds")
    instances = {
        i["InstanceId"]: i for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]
    }
    for instance_id in fleet["stop"] + fleet["hibernate"]:
        assert instances[instance_id]["State"]["Name"] == "stopped"
    for instance_id in fleet["start"]:
        assert instances[instance_id]["State"]["Name"] == "running"
    for instance_id in fleet["stop"] + fleet["hibernate"] + fleet["start"]:
        tags = {t["Key"]: t["Value"] for t in instances[instance_id]["Tags"]}
        assert tags[LAST_ACTION_TAG].endswith("-20261130t180000z")
    group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["throttled-workers"])[
        "AutoScalingGroups"
    ][0]
    assert (group["MinSize"], group["DesiredCapacity"], group["MaxSize"]) == (0, 0, 0)
    assert {t["Key"]: t["Value"] for t in group["Tags"]}[SAVED_CAPACITY_TAG] == "1/2/3"
    statuses = {
        d["DBInstanceIdentifier"]: d["DBInstanceStatus"]
        for d in rds.describe_db_instances()["DBInstances"]
    }
    assert (statuses["orders"], statuses["reports"]) == ("stopped", "available")
    # the proxy really did throttle the changes, not only the reads
    throttled_changes = {c.operation for c in throttle_proxy.calls if c.injected} & MUTATING
    assert len(throttled_changes) >= 2, throttle_proxy.calls


def test_metrics_under_30_percent_throttling_match_the_unthrottled_answer(
    session: boto3.Session, moto_endpoint: str, account: str, throttle_proxy: ThrottleProxy
) -> None:
    end = datetime.now(UTC).replace(second=0, microsecond=0)
    start = end - timedelta(minutes=20)
    ids = [f"i-{uuid.uuid4().hex[:17]}" for _ in range(30)]
    session.client("cloudwatch", endpoint_url=moto_endpoint, region_name=REGION).put_metric_data(
        Namespace="AWS/EC2",
        MetricData=[
            {
                "MetricName": "CPUUtilization",
                "Dimensions": [{"Name": "InstanceId", "Value": i}],
                "Timestamp": end - timedelta(minutes=4),
                "Value": float(n),
            }
            for n, i in enumerate(ids)
        ],
    )
    resources = [Resource("aws", account, REGION, i, "ec2_instance", i, "running") for i in ids]
    direct = CloudWatchCpuMetrics(session, endpoint_url=moto_endpoint, max_queries_per_call=5)
    throttled = CloudWatchCpuMetrics(
        session, endpoint_url=throttle_proxy.url, max_queries_per_call=5
    )

    expected = direct.cpu(resources, start=start, end=end)
    answer = throttled.cpu(resources, start=start, end=end)

    assert answer == expected
    assert len(answer) == 30
    assert throttled.calls == 6
    assert throttle_proxy.injected("GetMetricData") >= 1


def test_work_items_under_30_percent_throttling_all_arrive(
    session: boto3.Session, moto_client: MotoClient, throttle_proxy: ThrottleProxy
) -> None:
    sqs = moto_client("sqs")
    url = sqs.create_queue(QueueName=f"work-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    client = session.client(
        "sqs", endpoint_url=throttle_proxy.url, region_name=REGION, config=client_config()
    )
    bodies = [f"item-{n}" for n in range(60)]

    SqsWorkQueue(client, url).send(bodies)

    received: list[str] = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        received.extend(m["Body"] for m in batch)
        for m in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    assert sorted(received) == sorted(bodies)
    assert throttle_proxy.injected("SendMessageBatch") >= 1


# -- when retries run out ------------------------------------------------------------------------
def test_inventory_under_full_throttling_raises_instead_of_listing_nothing(
    session: boto3.Session, target: Target, moto_endpoint: str, fleet: dict[str, list[str]]
) -> None:
    with ThrottleProxy(moto_endpoint, rate=1.0) as proxy:
        compute = Ec2Compute(
            session, target, endpoint_url=proxy.url, config=client_config(max_attempts=3)
        )
        with pytest.raises(CloudApiError) as raised:
            compute.list_resources()

    message = str(raised.value)
    assert "ec2:DescribeInstances" in message
    assert target.account in message
    assert "RequestLimitExceeded" in message or "SlowDown" in message
    # three attempts, then the error: nothing else was listed as if it were the whole estate
    assert [c.operation for c in proxy.calls] == ["DescribeInstances"] * 3


def test_an_action_under_full_throttling_is_a_failed_outcome_not_an_exception(
    session: boto3.Session, target: Target, moto_endpoint: str, fleet: dict[str, list[str]]
) -> None:
    resource = Resource(
        "aws", target.account, REGION, fleet["stop"][0], "ec2_instance", "x", "running"
    )
    action = PlannedAction(action="stop", resource=resource, rule="r", schedule=None, reason="t")
    with ThrottleProxy(moto_endpoint, rate=1.0) as proxy:
        compute = Ec2Compute(
            session, target, endpoint_url=proxy.url, config=client_config(max_attempts=2)
        )
        outcome = compute.execute(action, record=LastAction("stop", AT))

    assert outcome.status == "failed"
    assert "DescribeInstances failed" in outcome.message
    assert "RequestLimitExceeded" in outcome.message or "SlowDown" in outcome.message


def test_server_errors_are_retried_and_the_inventory_completes(
    session: boto3.Session,
    target: Target,
    moto_endpoint: str,
    fault_proxy: ThrottleProxy,
    fleet: dict[str, list[str]],
) -> None:
    fault_proxy.fail_next("DescribeDBInstances", code="InternalFailure", status=500, times=2)
    compute = Ec2Compute(
        session, target, endpoint_url=fault_proxy.url, config=client_config(max_attempts=3)
    )

    resources = compute.list_resources()

    assert {r.resource_id for r in resources} >= {"orders", "reports"}
    assert fault_proxy.injected("DescribeDBInstances") == 2
    assert fault_proxy.forwarded("DescribeDBInstances") == 1


def test_server_errors_past_the_retries_fail_the_whole_inventory(
    session: boto3.Session,
    target: Target,
    moto_endpoint: str,
    fault_proxy: ThrottleProxy,
    fleet: dict[str, list[str]],
) -> None:
    fault_proxy.fail_next("DescribeDBInstances", code="InternalFailure", status=500, times=3)
    compute = Ec2Compute(
        session, target, endpoint_url=fault_proxy.url, config=client_config(max_attempts=3)
    )

    # instances and groups were listed fine, but an estate without its databases is not returned
    with pytest.raises(CloudApiError, match=r"rds:DescribeDBInstances failed .*InternalFailure"):
        compute.list_resources()
