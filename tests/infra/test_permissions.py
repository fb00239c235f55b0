"""The declared permissions (costwarden.permissions) match what the code can do: no more, no less.

The adapters' source is read for SDK calls (tests/infra/sdk_scan.py) and compared with
``SDK_CALLS``, module by module. AWS declarations are further checked against botocore's service
models: the call is an operation of the service its IAM action names, and the action is the one
IAM authorizes that operation with.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from costwarden import permissions
from infra.sdk_scan import botocore_operation, reachable_modules, scan_modules, sdk_calls

SDK_ROOTS = {"boto3", "botocore", "azure", "google", "aws_lambda_powertools"}
#: Operations IAM authorizes under another action's name.
IAM_AUTHORIZED_AS = {
    "s3:HeadObject": "s3:GetObject",
    "s3:ListObjectsV2": "s3:ListBucket",
    "s3:ListBuckets": "s3:ListAllMyBuckets",
    "sqs:SendMessageBatch": "sqs:SendMessage",
}
#: IAM service prefixes that are not the botocore service's name.
BOTOCORE_SERVICE = {"tag": "resourcegroupstaggingapi"}
#: Calls that are not one operation each, with the actions they need.
COMPOSITE_CALLS = {
    "upload_file": {"s3:PutObject", "s3:AbortMultipartUpload"},  # multipart, aborted on failure
    "download_file": {"s3:GetObject"},  # HeadObject + ranged GetObject
    "parameters.get_parameter": {"ssm:GetParameter"},  # Powertools Parameters
    "parameters.get_secret": {"secretsmanager:GetSecretValue"},
    # The tagging API also needs each resource's own service's tagging permission (AWS docs,
    # TagResources / UntagResources); S3 reads and puts back the bucket's whole tag set.
    "tag_resources": {
        "tag:TagResources",
        "s3:PutBucketTagging",
        "rds:AddTagsToResource",
        "lambda:TagResource",
        "dynamodb:TagResource",
    },
    "untag_resources": {
        "tag:UntagResources",
        "s3:PutBucketTagging",
        "rds:RemoveTagsFromResource",
        "lambda:UntagResource",
        "dynamodb:UntagResource",
    },
}
#: Operations AWS allows without any permission.
UNAUTHORIZED_OPERATIONS = {"sts:GetCallerIdentity"}


def cloud_sdk_modules(repo: Path) -> list[str]:
    """Every module a deployed function can reach that imports a cloud SDK (lazily or not).

    Reach starts at the handlers in functions/: adapters no function imports yet (the
    tag-remediation ones of issue 4, until their functions exist) are not deployed code.
    """
    found = []
    root = repo / "shared"
    handlers = sorted((repo / "functions").glob("*/*.py"))
    reachable = reachable_modules(root, handlers)
    for path in sorted((root / "costwarden").rglob("*.py")):
        name = ".".join(path.relative_to(root).with_suffix("").parts)
        if name.removesuffix(".__init__") not in reachable:
            continue
        tree = ast.parse(path.read_text("utf-8"))
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        if names & SDK_ROOTS:
            found.append(name)
    return found


@pytest.fixture(scope="module")
def scanned(repo: Path) -> dict[str, dict[str, list[int]]]:
    return scan_modules(repo / "shared", cloud_sdk_modules(repo))


def test_every_sdk_call_in_the_code_is_declared_and_every_declaration_is_made(
    scanned: dict[str, dict[str, list[int]]],
) -> None:
    problems = []
    for module in sorted(set(scanned) | set(permissions.SDK_CALLS)):
        made = scanned.get(module, {})
        declared = permissions.SDK_CALLS.get(module, {})
        for call in sorted(set(made) - set(declared)):
            problems.append(f"{module}: {call} (lines {made[call]}) is not declared")
        for call in sorted(set(declared) - set(made)):
            problems.append(f"{module}: {call} is declared but no longer called")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("module", "call"),
    [
        (m, c)
        for m, calls in permissions.SDK_CALLS.items()
        if ".aws." in m
        for c, d in calls.items()
        if d.needs or c in COMPOSITE_CALLS
    ],
)
def test_aws_declarations_name_the_iam_action_of_the_botocore_operation(
    module: str, call: str
) -> None:
    needs = set(permissions.SDK_CALLS[module][call].needs)
    if call in COMPOSITE_CALLS:
        assert needs == COMPOSITE_CALLS[call]
        return
    services = {action.split(":")[0] for action in needs}
    assert len(services) == 1, needs
    service = services.pop()
    operation = botocore_operation(BOTOCORE_SERVICE.get(service, service), call)
    assert operation is not None, f"{service} has no operation {call}"
    action = f"{service}:{operation}"
    assert needs == {IAM_AUTHORIZED_AS.get(action, action)}


def test_aws_calls_declared_without_permission_need_none(
    scanned: dict[str, dict[str, list[int]]],
) -> None:
    for module, calls in permissions.SDK_CALLS.items():
        if ".aws." not in module:
            continue
        for call, declared in calls.items():
            if declared.deployed and not declared.needs:
                operation = botocore_operation("sts", call)
                assert f"sts:{operation}" in UNAUTHORIZED_OPERATIONS, f"{module}: {call}"


def test_no_declared_permission_is_a_wildcard() -> None:
    for module, calls in permissions.SDK_CALLS.items():
        for call, declared in calls.items():
            assert not any("*" in need for need in declared.needs), f"{module}: {call}"


def test_every_function_uses_declared_calls_and_every_deployed_call_is_used() -> None:
    used: set[tuple[str, str]] = set()
    for cloud, functions in permissions.FUNCTIONS.items():
        for function, uses in functions.items():
            for use in uses:
                assert use.module in permissions.SDK_CALLS, f"{cloud}/{function}: {use.module}"
                calls = permissions.SDK_CALLS[use.module]
                for call in use.calls or tuple(calls):
                    assert call in calls, f"{cloud}/{function}: {use.module}.{call}"
                    used.add((use.module, call))
    orphans = [
        f"{module}.{call}"
        for module, calls in permissions.SDK_CALLS.items()
        for call, declared in calls.items()
        if declared.deployed and declared.needs and (module, call) not in used
    ]
    assert not orphans, f"declared for no function: {orphans}"


def test_the_scanner_finds_calls_through_each_shape_the_adapters_use() -> None:
    aws = """
def f(session, client: EC2Client):
    ec2 = session.client("ec2")
    ec2.terminate_instances(InstanceIds=["i-1"])
    client.stop_instances(InstanceIds=["i-1"])
    for page in client.get_paginator("describe_volumes").paginate():
        pass
    return {}.get("x")
"""
    assert set(sdk_calls(aws, cloud="aws")) == {
        "terminate_instances",
        "stop_instances",
        "describe_volumes",
    }
    azure = """
class A:
    def __init__(self, credential):
        self._client = ComputeManagementClient(credential, "sub")
    def go(self, tags):
        operations = self._client.virtual_machines
        poller = operations.begin_delete("rg", "vm")
        return tags.get("x"), self._client.virtual_machines.get("rg", "vm")
"""
    assert set(sdk_calls(azure, cloud="azure")) == {"begin_delete", "get"}
    gcp = """
class G:
    def __init__(self):
        self._instances = compute_v1.InstancesClient()
    def go(self):
        method = self._instances.delete_unary
        return method(project="p", zone="z", instance="i")
"""
    assert set(sdk_calls(gcp, cloud="gcp")) == {"delete_unary"}


def test_the_scanner_finds_bound_methods_of_operation_groups_and_ignores_loggers() -> None:
    azure = """
class T:
    def __init__(self, credential):
        self._client = ResourceManagementClient(credential, "sub")
    def go(self, listed):
        groups = listed(self._client.resource_groups.list)
        lister = self._client.resources.list_by_resource_group
        log.exception("failed")
        return groups, lister("rg"), self._client.tags.get_at_scope("/x")
"""
    assert set(sdk_calls(azure, cloud="azure")) == {
        "list",
        "list_by_resource_group",
        "get_at_scope",
    }


def test_every_tag_adapter_module_is_reached_and_declared(
    scanned: dict[str, dict[str, list[int]]],
) -> None:
    """Issue 4's functions import the tag adapters: their calls are part of the scan."""
    for module in ("aws.tagging", "aws.tagging_inventory", "aws.tagging_writer"):
        assert f"costwarden.adapters.{module}" in scanned, module
    for module in ("azure.tagging", "gcp.tagging"):
        assert scanned.get(f"costwarden.adapters.{module}"), module
