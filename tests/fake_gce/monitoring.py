"""``FakeMonitoring``: ``google.monitoring.v3.MetricService/ListTimeSeries`` over plaintext gRPC.

google-cloud-monitoring 2.x talks gRPC only, so this is a real gRPC server on 127.0.0.1 that
(de)serialises the library's own protobuf messages. It does what the adapter relies on, the way
the API documents it: the filter must name one ``metric.type``; ``interval`` bounds the points;
``aggregation`` with ``ALIGN_MAX`` and an ``alignmentPeriod`` turns raw samples into one point
per period (the maximum), newest first; ``pageSize``/``pageToken`` page through the series.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from concurrent import futures
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
from google.cloud import monitoring_v3

_SERVICE = "google.monitoring.v3.MetricService"
_METRIC = re.compile(r'metric\.type\s*=\s*"([^"]+)"')
_ALIGN_MAX = monitoring_v3.Aggregation.Aligner.ALIGN_MAX


@dataclass
class _Series:
    instance_id: str
    instance_name: str
    zone: str
    samples: list[tuple[datetime, float]]


@dataclass
class _Fault:
    code: grpc.StatusCode
    remaining: int | None


class FakeMonitoring:
    """Samples per instance of ``compute.googleapis.com/instance/cpu/utilization`` (0..1)."""

    METRIC = "compute.googleapis.com/instance/cpu/utilization"

    def __init__(self, *, project: str = "cw-dev", max_page_size: int = 100_000) -> None:
        self.project = project
        self.max_page_size = max_page_size
        self.requests: list[monitoring_v3.ListTimeSeriesRequest] = []
        self._series: list[_Series] = []
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        handler = grpc.unary_unary_rpc_method_handler(
            self._list_time_series,
            request_deserializer=monitoring_v3.ListTimeSeriesRequest.deserialize,
            response_serializer=monitoring_v3.ListTimeSeriesResponse.serialize,
        )
        self._server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler(_SERVICE, {"ListTimeSeries": handler}),)
        )
        port = self._server.add_insecure_port("127.0.0.1:0")
        #: ``http://`` tells the adapter to open a plaintext channel (emulator convention).
        self.endpoint = f"http://127.0.0.1:{port}"

    def __enter__(self) -> FakeMonitoring:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop(grace=None).wait()

    # -- scripting -------------------------------------------------------------------------
    def add_samples(
        self,
        instance_id: str,
        samples: Sequence[tuple[datetime, float]],
        *,
        name: str = "vm",
        zone: str = "europe-west1-b",
    ) -> None:
        self._series.append(_Series(instance_id, name, zone, list(samples)))

    def add_flat(
        self, instance_id: str, *, start: datetime, end: datetime, value: float, every: int = 60
    ) -> None:
        """One sample every ``every`` seconds in [start, end) at ``value``."""
        count = int((end - start).total_seconds() // every)
        self.add_samples(
            instance_id, [(start + timedelta(seconds=every * i), value) for i in range(count)]
        )

    def fail(self, code: grpc.StatusCode, *, times: int | None = 1) -> None:
        self._faults.append(_Fault(code, times))

    # -- the RPC ---------------------------------------------------------------------------
    def _list_time_series(
        self, request: monitoring_v3.ListTimeSeriesRequest, context: grpc.ServicerContext
    ) -> monitoring_v3.ListTimeSeriesResponse:
        with self._lock:
            self.requests.append(request)
            for fault in self._faults:
                if fault.remaining != 0:
                    if fault.remaining is not None:
                        fault.remaining -= 1
                    context.abort(fault.code, f"injected {fault.code.name}")
        if request.name != f"projects/{self.project}":
            context.abort(grpc.StatusCode.NOT_FOUND, f"Project {request.name} not found")
        metrics = _METRIC.findall(request.filter)
        if len(metrics) != 1:
            context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, "The filter must specify exactly one metric.type"
            )
        interval = request.interval
        if not interval.end_time:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "interval.endTime is required")
        start = _aware(interval.start_time) if interval.start_time else _aware(interval.end_time)
        end = _aware(interval.end_time)
        series = [s for s in self._series if metrics[0] == self.METRIC]
        series.sort(key=lambda s: s.instance_id)
        offset = int(request.page_token or 0)
        size = min(request.page_size or self.max_page_size, self.max_page_size)
        page = series[offset : offset + size]
        response = monitoring_v3.ListTimeSeriesResponse(
            time_series=[self._render(s, start, end, request.aggregation) for s in page]
        )
        if offset + size < len(series):
            response.next_page_token = str(offset + size)
        return response

    def _render(
        self, series: _Series, start: datetime, end: datetime, aggregation: Any
    ) -> monitoring_v3.TimeSeries:
        # The interval is (start, end]: a sample exactly at the start belongs to the period before.
        inside = [(t, v) for t, v in series.samples if start < t <= end]
        period = aggregation.alignment_period
        if aggregation.per_series_aligner == _ALIGN_MAX and period:
            seconds = period.total_seconds()
            buckets: dict[int, float] = {}
            for at, value in inside:
                index = int((end - at).total_seconds() // seconds)
                buckets[index] = max(value, buckets.get(index, value))
            points = [(end - timedelta(seconds=seconds * i), v) for i, v in buckets.items()]
        else:
            points = inside
        points.sort(key=lambda p: p[0], reverse=True)  # newest first, as the API returns them
        return monitoring_v3.TimeSeries(
            metric={"type": self.METRIC, "labels": {"instance_name": series.instance_name}},
            resource={
                "type": "gce_instance",
                "labels": {
                    "project_id": self.project,
                    "instance_id": series.instance_id,
                    "zone": series.zone,
                },
            },
            metric_kind="GAUGE",
            value_type="DOUBLE",
            points=[
                {"interval": {"end_time": at}, "value": {"double_value": value}}
                for at, value in points
            ],
        )


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
