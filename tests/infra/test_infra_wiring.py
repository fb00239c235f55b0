"""Every function in functions/ is deployed by each cloud's infrastructure, every deployed
function points at a real handler, and the roles grant exactly what costwarden.permissions
generates from the declarations."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from costwarden import permissions
from costwarden.normalize.resource_change.aws import CREATE_EVENTS
from costwarden.normalize.resource_change.gcp import CREATE_METHODS
from costwarden.settings import Settings
from infra.conftest import InfraTools


# -- what functions/ holds ------------------------------------------------------------------------
def _top_level_functions(path: Path) -> dict[str, list[str]]:
    """Top-level function name -> the text of its decorators."""
    tree = ast.parse(path.read_text("utf-8"))
    return {
        node.name: [ast.unparse(d) for d in node.decorator_list]
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
    }


def discovered(repo: Path, cloud: str) -> set[str]:
    folder = repo / "functions" / cloud
    if cloud == "aws":
        return {p.stem for p in folder.glob("*.py") if "handler" in _top_level_functions(p)}
    if cloud == "azure":
        functions = _top_level_functions(folder / "function_app.py")
        return {
            n
            for n, decorators in functions.items()
            if any(d.startswith("app.") for d in decorators)
        }
    functions = _top_level_functions(folder / "main.py")
    return {
        name
        for name, decorators in functions.items()
        if any(d.startswith("functions_framework.") for d in decorators)
    }


@pytest.mark.parametrize("cloud", permissions.CLOUDS)
def test_every_function_declares_its_permissions(repo: Path, cloud: str) -> None:
    assert discovered(repo, cloud) == set(permissions.FUNCTIONS[cloud])


# -- AWS ------------------------------------------------------------------------------------------
class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags, as their long forms."""


def _cfn_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _cfn_tag)


def load_cfn(path: Path) -> dict[str, Any]:
    return yaml.load(path.read_text("utf-8"), Loader=_CfnLoader)


@pytest.fixture(scope="module")
def sam(repo: Path) -> dict[str, Any]:
    return load_cfn(repo / "infra" / "aws" / "template.yaml")


def _sam_functions(sam: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: resource["Properties"]
        for name, resource in sam["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }


def test_sam_deploys_every_aws_function_from_a_real_handler(
    repo: Path, sam: dict[str, Any]
) -> None:
    handlers = {props["Handler"] for props in _sam_functions(sam).values()}
    assert {h.split(".")[0] for h in handlers} == discovered(repo, "aws")
    for handler in handlers:
        module, function = handler.split(".")
        assert function in _top_level_functions(repo / "functions" / "aws" / f"{module}.py")


# The trigger of each AWS function (docs/deploy-aws.md).
AWS_TRIGGERS = {
    "budget_alert": ("SNS", {"Topic": {"Ref": "BudgetTopic"}}),
    "export_arrival": ("S3", {"Bucket": {"Ref": "ExportBucket"}, "Events": "s3:ObjectCreated:*"}),
    "cost_digest": (
        "ScheduleV2",
        {
            "ScheduleExpressionTimezone": "UTC",
            # the day of the digests: a retry after midnight must not send the next day's
            "Input": '{"time": "<aws.scheduler.scheduled-time>"}',
        },
    ),
    "schedule_planner": ("ScheduleV2", {"Input": '{"time": "<aws.scheduler.scheduled-time>"}'}),
    "schedule_worker": (
        "SQS",
        {
            "Queue": {"Fn::GetAtt": ["ScheduleQueue", "Arn"]},
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
        },
    ),
    "tag_remediation": (
        "EventBridgeRule",
        {"DeadLetterConfig": {"Arn": {"Fn::GetAtt": ["FunctionDeadLetterQueue", "Arn"]}}},
    ),
    "tag_sweep": (
        "ScheduleV2",
        {
            "ScheduleExpression": {"Ref": "TagSweepSchedule"},
            "ScheduleExpressionTimezone": "UTC",
            "Input": '{"time": "<aws.scheduler.scheduled-time>"}',
        },
    ),
}


@pytest.mark.parametrize("function", sorted(AWS_TRIGGERS))
def test_sam_function_has_its_trigger_role_and_log_group(
    sam: dict[str, Any], function: str
) -> None:
    logical = permissions.aws_logical_name(function)
    props = sam["Resources"][f"{logical}Function"]["Properties"]
    assert props["Handler"] == f"{function}.handler"
    assert props["Role"] == {"Fn::GetAtt": [f"{logical}Role", "Arn"]}
    assert props["LoggingConfig"] == {"LogGroup": {"Ref": f"{logical}LogGroup"}}
    kind, expected = AWS_TRIGGERS[function]
    events = list(props["Events"].values())
    assert events, function
    for event in events:
        assert event["Type"] == kind
        assert expected.items() <= event["Properties"].items()
    if kind == "S3":
        (rule,) = events[0]["Properties"]["Filter"]["S3Key"]["Rules"]
        assert rule == {"Name": "suffix", "Value": "-Manifest.json"}
    if kind != "SQS":  # asynchronous: failures park in the function DLQ
        assert props["DeadLetterQueue"]["TargetArn"] == {
            "Fn::GetAtt": ["FunctionDeadLetterQueue", "Arn"]
        }


@pytest.mark.parametrize("function", ["cost_digest", "budget_alert"])
def test_sam_functions_that_cache_cost_data_have_room_in_tmp(
    sam: dict[str, Any], function: str
) -> None:
    # They download published billing periods to /tmp: 512 MB (the default) is too small.
    props = sam["Resources"][f"{permissions.aws_logical_name(function)}Function"]["Properties"]
    assert props["EphemeralStorage"]["Size"] >= 4096


@pytest.mark.parametrize("function", sorted(permissions.FUNCTIONS["aws"]))
def test_sam_roles_grant_exactly_the_generated_statements(
    sam: dict[str, Any], function: str
) -> None:
    role = sam["Resources"][f"{permissions.aws_logical_name(function)}Role"]["Properties"]
    (policy,) = role["Policies"]
    assert policy["PolicyDocument"]["Statement"] == permissions.aws_role_statements(function), (
        "regenerate: python -m costwarden.permissions --cloud aws"
    )
    assert "ManagedPolicyArns" not in role


def test_member_role_grants_exactly_the_generated_statements(repo: Path) -> None:
    template = load_cfn(repo / "infra" / "aws" / "member-role.yaml")
    (policy,) = template["Resources"]["MemberRole"]["Properties"]["Policies"]
    assert policy["PolicyDocument"]["Statement"] == permissions.aws_member_role_statements()


def _allow_statements(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        found = [node] if node.get("Effect") == "Allow" and "Action" in node else []
        return found + [s for value in node.values() for s in _allow_statements(value)]
    if isinstance(node, list):
        return [s for value in node for s in _allow_statements(value)]
    return []


@pytest.mark.parametrize("template", ["template.yaml", "member-role.yaml"])
def test_no_aws_allow_statement_has_a_wildcard_action(repo: Path, template: str) -> None:
    statements = _allow_statements(load_cfn(repo / "infra" / "aws" / template)["Resources"])
    assert statements
    for statement in statements:
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        assert not [a for a in actions if "*" in a], statement


def _unwrapped(statements: list[Any]) -> list[dict[str, Any]]:
    """Statements with their template conditions (``Fn::If``) taken away."""
    return [s["Fn::If"][1] if "Fn::If" in s else s for s in statements]


def test_the_protected_deny_covers_every_mutating_action_of_the_scheduler() -> None:
    statements = _unwrapped(permissions.aws_member_role_statements())
    denies = {s["Sid"]: s for s in statements if s["Effect"] == "Deny"}
    compute = permissions.needs("aws", "schedule_worker")
    mutating = {a for (r, _), v in compute.items() if r == "compute" for a in v}
    mutating = {a for a in mutating if not permissions.is_read(a)}
    denied = {a for s in denies.values() for a in s["Action"]}
    assert denied == mutating
    outright = set(denies["NeverActOnProtected"]["Action"])
    assert {"ec2:StopInstances", "rds:StopDBInstance", "autoscaling:UpdateAutoScalingGroup"} <= (
        outright
    )
    # The scheduler's tag writes are refused on protected resources when they carry its own
    # keys; tag remediation (other keys, same actions) may still tag them.
    marks = denies["NeverMarkProtected"]
    assert set(marks["Action"]) == set(permissions.AWS_ACTION_CONDITIONS)
    assert marks["Condition"]["ForAnyValue:StringEquals"]["aws:TagKeys"] == [
        "costwarden:last-action",
        "costwarden:saved-capacity",
    ]
    assert "aws:ResourceTag/Environment" in marks["Condition"]["StringEqualsIgnoreCase"]


@pytest.mark.parametrize("function", permissions.TAG_FUNCTIONS)
def test_tag_remediation_writes_only_the_keys_the_template_allows(function: str) -> None:
    """Every tag write of the tag functions is held to TagRemediationKeys, except the ones
    IAM cannot hold to keys (see costwarden.permissions.AWS_TAGGING_CONDITIONS). The sweep's
    grace stops (``Compute*`` statements, the scheduler's own) are checked below."""
    unconditioned_writes = {"tag:TagResources", "tag:UntagResources", "s3:PutBucketTagging"}
    statements = _unwrapped(permissions.aws_role_statements(function))
    keys = {"aws:TagKeys": {"Ref": permissions.TAG_KEYS_PARAMETER}}
    writes = set()
    for statement in statements:
        if statement["Effect"] != "Allow" or statement["Sid"].startswith("Compute"):
            continue
        actions = set(statement["Action"])
        tag_writes = {a for a in actions if not permissions.is_read(a)} & (
            set(permissions.AWS_TAGGING_CONDITIONS) | unconditioned_writes
        )
        if not tag_writes:
            continue
        writes |= tag_writes
        if tag_writes <= unconditioned_writes:
            assert "Condition" not in statement
            continue
        assert actions == tag_writes, statement["Sid"]  # no read rides on the condition
        assert statement["Condition"]["ForAllValues:StringEqualsIgnoreCase"] == keys
        if {"ec2:CreateTags", "ec2:DeleteTags"} & actions:
            assert statement["Condition"]["Null"] == {"aws:TagKeys": "false"}
    assert writes == set(permissions.AWS_TAGGING_CONDITIONS) | unconditioned_writes
    # Nothing is ever started by a tag function.
    assert not [a for s in statements for a in s["Action"] if "Start" in a]


def test_only_the_tag_sweep_may_stop_and_only_as_the_scheduler_does() -> None:
    """tagging.grace.action: stop: the sweep's stops carry the scheduler's own statements,
    its last-action tag condition and the protected deny; the event path stops nothing."""
    event = _unwrapped(permissions.aws_role_statements("tag_remediation"))
    assert not [a for s in event for a in s["Action"] if "Stop" in a or "UpdateAuto" in a]
    sweep = _unwrapped(permissions.aws_role_statements("tag_sweep"))
    worker = _unwrapped(permissions.aws_role_statements("schedule_worker"))
    allowed = {a for s in sweep if s["Effect"] == "Allow" for a in s["Action"]}
    assert {"ec2:StopInstances", "rds:StopDBInstance", "autoscaling:UpdateAutoScalingGroup"} <= (
        allowed
    )
    compute = {s["Sid"]: s for s in sweep if s["Sid"].startswith("Compute")}
    scheduler = {s["Sid"]: s for s in worker if s["Sid"].startswith("Compute")}
    for sid, statement in compute.items():  # a subset of the scheduler's grants, same shape
        assert set(statement["Action"]) <= set(scheduler[sid]["Action"]), sid
        assert statement.get("Condition") == scheduler[sid].get("Condition"), sid
    denies = {s["Sid"] for s in sweep if s["Effect"] == "Deny"}
    assert denies == {"NeverActOnProtected", "NeverMarkProtected"}
    # The grants exist only with the tag functions (TagRemediation=true) in the own account.
    raw = permissions.aws_role_statements("tag_sweep")
    for statement in raw:
        inner = statement["Fn::If"][1] if "Fn::If" in statement else statement
        if inner["Sid"].startswith("Compute") or inner["Effect"] == "Deny":
            assert statement["Fn::If"][0] == "ActInOwnAccount"


def test_tag_remediation_keys_are_the_policy_keys_aliases_and_mark(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # policy.example.yaml's tagging section: Environment (env, stage), Owner, CostCenter
    # (cost-center) and the mark key.
    assert permissions.main(["--tag-keys", str(repo / "policy.example.yaml")]) == 0
    keys = capsys.readouterr().out.strip().split(",")
    assert keys == [
        "cost-center",
        "CostCenter",
        "costwarden:tag-violation",
        "env",
        "Environment",
        "Owner",
        "stage",
    ]
    # ... which is the default of both templates' parameter (docs/tagging.md's example).
    for name in ("template.yaml", "member-role.yaml"):
        template = load_cfn(repo / "infra" / "aws" / name)
        default = template["Parameters"][permissions.TAG_KEYS_PARAMETER]["Default"]
        assert default.split(",") == keys, name


def _event_pattern(node: dict[str, Any]) -> dict[str, Any]:
    return node.get("Pattern") or node["EventPattern"]


def test_the_creation_rules_match_exactly_the_create_events_the_code_reads(
    repo: Path, sam: dict[str, Any]
) -> None:
    props = sam["Resources"]["TagRemediationFunction"]["Properties"]
    (event,) = props["Events"].values()
    forwarder = load_cfn(repo / "infra" / "aws" / "event-forwarder.yaml")
    rule = forwarder["Resources"]["ForwardCreations"]["Properties"]
    for pattern in (_event_pattern(event["Properties"]), _event_pattern(rule)):
        detail = pattern["detail"]
        assert pattern["detail-type"] == ["AWS API Call via CloudTrail"]
        assert set(pattern["source"]) == {f"aws.{s.split('.')[0]}" for s, _ in CREATE_EVENTS}
        assert set(detail["eventSource"]) == {s for s, _ in CREATE_EVENTS}
        assert set(detail["eventName"]) == {n for _, n in CREATE_EVENTS}
        assert detail["errorCode"] == [{"exists": False}]


def test_tag_functions_are_opt_in_and_member_roles_trust_their_roles(
    repo: Path, sam: dict[str, Any]
) -> None:
    resources = sam["Resources"]
    for function in permissions.TAG_FUNCTIONS:
        logical = permissions.aws_logical_name(function)
        for suffix in ("Function", "Role", "LogGroup", "ErrorsAlarm"):
            assert resources[logical + suffix]["Condition"] == "TagRemediationOn", suffix
        role_name = resources[logical + "Role"]["Properties"]["RoleName"]
        assert role_name == {"Fn::Sub": "${NamePrefix}-" + function.replace("_", "-")}
    member = load_cfn(repo / "infra" / "aws" / "member-role.yaml")
    trust = member["Resources"]["MemberRole"]["Properties"]["AssumeRolePolicyDocument"]
    (statement,) = trust["Statement"]
    principals = statement["Condition"]["ArnEquals"]["aws:PrincipalArn"]["Fn::If"][1]
    names = {p["Fn::Sub"].rsplit("/", 1)[1] for p in principals}
    assert names == {"${WorkerRoleName}", "${TagRemediationRoleName}", "${TagSweepRoleName}"}
    for parameter, function in (
        ("TagRemediationRoleName", "tag_remediation"),
        ("TagSweepRoleName", "tag_sweep"),
    ):
        default = member["Parameters"][parameter]["Default"]
        assert default == "costwarden-" + function.replace("_", "-")


# -- Terraform ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def terraform(infra_tools: InfraTools, repo: Path) -> dict[str, dict[str, Any]]:
    """cloud -> merged ``locals`` of its .tf files, parsed by python-hcl2."""
    script = (
        "import hcl2, json, sys\n"
        "out = {}\n"
        "for name in sys.argv[1:]:\n"
        "    with open(name) as f:\n"
        "        for block in hcl2.load(f).get('locals', []):\n"
        "            out.setdefault(name.split('/')[-2], {}).update(block)\n"
        "print(json.dumps(out))\n"
    )
    files = [str(p) for p in sorted((repo / "infra").glob("*/*.tf"))]
    result = infra_tools.run("python", "-c", script, *files)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


def _value(value: Any) -> Any:
    """python-hcl2 wraps object and list values of ``locals`` in a one-element list."""
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict | list):
        return value[0]
    return value


def test_gcp_deploys_every_function_from_a_real_entry_point(
    repo: Path, terraform: dict[str, dict[str, Any]]
) -> None:
    functions = _value(terraform["gcp"]["functions"])
    assert set(functions) == discovered(repo, "gcp")  # entry_point = each.key
    assert functions["export_arrival"]["trigger"] == "storage"
    assert functions["tag_remediation"]["trigger"] == "audit"
    assert functions["tag_sweep"]["topic"] == "tag-sweep-tick"
    tagging = {name for name, f in functions.items() if f["tagging"]}
    assert tagging == set(permissions.TAG_FUNCTIONS)  # opt-in: var.tag_remediation
    main = (repo / "infra" / "gcp" / "main.tf").read_text()
    assert "entry_point = each.key" in main
    assert "for_each    = local.deployed" in main


def test_gcp_audit_triggers_are_the_create_methods_the_code_reads(
    terraform: dict[str, dict[str, Any]],
) -> None:
    triggers = _value(terraform["gcp"]["audit_triggers"]).values()
    methods = {t["method"].removeprefix("v1.").removeprefix("beta.") for t in triggers}
    assert methods == set(CREATE_METHODS)
    for trigger in triggers:
        method = trigger["method"].removeprefix("v1.").removeprefix("beta.")
        assert trigger["service"] == method.split(".")[0] + ".googleapis.com"


def test_gcp_custom_roles_are_exactly_the_generated_permissions(
    terraform: dict[str, dict[str, Any]],
) -> None:
    generated = permissions.generated("gcp")
    predefined = permissions.GCP_PREDEFINED_ROLES
    assert _value(terraform["gcp"]["permissions"]) == {
        resource: needs for resource, needs in generated.items() if resource not in predefined
    }
    for resource, (_role, contains) in predefined.items():
        assert set(generated[resource]) <= set(contains)


def test_azure_custom_roles_are_exactly_the_generated_actions(
    terraform: dict[str, dict[str, Any]],
) -> None:
    generated = permissions.generated("azure")
    assert _value(terraform["azure"]["scheduler_actions"]) == generated["compute"]
    assert _value(terraform["azure"]["tagger_actions"]) == generated["tagged"]
    # Tags only: no resource type's own write or action.
    assert not [a for a in generated["tagged"] if a.endswith("/action")]
    assert [a for a in generated["tagged"] if a.endswith("/write")] == [
        "Microsoft.Resources/tags/write"
    ]


def test_azure_data_roles_cover_what_the_code_does_at_each_scope(
    terraform: dict[str, dict[str, Any]],
) -> None:
    roles = _value(terraform["azure"]["data_roles"])
    generated = permissions.generated("azure")
    assert set(roles) == set(generated) - {"compute", "tagged"}
    for resource, assignment in roles.items():
        builtin, grants = permissions.AZURE_BUILTIN_ROLES[resource]
        assert assignment["role"] == builtin
        assert set(generated[resource]) <= set(grants), resource


def test_azure_app_settings_feed_every_binding_expression(repo: Path) -> None:
    app = (repo / "functions" / "azure" / "function_app.py").read_text()
    main = (repo / "infra" / "azure" / "main.tf").read_text()
    for setting in re.findall(r'="%([A-Z0-9_]+)%"', app):
        assert re.search(rf"^\s+{setting}\s+=", main, re.MULTILINE), setting
    for connection in re.findall(r'connection="([A-Za-z0-9_]+)"', app):
        assert re.search(rf"^\s+{connection}__queueServiceUri\s+=", main, re.MULTILINE)
    triggers = (repo / "infra" / "azure" / "triggers.tf").read_text()
    wired = re.findall(r"/functions/([a-z_]+)\"", triggers)
    assert "tag_remediation" in wired
    for name in wired:
        assert name in discovered(repo, "azure")
    # Off by default, tag remediation's functions are disabled in the app.
    for function in permissions.TAG_FUNCTIONS:
        assert f'"AzureWebJobs.{function}.Disabled" = "true"' in main.replace("  ", "")


def test_every_costwarden_variable_the_infrastructure_sets_is_a_setting(repo: Path) -> None:
    fields = set(Settings.model_fields)
    for path in [*(repo / "infra").glob("*/*.tf"), *(repo / "infra").glob("aws/*.yaml")]:
        for name in set(re.findall(r"\bCOSTWARDEN_[A-Z0-9_]+(?:__[A-Za-z]+)?", path.read_text())):
            field = name.removeprefix("COSTWARDEN_").split("__")[0].lower()
            assert field in fields, f"{path.name}: {name}"
