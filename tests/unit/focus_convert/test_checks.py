"""Row-level FOCUS checks: each rule catches its rows, keeps at most five samples, severities."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import duckdb
import pytest

from costwarden.focus import FocusInputError
from costwarden.focus.checks import CheckReport, check_path, run_checks
from costwarden.focus.convert import convert
from costwarden.focus.schema import COLUMN_NAMES
from unit.focus_convert import legacy_cur as cur
from unit.focus_convert import legacy_cur_expected as want


@pytest.fixture(scope="module")
def good_focus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("good")
    convert(
        "aws-cur-legacy",
        [cur.write_csv(folder / "cur.csv", cur.line_items())],
        output=folder / "focus.parquet",
    )
    return folder / "focus.parquet"


def _check_with(good_focus: Path, **changes: str) -> CheckReport:
    """Our converted rows with ``column=SQL expression`` replacements, checked."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    replaced = ", ".join(f'{expr} AS "{column}"' for column, expr in changes.items())
    con.execute(
        f"CREATE TABLE focus AS SELECT * REPLACE ({replaced}) FROM read_parquet('{good_focus}')"
    )
    return run_checks(con, "focus")


def _errors(report: CheckReport) -> dict[str, int]:
    return {r.rule.id: r.failing for r in report.errors}


def test_converted_rows_pass_every_error_rule(good_focus: Path) -> None:
    report = check_path(good_focus)
    assert report.ok, report.summary()
    assert report.rows == len(want.EXPECTED)
    assert not report.problems
    assert len(report.results) > 60


ERROR_CASES: dict[str, tuple[dict[str, str], str, int]] = {
    "an enum value": (
        {"ChargeCategory": "CASE WHEN x_LineItemId = 'tax' THEN 'Taxes' ELSE ChargeCategory END"},
        "ChargeCategory.allowed-values",
        1,
    ),
    "a null mandatory column": (
        {"BilledCost": "CASE WHEN x_RowKind = 'unused' THEN NULL ELSE BilledCost END"},
        "BilledCost.not-null",
        2,
    ),
    "a currency that is not ISO 4217": (
        {"BillingCurrency": "'US$'"},
        "BillingCurrency.iso-4217",
        len(want.EXPECTED),
    ),
    # FOCUS 1.2 dataset rules the validator checks (ServiceName-C-005-C, SkuPriceId-C-008-M):
    # every row of the offending key fails, here all 9 EC2 rows and the 14 with a SkuId.
    "a service name with two categories": (
        {
            "ServiceCategory": "CASE WHEN x_LineItemId = 'u-ec2' THEN 'Other' "
            "ELSE ServiceCategory END",
            "ServiceSubcategory": "CASE WHEN x_LineItemId = 'u-ec2' THEN 'Other (Other)' "
            "ELSE ServiceSubcategory END",
        },
        "ServiceName.one-category",
        9,
    ),
    "a price id under several SKUs": (
        {"SkuPriceId": "CASE WHEN SkuId IS NOT NULL THEN 'one-price' END"},
        "SkuPriceId.one-sku",
        14,
    ),
    "a charge period ending before it starts": (
        {"ChargePeriodEnd": "ChargePeriodStart - INTERVAL 1 HOUR"},
        "ChargePeriod.start-before-end",
        len(want.EXPECTED),
    ),
    "a billing period ending at its start": (
        {"BillingPeriodEnd": "BillingPeriodStart"},
        "BillingPeriod.start-before-end",
        len(want.EXPECTED),
    ),
    "a subcategory under the wrong category": (
        {
            "ServiceSubcategory": "CASE WHEN x_LineItemId = 'u-s3' THEN 'Virtual Machines' "
            "ELSE ServiceSubcategory END"
        },
        "ServiceSubcategory.parent-category",
        1,
    ),
    "a usage-based purchase": (
        {
            "ChargeFrequency": "CASE WHEN ChargeCategory = 'Purchase' THEN 'Usage-Based' "
            "ELSE ChargeFrequency END"
        },
        "ChargeFrequency.purchase-not-usage-based",
        4,
    ),
    "nested tags": (
        {
            "Tags": 'CASE WHEN x_LineItemId = \'u-ec2\' THEN \'{"team": {"name": "x"}}\' '
            "ELSE Tags END"
        },
        "Tags.flat-json-object",
        1,
    ),
    "tags that are a list": ({"Tags": "'[\"a\"]'"}, "Tags.flat-json-object", len(want.EXPECTED)),
    "tags that are not JSON": (
        {"Tags": "CASE WHEN x_LineItemId = 'u-s3' THEN 'team=data' ELSE Tags END"},
        "Tags.flat-json-object",
        1,
    ),
    "tags with a duplicate key": (
        {"Tags": 'CASE WHEN x_LineItemId = \'u-s3\' THEN \'{"a": "1", "a": "2"}\' ELSE Tags END'},
        "Tags.flat-json-object",
        1,
    ),
}


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_each_error_rule_counts_the_rows_breaking_it(case: str, good_focus: Path) -> None:
    changes, rule, count = ERROR_CASES[case]
    report = _check_with(good_focus, **changes)
    assert _errors(report) == {rule: count}
    assert not report.ok
    (result,) = report.errors
    assert 1 <= len(result.samples) <= 5
    assert all(set(result.rule.columns) <= set(sample) for sample in result.samples)


def test_flat_tags_with_numbers_booleans_and_nulls_pass(good_focus: Path) -> None:
    report = _check_with(good_focus, Tags='\'{"a": 1, "b": true, "c": null, "d": "x"}\'')
    assert _errors(report) == {}


def test_samples_stop_at_five_rows(good_focus: Path) -> None:
    report = _check_with(good_focus, BillingCurrency="'usd'")
    (result,) = report.errors
    assert result.failing == len(want.EXPECTED)
    assert len(result.samples) == 5


def test_the_summary_shows_the_values_it_refused(good_focus: Path) -> None:
    # A real FOCUS export (Oracle's rows in the FinOps Foundation's FOCUS 1.0 sample) writes
    # 'Usage-based'; the refusal must say so, not only which rule failed.
    report = _check_with(
        good_focus,
        ChargeFrequency=(
            "CASE WHEN x_RowKind = 'unused' THEN 'Usage-based' ELSE ChargeFrequency END"
        ),
        Tags="'{\"team\": \"' || repeat('x', 200) || '\"'",
    )
    lines = report.summary().splitlines()
    assert lines[0].startswith("ChargeFrequency.allowed-values: 2 of")
    assert lines[0].endswith("; e.g. ChargeFrequency='Usage-based'")
    (tags,) = [line for line in lines if line.startswith("Tags.")]
    assert 'e.g. Tags=\'{"team": "xxx' in tags
    assert tags.endswith("…")
    assert len(tags.split("e.g. Tags=")[1]) == 80


def test_a_service_name_with_two_subcategories_is_a_warning(good_focus: Path) -> None:
    # FOCUS says SHOULD for the subcategory (ServiceName-C-008-C), MUST for the category.
    report = _check_with(
        good_focus,
        ServiceSubcategory=(
            "CASE WHEN x_LineItemId = 'u-ec2' THEN 'Other (Compute)' ELSE ServiceSubcategory END"
        ),
    )
    assert report.ok
    warned = {r.rule.id: r.failing for r in report.warnings}
    assert warned["ServiceName.one-subcategory"] == 9
    assert "ServiceName.one-subcategory" not in {r.rule.id for r in check_path(good_focus).warnings}


def test_a_null_key_or_value_does_not_count_as_a_second_value(good_focus: Path) -> None:
    report = _check_with(
        good_focus,
        SkuId="CASE WHEN x_LineItemId = 'u-ec2' THEN NULL ELSE SkuId END",
        SkuPriceId="CASE WHEN SkuId IS NULL THEN NULL ELSE 'p-' || SkuId END",
    )
    assert "SkuPriceId.one-sku" not in _errors(report)


def test_conditional_rules_are_warnings_that_do_not_fail_the_data(good_focus: Path) -> None:
    report = _check_with(
        good_focus,
        RegionName="NULL",
        SkuId="CASE WHEN x_LineItemId = 'u-s3' THEN NULL END",
        PricingUnit="CASE WHEN PricingUnit IS NOT NULL THEN 'GB-Mo' END",
    )
    assert report.ok
    warned = {r.rule.id for r in report.warnings}
    assert "RegionName.null-with-RegionId" in warned
    assert "SkuId.set-for-usage-and-purchase" in warned
    assert "PricingUnit.unit-format" in warned


def _write_focus_csv(path: Path, rows: list[dict[str, Any]], extra: tuple[str, ...] = ()) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=[*COLUMN_NAMES, *extra])
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
    return path


def _csv_row(**values: str) -> dict[str, str]:
    base = {
        "BilledCost": "1.5",
        "EffectiveCost": "1.5",
        "ListCost": "1.5",
        "ContractedCost": "1.5",
        "BillingAccountId": "012345678901",
        "BillingAccountName": "payer",
        "BillingCurrency": "EUR",
        "BillingPeriodStart": "2025-11-01T00:00:00Z",
        "BillingPeriodEnd": "2025-12-01T00:00:00Z",
        "ChargePeriodStart": "2025-11-02T00:00:00Z",
        "ChargePeriodEnd": "2025-11-03T00:00:00Z",
        "ChargeCategory": "Credit",
        "ChargeFrequency": "One-Time",
        "ChargeDescription": "credit",
        "InvoiceIssuerName": "AWS",
        "ProviderName": "AWS",
        "PublisherName": "AWS",
        "ServiceCategory": "Compute",
        "ServiceSubcategory": "Virtual Machines",
        "ServiceName": "Amazon EC2",
        "PricingCurrency": "EUR",
        "PricingCurrencyEffectiveCost": "1.5",
    }
    return {**base, **values}


def test_a_focus_csv_is_checked_for_types_and_the_datetime_format(tmp_path: Path) -> None:
    path = _write_focus_csv(
        tmp_path / "focus.csv",
        [
            _csv_row(),
            _csv_row(BilledCost="1,5"),
            _csv_row(ChargePeriodStart="2025-11-02 00:00:00"),
        ],
    )
    report = check_path(path)
    assert _errors(report) == {"BilledCost.type": 1, "ChargePeriodStart.datetime-format": 1}


def test_a_custom_column_without_the_x_prefix_is_a_dataset_problem(tmp_path: Path) -> None:
    path = _write_focus_csv(tmp_path / "focus.csv", [_csv_row()], extra=("Id", "x_Team"))
    report = check_path(path)
    assert report.problems == (
        "columns.custom-prefix: Id is not a FOCUS 1.2 column and lacks the x_ prefix",
    )
    assert not report.ok


def test_a_missing_mandatory_column_is_a_dataset_problem(tmp_path: Path) -> None:
    path = tmp_path / "focus.csv"
    path.write_text("BilledCost,x_Other\n1,2\n", encoding="utf-8")
    report = check_path(path)
    assert "columns.mandatory: the mandatory column ServiceName is missing" in report.problems
    assert "ServiceName.not-null" in report.skipped


def test_a_folder_of_partitions_is_checked_without_partition_columns(tmp_path: Path) -> None:
    convert(
        "aws-cur-legacy",
        [cur.write_csv(tmp_path / "cur.csv", cur.line_items())],
        output=tmp_path / "focus",
    )
    report = check_path(tmp_path / "focus")
    assert report.ok
    assert not report.problems


@pytest.mark.parametrize("name", ["missing.parquet", "empty-folder"])
def test_unreadable_input_is_an_input_error(name: str, tmp_path: Path) -> None:
    (tmp_path / "empty-folder").mkdir()
    with pytest.raises(FocusInputError):
        check_path(tmp_path / name)
