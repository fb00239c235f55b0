"""The scheduled digest functions and the budget alerts on published FOCUS data, per cloud.

Each cloud fixture gives a fresh output store on its emulator (the one the export functions
publish to), a fresh state store, the policy file and the ``COSTWARDEN_*`` settings a
deployment would have; the tests publish FOCUS data onto the store with
``export_publish`` (``unit.published_data.publishing``) and fire the real function modules.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from azure.storage.blob import BlobServiceClient
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from costwarden.adapters.aws.dynamodb_state import create_state_table
from costwarden.adapters.aws.s3_store import S3ObjectStore
from costwarden.adapters.azure.blob_store import AzureBlobObjectStore
from costwarden.adapters.gcp.gcs_store import GcsObjectStore
from costwarden.local.slack_server import LocalSlackServer
from costwarden.ports_storage import ObjectStore
from handler_support import SLACK_TOKEN
from unit.allocation.focus_parquet import cost_row

PREFIX = "focus"
WEBHOOK_TOKEN = "webhook-secret-for-tests"

POLICY_YAML = """
version: 1
slack:
  default_channel: "#finops-alerts"
teams:
  platform:
    slack_channel: "#platform-costs"
  data:
    slack_channel: "#data-costs"
allocation:
  team_tag: {keys: [team]}
  budgets:
    platform: 5000
  digest:
    chart: channel
"""


@dataclass(frozen=True)
class Cloud:
    name: str
    output: ObjectStore  # where the export functions publish (COSTWARDEN_EXPORT_OUTPUT)


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def yesterday() -> date:
    """The day a digest fired now reports on (the functions use the system clock, in UTC)."""
    return datetime.now(UTC).date() - timedelta(days=1)


def forty_days_of_team_costs() -> list[dict[str, object]]:
    """Two teams and an untagged cost, every day of the 40 days up to yesterday."""
    rows: list[dict[str, object]] = []
    for n in range(40):
        day = yesterday() - timedelta(days=n)
        rows += [
            cost_row(day, "100", team="platform", resource="i-api", resource_name="api"),
            cost_row(day, "40.5", team="data", service="Amazon Redshift", resource="rs-1"),
            cost_row(day, "7", service="AWS Lambda", resource="fn-orphan"),
        ]
    return rows


@pytest.fixture
def slack() -> Iterator[LocalSlackServer]:
    with LocalSlackServer(token=SLACK_TOKEN) as server:
        yield server


@pytest.fixture
def function_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, slack: LocalSlackServer) -> None:
    for name in ("COSTWARDEN_COST_DATA", "COSTWARDEN_STATE", "COSTWARDEN_EXPORT_OUTPUT"):
        monkeypatch.delenv(name, raising=False)
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY_YAML)
    monkeypatch.setenv("COSTWARDEN_POLICY_PATH", str(policy))
    monkeypatch.setenv("COSTWARDEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("COSTWARDEN_SLACK_TOKEN", SLACK_TOKEN)
    monkeypatch.setenv("COSTWARDEN_SLACK_BASE_URL", slack.base_url)
    monkeypatch.setenv("COSTWARDEN_SLACK_MAX_RETRIES", "1")
    monkeypatch.setenv("COSTWARDEN_WEBHOOK_TOKEN", WEBHOOK_TOKEN)
    monkeypatch.setenv("COSTWARDEN_DIGEST_SCHEDULE", "0 0 7 * * *")
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "mpl"))
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "1")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "costwarden-test")


@pytest.fixture
def aws(aws_endpoint_env: str, function_env: None, monkeypatch: pytest.MonkeyPatch) -> Cloud:
    s3 = boto3.client("s3")
    bucket = _name("acme-focus")
    s3.create_bucket(Bucket=bucket)
    table = _name("costwarden-state")
    create_state_table(boto3.client("dynamodb"), table)
    monkeypatch.setenv("COSTWARDEN_STATE", f"dynamodb://{table}")
    monkeypatch.setenv("COSTWARDEN_EXPORT_OUTPUT", f"s3://{bucket}/{PREFIX}")
    return Cloud("aws", S3ObjectStore(s3, bucket))


@pytest.fixture
def azure(
    azurite_blob_connection_string: str,
    azurite_table_connection_string: str,
    function_env: None,
    monkeypatch: pytest.MonkeyPatch,
) -> Cloud:
    service = BlobServiceClient.from_connection_string(azurite_blob_connection_string)
    container = service.create_container(_name("focus"))
    monkeypatch.setenv("COSTWARDEN_STATE", f"azure-table://cwstate{uuid.uuid4().hex[:10]}")
    monkeypatch.setenv("COSTWARDEN_AZURE_TABLE_CONNECTION_STRING", azurite_table_connection_string)
    monkeypatch.setenv("COSTWARDEN_AZURE_BLOB_CONNECTION_STRING", azurite_blob_connection_string)
    # Set explicitly here (the other clouds default to COSTWARDEN_EXPORT_OUTPUT).
    monkeypatch.setenv(
        "COSTWARDEN_COST_DATA_STORE", f"azure-blob://{container.container_name}/{PREFIX}"
    )
    return Cloud("azure", AzureBlobObjectStore(container))


@pytest.fixture
def gcp(gcs_emulator_env: str, function_env: None, monkeypatch: pytest.MonkeyPatch) -> Cloud:
    client = storage.Client(project="test", credentials=AnonymousCredentials())
    output = client.create_bucket(_name("acme-focus"))
    state = client.create_bucket(_name("acme-state"))
    monkeypatch.setenv("COSTWARDEN_STATE", f"gs://{state.name}/costwarden/state")
    monkeypatch.setenv("COSTWARDEN_EXPORT_OUTPUT", f"gs://{output.name}/{PREFIX}")
    return Cloud("gcp", GcsObjectStore(output))


@pytest.fixture(params=["aws", "azure", "gcp"])
def cloud(request: pytest.FixtureRequest) -> Cloud:
    fixture: Cloud = request.getfixturevalue(request.param)
    return fixture
