"""The AWS half of ``costwarden.permissions``: IAM statements for the SAM template's roles and
the member-role template, generated from the declared needs (see ``costwarden.permissions``
for the choices: the protected deny, tag-key conditions, what is granted on ``*``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from costwarden.permission_uses import TAG_FUNCTIONS, is_read, needs
from costwarden.policy.scheduling import LAST_ACTION_TAG, SAVED_CAPACITY_TAG
from costwarden.policy.tagging import TaggingSection


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
    # Tag remediation: any resource of these types in the account the role is in.
    ("tagged", "any"): "*",
    ("tagged", "ec2"): [
        _sub(_ARN + ":ec2:*:${AWS::AccountId}:instance/*"),
        _sub(_ARN + ":ec2:*:${AWS::AccountId}:volume/*"),
        # Snapshot ARNs carry no account: arn:aws:ec2:<region>::snapshot/snap-...
        _sub(_ARN + ":ec2:*::snapshot/*"),
    ],
    ("tagged", "asg"): _sub(
        _ARN + ":autoscaling:*:${AWS::AccountId}:autoScalingGroup:*:autoScalingGroupName/*"
    ),
    ("tagged", "bucket"): _sub(_ARN + ":s3:::*"),
    ("tagged", "db"): _sub(_ARN + ":rds:*:${AWS::AccountId}:db:*"),
    ("tagged", "cluster"): _sub(_ARN + ":rds:*:${AWS::AccountId}:cluster:*"),
    ("tagged", "rds"): [
        _sub(_ARN + ":rds:*:${AWS::AccountId}:db:*"),
        _sub(_ARN + ":rds:*:${AWS::AccountId}:cluster:*"),
    ],
    ("tagged", "stack"): _sub(_ARN + ":cloudformation:*:${AWS::AccountId}:stack/*/*"),
    ("tagged", "function"): _sub(_ARN + ":lambda:*:${AWS::AccountId}:function:*"),
    ("tagged", "table"): _sub(_ARN + ":dynamodb:*:${AWS::AccountId}:table/*"),
}
_TAGGED_KINDS = (
    "any",
    "ec2",
    "asg",
    "bucket",
    "db",
    "cluster",
    "rds",
    "stack",
    "function",
    "table",
)
#: Statements only present under a template condition: the Slack token lives in one of two
#: stores, and the worker acts in its own account only when asked to.
AWS_STATEMENT_CONDITIONS: Mapping[tuple[str, str], str] = {
    ("slack_token", "parameter"): "UseSlackTokenParameter",
    ("slack_token", "secret"): "UseSlackTokenSecret",
    ("compute", "any"): "ActInOwnAccount",
    ("compute", "instance"): "ActInOwnAccount",
    ("compute", "asg"): "ActInOwnAccount",
    ("compute", "db"): "ActInOwnAccount",
    **dict.fromkeys((("tagged", kind) for kind in _TAGGED_KINDS), "ActInOwnAccount"),
}
_OWN_TAGS = {"ForAllValues:StringEquals": {"aws:TagKeys": [LAST_ACTION_TAG, SAVED_CAPACITY_TAG]}}
_LAST_ACTION_ONLY = {"ForAllValues:StringEquals": {"aws:TagKeys": [LAST_ACTION_TAG]}}
#: The scheduler's tag writes are limited to costwarden's own keys (see the module docstring).
AWS_ACTION_CONDITIONS: Mapping[str, Mapping[str, Any]] = {
    "ec2:CreateTags": _LAST_ACTION_ONLY,
    "rds:AddTagsToResource": _LAST_ACTION_ONLY,
    "autoscaling:CreateOrUpdateTags": _OWN_TAGS,
    "autoscaling:DeleteTags": _OWN_TAGS,
}
#: The template parameter listing the keys tag remediation may write (``--tag-keys``).
TAG_KEYS_PARAMETER = "TagRemediationKeys"
# IgnoreCase: an alias is removed in whatever casing the resource has it (docs/tagging.md).
_POLICY_KEYS = {"ForAllValues:StringEqualsIgnoreCase": {"aws:TagKeys": {"Ref": TAG_KEYS_PARAMETER}}}
#: ForAllValues holds when a request names no keys: EC2's DeleteTags without keys deletes
#: every tag, so EC2 writes must name theirs (EC2 always sends aws:TagKeys).
_POLICY_KEYS_NAMED = {**_POLICY_KEYS, "Null": {"aws:TagKeys": "false"}}
#: Tag remediation's writes, limited to the policy's keys. Not conditioned: tag:TagResources
#: and tag:UntagResources (they grant nothing without the service's own action below) and
#: s3:PutBucketTagging (it puts a bucket's whole tag set back, so its keys are every key the
#: bucket has; S3 checks no key condition on it). DynamoDB sends aws:TagKeys only where its
#: ABAC is enabled; elsewhere ForAllValues holds and the condition restricts nothing.
AWS_TAGGING_CONDITIONS: Mapping[str, Mapping[str, Any]] = {
    "ec2:CreateTags": _POLICY_KEYS_NAMED,
    "ec2:DeleteTags": _POLICY_KEYS_NAMED,
    "autoscaling:CreateOrUpdateTags": _POLICY_KEYS,
    "autoscaling:DeleteTags": _POLICY_KEYS,
    "rds:AddTagsToResource": _POLICY_KEYS,
    "rds:RemoveTagsFromResource": _POLICY_KEYS,
    "lambda:TagResource": _POLICY_KEYS,
    "lambda:UntagResource": _POLICY_KEYS,
    "dynamodb:TagResource": _POLICY_KEYS,
    "dynamodb:UntagResource": _POLICY_KEYS,
}
#: deployment resource -> the conditions on its actions.
AWS_RESOURCE_CONDITIONS: Mapping[str, Mapping[str, Mapping[str, Any]]] = {
    "compute": AWS_ACTION_CONDITIONS,
    "tagged": AWS_TAGGING_CONDITIONS,
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
    statements += _aws_statements(grants, AWS_STATEMENT_CONDITIONS.get)
    if any(resource == "compute" for resource, _ in grants):
        statements += [
            {"Fn::If": ["ActInOwnAccount", deny, _NO_VALUE]} for deny in _protected_deny(grants)
        ]
    return statements


#: The member-role template's condition under which tag remediation's statements exist.
MEMBER_TAGGING_CONDITION = "TagRemediationOn"


def aws_member_role_statements() -> list[Any]:
    """The member-role template's statements: the scheduler worker's and (when the template's
    ``TagRemediation`` is true) the tag functions' actions inside a member account."""
    compute = {k: v for k, v in needs("aws", "schedule_worker").items() if k[0] == "compute"}
    tagged: dict[tuple[str, str], set[str]] = {}
    for function in TAG_FUNCTIONS:
        for key, permissions in needs("aws", function).items():
            if key[0] == "tagged":
                tagged.setdefault(key, set()).update(permissions)
    return [
        *_aws_statements(compute, lambda _key: None),
        *_aws_statements(tagged, lambda _key: MEMBER_TAGGING_CONDITION),
        *_protected_deny(compute),
    ]


_NO_VALUE = {"Ref": "AWS::NoValue"}


def _aws_statements(
    grants: dict[tuple[str, str], set[str]], wrap: Callable[[tuple[str, str]], str | None]
) -> list[Any]:
    """One statement per (resource, kind), one more per conditioned action; ``wrap`` names
    the template condition a statement exists under, if any.

    Tag remediation's conditioned writes share statements, one per condition, over all their
    resources: each repeats the policy's key list, and ten copies of it would take a member
    role's inline policy towards IAM's 10,240 characters. (An action only ever matches ARNs of
    its own service, so the union of resources grants nothing more.)
    """
    statements: list[Any] = []
    shared: dict[str, tuple[str | None, set[str], list[Any]]] = {}
    for key in sorted(grants):
        conditions = AWS_RESOURCE_CONDITIONS.get(key[0], {})
        plain = sorted(a for a in grants[key] if a not in conditions)
        tagging = sorted(a for a in grants[key] if a in conditions)
        if key[0] in AWS_SHARED_CONDITION_STATEMENTS:
            for action in tagging:
                text = json.dumps(conditions[action], sort_keys=True)
                _wrap, names, arns = shared.setdefault(text, (wrap(key), set(), []))
                names.add(action)
                for arn in _arn_list(AWS_ARNS[key]):
                    if arn not in arns:
                        arns.append(arn)
            tagging = []
        groups: list[tuple[list[str], Mapping[str, Any] | None]] = [(plain, None)] if plain else []
        groups += [([action], conditions[action]) for action in tagging]
        for actions, condition in groups:
            sid = _sid(key, actions if condition else [])
            statement: dict[str, Any] = {"Sid": sid, "Effect": "Allow", "Action": actions}
            statement["Resource"] = json.loads(json.dumps(AWS_ARNS[key]))
            if condition:
                statement["Condition"] = json.loads(json.dumps(condition))
            statements.append(_wrapped(wrap(key), statement))
    for text, (condition_name, names, arns) in sorted(shared.items()):
        condition = json.loads(text)
        sid = "TaggedWritesNamingKeys" if "Null" in condition else "TaggedWrites"
        statement = {"Sid": sid, "Effect": "Allow", "Action": sorted(names)}
        statement["Resource"] = json.loads(json.dumps(arns))
        statement["Condition"] = condition
        statements.append(_wrapped(condition_name, statement))
    return statements


#: Resources whose conditioned actions share one statement per condition (see above).
AWS_SHARED_CONDITION_STATEMENTS = frozenset({"tagged"})


def _arn_list(arns: Any) -> list[Any]:
    return list(arns) if isinstance(arns, list) else [arns]


def _wrapped(condition_name: str | None, statement: dict[str, Any]) -> Any:
    return {"Fn::If": [condition_name, statement, _NO_VALUE]} if condition_name else statement


def _sid(key: tuple[str, str], actions: list[str]) -> str:
    words = [*key[0].split("_"), key[1], *(a.split(":")[1] for a in actions)]
    return "".join(word[:1].upper() + word[1:] for word in words)


def _protected_deny(grants: dict[tuple[str, str], set[str]]) -> list[dict[str, Any]]:
    """Refuse the scheduler's mutating actions on protected resources.

    Stop, start and scale are refused outright. The scheduler's tag writes are refused when
    they touch its own keys: the same tag actions serve tag remediation (another function,
    possibly the same member role), which may tag a protected resource with the policy's keys.
    """
    mutating = {a for k, v in grants.items() if k[0] == "compute" for a in v if not is_read(a)}
    protected = {
        "StringEqualsIgnoreCase": {
            f"aws:ResourceTag/{PROTECTED_TAG_KEY}": {"Ref": "ProtectedEnvironments"}
        }
    }
    statements = []
    actions = sorted(a for a in mutating if a not in AWS_ACTION_CONDITIONS)
    if actions:
        statements.append(
            {
                "Sid": "NeverActOnProtected",
                "Effect": "Deny",
                "Action": actions,
                "Resource": "*",
                "Condition": protected,
            }
        )
    tag_writes = sorted(a for a in mutating if a in AWS_ACTION_CONDITIONS)
    if tag_writes:
        own = {"aws:TagKeys": [LAST_ACTION_TAG, SAVED_CAPACITY_TAG]}
        statements.append(
            {
                "Sid": "NeverMarkProtected",
                "Effect": "Deny",
                "Action": tag_writes,
                "Resource": "*",
                "Condition": {**protected, "ForAnyValue:StringEquals": own},
            }
        )
    copied: list[dict[str, Any]] = json.loads(json.dumps(statements))
    return copied


def tag_remediation_keys(section: TaggingSection) -> list[str]:
    """Every tag key AWS tag remediation may write: the required keys (set), their aliases
    (removed once moved) and the violation mark (set and removed). The value of the
    ``TagRemediationKeys`` template parameter."""
    keys = {section.mark_key}
    for key, rule in section.required.items():
        keys.add(key)
        keys.update(rule.aliases)
    return sorted(keys, key=str.casefold)
