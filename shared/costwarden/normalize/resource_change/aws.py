"""CloudTrail management events via EventBridge -> ``ResourceChange``.

Which calls create a taggable resource, and where the new resource's id is in the event, is a
table (``CREATE_EVENTS``). The creator comes from ``detail.userIdentity``: an IAM user's name,
an assumed-role *session* name (IAM Identity Center and most SSO set it to the person's e-mail),
a federated user's name. Root and AWS services are never owners: neither an ``AWSService``
identity nor a *service-linked role* session (``AWSServiceRoleFor…``, path
``/aws-service-role/``), which is how Auto Scaling, Spot Fleet and others launch instances; the
group's own tags (inference from the parent) name the owner then.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

from costwarden.errors import PayloadError, UnrecognisedPayloadError
from costwarden.models.resource_change import Creator, CreatorKind, ResourceChange
from costwarden.normalize.resource_change.fields import dig, obj, optional_text, text, timestamp

Ids = Callable[[Mapping[str, object], str, str], list[str]]


class CreateEvent(NamedTuple):
    resource_type: str
    ids: Ids


def _path(dotted: str) -> Ids:
    def read(detail: Mapping[str, object], region: str, account: str) -> list[str]:
        value = dig(detail, dotted)
        return [value] if isinstance(value, str) and value else []

    return read


def _instances(detail: Mapping[str, object], region: str, account: str) -> list[str]:
    items = dig(detail, "responseElements.instancesSet.items")
    if not isinstance(items, list):
        return []
    return [i["instanceId"] for i in items if isinstance(i, Mapping) and i.get("instanceId")]


def _bucket(detail: Mapping[str, object], region: str, account: str) -> list[str]:
    name = dig(detail, "requestParameters.bucketName")
    return [f"arn:aws:s3:::{name}"] if isinstance(name, str) and name else []


def _asg(detail: Mapping[str, object], region: str, account: str) -> list[str]:
    name = dig(detail, "requestParameters.autoScalingGroupName")
    return [name] if isinstance(name, str) and name else []


CREATE_EVENTS: dict[tuple[str, str], CreateEvent] = {
    ("ec2.amazonaws.com", "RunInstances"): CreateEvent("ec2:instance", _instances),
    ("ec2.amazonaws.com", "CreateVolume"): CreateEvent(
        "ec2:volume", _path("responseElements.volumeId")
    ),
    ("ec2.amazonaws.com", "CreateSnapshot"): CreateEvent(
        "ec2:snapshot", _path("responseElements.snapshotId")
    ),
    ("s3.amazonaws.com", "CreateBucket"): CreateEvent("s3:bucket", _bucket),
    ("rds.amazonaws.com", "CreateDBInstance"): CreateEvent(
        "rds:db", _path("responseElements.dBInstanceArn")
    ),
    ("rds.amazonaws.com", "CreateDBCluster"): CreateEvent(
        "rds:cluster", _path("responseElements.dBClusterArn")
    ),
    ("lambda.amazonaws.com", "CreateFunction20150331"): CreateEvent(
        "lambda:function", _path("responseElements.functionArn")
    ),
    ("dynamodb.amazonaws.com", "CreateTable"): CreateEvent(
        "dynamodb:table", _path("responseElements.tableDescription.tableArn")
    ),
    ("autoscaling.amazonaws.com", "CreateAutoScalingGroup"): CreateEvent(
        "autoscaling:autoScalingGroup", _asg
    ),
}


def from_cloudtrail_event(event: Mapping[str, object]) -> list[ResourceChange]:
    detail = obj(event.get("detail"), "detail")
    source = text(detail.get("eventSource"), "detail.eventSource")
    name = text(detail.get("eventName"), "detail.eventName")
    if detail.get("errorCode"):
        return []  # the call failed: nothing was created
    rule = CREATE_EVENTS.get((source, name))
    if rule is None:
        raise UnrecognisedPayloadError(f"no tagging rule for {source} {name}")
    region = text(detail.get("awsRegion") or event.get("region"), "detail.awsRegion")
    account = text(
        detail.get("recipientAccountId") or event.get("account"), "detail.recipientAccountId"
    )
    ids = rule.ids(detail, region, account)
    if not ids:
        raise PayloadError(f"detail: {name} event names no created resource")
    return [
        ResourceChange(
            cloud="aws",
            account=account,
            region=region,
            operation=name,
            resource_type=rule.resource_type,
            resource_ids=tuple(ids),
            creator=creator(obj(detail.get("userIdentity"), "detail.userIdentity")),
            at=timestamp(detail.get("eventTime") or event.get("time"), "detail.eventTime"),
            event_id=text(detail.get("eventID") or event.get("id"), "detail.eventID"),
        )
    ]


def creator(identity: Mapping[str, object]) -> Creator | None:
    """``userIdentity`` -> ``Creator``; None for identity types that name nobody."""
    kind = identity.get("type")
    arn = optional_text(identity.get("arn"), "detail.userIdentity.arn")
    if kind == "Root":
        return Creator(kind="root", identity=arn or "root")
    if kind == "AWSService":
        invoked = optional_text(identity.get("invokedBy"), "detail.userIdentity.invokedBy")
        return Creator(kind="service", identity=invoked or "aws-service")
    if arn is None or kind not in _PERSON_KINDS:
        return None
    if kind == "AssumedRole" and _service_linked(identity, arn):
        invoked = optional_text(identity.get("invokedBy"), "detail.userIdentity.invokedBy")
        return Creator(kind="service", identity=invoked or arn)
    if kind == "IAMUser":
        name = optional_text(identity.get("userName"), "detail.userIdentity.userName")
    else:  # arn:aws:sts::<acct>:assumed-role/<role>/<session>, ...:federated-user/<name>
        name = arn.rsplit("/", 1)[-1]
    return Creator(kind=_PERSON_KINDS[kind], identity=arn, name=name, email=_email(name))


def _service_linked(identity: Mapping[str, object], arn: str) -> bool:
    """Whether an assumed-role session is an AWS service's own (a service-linked role).

    ``invokedBy`` alone does not say so: CloudFormation calls with the person's own session and
    sets it too. A service-linked role's name starts with ``AWSServiceRoleFor`` and its path is
    ``/aws-service-role/``; no one else can create such a role.
    """
    role = arn.split(":assumed-role/", 1)[-1].split("/", 1)[0]
    issuer = dig(identity, "sessionContext.sessionIssuer.arn")
    return role.startswith("AWSServiceRoleFor") or (
        isinstance(issuer, str) and ":role/aws-service-role/" in issuer
    )


_PERSON_KINDS: dict[object, CreatorKind] = {
    "IAMUser": "user",
    "AssumedRole": "role_session",
    "FederatedUser": "federated",
}


def _email(name: str | None) -> str | None:
    return name if name and "@" in name and "." in name.rsplit("@", 1)[-1] else None
