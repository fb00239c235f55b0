"""The AWS scheduling adapters against moto's server, each test in an account of its own.

moto keeps one backend per account, and maps temporary credentials from STS ``AssumeRole`` to
the role's account, so an assumed-role session in a random 12-digit account is an empty
estate on the one session-wide server. ``session`` is one such account per test module
(building an estate takes about a second, so a module shares it: tests that change things
create their own resources in it); ``fresh_account`` makes another for a test that needs an
account to itself. ``estate`` builds a mixed estate in the module's account: EC2 instances in
every state, Auto Scaling groups (whose instances are not listed), RDS instances including an
Aurora cluster member and a read replica pair.

``moto_client`` talks to moto directly (never through a throttle proxy): tests use it to set
things up and to check what really happened, independently of the adapter under test.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from costwarden.ports_compute import Target
from integration.scheduling_aws.aws_estate import REGION, Estate, build_estate
from throttle_proxy import ThrottleProxy

pytestmark = pytest.mark.integration

MotoClient = Callable[[str], Any]


def _new_account() -> str:
    return str(secrets.randbelow(9 * 10**11) + 10**11)


def session_in(endpoint: str, account: str, region: str = REGION) -> boto3.Session:
    """Credentials for ``account`` on moto: an assumed role, made with plain boto3.

    Explicit fake keys: module-scoped fixtures run before ``fake_cloud_env`` sets them.
    """
    sts = boto3.client(
        "sts",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    credentials = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/test-admin", RoleSessionName="test-setup"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=region,
    )


@pytest.fixture(scope="module")
def account() -> str:
    return _new_account()


@pytest.fixture(scope="module")
def session(moto_endpoint: str, account: str) -> boto3.Session:
    return session_in(moto_endpoint, account)


@pytest.fixture(scope="module")
def target(account: str) -> Target:
    return Target(cloud="aws", account=account, region=REGION)


@pytest.fixture(scope="module")
def moto_client(session: boto3.Session, moto_endpoint: str) -> MotoClient:
    clients: dict[str, Any] = {}

    def make(service: str) -> Any:
        if service not in clients:
            clients[service] = session.client(
                service, endpoint_url=moto_endpoint, region_name=REGION
            )
        return clients[service]

    return make


@pytest.fixture(scope="module")
def estate(moto_client: MotoClient) -> Estate:
    return build_estate(moto_client)


@pytest.fixture
def fresh_account(moto_endpoint: str) -> tuple[boto3.Session, Target]:
    """An account of its own: its session and target."""
    account = _new_account()
    return session_in(moto_endpoint, account), Target(cloud="aws", account=account, region=REGION)


@pytest.fixture
def throttle_proxy(moto_endpoint: str) -> Iterator[ThrottleProxy]:
    """30 % of calls throttled, the same ones every run (seeded)."""
    with ThrottleProxy(moto_endpoint, rate=0.3, seed=20261130) as proxy:
        yield proxy


@pytest.fixture
def fault_proxy(moto_endpoint: str) -> Iterator[ThrottleProxy]:
    """No random throttling: only the faults a test scripts."""
    with ThrottleProxy(moto_endpoint, rate=0.0) as proxy:
        yield proxy
