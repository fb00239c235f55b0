"""AwsTargetDirectory (policy list, Organizations, own account) and assumed-role sessions."""

from __future__ import annotations

import boto3
import pytest

from costwarden.adapters.aws import (
    AwsTargetDirectory,
    Ec2Compute,
    assumed_session,
    client_config,
    session_for_target,
)
from costwarden.errors import CloudApiError
from costwarden.policy.scheduling import AwsTargets, TargetsSection
from costwarden.ports_compute import Target
from integration.scheduling_aws.aws_estate import REGION, run_instance
from integration.scheduling_aws.conftest import _new_account
from throttle_proxy import ThrottleProxy

pytestmark = pytest.mark.integration

ROLE = "costwarden-member"


def test_listed_accounts_times_regions_carry_the_role_to_assume(moto_endpoint: str) -> None:
    section = TargetsSection(
        aws=AwsTargets(
            accounts=("222222222222", "111111111111"),
            regions=("us-east-1", "eu-west-1"),
            role_name=ROLE,
        )
    )

    targets = AwsTargetDirectory(boto3.Session(), section, endpoint_url=moto_endpoint).targets()

    assert [(t.account, t.region) for t in targets] == [
        ("111111111111", "eu-west-1"),
        ("111111111111", "us-east-1"),
        ("222222222222", "eu-west-1"),
        ("222222222222", "us-east-1"),
    ]
    assert {t.role_arn for t in targets if t.account == "111111111111"} == {
        f"arn:aws:iam::111111111111:role/{ROLE}"
    }
    assert all(t.cloud == "aws" for t in targets)


def test_without_a_role_name_targets_use_the_functions_own_credentials(
    moto_endpoint: str,
) -> None:
    section = AwsTargets(accounts=("111111111111",), regions=("eu-west-1",))

    targets = AwsTargetDirectory(boto3.Session(), section, endpoint_url=moto_endpoint).targets()

    assert targets == [Target(cloud="aws", account="111111111111", region="eu-west-1")]


def test_china_regions_get_the_china_partition_in_role_arns(moto_endpoint: str) -> None:
    section = AwsTargets(accounts=("111111111111",), regions=("cn-north-1",), role_name=ROLE)

    (target,) = AwsTargetDirectory(boto3.Session(), section, endpoint_url=moto_endpoint).targets()

    assert target.role_arn == f"arn:aws-cn:iam::111111111111:role/{ROLE}"


@pytest.mark.parametrize("section", [None, TargetsSection(), AwsTargets()])
def test_no_accounts_means_the_functions_own_account_and_region(
    fresh_account: tuple[boto3.Session, Target],
    moto_endpoint: str,
    section: TargetsSection | AwsTargets | None,
) -> None:
    session, target = fresh_account

    targets = AwsTargetDirectory(session, section, endpoint_url=moto_endpoint).targets()

    assert targets == [Target(cloud="aws", account=target.account, region=REGION)]


def _organization(session: boto3.Session, endpoint: str, members: int) -> tuple[object, list[str]]:
    org = session.client("organizations", endpoint_url=endpoint)
    org.create_organization(FeatureSet="ALL")
    created = [
        org.create_account(AccountName=f"member-{n}", Email=f"member-{n}@example.com")[
            "CreateAccountStatus"
        ]["AccountId"]
        for n in range(members)
    ]
    return org, created


def test_organizations_lists_every_active_account_on_every_page(
    fresh_account: tuple[boto3.Session, Target], moto_endpoint: str
) -> None:
    session, management = fresh_account
    org, members = _organization(session, moto_endpoint, members=24)
    org.close_account(AccountId=members[0])  # type: ignore[attr-defined]
    pages: list[str] = []
    session.events.register(
        "before-call.organizations.ListAccounts", lambda **kwargs: pages.append("page")
    )
    section = AwsTargets(organizations=True, regions=("eu-west-1",), role_name=ROLE)

    targets = AwsTargetDirectory(session, section, endpoint_url=moto_endpoint).targets()

    expected = sorted([management.account, *members[1:]])
    assert [t.account for t in targets] == expected
    assert len(pages) == 2  # 25 accounts at 20 a page
    assert all(t.role_arn == f"arn:aws:iam::{t.account}:role/{ROLE}" for t in targets)


def test_listed_accounts_narrow_the_organization(
    fresh_account: tuple[boto3.Session, Target], moto_endpoint: str
) -> None:
    session, _ = fresh_account
    _, members = _organization(session, moto_endpoint, members=3)
    section = AwsTargets(
        organizations=True, accounts=(members[1], "999999999999"), regions=("eu-west-1",)
    )

    targets = AwsTargetDirectory(session, section, endpoint_url=moto_endpoint).targets()

    assert [t.account for t in targets] == [members[1]]


def test_a_throttled_organization_listing_raises_instead_of_listing_nothing(
    fresh_account: tuple[boto3.Session, Target], moto_endpoint: str
) -> None:
    session, _ = fresh_account
    _organization(session, moto_endpoint, members=1)
    section = AwsTargets(organizations=True, regions=("eu-west-1",))
    with ThrottleProxy(moto_endpoint, rate=1.0) as proxy:
        directory = AwsTargetDirectory(
            session, section, endpoint_url=proxy.url, config=client_config(max_attempts=2)
        )
        with pytest.raises(CloudApiError, match="organizations:ListAccounts"):
            directory.targets()


# -- assumed-role sessions ---------------------------------------------------------------------
def test_assumed_session_acts_as_the_role_in_the_member_account(moto_endpoint: str) -> None:
    base = boto3.Session(region_name=REGION)
    member = _new_account()
    role_arn = f"arn:aws:iam::{member}:role/{ROLE}"

    session = assumed_session(base, role_arn, endpoint_url=moto_endpoint)

    identity = session.client("sts", endpoint_url=moto_endpoint).get_caller_identity()
    assert identity["Account"] == member
    assert identity["Arn"] == f"arn:aws:sts::{member}:assumed-role/{ROLE}/costwarden-schedule"
    assert session.region_name == REGION


def test_session_for_target_reaches_the_member_accounts_resources(moto_endpoint: str) -> None:
    base = boto3.Session(region_name=REGION)
    member = _new_account()
    target = Target("aws", member, REGION, role_arn=f"arn:aws:iam::{member}:role/{ROLE}")
    session = session_for_target(base, target, endpoint_url=moto_endpoint)
    instance_id = run_instance(session.client("ec2", endpoint_url=moto_endpoint), "in-member")

    in_member = Ec2Compute(session, target, endpoint_url=moto_endpoint).list_resources()

    assert [(r.resource_id, r.account) for r in in_member] == [(instance_id, member)]


def test_session_for_a_target_without_role_is_the_base_session() -> None:
    base = boto3.Session(region_name=REGION)

    assert session_for_target(base, Target("aws", "123456789012", REGION)) is base


def test_a_refused_assume_role_raises_naming_the_role(moto_endpoint: str) -> None:
    role_arn = f"arn:aws:iam::{_new_account()}:role/{ROLE}"
    with ThrottleProxy(moto_endpoint, rate=0.0) as proxy:
        proxy.fail_next("AssumeRole", code="AccessDenied", status=403)
        with pytest.raises(
            CloudApiError, match=f"sts:AssumeRole failed for {role_arn}.*AccessDenied"
        ):
            assumed_session(boto3.Session(region_name=REGION), role_arn, endpoint_url=proxy.url)
