"""The Google Cloud label adapters with the real google-cloud-* clients against loopback fakes.

``gcp``           a fresh ``FakeLabelsServer`` per test (Compute instances and disks, Resource
                  Manager projects.get, Cloud Storage buckets), so listings see only the test's
                  own estate and every request is recorded.
``make_clients``  ``GcpLabelClients`` on ``gcp`` (all three APIs) with anonymous credentials and
                  millisecond back-off, so retries run without waiting.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from google.auth.credentials import AnonymousCredentials

from costwarden.adapters.gcp.tagging import GcpLabelClients
from fake_gce import FakeLabelsServer
from integration.tagging_gcp.support import FAST, PROJECT


@pytest.fixture
def gcp() -> Iterator[FakeLabelsServer]:
    with FakeLabelsServer(project=PROJECT) as server:
        yield server


@pytest.fixture
def make_clients(gcp: FakeLabelsServer) -> Callable[..., GcpLabelClients]:
    def make(**options: Any) -> GcpLabelClients:
        options.setdefault("retry", FAST)
        options.setdefault("storage_endpoint", gcp.base_url)
        return GcpLabelClients(
            gcp.project,
            credentials=AnonymousCredentials(),
            compute_endpoint=gcp.base_url,
            resource_manager_endpoint=gcp.base_url,
            **options,
        )

    return make
