"""Fixtures shared by every test: cloud emulators and an environment that cannot reach a cloud.

Emulators (session-scoped: each starts once per test session, on first use, and only if a
test asks for it; start-up times are printed in the terminal summary):

``moto_endpoint``                   URL of moto's server (all AWS services moto emulates)
``azurite_table_connection_string`` connection string for Azurite's Table service
``azurite_blob_connection_string``  connection string for Azurite's Blob service
``azurite_queue_connection_string`` connection string for Azurite's Queue service
``gcs_endpoint``                    URL of fake-gcs-server (Cloud Storage JSON API)

They live for the whole session, so give every test its own resources (a fresh table,
bucket or key prefix, e.g. from ``uuid4().hex``) rather than relying on an empty emulator.

Environment (function-scoped):

``fake_cloud_env`` (autouse)  fake AWS credentials and region, no profiles, no instance
                              metadata lookups, no real Google/Azure credentials, loopback
                              never proxied. Every test gets it: nothing reaches a real cloud
                              even when the developer's shell has live credentials.
``aws_endpoint_env``          also points every boto3 client at moto (``AWS_ENDPOINT_URL``);
                              yields the endpoint. For handler end-to-end tests.
``gcs_emulator_env``          also sets ``STORAGE_EMULATOR_HOST``, which google-cloud-storage
                              follows; yields the endpoint.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

import emulators

FAKE_AWS_REGION = "us-east-1"

# Anything that could make an SDK find real credentials or a real endpoint.
_REAL_CLOUD_VARIABLES = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "CLOUDSDK_CONFIG",
    "STORAGE_EMULATOR_HOST",
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_TENANT_ID",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_STORAGE_CONNECTION_STRING",
    "AzureWebJobsStorage",
    "IDENTITY_ENDPOINT",
    "MSI_ENDPOINT",
)


# -- emulators ----------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    with emulators.moto_server() as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def azurite_table_connection_string() -> Iterator[str]:
    with emulators.azurite_tables() as connection_string:
        yield connection_string


@pytest.fixture(scope="session")
def azurite_blob_connection_string() -> Iterator[str]:
    with emulators.azurite_blobs() as connection_string:
        yield connection_string


@pytest.fixture(scope="session")
def azurite_queue_connection_string() -> Iterator[str]:
    with emulators.azurite_queues() as connection_string:
        yield connection_string


@pytest.fixture(scope="session")
def gcs_endpoint() -> Iterator[str]:
    with emulators.fake_gcs_server() as endpoint:
        yield endpoint


# -- environment --------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def fake_cloud_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _REAL_CLOUD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name in list(os.environ):
        if name.startswith("AWS_ENDPOINT_URL_"):  # per-service endpoint overrides
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_SECURITY_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", FAKE_AWS_REGION)
    monkeypatch.setenv("AWS_REGION", FAKE_AWS_REGION)
    # No ~/.aws files, no 169.254.169.254 lookups.
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    # google-auth: never probe the GCE metadata server for credentials.
    monkeypatch.setenv("NO_GCE_CHECK", "True")
    # The emulators listen on loopback; a configured proxy must not see that traffic.
    no_proxy = os.environ.get("NO_PROXY") or os.environ.get("no_proxy") or ""
    loopback = "127.0.0.1,localhost,::1"
    monkeypatch.setenv("NO_PROXY", f"{no_proxy},{loopback}" if no_proxy else loopback)
    monkeypatch.setenv("no_proxy", f"{no_proxy},{loopback}" if no_proxy else loopback)


@pytest.fixture
def aws_endpoint_env(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    return moto_endpoint


@pytest.fixture
def gcs_emulator_env(gcs_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_endpoint)
    return gcs_endpoint


# -- reporting ----------------------------------------------------------------------------------
def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if emulators.STARTUP_SECONDS:
        timings = ", ".join(
            f"{name} {seconds:.2f}s" for name, seconds in emulators.STARTUP_SECONDS.items()
        )
        terminalreporter.write_line(f"emulator start-up: {timings}")
