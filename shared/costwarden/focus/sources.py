"""Raw billing export files -> the DuckDB relation ``src`` a mapping reads.

What ``src`` holds (the contract every mapping relies on):

* every raw column of the files, AS VARCHAR, under its name in the file (a UTF-8 BOM or stray
  spaces around a header are dropped), so 12-digit account ids keep their leading zeros and the
  mapping does every cast itself. One exception, invisible to the SQL: a column the mapping and
  the reconciliation only ever read as ``TRY_CAST(src."X" AS DECIMAL(..))`` (or ``AS
  TIMESTAMPTZ``) keeps a Parquet/NDJSON file's own numeric (or, on a UTC session, timestamp)
  type, so the cast reads the value directly instead of a text copy of it: a DOUBLE written as
  text and parsed back cost 0.08 s per 1M values and column, the direct cast 0.01 s
  (``cast_only_columns``);
* ``''``, ``'NULL'`` and ``'{}'`` are NULL;
* Parquet and NDJSON: a STRUCT is flattened into dotted columns (``service.description``), a
  LIST or MAP becomes JSON text (``credits``, ``resource_tags``), a timestamp becomes
  ``YYYY-MM-DDTHH:MM:SSZ`` (UTC);
* every column the mapping references as ``src."Name"`` exists: when a file spells it
  differently (``line_item_unblended_cost`` for ``lineItem/UnblendedCost``: the same letters
  and digits, ignoring case and punctuation) the variant is aliased to the mapping's name;
  when no file has it, it is NULL;
* derived columns a source needs because its raw layout varies per export: for aws-cur-legacy,
  ``resourceTags`` is the ``resourceTags/*`` and ``costCategory/*`` columns as one flat JSON
  object (see ``legacy_cur_tags_sql``).

Every file is opened and checked on its own before anything is converted (``input_files``
recognises its format by content and lists its columns), so an error names the file:
``cur-00002.csv.gz: missing column lineItem/UnblendedCost``.

The same select list is available for other engines (``src_select_sql(..., dialect="spark")``)
so a warehouse run builds ``src`` the way this module does.
"""

# ruff: noqa: S608 - this module builds SQL from schema constants, quoted identifiers and
# quoted file paths; no value a user types becomes SQL text.

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import duckdb
import sqlglot

from costwarden.focus import FocusInputError
from costwarden.focus.input_files import (
    InputFile,
    InputFormat,
    Leaf,
    absent_tokens,
    detect_format,
    flat_columns,
    inspect_input,
    reader_sql,
)
from costwarden.focus.mappings import load_mapping
from costwarden.focus.null_tokens import NULL_TOKENS, null_tokens_to_null
from costwarden.focus.source_specs import (
    SOURCE_KINDS,
    SOURCES,
    Provider,
    SourceKind,
    SourceSpec,
    source_spec,
)
from costwarden.focus.sql_names import clean_name, name_key, quote

# ---------------------------------------------------------------------------------------------
# Column names


def referenced_columns(sql: str) -> tuple[str, ...]:
    """Raw columns an expression or mapping reads: every ``src."Name"``, each once."""
    seen: dict[str, str] = {}
    for column in sqlglot.parse_one(sql, read="duckdb").find_all(sqlglot.exp.Column):
        if column.table == "src":
            seen.setdefault(column.name.lower(), column.name)
    return tuple(seen.values())


def _expression_columns(sql: str) -> tuple[str, ...]:
    return referenced_columns(f"SELECT {sql} FROM src")


# ---------------------------------------------------------------------------------------------
# The src relation


@dataclass(frozen=True)
class OpenedSource:
    """What ``open_source`` set up: the spec, the files and the views ``raw`` and ``src``."""

    spec: SourceSpec
    files: tuple[InputFile, ...]
    raw_columns: tuple[str, ...]


def open_source(
    con: duckdb.DuckDBPyConnection, kind: str, inputs: Sequence[Path | str]
) -> OpenedSource:
    """Check every input file and create the views ``raw`` and ``src`` on ``con``."""
    spec = source_spec(kind)
    if not inputs:
        raise FocusInputError("no input files")
    files = tuple(inspect_input(con, Path(p)) for p in inputs)
    for file in files:
        missing = missing_required(spec.required, file.columns)
        if missing:
            more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
            raise FocusInputError(
                f"{file.path}: missing column {', '.join(missing[:3])}{more} "
                f"(the {kind} source needs it){_other_kinds_hint(kind, file.columns)}"
            )
    native = cast_only_columns(kind) if _session_is_utc(con) else {}
    con.execute("CREATE OR REPLACE TEMP VIEW raw AS " + raw_select_sql(con, files, native))
    raw_columns = _known_raw_columns(files) or tuple(con.sql("SELECT * FROM raw").columns)
    headers = {k: v for file in files for k, v in file.header_names.items()}
    con.execute(
        "CREATE OR REPLACE TEMP VIEW src AS " + src_select_sql(kind, raw_columns, headers=headers)
    )
    return OpenedSource(spec, files, raw_columns)


def _other_kinds_hint(kind: str, columns: dict[str, str]) -> str:
    """``; its columns are those of --from azure-cost``: the sources this file would open as,
    so a wrong ``--from`` (or a misrouted export) says what the file is."""
    fits = [
        other
        for other in SOURCE_KINDS
        if other != kind and not missing_required(source_spec(other).required, columns)
    ]
    return f"; its columns are those of {' or '.join('--from ' + k for k in fits)}" if fits else ""


def raw_select_sql(
    con: duckdb.DuckDBPyConnection,
    files: Sequence[InputFile],
    native: dict[str, str] | None = None,
) -> str:
    """One relation over all ``files``: every leaf column as text, unioned by name.

    ``native``: ``name_key`` -> category (``cast_only_columns``) of the columns that keep their
    file's type when it is of that category.

    Each CSV file gets a reader of its own. DuckDB's (2.0) multi-file CSV scan drops a file's
    last line when it ends inside an open quote (a part cut short) and the same scan thread
    goes on to another file; it raises the error only when no file follows. Measured: one bad
    part among five, two threads, 1 row of 128,100 silently gone; with one thread it already
    happens with three files. A reader per file always raises it, and costs the same (the
    union's readers run in parallel; 8 gzip parts of 205k rows: 6.8 s either way).
    """
    parts = []
    for group in _reader_groups(files):
        fmt, compression = group[0].format, group[0].compression
        options = group[0].reader_options if len(group) == 1 else ""
        reader = reader_sql([f.path for f in group], fmt, compression, options)
        parts.append(f"SELECT {_select_list(con, group, reader, native or {})} FROM {reader}")
    return " UNION ALL BY NAME ".join(parts)


def _select_list(
    con: duckdb.DuckDBPyConnection,
    group: Sequence[InputFile],
    reader: str,
    native: dict[str, str],
) -> str:
    """The ``raw`` select list of one reader; a lone file's inspected leaves when known."""
    if len(group) == 1 and group[0].leaves:
        flat = list(group[0].leaves)
    else:  # several files unioned by name: the reader knows their combined columns
        relation = con.sql(f"SELECT * FROM {reader}")
        absent = absent_tokens(con, group[0].format, [f.path for f in group])
        flat = flat_columns(relation.columns, relation.dtypes, absent)
    items = []
    for name, text, category, value in flat:
        wanted = native.get(name_key(clean_name(name)))
        items.append(
            f"{value if category and category == wanted else text} AS {quote(clean_name(name))}"
        )
    return ", ".join(items)


def _session_is_utc(con: duckdb.DuckDBPyConnection) -> bool:
    """A naive timestamp cast to TIMESTAMPTZ is read in the session's zone: pass timestamps
    through only where that zone is UTC (``engine.connect`` sets it)."""
    try:
        (zone,) = con.execute("SELECT current_setting('TimeZone')").fetchall()[0]
    except duckdb.Error:
        return False
    return str(zone).upper() in ("UTC", "ETC/UTC", "GMT", "Z")


@lru_cache(maxsize=32)
def cast_only_columns(kind: str) -> dict[str, str]:
    """Raw columns (``name_key`` -> ``"number"`` or ``"timestamp"``) that the mapping of ``kind``
    and its reconciliation expressions read only as ``TRY_CAST``/``CAST(src."X" AS DECIMAL(..))``
    or only as casts ``AS TIMESTAMPTZ``. Such a column may keep a typed file's own value: the
    cast gives the same result from a DOUBLE or TIMESTAMP as from its text (up to the double's
    own precision: 15-17 significant digits), without printing and parsing every value.
    A column read any other way (compared, trimmed, concatenated) stays text.
    """
    spec = source_spec(kind)
    uses: dict[str, set[str]] = {}
    for sql in (
        load_mapping(kind).sql,
        f"SELECT {spec.billing_period_sql} FROM src",
        f"SELECT {spec.invoice_cost_sql} FROM src",
    ):
        for column in sqlglot.parse_one(sql, read="duckdb").find_all(sqlglot.exp.Column):
            if column.table != "src":
                continue
            parent = column.parent
            use = "other"
            if isinstance(parent, sqlglot.exp.Cast) and parent.this is column:
                target = parent.to.this
                if target == sqlglot.exp.DataType.Type.DECIMAL:
                    use = "number"
                elif target == sqlglot.exp.DataType.Type.TIMESTAMPTZ:
                    use = "timestamp"
            uses.setdefault(name_key(column.name), set()).add(use)
    return {key: next(iter(u)) for key, u in uses.items() if len(u) == 1 and "other" not in u}


def _known_raw_columns(files: Sequence[InputFile]) -> tuple[str, ...] | None:
    """The columns of ``raw`` without binding it: known for one file with distinct names."""
    if len(files) != 1 or not files[0].leaves:
        return None
    names = tuple(clean_name(leaf[0]) for leaf in files[0].leaves)
    return names if len({n.lower() for n in names}) == len(names) else None


def _reader_groups(files: Sequence[InputFile]) -> list[list[InputFile]]:
    """Files read by one reader: Parquet and NDJSON per (format, compression), CSV one by one
    (see ``raw_select_sql``)."""
    groups: dict[tuple[InputFormat, str | None, str], list[InputFile]] = {}
    for file in files:
        alone = str(file.path) if file.format == "csv" else ""
        groups.setdefault((file.format, file.compression, alone), []).append(file)
    return list(groups.values())


def missing_required(required: Sequence[str], columns: dict[str, str] | Sequence[str]) -> list[str]:
    """Required columns (``A|B`` alternatives) that no column of a file satisfies."""
    keys = {name_key(c) for c in columns}
    return [
        group.split("|")[0]
        for group in required
        if not any(name_key(option) in keys for option in group.split("|"))
    ]


def needed_columns(kind: str) -> tuple[str, ...]:
    """Raw columns the mapping and the reconciliation expressions of ``kind`` read."""
    spec = source_spec(kind)
    names = [
        *referenced_columns(load_mapping(kind).sql),
        *_expression_columns(spec.billing_period_sql),
        *_expression_columns(spec.invoice_cost_sql),
    ]
    return tuple(dict.fromkeys(names))


def src_select_sql(
    kind: str,
    raw_columns: Sequence[str],
    *,
    dialect: str = "duckdb",
    relation: str = "raw",
    normalize_nulls: bool = False,
    headers: dict[str, str] | None = None,
) -> str:
    """``SELECT ... FROM <relation>`` building ``src`` from a relation of VARCHAR raw columns.

    ``raw_columns`` are the relation's column names as they are (BOM and all). Our own readers
    already turned the null tokens into NULL; ``normalize_nulls=True`` does it here, for a
    relation read by another engine (e.g. Spark's CSV reader). The result is DuckDB SQL, or
    transpiled with sqlglot for ``trino``, ``bigquery`` or ``spark``. ``headers``: a column's
    header as written where the reader renamed it (``InputFile.header_names``).
    """
    cleaned = [(clean_name(c), c) for c in raw_columns]
    select = [
        f"{null_tokens_to_null(quote(raw)) if normalize_nulls else quote(raw)} AS {quote(clean)}"
        for clean, raw in cleaned
    ]
    have = {clean.lower() for clean, _ in cleaned}
    by_key: dict[str, str] = {}
    for clean, _ in cleaned:
        by_key.setdefault(name_key(clean), clean)
    derived = _derived_columns(kind, [clean for clean, _ in cleaned], headers or {})
    outer: list[str] = []
    for wanted in needed_columns(kind):
        if wanted.lower() in have or wanted in derived:
            continue
        variant = by_key.get(name_key(wanted))
        value = f"norm.{quote(variant)}" if variant else "CAST(NULL AS VARCHAR)"
        outer.append(f"{value} AS {quote(wanted)}")
    outer.extend(f"{expr} AS {quote(name)}" for name, expr in derived.items())
    inner = f"SELECT {', '.join(select)} FROM {relation}"
    sql = f"SELECT norm.*{''.join(', ' + o for o in outer)} FROM ({inner}) AS norm"
    if dialect == "duckdb":
        return sql
    return sqlglot.transpile(sql, read="duckdb", write=dialect)[0]


def _derived_columns(kind: str, columns: Sequence[str], headers: dict[str, str]) -> dict[str, str]:
    if kind == "aws-cur-legacy":
        return {"resourceTags": legacy_cur_tags_sql(columns, headers)}
    return {}


_TAG_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^resourceTags/user:(.+)$", re.IGNORECASE), "{}"),
    (re.compile(r"^resourceTags/(aws:.+)$", re.IGNORECASE), "{}"),
    (re.compile(r"^resourceTags/(.+)$", re.IGNORECASE), "{}"),
    (re.compile(r"^resource_tags_user_(.+)$", re.IGNORECASE), "{}"),
    (re.compile(r"^resource_tags_aws_(.+)$", re.IGNORECASE), "aws:{}"),
    (re.compile(r"^costCategory/(.+)$", re.IGNORECASE), "costCategory/{}"),
    (re.compile(r"^cost_category_(.+)$", re.IGNORECASE), "costCategory/{}"),
)


def legacy_tag_key(column: str) -> str | None:
    """The Tags key of a legacy CUR tag or cost-category column; None for other columns."""
    for pattern, template in _TAG_PATTERNS:
        match = pattern.match(column)
        if match:
            return template.format(match.group(1))
    return None


def legacy_cur_tags_sql(columns: Sequence[str], headers: dict[str, str] | None = None) -> str:
    """A flat JSON object of the non-null tag columns (string values), NULL when there are none.

    Plain string functions only (no JSON functions), so the expression transpiles to every
    engine. A key seen twice (``user:Team`` and ``Team``) keeps its first column. The key comes
    from the header as written (``headers``), not from a reader's rename of it.
    """
    pairs: dict[str, str] = {}
    for column in columns:
        key = legacy_tag_key((headers or {}).get(column, column))
        if key is not None and key not in pairs:
            pairs[key] = column
    if not pairs:
        return "CAST(NULL AS VARCHAR)"
    members = []
    for key, column in pairs.items():
        json_key = key.replace("\\", "\\\\").replace('"', '\\"').replace("'", "''")
        escaped = f"REPLACE(REPLACE(norm.{quote(column)}, '\\', '\\\\'), '\"', '\\\"')"
        members.append(f"COALESCE(',\"{json_key}\":\"' || {escaped} || '\"', '')")
    all_null = " AND ".join(f"norm.{quote(c)} IS NULL" for c in pairs.values())
    return (
        f"CASE WHEN {all_null} THEN NULL ELSE '{{' || SUBSTR({' || '.join(members)}, 2) || '}}' END"
    )


__all__ = [
    "NULL_TOKENS",
    "SOURCES",
    "SOURCE_KINDS",
    "InputFile",
    "InputFormat",
    "Leaf",
    "OpenedSource",
    "Provider",
    "SourceKind",
    "SourceSpec",
    "cast_only_columns",
    "detect_format",
    "inspect_input",
    "legacy_cur_tags_sql",
    "legacy_tag_key",
    "missing_required",
    "needed_columns",
    "null_tokens_to_null",
    "open_source",
    "quote",
    "raw_select_sql",
    "referenced_columns",
    "source_spec",
    "src_select_sql",
]
