"""FocusCostDrivers: the files it reads (CSV, Parquet, globs, hive folders) and how it fails."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

duckdb = pytest.importorskip("duckdb")

from costwarden.adapters.focus.duckdb_cost_drivers import (  # noqa: E402
    CostDataError,
    FocusCostDrivers,
)
from costwarden.errors import CostwardenError  # noqa: E402
from costwarden.models.notification import CostDriver  # noqa: E402

WriteFocus = Callable[..., Path]
NOV = date(2026, 11, 1)


def to_parquet(csv_path: Path, parquet_path: Path, *, typed: bool = True) -> Path:
    """Write ``csv_path`` as Parquet with the types a FOCUS writer would use."""
    parquet_path.parent.mkdir(parents=True, exist_ok=True)
    columns = (
        "* REPLACE (CAST(EffectiveCost AS DECIMAL(18, 6)) AS EffectiveCost, "
        "CAST(ChargePeriodStart AS TIMESTAMPTZ) AS ChargePeriodStart)"
        if typed
        else "*"
    )
    con = duckdb.connect()
    try:
        con.execute(
            f"COPY (SELECT {columns} FROM read_csv(?, all_varchar = true)) "
            f"TO '{parquet_path}' (FORMAT parquet)",
            [str(csv_path)],
        )
    finally:
        con.close()
    return parquet_path


# -- formats ---------------------------------------------------------------------------------
def test_parquet_with_typed_columns_is_read(write_focus: WriteFocus, tmp_path: Path) -> None:
    csv_path = write_focus(
        [
            {"ServiceName": "EC2", "EffectiveCost": "12.3456"},
            {"ServiceName": "S3", "EffectiveCost": "1"},
        ]
    )
    parquet = to_parquet(csv_path, tmp_path / "out" / "focus.parquet")
    drivers = FocusCostDrivers([parquet]).top_drivers(
        provider="aws", scope="123456789012", period_start=NOV
    )
    assert drivers == (
        CostDriver("EC2", Decimal("12.35"), "USD"),
        CostDriver("S3", Decimal("1.00"), "USD"),
    )


def test_parquet_globs_over_hive_partitions_are_read(
    write_focus: WriteFocus, tmp_path: Path
) -> None:
    for month, cost in (("2026-10", "5"), ("2026-11", "7")):
        csv_path = write_focus(
            [{"ChargePeriodStart": f"{month}-02T00:00:00Z", "EffectiveCost": cost}],
            name=f"{month}.csv",
        )
        to_parquet(csv_path, tmp_path / "export" / f"BILLING_PERIOD={month}" / "part-0.parquet")
    adapter = FocusCostDrivers([str(tmp_path / "export" / "*" / "*.parquet")])
    oct_drivers = adapter.top_drivers(
        provider="aws", scope="123456789012", period_start=date(2026, 10, 1)
    )
    nov_drivers = adapter.top_drivers(provider="aws", scope="123456789012", period_start=NOV)
    assert [d.amount for d in oct_drivers or ()] == [Decimal("5.00")]
    assert [d.amount for d in nov_drivers or ()] == [Decimal("7.00")]


def test_integer_typed_account_ids_in_parquet_still_match_aws_scopes(
    write_focus: WriteFocus, tmp_path: Path
) -> None:
    # An upstream tool stored the ids as BIGINT, so 012345678901 became 12345678901.
    csv_path = write_focus([{"SubAccountId": "012345678901", "EffectiveCost": "2"}])
    parquet = tmp_path / "ints.parquet"
    con = duckdb.connect()
    con.execute(
        "COPY (SELECT * REPLACE (CAST(SubAccountId AS BIGINT) AS SubAccountId, "
        "CAST(BillingAccountId AS BIGINT) AS BillingAccountId) "
        f"FROM read_csv(?, all_varchar = true)) TO '{parquet}' (FORMAT parquet)",
        [str(csv_path)],
    )
    con.close()
    drivers = FocusCostDrivers([parquet]).top_drivers(
        provider="aws", scope="012345678901", period_start=NOV
    )
    assert [d.amount for d in drivers or ()] == [Decimal("2.00")]


def test_csv_and_parquet_paths_are_combined(write_focus: WriteFocus, tmp_path: Path) -> None:
    csv_path = write_focus([{"ServiceName": "EC2", "EffectiveCost": "3"}], name="a.csv")
    other = write_focus([{"ServiceName": "EC2", "EffectiveCost": "4"}], name="b.csv")
    parquet = to_parquet(other, tmp_path / "b.parquet")
    drivers = FocusCostDrivers([csv_path, parquet]).top_drivers(
        provider="aws", scope="123456789012", period_start=NOV
    )
    assert drivers == (CostDriver("EC2", Decimal("7.00"), "USD"),)


def test_null_written_as_text_and_utf8_bom_are_understood(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(
        b"\xef\xbb\xbfProviderName,BillingAccountId,SubAccountId,BillingCurrency,"
        b"ChargePeriodStart,EffectiveCost,ServiceName\n"
        b"AWS,123456789012,NULL,USD,2026-11-02 00:00:00,4.5,EC2\n"
    )
    drivers = FocusCostDrivers([path]).top_drivers(
        provider="aws", scope="123456789012", period_start=NOV
    )
    assert drivers == (CostDriver("EC2", Decimal("4.50"), "USD"),)


# -- the instance ----------------------------------------------------------------------------
def test_concurrent_calls_share_one_instance_safely(write_focus: WriteFocus) -> None:
    rows = [{"ServiceName": "Nov", "EffectiveCost": "2"}]
    rows += [{"ServiceName": "Oct", "ChargePeriodStart": "2026-10-05", "EffectiveCost": "9"}]
    adapter = FocusCostDrivers([write_focus(rows)])

    def call(_: int) -> tuple[CostDriver, ...] | None:
        return adapter.top_drivers(provider="aws", scope="123456789012", period_start=NOV)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(call, range(32)))
    assert all(result == results[0] for result in results)
    assert results[0] == (CostDriver("Nov", Decimal("2.00"), "USD"),)


def test_files_are_reread_so_a_new_export_is_seen(write_focus: WriteFocus) -> None:
    adapter = FocusCostDrivers([write_focus([{"EffectiveCost": "1"}])])
    write_focus([{"EffectiveCost": "1"}, {"ServiceName": "S3", "EffectiveCost": "4"}])
    drivers = adapter.top_drivers(provider="aws", scope="123456789012", period_start=NOV)
    assert [d.name for d in drivers or ()] == ["S3", "Amazon Elastic Compute Cloud"]


# -- failures --------------------------------------------------------------------------------
def test_missing_required_column_is_a_typed_error_naming_file_and_column(
    write_focus: WriteFocus,
) -> None:
    path = write_focus([{"EffectiveCost": "1"}], drop=["EffectiveCost"])
    adapter = FocusCostDrivers([path])
    with pytest.raises(CostDataError, match="EffectiveCost") as caught:
        adapter.top_drivers(provider="aws", scope="123456789012", period_start=NOV)
    assert str(path) in str(caught.value)
    assert isinstance(caught.value, CostwardenError)


def test_resource_grouping_requires_resource_id(write_focus: WriteFocus) -> None:
    path = write_focus([{"EffectiveCost": "1"}], drop=["ResourceId"])
    assert FocusCostDrivers([path]).top_drivers(
        provider="aws", scope="123456789012", period_start=NOV
    )
    with pytest.raises(CostDataError, match="ResourceId"):
        FocusCostDrivers([path], by="resource").top_drivers(
            provider="aws", scope="123456789012", period_start=NOV
        )


def test_missing_file_is_a_typed_error_not_no_data(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "focus.parquet"
    adapter = FocusCostDrivers([missing])
    with pytest.raises(CostDataError, match=str(missing)):
        adapter.top_drivers(provider="aws", scope="123456789012", period_start=NOV)


def test_glob_matching_nothing_is_a_typed_error(tmp_path: Path) -> None:
    adapter = FocusCostDrivers([str(tmp_path / "*.csv")])
    with pytest.raises(CostDataError, match=r"\*\.csv"):
        adapter.top_drivers(provider="aws", scope="123456789012", period_start=NOV)


def test_unreadable_cost_value_is_a_typed_error(write_focus: WriteFocus) -> None:
    path = write_focus([{"EffectiveCost": "twelve"}])
    with pytest.raises(CostDataError, match="twelve"):
        FocusCostDrivers([path]).top_drivers(provider="aws", scope="123456789012", period_start=NOV)


def test_unknown_file_type_is_refused_when_configured(tmp_path: Path) -> None:
    with pytest.raises(CostDataError, match=r"focus\.xlsx"):
        FocusCostDrivers([tmp_path / "focus.xlsx"])


def test_scope_values_are_parameters_not_sql(write_focus: WriteFocus) -> None:
    adapter = FocusCostDrivers([write_focus([{"EffectiveCost": "1"}])])
    hostile = "123456789012' OR 1=1 --"
    assert adapter.top_drivers(provider="aws", scope=hostile, period_start=NOV) is None
    assert adapter.top_drivers(provider="aws' OR 1=1 --", scope="x", period_start=NOV) is None


def test_sub_account_column_is_optional_as_in_focus(write_focus: WriteFocus) -> None:
    path = write_focus(
        [
            {
                "ProviderName": "Google Cloud",
                "BillingAccountId": "0AAAAA-BBBBBB-CCCCCC",
                "ServiceName": "BigQuery",
                "EffectiveCost": "6",
            }
        ],
        drop=["SubAccountId"],
    )
    drivers = FocusCostDrivers([path]).top_drivers(
        provider="gcp", scope="0AAAAA-BBBBBB-CCCCCC", period_start=NOV
    )
    assert drivers == (CostDriver("BigQuery", Decimal("6.00"), "USD"),)


def test_limit_below_one_is_a_programming_error(write_focus: WriteFocus) -> None:
    adapter = FocusCostDrivers([write_focus([{"EffectiveCost": "1"}])])
    with pytest.raises(ValueError, match="limit"):
        adapter.top_drivers(provider="aws", scope="123456789012", period_start=NOV, limit=0)
