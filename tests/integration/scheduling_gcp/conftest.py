"""The Google Cloud scheduler adapters with the real google-cloud-* clients against loopback fakes.

``gcp_server``   a fresh ``FakeGcpServer`` (Compute Engine + Pub/Sub over HTTP/JSON) per test
``monitoring``   a fresh ``FakeMonitoring`` (Cloud Monitoring over plaintext gRPC) per test
``make_compute`` ``GceCompute`` against ``gcp_server`` with anonymous credentials and back-off
                 delays of milliseconds (``RetrySettings``), so retries run without waiting.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from google.auth.credentials import AnonymousCredentials

from costwarden.adapters.gcp.gce_compute import GceCompute
from fake_gce import FakeGcpServer, FakeMonitoring
from integration.scheduling_gcp.gcp_support import FAST, PROJECT


@pytest.fixture
def gcp_server() -> Iterator[FakeGcpServer]:
    with FakeGcpServer(project=PROJECT) as server:
        yield server


@pytest.fixture
def monitoring() -> Iterator[FakeMonitoring]:
    with FakeMonitoring(project=PROJECT) as fake:
        yield fake


@pytest.fixture
def make_compute(gcp_server: FakeGcpServer) -> Callable[..., GceCompute]:
    def make(**options: Any) -> GceCompute:
        options.setdefault("retry", FAST)
        options.setdefault("operation_polling", FAST)
        options.setdefault("operation_timeout", 10.0)
        return GceCompute(
            PROJECT,
            credentials=AnonymousCredentials(),
            api_endpoint=gcp_server.base_url,
            **options,
        )

    return make
