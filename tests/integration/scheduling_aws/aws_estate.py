"""A mixed AWS estate on moto, built with plain boto3 calls (not with the adapters under test)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

REGION = "eu-west-1"
AMI = "ami-12c6146b"  # one of the AMIs moto ships


@dataclass(frozen=True)
class Estate:
    web: str  # running t3.micro, tags Name=web-dev, Environment=dev
    batch: str  # stopped m5.large
    hibernating: str  # running, launched with hibernation configured
    terminated: str
    workers_group: str  # ASG at 1/2/4 with two instances
    workers_instances: tuple[str, ...]
    empty_group: str  # ASG at 0/0/0
    orders_db: str  # available db.t3.micro
    reports_db: str  # stopped
    aurora_member: str  # member of Aurora cluster "analytics"
    replica_source: str
    replica: str


def run_instance(
    ec2: Any, name: str, *, instance_type: str = "t3.micro", hibernation: bool = False, **tags: str
) -> str:
    extra: dict[str, Any] = {"HibernationOptions": {"Configured": True}} if hibernation else {}
    response = ec2.run_instances(
        ImageId=AMI,
        MinCount=1,
        MaxCount=1,
        InstanceType=instance_type,
        TagSpecifications=[
            {
                "ResourceType": "instance",
                "Tags": [{"Key": "Name", "Value": name}]
                + [{"Key": k, "Value": v} for k, v in tags.items()],
            }
        ],
        **extra,
    )
    return str(response["Instances"][0]["InstanceId"])


def create_group(
    asg: Any,
    ec2: Any,
    name: str,
    minimum: int,
    desired: int,
    maximum: int,
    *,
    template: str | None = None,
) -> None:
    """A group launching t3.small instances; ``template`` reuses an existing launch template."""
    if template is None:
        template = f"{name}-template"
        ec2.create_launch_template(
            LaunchTemplateName=template,
            LaunchTemplateData={"ImageId": AMI, "InstanceType": "t3.small"},
        )
    asg.create_auto_scaling_group(
        AutoScalingGroupName=name,
        LaunchTemplate={"LaunchTemplateName": template},
        MinSize=minimum,
        DesiredCapacity=desired,
        MaxSize=maximum,
        AvailabilityZones=[f"{REGION}a"],
        Tags=[{"Key": "team", "Value": "platform", "PropagateAtLaunch": True}],
    )


def create_database(rds: Any, identifier: str, **kwargs: Any) -> None:
    defaults: dict[str, Any] = {
        "DBInstanceClass": "db.t3.micro",
        "Engine": "postgres",
        "MasterUsername": "costwarden",
        "MasterUserPassword": "not-a-secret-1",
        "AllocatedStorage": 20,
    }
    rds.create_db_instance(DBInstanceIdentifier=identifier, **{**defaults, **kwargs})


def build_estate(client: Callable[[str], Any]) -> Estate:
    ec2, asg, rds = client("ec2"), client("autoscaling"), client("rds")
    web = run_instance(ec2, "web-dev", Environment="dev")
    batch = run_instance(ec2, "batch", instance_type="m5.large")
    ec2.stop_instances(InstanceIds=[batch])
    hibernating = run_instance(ec2, "hib", hibernation=True)
    terminated = run_instance(ec2, "old")
    ec2.terminate_instances(InstanceIds=[terminated])

    create_group(asg, ec2, "workers", 1, 2, 4)
    create_group(asg, ec2, "empty", 0, 0, 0)
    group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["workers"])
    members = tuple(i["InstanceId"] for i in group["AutoScalingGroups"][0]["Instances"])

    create_database(rds, "orders-db", Tags=[{"Key": "Environment", "Value": "dev"}])
    create_database(rds, "reports-db")
    rds.stop_db_instance(DBInstanceIdentifier="reports-db")
    rds.create_db_cluster(
        DBClusterIdentifier="analytics",
        Engine="aurora-postgresql",
        MasterUsername="costwarden",
        MasterUserPassword="not-a-secret-1",
    )
    rds.create_db_instance(
        DBInstanceIdentifier="analytics-1",
        DBInstanceClass="db.r6g.large",
        Engine="aurora-postgresql",
        DBClusterIdentifier="analytics",
    )
    create_database(rds, "source-db")
    rds.create_db_instance_read_replica(
        DBInstanceIdentifier="source-db-replica", SourceDBInstanceIdentifier="source-db"
    )
    return Estate(
        web=web,
        batch=batch,
        hibernating=hibernating,
        terminated=terminated,
        workers_group="workers",
        workers_instances=members,
        empty_group="empty",
        orders_db="orders-db",
        reports_db="reports-db",
        aurora_member="analytics-1",
        replica_source="source-db",
        replica="source-db-replica",
    )
