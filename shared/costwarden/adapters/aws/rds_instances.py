"""RDS DB instances for ``Ec2Compute``: listing and stop / start.

State mapping: ``available`` -> running, ``stopped`` -> stopped; the states an instance passes
through on its own (starting, stopping, backing-up, modifying, ...) -> transitioning; states that
need a person (failed, storage-full, incompatible-*, deleting, ...) -> unknown. Neither is acted
on.

Instances RDS refuses to stop are listed with ``extra["unsupported"]`` so the planner reports
them instead of planning a failure: members of an Aurora cluster (the cluster is what stops),
read replicas, and sources of read replicas.

AWS starts a stopped instance again by itself after seven days; the planner recognises that
(the instance is running while the schedule wants it stopped) and stops it again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from costwarden.adapters.aws.compute_common import (
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
    from mypy_boto3_rds.client import RDSClient
    from mypy_boto3_rds.type_defs import DBInstanceTypeDef

#: DescribeDBInstances' largest page (MaxRecords 20..100).
_PAGE_SIZE = 100
_NEEDS_A_PERSON = frozenset(
    {
        "deleting",
        "failed",
        "inaccessible-encryption-credentials",
        "inaccessible-encryption-credentials-recoverable",
        "incompatible-network",
        "incompatible-option-group",
        "incompatible-parameters",
        "incompatible-restore",
        "insufficient-capacity",
        "restore-error",
        "storage-full",
    }
)
AURORA_MEMBER = "member of an Aurora cluster; stop the cluster"


def _state(status: str) -> PowerState:
    if status == "available":
        return "running"
    if status == "stopped":
        return "stopped"
    return "unknown" if status in _NEEDS_A_PERSON or not status else "transitioning"


def unsupported_reason(db: DBInstanceTypeDef) -> str | None:
    """Why RDS would refuse StopDBInstance for this instance whatever its state, or None."""
    if db.get("DBClusterIdentifier"):
        return AURORA_MEMBER
    if db.get("ReadReplicaSourceDBInstanceIdentifier"):
        return "read replica: RDS cannot stop it"
    if db.get("ReadReplicaDBInstanceIdentifiers"):
        return "has read replicas: RDS cannot stop it"
    return None


def list_databases(client: RDSClient, *, account: str, region: str) -> list[Resource]:
    """Every DB instance of the region, all pages; raises CloudApiError."""
    paginator = client.get_paginator("describe_db_instances")
    resources: list[Resource] = []
    try:
        for page in paginator.paginate(PaginationConfig={"PageSize": _PAGE_SIZE}):
            resources.extend(
                _resource(db, account=account, region=region) for db in page.get("DBInstances", [])
            )
    except (ClientError, BotoCoreError) as exc:
        raise api_error("rds:DescribeDBInstances", f"{account}/{region}", exc) from exc
    return resources


def _resource(db: DBInstanceTypeDef, *, account: str, region: str) -> Resource:
    identifier = db["DBInstanceIdentifier"]
    reason = unsupported_reason(db)
    return Resource(
        cloud="aws",
        account=account,
        region=region,
        resource_id=identifier,
        resource_type="rds_instance",
        name=identifier,
        state=_state(db.get("DBInstanceStatus", "")),
        tags=tag_map(db.get("TagList")),
        size=db.get("DBInstanceClass"),
        extra={"unsupported": reason} if reason else {},
    )


def execute_database(client: RDSClient, action: PlannedAction, record: LastAction) -> Outcome:
    """Carry out stop / start on one DB instance (see ``Actuator``)."""
    return guarded(action, "rds", lambda: _execute(client, action, record))


def _execute(client: RDSClient, action: PlannedAction, record: LastAction) -> Outcome:
    identifier = action.resource.resource_id
    db = _describe(client, identifier)
    if db is None:
        return failed(action, f"DB instance {identifier} not found")
    reason = unsupported_reason(db)
    if reason:
        return failed(action, f"not supported: {reason}")
    if action.action not in ("stop", "start"):
        return failed(action, f"action {action.action!r} does not apply to an RDS instance")
    return _change(client, action, record, db)


def _change(
    client: RDSClient, action: PlannedAction, record: LastAction, db: DBInstanceTypeDef
) -> Outcome:
    identifier = db["DBInstanceIdentifier"]
    status = db.get("DBInstanceStatus", "")
    stopping = action.action == "stop"
    settled = ("stopped", "stopping") if stopping else ("available", "starting")
    if status in settled:
        return already(action, f"DB instance is already {status}")
    try:
        if stopping:
            client.stop_db_instance(DBInstanceIdentifier=identifier)
        else:
            client.start_db_instance(DBInstanceIdentifier=identifier)
    except ClientError as exc:
        if error_code(exc) != "InvalidDBInstanceState":
            raise
        # Changed under us (or a state RDS will not stop from): re-read and say which.
        again = _describe(client, identifier)
        now = "gone" if again is None else again.get("DBInstanceStatus", "unknown")
        if now in settled:
            return already(action, f"DB instance is already {now} (InvalidDBInstanceState)")
        return failed(action, f"{exc.operation_name} failed: InvalidDBInstanceState: it is {now}")
    verb = "stopping" if stopping else "starting"
    arn = db["DBInstanceArn"]
    return recorded(
        action,
        f"{verb} (was {status})",
        lambda: client.add_tags_to_resource(
            ResourceName=arn, Tags=[{"Key": LAST_ACTION_TAG, "Value": record.encode()}]
        ),
    )


def _describe(client: RDSClient, identifier: str) -> DBInstanceTypeDef | None:
    """The instance now; an unknown identifier raises DBInstanceNotFound."""
    response = client.describe_db_instances(DBInstanceIdentifier=identifier)
    for db in response.get("DBInstances", []):
        if db.get("DBInstanceIdentifier") == identifier:
            return db
    return None
