"""EC2 instances for ``Ec2Compute``: listing and stop / hibernate / start.

Instances an Auto Scaling group launched (tag ``aws:autoscaling:groupName``) are *not* listed:
the group is scheduled as a whole (scale to zero), and stopping one of its instances only makes
the group's health check replace it with a fresh, running one.

State mapping: ``running`` -> running, ``stopped`` -> stopped, ``pending`` / ``stopping`` /
``shutting-down`` -> transitioning (the next tick sees where it settled), ``terminated`` ->
not listed. Instances whose root volume is instance store cannot be stopped at all (only
terminated): listed with ``extra["unsupported"]`` so the planner reports them as skipped.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from costwarden.adapters.aws.compute_common import (
    ASG_MEMBER_TAG,
    LAST_ACTION_TAG,
    already,
    failed,
    guarded,
    recorded,
    tag_map,
)
from costwarden.adapters.aws.retry import api_error, error_code
from costwarden.models.resource import PowerState, Resource
from costwarden.plan.model import LastAction, Outcome, PlannedAction

if TYPE_CHECKING:
    from mypy_boto3_ec2.client import EC2Client
    from mypy_boto3_ec2.type_defs import InstanceTypeDef

_STATES: dict[str, PowerState] = {
    "pending": "transitioning",
    "running": "running",
    "stopping": "transitioning",
    "stopped": "stopped",
    "shutting-down": "transitioning",
}
#: DescribeInstances' largest page (MaxResults 5..1000).
_PAGE_SIZE = 1000
_GONE = ("terminated", "shutting-down")


def list_instances(client: EC2Client, *, account: str, region: str) -> list[Resource]:
    """Every stoppable-in-principle instance of the region, all pages; raises CloudApiError."""
    paginator = client.get_paginator("describe_instances")
    resources: list[Resource] = []
    try:
        pages = paginator.paginate(
            # Terminated instances linger for an hour; filtering them server-side keeps pages
            # small in estates with heavy churn (CI runners, spot fleets).
            Filters=[{"Name": "instance-state-name", "Values": sorted(_STATES)}],
            PaginationConfig={"PageSize": _PAGE_SIZE},
        )
        for page in pages:
            for reservation in page.get("Reservations", []):
                for instance in reservation.get("Instances", []):
                    resource = _resource(instance, account=account, region=region)
                    if resource is not None:
                        resources.append(resource)
    except (ClientError, BotoCoreError) as exc:
        raise api_error("ec2:DescribeInstances", f"{account}/{region}", exc) from exc
    return resources


def _resource(instance: InstanceTypeDef, *, account: str, region: str) -> Resource | None:
    tags = tag_map(instance.get("Tags"))
    state_name = instance.get("State", {}).get("Name", "")
    if ASG_MEMBER_TAG in tags or state_name == "terminated":
        return None
    instance_id = instance["InstanceId"]
    extra: dict[str, str] = {}
    if instance.get("RootDeviceType") == "instance-store":
        extra["unsupported"] = "instance-store root volume: can only be terminated, not stopped"
    launched = instance.get("LaunchTime")
    return Resource(
        cloud="aws",
        account=account,
        region=region,
        resource_id=instance_id,
        resource_type="ec2_instance",
        name=tags.get("Name") or instance_id,
        state=_STATES.get(state_name, "unknown"),
        tags=tags,
        size=instance.get("InstanceType"),
        started_at=_utc(launched) if launched else None,
        hibernation_configured=bool(instance.get("HibernationOptions", {}).get("Configured")),
        extra=extra,
    )


def execute_instance(client: EC2Client, action: PlannedAction, record: LastAction) -> Outcome:
    """Carry out stop / hibernate / start on one instance (see ``Actuator``)."""
    return guarded(action, "ec2", lambda: _execute(client, action, record))


def _execute(client: EC2Client, action: PlannedAction, record: LastAction) -> Outcome:
    instance_id = action.resource.resource_id
    instance = _describe(client, instance_id)
    if instance is None:
        return failed(action, f"instance {instance_id} not found")
    state = instance.get("State", {}).get("Name", "unknown")
    if state in _GONE:
        return failed(action, f"instance {instance_id} is {state}")
    if action.action in ("stop", "hibernate"):
        return _stop(client, action, record, instance, state)
    if action.action == "start":
        return _start(client, action, record, state)
    return failed(action, f"action {action.action!r} does not apply to an EC2 instance")


def _stop(
    client: EC2Client,
    action: PlannedAction,
    record: LastAction,
    instance: InstanceTypeDef,
    state: str,
) -> Outcome:
    if state in ("stopped", "stopping"):
        return already(action, f"instance is already {state}")
    hibernate = action.action == "hibernate"
    if hibernate and not instance.get("HibernationOptions", {}).get("Configured"):
        return failed(
            action,
            "hibernation is not configured on this instance "
            "(UnsupportedHibernationConfiguration); not stopped",
        )
    try:
        client.stop_instances(InstanceIds=[instance["InstanceId"]], Hibernate=hibernate)
    except ClientError as exc:
        if error_code(exc) != "IncorrectInstanceState":
            raise
        return _after_refusal(client, action, exc, settled=("stopped", "stopping"))
    verb = "hibernating" if hibernate else "stopping"
    return _recorded(client, action, record, f"{verb} (was {state})")


def _start(client: EC2Client, action: PlannedAction, record: LastAction, state: str) -> Outcome:
    if state in ("running", "pending"):
        return already(action, f"instance is already {state}")
    try:
        client.start_instances(InstanceIds=[action.resource.resource_id])
    except ClientError as exc:
        if error_code(exc) != "IncorrectInstanceState":
            raise
        return _after_refusal(client, action, exc, settled=("running", "pending"))
    return _recorded(client, action, record, f"starting (was {state})")


def _recorded(
    client: EC2Client, action: PlannedAction, record: LastAction, message: str
) -> Outcome:
    return recorded(
        action,
        message,
        lambda: client.create_tags(
            Resources=[action.resource.resource_id],
            Tags=[{"Key": LAST_ACTION_TAG, "Value": record.encode()}],
        ),
    )


def _after_refusal(
    client: EC2Client, action: PlannedAction, exc: ClientError, *, settled: tuple[str, ...]
) -> Outcome:
    """IncorrectInstanceState: the instance changed under us. Re-read and say where it is."""
    again = _describe(client, action.resource.resource_id)
    state = "gone" if again is None else again.get("State", {}).get("Name", "unknown")
    if state in settled:
        return already(action, f"instance is already {state} (IncorrectInstanceState, re-read)")
    return failed(action, f"{exc.operation_name} failed: IncorrectInstanceState: it is {state}")


def _describe(client: EC2Client, instance_id: str) -> InstanceTypeDef | None:
    """The instance as EC2 reports it now; an unknown id raises InvalidInstanceID.NotFound."""
    response = client.describe_instances(InstanceIds=[instance_id])
    for reservation in response.get("Reservations", []):
        for instance in reservation.get("Instances", []):
            if instance.get("InstanceId") == instance_id:
                return instance
    return None


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
