"""The cloud permissions costwarden needs, declared next to nothing but facts about the code.

In the spirit of Cloud Custodian's per-action ``permissions``: every SDK call a module can make
is declared here with the permissions it needs (``SDK_CALLS``), and every deployed function
names the modules it reaches and the deployment resource each acts on (``FUNCTIONS``). The
grants of a function are derived from the two; the infrastructure's IAM policies and roles are
generated from them (``python -m costwarden.permissions --cloud aws``) and tests hold the
templates to exactly that:

- ``tests/infra/test_permissions.py`` reads the adapters' source for SDK calls and fails on a
  call that is not declared here or a declaration that no longer matches a call; for AWS it
  also checks each call's IAM action against botocore's service model;
- ``tests/infra/test_infra_wiring.py`` compares the SAM template's policies, the Azure custom
  role and the Google custom roles with what this module generates.

Two choices here are judgement, not fact:

- **No tag condition on stop/start.** The scheduler selects resources by the policy's selectors
  (names, regions, accounts, rules without tags), so an ``aws:ResourceTag`` allow-condition
  would silently refuse legitimate work. Instead (1) a *deny* refuses every mutating action on
  resources tagged ``Environment`` = one of the protected values (the IAM twin of the policy's
  default ``safety.protected``), and (2) tag writes are limited to costwarden's own keys
  (``aws:TagKeys``), so the role can never rewrite anyone else's tags.
- Reads that IAM cannot scope (``ec2:DescribeInstances``, ``cloudwatch:GetMetricData``,
  ``organizations:ListAccounts``, X-Ray) are granted on ``*``; no action is ever ``*``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from costwarden.policy.scheduling import LAST_ACTION_TAG, SAVED_CAPACITY_TAG

Cloud = Literal["aws", "azure", "gcp"]
CLOUDS: tuple[Cloud, ...] = ("aws", "azure", "gcp")


@dataclass(frozen=True)
class Call:
    """One SDK call: the permissions it needs and the kind of resource they apply to.

    ``needs`` is empty for calls that send no request (a client factory) or need no permission
    (``sts:GetCallerIdentity``). ``deployed=False`` marks calls only tests and local runs make
    (creating the state table): the functions are never granted them.
    """

    needs: tuple[str, ...]
    on: str = "any"
    deployed: bool = True


_LOCAL = Call((), deployed=False)
_NONE = Call(())

_AWS = "costwarden.adapters.aws."
_AZ = "costwarden.adapters.azure."
_GCP = "costwarden.adapters.gcp."
_BLOB = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/"
_TABLE = "Microsoft.Storage/storageAccounts/tableServices/tables/"
_VM = "Microsoft.Compute/virtualMachines/"

#: module -> SDK call (as written in the code) -> what it needs.
SDK_CALLS: Mapping[str, Mapping[str, Call]] = {
    # -- AWS (IAM actions; checked against botocore's operations) ------------------------------
    _AWS + "dynamodb_state": {
        "get_item": Call(("dynamodb:GetItem",), "table"),
        "put_item": Call(("dynamodb:PutItem",), "table"),
        "delete_item": Call(("dynamodb:DeleteItem",), "table"),
        # create_state_table(): tests and local runs; deployments create the table.
        "create_table": _LOCAL,
        "describe_table": _LOCAL,
        "describe_time_to_live": _LOCAL,
        "update_time_to_live": _LOCAL,
    },
    _AWS + "s3_store": {
        "list_objects_v2": Call(("s3:ListBucket",), "bucket"),
        # HeadObject is authorized as s3:GetObject.
        "head_object": Call(("s3:GetObject",), "object"),
        "get_object": Call(("s3:GetObject",), "object"),
        "download_file": Call(("s3:GetObject",), "object"),
        # Managed upload: multipart above 8 MiB, aborted on failure.
        "upload_file": Call(("s3:PutObject", "s3:AbortMultipartUpload"), "object"),
        "put_object": Call(("s3:PutObject",), "object"),
        "delete_object": Call(("s3:DeleteObject",), "object"),
    },
    _AWS + "slack_token": {
        "parameters.get_parameter": Call(("ssm:GetParameter",), "parameter"),
        "parameters.get_secret": Call(("secretsmanager:GetSecretValue",), "secret"),
    },
    _AWS + "sqs_queue": {
        # Batch sends are authorized as sqs:SendMessage.
        "send_message_batch": Call(("sqs:SendMessage",), "queue"),
    },
    _AWS + "targets": {
        "list_accounts": Call(("organizations:ListAccounts",)),
        "assume_role": Call(("sts:AssumeRole",), "role"),
        "get_caller_identity": _NONE,  # always allowed, needs no permission
    },
    _AWS + "ec2_instances": {
        "describe_instances": Call(("ec2:DescribeInstances",)),
        "stop_instances": Call(("ec2:StopInstances",), "instance"),
        "start_instances": Call(("ec2:StartInstances",), "instance"),
        "create_tags": Call(("ec2:CreateTags",), "instance"),
    },
    _AWS + "asg_groups": {
        "describe_auto_scaling_groups": Call(("autoscaling:DescribeAutoScalingGroups",)),
        "update_auto_scaling_group": Call(("autoscaling:UpdateAutoScalingGroup",), "asg"),
        "create_or_update_tags": Call(("autoscaling:CreateOrUpdateTags",), "asg"),
        "delete_tags": Call(("autoscaling:DeleteTags",), "asg"),
    },
    _AWS + "rds_instances": {
        "describe_db_instances": Call(("rds:DescribeDBInstances",), "db"),
        "stop_db_instance": Call(("rds:StopDBInstance",), "db"),
        "start_db_instance": Call(("rds:StartDBInstance",), "db"),
        "add_tags_to_resource": Call(("rds:AddTagsToResource",), "db"),
    },
    _AWS + "cloudwatch_metrics": {
        "get_metric_data": Call(("cloudwatch:GetMetricData",)),
    },
    # -- Azure (RBAC actions and data actions) ---------------------------------------------------
    _AZ + "table_state": {
        "create_entity": Call((_TABLE + "entities/add/action",), "table"),
        "get_entity": Call((_TABLE + "entities/read",), "table"),
        "update_entity": Call(
            (_TABLE + "entities/update/action", _TABLE + "entities/write"), "table"
        ),
        "delete_entity": Call((_TABLE + "entities/delete",), "table"),
    },
    _AZ + "blob_store": {
        "list_blobs": Call((_BLOB + "read",), "container"),
        "get_blob_client": _NONE,  # a client for one blob: no request
        "get_blob_properties": Call((_BLOB + "read",), "container"),
        "download_blob": Call((_BLOB + "read",), "container"),
        "readall": _NONE,  # reads the download started above
        "readinto": _NONE,
        "upload_blob": Call((_BLOB + "write", _BLOB + "add/action"), "container"),
        "get": _NONE,  # the upload's response, a dict
        "delete_blob": Call((_BLOB + "delete",), "container"),
    },
    _AZ + "queue_work": {
        "send_message": Call(
            ("Microsoft.Storage/storageAccounts/queueServices/queues/messages/add/action",), "queue"
        ),
        "close": _NONE,
    },
    _AZ + "vm_compute": {
        # list_all with the instance view status of each VM, and one VM's instance view.
        "list_all": Call((_VM + "read",)),
        "instance_view": Call((_VM + "instanceView/read",)),
        "begin_deallocate": Call((_VM + "deallocate/action",)),
        "begin_start": Call((_VM + "start/action",)),
        "done": _NONE,  # polling the operation started above
        "wait": _NONE,
        "result": _NONE,
        # PATCH .../providers/Microsoft.Resources/tags/default (Merge): tag write, not VM write.
        "send_request": Call(("Microsoft.Resources/tags/write",)),
        "close": _NONE,
    },
    _AZ + "monitor_metrics": {
        "query_resources": Call(("Microsoft.Insights/metrics/read",)),
        "close": _NONE,
    },
    # -- Google Cloud (IAM permissions) ----------------------------------------------------------
    _GCP + "gcs_state": {
        "blob": _NONE,  # a handle: no request
        "download_as_bytes": Call(("storage.objects.get",), "bucket"),
        # Replacing an existing generation also needs delete on the object.
        "upload_from_string": Call(("storage.objects.create", "storage.objects.delete"), "bucket"),
        "delete": Call(("storage.objects.delete",), "bucket"),
    },
    _GCP + "gcs_store": {
        "blob": _NONE,
        "list_blobs": Call(("storage.objects.list",), "bucket"),
        "get_blob": Call(("storage.objects.get",), "bucket"),
        "download_as_bytes": Call(("storage.objects.get",), "bucket"),
        "download_to_filename": Call(("storage.objects.get",), "bucket"),
        "upload_from_string": Call(("storage.objects.create", "storage.objects.delete"), "bucket"),
        "upload_from_filename": Call(
            ("storage.objects.create", "storage.objects.delete"), "bucket"
        ),
        "delete": Call(("storage.objects.delete",), "bucket"),
    },
    _GCP + "pubsub_queue": {
        "publish": Call(("pubsub.topics.publish",), "topic"),
        "result": _NONE,  # the publish future
    },
    _GCP + "gce_compute": {
        "aggregated_list": Call(("compute.instances.list",)),
        # instances.get (re-read after a fingerprint conflict) and zoneOperations.get (polling)
        "get": Call(("compute.instances.get", "compute.zoneOperations.get")),
        "result": Call(("compute.zoneOperations.get",)),
        "stop_unary": Call(("compute.instances.stop",)),
        "start_unary": Call(("compute.instances.start",)),
        "resume_unary": Call(("compute.instances.resume",)),
        "set_labels_unary": Call(("compute.instances.setLabels",)),
    },
    _GCP + "cloud_monitoring": {
        "list_time_series": Call(("monitoring.timeSeries.list",)),
    },
    # -- composition roots -----------------------------------------------------------------------
    "costwarden.bootstrap": {
        "bucket": _NONE,  # storage.Client().bucket(name): a handle
        # Azure state: the table is created on first use (the template creates it too).
        "create_table_if_not_exists": Call((_TABLE.rstrip("/") + "/write",), "table"),
    },
    "costwarden.bootstrap_exports": {
        "bucket": _NONE,
        "get_container_client": _NONE,
    },
}


@dataclass(frozen=True)
class Use:
    """A function reaches ``module`` and acts with ``calls`` (all deployed ones if empty) on
    the deployment resource ``resource``."""

    module: str
    resource: str
    calls: tuple[str, ...] = ()


_S3_READ = ("list_objects_v2", "head_object", "get_object", "download_file")
_BLOB_READ: tuple[str, ...] = ("list_blobs", "get_blob_client", "get_blob_properties")
_BLOB_READ += ("download_blob", "readall", "readinto")
_GCS_READ = ("list_blobs", "get_blob", "download_as_bytes", "download_to_filename", "blob")


def _uses(state: str, store: str, store_read: tuple[str, ...]) -> dict[str, tuple[Use, ...]]:
    """The three cost/alert functions, the same shape on every cloud."""
    published = Use(store, "output", store_read)
    return {
        "budget_alert": (Use(state, "state"), published),
        "export_arrival": (
            Use(state, "state"),
            Use(store, "export", store_read),
            Use(store, "output"),
        ),
        "cost_digest": (Use(state, "state"), published),
    }


_AWS_USES = _uses(_AWS + "dynamodb_state", _AWS + "s3_store", _S3_READ)
_AZ_USES = _uses(_AZ + "table_state", _AZ + "blob_store", _BLOB_READ)
_GCP_USES = _uses(_GCP + "gcs_state", _GCP + "gcs_store", _GCS_READ)
_AZ_TABLE = Use("costwarden.bootstrap", "state", ("create_table_if_not_exists",))
_SLACK = (Use(_AWS + "slack_token", "slack_token"),)

#: cloud -> function (as named in functions/) -> what it reaches.
FUNCTIONS: Mapping[Cloud, Mapping[str, tuple[Use, ...]]] = {
    "aws": {
        "budget_alert": _AWS_USES["budget_alert"] + _SLACK,
        "export_arrival": _AWS_USES["export_arrival"],
        "cost_digest": _AWS_USES["cost_digest"] + _SLACK,
        "schedule_planner": (
            Use(_AWS + "sqs_queue", "schedule_queue"),
            Use(_AWS + "targets", "organization", ("list_accounts", "get_caller_identity")),
        ),
        "schedule_worker": (
            *_AWS_USES["cost_digest"],
            *_SLACK,
            Use(_AWS + "targets", "member_roles", ("assume_role",)),
            Use(_AWS + "ec2_instances", "compute"),
            Use(_AWS + "asg_groups", "compute"),
            Use(_AWS + "rds_instances", "compute"),
            Use(_AWS + "cloudwatch_metrics", "compute"),
        ),
    },
    "azure": {
        "budget_alert": (*_AZ_USES["budget_alert"], _AZ_TABLE),
        "export_arrival": (*_AZ_USES["export_arrival"], _AZ_TABLE),
        "cost_digest": (*_AZ_USES["cost_digest"], _AZ_TABLE),
        "schedule_planner": (Use(_AZ + "queue_work", "schedule_queue"),),
        "schedule_worker": (
            *_AZ_USES["cost_digest"],
            _AZ_TABLE,
            Use(_AZ + "vm_compute", "compute"),
            Use(_AZ + "monitor_metrics", "compute"),
        ),
    },
    "gcp": {
        "budget_alert": _GCP_USES["budget_alert"],
        "export_arrival": _GCP_USES["export_arrival"],
        "cost_digest": _GCP_USES["cost_digest"],
        "schedule_planner": (Use(_GCP + "pubsub_queue", "schedule_queue"),),
        "schedule_worker": (
            *_GCP_USES["cost_digest"],
            Use(_GCP + "gce_compute", "compute"),
            Use(_GCP + "cloud_monitoring", "compute"),
        ),
    },
}


def needs(cloud: Cloud, function: str) -> dict[tuple[str, str], set[str]]:
    """(deployment resource, resource kind) -> the permissions ``function`` needs there."""
    grants: dict[tuple[str, str], set[str]] = {}
    for use in FUNCTIONS[cloud][function]:
        calls = SDK_CALLS[use.module]
        for name in use.calls or tuple(calls):
            call = calls[name]
            if call.deployed and call.needs:
                grants.setdefault((use.resource, call.on), set()).update(call.needs)
    return grants


def resource_needs(cloud: Cloud, resource: str) -> list[str]:
    """Every permission any function of ``cloud`` needs on ``resource``, sorted.

    Azure and Google run all functions under one identity, so their roles are per resource.
    """
    found: set[str] = set()
    for function in FUNCTIONS[cloud]:
        for (name, _kind), permissions in needs(cloud, function).items():
            if name == resource:
                found |= permissions
    return sorted(found)


def is_read(action: str) -> bool:
    """Describe/Get/List/read actions change nothing."""
    verb = action.split(":", 1)[-1]
    return verb.startswith(("Describe", "Get", "List")) or action.endswith(("/read", ".list"))


# -- AWS: IAM statements for the SAM template and the member-role template ------------------------
def _sub(text: str) -> dict[str, str]:
    return {"Fn::Sub": text}


_ARN = "arn:${AWS::Partition}"
_EXPORT_BUCKET = "${NamePrefix}-exports-${AWS::AccountId}-${AWS::Region}"
#: (deployment resource, kind) -> the CloudFormation expression of the ARNs it means.
AWS_ARNS: Mapping[tuple[str, str], Any] = {
    ("state", "table"): {"Fn::GetAtt": ["StateTable", "Arn"]},
    ("slack_token", "parameter"): _sub(
        _ARN + ":ssm:${AWS::Region}:${AWS::AccountId}:parameter${SlackTokenParameter}"
    ),
    ("slack_token", "secret"): {"Ref": "SlackTokenSecretArn"},
    # By name, not GetAtt: the bucket's notification depends on the function, which depends on
    # its role, so the role referencing the bucket resource would be a circular dependency.
    ("export", "bucket"): _sub(_ARN + ":s3:::" + _EXPORT_BUCKET),
    ("export", "object"): _sub(_ARN + ":s3:::" + _EXPORT_BUCKET + "/*"),
    ("output", "bucket"): {"Fn::GetAtt": ["OutputBucket", "Arn"]},
    ("output", "object"): _sub("${OutputBucket.Arn}/*"),
    ("schedule_queue", "queue"): {"Fn::GetAtt": ["ScheduleQueue", "Arn"]},
    ("organization", "any"): "*",
    ("member_roles", "role"): _sub(_ARN + ":iam::*:role/${MemberRoleName}"),
    ("compute", "any"): "*",
    ("compute", "instance"): _sub(_ARN + ":ec2:*:${AWS::AccountId}:instance/*"),
    ("compute", "asg"): _sub(
        _ARN + ":autoscaling:*:${AWS::AccountId}:autoScalingGroup:*:autoScalingGroupName/*"
    ),
    ("compute", "db"): _sub(_ARN + ":rds:*:${AWS::AccountId}:db:*"),
}
#: Statements only present under a template condition: the Slack token lives in one of two
#: stores, and the worker acts in its own account only when asked to.
AWS_STATEMENT_CONDITIONS: Mapping[tuple[str, str], str] = {
    ("slack_token", "parameter"): "UseSlackTokenParameter",
    ("slack_token", "secret"): "UseSlackTokenSecret",
    ("compute", "any"): "ActInOwnAccount",
    ("compute", "instance"): "ActInOwnAccount",
    ("compute", "asg"): "ActInOwnAccount",
    ("compute", "db"): "ActInOwnAccount",
}
_OWN_TAGS = {"ForAllValues:StringEquals": {"aws:TagKeys": [LAST_ACTION_TAG, SAVED_CAPACITY_TAG]}}
_LAST_ACTION_ONLY = {"ForAllValues:StringEquals": {"aws:TagKeys": [LAST_ACTION_TAG]}}
#: Tag writes are limited to costwarden's own keys (see the module docstring).
AWS_ACTION_CONDITIONS: Mapping[str, Mapping[str, Any]] = {
    "ec2:CreateTags": _LAST_ACTION_ONLY,
    "rds:AddTagsToResource": _LAST_ACTION_ONLY,
    "autoscaling:CreateOrUpdateTags": _OWN_TAGS,
    "autoscaling:DeleteTags": _OWN_TAGS,
}
#: What a function needs from its platform rather than its code (triggers, logs, traces).
AWS_PLATFORM: Mapping[str, tuple[dict[str, Any], ...]] = {
    "logs": (
        {
            "Sid": "OwnLogGroup",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": {"Fn::GetAtt": ["{Function}LogGroup", "Arn"]},
        },
        {
            # X-Ray has no resource-level permissions.
            "Sid": "Traces",
            "Effect": "Allow",
            "Action": ["xray:PutTelemetryRecords", "xray:PutTraceSegments"],
            "Resource": "*",
        },
    ),
    "async": (
        {
            "Sid": "FailedInvocationsToDeadLetterQueue",
            "Effect": "Allow",
            "Action": ["sqs:SendMessage"],
            "Resource": {"Fn::GetAtt": ["FunctionDeadLetterQueue", "Arn"]},
        },
    ),
    "sqs_trigger": (
        {
            "Sid": "ConsumeScheduleQueue",
            "Effect": "Allow",
            "Action": [
                "sqs:ChangeMessageVisibility",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "sqs:ReceiveMessage",
            ],
            "Resource": {"Fn::GetAtt": ["ScheduleQueue", "Arn"]},
        },
    ),
}
AWS_TRIGGER = {"schedule_worker": "sqs_trigger"}
#: The mutating actions the IAM layer refuses on protected resources, whatever the policy says.
PROTECTED_TAG_KEY = "Environment"


def aws_logical_name(function: str) -> str:
    """``schedule_worker`` -> ``ScheduleWorker`` (the template's resource name prefix)."""
    return "".join(part.capitalize() for part in function.split("_"))


def aws_role_statements(function: str) -> list[Any]:
    """The IAM statements of ``function``'s role, as the SAM template must contain them."""
    logical = aws_logical_name(function)
    statements: list[Any] = [
        json.loads(json.dumps(s).replace("{Function}", logical)) for s in AWS_PLATFORM["logs"]
    ]
    statements += AWS_PLATFORM[AWS_TRIGGER.get(function, "async")]
    grants = needs("aws", function)
    statements += _aws_statements(grants, conditional=True)
    if any(resource == "compute" for resource, _ in grants):
        statements.append({"Fn::If": ["ActInOwnAccount", _protected_deny(grants), _NO_VALUE]})
    return statements


def aws_member_role_statements() -> list[Any]:
    """The member-role template's statements: the worker's actions inside a member account."""
    grants = {k: v for k, v in needs("aws", "schedule_worker").items() if k[0] == "compute"}
    return [*_aws_statements(grants, conditional=False), _protected_deny(grants)]


_NO_VALUE = {"Ref": "AWS::NoValue"}


def _aws_statements(grants: dict[tuple[str, str], set[str]], *, conditional: bool) -> list[Any]:
    statements: list[Any] = []
    for key in sorted(grants):
        plain = sorted(a for a in grants[key] if a not in AWS_ACTION_CONDITIONS)
        tagging = sorted(a for a in grants[key] if a in AWS_ACTION_CONDITIONS)
        groups: list[tuple[list[str], Mapping[str, Any] | None]] = [(plain, None)] if plain else []
        groups += [([action], AWS_ACTION_CONDITIONS[action]) for action in tagging]
        for actions, condition in groups:
            sid = _sid(key, actions if condition else [])
            statement: dict[str, Any] = {"Sid": sid, "Effect": "Allow", "Action": actions}
            statement["Resource"] = AWS_ARNS[key]
            if condition:
                statement["Condition"] = json.loads(json.dumps(condition))
            wrap = AWS_STATEMENT_CONDITIONS.get(key) if conditional else None
            statements.append({"Fn::If": [wrap, statement, _NO_VALUE]} if wrap else statement)
    return statements


def _sid(key: tuple[str, str], actions: list[str]) -> str:
    words = [*key[0].split("_"), key[1], *(a.split(":")[1] for a in actions)]
    return "".join(word[:1].upper() + word[1:] for word in words)


def _protected_deny(grants: dict[tuple[str, str], set[str]]) -> dict[str, Any]:
    mutating = sorted(
        {a for k, v in grants.items() if k[0] == "compute" for a in v if not is_read(a)}
    )
    return {
        "Sid": "NeverActOnProtected",
        "Effect": "Deny",
        "Action": mutating,
        "Resource": "*",
        "Condition": {
            "StringEqualsIgnoreCase": {
                f"aws:ResourceTag/{PROTECTED_TAG_KEY}": {"Ref": "ProtectedEnvironments"}
            }
        },
    }


# -- Azure and Google: one identity per deployment, roles per resource ----------------------------
#: Built-in Azure roles assigned at one resource's scope, and the data actions each grants
#: (Microsoft's definitions): the declared needs must fall inside them.
AZURE_BUILTIN_ROLES: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "state": (
        "Storage Table Data Contributor",
        tuple(_TABLE + a for a in ("read", "write", "delete"))
        + tuple(
            _TABLE + "entities/" + a
            for a in ("read", "write", "delete", "add/action", "update/action")
        ),
    ),
    "export": ("Storage Blob Data Reader", (_BLOB + "read",)),
    "output": (
        "Storage Blob Data Contributor",
        tuple(_BLOB + a for a in ("read", "write", "delete", "add/action", "move/action")),
    ),
    "schedule_queue": (
        "Storage Queue Data Message Sender",
        ("Microsoft.Storage/storageAccounts/queueServices/queues/messages/add/action",),
    ),
}
#: Google predefined roles granted on one resource, with the permissions they contain.
GCP_PREDEFINED_ROLES: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "schedule_queue": ("roles/pubsub.publisher", ("pubsub.topics.publish",)),
}


def generated(cloud: Cloud) -> dict[str, Any]:
    """Everything the infrastructure of ``cloud`` must grant, as one JSON-able document."""
    if cloud == "aws":
        roles = {aws_logical_name(f) + "Role": aws_role_statements(f) for f in FUNCTIONS["aws"]}
        return {"roles": roles, "member_role": aws_member_role_statements()}
    resources = sorted({use.resource for uses in FUNCTIONS[cloud].values() for use in uses})
    return {resource: resource_needs(cloud, resource) for resource in resources}


def main(argv: list[str] | None = None) -> int:
    """``python -m costwarden.permissions --cloud aws``: print the generated grants (JSON)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m costwarden.permissions")
    parser.add_argument("--cloud", choices=CLOUDS, required=True)
    args = parser.parse_args(argv)
    print(json.dumps(generated(args.cloud), indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":  # pragma: no cover - a developer's tool
    raise SystemExit(main())
