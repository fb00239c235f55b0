"""Pieces the EC2, Auto Scaling and RDS helpers of ``Ec2Compute`` share.

Each helper module lists one resource type and carries out its actions; these helpers turn an
AWS answer into an ``Outcome`` the same way for all three, so a report reads alike whatever
failed. Nothing here raises for one resource: the actuator contract is one outcome per action.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from botocore.exceptions import BotoCoreError, ClientError

from costwarden.adapters.aws.retry import describe_error
from costwarden.plan.model import Outcome, PlannedAction
from costwarden.policy.scheduling import LAST_ACTION_TAG, SAVED_CAPACITY_TAG

#: Tag EC2 puts on instances an Auto Scaling group launched. Such instances are scheduled
#: through their group: stopping one alone makes the group replace it (health check).
ASG_MEMBER_TAG = "aws:autoscaling:groupName"


def tag_map(tags: Iterable[Mapping[str, object]] | None) -> dict[str, str]:
    """``[{"Key": k, "Value": v}, ...]`` (EC2, ASG, RDS shapes) -> ``{k: v}``."""
    result: dict[str, str] = {}
    for tag in tags or ():
        key, value = tag.get("Key"), tag.get("Value")
        if isinstance(key, str):
            result[key] = value if isinstance(value, str) else ""
    return result


def done(action: PlannedAction, message: str) -> Outcome:
    return Outcome(action=action, status="done", message=message)


def already(action: PlannedAction, message: str) -> Outcome:
    return Outcome(action=action, status="already", message=message)


def failed(action: PlannedAction, message: str) -> Outcome:
    return Outcome(action=action, status="failed", message=message)


def failed_call(action: PlannedAction, operation: str, exc: ClientError | BotoCoreError) -> Outcome:
    """A failed outcome naming the call and the AWS error code (e.g. ``UnauthorizedOperation``)."""
    name = exc.operation_name if isinstance(exc, ClientError) else operation
    return failed(action, f"{name} failed: {describe_error(exc)}")


def guarded(action: PlannedAction, operation: str, run: Callable[[], Outcome]) -> Outcome:
    """Run one action; any AWS failure becomes a failed outcome instead of an exception."""
    try:
        return run()
    except (ClientError, BotoCoreError) as exc:
        return failed_call(action, operation, exc)


def recorded(
    action: PlannedAction,
    message: str,
    write_tag: Callable[[], object],
    *,
    what: str = f"recording tag {LAST_ACTION_TAG}",
) -> Outcome:
    """``done`` after writing the last-action tag.

    The change itself was accepted, so a tag write that fails leaves the outcome ``done`` and
    says so: the resource *is* stopped (or started), and an old last-action tag is the state a
    crash between the two calls leaves too, which the planner reads correctly (at worst a
    manual start after this stop is not recognised as manual and is stopped once more).
    """
    try:
        write_tag()
    except (ClientError, BotoCoreError) as exc:
        return done(action, f"{message}; {what} failed: {describe_error(exc)}")
    return done(action, message)


__all__ = [
    "ASG_MEMBER_TAG",
    "LAST_ACTION_TAG",
    "SAVED_CAPACITY_TAG",
    "already",
    "done",
    "failed",
    "failed_call",
    "guarded",
    "recorded",
    "tag_map",
]
