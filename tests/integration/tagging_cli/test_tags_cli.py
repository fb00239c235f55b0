"""``costwarden tags plan|apply|audit`` against moto, as a user runs them: the installed command.

GIVEN a member account with one compliant instance, one tagged only with an alias and one with
nothing: ``tags plan`` writes the plan (same format as ``costwarden plan``) and changes nothing;
``tags apply`` writes the canonical tags and the violation mark; a second ``apply`` writes
nothing; ``tags audit`` counts compliance before and after and, given FOCUS data, the share of
cost on resources that still need a person.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from integration.scheduling_functions.conftest import AwsEstate, aws_targets, new_account
from unit.cli.costwarden_command import run_costwarden

pytestmark = pytest.mark.integration

POLICY = """\
version: 1
slack: {{default_channel: "#finops"}}
teams:
  platform: {{slack_channel: "#platform"}}
tagging:
  clouds: [aws]
  include_types: ["ec2:instance"]
  required:
    Environment: {{aliases: [env], values: [dev, test, prod]}}
    Owner: {{pattern: '[^@ ]+@example\\.com', infer: [creator]}}
  defaults:
    - tags: {{Environment: dev}}
  team: platform
{targets}
"""


def test_plan_changes_nothing_apply_fixes_once_and_audit_counts(
    aws: AwsEstate, tmp_path: Path
) -> None:
    account = new_account()
    good = aws.launch(account, "good", {"Environment": "prod", "Owner": "a@example.com"})
    alias = aws.launch(account, "alias", {"env": "test", "Owner": "b@example.com"})
    bare = aws.launch(account, "bare", {})
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY.format(targets=aws_targets([account])))
    plan_file = tmp_path / "tags-plan.json"

    planned = run_costwarden(
        "tags", "plan", "--cloud", "aws", "--policy", policy, "--output", plan_file
    )
    assert planned.returncode == 0, planned.stderr
    plan = json.loads(plan_file.read_text())
    assert plan["dry_run"] is True
    by_id = {a["resource_id"].rsplit("/", 1)[-1]: a for a in plan["actions"]}
    assert set(by_id) == {alias, bare}
    assert by_id[alias]["details"]["set"] == {"Environment": "test"}
    assert by_id[alias]["action"] == "tag"
    assert {
        "action",
        "cloud",
        "account",
        "region",
        "resource_id",
        "resource_type",
        "reason",
        "estimated_monthly_saving",
        "currency",
    } <= by_id[bare].keys()
    assert [s["resource_id"].rsplit("/", 1)[-1] for s in plan["skipped"]] == [bare]
    assert aws.tags(account, alias) == {"Name": "alias", "env": "test", "Owner": "b@example.com"}

    audit = run_costwarden("tags", "audit", "--cloud", "aws", "--policy", policy)
    assert audit.returncode == 0, audit.stderr
    total = next(line for line in audit.stdout.splitlines() if "total" in line)
    cells = [c for c in total.replace("│", " ").replace("┃", " ").split() if c]
    assert cells == ["total", "3", "1", "1", "1", "33.3"]

    applied = run_costwarden("tags", "apply", "--cloud", "aws", "--policy", policy)
    assert applied.returncode == 0, applied.stderr
    assert aws.tags(account, alias)["Environment"] == "test"
    bare_tags = aws.tags(account, bare)
    assert bare_tags["Environment"] == "dev"  # from the policy defaults
    assert "Owner" in bare_tags["costwarden:tag-violation"]
    assert aws.tags(account, good) == {
        "Name": "good",
        "Environment": "prod",
        "Owner": "a@example.com",
    }

    again = run_costwarden("tags", "apply", "--cloud", "aws", "--policy", policy)
    assert again.returncode == 0, again.stderr
    assert "0 tag writes, 1 resources need a person" in again.stderr

    focus = tmp_path / "focus.parquet"
    duckdb.sql(
        f"""
        COPY (SELECT * FROM (VALUES
            ('AWS', '{bare}', 'bare', '{account}', 30.0, 'USD', now() - INTERVAL 2 DAY),
            ('AWS', '{good}', 'good', '{account}', 70.0, 'USD', now() - INTERVAL 2 DAY)
        ) AS t(ProviderName, ResourceId, ResourceName, SubAccountId, EffectiveCost,
               BillingCurrency, ChargePeriodStart))
        TO '{focus}' (FORMAT parquet)
        """
    )
    audit = run_costwarden(
        "tags", "audit", "--cloud", "aws", "--policy", policy, "--cost-data", focus
    )
    assert audit.returncode == 0, audit.stderr
    assert "USD 30.00 (30.0 %) on resources missing required tags" in " ".join(audit.stdout.split())


def test_audit_counts_what_the_sweep_fixes_from_defaults_as_fixable(
    aws: AwsEstate, tmp_path: Path
) -> None:
    """Environment missing, the policy defaults give it: the sweep writes it, so audit must
    not count it as needing a person (``tags plan`` agrees: 0 skips) nor bill its cost so."""
    account = new_account()
    defaulted = aws.launch(account, "defaulted", {"Owner": "c@example.com"})
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY.format(targets=aws_targets([account])))

    planned = run_costwarden("tags", "plan", "--cloud", "aws", "--policy", policy)
    assert "1 tag writes, 0 resources need a person" in planned.stderr

    focus = tmp_path / "focus.parquet"
    duckdb.sql(
        f"""
        COPY (SELECT * FROM (VALUES
            ('AWS', '{defaulted}', 'defaulted', '{account}', 50.0, 'USD', now() - INTERVAL 2 DAY)
        ) AS t(ProviderName, ResourceId, ResourceName, SubAccountId, EffectiveCost,
               BillingCurrency, ChargePeriodStart))
        TO '{focus}' (FORMAT parquet)
        """
    )
    audit = run_costwarden(
        "tags", "audit", "--cloud", "aws", "--policy", policy, "--cost-data", focus
    )
    assert audit.returncode == 0, audit.stderr
    total = next(line for line in audit.stdout.splitlines() if "total" in line)
    cells = [c for c in total.replace("│", " ").replace("┃", " ").split() if c]
    assert cells == ["total", "1", "0", "1", "0", "0.0"]
    assert "USD 0.00 (0.0 %) on resources missing" in " ".join(audit.stdout.split())


def test_a_policy_without_tagging_exits_2(aws: AwsEstate, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text('version: 1\nslack: {default_channel: "#a"}\n')
    result = run_costwarden("tags", "plan", "--cloud", "aws", "--policy", policy)
    assert result.returncode == 2
    assert "no tagging section" in result.stderr
