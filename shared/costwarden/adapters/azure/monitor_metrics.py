"""CPU utilization of Azure VMs from Azure Monitor's batch metrics API (``metrics:getBatch``).

``MetricsClient.query_resources`` (azure-monitor-querymetrics) reads one metric for up to 50
resources per call, but every resource of a call must share the subscription, the region and the
resource type (the regional endpoint ``https://<region>.metrics.monitor.azure.com`` serves only
its own region). Resources are grouped by (subscription, region, type) and each group is sent in
chunks of 50: 120 VMs in one region cost 3 calls, not 120.

The summary is the *Maximum* of ``Percentage CPU`` over the window, at ``PT5M`` for windows up to
24 hours and ``PT1H`` beyond (a 14-day window at 5 minutes is 4,032 points per VM). The maximum of
hourly maxima is still the window's maximum, so the coarser grain loses nothing the idle rule
reads. ``datapoints`` counts the intervals that carry a value; the service returns a timestamp
without a value for an interval with no data, and a VM with no value at all is left out of the
result (missing data is never idle).

Retries are azure-core's: any answer with ``Retry-After`` is retried after it; otherwise the
batch endpoint, being a POST, would be retried only on 500/503/504. It reads and changes nothing,
so 408/429/502 are retried too (``retry_on_methods``). A call that still fails raises
``CloudApiError``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Final

from azure.core.credentials import TokenCredential
from azure.core.exceptions import AzureError, HttpResponseError
from azure.monitor.querymetrics import MetricAggregationType, MetricsClient

from costwarden.errors import CloudApiError
from costwarden.models.resource import Resource, ResourceType
from costwarden.ports_compute import CpuSummary

#: The getBatch limit: resource ids per call.
MAX_IDS_PER_CALL: Final = 50
CPU_METRIC: Final = "Percentage CPU"
_NAMESPACES: Mapping[ResourceType, str] = {"azure_vm": "Microsoft.Compute/virtualMachines"}
_FINE, _COARSE = timedelta(minutes=5), timedelta(hours=1)
_FINE_WINDOW_LIMIT: Final = timedelta(hours=24)
_METRIC_SUFFIX: Final = "/providers/microsoft.insights/metrics/"
_RETRY_METHODS: Final = frozenset({"HEAD", "GET", "PUT", "DELETE", "OPTIONS", "TRACE", "POST"})


def public_endpoint(region: str) -> str:
    """The regional metrics endpoint of Azure's public cloud."""
    return f"https://{region}.metrics.monitor.azure.com"


def interval_for(start: datetime, end: datetime) -> timedelta:
    """``PT5M`` for windows up to 24 h, ``PT1H`` beyond."""
    return _FINE if end - start <= _FINE_WINDOW_LIMIT else _COARSE


class AzureMonitorCpuMetrics:
    """``UtilizationMetrics`` for Azure VMs; one ``MetricsClient`` per region, made on first use.

    ``endpoint_for_region`` maps a region to its metrics endpoint (sovereign clouds, tests);
    ``client_kwargs`` go to every ``MetricsClient`` (``audience``, retry settings, a transport).
    """

    def __init__(
        self,
        credential: TokenCredential,
        endpoint_for_region: Callable[[str], str] = public_endpoint,
        **client_kwargs: Any,
    ) -> None:
        self._credential = credential
        self._endpoint_for_region = endpoint_for_region
        self._client_kwargs = client_kwargs
        self._clients: dict[str, MetricsClient] = {}

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()

    def cpu(
        self, resources: Sequence[Resource], *, start: datetime, end: datetime
    ) -> Mapping[str, CpuSummary]:
        """Keyed by ``Resource.key``; resources with no datapoint (or not Azure VMs) are absent."""
        interval = interval_for(start, end)
        expected = max(1, int((end - start) / interval))
        groups: dict[tuple[str, str, str], list[Resource]] = defaultdict(list)
        for resource in resources:
            namespace = _NAMESPACES.get(resource.resource_type)
            if resource.cloud == "azure" and namespace is not None:
                key = (resource.account.lower(), resource.region.lower(), namespace)
                groups[key].append(resource)
        summaries: dict[str, CpuSummary] = {}
        for (subscription, region, namespace), members in groups.items():
            for offset in range(0, len(members), MAX_IDS_PER_CALL):
                chunk = members[offset : offset + MAX_IDS_PER_CALL]
                where = f"{len(chunk)} resources in {region}, subscription {subscription}"
                maxima = self._query(
                    region=region,
                    namespace=namespace,
                    chunk=chunk,
                    start=start,
                    end=end,
                    interval=interval,
                    where=where,
                )
                for resource in chunk:
                    points = maxima.get(resource.resource_id.lower())
                    if points:
                        summaries[resource.key] = CpuSummary(
                            max_percent=max(points.values()),
                            datapoints=len(points),
                            expected_datapoints=expected,
                        )
        return summaries

    def _query(
        self,
        *,
        region: str,
        namespace: str,
        chunk: Sequence[Resource],
        start: datetime,
        end: datetime,
        interval: timedelta,
        where: str,
    ) -> dict[str, dict[datetime, float]]:
        """Resource id (lowercase) -> {interval start: maximum} for one getBatch call."""
        try:
            results = self._client(region).query_resources(
                resource_ids=[r.resource_id for r in chunk],
                metric_namespace=namespace,
                metric_names=[CPU_METRIC],
                timespan=(start, end),
                granularity=interval,
                aggregations=[MetricAggregationType.MAXIMUM],
                retry_on_methods=_RETRY_METHODS,
            )
        except AzureError as exc:
            raise CloudApiError(
                f"Azure Monitor metrics:getBatch ({CPU_METRIC}, {where}) failed: {_describe(exc)}"
            ) from exc
        maxima: dict[str, dict[datetime, float]] = {}
        for result in results:
            for metric in result.metrics:
                # The metric id is "<resource id>/providers/Microsoft.Insights/metrics/<name>":
                # the only place the parsed result names its resource.
                head, found, _name = metric.id.lower().rpartition(_METRIC_SUFFIX)
                if not found:
                    continue
                points = maxima.setdefault(head, {})
                for series in metric.timeseries:
                    for value in series.data:
                        if value.maximum is not None:
                            previous = points.get(value.timestamp, value.maximum)
                            points[value.timestamp] = max(previous, value.maximum)
        return maxima

    def _client(self, region: str) -> MetricsClient:
        client = self._clients.get(region)
        if client is None:
            endpoint = self._endpoint_for_region(region)
            client = MetricsClient(endpoint, self._credential, **self._client_kwargs)
            self._clients[region] = client
        return client


def _describe(exc: AzureError) -> str:
    if isinstance(exc, HttpResponseError):
        error = exc.error
        if error is not None and error.code:
            return f"HTTP {exc.status_code} {error.code}: {error.message}"
        return f"HTTP {exc.status_code}: {exc.reason or exc.message}"
    return f"{type(exc).__name__}: {exc.message}"
