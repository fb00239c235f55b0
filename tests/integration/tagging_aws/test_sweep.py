"""Tag remediation end to end on AWS: ``TagRemediator`` with the real adapters against moto.

The sweep fixes what can be known (aliases, parents' tags, the account default), marks what
cannot, and a second sweep writes nothing. A RunInstances event tags the instances it names
with their creator.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from costwarden.normalize.resource_change import parse_resource_change
from costwarden.policy.loader import load_policy_text
from costwarden.policy.tagging import TaggingSection
from costwarden.services.tag_remediation import TagRemediator
from costwarden.tagging.marks import mark_deadline
from integration.tagging_aws.conftest import AwsAccount
from integration.tagging_aws.estate import build_estate, run_instances

pytestmark = pytest.mark.integration

EVENTS = Path(__file__).resolve().parents[3] / "events"
NOW = datetime(2026, 11, 27, 9, 15, tzinfo=UTC)
DUE = NOW.date() + timedelta(days=7)
MARK = "costwarden:tag-violation"
POLICY = load_policy_text('version: 1\nslack: {default_channel: "#finops"}\n')
SECTION = TaggingSection.model_validate(
    {
        "clouds": ["aws"],
        "required": {
            "Environment": {"aliases": ["env"], "values": ["dev", "test", "prod"]},
            "Owner": {"pattern": r"[^@ ]+@example\.com", "infer": ["creator"]},
            "CostCenter": {"pattern": r"cc-[0-9]{3}"},
        },
        "owner_key": "Owner",
        "defaults": [{"tags": {"CostCenter": "cc-100"}}],
        "grace": {"days": 7},
    }
)


def remediator() -> TagRemediator:
    return TagRemediator(POLICY, SECTION, cloud="aws")


def tags_of(aws: AwsAccount, instance_id: str) -> dict[str, str]:
    answer = aws.client("ec2").describe_instances(InstanceIds=[instance_id])
    instance = answer["Reservations"][0]["Instances"][0]
    return {
        t["Key"]: t["Value"] for t in instance.get("Tags", []) if not t["Key"].startswith("aws:")
    }


def test_sweep_fixes_what_can_be_known_marks_the_rest_and_then_writes_nothing(
    aws: AwsAccount,
) -> None:
    estate = build_estate(aws)
    report = remediator().sweep(inventory=aws.inventory(), writer=aws.writer(), now=NOW)

    assert report.failed == []
    assert tags_of(aws, estate.tagged_instance) == {
        "Name": "web",
        "Environment": "prod",
        "Owner": "ops@example.com",
        "CostCenter": "cc-200",
    }, "a compliant instance is left alone"
    alias = tags_of(aws, estate.alias_instance)
    assert alias["Environment"] == "dev"
    assert alias["env"] == "dev"
    assert alias["CostCenter"] == "cc-100", "the account default"
    assert mark_deadline(alias[MARK]) == DUE
    assert "Owner" in alias[MARK]
    for member in estate.group_instances:
        tags = tags_of(aws, member)
        assert (tags["Environment"], tags["CostCenter"]) == ("test", "cc-300"), "from the ASG"
    boxed = tags_of(aws, estate.stack_instance)
    assert (boxed["Environment"], boxed["CostCenter"]) == ("prod", "cc-400"), "from the stack"
    never = tags_of(aws, estate.untagged_instance)
    assert never["CostCenter"] == "cc-100"
    assert "Environment" not in never
    assert "Environment+Owner" in never[MARK]

    s3 = aws.client("s3")
    bucket = {
        t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=estate.untagged_bucket)["TagSet"]
    }
    assert bucket["CostCenter"] == "cc-100"
    assert MARK in bucket
    db = aws.client("rds").list_tags_for_resource(ResourceName=estate.untagged_db)["TagList"]
    assert {"Key": "CostCenter", "Value": "cc-100"} in db
    group = aws.client("autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=["workers"]
    )
    group_tags = {t["Key"]: t["Value"] for t in group["AutoScalingGroups"][0]["Tags"]}
    assert MARK in group_tags
    assert group_tags["Environment"] == "test"

    # One call per distinct change: EC2 resources missing the same keys share CreateTags
    # (never-tagged instances and volumes; the alias instance; ASG members; the stack's
    # instance; the snapshot), the untagged bucket and DB share TagResources.
    assert aws.counter["ec2:CreateTags"] == 5
    assert aws.counter["resource-groups-tagging-api:TagResources"] == 1
    assert aws.counter["auto-scaling:CreateOrUpdateTags"] == 1
    assert aws.counter.writes == 7
    fixed = {v.resource.resource_id for v in report.fixed}
    assert aws.arn("volume", estate.untagged_volume) in fixed
    assert aws.arn("instance", estate.tagged_instance) not in fixed

    aws.counter.reset()
    again = remediator().sweep(inventory=aws.inventory(), writer=aws.writer(), now=NOW)
    assert aws.counter.writes == 0, dict(aws.counter.calls)
    assert again.fixed == []
    assert again.failed == []
    assert {v.resource.resource_id for v in again.violating} == {
        v.resource.resource_id for v in report.violating
    }


def test_a_run_instances_event_tags_the_new_instances_with_their_creator(aws: AwsAccount) -> None:
    first, second = run_instances(aws.client("ec2"), count=2, Name="build-agent")
    # The creator tagged the second one in the meantime: its value wins.
    aws.client("ec2").create_tags(
        Resources=[second], Tags=[{"Key": "Owner", "Value": "bob@example.com"}]
    )
    text = (EVENTS / "aws/resource_created_run_instances_sso.json").read_text()
    for sample, launched in (("i-0a1b2c3d4e5f60001", first), ("i-0a1b2c3d4e5f60002", second)):
        text = text.replace(sample, launched)
    text = text.replace("123456789012", aws.account)
    [change] = parse_resource_change(json.loads(text))
    assert list(change.resource_ids) == [first, second]

    report = remediator().on_change(change, inventory=aws.inventory(), writer=aws.writer(), now=NOW)

    assert tags_of(aws, first)["Owner"] == "alice@example.com"
    assert tags_of(aws, second)["Owner"] == "bob@example.com"
    for instance in (first, second):
        tags = tags_of(aws, instance)
        assert tags["Name"] == "build-agent"
        assert tags["CostCenter"] == "cc-100"
        assert mark_deadline(tags[MARK]) == DUE
        assert "Environment" in tags[MARK]
    assert {v.resource.resource_id for v in report.fixed} == {
        aws.arn("instance", first),
        aws.arn("instance", second),
    }
    assert aws.counter["ec2:DescribeInstances"] == 1, "one re-read for both"
    assert aws.counter.writes == 2, "alike changes share a call: one for each tag set"
