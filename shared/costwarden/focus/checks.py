"""Row-level checks of FOCUS 1.2 Cost and Usage data, in SQL, with sample failing rows.

The FinOps Foundation's ``focus-validator`` checks a dataset as a whole; it does not say which
rows are wrong, and it passes datasets whose individual rows break enums or null rules. These
checks count failing rows per rule and keep up to five examples of each.

Two severities:

``error``    the data would mislead whoever reads it: a mandatory column is null, a value is
             outside its allowed set, a cost is not a number, a currency is not ISO 4217, a
             period ends before it starts, Tags is not a flat JSON object, a custom column lacks
             the ``x_`` prefix. ``convert`` refuses to publish a period with any of these.
``warning``  a conditional rule of the specification (SkuId for usage, RegionName with
             RegionId, unit price x quantity = cost, ...). Real exports break some of these
             (the providers document their own gaps); they are reported, not blocking.

Works on typed data (our Parquet) and on text (a FOCUS CSV): a Decimal or DateTime column
stored as text is checked for castability and, for date/times, for the FOCUS format
``YYYY-MM-DDTHH:mm:ssZ``.
"""

# ruff: noqa: S608 - this module builds SQL from schema constants, quoted identifiers and
# quoted file paths; no value a user types becomes SQL text.

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

import duckdb

from costwarden.focus import FocusInputError
from costwarden.focus.check_rules import Rule, Severity, build_rules
from costwarden.focus.schema import COLUMNS_BY_NAME, MANDATORY_COLUMNS, is_custom_column
from costwarden.focus.sql_names import quote

SAMPLE_ROWS = 5
# Columns shown next to a rule's own columns in sample rows, when the data has them.
_CONTEXT = ("x_LineItemId", "ChargeCategory", "ServiceName", "ChargePeriodStart", "BilledCost")


@dataclass(frozen=True)
class RuleResult:
    rule: Rule
    failing: int
    samples: tuple[dict[str, object], ...] = ()


@dataclass(frozen=True)
class CheckReport:
    """The outcome: rows checked, every evaluated rule, dataset-level problems."""

    rows: int
    results: tuple[RuleResult, ...]
    problems: tuple[str, ...] = ()
    skipped: tuple[str, ...] = field(default=())
    # (BillingPeriodStart, rows, SUM(BilledCost)) per period when asked for (``run_checks(...,
    # period_totals=True)``): reconciliation's written side, from the checks' own scan.
    period_totals: tuple[tuple[object, int, Decimal], ...] = field(default=())

    @property
    def failures(self) -> tuple[RuleResult, ...]:
        return tuple(r for r in self.results if r.failing)

    @property
    def errors(self) -> tuple[RuleResult, ...]:
        return tuple(r for r in self.failures if r.rule.severity == "error")

    @property
    def warnings(self) -> tuple[RuleResult, ...]:
        return tuple(r for r in self.failures if r.rule.severity == "warning")

    @property
    def ok(self) -> bool:
        """No error-severity failure and no dataset problem (warnings allowed)."""
        return not self.errors and not self.problems

    def summary(self, *, severity: Severity | None = "error") -> str:
        """``rule: N rows`` lines (errors only by default; None for every failing rule)."""
        lines = list(self.problems)
        lines += [
            f"{r.rule.id}: {r.failing} of {self.rows} rows ({r.rule.description})" + _examples(r)
            for r in self.failures
            if severity is None or r.rule.severity == severity
        ]
        return "\n".join(lines)


def _examples(result: RuleResult, limit: int = 3) -> str:
    """``; e.g. ChargeFrequency='Usage-based'``: the distinct values of the rule's own columns
    in its sample rows, so a refused conversion says what it found, not only where."""
    shown: list[str] = []
    for sample in result.samples:
        text = ", ".join(f"{c}={_shown(sample[c])}" for c in result.rule.columns if c in sample)
        if text and text not in shown:
            shown.append(text)
    return "; e.g. " + "; ".join(shown[:limit]) if shown else ""


def _shown(value: object, width: int = 80) -> str:
    if value is None:
        return "NULL"
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


# ---------------------------------------------------------------------------------------------
# Running


def run_checks(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    *,
    sample_rows: int = SAMPLE_ROWS,
    period_totals: bool = False,
    warn_only: Collection[str] = (),
) -> CheckReport:
    """Check ``relation`` (a table, view or ``read_parquet(...)`` call).

    One scan counts the failing rows of every row rule (grouped by BillingPeriodStart, with
    SUM(BilledCost), when ``period_totals``: convert reconciles from it instead of scanning the
    output again); one groups by the columns of the value rules and the per-value rules. Then
    one small query per failing rule fetches its sample rows. Rules named in ``warn_only`` are
    reported as warnings (``SourceSpec.warn_only``).
    """
    described = con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    types = {str(row[0]): str(row[1]) for row in described}
    problems = _dataset_problems(types)
    rules, skipped = build_rules(types)
    rules = [replace(r, severity="warning") if r.id in warn_only else r for r in rules]
    row_rules = [r for r in rules if not r.judges_values and not r.per_value]
    # count(CASE WHEN ... THEN 1 END), not count(*) FILTER (WHERE ...): the same count (a NULL
    # condition counts as not failing), but DuckDB runs 60-odd FILTER clauses as separate
    # selections; measured 0.45 s against 0.66 s for the rules over 1M rows.
    items = ["count(*)"] + [
        f"count(CASE WHEN ({rule.failing_sql}) THEN 1 END) AS {quote(rule.id)}"
        for rule in row_rules
    ]
    by_period = period_totals and {"BillingPeriodStart", "BilledCost"} <= types.keys()
    if by_period:
        # Grouping by one low-cardinality column costs ~3 % of the scan.
        items = ['"BillingPeriodStart"', 'sum("BilledCost")', *items]
    query = f"SELECT {', '.join(items)} FROM {relation}"
    # fetchall, not fetchone: DuckDB 2 treats a result not fetched to its end as still open.
    found = con.execute(query + (" GROUP BY 1" if by_period else "")).fetchall()
    lead = 2 if by_period else 0
    total = sum(int(row[lead]) for row in found)
    failing = {
        rule.id: sum(int(row[lead + 1 + i]) for row in found) for i, rule in enumerate(row_rules)
    }
    totals = tuple(
        (row[0], int(row[2]), Decimal(row[1] or 0)) for row in found if by_period and row[2]
    )
    judged = _judge_values(con, relation, [r for r in rules if r.judges_values])
    failing.update(_per_value_counts(con, relation, [r for r in rules if r.per_value]))
    results = []
    for listed_rule in rules:
        if listed_rule.judges_values:
            n, rule = judged[listed_rule.id]
        else:
            n, rule = failing[listed_rule.id], listed_rule
        samples = _samples(con, relation, rule, types, sample_rows) if n else ()
        results.append(RuleResult(rule, n, samples))
    return CheckReport(total, tuple(results), tuple(problems), tuple(skipped), totals)


def _per_value_counts(
    con: duckdb.DuckDBPyConnection, relation: str, rules: Sequence[Rule]
) -> dict[str, int]:
    """Failing rows per ``per_value`` rule: its SQL judged once per distinct value, in one scan.

    The data is grouped by each rule's columns (GROUPING SETS); each rule then sums the row
    counts of the groups of its own set that its SQL rejects.
    """
    if not rules:
        return {}
    columns = list(dict.fromkeys(c for rule in rules for c in rule.columns))
    sets = list(dict.fromkeys(rule.columns for rule in rules))
    grouping_sets = ", ".join("(" + ", ".join(quote(c) for c in cols) + ")" for cols in sets)
    listed = ", ".join(quote(c) for c in columns)
    width = len(columns)
    sums = []
    for rule in rules:
        mask = sum(1 << (width - 1 - i) for i, c in enumerate(columns) if c not in rule.columns)
        # Nested CASE: the rule's SQL only sees the groups of its own grouping set.
        sums.append(f"sum(CASE WHEN g = {mask} THEN CASE WHEN ({rule.failing_sql}) THEN n END END)")
    (row,) = con.execute(
        f"SELECT {', '.join(sums)} FROM (SELECT {listed}, GROUPING({listed}) AS g, "
        f"count(*) AS n FROM {relation} GROUP BY GROUPING SETS ({grouping_sets}))"
    ).fetchall()
    return {rule.id: int(n or 0) for rule, n in zip(rules, row, strict=True)}


def _judge_values(
    con: duckdb.DuckDBPyConnection, relation: str, rules: Sequence[Rule]
) -> dict[str, tuple[int, Rule]]:
    """Failing row count per value rule, and the rule with SQL selecting its bad rows."""
    if not rules:
        return {}
    columns = list(dict.fromkeys(c for rule in rules for c in rule.columns))
    sets = list(dict.fromkeys(rule.columns for rule in rules))
    grouping_sets = ", ".join("(" + ", ".join(quote(c) for c in cols) + ")" for cols in sets)
    listed = ", ".join(quote(c) for c in columns)
    # GROUPING(...) has a 1 bit for each column NOT grouped in the row's set (first = highest).
    found = con.execute(
        f"SELECT {listed}, GROUPING({listed}), count(*) FROM {relation} "
        f"GROUP BY GROUPING SETS ({grouping_sets})"
    ).fetchall()
    width = len(columns)
    out: dict[str, tuple[int, Rule]] = {}
    for rule in rules:
        mask = sum(1 << (width - 1 - i) for i, c in enumerate(columns) if c not in rule.columns)
        combos = [
            (tuple(record[columns.index(c)] for c in rule.columns), int(record[width + 1]))
            for record in found
            if record[width] == mask
        ]
        if rule.one_per_key:
            bad = _keys_with_several_values(combos)
        else:
            assert rule.accepts is not None
            bad = [values for values, _ in combos if not rule.accepts(values)]
        rejected = set(bad)
        n = sum(rows for values, rows in combos if values in rejected)
        out[rule.id] = (n, replace(rule, failing_sql=_matching(rule.columns, bad)))
    return out


def _keys_with_several_values(
    combos: Sequence[tuple[tuple[object, ...], int]],
) -> list[tuple[object, ...]]:
    """The (key, value) combinations whose non-null key has more than one non-null value."""
    values: dict[object, set[object]] = {}
    for (key, value), _ in combos:
        if key is not None and value is not None:
            values.setdefault(key, set()).add(value)
    return [
        combo for combo, _ in combos if combo[0] is not None and len(values.get(combo[0], ())) > 1
    ]


def _matching(columns: Sequence[str], combos: Sequence[tuple[object, ...]]) -> str:
    """SQL TRUE for rows holding one of ``combos`` (values of ``columns``)."""
    if not combos:
        return "false"

    def equals(column: str, value: object) -> str:
        if value is None:
            return f"{quote(column)} IS NULL"
        return f"{quote(column)} = '" + str(value).replace("'", "''") + "'"

    return " OR ".join(
        "(" + " AND ".join(equals(c, v) for c, v in zip(columns, combo, strict=True)) + ")"
        for combo in combos[:50]
    )


def _dataset_problems(types: dict[str, str]) -> list[str]:
    problems = [
        f"columns.mandatory: the mandatory column {name} is missing"
        for name in MANDATORY_COLUMNS
        if name not in types
    ]
    problems += [
        f"columns.custom-prefix: {name} is not a FOCUS 1.2 column and lacks the x_ prefix"
        for name in types
        if name not in COLUMNS_BY_NAME and not is_custom_column(name)
    ]
    for name, type_name in types.items():
        column = COLUMNS_BY_NAME.get(name)
        if column is None or type_name.upper() == "VARCHAR" or type_name.upper() == '"NULL"':
            continue
        if not _type_fits(column.data_type, type_name.upper()):
            problems.append(f"columns.type: {name} is {type_name}, not a {column.data_type}")
    return problems


def _type_fits(data_type: str, type_name: str) -> bool:
    if data_type == "Decimal":
        return type_name.startswith(
            (
                "DECIMAL",
                "DOUBLE",
                "FLOAT",
                "REAL",
                "HUGEINT",
                "BIGINT",
                "INTEGER",
                "SMALLINT",
                "TINYINT",
                "UBIGINT",
                "UINTEGER",
            )
        )
    if data_type == "DateTime":
        return type_name.startswith(("TIMESTAMP", "DATE"))
    return type_name in ("VARCHAR", "JSON")


def _samples(
    con: duckdb.DuckDBPyConnection, relation: str, rule: Rule, types: dict[str, str], limit: int
) -> tuple[dict[str, object], ...]:
    shown = [c for c in dict.fromkeys((*_CONTEXT, *rule.columns)) if c in types]
    cursor = con.execute(
        f"SELECT {', '.join(quote(c) for c in shown)} FROM {relation} "
        f"WHERE ({rule.failing_sql}) LIMIT {int(limit)}"
    )
    return tuple(
        {name: _plain(value) for name, value in zip(shown, row, strict=True)}
        for row in cursor.fetchall()
    )


def _plain(value: object) -> object:
    """A sample value printable as JSON: decimals and instants as text."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dt.datetime):
        return (
            value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            if value.tzinfo
            else value.isoformat()
        )
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


# ---------------------------------------------------------------------------------------------
# Files


def focus_relation(path: Path) -> str:
    """A DuckDB relation over FOCUS data at ``path``: a Parquet/CSV file or a folder of them.

    Hive partition folders (``provider=aws/billing_period=2025-11``) are not read as columns:
    they are not FOCUS columns.
    """
    if path.is_dir():
        parquet = sorted(path.rglob("*.parquet"))
        csv = sorted(p for p in path.rglob("*") if p.name.endswith((".csv", ".csv.gz")))
        if parquet:
            files = parquet
        elif csv:
            files = csv
        else:
            raise FocusInputError(f"{path}: no Parquet or CSV files in this folder")
    elif path.is_file():
        files = [path]
    elif not path.exists():
        raise FocusInputError(f"{path}: no such file or folder")
    else:
        raise FocusInputError(f"{path}: not a regular file")
    listing = "[" + ", ".join("'" + str(f).replace("'", "''") + "'" for f in files) + "]"
    if _is_parquet(files[0]):
        return f"read_parquet({listing}, union_by_name = true, hive_partitioning = false)"
    return (
        f"read_csv({listing}, header = true, all_varchar = true, nullstr = ['', 'NULL'], "
        "union_by_name = true, hive_partitioning = false)"
    )


def _is_parquet(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(4) == b"PAR1"
    except OSError as exc:
        raise FocusInputError(f"{path}: cannot read: {exc.strerror or exc}") from None


def check_path(
    path: Path | str, *, sample_rows: int = SAMPLE_ROWS, warn_only: Collection[str] = ()
) -> CheckReport:
    """Check FOCUS data in a file or folder; FocusInputError when it cannot be read.

    ``warn_only``: rules reported as warnings, as ``convert`` does for the source the data came
    from (``SourceSpec.warn_only``)."""
    relation = focus_relation(Path(path))
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET TimeZone = 'UTC'")
        return run_checks(con, relation, sample_rows=sample_rows, warn_only=warn_only)
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise FocusInputError(f"{path}: cannot read as FOCUS data: {first}") from None
    finally:
        con.close()


__all__ = ["CheckReport", "Rule", "RuleResult", "build_rules", "check_path", "run_checks"]
