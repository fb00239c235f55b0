"""A mixed AWS estate for tag sweeps, built with plain boto3 calls (not with the adapters).

Tagged, alias-tagged and never-tagged resources of every directly listed type, things a
sweep must *not* see (a terminated instance, another region's bucket), and instances with
parents: an Auto Scaling group's members and a CloudFormation stack's instance.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from integration.tagging_aws.conftest import REGION, AwsAccount

AMI = "ami-12c6146b"  # one of the AMIs moto ships
COMPLIANT = {"Environment": "prod", "Owner": "ops@example.com", "CostCenter": "cc-200"}


@dataclass(frozen=True)
class Estate:
    tagged_instance: str  # compliant
    untagged_instance: str  # never tagged
    alias_instance: str  # env=dev only
    stopped_instance: str  # never tagged, stopped
    terminated_instance: str
    group: str  # ASG "workers" tagged Environment=test, CostCenter=cc-300 (not propagated)
    group_instances: tuple[str, ...]
    stack: str  # stack tagged Environment=prod, CostCenter=cc-400
    stack_instance: str  # its propagated tags removed
    tagged_volume: str
    untagged_volume: str
    tagged_bucket: str
    untagged_bucket: str
    foreign_bucket: str  # us-east-1
    tagged_db: str  # ARN
    untagged_db: str  # ARN
    tagged_snapshot: str


def tags(**values: str) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in values.items()]


def run_instances(ec2: Any, count: int = 1, **tag_values: str) -> list[str]:
    extra: dict[str, Any] = {}
    if tag_values:
        extra["TagSpecifications"] = [{"ResourceType": "instance", "Tags": tags(**tag_values)}]
    answer = ec2.run_instances(
        ImageId=AMI, MinCount=count, MaxCount=count, InstanceType="t3.micro", **extra
    )
    return [str(i["InstanceId"]) for i in answer["Instances"]]


def create_db(rds: Any, name: str, **tag_values: str) -> str:
    answer = rds.create_db_instance(
        DBInstanceIdentifier=name,
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="costwarden",
        MasterUserPassword="not-a-secret-1",
        AllocatedStorage=20,
        Tags=tags(**tag_values),
    )
    return str(answer["DBInstance"]["DBInstanceArn"])


def create_bucket(aws: AwsAccount, region: str = REGION, **tag_values: str) -> str:
    name = f"cw-tags-{uuid.uuid4().hex[:16]}"
    s3 = aws.client("s3", region)
    config = (
        {}
        if region == "us-east-1"
        else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    )
    s3.create_bucket(Bucket=name, **config)
    if tag_values:
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tags(**tag_values)})
    return name


def build_estate(aws: AwsAccount) -> Estate:
    ec2, rds = aws.client("ec2"), aws.client("rds")
    [tagged] = run_instances(ec2, Name="web", **COMPLIANT)
    [untagged] = run_instances(ec2)
    [alias] = run_instances(ec2, env="dev")
    [stopped] = run_instances(ec2)
    ec2.stop_instances(InstanceIds=[stopped])
    [terminated] = run_instances(ec2, Name="gone")
    ec2.terminate_instances(InstanceIds=[terminated])

    group, members = create_group(aws, "workers", Environment="test", CostCenter="cc-300")
    stack, stack_instance = create_stack(aws, "tiny", Environment="prod", CostCenter="cc-400")

    tagged_volume = ec2.create_volume(
        AvailabilityZone=f"{REGION}a",
        Size=8,
        TagSpecifications=[{"ResourceType": "volume", "Tags": tags(**COMPLIANT)}],
    )["VolumeId"]
    untagged_volume = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=8)["VolumeId"]
    snapshot = ec2.create_snapshot(
        VolumeId=untagged_volume,
        TagSpecifications=[{"ResourceType": "snapshot", "Tags": tags(env="prod")}],
    )["SnapshotId"]
    return Estate(
        tagged_instance=tagged,
        untagged_instance=untagged,
        alias_instance=alias,
        stopped_instance=stopped,
        terminated_instance=terminated,
        group=group,
        group_instances=members,
        stack=stack,
        stack_instance=stack_instance,
        tagged_volume=str(tagged_volume),
        untagged_volume=str(untagged_volume),
        tagged_bucket=create_bucket(aws, **COMPLIANT),
        untagged_bucket=create_bucket(aws),
        foreign_bucket=create_bucket(aws, "us-east-1"),
        tagged_db=create_db(rds, "orders", **COMPLIANT),
        untagged_db=create_db(rds, "reports"),
        tagged_snapshot=str(snapshot),
    )


def create_group(aws: AwsAccount, name: str, **tag_values: str) -> tuple[str, tuple[str, ...]]:
    """A group of two whose tags do *not* propagate: its members learn them as parents."""
    ec2, autoscaling = aws.client("ec2"), aws.client("autoscaling")
    ec2.create_launch_template(
        LaunchTemplateName=f"{name}-template",
        LaunchTemplateData={"ImageId": AMI, "InstanceType": "t3.small"},
    )
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName=name,
        LaunchTemplate={"LaunchTemplateName": f"{name}-template"},
        MinSize=2,
        DesiredCapacity=2,
        MaxSize=2,
        AvailabilityZones=[f"{REGION}a"],
        Tags=[{"Key": k, "Value": v, "PropagateAtLaunch": False} for k, v in tag_values.items()],
    )
    group = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])
    members = tuple(str(i["InstanceId"]) for i in group["AutoScalingGroups"][0]["Instances"])
    return name, members


def create_stack(aws: AwsAccount, name: str, **tag_values: str) -> tuple[str, str]:
    """A one-instance stack; the stack tags CloudFormation copied onto it are removed again
    (as on a resource type it does not propagate to), so only the parent look-up finds them."""
    cloudformation, ec2 = aws.client("cloudformation"), aws.client("ec2")
    template = {
        "Resources": {
            "Box": {
                "Type": "AWS::EC2::Instance",
                "Properties": {"ImageId": AMI, "InstanceType": "t3.micro"},
            }
        }
    }
    cloudformation.create_stack(
        StackName=name, TemplateBody=json.dumps(template), Tags=tags(**tag_values)
    )
    resources = cloudformation.describe_stack_resources(StackName=name)["StackResources"]
    instance = str(resources[0]["PhysicalResourceId"])
    ec2.delete_tags(Resources=[instance], Tags=[{"Key": k} for k in tag_values])
    return name, instance
