"""check-plan's core: the tag policy over `terraform show -json` output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from costwarden.errors import TerraformPlanError
from costwarden.policy.tagging import TaggingSection
from costwarden.tagging.terraform_plan import check_plan, in_scope, parse_plan, read_plan
from unit.cli.costwarden_command import run_costwarden

from .conftest import POLICY

EVENTS = Path(__file__).resolve().parents[3] / "events" / "terraform"


def findings_by_address(plan: str, section: TaggingSection) -> dict[str, list[str]]:
    return {
        f.resource.address: ["unknown"] if f.unknown else [v.describe() for v in f.findings]
        for f in check_plan(read_plan(EVENTS / plan), section)
    }


def test_mixed_plan_reports_each_violation_with_its_address(section: TaggingSection) -> None:
    found = findings_by_address("plan_mixed.json", section)
    assert found == {
        # tags_all carries the provider's default_tags (CostCenter): that counts
        "aws_instance.web": [
            "Environment: found as env='Dev'; write Environment='dev'",
            "Owner: missing",
        ],
        # CostCenter is only known after apply: not reported missing
        "module.data.aws_db_instance.main[0]": [
            "Environment: 'production' should be written 'prod'",
            "Owner: 'bob' is not an allowed value",
        ],
        "aws_iam_role.app": ["Environment: missing", "Owner: missing", "CostCenter: missing"],
        # a replacement is checked like a create
        "azurerm_linux_virtual_machine.build": [
            "Environment: found as ENV='Test'; write Environment='test'",
            "Owner: missing",
            "CostCenter: missing",
        ],
        "google_compute_instance.runner": ["Owner: missing"],
        "google_storage_bucket.exports": ["unknown"],
    }


def test_deletes_reads_and_non_cloud_providers_are_not_checked(section: TaggingSection) -> None:
    addresses = {r.address for r in read_plan(EVENTS / "plan_mixed.json")}
    assert "aws_instance.old" not in addresses
    assert "data.aws_ami.ubuntu" not in addresses
    assert "random_id.suffix" not in addresses


def test_excluded_types_are_skipped() -> None:
    section = TaggingSection.model_validate({**POLICY, "exclude_types": ["aws_iam_*"]})
    assert "aws_iam_role.app" not in findings_by_address("plan_mixed.json", section)


def test_compliant_plan_has_no_findings(section: TaggingSection) -> None:
    assert findings_by_address("plan_compliant.json", section) == {}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not JSON"),
        ('{"resource_changes": []}', "not a Terraform plan"),
        ('{"format_version": "1.2", "resource_changes": {}}', "resource_changes is not a list"),
        ('{"format_version": "1.2", "resource_changes": [1]}', "expected an object"),
        (
            '{"format_version": "1.2", "resource_changes": [{"address": "a", "type": "t"}]}',
            "needs address, type and change",
        ),
    ],
)
def test_unreadable_plans_raise_a_typed_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "plan.json"
    path.write_text(content)
    with pytest.raises(TerraformPlanError, match=message):
        read_plan(path)


def test_tags_that_are_not_strings_are_refused() -> None:
    plan = json.loads((EVENTS / "plan_compliant.json").read_text())
    plan["resource_changes"][0]["change"]["after"]["tags_all"] = {"Environment": 1}
    with pytest.raises(TerraformPlanError, match="tags must map strings to strings"):
        parse_plan(plan)


def test_only_resources_in_scope_count_as_checked(tmp_path: Path) -> None:
    """A policy for AWS instances: the plan's buckets, roles, Azure and Google resources are
    outside it, and the summary must not claim they were checked."""
    section = TaggingSection.model_validate(
        {**POLICY, "clouds": ["aws"], "include_types": ["aws_instance"]}
    )
    resources = read_plan(EVENTS / "plan_mixed.json")
    assert [r.address for r in in_scope(resources, section)] == ["aws_instance.web"]
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        'version: 1\nslack: {default_channel: "#f"}\ntagging:\n  clouds: [aws]\n'
        "  include_types: [aws_instance]\n  required: {Owner: {}}\n"
    )
    result = run_costwarden("check-plan", EVENTS / "plan_mixed.json", "--policy", policy)
    assert "1 resources checked: 1 violate the tag policy" in result.stderr
    assert "7 outside the policy's clouds and types" in result.stderr
    as_json = run_costwarden(
        "check-plan", EVENTS / "plan_mixed.json", "--policy", policy, "--format", "json"
    )
    report = json.loads(as_json.stdout)
    assert (report["checked"], report["out_of_scope"]) == (1, 7)
