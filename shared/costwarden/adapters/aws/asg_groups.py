"""Auto Scaling groups for ``Ec2Compute``: listing, scale to zero and restore.

A group has no "stopped" state: it is stopped by setting min = desired = max = 0 (max too, or a
scaling policy or scheduled action could scale it straight back up). Its old size is saved in
the ``costwarden:saved-capacity`` tag *before* the update, so a crash between the two calls
leaves a running group with a tag (harmless, overwritten next time) and never a group at zero
with nothing to restore it to. Restoring deletes the tag afterwards.

Suspending processes (the other way AWS documents) is not used: it leaves the instances
running, and it is the instances that bill.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from costwarden.adapters.aws.compute_common import (
    LAST_ACTION_TAG,
    SAVED_CAPACITY_TAG,
    already,
    failed,
    guarded,
    recorded,
    tag_map,
)
from costwarden.adapters.aws.retry import api_error
from costwarden.models.resource import Capacity, PowerState, Resource
from costwarden.plan.model import LastAction, Outcome, PlannedAction

if TYPE_CHECKING:
    from mypy_boto3_autoscaling.client import AutoScalingClient
    from mypy_boto3_autoscaling.type_defs import AutoScalingGroupTypeDef

#: DescribeAutoScalingGroups' largest page.
_PAGE_SIZE = 100
_ZERO = Capacity(0, 0, 0)


def list_groups(client: AutoScalingClient, *, account: str, region: str) -> list[Resource]:
    """Every group of the region, all pages; raises CloudApiError."""
    paginator = client.get_paginator("describe_auto_scaling_groups")
    resources: list[Resource] = []
    try:
        for page in paginator.paginate(PaginationConfig={"PageSize": _PAGE_SIZE}):
            resources.extend(
                _resource(group, account=account, region=region)
                for group in page.get("AutoScalingGroups", [])
            )
    except (ClientError, BotoCoreError) as exc:
        where = f"{account}/{region}"
        raise api_error("autoscaling:DescribeAutoScalingGroups", where, exc) from exc
    return resources


def _capacity(group: AutoScalingGroupTypeDef) -> Capacity:
    return Capacity(group["MinSize"], group["DesiredCapacity"], group["MaxSize"])


def _resource(group: AutoScalingGroupTypeDef, *, account: str, region: str) -> Resource:
    capacity = _capacity(group)
    state: PowerState = "stopped" if capacity == _ZERO else "running"
    if group.get("Status"):  # only set while the group is being deleted
        state = "transitioning"
    # The hourly price of a group is its instances' price; report the type when they share one.
    types = {i["InstanceType"] for i in group.get("Instances", []) if i.get("InstanceType")}
    name = group["AutoScalingGroupName"]
    return Resource(
        cloud="aws",
        account=account,
        region=region,
        resource_id=name,
        resource_type="asg",
        name=name,
        state=state,
        tags=tag_map(group.get("Tags")),
        size=types.pop() if len(types) == 1 else None,
        capacity=capacity,
    )


def execute_group(client: AutoScalingClient, action: PlannedAction, record: LastAction) -> Outcome:
    """Carry out scale_to_zero / restore_capacity on one group (see ``Actuator``)."""
    return guarded(action, "autoscaling", lambda: _execute(client, action, record))


def _execute(client: AutoScalingClient, action: PlannedAction, record: LastAction) -> Outcome:
    name = action.resource.resource_id
    response = client.describe_auto_scaling_groups(AutoScalingGroupNames=[name])
    groups = response.get("AutoScalingGroups", [])
    if not groups:
        return failed(action, f"Auto Scaling group {name} not found")
    if action.action == "scale_to_zero":
        return _scale_to_zero(client, action, record, groups[0])
    if action.action == "restore_capacity":
        return _restore(client, action, record, groups[0])
    return failed(action, f"action {action.action!r} does not apply to an Auto Scaling group")


def _scale_to_zero(
    client: AutoScalingClient,
    action: PlannedAction,
    record: LastAction,
    group: AutoScalingGroupTypeDef,
) -> Outcome:
    name = group["AutoScalingGroupName"]
    current = _capacity(group)
    if current == _ZERO:
        return already(action, "group is already at 0/0/0")
    # Saved first: see the module docstring.
    _tag(client, name, SAVED_CAPACITY_TAG, current.encode())
    client.update_auto_scaling_group(
        AutoScalingGroupName=name, MinSize=0, DesiredCapacity=0, MaxSize=0
    )
    return recorded(
        action,
        f"scaled to 0/0/0 (was {current.encode()}, saved in {SAVED_CAPACITY_TAG})",
        lambda: _tag(client, name, LAST_ACTION_TAG, record.encode()),
    )


def _restore(
    client: AutoScalingClient,
    action: PlannedAction,
    record: LastAction,
    group: AutoScalingGroupTypeDef,
) -> Outcome:
    name = group["AutoScalingGroupName"]
    current = _capacity(group)
    if current != _ZERO:
        return already(action, f"group is already at {current.encode()}: left as it is")
    # The plan carries the tag's value as the planner read it; the tag is the fallback.
    saved_text = action.details.get("capacity") or tag_map(group.get("Tags")).get(
        SAVED_CAPACITY_TAG, ""
    )
    saved = Capacity.decode(saved_text)
    if saved is None:
        return failed(action, f"no valid saved capacity to restore ({saved_text!r})")
    client.update_auto_scaling_group(
        AutoScalingGroupName=name,
        MinSize=saved.min_size,
        DesiredCapacity=saved.desired,
        MaxSize=saved.max_size,
    )

    def record_and_forget() -> None:
        _tag(client, name, LAST_ACTION_TAG, record.encode())
        client.delete_tags(
            Tags=[
                {
                    "ResourceId": name,
                    "ResourceType": "auto-scaling-group",
                    "Key": SAVED_CAPACITY_TAG,
                }
            ]
        )

    return recorded(
        action,
        f"restored to {saved.encode()}",
        record_and_forget,
        what=f"recording {LAST_ACTION_TAG} / removing {SAVED_CAPACITY_TAG}",
    )


def _tag(client: AutoScalingClient, name: str, key: str, value: str) -> None:
    client.create_or_update_tags(
        Tags=[
            {
                "ResourceId": name,
                "ResourceType": "auto-scaling-group",
                "Key": key,
                "Value": value,
                # Bookkeeping for the group, not for the instances it launches.
                "PropagateAtLaunch": False,
            }
        ]
    )
