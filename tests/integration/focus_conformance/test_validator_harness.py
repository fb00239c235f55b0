"""The focus-validator harness (tools/focus_validator/run.py) on hand-built FOCUS 1.2 data.

The validator exits 0 whatever it finds, so these tests pin that the harness reads its JUnit
verdict correctly: conformant data passes apart from the documented defects, and a real
violation fails the run even when it sits under the same dataset rule as a defect.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from costwarden.focus.checks import check_path
from integration.focus_conformance.conformance_support import CONFORMANT_ROWS, RUN_PY, WriteFocus

pytestmark = pytest.mark.integration

# Defects (allowlist.toml) that CONFORMANT_ROWS trip: the first three fire on any dataset with an
# on-demand charge and an invoice id, the last on any row in a capacity reservation.
TRIPPED_BY_CONFORMANT_ROWS = {
    "CommitmentDiscountStatus-C-004-C",
    "CapacityReservationStatus-C-004-C",
    "InvoiceId-C-004-C",
    "CapacityReservationStatus-C-003-C",
}


def _with_first_row(**changes: str | None) -> list[dict[str, str | None]]:
    return [{**CONFORMANT_ROWS[0], **changes}, *CONFORMANT_ROWS[1:]]


def test_conformant_focus_1_2_data_passes_apart_from_documented_defects(
    focus_runner: ModuleType, focus_validator: Any, write_focus: WriteFocus
) -> None:
    report = focus_runner.validate(write_focus(), install=focus_validator)

    assert report.ok, report.explain()
    assert report.validator_version == "2.2.1"
    assert set(report.verdict.allowed) >= TRIPPED_BY_CONFORMANT_ROWS
    # The dataset-level rule fails in the JUnit report, and is excused only through the defects.
    assert "CostAndUsage-D-000-M" in report.result.not_passed
    assert report.verdict.allowed["CostAndUsage-D-000-M"].startswith("fails only through")


def test_a_period_of_only_commitment_covered_usage_passes(
    focus_runner: ModuleType, focus_validator: Any, write_focus: WriteFocus
) -> None:
    # Every row has a CommitmentDiscountStatus ("Used"), which the validator's allowed values
    # (Active/Expired/Pending) reject once no null row dilutes the check.
    covered = [row for row in CONFORMANT_ROWS if row.get("CommitmentDiscountStatus") == "Used"]

    report = focus_runner.validate(write_focus(covered), install=focus_validator)

    assert report.ok, report.explain()
    assert "CommitmentDiscountStatus-C-005-M" in report.verdict.allowed


def test_an_unknown_currency_fails_the_run_naming_the_rule(
    focus_runner: ModuleType, focus_validator: Any, write_focus: WriteFocus
) -> None:
    # Also proves the validator found focus_validator/rules/currency_codes.csv in its workdir.
    report = focus_runner.validate(
        write_focus(_with_first_row(BillingCurrency="XYZ")), install=focus_validator
    )

    assert not report.ok
    assert "BillingCurrency-C-006-M" in report.verdict.unexpected
    assert "ISO 4217" in report.details["BillingCurrency-C-006-M"]


def test_a_missing_mandatory_column_fails_the_run(
    focus_runner: ModuleType, focus_validator: Any, write_focus: WriteFocus
) -> None:
    report = focus_runner.validate(write_focus(drop=["BilledCost"]), install=focus_validator)

    assert not report.ok
    assert "CostAndUsage-D-006-M" in report.verdict.unexpected  # BilledCost MUST be present
    assert report.result.errors > 0  # rules on the missing column are <error>s, not <failure>s


def test_a_violation_beside_a_defect_fails_the_dataset_rule_they_share(
    focus_runner: ModuleType, focus_validator: Any, write_focus: WriteFocus
) -> None:
    # A non-Usage charge must not carry a ConsumedQuantity (ConsumedQuantity-C-004-C). Its failure
    # reaches CostAndUsage-D-002-M, which the allow-listed defects also fail.
    rows = _with_first_row(ChargeCategory="Purchase")

    report = focus_runner.validate(write_focus(rows), install=focus_validator)

    assert {"ConsumedQuantity-C-004-C", "CostAndUsage-D-002-M", "CostAndUsage-D-000-M"} <= set(
        report.verdict.unexpected
    ), report.explain()


def test_the_command_line_prints_a_json_summary_and_exits_1_on_a_failure(
    focus_validator: Any, write_focus: WriteFocus, tmp_path: Path
) -> None:
    good = write_focus(name="good")
    bad = write_focus(_with_first_row(BillingCurrency="XYZ"), name="bad")

    done = subprocess.run(
        [sys.executable, str(RUN_PY), str(good), str(bad), "--junit-dir", str(tmp_path / "junit")],
        capture_output=True,
        text=True,
        check=False,
        env={"FOCUS_VALIDATOR_VENV": str(focus_validator.venv), "PATH": "/usr/bin:/bin"},
    )

    assert done.returncode == 1, done.stderr
    summaries = json.loads(done.stdout)
    assert [s["ok"] for s in summaries] == [True, False]
    assert summaries[0]["applicability_criteria"] == "ALL"
    assert summaries[0]["focus_version"] == "1.2"
    assert summaries[0]["unexpected"] == {}
    assert "BillingCurrency-C-006-M" in summaries[1]["unexpected"]
    assert sorted(p.name for p in (tmp_path / "junit").iterdir()) == ["000-good.xml", "001-bad.xml"]
    assert "FAILED BillingCurrency-C-006-M" in done.stderr


def test_the_command_line_exits_2_when_the_validator_is_not_installed(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(RUN_PY), str(tmp_path / "any.parquet"), "--venv", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 2
    assert "focus-validator is not installed" in done.stderr


def test_every_allow_listed_rule_exists_in_the_validators_rules_model(
    focus_runner: ModuleType, focus_validator: Any
) -> None:
    allowed = focus_runner.load_allow_list()

    assert set(allowed) <= focus_validator.rule_ids()


@pytest.mark.parametrize(
    ("what", "rows", "column"),
    [
        ("an unknown ChargeCategory", _with_first_row(ChargeCategory="Bogus"), "ChargeCategory"),
        ("nested Tags", _with_first_row(Tags='{"a": {"b": "c"}}'), "Tags"),
        (
            "a charge period ending before it starts",
            _with_first_row(ChargePeriodEnd="2025-06-01 00:00:00+00"),
            "ChargePeriod",
        ),
    ],
)
def test_row_faults_the_validator_misses_are_caught_by_our_own_checks(
    focus_runner: ModuleType,
    focus_validator: Any,
    write_focus: WriteFocus,
    what: str,
    rows: list[dict[str, str | None]],
    column: str,
) -> None:
    # Pins docs/focus-conformance.md "What the validator does not check": allowed values are
    # checked per dataset (one valid row passes the column), Tags' flatness and period order
    # not at all. A validator upgrade that starts catching one fails here: update the doc then.
    path = write_focus(rows)

    report = focus_runner.validate(path, install=focus_validator, details=False)
    ours = check_path(path)

    family = {"ChargeCategory": "ChargeCategory-", "Tags": "Tags-"}.get(column)
    missed = (
        not any(rule.startswith(family) for rule in report.verdict.unexpected)
        if family
        else report.ok
    )
    assert missed, f"focus-validator now catches {what}:\n{report.explain()}"
    assert not ours.ok
    assert column in ours.summary(), ours.summary()


def test_the_validator_misses_a_cost_stored_as_text(
    focus_runner: ModuleType, focus_validator: Any, write_focus: WriteFocus
) -> None:
    # Its loader casts Decimal columns to float64, so the Parquet type is never looked at;
    # test_converted_output_has_the_focus_column_types holds costwarden's output to FOCUS types.
    path = write_focus(types={"BilledCost": "VARCHAR"})

    report = focus_runner.validate(path, install=focus_validator, details=False)

    assert report.ok, "focus-validator now checks Parquet types: update docs/focus-conformance.md"
