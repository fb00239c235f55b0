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

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from costwarden.adapters.aws.compute_common import (
    ASG_MEMBER_TAG,
    LAST_ACTION_TAG,
    already,
    done,
    failed,
    failed_call,
    guarded,
    recorded,
    tag_map,
)
from costwarden.adapters.aws.retry import api_error, describe_error, error_code
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
_UP = ("running", "pending")
_DOWN = ("stopped", "stopping")
_VERBS = {"stop": "stopping", "hibernate": "hibernating", "start": "starting"}
#: EC2 filter values per filter (the re-read of a batch with an unknown id).
_FILTER_VALUES = 200
_T = TypeVar("_T")


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
    verdict = _triage(action, _describe(client, action.resource.resource_id))
    if isinstance(verdict, Outcome):
        return verdict
    if action.action == "start":
        return _start(client, action, record, verdict)
    return _stop(client, action, record, verdict)


def _stop(client: EC2Client, action: PlannedAction, record: LastAction, state: str) -> Outcome:
    hibernate = action.action == "hibernate"
    try:
        client.stop_instances(InstanceIds=[action.resource.resource_id], Hibernate=hibernate)
    except ClientError as exc:
        if error_code(exc) != "IncorrectInstanceState":
            raise
        return _after_refusal(client, action, exc, settled=_DOWN)
    return _recorded(client, action, record, f"{_VERBS[action.action]} (was {state})")


def _start(client: EC2Client, action: PlannedAction, record: LastAction, state: str) -> Outcome:
    try:
        client.start_instances(InstanceIds=[action.resource.resource_id])
    except ClientError as exc:
        if error_code(exc) != "IncorrectInstanceState":
            raise
        return _after_refusal(client, action, exc, settled=_UP)
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


# -- batches -------------------------------------------------------------------------------------
def execute_instances(
    client: EC2Client, actions: Sequence[PlannedAction], *, now: datetime, batch_size: int = 0
) -> list[Outcome]:
    """Carry out many instance actions in a few calls; one outcome per action, in order.

    The same contract as ``execute_instance`` (re-read first, ``already`` without a mutating
    call, the last-action tag after the change was accepted), with each step batched: one
    DescribeInstances, StopInstances / StartInstances and CreateTags per ``BATCH`` ids instead
    of three calls per instance (5,000 stops: 15 calls, not 7,500). A batch EC2 refuses as a
    whole because of one instance (IncorrectInstanceState, an unknown id, hibernation not
    supported) is carried out one instance at a time, so that instance fails alone: Cloud
    Custodian fails the whole batch there. Any other refusal (permissions, throttling after
    the retries) fails the batch's actions with EC2's message. ``batch_size``: ids per call
    (default ``BATCH``).
    """
    size = batch_size or BATCH
    outcomes: dict[int, Outcome] = {}
    found: dict[str, InstanceTypeDef] = {}
    for part in _chunks(list(enumerate(actions)), size):
        try:
            found.update(_describe_many(client, [a.resource.resource_id for _, a in part]))
        except (ClientError, BotoCoreError) as exc:
            outcomes.update((i, failed_call(a, "DescribeInstances", exc)) for i, a in part)
    # One batch per action kind and record: a grace stop is recorded as one (``LastAction``).
    todo: dict[tuple[str, str], list[tuple[int, PlannedAction, str]]] = {}
    for index, action in enumerate(actions):
        if index in outcomes:
            continue
        verdict = _triage(action, found.get(action.resource.resource_id))
        if isinstance(verdict, Outcome):
            outcomes[index] = verdict
        else:
            key = (action.action, LastAction.of(action, now).by)
            todo.setdefault(key, []).append((index, action, verdict))
    for (kind, _), items in todo.items():
        record = LastAction.of(items[0][1], now)
        for batch in _chunks(items, size):
            outcomes.update(_change(client, kind, batch, record))
    return [outcomes[index] for index in range(len(actions))]


#: Instance ids per DescribeInstances / StopInstances / StartInstances / CreateTags call
#: (CreateTags takes up to 1,000 and AWS recommends smaller batches).
BATCH = 500
#: Refusals caused by one instance of a batch: retried one instance at a time.
_PER_INSTANCE = ("IncorrectInstanceState", "Invalid", "Unsupported")


def _triage(action: PlannedAction, instance: InstanceTypeDef | None) -> Outcome | str:
    """An outcome decided by the re-read alone, or the state the change starts from."""
    instance_id = action.resource.resource_id
    if instance is None:
        return failed(action, f"instance {instance_id} not found")
    state = instance.get("State", {}).get("Name", "unknown")
    if state in _GONE:
        return failed(action, f"instance {instance_id} is {state}")
    if action.action not in _VERBS:
        return failed(action, f"action {action.action!r} does not apply to an EC2 instance")
    if state in (_UP if action.action == "start" else _DOWN):
        return already(action, f"instance is already {state}")
    if action.action == "hibernate" and not instance.get("HibernationOptions", {}).get(
        "Configured"
    ):
        return failed(
            action,
            "hibernation is not configured on this instance "
            "(UnsupportedHibernationConfiguration); not stopped",
        )
    return state


def _change(
    client: EC2Client,
    kind: str,
    batch: list[tuple[int, PlannedAction, str]],
    record: LastAction,
) -> dict[int, Outcome]:
    ids = [action.resource.resource_id for _, action, _ in batch]
    operation = "StartInstances" if kind == "start" else "StopInstances"
    try:
        if kind == "start":
            answer = client.start_instances(InstanceIds=ids).get("StartingInstances", [])
        else:
            answer = client.stop_instances(InstanceIds=ids, Hibernate=kind == "hibernate").get(
                "StoppingInstances", []
            )
    except ClientError as exc:
        if len(batch) > 1 and error_code(exc).startswith(_PER_INSTANCE):
            return {i: execute_instance(client, a, record) for i, a, _ in batch}
        return {i: failed_call(a, operation, exc) for i, a, _ in batch}
    except BotoCoreError as exc:
        return {i: failed_call(a, operation, exc) for i, a, _ in batch}
    accepted = {item.get("InstanceId") for item in answer}
    verb = _VERBS[kind]
    outcomes: dict[int, Outcome] = {}
    changed: list[tuple[int, PlannedAction, str]] = []
    for index, action, state in batch:
        if action.resource.resource_id in accepted:
            changed.append((index, action, f"{verb} (was {state})"))
        else:
            outcomes[index] = failed(action, f"EC2 did not list the instance as {verb}")
    if changed:
        try:
            client.create_tags(
                Resources=[action.resource.resource_id for _, action, _ in changed],
                Tags=[{"Key": LAST_ACTION_TAG, "Value": record.encode()}],
            )
        except (ClientError, BotoCoreError) as exc:
            note = f"; recording tag {LAST_ACTION_TAG} failed: {describe_error(exc)}"
            outcomes.update((i, done(a, message + note)) for i, a, message in changed)
        else:
            outcomes.update((i, done(a, message)) for i, a, message in changed)
    return outcomes


def _describe_many(client: EC2Client, ids: list[str]) -> dict[str, InstanceTypeDef]:
    """The instances EC2 knows among ``ids`` (one unknown id fails an ``InstanceIds`` call as a
    whole, so such a batch is re-read with the ``instance-id`` filter, which ignores it)."""
    try:
        answers = [client.describe_instances(InstanceIds=ids)]
    except ClientError as exc:
        if not error_code(exc).startswith("InvalidInstanceID"):
            raise
        answers = [
            client.describe_instances(Filters=[{"Name": "instance-id", "Values": part}])
            for part in _chunks(ids, _FILTER_VALUES)
        ]
    return {
        instance["InstanceId"]: instance
        for answer in answers
        for reservation in answer.get("Reservations", [])
        for instance in reservation.get("Instances", [])
    }


def _chunks(items: list[_T], size: int) -> list[list[_T]]:
    return [items[offset : offset + size] for offset in range(0, len(items), size)]


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
