"""``costwarden budget parse FILE``: the normalized alerts of a raw payload, one JSON line each.

The happy paths run in-process through typer's ``CliRunner`` (the same ``app`` object the
console script calls; fast enough for every sample). Everything about exit statuses and
tracebacks runs the installed command in a subprocess, because that is where a stray exception
would show up as a traceback on the user's terminal.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from costwarden.cli import app
from unit.cli.costwarden_command import EVENTS, MALFORMED, run_costwarden

CLOUDS = ("aws", "azure", "gcp")

# The fields issue 1 asks every normalized alert to carry, whatever the cloud.
REQUIRED_KEYS = {
    "provider",
    "budget_name",
    "budget_id",
    "scope",
    "period_start",
    "currency",
    "budget_amount",
    "actual_amount",
    "forecast_amount",
    "threshold_percent",
    "threshold_kind",
    "crossed",
}
# Money and percentages are JSON numbers (jq and dashboards do arithmetic on them), never
# strings. Only the budget is always there: an AWS forecast alert carries no actual spend, a
# Google one no forecast amount, a Google status update no threshold.
NUMBERS_OR_NULL = ("actual_amount", "forecast_amount", "threshold_amount", "threshold_percent")

# Azure's legacy schema carries no timestamp at all, so the normalizer dates the alert by when
# it was received: on the command line that is "now", unlike the paired fixtures, which are
# normalized at a fixed instant.
RECEIPT_DATED_SCHEMAS = {"AIP Budget Notification"}

# A line is "short" when it fits a terminal or two; a dumped payload or model would not.
SHORT_LINE = 300


def _paired_events() -> list[Path]:
    return sorted(
        path
        for path in EVENTS.glob("*/budget_*.json")
        if not path.name.endswith(".expected.json")
        and path.with_name(f"{path.stem}.expected.json").exists()
    )


PAIRED = _paired_events()
FIRST_SAMPLE = {cloud: next(p for p in PAIRED if p.parent.name == cloud) for cloud in CLOUDS}


def _event_id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def _expected_lines(event: Path) -> list[dict[str, Any]]:
    """The expected file's objects as the command prints them: without ``dedup_key``."""
    expected = json.loads(event.with_name(f"{event.stem}.expected.json").read_text("utf-8"))
    return [{k: v for k, v in item.items() if k != "dedup_key"} for item in expected]


def _json_lines(stdout: str) -> list[dict[str, Any]]:
    assert stdout.endswith("\n"), "output must end with a newline"
    objects = [json.loads(line) for line in stdout.splitlines()]
    assert all(isinstance(obj, dict) for obj in objects), "every line is one JSON object"
    return objects


def _month_start(day: date) -> str:
    return day.replace(day=1).isoformat()


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _assert_one_short_error_line(stderr: str, *, names: Path | str) -> str:
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, f"expected one error line, got:\n{stderr}"
    line = lines[0]
    assert line.startswith("error: ")
    assert str(names) in line
    assert len(line) <= SHORT_LINE, line
    return line


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


def test_every_cloud_has_paired_sample_events() -> None:
    # Guards the parametrization below against silently testing nothing.
    assert {p.parent.name for p in PAIRED} == set(CLOUDS)


@pytest.mark.parametrize("event", PAIRED, ids=_event_id)
def test_budget_parse_prints_the_expected_alerts_one_json_object_per_line(
    event: Path, runner: CliRunner
) -> None:
    before = datetime.now(UTC).date()
    result = runner.invoke(app, ["budget", "parse", str(event)])
    after = datetime.now(UTC).date()

    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    printed = _json_lines(result.stdout)
    expected = _expected_lines(event)
    if json.loads(event.read_text("utf-8")).get("schemaId") in RECEIPT_DATED_SCHEMAS:
        # Dated by receipt: this month (either side of a month boundary crossed mid-test).
        receipt_months = {_month_start(before), _month_start(after)}
        for alert in printed:
            assert alert["period_start"] in receipt_months
        expected = [
            {**item, "period_start": alert["period_start"]}
            for item, alert in zip(expected, printed, strict=True)
        ]
    assert printed == expected


@pytest.mark.parametrize("event", PAIRED, ids=_event_id)
def test_budget_parse_output_has_the_issue_fields_and_numeric_amounts(
    event: Path, runner: CliRunner
) -> None:
    result = runner.invoke(app, ["budget", "parse", str(event)])

    assert result.exit_code == 0, result.output
    for alert in _json_lines(result.stdout):
        assert alert.keys() >= REQUIRED_KEYS, sorted(REQUIRED_KEYS - alert.keys())
        assert "dedup_key" not in alert
        assert _is_number(alert["budget_amount"]), alert["budget_amount"]
        assert _is_number(alert["actual_amount"]) or _is_number(alert["forecast_amount"])
        for key in NUMBERS_OR_NULL:
            assert alert[key] is None or _is_number(alert[key]), f"{key}={alert[key]!r}"
        assert isinstance(alert["crossed"], bool)


@pytest.mark.parametrize("cloud", CLOUDS)
def test_forcing_the_right_provider_prints_what_detection_prints(
    cloud: str, runner: CliRunner
) -> None:
    event = str(FIRST_SAMPLE[cloud])

    detected = runner.invoke(app, ["budget", "parse", event])
    forced = runner.invoke(app, ["budget", "parse", "--provider", cloud, event])

    assert forced.exit_code == 0, forced.output
    assert forced.stdout == detected.stdout
    assert _json_lines(forced.stdout)[0]["provider"] == cloud


@pytest.mark.parametrize(
    ("cloud", "forced"),
    [(cloud, other) for cloud in CLOUDS for other in CLOUDS if other != cloud],
)
def test_forcing_the_wrong_provider_exits_2_with_one_error_line(cloud: str, forced: str) -> None:
    event = FIRST_SAMPLE[cloud]

    result = run_costwarden("budget", "parse", "--provider", forced, event)

    assert result.returncode == 2
    assert result.stdout == ""
    _assert_one_short_error_line(result.stderr, names=event)


def test_an_unknown_provider_value_is_a_usage_error_not_a_traceback() -> None:
    result = run_costwarden("budget", "parse", "--provider", "oracle", FIRST_SAMPLE["aws"])

    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert "--provider" in result.stderr


@pytest.mark.parametrize("bad", sorted(MALFORMED.iterdir()), ids=lambda p: p.name)
def test_malformed_payload_exits_2_with_one_short_error_line_naming_the_file(bad: Path) -> None:
    result = run_costwarden("budget", "parse", bad)

    assert result.returncode == 2
    assert result.stdout == ""
    _assert_one_short_error_line(result.stderr, names=bad)


def test_malformed_folder_is_not_empty() -> None:
    assert len(list(MALFORMED.iterdir())) >= 10


def test_a_missing_file_exits_2_with_one_error_line(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-event.json"

    result = run_costwarden("budget", "parse", missing)

    assert result.returncode == 2
    assert result.stdout == ""
    _assert_one_short_error_line(result.stderr, names=missing)


def test_a_folder_instead_of_a_file_exits_2_with_one_error_line(tmp_path: Path) -> None:
    result = run_costwarden("budget", "parse", tmp_path)

    assert result.returncode == 2
    _assert_one_short_error_line(result.stderr, names=tmp_path)


def test_a_file_that_is_not_utf8_exits_2_with_one_error_line(tmp_path: Path) -> None:
    binary = tmp_path / "payload.json"
    binary.write_bytes(b"\xff\xfe\x00{not text")

    result = run_costwarden("budget", "parse", binary)

    assert result.returncode == 2
    _assert_one_short_error_line(result.stderr, names=binary)


def test_deeply_nested_json_exits_2_not_with_a_traceback(tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000)

    result = run_costwarden("budget", "parse", deep)

    assert result.returncode == 2
    _assert_one_short_error_line(result.stderr, names=deep)
