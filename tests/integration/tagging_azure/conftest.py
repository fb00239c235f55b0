"""A fresh fake ARM Resources/Tags API per test, and the Azure tag adapters wired to it with
the real ``ResourceManagementClient``.

As in the scheduler's Azure tests (``integration/scheduling_azure``): clients trust the fake's
self-signed certificate through ``connection_verify``, authenticate with a static token, and
retry with millisecond back-offs (constructor keyword arguments, no patching). The subscription
is the one the Event Grid samples in ``events/azure/`` name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from costwarden.adapters.azure.tagging import AzureTagInventory, AzureTagWriter
from fake_arm import client_options
from fake_arm_tags import FakeResources, StaticTokenCredential, TlsFiles, self_signed

pytestmark = pytest.mark.integration

SUBSCRIPTION = "00000000-0000-0000-0000-000000000001"
OTHER_SUBSCRIPTION = "11111111-1111-1111-1111-111111111111"
VM = "Microsoft.Compute/virtualMachines"
STORAGE = "Microsoft.Storage/storageAccounts"
DISK = "Microsoft.Compute/disks"


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return self_signed(Path(tmp_path_factory.mktemp("fake-arm-tags-tls")))


@pytest.fixture
def arm(tls_files: TlsFiles) -> Iterator[FakeResources]:
    with FakeResources(tls_files) as server:
        yield server


@pytest.fixture
def client_kwargs(tls_files: TlsFiles) -> dict[str, Any]:
    return client_options(tls_files)


@pytest.fixture
def make_inventory(
    arm: FakeResources, client_kwargs: dict[str, Any]
) -> Iterator[Callable[..., AzureTagInventory]]:
    made: list[AzureTagInventory] = []

    def make(subscription: str = SUBSCRIPTION, **options: Any) -> AzureTagInventory:
        inventory = AzureTagInventory(
            StaticTokenCredential(), subscription, arm.url, **{**client_kwargs, **options}
        )
        made.append(inventory)
        return inventory

    yield make
    for inventory in made:
        inventory.close()


@pytest.fixture
def make_writer(
    arm: FakeResources, client_kwargs: dict[str, Any]
) -> Iterator[Callable[..., AzureTagWriter]]:
    made: list[AzureTagWriter] = []

    def make(subscription: str = SUBSCRIPTION, **options: Any) -> AzureTagWriter:
        writer = AzureTagWriter(
            StaticTokenCredential(), subscription, arm.url, **{**client_kwargs, **options}
        )
        made.append(writer)
        return writer

    yield make
    for writer in made:
        writer.close()
