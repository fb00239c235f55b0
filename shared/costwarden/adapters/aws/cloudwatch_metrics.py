"""CPU utilization from CloudWatch ``GetMetricData``, batched: one call per 500 resources.

Cloud Custodian's idle filters make one ``GetMetricStatistics`` call per instance; at 10,000
instances that is 10,000 calls against a 50-TPS-ish API. ``GetMetricData`` takes up to 500
metric queries per call, so 10,000 instances cost 20 calls.

Metric: ``CPUUtilization``, statistic ``Maximum`` (a resource is idle only if it *never* got
busy in the window), from ``AWS/EC2`` by ``InstanceId`` (instances) or ``AutoScalingGroupName``
(groups: the maximum over their instances) and ``AWS/RDS`` by ``DBInstanceIdentifier``.

Period: the shortest of a fixed ladder, never below the 5 minutes of EC2 basic monitoring,
that fits the window into 24 datapoints: 5 min up to 2 h, 1 h for 24 h, 12 h for 7 days, 1 day
for the 14-day maximum. The maximum over a longer period is still the maximum, so the idle
verdict loses nothing; coverage ("missing data is not idle") is counted in those periods (an
instance started an hour ago has 1 of 24 hours). Finer periods cost client CPU for nothing:
botocore decodes CloudWatch's CBOR answers in pure Python, and at 10-minute points (144 values
and timestamps per instance) decoding 5 answers for 2,500 instances took 1.5 s, more than the
rest of an idle run (bench/README.md "Scheduler"). One call returns at most 100,800
datapoints before it pages, far above 500 x 24; paging is still followed should CloudWatch page.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from costwarden.adapters.aws.retry import api_error, client_config
from costwarden.errors import CloudApiError
from costwarden.models.resource import Resource
from costwarden.ports_compute import CpuSummary

if TYPE_CHECKING:
    from boto3.session import Session
    from botocore.config import Config
    from mypy_boto3_cloudwatch.client import CloudWatchClient
    from mypy_boto3_cloudwatch.type_defs import (
        GetMetricDataInputTypeDef,
        MetricDataQueryTypeDef,
    )

#: GetMetricData's limit of metric queries per call.
MAX_QUERIES_PER_CALL = 500
#: GetMetricData's datapoints per call before it pages.
MAX_DATAPOINTS_PER_CALL = 100_800
#: Datapoints asked for per resource and window (see the module docstring).
POINTS_PER_WINDOW = 24
#: Periods CloudWatch accepts for any start time up to 455 days back (multiples of 5 min,
#: and of 1 h beyond the 63 days of 5-minute retention).
_PERIODS = (300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)

_DIMENSIONS: Mapping[str, tuple[str, str]] = {
    "ec2_instance": ("AWS/EC2", "InstanceId"),
    "asg": ("AWS/EC2", "AutoScalingGroupName"),
    "rds_instance": ("AWS/RDS", "DBInstanceIdentifier"),
}


def period_for(window: timedelta) -> int:
    """Seconds per datapoint for a window (see the module docstring)."""
    seconds = window.total_seconds()
    for period in _PERIODS:
        if math.ceil(seconds / period) <= POINTS_PER_WINDOW:
            return period
    days = math.ceil(seconds / 86400 / POINTS_PER_WINDOW)
    return 86400 * days


class CloudWatchCpuMetrics:
    """``UtilizationMetrics`` on CloudWatch for EC2 instances, Auto Scaling groups and RDS.

    ``calls`` counts the GetMetricData requests made (pages included, retries not), so a
    caller or a test can see the batching at work.
    """

    def __init__(
        self,
        session: Session,
        *,
        endpoint_url: str | None = None,
        config: Config | None = None,
        max_queries_per_call: int = MAX_QUERIES_PER_CALL,
    ) -> None:
        if not 0 < max_queries_per_call <= MAX_QUERIES_PER_CALL:
            raise ValueError(f"max_queries_per_call must be 1..{MAX_QUERIES_PER_CALL}")
        self._session = session
        self._endpoint_url = endpoint_url
        self._config = config or client_config()
        self._batch = max_queries_per_call
        self._clients: dict[str, CloudWatchClient] = {}
        self.calls = 0

    def cpu(
        self, resources: Sequence[Resource], *, start: datetime, end: datetime
    ) -> dict[str, CpuSummary]:
        """Keyed by ``Resource.key``; resources without datapoints are absent."""
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("start and end must be timezone-aware")
        if end <= start:
            raise ValueError(f"empty metrics window: {start.isoformat()} .. {end.isoformat()}")
        period = period_for(end - start)
        expected = math.ceil((end - start).total_seconds() / period)
        by_region: dict[str, list[Resource]] = defaultdict(list)
        for resource in resources:
            if resource.cloud == "aws" and resource.resource_type in _DIMENSIONS:
                by_region[resource.region].append(resource)
        result: dict[str, CpuSummary] = {}
        for region, members in sorted(by_region.items()):
            client = self._client(region)
            for offset in range(0, len(members), self._batch):
                chunk = members[offset : offset + self._batch]
                values = self._query(client, region, chunk, start=start, end=end, period=period)
                for index, resource in enumerate(chunk):
                    points = values.get(f"m{index}")
                    if points:
                        result[resource.key] = CpuSummary(
                            max_percent=max(points),
                            datapoints=len(points),
                            expected_datapoints=expected,
                        )
        return result

    def _query(
        self,
        client: CloudWatchClient,
        region: str,
        chunk: Sequence[Resource],
        *,
        start: datetime,
        end: datetime,
        period: int,
    ) -> dict[str, list[float]]:
        """One batch of up to 500 queries, all pages; values per query id (``m0``..``m499``)."""
        queries: list[MetricDataQueryTypeDef] = []
        for index, resource in enumerate(chunk):
            namespace, dimension = _DIMENSIONS[resource.resource_type]
            queries.append(
                {
                    # Ids must start with a lowercase letter; the index maps the answer back.
                    "Id": f"m{index}",
                    "MetricStat": {
                        "Metric": {
                            "Namespace": namespace,
                            "MetricName": "CPUUtilization",
                            "Dimensions": [{"Name": dimension, "Value": resource.resource_id}],
                        },
                        "Period": period,
                        "Stat": "Maximum",
                    },
                    "ReturnData": True,
                }
            )
        values: dict[str, list[float]] = defaultdict(list)
        request: GetMetricDataInputTypeDef = {
            "MetricDataQueries": queries,
            "StartTime": start,
            "EndTime": end,
        }
        while True:
            self.calls += 1
            try:
                response = client.get_metric_data(**request)
            except (ClientError, BotoCoreError) as exc:
                where = f"{chunk[0].account}/{region} ({len(chunk)} resources)"
                raise api_error("cloudwatch:GetMetricData", where, exc) from exc
            for series in response.get("MetricDataResults", []):
                status = series.get("StatusCode", "Complete")
                if status in ("InternalError", "Forbidden"):
                    raise CloudApiError(
                        f"AWS cloudwatch:GetMetricData answered {status} for query "
                        f"{series.get('Id')} in {chunk[0].account}/{region}"
                    )
                values[series["Id"]].extend(series.get("Values", []))
            token = response.get("NextToken")
            if not token:
                return values
            request["NextToken"] = token

    def _client(self, region: str) -> CloudWatchClient:
        client = self._clients.get(region)
        if client is None:
            client = self._session.client(
                "cloudwatch",
                region_name=region,
                endpoint_url=self._endpoint_url,
                config=self._config,
            )
            self._clients[region] = client
        return client
