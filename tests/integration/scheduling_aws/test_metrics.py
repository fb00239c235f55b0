"""CloudWatchCpuMetrics: GetMetricData in batches of 500 queries against moto's CloudWatch."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from costwarden.adapters.aws import CloudWatchCpuMetrics, client_config
from costwarden.adapters.aws.cloudwatch_metrics import period_for
from costwarden.errors import CloudApiError
from costwarden.models.resource import Resource, ResourceType
from integration.scheduling_aws.aws_estate import REGION
from integration.scheduling_aws.conftest import session_in
from throttle_proxy import ThrottleProxy

pytestmark = pytest.mark.integration

END = datetime.now(UTC).replace(second=0, microsecond=0)
START = END - timedelta(hours=3)


def _resource(
    account: str, resource_id: str, kind: ResourceType = "ec2_instance", region: str = REGION
) -> Resource:
    return Resource(
        cloud="aws",
        account=account,
        region=region,
        resource_id=resource_id,
        resource_type=kind,
        name=resource_id,
        state="running",
    )


def _put(
    cloudwatch: Any,
    namespace: str,
    dimension: str,
    values: dict[str, list[float]],
    spacing: timedelta = timedelta(minutes=30),
) -> None:
    """CPUUtilization datapoints, one per ``spacing`` back from END, per dimension value."""
    data = [
        {
            "MetricName": "CPUUtilization",
            "Dimensions": [{"Name": dimension, "Value": key}],
            "Timestamp": END - spacing * (n + 1) + timedelta(minutes=1),
            "Value": value,
        }
        for key, series in values.items()
        for n, value in enumerate(series)
    ]
    for offset in range(0, len(data), 500):
        cloudwatch.put_metric_data(Namespace=namespace, MetricData=data[offset : offset + 500])


def _recording(session: boto3.Session) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    session.events.register(
        "provide-client-params.cloudwatch.GetMetricData",
        lambda params, **kwargs: calls.append(dict(params)),
    )
    return calls


@pytest.mark.parametrize(
    ("hours", "period"),
    [
        (1, 300),
        (2, 300),
        (16, 3600),
        (24, 3600),
        (48, 7200),
        (72, 10800),
        (168, 43200),
        (336, 86400),
    ],
)
def test_period_is_the_shortest_that_fits_the_window_into_24_datapoints(
    hours: int, period: int
) -> None:
    assert period_for(timedelta(hours=hours)) == period
    assert math.ceil(hours * 3600 / period) <= 24
    assert period == 300 or math.ceil(hours * 3600 / (period // 2)) > 24
    assert 500 * math.ceil(hours * 3600 / period) <= 100_800  # 500 queries stay in one page


def test_1234_instances_take_three_calls_and_each_gets_its_own_maximum(
    fresh_account: tuple[boto3.Session, Any], moto_endpoint: str
) -> None:
    session, target = fresh_account
    ids = [f"i-{n:017x}" for n in range(1234)]
    # every tenth instance has no data; the others peak at a value unique to them
    seeded = {i: [n % 97 / 2, n % 97 / 2 + 0.25] for n, i in enumerate(ids) if n % 10 != 9}
    cloudwatch = session.client("cloudwatch", endpoint_url=moto_endpoint)
    _put(cloudwatch, "AWS/EC2", "InstanceId", seeded, spacing=timedelta(minutes=5))
    calls = _recording(session)
    metrics = CloudWatchCpuMetrics(session, endpoint_url=moto_endpoint)
    # a short window: moto's GetMetricData costs queries x periods x datapoints
    start = END - timedelta(minutes=10)

    result = metrics.cpu([_resource(target.account, i) for i in ids], start=start, end=END)

    assert metrics.calls == 3
    assert [len(c["MetricDataQueries"]) for c in calls] == [500, 500, 234]
    assert calls[1]["MetricDataQueries"][0]["Id"] == "m0"
    assert {q["MetricStat"]["Stat"] for c in calls for q in c["MetricDataQueries"]} == {"Maximum"}
    assert len(result) == len(seeded)
    for n, instance_id in enumerate(ids):
        key = _resource(target.account, instance_id).key
        if n % 10 == 9:
            assert key not in result
        else:
            summary = result[key]
            assert summary.max_percent == pytest.approx(n % 97 / 2 + 0.25)
            assert summary.datapoints == 2
            assert summary.expected_datapoints == 2  # 10 min at 5 min


def test_groups_and_databases_are_read_from_their_namespaces(
    session: boto3.Session, moto_endpoint: str, account: str
) -> None:
    cloudwatch = session.client("cloudwatch", endpoint_url=moto_endpoint, region_name=REGION)
    _put(cloudwatch, "AWS/EC2", "AutoScalingGroupName", {"workers-cpu": [12.0, 40.0]})
    _put(cloudwatch, "AWS/RDS", "DBInstanceIdentifier", {"orders-cpu": [3.0]})
    # the same name under another dimension is another metric
    _put(cloudwatch, "AWS/RDS", "DBInstanceIdentifier", {"workers-cpu": [99.0]})
    group = _resource(account, "workers-cpu", "asg")
    database = _resource(account, "orders-cpu", "rds_instance")
    elsewhere = Resource(
        cloud="azure",
        account="sub",
        region="westeurope",
        resource_id="/subscriptions/sub/vm",
        resource_type="azure_vm",
        name="vm",
        state="running",
    )
    metrics = CloudWatchCpuMetrics(session, endpoint_url=moto_endpoint)

    result = metrics.cpu([group, database, elsewhere], start=START, end=END)

    assert result[group.key].max_percent == 40.0
    assert result[database.key].max_percent == 3.0
    assert set(result) == {group.key, database.key}
    assert metrics.calls == 1


def test_each_region_is_queried_in_its_own_region(
    session: boto3.Session, moto_endpoint: str, account: str
) -> None:
    for region, value in (("eu-west-1", 7.0), ("us-east-1", 70.0)):
        cloudwatch = session.client("cloudwatch", endpoint_url=moto_endpoint, region_name=region)
        _put(cloudwatch, "AWS/EC2", "InstanceId", {"i-0000000000000feed": [value]})
    here = _resource(account, "i-0000000000000feed", region="eu-west-1")
    there = _resource(account, "i-0000000000000feed", region="us-east-1")
    metrics = CloudWatchCpuMetrics(session, endpoint_url=moto_endpoint)

    result = metrics.cpu([here, there], start=START, end=END)

    assert (result[here.key].max_percent, result[there.key].max_percent) == (7.0, 70.0)
    assert metrics.calls == 2


def test_next_token_pages_are_followed_and_merged(
    moto_endpoint: str, account: str, session: boto3.Session
) -> None:
    cloudwatch = session.client("cloudwatch", endpoint_url=moto_endpoint, region_name=REGION)
    _put(cloudwatch, "AWS/EC2", "InstanceId", {"i-00000000000000abc": [5.0, 60.0, 7.0, 8.0]})
    paged = session_in(moto_endpoint, account)
    calls = _recording(paged)

    # moto answers in one page; split its answer in two as CloudWatch does past 100,800 points
    def split(parsed: dict[str, Any], **kwargs: Any) -> None:
        for series in parsed["MetricDataResults"]:
            half = len(series["Values"]) // 2
            first = len(calls) == 1
            series["Values"] = series["Values"][:half] if first else series["Values"][half:]
            series["Timestamps"] = (
                series["Timestamps"][:half] if first else series["Timestamps"][half:]
            )
        if len(calls) == 1:
            parsed["NextToken"] = "page-2"

    paged.events.register("after-call.cloudwatch.GetMetricData", split)
    resource = _resource(account, "i-00000000000000abc")
    metrics = CloudWatchCpuMetrics(paged, endpoint_url=moto_endpoint)

    result = metrics.cpu([resource], start=START, end=END)

    assert metrics.calls == 2
    assert "NextToken" not in calls[0]
    assert calls[1]["NextToken"] == "page-2"
    assert result[resource.key].max_percent == 60.0
    assert result[resource.key].datapoints == 4


def test_a_throttled_metrics_call_raises_naming_get_metric_data(
    session: boto3.Session, moto_endpoint: str, account: str
) -> None:
    with ThrottleProxy(moto_endpoint, rate=1.0) as proxy:
        metrics = CloudWatchCpuMetrics(
            session, endpoint_url=proxy.url, config=client_config(max_attempts=2)
        )
        with pytest.raises(CloudApiError, match=r"cloudwatch:GetMetricData.*ThrottlingException"):
            metrics.cpu([_resource(account, "i-00000000000000abc")], start=START, end=END)
        assert proxy.injected("GetMetricData") == 2


def test_a_window_must_be_aware_and_not_empty(session: boto3.Session) -> None:
    metrics = CloudWatchCpuMetrics(session)
    with pytest.raises(ValueError, match="empty metrics window"):
        metrics.cpu([], start=END, end=END)
    with pytest.raises(ValueError, match="timezone-aware"):
        metrics.cpu([], start=START.replace(tzinfo=None), end=END)
