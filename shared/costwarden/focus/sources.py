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

Formats are recognised by content, not name: Parquet by its ``PAR1`` magic, gzip and zstd by
theirs, then NDJSON when the (decompressed) text starts with ``{``, else CSV. Every file is
opened and checked on its own before anything is converted, so an error names the file:
``cur-00002.csv.gz: missing column lineItem/UnblendedCost``.

The same select list is available for other engines (``src_select_sql(..., dialect="spark")``)
so a warehouse run builds ``src`` the way this module does.
"""

# ruff: noqa: S608 - this module builds SQL from schema constants, quoted identifiers and
# quoted file paths; no value a user types becomes SQL text.

from __future__ import annotations

import gzip
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

import duckdb
import sqlglot

from costwarden.focus import FocusInputError
from costwarden.focus.mappings import load_mapping
from costwarden.focus.null_tokens import (
    JSON_TEXT_TOKENS,
    NULL_TOKENS,
    null_tokens_to_null,
    parquet_absent_tokens,
)
from costwarden.focus.source_specs import (
    SOURCE_KINDS,
    SOURCES,
    Provider,
    SourceKind,
    SourceSpec,
    source_spec,
)

InputFormat = Literal["csv", "parquet", "ndjson"]


# ---------------------------------------------------------------------------------------------
# Column names


def quote(name: str) -> str:
    """A double-quoted SQL identifier (DuckDB, and the input of sqlglot's duckdb reader)."""
    return '"' + name.replace('"', '""') + '"'


def clean_name(name: str) -> str:
    """A header as it should have been written: no BOM, no surrounding spaces."""
    return name.replace("\ufeff", "").strip()


def name_key(name: str) -> str:
    """Spelling-insensitive key: ``lineItem/UnblendedCost`` == ``line_item_unblended_cost``."""
    return re.sub(r"[^0-9a-z]", "", name.lower())


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
# Input files


# (raw dotted name, VARCHAR expression, native category or "", native expression)
Leaf = tuple[str, str, str, str]


@dataclass(frozen=True)
class InputFile:
    """One raw input file: how to read it and its columns (clean name -> raw name).

    ``leaves``: (raw dotted name, VARCHAR expression, native category, native expression) per
    leaf column, as ``inspect_input`` found them, so ``raw_select_sql`` need not bind the reader
    again (each bind of a CSV reader sniffs the file: 0.08 s per 700 MB CSV, 0.16 s gzip). The
    category is ``"number"`` (DOUBLE, DECIMAL, integers) or ``"timestamp"`` for a typed leaf
    that may be passed through natively (see ``cast_only_columns``), else empty.

    ``reader_options``: for a CSV, the dialect and columns its one full sniff found, as
    ``read_csv`` arguments (``_sniffed_csv``). A conversion binds the reader five
    times (the views, the mapping's columns, the write, the reconciliation), and each bind
    sniffs the file: 0.085 s CPU per 700 MB CSV and 0.2 s gzip with nothing given, 0.02 s and
    0.1 s with the dialect and columns given.
    """

    path: Path
    format: InputFormat
    compression: str | None
    columns: dict[str, str]
    leaves: tuple[Leaf, ...] = field(default=(), compare=False, repr=False)
    reader_options: str = field(default="", compare=False, repr=False)


def detect_format(path: Path) -> tuple[InputFormat, str | None]:
    """(format, compression) from the file's first bytes; FocusInputError when unusable."""
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
            if head[:4] == b"PAR1":
                return "parquet", None
            if head[:2] == b"\x1f\x8b":
                with gzip.open(path, "rb") as unzipped:
                    text = unzipped.read(64)
                return _text_format(text, path), "gzip"
            if head[:4] == b"\x28\xb5\x2f\xfd":
                # zstd: no stdlib reader; CSV is the only zstd-compressed export format.
                return "csv", "zstd"
            handle.seek(0)
            return _text_format(handle.read(64), path), None
    except FileNotFoundError:
        raise FocusInputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise FocusInputError(f"{path}: is a folder, not a file") from None
    except (OSError, EOFError) as exc:
        raise FocusInputError(f"{path}: cannot read: {exc}") from None


def _text_format(head: bytes, path: Path) -> InputFormat:
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if not text:
        raise FocusInputError(f"{path}: empty file")
    if b"\x00" in text:
        raise FocusInputError(f"{path}: not a CSV, gzip CSV, Parquet or NDJSON file")
    return "ndjson" if text[:1] == b"{" else "csv"


def _reader(
    files: Sequence[Path], fmt: InputFormat, compression: str | None, options: str = ""
) -> str:
    paths = "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in files) + "]"
    if fmt == "csv":
        nulls = ", ".join(f"'{t}'" for t in NULL_TOKENS)
        if options:  # sniffed once (``_sniffed_csv``): one file, dialect known
            return f"read_csv({paths}{options}, nullstr = [{nulls}])"
        return (
            f"read_csv({paths}, header = true, all_varchar = true, nullstr = [{nulls}], "
            f"union_by_name = true, compression = '{compression or 'none'}')"
        )
    if fmt == "parquet":
        return f"read_parquet({paths}, union_by_name = true)"
    return f"read_json({paths}, format = 'newline_delimited', union_by_name = true)"


def inspect_input(con: duckdb.DuckDBPyConnection, path: Path) -> InputFile:
    """Open one file, learn its columns; FocusInputError naming the file when it is unusable."""
    fmt, compression = detect_format(path)
    options, relation = _sniffed_csv(con, path, compression) if fmt == "csv" else ("", None)
    try:
        if relation is None:
            relation = con.sql(f"SELECT * FROM {_reader([path], fmt, compression)}")
        flat = _flat_columns(relation.columns, relation.dtypes, _absent_tokens(con, fmt, [path]))
    except duckdb.Error as exc:
        raise FocusInputError(f"{path}: cannot read as {fmt}: {_first_line(exc)}") from None
    columns = {clean_name(leaf[0]): leaf[0] for leaf in flat}
    if not columns:
        raise FocusInputError(f"{path}: no columns")
    return InputFile(path, fmt, compression, columns, tuple(flat), options)


def _sniffed_csv(
    con: duckdb.DuckDBPyConnection, path: Path, compression: str | None
) -> tuple[str, duckdb.DuckDBPyRelation | None]:
    """``, delim=..., header=true, columns={...}, all_varchar=true, ...`` and the relation it
    reads: what DuckDB's sniffer found, from its own ``read_csv`` call (``sniff_csv(...)
    .Prompt``). ``("", None)`` when it cannot tell, or when the call does not give back exactly
    the columns it found (the prompt does not escape a quote in a header name): the reader then
    sniffs on every bind, as before.

    The prompt's ``auto_detect=false`` is dropped: the reader's detection with everything
    given is cheap, and without it the scanner lacks its row-width estimate: measured on 1M
    rows, a CUR 2.0 CSV write then peaked at 1.7 GiB instead of 0.8 and took 20 % more CPU.
    """
    literal = "'" + str(path).replace("'", "''") + "'"
    marker = ", auto_detect=false"
    try:
        ((prompt, found),) = con.execute(
            "SELECT Prompt, list_transform(Columns, lambda c: c.name) FROM "
            f"sniff_csv({literal}, all_varchar = true, compression = '{compression or 'none'}')"
        ).fetchall()
        start, end = str(prompt).find(marker), str(prompt).rfind(")")
        options = str(prompt)[start + len(marker) : end] if 0 <= start < end else ""
        if options:
            relation = con.sql(f"SELECT * FROM {_reader([path], 'csv', compression, options)}")
            if relation.columns == list(found):
                return options, relation
    except duckdb.Error:
        pass
    return "", None


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


_NUMBER_KINDS = frozenset(
    (
        "double",
        "decimal",
        "bigint",
        "integer",
        "smallint",
        "tinyint",
        "hugeint",
        "ubigint",
        "uinteger",
        "usmallint",
        "utinyint",
    )
)  # not FLOAT: a 32-bit float's digits (0.1 -> 0.100000001) would reach the decimal


def _absent_tokens(
    con: duckdb.DuckDBPyConnection, fmt: InputFormat, paths: Sequence[Path]
) -> dict[str, frozenset[str]] | None:
    """Null tokens proven absent per text leaf (``null_tokens``); None: all of them (CSV)."""
    if fmt == "csv":
        return None
    return parquet_absent_tokens(con, paths) if fmt == "parquet" else {}


def _flat_columns(
    names: Sequence[str],
    types: Sequence[object],
    absent: dict[str, frozenset[str]] | None = None,
) -> list[Leaf]:
    """A ``Leaf`` per leaf column; STRUCTs flattened, nested -> JSON.

    Text leaves get the null tokens turned into NULL here, except those ``absent`` proves
    cannot occur (keyed by Parquet ``path_in_schema``; None: none can, as in CSV, whose
    reader already made them NULL). See ``null_tokens`` for why and what it saves.
    """
    out: list[Leaf] = []

    def visit(path: list[str], dtype: object) -> None:
        kind = str(getattr(dtype, "id", "")).lower()
        expr = ".".join(quote(p) for p in path)
        if kind == "struct":
            children = list(dtype.children)  # type: ignore[attr-defined]
            if children:
                for child_name, child_type in children:
                    visit([*path, str(child_name)], child_type)
                return
        native = ""
        if kind in _NUMBER_KINDS:
            native = "number"
        elif kind.startswith("timestamp"):
            native = "timestamp"
        if kind in ("struct", "list", "map", "array", "union", "json"):
            tokens = JSON_TEXT_TOKENS.get(kind, NULL_TOKENS)
            value = null_tokens_to_null(f"CAST(to_json({expr}) AS VARCHAR)", tokens)
        elif kind == "timestamp with time zone":
            value = f"strftime(timezone('UTC', {expr}), '%Y-%m-%dT%H:%M:%SZ')"
        elif kind.startswith("timestamp"):
            value = f"strftime(CAST({expr} AS TIMESTAMP), '%Y-%m-%dT%H:%M:%SZ')"
        elif kind == "date":
            value = f"strftime({expr}, '%Y-%m-%d')"
        elif kind == "varchar":
            gone = NULL_TOKENS if absent is None else absent.get(", ".join(path), frozenset())
            value = null_tokens_to_null(expr, [t for t in NULL_TOKENS if t not in gone])
        else:
            value = f"CAST({expr} AS VARCHAR)"
        out.append((".".join(path), value, native, expr))

    for name, dtype in zip(names, types, strict=True):
        visit([name], dtype)
    return out


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
                f"(the {kind} source needs it)"
            )
    native = cast_only_columns(kind) if _session_is_utc(con) else {}
    con.execute("CREATE OR REPLACE TEMP VIEW raw AS " + raw_select_sql(con, files, native))
    raw_columns = _known_raw_columns(files) or tuple(con.sql("SELECT * FROM raw").columns)
    con.execute("CREATE OR REPLACE TEMP VIEW src AS " + src_select_sql(kind, raw_columns))
    return OpenedSource(spec, files, raw_columns)


def raw_select_sql(
    con: duckdb.DuckDBPyConnection,
    files: Sequence[InputFile],
    native: dict[str, str] | None = None,
) -> str:
    """One relation over all ``files``: every leaf column as text, unioned by name.

    ``native``: ``name_key`` -> category (``cast_only_columns``) of the columns that keep their
    file's type when it is of that category.
    """
    parts = []
    for (fmt, compression), group in _groups(files).items():
        options = group[0].reader_options if len(group) == 1 else ""
        reader = _reader([f.path for f in group], fmt, compression, options)
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
        absent = _absent_tokens(con, group[0].format, [f.path for f in group])
        flat = _flat_columns(relation.columns, relation.dtypes, absent)
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


def _groups(files: Sequence[InputFile]) -> dict[tuple[InputFormat, str | None], list[InputFile]]:
    groups: dict[tuple[InputFormat, str | None], list[InputFile]] = {}
    for file in files:
        groups.setdefault((file.format, file.compression), []).append(file)
    return groups


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
) -> str:
    """``SELECT ... FROM <relation>`` building ``src`` from a relation of VARCHAR raw columns.

    ``raw_columns`` are the relation's column names as they are (BOM and all). Our own readers
    already turned the null tokens into NULL; ``normalize_nulls=True`` does it here, for a
    relation read by another engine (e.g. Spark's CSV reader). The result is DuckDB SQL, or
    transpiled with sqlglot for ``trino``, ``bigquery`` or ``spark``.
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
    derived = _derived_columns(kind, [clean for clean, _ in cleaned])
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


def _derived_columns(kind: str, columns: Sequence[str]) -> dict[str, str]:
    if kind == "aws-cur-legacy":
        return {"resourceTags": legacy_cur_tags_sql(columns)}
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


def legacy_cur_tags_sql(columns: Sequence[str]) -> str:
    """A flat JSON object of the non-null tag columns (string values), NULL when there are none.

    Plain string functions only (no JSON functions), so the expression transpiles to every
    engine. A key seen twice (``user:Team`` and ``Team``) keeps its first column.
    """
    pairs: dict[str, str] = {}
    for column in columns:
        key = legacy_tag_key(column)
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
