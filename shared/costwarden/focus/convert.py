"""Convert billing export files to FOCUS 1.2 Parquet: read -> map -> check -> reconcile -> publish.

``convert("aws-cur-legacy", [files], output=Path("focus"))`` writes

    focus/provider=aws/billing_period=2025-11/part-0.parquet

(or one Parquet file when ``output`` ends in ``.parquet``). Each billing period in the input
replaces that period in the output and leaves the others alone, so a restated or redelivered
export never duplicates rows. A period is keyed by provider and month only: when the period in
the output holds a BillingAccountId the input lacks (a second payer account's export converted
into the same folder), the conversion is refused (FocusOutputConflictError) rather than delete
that account's rows, unless ``replace=True``. Convert each account into its own output.

How it stays within one function's memory: DuckDB streams the mapping into Parquet once
(``preserve_insertion_order=false``, row groups of ``ROW_GROUP_ROWS``: the writer buffers one
per thread; optional ``memory_limit`` with spilling to ``temp_directory``), into a staging
folder next to the output. The checks, the row counts and the reconciliation then read that
columnar staging copy, which is cheap. Only if all pass is anything published.

Publishing a period is two renames on the same file system: the old period folder out, the new
one in. A reader sees the old period or the new one, never half of either (for the instant
between the renames, the period is absent). Nothing is published when any check error or
reconciliation difference is found, and the staging folder is always removed.
"""

# ruff: noqa: S608 - this module builds SQL from schema constants, quoted identifiers and
# quoted file paths; no value a user types becomes SQL text.

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb

from costwarden.focus import (
    FocusConversionError,
    FocusInputError,
    FocusNoRowsError,
    FocusOutputConflictError,
    FocusReconciliationError,
)
from costwarden.focus.checks import CheckReport, run_checks
from costwarden.focus.engine import connect, typed_focus_sql
from costwarden.focus.input_files import MALFORMED_CSV, InputFile, csv_error
from costwarden.focus.sources import SourceSpec, open_source

RECONCILIATION_TOLERANCE = Decimal("0.01")

STAGES: tuple[str, ...] = ("read", "map", "write", "check", "reconcile", "publish")


@dataclass(frozen=True)
class ProgressEvent:
    """A conversion reached ``stage`` (``step`` of ``total``); ``message`` says what it does."""

    stage: str
    step: int
    total: int
    message: str


ProgressCallback = Callable[[ProgressEvent], None]


@dataclass(frozen=True)
class PeriodResult:
    """One published billing period."""

    provider: str
    billing_period: str  # YYYY-MM
    rows: int
    billed_cost: Decimal  # SUM(BilledCost) of the written rows
    source_total: Decimal  # the source's invoice-basis total for the period
    files: tuple[Path, ...]


@dataclass(frozen=True)
class ConvertResult:
    source: str
    output: Path
    rows: int
    periods: tuple[PeriodResult, ...]
    files: tuple[Path, ...]
    checks: CheckReport

    @property
    def billed_cost_by_period(self) -> dict[str, Decimal]:
        return {p.billing_period: p.billed_cost for p in self.periods}


def convert(
    source: str,
    inputs: Sequence[Path | str],
    *,
    output: Path | str,
    progress: ProgressCallback | None = None,
    memory_limit: str | None = None,
    temp_directory: Path | str | None = None,
    threads: int | None = None,
    replace: bool = False,
) -> ConvertResult:
    """Convert ``inputs`` (raw export files of ``source``) to FOCUS Parquet at ``output``.

    Raises FocusInputError (unreadable or unknown input), FocusConversionError (check errors;
    ``.report`` has the details) or FocusReconciliationError (BilledCost differs from the
    source's invoice total by more than 0.01 in a period), FocusOutputConflictError (a period
    in ``output`` holds billing accounts the input lacks; ``replace=True`` replaces it anyway).
    In each case nothing is published.
    """
    out = Path(output)
    single_file = out.suffix.lower() == ".parquet"
    if single_file and out.is_dir():
        raise FocusInputError(f"{out}: is a folder; a .parquet output must be a file")
    if not single_file and out.exists() and not out.is_dir():
        raise FocusInputError(f"{out}: exists and is not a folder")
    notify = _Notifier(progress)
    parent = out.parent if out.parent != Path("") else Path(".")
    parent.mkdir(parents=True, exist_ok=True)
    staging = parent / f".{out.name}.staging-{uuid.uuid4().hex[:12]}"
    spill = Path(temp_directory) if temp_directory else Path(tempfile.mkdtemp(prefix="cw-duckdb-"))
    con = connect(memory_limit=memory_limit, temp_directory=spill, threads=threads)
    inspected: tuple[InputFile, ...] = ()
    try:
        notify("read", "checking the input files")
        opened = open_source(con, source, inputs)
        inspected = opened.files
        notify("map", f"mapping {source} to FOCUS 1.2")
        focus_sql = typed_focus_sql(con, source)
        notify("write", "writing Parquet to a staging folder")
        staged_file, staged = _write_staging(con, focus_sql, staging)
        notify("check", "checking every row")
        report = run_checks(con, staged, period_totals=True, warn_only=opened.spec.warn_only)
        if not report.ok:
            raise FocusConversionError(
                "converted rows fail FOCUS checks; nothing was written:\n" + report.summary(),
                report,
            )
        notify("reconcile", "reconciling BilledCost with the source's invoice total")
        periods = reconcile(con, staged, opened.spec, report)
        notify("publish", f"publishing {len(periods)} billing period(s)")
        if not single_file:
            _split_periods(con, staged_file, periods, staging)
        if not replace:
            _refuse_dropping_accounts(con, periods, staging, out, single_file=single_file)
        published = _publish(periods, staging, out, single_file=single_file)
    except duckdb.Error as exc:
        raise FocusInputError(_input_error(con, inspected, inputs, exc)) from None
    finally:
        con.close()
        shutil.rmtree(staging, ignore_errors=True)
        if not temp_directory:
            shutil.rmtree(spill, ignore_errors=True)
    files = tuple(f for p in published for f in p.files)
    return ConvertResult(
        source=source,
        output=out,
        rows=sum(p.rows for p in published),
        periods=tuple(published),
        files=files,
        checks=report,
    )


class _Notifier:
    def __init__(self, callback: ProgressCallback | None) -> None:
        self.callback = callback

    def __call__(self, stage: str, message: str) -> None:
        if self.callback is not None:
            self.callback(ProgressEvent(stage, STAGES.index(stage) + 1, len(STAGES), message))


def _names(inputs: Sequence[Path | str]) -> str:
    names = [Path(p).name for p in inputs]
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def _input_error(
    con: duckdb.DuckDBPyConnection,
    files: Sequence[InputFile],
    inputs: Sequence[Path | str],
    exc: duckdb.Error,
) -> str:
    """The message of a conversion DuckDB refused. A CSV error does not say which file it is
    in: each CSV input is then read on its own (the failure path only) to name it."""
    first = _first_line(exc)
    csv_files = [f for f in files if f.format == "csv"]
    if "CSV Error" in first and csv_files:
        if len(csv_files) == 1:
            return f"{csv_files[0].path}: {MALFORMED_CSV}: {first}"
        for file in csv_files:
            error = csv_error(con, file.path, file.compression, file.reader_options)
            if error:
                return f"{file.path}: {MALFORMED_CSV}: {error}"
    return f"cannot convert {_names(inputs)}: {first}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _write_staging(
    con: duckdb.DuckDBPyConnection, focus_sql: str, staging: Path
) -> tuple[Path, str]:
    """Stream the FOCUS rows into one staging Parquet file; return it and a relation over it.

    One file, not PARTITION_BY: most exports hold one billing period, and partitioning while
    writing costs DuckDB about half the write again. A multi-period input is split afterwards
    from this columnar copy, which is cheap (``_split_periods``).
    """
    staging.mkdir(parents=True)
    target = staging / "focus.parquet"
    con.execute(f"COPY ({focus_sql}) TO {_literal(target)} ({_PARQUET})")
    return target, f"read_parquet({_literal(target)})"


# zstd level 1, not DuckDB's default 3: measured on 1M FOCUS rows, as fast as snappy (1.25 s
# against 1.55 s for a re-write of the staged output) and no larger than level 3 (87 MiB against
# 90 MiB; snappy 132 MiB).
#
# Row groups of 61,440 rows, half DuckDB's default 122,880: the Parquet writer buffers one row
# group per thread before it compresses and writes it, and 122,880 rows of our 66 columns are
# ~170 MiB of buffered column data per thread, the largest single use of memory in a conversion.
# Measured at 10M legacy CUR rows on 2 threads: peak RSS 988-1,085 -> 663-748 MiB from Parquet
# and 1,094-1,313 -> 670-707 MiB from CSV, CPU within the run-to-run spread, output +1.3 %;
# 30,720 rows gave 537 MiB but +6 % CPU and +6 % size (bench/README.md, FOCUS, fourth round).
# Each extra thread still adds ~250 MiB: past 2-3 threads on ~1 GiB, set a memory_limit.
ROW_GROUP_ROWS = 61_440
_PARQUET = f"FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, ROW_GROUP_SIZE {ROW_GROUP_ROWS}"


def _split_periods(
    con: duckdb.DuckDBPyConnection, staged: Path, periods: Sequence[PeriodTotals], staging: Path
) -> None:
    """Lay the staged rows out as ``provider=<p>/billing_period=<YYYY-MM>/part-0.parquet``."""
    if len(periods) == 1:
        folder = staging / periods[0].relative
        folder.mkdir(parents=True)
        os.rename(staged, folder / "part-0.parquet")
        return
    provider = periods[0].provider
    con.execute(
        f"COPY (SELECT *, '{provider}' AS provider, strftime(BillingPeriodStart, '%Y-%m') "
        f"AS billing_period FROM read_parquet({_literal(staged)})) TO "
        f"{_literal(staging / 'periods')} ({_PARQUET}, PARTITION_BY (provider, billing_period), "
        "FILENAME_PATTERN 'part-{i}')"
    )
    for period in periods:
        os.renames(staging / "periods" / period.relative, staging / period.relative)
    staged.unlink()


@dataclass(frozen=True)
class PeriodTotals:
    """Rows and SUM(BilledCost) of one period as written, and the source's invoice total."""

    provider: str
    billing_period: str
    rows: int
    billed_cost: Decimal
    source_total: Decimal

    @property
    def relative(self) -> Path:
        return Path(f"provider={self.provider}") / f"billing_period={self.billing_period}"


def period_key_sql(expr: str) -> str:
    """``YYYY-MM`` from a billing period written as ISO date/time, M/D/YYYY or YYYYMM."""
    v = f"TRIM(CAST({expr} AS VARCHAR))"
    return (
        f"CASE WHEN regexp_matches({v}, '^[0-9]{{4}}-[0-9]{{2}}') THEN substr({v}, 1, 7) "
        f"WHEN regexp_matches({v}, '^[0-9]{{6}}$') "
        f"THEN substr({v}, 1, 4) || '-' || substr({v}, 5, 2) "
        f"WHEN regexp_matches({v}, '^[0-9]{{1,2}}/[0-9]{{1,2}}/[0-9]{{4}}') THEN "
        f"regexp_extract({v}, '^[0-9]{{1,2}}/[0-9]{{1,2}}/([0-9]{{4}})', 1) || '-' || "
        f"lpad(regexp_extract({v}, '^([0-9]{{1,2}})/', 1), 2, '0') END"
    )


def reconcile(
    con: duckdb.DuckDBPyConnection,
    staged: str,
    spec: SourceSpec,
    report: CheckReport | None = None,
) -> list[PeriodTotals]:
    """Per period: rows and SUM(BilledCost) of ``staged`` (FOCUS rows) vs the invoice-basis
    total of the view ``src``; FocusReconciliationError when a period differs by > 0.01."""
    # Both sums group by the raw period value first and derive YYYY-MM from the few distinct
    # values afterwards: the key expression (regular expressions) then runs per period, not
    # per row. The written side comes from the checks' scan when it computed it.
    written: dict[str, tuple[int, Decimal]] = {}
    if report is not None and report.period_totals:
        for start, rows, total in report.period_totals:
            month = _month(start)
            before = written.get(month, (0, Decimal(0)))
            written[month] = (before[0] + rows, before[1] + total)
    else:
        written = {
            str(period): (int(rows), Decimal(total or 0))
            for period, rows, total in con.execute(
                "SELECT strftime(p, '%Y-%m'), sum(n), sum(s) FROM (SELECT BillingPeriodStart AS "
                f"p, count(*) AS n, sum(BilledCost) AS s FROM {staged} GROUP BY 1) GROUP BY 1"
            ).fetchall()
        }
    expected = {
        str(period): Decimal(total or 0)
        for period, total in con.execute(
            f"SELECT {period_key_sql('p')}, sum(s) FROM (SELECT {spec.billing_period_sql} AS p, "
            f"sum(CAST({spec.invoice_cost_sql} AS DECIMAL(38, 10))) AS s FROM src GROUP BY 1) "
            "GROUP BY 1"
        ).fetchall()
    }
    if not written and not any(abs(t) > RECONCILIATION_TOLERANCE for t in expected.values()):
        # Nothing written and nothing billed. Rows the mapping dropped that do carry a cost
        # (written empty, source total not 0) are no "empty export": the comparison below
        # refuses them.
        raise FocusNoRowsError("the input files hold no rows: nothing to convert")
    periods = []
    differences = []
    for period in sorted(set(written) | set(expected)):
        rows, billed = written.get(period, (0, Decimal(0)))
        source_total = expected.get(period, Decimal(0))
        if abs(billed - source_total) > RECONCILIATION_TOLERANCE:
            differences.append(
                f"{period}: SUM(BilledCost) {billed:f} vs source total {source_total:f} "
                f"(difference {billed - source_total:f})"
            )
        periods.append(PeriodTotals(spec.provider, period, rows, billed, source_total))
    if differences:
        raise FocusReconciliationError(
            "BilledCost does not reconcile with the source's invoice total; nothing was "
            "written:\n" + "\n".join(differences),
            report,
        )
    return periods


def _month(start: object) -> str:
    """``YYYY-MM`` of a BillingPeriodStart value as fetched from our typed output (UTC)."""
    if isinstance(start, dt.datetime):
        return (start.astimezone(dt.UTC) if start.tzinfo else start).strftime("%Y-%m")
    return str(start)


def _refuse_dropping_accounts(
    con: duckdb.DuckDBPyConnection,
    periods: Sequence[PeriodTotals],
    staging: Path,
    out: Path,
    *,
    single_file: bool,
) -> None:
    """FocusOutputConflictError when publishing would replace rows of a BillingAccountId that
    the new rows lack. Reads one column, and only of the periods that already exist."""
    if single_file:
        pairs = [(out, staging / "focus.parquet")] if out.is_file() else []
    else:
        pairs = [(out / p.relative, staging / p.relative) for p in periods]
        pairs = [(old, new) for old, new in pairs if old.is_dir()]
    for old, new in pairs:
        kept = _account_ids(con, old)
        lost = sorted(kept - _account_ids(con, new)) if kept else []
        if lost:
            shown = ", ".join(lost[:5]) + (f" and {len(lost) - 5} more" if len(lost) > 5 else "")
            raise FocusOutputConflictError(
                f"{old} holds billing account(s) {shown} that this input does not have: "
                "publishing would delete their rows. Convert each account's export into its "
                "own output, or pass --replace (replace=True) to replace the period anyway"
            )


def _account_ids(con: duckdb.DuckDBPyConnection, path: Path) -> set[str]:
    """Distinct BillingAccountId of the Parquet at ``path`` (a file or a period folder); empty
    when it has none or is not readable as FOCUS Parquet (then there is nothing to protect)."""
    files = path / "*.parquet" if path.is_dir() else path
    try:
        rows = con.execute(
            f"SELECT DISTINCT CAST(BillingAccountId AS VARCHAR) FROM read_parquet("
            f"{_literal(files)}, hive_partitioning = false) WHERE BillingAccountId IS NOT NULL"
        ).fetchall()
    except duckdb.Error:
        return set()
    return {str(row[0]) for row in rows}


def _publish(
    periods: Sequence[PeriodTotals], staging: Path, out: Path, *, single_file: bool
) -> list[PeriodResult]:
    """Move the staged periods into place (see the module doc for the guarantees)."""
    results = []
    if single_file:
        os.replace(staging / "focus.parquet", out)
        return [
            PeriodResult(
                p.provider, p.billing_period, p.rows, p.billed_cost, p.source_total, (out,)
            )
            for p in periods
        ]
    out.mkdir(parents=True, exist_ok=True)
    retired = staging / "retired"
    for p in periods:
        relative = p.relative
        staged = staging / relative
        final = out / relative
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():
            (retired / relative).parent.mkdir(parents=True, exist_ok=True)
            os.rename(final, retired / relative)
        os.rename(staged, final)
        files = tuple(sorted(final.glob("*.parquet")))
        results.append(
            PeriodResult(p.provider, p.billing_period, p.rows, p.billed_cost, p.source_total, files)
        )
    return results


__all__ = [
    "ROW_GROUP_ROWS",
    "STAGES",
    "ConvertResult",
    "PeriodResult",
    "PeriodTotals",
    "ProgressCallback",
    "ProgressEvent",
    "convert",
    "period_key_sql",
    "reconcile",
]
