"""The AWS tag adapters against moto's server, every test in an account of its own.

moto keeps one backend per account and maps STS ``AssumeRole`` credentials to the role's
account, so a session in a random 12-digit account is an empty estate on the one session-wide
server: tag sweeps can list "everything" and count calls without seeing other tests' resources.

``aws`` bundles what a test needs: the account's session and target, ``client(service)`` for
setting up and checking with plain boto3 (never through the adapters under test), and
``inventory()`` / ``writer()`` that build the adapters with one shared call counter.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest

from costwarden.adapters.aws.tagging import ApiCallCounter
from costwarden.adapters.aws.tagging_inventory import AwsTagInventory
from costwarden.adapters.aws.tagging_writer import AwsTagWriter
from costwarden.ports_compute import Target

pytestmark = pytest.mark.integration

REGION = "eu-west-1"


def new_account() -> str:
    return str(secrets.randbelow(9 * 10**11) + 10**11)


def session_in(endpoint: str, account: str, region: str = REGION) -> boto3.Session:
    """Credentials for ``account`` on moto (an assumed role), made with plain boto3."""
    sts = boto3.client(
        "sts",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    credentials = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/test-admin", RoleSessionName="tag-tests"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=region,
    )


@dataclass
class AwsAccount:
    endpoint: str
    account: str
    session: boto3.Session
    counter: ApiCallCounter = field(default_factory=ApiCallCounter)
    #: What a test keeps across hypothesis examples (they share the test's account).
    kept: dict[str, Any] = field(default_factory=dict)
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict)

    @property
    def target(self) -> Target:
        return Target(cloud="aws", account=self.account, region=REGION)

    def client(self, service: str, region: str = REGION) -> Any:
        if (service, region) not in self._clients:
            self._clients[service, region] = self.session.client(
                service,  # type: ignore[call-overload]
                endpoint_url=self.endpoint,
                region_name=region,
            )
        return self._clients[service, region]

    def inventory(self, endpoint: str | None = None, **kwargs: Any) -> AwsTagInventory:
        return AwsTagInventory(
            self.session,
            self.target,
            endpoint_url=endpoint or self.endpoint,
            counter=self.counter,
            **kwargs,
        )

    def writer(self, endpoint: str | None = None) -> AwsTagWriter:
        return AwsTagWriter(
            self.session, self.target, endpoint_url=endpoint or self.endpoint, counter=self.counter
        )

    def arn(self, kind: str, resource_id: str) -> str:
        return f"arn:aws:ec2:{REGION}:{self.account}:{kind}/{resource_id}"


def make_account(endpoint: str) -> AwsAccount:
    account = new_account()
    return AwsAccount(endpoint, account, session_in(endpoint, account))


@pytest.fixture
def aws(moto_endpoint: str) -> AwsAccount:
    """An empty account of the test's own."""
    return make_account(moto_endpoint)
