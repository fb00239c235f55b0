"""The tag-remediation functions end to end: real handler modules, real SDK clients, local clouds.

AWS runs on moto (EC2 and the tagging APIs, STS AssumeRole into a fresh member account per
test, DynamoDB state); Azure on the fake ARM Resources/Tags server (``tests/fake_arm_tags``)
with managed identity from the token server and Azurite tables; Google on the fake labels
server (``tests/fake_gce``) with Application Default Credentials from the token server and
fake-gcs-server state. Slack is the ``LocalSlackServer``. Every test gets a fresh account,
subscription estate or project server and a fresh state table, so nothing is shared.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from costwarden.adapters.aws.dynamodb_state import create_state_table
from costwarden.local.slack_server import LocalSlackServer
from fake_arm_tags import FakeResources, self_signed
from fake_gce import FakeLabelsServer
from handler_support import SLACK_TOKEN, deployment_env
from integration.scheduling_functions.token_server import IDENTITY_HEADER, TokenServer

ROLE_NAME = "costwarden-member"
AWS_REGION = "eu-west-1"  # the region of events/aws/resource_created_run_instances_sso.json
AZURE_SUBSCRIPTION = "00000000-0000-0000-0000-000000000001"  # of events/azure/resource_write_*
GCP_PROJECT = "acme-dev"  # of events/gcp/audit_instance_insert_*


def policy_yaml(*, clouds: str, targets: str, include_types: str = "'*'") -> str:
    """Two teams (routed by the ``team`` tag), three required keys, Owner from the creator."""
    return f"""
version: 1
slack:
  default_channel: "#finops-alerts"
teams:
  platform:
    slack_channel: "#platform-costs"
  data:
    slack_channel: "#data-costs"
allocation:
  team_tag: {{keys: [team]}}
tagging:
  clouds: [{clouds}]
  required:
    Environment:
      aliases: [env]
      values: [dev, test, prod]
    Owner:
      pattern: '[a-z0-9._-]+@example\\.com'
      gcp_pattern: '[a-z0-9_-]+_example_com'
      infer: [creator]
    CostCenter:
      pattern: 'cc-[0-9]{{3}}'
  owner_key: Owner
  include_types: [{include_types}]
  parents: {{gcp: []}}
  defaults:
    - tags: {{CostCenter: cc-100}}
  grace: {{days: 7, action: notify}}
  team: platform
{targets}
"""


@pytest.fixture
def slack() -> Iterator[LocalSlackServer]:
    with LocalSlackServer(token=SLACK_TOKEN) as server:
        yield server


@pytest.fixture
def function_env(monkeypatch: pytest.MonkeyPatch, slack: LocalSlackServer) -> None:
    """What every cloud's deployment sets, minus where its state lives and the policy."""
    deployment_env(monkeypatch, slack.base_url)


@pytest.fixture
def token_server() -> Iterator[TokenServer]:
    with TokenServer().running() as server:
        yield server


# -- AWS ----------------------------------------------------------------------------------------
@pytest.fixture
def aws_state(aws_endpoint_env: str, function_env: None, monkeypatch: pytest.MonkeyPatch) -> str:
    """moto as every AWS endpoint, and a fresh DynamoDB state table; returns the endpoint."""
    table = f"costwarden-state-{uuid.uuid4().hex[:10]}"
    # The functions' own region (AWS_DEFAULT_REGION), not the member account's.
    create_state_table(boto3.client("dynamodb"), table)
    monkeypatch.setenv("COSTWARDEN_STATE", f"dynamodb://{table}")
    return aws_endpoint_env


def aws_targets(account: str) -> str:
    return (
        "targets:\n  aws:\n"
        f"    accounts: ['{account}']\n"
        f"    regions: [{AWS_REGION}]\n"
        f"    role_name: {ROLE_NAME}\n"
    )


# -- Azure --------------------------------------------------------------------------------------
@pytest.fixture
def arm(
    tmp_path: Path,
    function_env: None,
    token_server: TokenServer,
    azurite_table_connection_string: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[FakeResources]:
    """The fake ARM endpoint (HTTPS, a certificate made now), managed identity served by the
    token server, an Azurite state table: the app settings of a deployed function app."""
    tls = self_signed(tmp_path)
    # azure-core sends through requests, which trusts this bundle: the fake's certificate.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls.cert))
    monkeypatch.setenv("IDENTITY_ENDPOINT", token_server.msi_endpoint)
    monkeypatch.setenv("IDENTITY_HEADER", IDENTITY_HEADER)
    monkeypatch.setenv("COSTWARDEN_STATE", f"azure-table://cwstate{uuid.uuid4().hex[:10]}")
    monkeypatch.setenv("COSTWARDEN_AZURE_TABLE_CONNECTION_STRING", azurite_table_connection_string)
    monkeypatch.setenv("COSTWARDEN_TAG_SWEEP_SCHEDULE", "0 30 5 * * *")
    with FakeResources(tls) as server:
        monkeypatch.setenv("COSTWARDEN_AZURE_ARM_ENDPOINT", server.url)
        yield server


def azure_targets() -> str:
    return f"targets:\n  azure:\n    subscriptions: ['{AZURE_SUBSCRIPTION}']\n"


# -- Google Cloud -------------------------------------------------------------------------------
@pytest.fixture
def gce(
    tmp_path: Path,
    function_env: None,
    token_server: TokenServer,
    gcs_emulator_env: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[FakeLabelsServer]:
    """Compute Engine labels on the fake server, Application Default Credentials whose token
    refresh goes to the token server, state on fake-gcs-server."""
    bucket = storage.Client(project="test", credentials=AnonymousCredentials()).create_bucket(
        f"cw-state-{uuid.uuid4().hex[:10]}"
    )
    monkeypatch.setenv(
        "GOOGLE_APPLICATION_CREDENTIALS", str(token_server.google_adc_file(tmp_path))
    )
    monkeypatch.setenv("COSTWARDEN_STATE", f"gs://{bucket.name}/costwarden/state")
    with FakeLabelsServer(project=GCP_PROJECT) as server:
        monkeypatch.setenv("COSTWARDEN_GCP_COMPUTE_ENDPOINT", server.base_url)
        yield server


def gcp_targets() -> str:
    return f"targets:\n  gcp:\n    projects: ['{GCP_PROJECT}']\n"
