"""`costwarden check-plan`: exit 0 clean, 1 violations, 2 unreadable input, as CI steps expect."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from unit.cli.costwarden_command import EVENTS, run_costwarden

POLICY = """\
version: 1
slack: {default_channel: "#finops"}
tagging:
  required:
    Environment: {aliases: [env], values: [dev, test, staging, prod], normalize: {production: prod}}
    Owner: {pattern: '[a-z0-9._-]+@example\\.com', gcp_pattern: '[a-z0-9_-]+_example_com'}
    CostCenter: {aliases: [cost-center], pattern: '(?i)cc-[0-9]{3}'}
"""
PLANS = EVENTS / "terraform"


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY)
    return path


def test_violations_exit_1_and_name_each_resource_address(policy: Path) -> None:
    result = run_costwarden("check-plan", PLANS / "plan_mixed.json", "--policy", policy)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert "aws_instance.web: Owner: missing" in lines
    assert "module.data.aws_db_instance.main[0]: Owner: 'bob' is not an allowed value" in lines
    assert "google_storage_bucket.exports: tags are only known after apply" in result.stderr
    assert "5 violate the tag policy (11 problems)" in result.stderr


def test_a_compliant_plan_exits_0(policy: Path) -> None:
    result = run_costwarden("check-plan", PLANS / "plan_compliant.json", "--policy", policy)
    assert (result.returncode, result.stdout) == (0, "")


def test_json_output_is_machine_readable(policy: Path) -> None:
    result = run_costwarden(
        "check-plan", PLANS / "plan_mixed.json", "--policy", policy, "--format", "json"
    )
    report = json.loads(result.stdout)
    assert report["checked"] == 8
    assert report["unknown"] == ["google_storage_bucket.exports"]
    web = next(v for v in report["violations"] if v["address"] == "aws_instance.web")
    assert [p["status"] for p in web["problems"]] == ["alias", "missing"]


def test_github_format_prints_error_annotations(policy: Path) -> None:
    result = run_costwarden(
        "check-plan", PLANS / "plan_mixed.json", "--policy", policy, "--format", "github"
    )
    assert (
        "::error title=tag policy::aws_instance.web: Owner: missing" in result.stdout.splitlines()
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [("{", "not JSON"), ('{"resource_changes": []}', "not a Terraform plan")],
)
def test_unreadable_plan_exits_2(policy: Path, tmp_path: Path, content: str, message: str) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(content)
    result = run_costwarden("check-plan", plan, "--policy", policy)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_policy_without_tagging_section_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text('version: 1\nslack: {default_channel: "#a"}\n')
    result = run_costwarden("check-plan", PLANS / "plan_mixed.json", "--policy", path)
    assert result.returncode == 2
    assert "has no tagging section" in result.stderr


def test_invalid_policy_exits_2_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY.replace("values: [dev,", "values: [Dev, dev,"))
    result = run_costwarden("check-plan", PLANS / "plan_mixed.json", "--policy", path)
    assert result.returncode == 2
    assert f"{path}:5: tagging.required.Environment.values" in result.stderr
