"""``costwarden policy validate``, ``costwarden --help`` and the demo's argument errors.

All run the installed command in a subprocess: exit statuses and the absence of tracebacks are
what these pin.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from unit.cli.costwarden_command import REPO, run_costwarden

SHIPPED_POLICIES = [
    REPO / "policy.example.yaml",
    REPO / "shared" / "costwarden" / "policy" / "default.yaml",
]

# Two problems at known lines: a misspelt key (line 7) and a route naming no known team (line 11).
BROKEN_POLICY = """\
version: 1
slack:
  default_channel: "#finops-alerts"
teams:
  platform:
    slack_channel: "C0123456789"
    mentons: ["U0ALICE001"]
budgets:
  routes:
    - provider: aws
      team: nobody
"""


@pytest.mark.parametrize("policy", SHIPPED_POLICIES, ids=lambda p: p.name)
def test_the_shipped_policies_validate(policy: Path) -> None:
    result = run_costwarden("policy", "validate", policy)

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.startswith(f"{policy}: valid (version 1, ")


def test_a_broken_policy_exits_2_with_one_file_line_field_message_per_problem(
    tmp_path: Path,
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(BROKEN_POLICY, encoding="utf-8")

    result = run_costwarden("policy", "validate", policy)

    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    problem = re.compile(rf"^{re.escape(str(policy))}:(\d+): (\S+): (.+)$")
    problems = []
    for line in result.stderr.splitlines():
        match = problem.match(line)
        assert match, f"not file:line: field: message: {line!r}"
        problems.append((int(match[1]), match[2], match[3]))
    assert [(line, field) for line, field, _ in problems] == [
        (7, "teams.platform.mentons"),
        (11, "budgets.routes[0].team"),
    ]
    assert "mentions" in problems[0][2]  # suggests the key that was meant
    assert "nobody" in problems[1][2]


def test_a_missing_policy_file_exits_2_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "policy.yaml"

    result = run_costwarden("policy", "validate", missing)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [f"{missing}: (file): no such file"]


def test_a_policy_that_is_not_yaml_exits_2_with_the_yaml_line(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text('version: 1\nslack: {default_channel: "#x"\n', encoding="utf-8")

    result = run_costwarden("policy", "validate", policy)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert re.match(rf"^{re.escape(str(policy))}:\d+: \(yaml\): ", result.stderr)


def test_help_lists_the_budget_policy_and_demo_commands() -> None:
    result = run_costwarden("--help")

    assert result.returncode == 0
    for command in ("budget", "policy", "demo"):
        assert re.search(rf"^\W*{command}\s", result.stdout, re.MULTILINE), result.stdout


@pytest.mark.parametrize(("group", "command"), [("budget", "parse"), ("policy", "validate")])
def test_each_group_help_lists_its_command(group: str, command: str) -> None:
    result = run_costwarden(group, "--help")

    assert result.returncode == 0
    assert re.search(rf"^\W*{command}\s", result.stdout, re.MULTILINE), result.stdout


def test_demo_with_a_file_as_workdir_exits_2_with_one_error_line(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "state"
    not_a_folder.write_text("", encoding="utf-8")

    result = run_costwarden("demo", "--workdir", not_a_folder, cwd=tmp_path)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [f"error: {not_a_folder}: File exists"]


def test_demo_with_a_missing_events_folder_exits_2_instead_of_delivering_nothing(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "events"

    result = run_costwarden("demo", "--events", missing, "--workdir", tmp_path, cwd=tmp_path)

    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"error: {missing}: not a folder of sample events"]
    assert not (tmp_path / "state.sqlite3").exists()
