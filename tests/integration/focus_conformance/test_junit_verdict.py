"""Reading focus-validator's JUnit report and judging it against the allow-list (no validator run).

The XML below has the shape focus-validator 2.2.1 writes with ``--output-type unittest``: totals
on <testsuites>, one <testcase name="RuleId :: Function"> per rule, errored rules gathered in a
"Base-Unknown" suite.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

JUNIT = """<?xml version='1.0' encoding='utf-8'?>
<testsuites name="FOCUS Validations" tests="6" failures="3" errors="1" skipped="1"
            assertions="None" time="0" timestamp="2026-11-29T16:21:07">
  <testsuite name="Base-Unknown" time="0">
    <testcase name="Tags-C-001-M :: None" time="0">
      <error message="Validation rule Tags-C-001-M failed [Upstream dependency failed: x]" />
    </testcase>
  </testsuite>
  <testsuite name="BillingCurrency-C-006-BillingCurrency" time="0">
    <testcase name="BillingCurrency-C-006-M :: Validation" time="0">
      <failure name="BillingCurrency-C-006-M" message="Validation check for BillingCurrency"
               type="AssertionError">Failed</failure>
    </testcase>
  </testsuite>
  <testsuite name="CostAndUsage-D-000-CostAndUsage" time="0">
    <testcase name="CostAndUsage-D-000-M :: Composite" time="0">
      <failure name="CostAndUsage-D-000-M" message="Composite check" type="AssertionError" />
    </testcase>
  </testsuite>
  <testsuite name="InvoiceId-C-004-InvoiceId" time="0">
    <testcase name="InvoiceId-C-004-C :: Validation" time="0">
      <failure name="InvoiceId-C-004-C" message="Validation check for InvoiceId" />
    </testcase>
  </testsuite>
  <testsuite name="AvailabilityZone-C-003-AvailabilityZone" time="0">
    <testcase name="AvailabilityZone-C-003-C :: Nullability" time="0">
      <skipped message="Nullability check for AvailabilityZone" />
    </testcase>
    <testcase name="AvailabilityZone-C-001-M :: Type" time="0" />
  </testsuite>
</testsuites>
"""


def test_junit_report_yields_totals_and_the_rules_that_did_not_pass(
    focus_runner: ModuleType,
) -> None:
    result = focus_runner.parse_junit(JUNIT)

    assert (result.tests, result.failures, result.errors, result.skipped) == (6, 3, 1, 1)
    assert result.passed == 1
    assert set(result.failed) == {
        "BillingCurrency-C-006-M",
        "CostAndUsage-D-000-M",
        "InvoiceId-C-004-C",
    }
    assert result.errored == {
        "Tags-C-001-M": "Validation rule Tags-C-001-M failed [Upstream dependency failed: x]"
    }


def test_junit_totals_that_disagree_with_the_test_cases_are_rejected(
    focus_runner: ModuleType,
) -> None:
    with pytest.raises(focus_runner.ValidatorError, match="disagree"):
        focus_runner.parse_junit(JUNIT.replace('failures="3"', 'failures="0"'))


def test_a_report_that_is_not_junit_is_rejected(focus_runner: ModuleType) -> None:
    with pytest.raises(focus_runner.ValidatorError):
        focus_runner.parse_junit("Traceback (most recent call last):")


# As in the 1.2 model: the dataset rule is an AND of column rules, each an AND of leaf rules.
TREE = {
    "CostAndUsage-D-000-M": ("CommitmentDiscountStatus-C-000-C", "BillingCurrency-C-000-M"),
    "CommitmentDiscountStatus-C-000-C": (
        "CommitmentDiscountStatus-C-003-C",
        "CommitmentDiscountStatus-C-004-C",
    ),
    "BillingCurrency-C-000-M": ("BillingCurrency-C-006-M",),
}
ALLOW = {"CommitmentDiscountStatus-C-004-C": "a documented validator defect"}


def _result(focus_runner: ModuleType, *failed: str) -> object:
    return focus_runner.JUnitResult(
        tests=20,
        failures=len(failed),
        errors=0,
        skipped=0,
        failed=dict.fromkeys(failed, "failed"),
        errored={},
    )


def test_composites_failing_only_through_allow_listed_rules_are_excused(
    focus_runner: ModuleType,
) -> None:
    result = _result(
        focus_runner,
        "CommitmentDiscountStatus-C-004-C",
        "CommitmentDiscountStatus-C-000-C",
        "CostAndUsage-D-000-M",
    )

    verdict = focus_runner.judge(result, ALLOW, TREE)

    assert verdict.ok
    assert verdict.allowed["CommitmentDiscountStatus-C-004-C"] == "a documented validator defect"
    assert verdict.allowed["CostAndUsage-D-000-M"] == (
        "fails only through allow-listed rules: CommitmentDiscountStatus-C-000-C"
    )


def test_a_real_failure_keeps_the_composites_above_it_failing(focus_runner: ModuleType) -> None:
    result = _result(
        focus_runner,
        "CommitmentDiscountStatus-C-004-C",
        "CommitmentDiscountStatus-C-000-C",
        "BillingCurrency-C-006-M",
        "BillingCurrency-C-000-M",
        "CostAndUsage-D-000-M",
    )

    verdict = focus_runner.judge(result, ALLOW, TREE)

    assert not verdict.ok
    assert set(verdict.unexpected) == {
        "BillingCurrency-C-006-M",
        "BillingCurrency-C-000-M",
        "CostAndUsage-D-000-M",
    }
    assert set(verdict.allowed) == {
        "CommitmentDiscountStatus-C-004-C",
        "CommitmentDiscountStatus-C-000-C",
    }


def test_a_failing_composite_with_no_failing_part_is_not_excused(
    focus_runner: ModuleType,
) -> None:
    result = _result(focus_runner, "CommitmentDiscountStatus-C-000-C")

    verdict = focus_runner.judge(result, ALLOW, TREE)

    assert set(verdict.unexpected) == {"CommitmentDiscountStatus-C-000-C"}


def test_allow_listed_rules_the_data_did_not_trip_are_reported(focus_runner: ModuleType) -> None:
    verdict = focus_runner.judge(_result(focus_runner), ALLOW, TREE)

    assert verdict.allow_listed_but_passed == ["CommitmentDiscountStatus-C-004-C"]


def test_the_allow_list_gives_a_reason_for_every_rule(focus_runner: ModuleType) -> None:
    allowed = focus_runner.load_allow_list()

    assert allowed
    assert all(len(reason) > 80 for reason in allowed.values())  # a reason, not a label


def test_an_allow_list_entry_without_a_reason_is_refused(
    focus_runner: ModuleType, tmp_path: Path
) -> None:
    path = tmp_path / "allowlist.toml"
    path.write_text('[InvoiceId-C-004-C]\nreason = " "\n', encoding="utf-8")

    with pytest.raises(focus_runner.ValidatorError, match=r"\[InvoiceId-C-004-C\] needs a reason"):
        focus_runner.load_allow_list(path)


def test_requirements_pin_the_validator_the_allow_list_was_checked_against(
    focus_runner: ModuleType,
) -> None:
    pins = dict(
        line.split("==", 1)
        for line in (focus_runner.HERE / "requirements.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )

    assert pins["focus-validator"] == focus_runner.VALIDATOR_VERSION
    # pyarrow 22+ needs numpy 2, which focus-validator 2.2.1 excludes (numpy<2).
    assert int(pins["pyarrow"].split(".")[0]) < 22
