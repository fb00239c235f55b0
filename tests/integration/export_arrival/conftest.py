"""Object stores on the real emulators, one fresh bucket / container per call.

``new_store`` is parametrized over the four ``ObjectStore`` adapters: the local directory,
S3 on moto's server, Blob Storage on Azurite, Cloud Storage on fake-gcs-server. Emulators
start on first use (session fixtures in ``tests/conftest.py``), so ``-k local`` needs none.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import boto3
import pytest
from azure.storage.blob import BlobServiceClient
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from costwarden.adapters.aws.s3_store import S3ObjectStore
from costwarden.adapters.azure.blob_store import AzureBlobObjectStore
from costwarden.adapters.gcp.gcs_store import GcsObjectStore
from costwarden.adapters.local.file_store import LocalObjectStore
from costwarden.ports_storage import ObjectStore

pytestmark = pytest.mark.integration

NewStore = Callable[[], ObjectStore]
BACKENDS = ("local", "s3", "azure", "gcs")


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def local_stores(tmp_path: Path) -> NewStore:
    return lambda: LocalObjectStore(tmp_path / _name("bucket"))


def s3_stores(endpoint: str) -> NewStore:
    client = boto3.client("s3", endpoint_url=endpoint)

    def new() -> ObjectStore:
        bucket = _name("cw-exports")
        client.create_bucket(Bucket=bucket)
        return S3ObjectStore(client, bucket)

    return new


def azure_stores(connection_string: str) -> NewStore:
    service = BlobServiceClient.from_connection_string(connection_string)

    def new() -> ObjectStore:
        return AzureBlobObjectStore(service.create_container(_name("cw-exports")))

    return new


def gcs_stores() -> NewStore:
    client = storage.Client(project="test", credentials=AnonymousCredentials())

    def new() -> ObjectStore:
        return GcsObjectStore(client.create_bucket(_name("cw-exports")))

    return new


@pytest.fixture(params=BACKENDS)
def new_store(request: pytest.FixtureRequest, tmp_path: Path) -> NewStore:
    """A factory of empty stores of one backend (each test runs once per backend)."""
    backend = request.param
    if backend == "local":
        return local_stores(tmp_path)
    if backend == "s3":
        return s3_stores(request.getfixturevalue("moto_endpoint"))
    if backend == "azure":
        return azure_stores(request.getfixturevalue("azurite_blob_connection_string"))
    request.getfixturevalue("gcs_emulator_env")
    return gcs_stores()
