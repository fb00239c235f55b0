"""The scheduler's functions end to end: real handler modules, real SDK clients, local clouds.

AWS runs on moto (EC2, STS AssumeRole into member accounts, SQS, DynamoDB state); Azure on
the fake ARM server (``tests/fake_arm``) with Azurite queues and tables; Google on the fake
Compute Engine / Pub/Sub server (``tests/fake_gce``) with fake-gcs-server state. Slack is the
``LocalSlackServer``. Every test gets fresh accounts, queues and tables, and a policy whose
rules also require a tag unique to the test, so nothing another test left in a shared emulator
is ever in scope.

The tick instant is fixed: Friday 2026-11-20 19:15 UTC, 20:15 in Berlin, after the
``office-hours`` schedule's 19:00 stop.
"""

from __future__ import annotations

import base64
import json
import random
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
import time_machine
from azure.storage.queue import QueueClient
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from costwarden.adapters.aws.dynamodb_state import create_state_table
from costwarden.adapters.aws.targets import assumed_session
from costwarden.local.runtimes import AzureFunctionsRuntime
from costwarden.local.slack_server import LocalSlackServer
from fake_arm import FakeArm, self_signed
from fake_gce import FakeGcpServer
from handler_support import EVENTS, SLACK_TOKEN, deployment_env, load
from integration.scheduling_functions.token_server import IDENTITY_HEADER, TokenServer

#: Friday 20:15 in Berlin: the office-hours schedule wants dev machines stopped.
TICK = datetime(2026, 11, 20, 19, 15, tzinfo=UTC)
#: Monday 07:30 UTC, 08:30 in Berlin: the same schedule wants them running.
MORNING = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
#: When the test machines were started: Friday morning, during office hours. A machine started
#: after the latest scheduled stop is a person's manual start and is left running.
STARTED = datetime(2026, 11, 20, 8, 5, tzinfo=UTC)
ROLE_NAME = "costwarden-member"
TEST_TAG = "costwarden-test"


def policy_yaml(
    *, run: str, targets: str = "", safety: str = "", max_fleet_percent: int = 100
) -> str:
    """Two teams, office hours in Berlin for dev machines of this test, prod protected."""
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
schedules:
  office-hours:
    timezone: Europe/Berlin
    periods:
      - days: [mon-fri]
        start: "08:00"
        stop: "19:00"
scheduling:
  rules:
    - name: dev-office-hours
      schedule: office-hours
      match:
        tags: {{Environment: [dev], {TEST_TAG}: ["{run}"]}}
safety:
  protected:
    - tags: {{Environment: [prod, production]}}
  max_fleet_percent: {max_fleet_percent}
{safety}
{targets}
"""


def new_account() -> str:
    """A fresh 12-digit AWS account id: moto keeps each account's resources apart."""
    return str(random.randint(10**11, 10**12 - 1))


@contextmanager
def running_at_tick() -> Iterator[None]:
    """The functions run 20 s after the tick. The worker plans for its item's ``at`` only while
    the item is fresh (a stale one plans for now), so the process clock travels to the tick.

    Python's clock only: TLS certificates made at test time are still checked by OpenSSL
    against the real time.
    """
    with time_machine.travel(TICK + timedelta(seconds=20), tick=True):
        yield


@pytest.fixture
def at_tick() -> Iterator[None]:
    with running_at_tick():
        yield


@pytest.fixture
def run_tag() -> str:
    return uuid.uuid4().hex[:10]


@pytest.fixture
def slack() -> Iterator[LocalSlackServer]:
    with LocalSlackServer(token=SLACK_TOKEN) as server:
        yield server


@pytest.fixture
def function_env(monkeypatch: pytest.MonkeyPatch, slack: LocalSlackServer) -> None:
    """What every cloud's deployment sets, minus where its state and queue live."""
    deployment_env(monkeypatch, slack.base_url)


@pytest.fixture
def token_server() -> Iterator[TokenServer]:
    with TokenServer().running() as server:
        yield server


# -- AWS ----------------------------------------------------------------------------------------
@dataclass
class AwsEstate:
    """Member accounts reached through ``ROLE_NAME``, as the worker reaches them."""

    region: str
    queue_url: str

    def session(self, account: str) -> boto3.Session:
        arn = f"arn:aws:iam::{account}:role/{ROLE_NAME}"
        return assumed_session(boto3.Session(region_name=self.region), arn, "test-setup")

    def launch(self, account: str, name: str, tags: Mapping[str, str]) -> str:
        """An instance launched at ``STARTED`` (moto records the process clock's LaunchTime)."""
        with time_machine.travel(STARTED, tick=False):
            return self._launch(account, name, tags)

    def _launch(self, account: str, name: str, tags: Mapping[str, str]) -> str:
        ec2 = self.session(account).client("ec2")
        tag_list = [{"Key": "Name", "Value": name}] + [
            {"Key": k, "Value": v} for k, v in tags.items()
        ]
        reply = ec2.run_instances(
            ImageId="ami-12c6146b",
            MinCount=1,
            MaxCount=1,
            InstanceType="t3.medium",
            TagSpecifications=[{"ResourceType": "instance", "Tags": tag_list}],
        )
        return str(reply["Instances"][0]["InstanceId"])

    def instance(self, account: str, instance_id: str) -> dict[str, Any]:
        ec2 = self.session(account).client("ec2")
        [reservation] = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
        instance: dict[str, Any] = reservation["Instances"][0]
        return instance

    def state(self, account: str, instance_id: str) -> str:
        return str(self.instance(account, instance_id)["State"]["Name"])

    def tags(self, account: str, instance_id: str) -> dict[str, str]:
        return {t["Key"]: t["Value"] for t in self.instance(account, instance_id).get("Tags", [])}

    def delete_processed(self, event: Mapping[str, Any], answer: Mapping[str, Any]) -> None:
        """What the event source mapping does after the invocation: delete every record not
        reported in ``batchItemFailures`` (those become visible again)."""
        failed = {f["itemIdentifier"] for f in answer.get("batchItemFailures", [])}
        sqs = boto3.client("sqs", region_name=self.region)
        for record in event["Records"]:
            if record["messageId"] not in failed:
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=record["receiptHandle"])

    def receive_event(self) -> dict[str, Any]:
        """The queue's messages as the SQS event source mapping hands them to the worker."""
        sqs = boto3.client("sqs", region_name=self.region)
        messages: list[dict[str, Any]] = []
        while True:
            reply = sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
            )
            if not reply.get("Messages"):
                break
            messages += reply["Messages"]
        arn = sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        return {
            "Records": [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": m.get("Attributes", {}),
                    "messageAttributes": {},
                    "md5OfBody": m["MD5OfBody"],
                    "eventSource": "aws:sqs",
                    "eventSourceARN": arn,
                    "awsRegion": self.region,
                }
                for m in messages
            ]
        }


@pytest.fixture
def aws(aws_endpoint_env: str, function_env: None, monkeypatch: pytest.MonkeyPatch) -> AwsEstate:
    region = "us-east-1"
    sqs = boto3.client("sqs", region_name=region)
    queue_url = sqs.create_queue(QueueName=f"costwarden-work-{uuid.uuid4().hex[:10]}")["QueueUrl"]
    table = f"costwarden-state-{uuid.uuid4().hex[:10]}"
    create_state_table(boto3.client("dynamodb", region_name=region), table)
    monkeypatch.setenv("COSTWARDEN_STATE", f"dynamodb://{table}")
    monkeypatch.setenv("COSTWARDEN_SCHEDULE_QUEUE", queue_url)
    return AwsEstate(region=region, queue_url=queue_url)


def aws_targets(accounts: list[str]) -> str:
    return (
        "targets:\n  aws:\n"
        f"    accounts: {json.dumps(accounts)}\n"
        "    regions: [us-east-1]\n"
        f"    role_name: {ROLE_NAME}\n"
    )


# -- Azure --------------------------------------------------------------------------------------
@dataclass
class AzureEstate:
    arm: FakeArm
    queue: QueueClient

    def receive_payloads(self) -> list[dict[str, Any]]:
        """The queue's messages as the Functions host hands them to a queue trigger, in the
        documented custom-handler shape (``Data`` + trigger ``Metadata``), base64 decoded as
        the host does by default."""
        payloads = []
        for message in self.queue.receive_messages(messages_per_page=32, visibility_timeout=300):
            payloads.append(
                {
                    "Data": {"message": base64.b64decode(message.content).decode("utf-8")},
                    "Metadata": {
                        "DequeueCount": message.dequeue_count,
                        "ExpirationTime": message.expires_on.isoformat(),
                        "Id": message.id,
                        "InsertionTime": message.inserted_on.isoformat(),
                        "NextVisibleTime": message.next_visible_on.isoformat(),
                        "PopReceipt": message.pop_receipt,
                    },
                }
            )
        return payloads


def fire_queue_trigger(
    app: AzureFunctionsRuntime, function: str, payload: Mapping[str, Any]
) -> Any:
    """Invoke a queue trigger with the host's binding data, decoded by the worker's own
    converter (``QueueMessageInConverter``), as ``fire_timer`` does for timers."""
    import azure.functions as func
    from azure.functions.queue import QueueMessageInConverter

    user_function = getattr(app.module, function).build().get_user_function()
    [body] = payload["Data"].values()
    metadata = {
        key: func.meta.Datum(type="string", value=value)
        if isinstance(value, str)
        else func.meta.Datum(type="json", value=json.dumps(value))
        for key, value in payload["Metadata"].items()
        if key != "sys"
    }
    message = QueueMessageInConverter.decode(
        func.meta.Datum(type="string", value=body), trigger_metadata=metadata
    )
    return user_function(message)


@pytest.fixture
def azure(
    tmp_path: Path,
    function_env: None,
    token_server: TokenServer,
    azurite_queue_connection_string: str,
    azurite_table_connection_string: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[AzureEstate]:
    """The fake ARM endpoint (HTTPS, a certificate made now), managed identity served by the
    token server, Azurite queue and table: the app settings of a deployed function app."""
    tls = self_signed(tmp_path)
    queue_name = f"cw-work-{uuid.uuid4().hex[:10]}"
    queue = QueueClient.from_connection_string(azurite_queue_connection_string, queue_name)
    queue.create_queue()
    # azure-core sends through requests, which trusts this bundle: the fake's certificate.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls.cert))
    # App Service / Functions managed identity, as the platform sets it.
    monkeypatch.setenv("IDENTITY_ENDPOINT", token_server.msi_endpoint)
    monkeypatch.setenv("IDENTITY_HEADER", IDENTITY_HEADER)
    monkeypatch.setenv("COSTWARDEN_STATE", f"azure-table://cwstate{uuid.uuid4().hex[:10]}")
    monkeypatch.setenv("COSTWARDEN_AZURE_TABLE_CONNECTION_STRING", azurite_table_connection_string)
    monkeypatch.setenv("COSTWARDEN_SCHEDULE_QUEUE", queue_name)
    monkeypatch.setenv("COSTWARDEN_QUEUE_CONNECTION", azurite_queue_connection_string)
    monkeypatch.setenv("COSTWARDEN_SCHEDULE_TICK", "0 */15 * * * *")
    # The worker's own client polls a deallocate at ARM's Retry-After (1 s here, not 30 s).
    with FakeArm(tls, retry_after=1) as arm:
        monkeypatch.setenv("COSTWARDEN_AZURE_ARM_ENDPOINT", arm.url)
        yield AzureEstate(arm, queue)
    queue.delete_queue()


def azure_targets(subscriptions: list[str]) -> str:
    return f"targets:\n  azure:\n    subscriptions: {json.dumps(subscriptions)}\n"


# -- Google Cloud -------------------------------------------------------------------------------
GCP_PROJECT = "acme-dev"  # the project of the sample work item
GCP_WORK_TOPIC = "projects/acme-finops/topics/costwarden-schedule-work"


@pytest.fixture
def gce(
    tmp_path: Path,
    function_env: None,
    token_server: TokenServer,
    gcs_emulator_env: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[FakeGcpServer]:
    """Compute Engine and Pub/Sub on the fake server, Application Default Credentials whose
    token refresh goes to the token server, state on fake-gcs-server."""
    bucket = storage.Client(project="test", credentials=AnonymousCredentials()).create_bucket(
        f"cw-state-{uuid.uuid4().hex[:10]}"
    )
    monkeypatch.setenv(
        "GOOGLE_APPLICATION_CREDENTIALS", str(token_server.google_adc_file(tmp_path))
    )
    monkeypatch.setenv("COSTWARDEN_STATE", f"gs://{bucket.name}/costwarden/state")
    monkeypatch.setenv("COSTWARDEN_SCHEDULE_QUEUE", GCP_WORK_TOPIC)
    with FakeGcpServer(project=GCP_PROJECT, operation_polls=0) as server:
        server.create_topic(GCP_WORK_TOPIC)
        monkeypatch.setenv("COSTWARDEN_GCP_COMPUTE_ENDPOINT", server.base_url)
        monkeypatch.setenv("COSTWARDEN_GCP_PUBSUB_ENDPOINT", server.base_url)
        yield server


def pubsub_event(data: bytes, *, message_id: str = "13170591264790015") -> dict[str, Any]:
    """An Eventarc Pub/Sub CloudEvent carrying ``data``, shaped like the sample."""
    event = load(EVENTS / "gcp" / "schedule_work_pubsub.json")
    event["id"] = message_id
    event["data"]["message"].update(
        data=base64.b64encode(data).decode(), messageId=message_id, message_id=message_id
    )
    return event


def gcp_targets(projects: list[str]) -> str:
    return f"targets:\n  gcp:\n    projects: {json.dumps(projects)}\n"
