"""``AzureMonitorCpuMetrics`` with the real ``MetricsClient`` against the fake batch endpoint.

The fake refuses what the service refuses (more than 50 ids, ids of another subscription or
region in one call), so these tests pin the adapter's grouping as well as its arithmetic.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from costwarden.adapters.azure.monitor_metrics import AzureMonitorCpuMetrics
from costwarden.errors import CloudApiError
from costwarden.models.resource import Resource
from costwarden.ports_compute import CpuSummary
from fake_arm import FakeArm, FakeVm

from .conftest import OTHER_SUBSCRIPTION, SUBSCRIPTION

pytestmark = pytest.mark.integration

END = datetime(2026, 11, 16, 18, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
MakeMetrics = Callable[..., AzureMonitorCpuMetrics]


def _resource(vm: FakeVm) -> Resource:
    """What ``AzureVmCompute.list_resources`` reports for the VM (the ids the metrics key on)."""
    return Resource(
        cloud="azure",
        account=vm.subscription,
        region=vm.location,
        resource_id=vm.id,
        resource_type="azure_vm",
        name=vm.name,
        state="running",
    )


def test_120_vms_in_one_region_take_three_calls_of_at_most_50(
    arm: FakeArm, make_metrics: MakeMetrics
):
    vms = [arm.add_vm(f"vm-{i:03d}", subscription=SUBSCRIPTION, cpu=[1.0]) for i in range(120)]

    result = make_metrics().cpu([_resource(vm) for vm in vms], start=END - HOUR, end=END)

    assert sorted(len(call.resource_ids) for call in arm.metrics_calls) == [20, 50, 50]
    assert len(result) == 120


def test_each_call_holds_one_subscription_and_one_region(arm: FakeArm, make_metrics: MakeMetrics):
    vms = [
        *(arm.add_vm(f"we-{i}", subscription=SUBSCRIPTION, cpu=[2.0]) for i in range(3)),
        *(
            arm.add_vm(f"us-{i}", subscription=SUBSCRIPTION, location="eastus", cpu=[2.0])
            for i in range(2)
        ),
        arm.add_vm("other-sub", subscription=OTHER_SUBSCRIPTION, cpu=[2.0]),
    ]

    result = make_metrics().cpu([_resource(vm) for vm in vms], start=END - HOUR, end=END)

    calls = Counter((call.region, len(call.resource_ids)) for call in arm.metrics_calls)
    assert calls == Counter({("westeurope", 3): 1, ("eastus", 2): 1, ("westeurope", 1): 1})
    assert all(call.query.get("metricnamespace") for call in arm.metrics_calls)
    assert len(result) == 6


def test_summary_is_the_window_maximum_with_the_datapoints_seen(
    arm: FakeArm, make_metrics: MakeMetrics
):
    vm = arm.add_vm("vm", subscription=SUBSCRIPTION, cpu=[1.5, None, 7.25, 3.0])
    resource = _resource(vm)

    result = make_metrics().cpu([resource], start=END - HOUR, end=END)

    assert result == {
        resource.key: CpuSummary(max_percent=7.25, datapoints=3, expected_datapoints=12)
    }
    (call,) = arm.metrics_calls
    assert call.query["interval"] == "PT5M"
    assert call.query["aggregation"] == "Maximum"
    assert call.query["metricnames"] == "Percentage CPU"
    assert call.query["starttime"].startswith("2026-11-16T17:00:00")
    assert call.query["endtime"].startswith("2026-11-16T18:00:00")


def test_windows_longer_than_a_day_are_read_hourly(arm: FakeArm, make_metrics: MakeMetrics):
    vm = arm.add_vm("vm", subscription=SUBSCRIPTION, cpu=[4.0] * 47)
    resource = _resource(vm)

    result = make_metrics().cpu([resource], start=END - 48 * HOUR, end=END)

    assert arm.metrics_calls[0].query["interval"] == "PT1H"
    assert result[resource.key] == CpuSummary(4.0, datapoints=47, expected_datapoints=48)


def test_vms_without_any_datapoint_are_absent(arm: FakeArm, make_metrics: MakeMetrics):
    no_series = arm.add_vm("no-series", subscription=SUBSCRIPTION, cpu=None)
    only_gaps = arm.add_vm("only-gaps", subscription=SUBSCRIPTION, cpu=[None] * 12)
    busy = arm.add_vm("busy", subscription=SUBSCRIPTION, cpu=[80.0])

    result = make_metrics().cpu(
        [_resource(no_series), _resource(only_gaps), _resource(busy)], start=END - HOUR, end=END
    )

    assert set(result) == {_resource(busy).key}


def test_resources_that_are_not_azure_vms_are_not_queried(arm: FakeArm, make_metrics: MakeMetrics):
    ec2 = Resource(
        cloud="aws",
        account="123456789012",
        region="eu-west-1",
        resource_id="i-0abc",
        resource_type="ec2_instance",
        name="i-0abc",
        state="running",
    )

    assert make_metrics().cpu([ec2], start=END - HOUR, end=END) == {}
    assert arm.metrics_calls == []


def test_a_throttled_batch_call_is_retried(arm: FakeArm, make_metrics: MakeMetrics):
    vm = arm.add_vm("vm", subscription=SUBSCRIPTION, cpu=[3.0])
    arm.fail("POST", r"metrics:getBatch$", 429)  # no Retry-After: retried by method allow-list

    result = make_metrics().cpu([_resource(vm)], start=END - HOUR, end=END)

    assert [r.status for r in arm.calls("POST", r"metrics:getBatch$")] == [429, 200]
    assert result[_resource(vm).key].max_percent == 3.0


def test_a_batch_call_that_keeps_failing_raises_cloud_api_error(
    arm: FakeArm, make_metrics: MakeMetrics
):
    vm = arm.add_vm("vm", subscription=SUBSCRIPTION, cpu=[3.0])
    arm.fail("POST", r"metrics:getBatch$", 503, times=100, code="ServiceUnavailable")

    with pytest.raises(CloudApiError) as raised:
        make_metrics(retry_total=2).cpu([_resource(vm)], start=END - HOUR, end=END)

    assert "metrics:getBatch" in str(raised.value)
    assert "westeurope" in str(raised.value)
    assert "503" in str(raised.value)
    assert len(arm.calls("POST", r"metrics:getBatch$")) == 3
