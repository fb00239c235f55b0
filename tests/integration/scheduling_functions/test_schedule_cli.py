"""``costwarden plan`` / ``apply`` against moto, as a user runs them: the installed command.

GIVEN an AWS member account (reached through the policy's role) with a dev instance on the
office-hours schedule and a protected prod instance, ``plan --at`` Friday 20:15 in Berlin
writes the plan with every key issue 3 asks for and changes nothing; ``apply`` stops the dev
instance, prints its outcome, and a second ``apply`` finds nothing to do. Dry-run and the
blast-radius cap change nothing, with exit statuses a CI job can act on.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from fake_gce import FakeGcpServer
from integration.scheduling_functions.conftest import (
    GCP_PROJECT,
    STARTED,
    TEST_TAG,
    AwsEstate,
    aws_targets,
    gcp_targets,
    new_account,
    policy_yaml,
)
from unit.cli.costwarden_command import COSTWARDEN, command_env, run_costwarden

ZONE = "europe-west1-b"

pytestmark = pytest.mark.integration

AT = "2026-11-20T19:15:00Z"
#: The keys issue 3 asks of every planned action.
ACTION_KEYS = {
    "action",
    "cloud",
    "account",
    "region",
    "resource_id",
    "resource_type",
    "reason",
    "estimated_monthly_saving",
    "currency",
}


def estate(aws: AwsEstate, run_tag: str) -> tuple[str, str, str]:
    account = new_account()
    dev = aws.launch(
        account, "api-dev", {"Environment": "dev", "team": "platform", TEST_TAG: run_tag}
    )
    prod = aws.launch(
        account,
        "api-prod",
        {"Environment": "prod", "team": "platform", "costwarden:schedule": "office-hours"},
    )
    return account, dev, prod


def write_policy(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    return path


def test_plan_writes_the_plan_and_changes_nothing_then_apply_stops_dev_once(
    aws: AwsEstate, run_tag: str, tmp_path: Path
) -> None:
    account, dev, prod = estate(aws, run_tag)
    policy = write_policy(tmp_path, policy_yaml(run=run_tag, targets=aws_targets([account])))
    output = tmp_path / "plan.json"

    planned = run_costwarden(
        "plan", "--cloud", "aws", "--policy", policy, "--at", AT, "--output", output
    )

    assert planned.returncode == 0, planned.stderr
    document = json.loads(output.read_text())
    [action] = document["actions"]
    assert action.keys() >= ACTION_KEYS
    assert {k: action[k] for k in ACTION_KEYS - {"reason", "estimated_monthly_saving"}} == {
        "action": "stop",
        "cloud": "aws",
        "account": account,
        "region": "us-east-1",
        "resource_id": dev,
        "resource_type": "ec2_instance",
        "currency": "USD",
    }
    assert "office-hours" in action["reason"]
    assert float(action["estimated_monthly_saving"]) > 0
    assert document["at"] == "2026-11-20T19:15:00+00:00"
    assert document["blocked"] is None
    assert [(s["kind"], s["resource_id"]) for s in document["skipped"]] == [("protected", prod)]
    assert dev in planned.stdout
    assert aws.state(account, dev) == "running"  # plan never changes anything

    applied = run_costwarden("apply", "--cloud", "aws", "--policy", policy, "--at", AT)

    assert applied.returncode == 0, applied.stderr
    assert dev in applied.stdout
    assert "done" in applied.stdout
    assert aws.state(account, dev) == "stopped"
    assert aws.state(account, prod) == "running"

    again = run_costwarden(
        "apply", "--cloud", "aws", "--policy", policy, "--at", AT, "--output", output
    )

    assert again.returncode == 0, again.stderr
    assert json.loads(output.read_text())["actions"] == []
    assert "no actions" in again.stdout


def test_apply_in_dry_run_reports_not_applied_and_changes_nothing(
    aws: AwsEstate, run_tag: str, tmp_path: Path
) -> None:
    account, dev, _ = estate(aws, run_tag)
    policy = write_policy(
        tmp_path,
        policy_yaml(run=run_tag, targets=aws_targets([account]), safety="  dry_run: true"),
    )
    output = tmp_path / "applied.json"

    result = run_costwarden(
        "apply", "--cloud", "aws", "--policy", policy, "--at", AT, "--output", output
    )

    assert result.returncode == 0, result.stderr
    assert "dry run" in result.stdout
    [outcome] = json.loads(output.read_text())["actions"]
    assert (outcome["resource_id"], outcome["status"]) == (dev, "not_applied")
    assert aws.state(account, dev) == "running"


@pytest.mark.parametrize("command", ["plan", "apply"])
def test_a_plan_over_the_blast_radius_cap_exits_1_and_changes_nothing(
    command: str, aws: AwsEstate, run_tag: str, tmp_path: Path
) -> None:
    account, dev, _ = estate(aws, run_tag)
    policy = write_policy(
        tmp_path,
        policy_yaml(run=run_tag, targets=aws_targets([account]), max_fleet_percent=10),
    )
    output = tmp_path / "plan.json"

    result = run_costwarden(
        command, "--cloud", "aws", "--policy", policy, "--at", AT, "--output", output
    )

    assert result.returncode == 1
    assert f"BLOCKED aws/{account}/us-east-1" in result.stdout
    assert json.loads(output.read_text())["blocked"].startswith(f"aws/{account}/us-east-1: ")
    assert aws.state(account, dev) == "running"


# -- Google Cloud: one failed action, one failed target ------------------------------------------
def run_with_settings(
    *args: str | Path, settings: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """The installed command with ``COSTWARDEN_*`` settings (``run_costwarden`` drops them)."""
    return subprocess.run(
        [str(COSTWARDEN), *map(str, args)],
        env={**command_env(), **settings},
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )


def gcp_settings(gce: FakeGcpServer) -> dict[str, str]:
    return {"COSTWARDEN_GCP_COMPUTE_ENDPOINT": gce.base_url}


def test_apply_goes_on_after_a_refused_stop_and_exits_1(
    gce: FakeGcpServer, run_tag: str, tmp_path: Path
) -> None:
    labels = {"environment": "dev", "team": "platform", TEST_TAG: run_tag}
    gce.add_instance("vm-a", ZONE, labels=dict(labels), last_start=STARTED.isoformat())
    gce.add_instance("vm-b", ZONE, labels=dict(labels), last_start=STARTED.isoformat())
    gce.fail("instances.stop", 403, times=None, instance="vm-b")
    policy = write_policy(tmp_path, policy_yaml(run=run_tag, targets=gcp_targets([GCP_PROJECT])))
    output = tmp_path / "applied.json"

    result = run_with_settings(
        "apply",
        "--cloud",
        "gcp",
        "--policy",
        policy,
        "--at",
        AT,
        "--output",
        output,
        settings=gcp_settings(gce),
    )

    assert result.returncode == 1, result.stderr
    actions = json.loads(output.read_text())["actions"]
    outcomes = {a["resource_name"]: a["status"] for a in actions}
    assert outcomes == {"vm-a": "done", "vm-b": "failed"}
    assert gce.instance(ZONE, "vm-a").status == "TERMINATED"
    assert gce.instance(ZONE, "vm-b").status == "RUNNING"
    assert "failed" in result.stdout


def test_a_target_that_cannot_be_listed_exits_1_and_says_which(
    gce: FakeGcpServer, run_tag: str, tmp_path: Path
) -> None:
    gce.fail("instances.aggregatedList", 403, times=None)
    policy = write_policy(tmp_path, policy_yaml(run=run_tag, targets=gcp_targets([GCP_PROJECT])))

    result = run_with_settings(
        "plan", "--cloud", "gcp", "--policy", policy, "--at", AT, settings=gcp_settings(gce)
    )

    assert result.returncode == 1
    assert f"FAILED gcp/{GCP_PROJECT}: " in result.stdout
    assert "Traceback" not in result.stderr
