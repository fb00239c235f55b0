"""``costwarden demo``: the local run a newcomer tries first, run as they would run it.

The command starts its own local Slack Web API and delivers every sample event twice to each
cloud's real handler. What it promises, checked from its output and the files it leaves:
round 1 posts, the redelivery posts nothing, the HTML preview shows the messages, and the SQLite
state holds one ``done`` record per posted message, so a later run with ``--keep-state`` posts
nothing at all.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EVENTS = REPO / "events"
COSTWARDEN = Path(sys.executable).parent / "costwarden"  # not resolved: .venv/bin, not pyenv's
DEMO_TIMEOUT_SECONDS = 300  # it normally takes ~2 s; a cold, loaded CI runner may be far slower

# "17 events delivered twice: round 1 posted 17 Slack messages, the redelivery posted 0."
SUMMARY = re.compile(r"round 1 posted (\d+) Slack messages, the redelivery posted (\d+)\.")


@dataclass(frozen=True)
class DemoRun:
    stdout: str
    round_1_posted: int
    round_2_posted: int


def run_demo(workdir: Path, *extra: str) -> DemoRun:
    # Nothing from the developer's shell may steer the run (a COSTWARDEN_POLICY_PATH would).
    env = {k: v for k, v in os.environ.items() if not k.startswith("COSTWARDEN_")}
    env.update({"NO_COLOR": "1", "COLUMNS": "200", "PYTHONIOENCODING": "utf-8"})
    result = subprocess.run(
        [str(COSTWARDEN), "demo", "--workdir", str(workdir), *extra],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=DEMO_TIMEOUT_SECONDS,
        check=False,
    )
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert "Traceback" not in result.stderr
    # rich wraps long lines even when told the terminal is wide; compare word by word.
    match = SUMMARY.search(" ".join(result.stdout.split()))
    assert match, f"no delivery summary in:\n{result.stdout}"
    return DemoRun(result.stdout, int(match[1]), int(match[2]))


def done_records(state: Path) -> list[tuple[str, str]]:
    """(key, Slack ts) of every ``done`` dedup record: one per posted message.

    ``thread/...`` records remember a thread's root message; they are not posts of their own.
    """
    with sqlite3.connect(f"file:{state}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            "SELECT key, status, data FROM costwarden_state WHERE key LIKE 'budget/%'"
        ).fetchall()
    assert all(status == "done" for _, status, _ in rows), rows
    return [(key, json.loads(data)["ts"]) for key, _, data in rows]


def sample_budget_names() -> set[str]:
    return {
        alert["budget_name"]
        for path in EVENTS.glob("*/budget_*.expected.json")
        for alert in json.loads(path.read_text("utf-8"))
    }


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoRun]:
    """One fresh demo run shared by the checks below (it is the slow part)."""
    workdir = tmp_path_factory.mktemp("demo")
    return workdir, run_demo(workdir)


def test_round_one_posts_and_the_redelivery_posts_nothing(first_run: tuple[Path, DemoRun]) -> None:
    _, run = first_run

    assert run.round_1_posted > 0
    assert run.round_2_posted == 0


def test_the_html_preview_shows_the_sample_budgets(first_run: tuple[Path, DemoRun]) -> None:
    workdir, _ = first_run
    preview = workdir / "slack-preview.html"

    assert preview.is_file()
    page = preview.read_text("utf-8")
    shown = {name for name in sample_budget_names() if name in page}
    assert shown, "the preview names none of the sample events' budgets"
    # Every AWS sample crosses a threshold and the Lambda handler takes them all.
    aws_names = {
        alert["budget_name"]
        for path in (EVENTS / "aws").glob("budget_*.expected.json")
        for alert in json.loads(path.read_text("utf-8"))
    }
    assert aws_names <= shown


def test_the_state_file_holds_one_done_record_per_posted_message(
    first_run: tuple[Path, DemoRun],
) -> None:
    workdir, run = first_run
    state = workdir / "state.sqlite3"

    assert state.is_file()
    records = done_records(state)
    assert len(records) == run.round_1_posted
    assert len({ts for _, ts in records}) == len(records), "each record names its own message"


def test_a_second_run_keeping_state_posts_nothing_in_either_round(tmp_path: Path) -> None:
    first = run_demo(tmp_path)
    records = done_records(tmp_path / "state.sqlite3")

    again = run_demo(tmp_path, "--keep-state")

    assert first.round_1_posted > 0
    assert (again.round_1_posted, again.round_2_posted) == (0, 0)
    assert done_records(tmp_path / "state.sqlite3") == records


def test_a_second_run_without_keep_state_starts_afresh(tmp_path: Path) -> None:
    first = run_demo(tmp_path)

    again = run_demo(tmp_path)

    assert again.round_1_posted == first.round_1_posted
    assert again.round_2_posted == 0
