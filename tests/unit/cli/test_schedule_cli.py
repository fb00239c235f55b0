"""``costwarden plan`` / ``costwarden apply``: arguments and exit statuses, no cloud needed.

Everything here fails before any API call (bad ``--at``, bad policy, bad settings, a policy
without targets), so it runs without an emulator. Planning and applying against real SDK
clients is in ``tests/integration/scheduling_functions/test_schedule_cli.py``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from unit.cli.costwarden_command import COSTWARDEN, command_env, run_costwarden

POLICY = """
version: 1
slack:
  default_channel: "#finops"
schedules:
  office-hours:
    timezone: Europe/Berlin
    periods:
      - days: [mon-fri]
        start: "08:00"
        stop: "19:00"
scheduling:
  rules:
    - name: dev
      schedule: office-hours
      match: {tags: {Environment: [dev]}}
"""


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY)
    return path


def test_plan_and_apply_are_listed_in_the_help() -> None:
    result = run_costwarden("--help")

    assert result.returncode == 0
    assert "plan" in result.stdout
    assert "apply" in result.stdout


@pytest.mark.parametrize("command", ["plan", "apply"])
def test_a_time_without_an_offset_is_refused(command: str, policy: Path) -> None:
    """A naive time means different instants on a laptop and in CI: refused, nothing done."""
    result = run_costwarden(
        command, "--policy", policy, "--cloud", "azure", "--at", "2026-11-20T19:15:00"
    )

    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: --at '2026-11-20T19:15:00' has no UTC offset: add Z or +01:00"
    )
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("at", ["tonight", "2026-13-01T00:00:00Z", ""])
def test_an_unreadable_time_is_refused(at: str, policy: Path) -> None:
    result = run_costwarden("plan", "--policy", policy, "--cloud", "gcp", "--at", at)

    assert result.returncode == 2
    assert result.stderr.startswith(f"error: --at {at!r} is not an ISO 8601 time")


def test_a_missing_policy_file_exits_2_with_its_problem(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"

    result = run_costwarden(
        "plan", "--policy", missing, "--cloud", "aws", "--at", "2026-11-20T19:15Z"
    )

    assert result.returncode == 2
    assert result.stderr.strip() == f"{missing}: (file): no such file"


def test_an_invalid_policy_lists_its_problems(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY.replace("schedule: office-hours", "schedule: office-ours"))

    result = run_costwarden("plan", "--policy", path, "--cloud", "azure")

    assert result.returncode == 2
    assert "office-ours" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("cloud", ["azure", "gcp"])
def test_a_policy_without_targets_for_the_cloud_is_bad_input(cloud: str, policy: Path) -> None:
    result = run_costwarden("plan", "--policy", policy, "--cloud", cloud)

    assert result.returncode == 2
    section = "subscriptions" if cloud == "azure" else "projects"
    assert result.stderr.strip() == f"error: the policy lists no targets.{cloud}.{section}"


def test_an_unknown_cloud_is_a_usage_error(policy: Path) -> None:
    result = run_costwarden("plan", "--policy", policy, "--cloud", "oracle")

    assert result.returncode == 2
    assert "oracle" in result.stderr


def test_a_misspelt_setting_is_bad_input(policy: Path) -> None:
    """``COSTWARDEN_*`` settings are read as the functions read them: strictly."""
    result = subprocess.run(
        [str(COSTWARDEN), "plan", "--policy", str(policy), "--cloud", "gcp"],
        env={**command_env(), "COSTWARDEN_DRYRUN": "true"},
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 2
    assert "COSTWARDEN_DRYRUN" in result.stderr
