"""A fresh fake ARM per test, and the Azure scheduler adapters wired to it with real SDK clients.

Clients trust the fake's self-signed certificate through ``connection_verify`` and retry with
millisecond back-offs (constructor keyword arguments, no patching); LRO polls are not delayed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from costwarden.adapters.azure.monitor_metrics import AzureMonitorCpuMetrics
from costwarden.adapters.azure.vm_compute import AzureVmCompute
from fake_arm import FakeArm, StaticTokenCredential, TlsFiles, client_options, self_signed

SUBSCRIPTION = "00000000-0000-0000-0000-00000000c0de"
OTHER_SUBSCRIPTION = "11111111-1111-1111-1111-111111111111"


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return self_signed(Path(tmp_path_factory.mktemp("fake-arm-tls")))


@pytest.fixture
def arm(tls_files: TlsFiles) -> Iterator[FakeArm]:
    with FakeArm(tls_files) as server:
        yield server


@pytest.fixture
def client_kwargs(tls_files: TlsFiles) -> dict[str, Any]:
    return client_options(tls_files)


@pytest.fixture
def make_compute(
    arm: FakeArm, client_kwargs: dict[str, Any]
) -> Iterator[Callable[..., AzureVmCompute]]:
    made: list[AzureVmCompute] = []

    def make(subscription: str = SUBSCRIPTION, **options: Any) -> AzureVmCompute:
        compute = AzureVmCompute(
            StaticTokenCredential(),
            subscription,
            base_url=arm.url,
            **{**client_kwargs, **options},
        )
        made.append(compute)
        return compute

    yield make
    for compute in made:
        compute.close()


@pytest.fixture
def make_metrics(
    arm: FakeArm, client_kwargs: dict[str, Any]
) -> Iterator[Callable[..., AzureMonitorCpuMetrics]]:
    made: list[AzureMonitorCpuMetrics] = []

    def make(**options: Any) -> AzureMonitorCpuMetrics:
        kwargs = {k: v for k, v in client_kwargs.items() if k != "polling_interval"}
        metrics = AzureMonitorCpuMetrics(
            StaticTokenCredential(), arm.metrics_endpoint, **{**kwargs, **options}
        )
        made.append(metrics)
        return metrics

    yield make
    for metrics in made:
        metrics.close()
