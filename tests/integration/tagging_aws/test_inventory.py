"""``AwsTagInventory`` against moto: listing finds never-tagged resources, reads take plain
ids and ARNs, and parents come from Auto Scaling groups and CloudFormation stacks."""

from __future__ import annotations

import pytest

from costwarden.adapters.aws.retry import client_config
from costwarden.adapters.aws.tagging import GROUP
from costwarden.errors import CloudApiError
from integration.tagging_aws.conftest import REGION, AwsAccount, make_account
from integration.tagging_aws.estate import COMPLIANT, Estate, build_estate, run_instances
from throttle_proxy import ThrottleProxy

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def built(moto_endpoint: str) -> tuple[AwsAccount, Estate]:
    """One mixed estate for the tests that only read (building one takes seconds)."""
    aws = make_account(moto_endpoint)
    return aws, build_estate(aws)


@pytest.fixture
def shared(built: tuple[AwsAccount, Estate]) -> tuple[AwsAccount, Estate]:
    built[0].counter.reset()
    return built


def test_sweep_listing_finds_tagged_and_never_tagged_resources_of_every_listed_type(
    shared: tuple[AwsAccount, Estate],
) -> None:
    aws, estate = shared
    listed = {r.resource_id: r for r in aws.inventory().list_resources()}

    instances = {rid for rid, r in listed.items() if r.resource_type == "ec2:instance"}
    assert instances == {
        aws.arn("instance", i)
        for i in (
            estate.tagged_instance,
            estate.untagged_instance,
            estate.alias_instance,
            estate.stopped_instance,
            estate.stack_instance,
            *estate.group_instances,
        )
    }, "every live instance, never-tagged ones included; the terminated one left out"
    assert listed[aws.arn("instance", estate.untagged_instance)].tags == {}
    assert listed[aws.arn("instance", estate.tagged_instance)].tags == {"Name": "web", **COMPLIANT}
    assert listed[aws.arn("instance", estate.alias_instance)].tags == {"env": "dev"}

    volumes = {rid for rid, r in listed.items() if r.resource_type == "ec2:volume"}
    assert {aws.arn("volume", estate.tagged_volume), aws.arn("volume", estate.untagged_volume)} <= (
        volumes
    )
    assert listed[aws.arn("volume", estate.untagged_volume)].tags == {}

    buckets = {r.name: r for r in listed.values() if r.resource_type == "s3:bucket"}
    assert set(buckets) == {estate.tagged_bucket, estate.untagged_bucket}, "us-east-1 skipped"
    assert buckets[estate.untagged_bucket].tags == {}
    assert buckets[estate.tagged_bucket].resource_id == f"arn:aws:s3:::{estate.tagged_bucket}"

    dbs = {rid: r.tags for rid, r in listed.items() if r.resource_type == "rds:db"}
    assert dbs == {estate.tagged_db: COMPLIANT, estate.untagged_db: {}}

    [group] = [r for r in listed.values() if r.resource_type == GROUP]
    assert group.name == estate.group
    assert group.tags == {"Environment": "test", "CostCenter": "cc-300"}

    snapshot = aws.arn("snapshot", estate.tagged_snapshot)
    assert listed[snapshot].resource_type == "ec2:snapshot", "tagged snapshot via GetResources"
    assert listed[snapshot].tags == {"env": "prod"}
    assert all(r.account == aws.account and r.region == REGION for r in listed.values())


def test_listing_covers_only_the_types_the_policy_names(aws: AwsAccount) -> None:
    run_instances(aws.client("ec2"), count=3)
    inventory = aws.inventory(type_filter=lambda kind: kind == "ec2:instance")
    listed = inventory.list_resources()
    assert {r.resource_type for r in listed} == {"ec2:instance"}
    assert len(listed) == 3
    assert dict(aws.counter.calls) == {"ec2:DescribeInstances": 1}, "no S3, RDS or tagging calls"


def test_read_takes_plain_ids_and_arns_and_leaves_out_missing_ones(
    shared: tuple[AwsAccount, Estate],
) -> None:
    aws, estate = shared
    missing = "i-0123456789abcdef0"
    fresh = aws.inventory().read(
        [
            estate.untagged_instance,  # plain id, as in RunInstances events
            aws.arn("instance", estate.alias_instance),
            missing,
            estate.untagged_volume,
            f"arn:aws:s3:::{estate.untagged_bucket}",
            f"arn:aws:s3:::{estate.foreign_bucket}",  # another region's: read there
            estate.untagged_db,
            estate.group,  # CreateAutoScalingGroup events carry the name
            aws.arn("instance", estate.terminated_instance),
        ]
    )
    by_id = {r.resource_id: r for r in fresh}
    assert set(by_id) == {
        aws.arn("instance", estate.untagged_instance),
        aws.arn("instance", estate.alias_instance),
        aws.arn("volume", estate.untagged_volume),
        f"arn:aws:s3:::{estate.untagged_bucket}",
        estate.untagged_db,
        next(r.resource_id for r in fresh if r.resource_type == GROUP),
    }
    assert by_id[aws.arn("instance", estate.alias_instance)].tags == {"env": "dev"}
    # The unknown id failed the InstanceIds call; the filter-based re-read ignored it.
    assert aws.counter["ec2:DescribeInstances"] == 2


def test_read_returns_what_is_there_now(aws: AwsAccount) -> None:
    [instance] = run_instances(aws.client("ec2"))
    inventory = aws.inventory()
    assert inventory.read([instance])[0].tags == {}
    aws.client("ec2").create_tags(Resources=[instance], Tags=[{"Key": "Owner", "Value": "b"}])
    assert inventory.read([instance])[0].tags == {"Owner": "b"}


def test_parents_are_the_group_then_the_stack_each_looked_up_once(
    shared: tuple[AwsAccount, Estate],
) -> None:
    aws, estate = shared
    inventory = aws.inventory()
    members = inventory.read(list(estate.group_instances))
    assert len(members) == 2
    for member in members:
        [parent] = inventory.parents(member)
        assert (parent.kind, parent.name) == ("autoscaling_group", "workers")
        assert parent.tags == {"Environment": "test", "CostCenter": "cc-300"}
    assert aws.counter["auto-scaling:DescribeAutoScalingGroups"] == 1, "cached for the run"

    [boxed] = inventory.read([estate.stack_instance])
    assert "Environment" not in boxed.tags
    [parent] = inventory.parents(boxed)
    assert (parent.kind, parent.name) == ("cloudformation_stack", "tiny")
    assert parent.tags == {"Environment": "prod", "CostCenter": "cc-400"}
    inventory.parents(boxed)
    assert aws.counter["cloudformation:DescribeStacks"] == 1

    [plain] = inventory.read([estate.untagged_instance])
    assert inventory.parents(plain) == []


def test_parent_kinds_the_policy_leaves_out_are_not_looked_up(
    shared: tuple[AwsAccount, Estate],
) -> None:
    aws, estate = shared
    inventory = aws.inventory(parent_kinds=("cloudformation_stack",))
    [member] = inventory.read([estate.group_instances[0]])
    assert inventory.parents(member) == []
    assert aws.counter["auto-scaling:DescribeAutoScalingGroups"] == 0


def test_a_listing_that_keeps_failing_raises_instead_of_looking_empty(aws: AwsAccount) -> None:
    run_instances(aws.client("ec2"))
    with ThrottleProxy(aws.endpoint, rate=1.0) as proxy:
        inventory = aws.inventory(
            proxy.url,
            type_filter=lambda kind: kind == "ec2:instance",
            config=client_config(max_attempts=2),  # botocore's backoff: seconds per retry
        )
        with pytest.raises(CloudApiError, match="ec2:DescribeInstances"):
            inventory.list_resources()
