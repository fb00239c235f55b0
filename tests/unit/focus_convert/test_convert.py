"""convert(): reconciliation, per-period replacement, checks blocking the swap, input errors."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from costwarden.focus import (
    FocusConversionError,
    FocusInputError,
    FocusOutputConflictError,
    FocusReconciliationError,
)
from costwarden.focus.checks import CheckReport
from costwarden.focus.convert import ROW_GROUP_ROWS, STAGES, ProgressEvent, convert, reconcile
from costwarden.focus.schema import FOCUS_COLUMNS
from costwarden.focus.sources import source_spec
from unit.focus_convert import legacy_cur as cur
from unit.focus_convert import legacy_cur_expected as want
from unit.focus_convert.support import parquet_files, read_focus

SOURCE = "aws-cur-legacy"


def _december(rows: list[dict[str, str | None]]) -> list[dict[str, str | None]]:
    """The same line items one billing period later (ids made unique)."""
    moved = []
    for row in rows:
        copy = {
            k: (v.replace("2025-12-01", "2026-01-01").replace("2025-11", "2025-12") if v else v)
            for k, v in row.items()
        }
        copy["identity/LineItemId"] = f"dec-{row['identity/LineItemId']}"
        moved.append(copy)
    return moved


def test_convert_reports_rows_and_billed_cost_reconciled_with_the_invoice(tmp_path: Path) -> None:
    source = cur.write_csv(tmp_path / "cur.csv", cur.line_items())
    result = convert(SOURCE, [source], output=tmp_path / "focus")

    (period,) = result.periods
    assert (period.provider, period.billing_period) == ("aws", "2025-11")
    assert period.rows == result.rows == len(want.EXPECTED)
    assert period.billed_cost == period.source_total == Decimal("1388.782")
    assert result.billed_cost_by_period == {"2025-11": Decimal("1388.782")}
    assert parquet_files(tmp_path / "focus") == [
        "provider=aws/billing_period=2025-11/part-0.parquet"
    ]
    assert result.files == (tmp_path / "focus/provider=aws/billing_period=2025-11/part-0.parquet",)
    assert result.checks.ok


def test_output_columns_are_typed_in_schema_order_with_x_columns_last(tmp_path: Path) -> None:
    convert(SOURCE, [cur.write_csv(tmp_path / "c.csv", cur.line_items())], output=tmp_path / "o")
    described = (
        duckdb.connect()
        .execute(
            f"DESCRIBE SELECT * FROM read_parquet('{tmp_path}/o/**/*.parquet', "
            "hive_partitioning = false)"
        )
        .fetchall()
    )
    names = [r[0] for r in described]
    assert names[:57] == [c.name for c in FOCUS_COLUMNS]
    assert all(n.startswith("x_") for n in names[57:])
    types = {r[0]: r[1] for r in described}
    assert types["BilledCost"] == "DECIMAL(38,10)"
    assert types["ChargePeriodStart"] == "TIMESTAMP WITH TIME ZONE"
    assert types["BillingAccountId"] == "VARCHAR"


def test_a_rerun_replaces_its_period_and_leaves_other_periods_alone(tmp_path: Path) -> None:
    november = cur.write_csv(tmp_path / "nov.csv", cur.line_items())
    both = cur.write_csv(tmp_path / "both.csv", cur.line_items() + _december(cur.line_items()))
    out = tmp_path / "focus"
    first = convert(SOURCE, [both], output=out)
    assert sorted(first.billed_cost_by_period) == ["2025-11", "2025-12"]
    december_file = out / "provider=aws/billing_period=2025-12/part-0.parquet"
    december_bytes = december_file.read_bytes()

    # November is restated: one line item fewer.
    restated = [r for r in cur.line_items() if r["identity/LineItemId"] != "credit"]
    cur.write_csv(november, restated)
    convert(SOURCE, [november], output=out)
    convert(SOURCE, [november], output=out)  # redelivered: still one copy

    rows = read_focus(out)
    assert len(rows) == 2 * len(want.EXPECTED) - 1
    assert "credit" not in rows
    assert "dec-credit" in rows
    assert december_file.read_bytes() == december_bytes
    assert parquet_files(out) == [
        "provider=aws/billing_period=2025-11/part-0.parquet",
        "provider=aws/billing_period=2025-12/part-0.parquet",
    ]
    assert not list(tmp_path.glob(".focus.staging-*"))


def test_a_period_is_replaced_when_the_input_has_all_its_accounts(tmp_path: Path) -> None:
    """Only a replacement that would delete an account's rows is refused; a rerun of the same
    account, or a consolidated export holding it and more, replaces the period as before."""
    out = tmp_path / "o.parquet"
    rows = cur.line_items()
    convert(SOURCE, [cur.write_csv(tmp_path / "a.csv", rows)], output=out)
    both = rows + [
        {**r, "bill/PayerAccountId": "222222222222", "identity/LineItemId": f"b-{i}"}
        for i, r in enumerate(rows)
    ]
    convert(SOURCE, [cur.write_csv(tmp_path / "ab.csv", both)], output=out)
    with pytest.raises(FocusOutputConflictError, match="222222222222"):
        convert(SOURCE, [cur.write_csv(tmp_path / "a2.csv", rows)], output=out)
    assert len(read_focus(out)) == 2 * len(want.EXPECTED)  # the single file left as it was


def test_check_violations_block_the_swap_and_leave_the_published_period(tmp_path: Path) -> None:
    out = tmp_path / "focus"
    convert(SOURCE, [cur.write_csv(tmp_path / "good.csv", cur.line_items())], output=out)
    before = read_focus(out)

    broken = cur.line_items()
    broken[0]["lineItem/CurrencyCode"] = "XYZ"  # not ISO 4217
    broken[1]["lineItem/UnblendedCost"] = "twelve"  # not a number: BilledCost would be null
    with pytest.raises(FocusConversionError) as caught:
        convert(SOURCE, [cur.write_csv(tmp_path / "bad.csv", broken)], output=out)

    message = str(caught.value)
    assert "BillingCurrency.iso-4217: 1 of" in message
    assert "BilledCost.not-null: 1 of" in message
    report = caught.value.report
    failing = {r.rule.id: r for r in report.errors}  # type: ignore[attr-defined]
    assert failing["BillingCurrency.iso-4217"].samples[0]["BillingCurrency"] == "XYZ"
    assert read_focus(out) == before
    assert not list(tmp_path.glob(".focus.staging-*"))


def test_reconciliation_refuses_a_period_whose_billed_cost_differs_from_the_source() -> None:
    con = duckdb.connect()
    con.execute(
        "CREATE VIEW src AS SELECT * FROM (VALUES ('2025-11-01T00:00:00Z', '10.00'), "
        "('2025-11-01T00:00:00Z', '5.00')) AS t(\"bill/BillingPeriodStartDate\", "
        '"lineItem/UnblendedCost")'
    )
    con.execute(
        "CREATE VIEW staged AS SELECT TIMESTAMPTZ '2025-11-01 00:00:00+00' AS BillingPeriodStart, "
        "CAST(10 AS DECIMAL(38, 10)) AS BilledCost"
    )
    with pytest.raises(FocusReconciliationError, match=r"2025-11: SUM\(BilledCost\) 10"):
        reconcile(con, "staged", source_spec(SOURCE))


def test_reconciliation_from_the_checks_totals_catches_a_dropped_or_altered_cost() -> None:
    """convert reconciles from the checks' own per-period sums (no second scan of the output);
    the source side is still read from the source, so a mapping that loses a row or changes
    a cost is refused either way."""
    con = duckdb.connect()
    con.execute(
        "CREATE VIEW src AS SELECT * FROM (VALUES ('2025-11-01T00:00:00Z', '10.00'), "
        "('2025-11-01T00:00:00Z', '5.00')) AS t(\"bill/BillingPeriodStartDate\", "
        '"lineItem/UnblendedCost")'
    )
    start = dt.datetime(2025, 11, 1, tzinfo=dt.UTC)
    for rows, written in ((1, Decimal("10.00")), (2, Decimal("15.50"))):  # dropped; altered
        report = CheckReport(rows, (), period_totals=((start, rows, written),))
        with pytest.raises(FocusReconciliationError, match=r"2025-11: SUM\(BilledCost\)"):
            reconcile(con, "no_such_relation", source_spec(SOURCE), report)
    report = CheckReport(2, (), period_totals=((start, 2, Decimal("15.00")),))
    (totals,) = reconcile(con, "no_such_relation", source_spec(SOURCE), report)
    assert (totals.rows, totals.billed_cost, totals.source_total) == (2, 15, 15)


def test_reconciliation_tolerates_a_cent() -> None:
    con = duckdb.connect()
    con.execute(
        "CREATE VIEW src AS SELECT '2025-11-01T00:00:00Z' AS \"bill/BillingPeriodStartDate\", "
        "'10.005' AS \"lineItem/UnblendedCost\""
    )
    con.execute(
        "CREATE VIEW staged AS SELECT TIMESTAMPTZ '2025-11-01 00:00:00+00' AS BillingPeriodStart, "
        "CAST(10 AS DECIMAL(38, 10)) AS BilledCost"
    )
    (totals,) = reconcile(con, "staged", source_spec(SOURCE))
    assert (totals.billed_cost, totals.source_total) == (Decimal(10), Decimal("10.005"))


def test_a_parquet_file_output_holds_every_period(tmp_path: Path) -> None:
    both = cur.write_csv(tmp_path / "both.csv", cur.line_items() + _december(cur.line_items()))
    target = tmp_path / "focus.parquet"
    result = convert(SOURCE, [both], output=target)
    assert result.files == (target, target)
    assert len(read_focus(target)) == 2 * len(want.EXPECTED)


def test_output_row_groups_hold_about_row_group_rows_so_the_writer_buffers_less(
    tmp_path: Path,
) -> None:
    # DuckDB's Parquet writer holds one row group per thread in memory; ROW_GROUP_ROWS (half
    # its default of 122,880) is what keeps a 10M-row conversion under 1 GiB. The writer closes
    # a row group once it holds ROW_GROUP_ROWS or more, so a group may overshoot by up to one
    # chunk (2,048 rows). One thread: one writer sees every row.
    usage = cur.line_items()[0]
    rows = [{**usage, "identity/LineItemId": f"u-{i}"} for i in range(2 * ROW_GROUP_ROWS + 5000)]
    source = cur.write_csv(tmp_path / "cur.csv", rows)
    result = convert(SOURCE, [source], output=tmp_path / "focus", threads=1)

    (published,) = result.files
    sizes = [
        n
        for (n,) in duckdb.connect()
        .execute(
            "SELECT row_group_num_rows FROM parquet_metadata(?) "
            "GROUP BY row_group_id, row_group_num_rows",
            [str(published)],
        )
        .fetchall()
    ]
    assert sum(sizes) == result.rows == len(rows)
    assert max(sizes) <= ROW_GROUP_ROWS + 2048


def test_progress_is_reported_per_stage_in_order(tmp_path: Path) -> None:
    events: list[ProgressEvent] = []
    convert(
        SOURCE,
        [cur.write_csv(tmp_path / "c.csv", cur.line_items())],
        output=tmp_path / "o",
        progress=events.append,
    )
    assert [e.stage for e in events] == list(STAGES)
    assert [e.step for e in events] == list(range(1, len(STAGES) + 1))
    assert {e.total for e in events} == {len(STAGES)}


def _write_truncated_gzip(path: Path) -> Path:
    data = gzip.compress(cur.write_csv(path.with_suffix(".tmp"), cur.line_items()).read_bytes())
    path.write_bytes(data[: len(data) // 2])
    return path


BROKEN_INPUTS = {
    "missing a required column": (
        lambda d: cur.write_csv(
            d / "cur.csv",
            cur.line_items(),
            columns=[c for c in cur.COLUMNS if c != "lineItem/UnblendedCost"],
        ),
        r"cur\.csv: missing column lineItem/UnblendedCost",
    ),
    "not a billing export": (
        lambda d: _write(d / "notes.csv", "name,age\nada,36\n"),
        r"notes\.csv: missing column lineItem/LineItemType",
    ),
    "empty": (lambda d: _write(d / "empty.csv", ""), r"empty\.csv: empty file"),
    "binary": (
        lambda d: _write_bytes(d / "image.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00"),
        r"image\.csv: not a CSV, gzip CSV, Parquet or NDJSON file",
    ),
    "truncated gzip": (
        lambda d: _write_truncated_gzip(d / "cur.csv.gz"),
        r"cur\.csv\.gz",
    ),
    "absent": (lambda d: d / "nowhere.csv", r"nowhere\.csv: no such file"),
}


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("case", sorted(BROKEN_INPUTS))
def test_a_broken_input_raises_an_error_naming_the_file_and_writes_nothing(
    case: str, tmp_path: Path
) -> None:
    make, message = BROKEN_INPUTS[case]
    good = cur.write_csv(tmp_path / "good.csv", cur.line_items())
    with pytest.raises(FocusInputError, match=message):
        convert(SOURCE, [good, make(tmp_path)], output=tmp_path / "focus")
    assert not (tmp_path / "focus").exists() or not list((tmp_path / "focus").rglob("*.parquet"))
    assert not list(tmp_path.glob(".focus.staging-*"))


def _cut_inside_a_quote(path: Path, copies: int) -> Path:
    """A complete gzip stream whose last CSV line ends inside a quoted field: a part cut short
    where its writer stopped (the line bills a cost, so dropping it changes the bill)."""
    text = cur.write_csv(path.with_suffix(".tmp"), cur.line_items() * copies).read_text("utf-8")
    last = text.rstrip("\n").rsplit("\n", 1)[1]
    path.write_bytes(gzip.compress((text + last[: last.index(",") + 1] + '"cut sh').encode()))
    return path


def test_a_part_cut_inside_a_quote_is_an_error_naming_it_whatever_follows(tmp_path: Path) -> None:
    """DuckDB's multi-file CSV scan dropped such a line without a word when the scan went on to
    another part (one thread, three parts here; the sniffer's sample must not reach the cut,
    so the part has more rows than the sample)."""
    parts = [_cut_inside_a_quote(tmp_path / "part-1.csv.gz", copies=1_200)]
    for n in (2, 3):
        rows = cur.line_items() * 1_200
        parts.append(cur.write_csv(tmp_path / f"part-{n}.csv.gz", rows, gzipped=True))
    with pytest.raises(FocusInputError, match=r"part-1\.csv\.gz: malformed CSV"):
        convert(SOURCE, parts, output=tmp_path / "focus", threads=1)
    assert not (tmp_path / "focus").exists()


def test_a_small_csv_cut_inside_a_quote_is_malformed_not_missing_columns(tmp_path: Path) -> None:
    """Sampling every row, the sniffer found no delimiter that fits and read one column."""
    part = _cut_inside_a_quote(tmp_path / "cur.csv.gz", copies=1)
    with pytest.raises(FocusInputError, match=r"cur\.csv\.gz: malformed CSV") as caught:
        convert(SOURCE, [part], output=tmp_path / "focus")
    assert "missing column" not in str(caught.value)


def test_an_unknown_source_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(FocusInputError, match="no FOCUS mapping for source 'oracle-cost'"):
        convert("oracle-cost", [cur.write_csv(tmp_path / "c.csv", [])], output=tmp_path / "o")


def test_a_header_only_export_is_an_error_not_an_empty_success(tmp_path: Path) -> None:
    with pytest.raises(FocusInputError, match="no rows"):
        convert(SOURCE, [cur.write_csv(tmp_path / "c.csv", [])], output=tmp_path / "o")


def test_tag_columns_differing_only_in_case_keep_their_own_keys(tmp_path: Path) -> None:
    """DuckDB names columns case-insensitively and reads the second header as ``..:team_1``;
    the Tags key must be the header as AWS wrote it, never a made-up ``team_1``."""
    columns = [*cur.COLUMNS, "resourceTags/user:team"]
    rows = [{**r, "resourceTags/user:team": "payments"} for r in cur.line_items()]
    plain = cur.write_csv(tmp_path / "a.csv", rows, columns=columns)
    packed = cur.write_csv(tmp_path / "b.csv.gz", rows, columns=columns, gzipped=True)
    for inputs in ([plain], [plain, packed]):
        out = tmp_path / f"o{len(inputs)}.parquet"
        convert(SOURCE, inputs, output=out)
        tags = duckdb.sql(f"SELECT DISTINCT Tags FROM '{out}' WHERE Tags IS NOT NULL").fetchall()
        keys = {k for (text,) in tags for k in json.loads(text)}
        assert {"team", "Team"} <= keys
        assert not [k for k in keys if k.endswith("_1")]
