"""CloudMonitoringCpuMetrics: google-cloud-monitoring (gRPC) against the loopback MetricService."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any

import grpc
import pytest

from costwarden.adapters.gcp.cloud_monitoring import CPU_METRIC, CloudMonitoringCpuMetrics
from costwarden.errors import CloudApiError
from costwarden.models.resource import Resource
from fake_gce import FakeMonitoring
from integration.scheduling_gcp.gcp_support import FAST, PROJECT, SHORT

END = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
START = END - timedelta(hours=24)


def instance(name: str, instance_id: str | None, *, project: str = PROJECT) -> Resource:
    return Resource(
        cloud="gcp",
        account=project,
        region="europe-west1-b",
        resource_id=f"europe-west1-b/{name}",
        resource_type="gce_instance",
        name=name,
        state="running",
        extra=MappingProxyType({"instance_id": instance_id} if instance_id else {}),
    )


def metrics(fake: FakeMonitoring, **options: Any) -> CloudMonitoringCpuMetrics:
    options.setdefault("retry", FAST)
    return CloudMonitoringCpuMetrics(PROJECT, api_endpoint=fake.endpoint, **options)


def test_utilization_fraction_becomes_percent_keyed_by_resource(monitoring: FakeMonitoring):
    idle, busy = instance("idle", "111"), instance("busy", "222")
    monitoring.add_flat("111", start=START, end=END, value=0.021)
    monitoring.add_flat("222", start=START, end=END, value=0.64)

    result = metrics(monitoring).cpu([idle, busy], start=START, end=END)

    assert set(result) == {idle.key, busy.key}
    assert result[idle.key].max_percent == pytest.approx(2.1)
    assert result[busy.key].max_percent == pytest.approx(64.0)
    # 24 h at the default 300 s alignment: 288 periods, each with a point
    assert result[idle.key].expected_datapoints == 288
    assert result[idle.key].datapoints == 288


def test_one_request_for_the_project_with_the_documented_filter_and_max_alignment(
    monitoring: FakeMonitoring,
):
    monitoring.add_flat("111", start=START, end=END, value=0.1)

    metrics(monitoring, alignment_seconds=600).cpu([instance("a", "111")], start=START, end=END)

    (request,) = monitoring.requests
    assert request.name == f"projects/{PROJECT}"
    assert request.filter == f'metric.type = "{CPU_METRIC}"'
    assert request.aggregation.per_series_aligner.name == "ALIGN_MAX"
    assert request.aggregation.alignment_period == timedelta(seconds=600)
    assert request.interval.start_time == START
    assert request.interval.end_time == END


def test_a_short_spike_is_the_maximum_not_averaged_away(monitoring: FakeMonitoring):
    samples = [(START + timedelta(minutes=m), 0.01) for m in range(1, 24 * 60)]
    samples[700] = (samples[700][0], 0.93)
    monitoring.add_samples("111", samples)

    result = metrics(monitoring).cpu([instance("a", "111")], start=START, end=END)

    assert result[instance("a", "111").key].max_percent == pytest.approx(93.0)


def test_many_instances_are_one_paged_call(monitoring: FakeMonitoring):
    monitoring.max_page_size = 2
    wanted = [instance(f"vm-{i}", str(100 + i)) for i in range(5)]
    for i in range(5):
        monitoring.add_flat(str(100 + i), start=START, end=END, value=0.01 * (i + 1))
    monitoring.add_flat("999", start=START, end=END, value=0.5)  # an instance nobody asked for

    result = metrics(monitoring).cpu(wanted, start=START, end=END)

    assert len(result) == 5
    assert result[wanted[4].key].max_percent == pytest.approx(5.0)
    pages = monitoring.requests
    assert len(pages) == 3  # 6 series, 2 per page
    assert [p.page_token for p in pages] == ["", "2", "4"]
    assert {p.filter for p in pages} == {f'metric.type = "{CPU_METRIC}"'}


def test_instances_without_data_or_id_are_absent(monitoring: FakeMonitoring):
    monitoring.add_flat("111", start=START, end=END, value=0.2)
    silent, unknown = instance("silent", "222"), instance("no-id", None)
    other_project = instance("elsewhere", "111", project="other")

    result = metrics(monitoring).cpu(
        [instance("a", "111"), silent, unknown, other_project], start=START, end=END
    )

    assert set(result) == {instance("a", "111").key}


def test_partial_data_reports_the_points_seen(monitoring: FakeMonitoring):
    # samples each minute during the last 6 hours only
    monitoring.add_flat("111", start=END - timedelta(hours=6, minutes=-1), end=END, value=0.01)

    (summary,) = metrics(monitoring).cpu([instance("a", "111")], start=START, end=END).values()

    assert summary.datapoints == 72  # 6 h of 5-minute periods
    assert summary.expected_datapoints == 288


def test_nothing_to_ask_makes_no_call(monitoring: FakeMonitoring):
    assert metrics(monitoring).cpu([instance("no-id", None)], start=START, end=END) == {}
    assert monitoring.requests == []


def test_resource_exhausted_is_retried(monitoring: FakeMonitoring):
    monitoring.add_flat("111", start=START, end=END, value=0.2)
    monitoring.fail(grpc.StatusCode.RESOURCE_EXHAUSTED, times=2)

    result = metrics(monitoring).cpu([instance("a", "111")], start=START, end=END)

    assert len(result) == 1
    assert len(monitoring.requests) == 3


def test_unavailable_past_the_retry_budget_raises_naming_the_call(monitoring: FakeMonitoring):
    monitoring.fail(grpc.StatusCode.UNAVAILABLE, times=None)

    with pytest.raises(CloudApiError, match=r"projects\.timeSeries\.list\(projects/cw-dev"):
        metrics(monitoring, retry=SHORT).cpu([instance("a", "111")], start=START, end=END)
    assert len(monitoring.requests) > 1


def test_alignment_below_the_sampling_period_is_refused(monitoring: FakeMonitoring):
    with pytest.raises(ValueError, match="at least 60"):
        metrics(monitoring, alignment_seconds=30)
