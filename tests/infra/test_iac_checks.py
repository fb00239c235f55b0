"""The infrastructure passes cfn-lint and checkov; Terraform parses and is ``terraform fmt``-clean.

Each check also runs once on a deliberately broken copy, so a tool that silently checks nothing
(wrong path, a framework it skipped) fails here instead of passing everything.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from infra.conftest import InfraTools
from infra.hcl_format import format_hcl

TEMPLATES = (
    "infra/aws/template.yaml",
    "infra/aws/member-role.yaml",
    "infra/aws/event-forwarder.yaml",
)


def terraform_files(repo: Path) -> list[Path]:
    files = sorted((repo / "infra").glob("*/*.tf"))
    assert {f.parent.name for f in files} == {"azure", "gcp"}
    return files


@pytest.mark.parametrize("template", TEMPLATES)
def test_cfn_lint_finds_nothing_in_the_aws_templates(
    infra_tools: InfraTools, template: str
) -> None:
    result = infra_tools.run("cfn-lint", "--format", "parseable", template)
    assert result.returncode == 0, result.stdout + result.stderr


def test_cfn_lint_reports_a_broken_sam_function(
    infra_tools: InfraTools, repo: Path, tmp_path: Path
) -> None:
    template = (repo / TEMPLATES[0]).read_text()
    broken = tmp_path / "template.yaml"
    broken.write_text(
        template.replace("Role: !GetAtt BudgetAlertRole.Arn", "Role: !GetAtt NoRole.Arn")
    )
    result = infra_tools.run("cfn-lint", "--format", "parseable", str(broken))
    assert result.returncode != 0
    assert "NoRole" in result.stdout


def _checkov(infra_tools: InfraTools, folder: Path, *options: str) -> list[dict[str, Any]]:
    result = infra_tools.run(
        "checkov",
        *("-d", str(folder), "--framework", "cloudformation", "terraform"),
        *("--skip-download", "-o", "json", *options),
        cwd=folder,
    )
    assert result.stdout.strip(), result.stderr[-3000:]
    reports = json.loads(result.stdout)
    return reports if isinstance(reports, list) else [reports]


def test_checkov_fails_no_check_and_every_skip_says_why(
    infra_tools: InfraTools, repo: Path
) -> None:
    reports = {r["check_type"]: r for r in _checkov(infra_tools, repo / "infra")}
    # Both frameworks really ran, on every template.
    assert {"cloudformation", "terraform"} <= set(reports)
    for check_type, report in reports.items():
        summary = report["summary"]
        failed = [
            f"{c['check_id']} {c['resource']} ({c['file_path']})"
            for c in report["results"].get("failed_checks", [])
        ]
        assert summary["parsing_errors"] == 0, check_type
        assert summary["passed"] > 0, check_type
        assert not failed, f"{check_type}: {failed}"
        unexplained = [
            f"{c['check_id']} {c['resource']}"
            for c in report["results"].get("skipped_checks", [])
            if len(str(c["check_result"].get("suppress_comment") or "").strip()) < 20
        ]
        assert not unexplained, f"{check_type}: skips without a justification: {unexplained}"


def test_checkov_fails_an_unencrypted_bucket(
    infra_tools: InfraTools, repo: Path, tmp_path: Path
) -> None:
    shutil.copytree(repo / "infra" / "gcp", tmp_path / "gcp")
    main = tmp_path / "gcp" / "main.tf"
    main.write_text(main.read_text().replace('public_access_prevention    = "enforced"', ""))
    (report,) = [
        r for r in _checkov(infra_tools, tmp_path / "gcp") if r["check_type"] == "terraform"
    ]
    assert report["summary"]["failed"] > 0


def test_terraform_files_parse(infra_tools: InfraTools, repo: Path) -> None:
    script = (
        "import hcl2, json, sys\n"
        "for name in sys.argv[1:]:\n"
        "    with open(name) as f:\n"
        "        hcl2.load(f)\n"
        "print('ok')\n"
    )
    files = [str(f) for f in terraform_files(repo)]
    result = infra_tools.run("python", "-c", script, *files)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "ok"


def test_terraform_files_are_fmt_clean(repo: Path) -> None:
    unformatted = [
        str(path.relative_to(repo))
        for path in terraform_files(repo)
        if format_hcl(path.read_text("utf-8")) != path.read_text("utf-8")
    ]
    assert not unformatted, f"run: python tests/infra/hcl_format.py --write {' '.join(unformatted)}"


def test_fmt_aligns_equals_of_consecutive_attributes() -> None:
    text = 'resource "a" "b" {\n  name = "x"\n  location   = var.l\n\n  tags = {}\n}\n'
    assert format_hcl(text) == (
        'resource "a" "b" {\n  name     = "x"\n  location = var.l\n\n  tags = {}\n}\n'
    )


def test_fmt_indents_by_bracket_depth_and_spaces_tokens() -> None:
    text = 'locals {\nx = merge( { a = 1 },{b=2} )\n    y = [\n"z" ,\n]\n}\n'
    assert format_hcl(text) == (
        'locals {\n  x = merge({ a = 1 }, { b = 2 })\n  y = [\n    "z",\n  ]\n}\n'
    )


def test_fmt_writes_logical_not_against_its_operand() -> None:
    text = "locals {\n  a = { for k, v in m : k => v if !v.off || ! v.on }\n}\n"
    assert format_hcl(text) == (
        "locals {\n  a = { for k, v in m : k => v if !v.off || !v.on }\n}\n"
    )


def test_fmt_leaves_a_multi_line_value_out_of_the_alignment() -> None:
    text = "locals {\n  a = 1\n  long_name = {\n    b = 2\n  }\n}\n"
    assert format_hcl(text) == text
