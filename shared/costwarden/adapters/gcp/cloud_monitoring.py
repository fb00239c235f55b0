"""CPU utilization of Compute Engine instances from Cloud Monitoring, for idle detection.

One ``projects.timeSeries.list`` per call of ``cpu()`` (paged by the library's pager):

- filter ``metric.type = "compute.googleapis.com/instance/cpu/utilization"`` over the whole
  project. The filter deliberately names no instances: a project-wide series list is one request
  however many instances the idle rules matched, and it sidesteps any limit on the filter's
  length; series of instances nobody asked about are dropped here.
- ``aggregation``: ``ALIGN_MAX`` per ``alignment_seconds`` (default 300 s), so a CPU spike inside
  a period is never averaged away: idle means the *maximum* stayed below the threshold.
- The metric is a 0..1 fraction of the allocated vCPUs (it can exceed 1.0 on shared-core
  machine types); it is reported as percent.
- Series are matched to resources by ``resource.labels.instance_id``, the numeric id the
  inventory puts in ``Resource.extra["instance_id"]`` (names are reusable, ids are not).

google-cloud-monitoring 2.x only has gRPC transports. ``api_endpoint`` overrides the endpoint;
an ``http://host:port`` one opens a plaintext channel (the emulator convention, used by tests),
anything else the default TLS channel with ``credentials`` (None: Application Default
Credentials).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from google.auth.credentials import Credentials
from google.cloud import monitoring_v3

from costwarden.adapters.gcp.gce_compute import API_ERRORS, DEFAULT_RETRY, RetrySettings
from costwarden.errors import CloudApiError
from costwarden.models.resource import Resource
from costwarden.ports_compute import CpuSummary

log = logging.getLogger(__name__)

CPU_METRIC = "compute.googleapis.com/instance/cpu/utilization"


class CloudMonitoringCpuMetrics:
    """``UtilizationMetrics`` for the Compute Engine instances of ``project``."""

    def __init__(
        self,
        project: str,
        *,
        credentials: Credentials | None = None,
        api_endpoint: str | None = None,
        retry: RetrySettings = DEFAULT_RETRY,
        alignment_seconds: int = 300,
        call_timeout: float = 60.0,
    ) -> None:
        if alignment_seconds < 60:
            # The metric is sampled every 60 s; a shorter period only adds empty buckets.
            raise ValueError("alignment_seconds must be at least 60")
        self._project = project
        self._client = _client(credentials, api_endpoint)
        self._retry = retry.retry()
        self._alignment = alignment_seconds
        self._call_timeout = call_timeout

    def cpu(
        self, resources: Sequence[Resource], *, start: datetime, end: datetime
    ) -> Mapping[str, CpuSummary]:
        by_id: dict[str, Resource] = {}
        for resource in resources:
            instance_id = resource.extra.get("instance_id")
            if resource.cloud != "gcp" or resource.account != self._project or not instance_id:
                log.warning(
                    "no CPU metrics for %s: not an instance of project %s with a numeric id",
                    resource.key,
                    self._project,
                )
                continue
            by_id[instance_id] = resource
        if not by_id:
            return {}
        points = self._maxima(start, end)
        expected = max(int((end - start).total_seconds() // self._alignment), 1)
        result: dict[str, CpuSummary] = {}
        for instance_id, resource in by_id.items():
            values = points.get(instance_id)
            if values:
                result[resource.key] = CpuSummary(
                    max_percent=max(values.values()) * 100.0,
                    datapoints=len(values),
                    expected_datapoints=expected,
                )
        return result

    def _maxima(self, start: datetime, end: datetime) -> dict[str, dict[datetime, float]]:
        """instance_id -> {aligned point end time -> max utilization (0..1)}."""
        request = monitoring_v3.ListTimeSeriesRequest(
            name=f"projects/{self._project}",
            filter=f'metric.type = "{CPU_METRIC}"',
            interval=monitoring_v3.TimeInterval(start_time=start, end_time=end),
            aggregation=monitoring_v3.Aggregation(
                alignment_period=timedelta(seconds=self._alignment),
                per_series_aligner=monitoring_v3.Aggregation.Aligner.ALIGN_MAX,
            ),
            view=monitoring_v3.ListTimeSeriesRequest.TimeSeriesView.FULL,
        )
        found: dict[str, dict[datetime, float]] = {}
        try:
            pager = self._client.list_time_series(
                request=request, retry=self._retry, timeout=self._call_timeout
            )
            for series in pager:  # the pager fetches the next page with its token
                instance_id = series.resource.labels.get("instance_id", "")
                into = found.setdefault(instance_id, {})
                for point in series.points:
                    # One series per instance normally; should there be more (e.g. a label
                    # change), points at the same instant merge by their maximum.
                    at = point.interval.end_time
                    into[at] = max(point.value.double_value, into.get(at, 0.0))
        except API_ERRORS as exc:
            raise CloudApiError(
                f"monitoring projects.timeSeries.list(projects/{self._project}, "
                f"{CPU_METRIC}) failed: {exc}"
            ) from exc
        return found


def _client(
    credentials: Credentials | None, api_endpoint: str | None
) -> monitoring_v3.MetricServiceClient:
    if api_endpoint and api_endpoint.startswith("http://"):
        import grpc  # type: ignore[import-untyped]
        from google.cloud.monitoring_v3.services.metric_service.transports import (
            MetricServiceGrpcTransport,
        )

        channel = grpc.insecure_channel(api_endpoint.removeprefix("http://").rstrip("/"))
        return monitoring_v3.MetricServiceClient(
            transport=MetricServiceGrpcTransport(channel=channel)
        )
    options = {"api_endpoint": api_endpoint} if api_endpoint else None
    return monitoring_v3.MetricServiceClient(credentials=credentials, client_options=options)


__all__ = ["CPU_METRIC", "CloudMonitoringCpuMetrics"]
