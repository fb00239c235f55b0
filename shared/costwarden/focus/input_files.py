"""One raw export file: recognise its format by content, sniff it once, list its leaf columns.

Formats are recognised by content, not name: Parquet by its ``PAR1`` magic, gzip and zstd by
theirs, then NDJSON when the (decompressed) text starts with ``{``, else CSV. Each file is opened
and checked on its own, so an error names the file. ``sources`` builds the ``src`` relation a
mapping reads from what ``inspect_input`` found here.
"""

# ruff: noqa: S608 - this module builds SQL from quoted identifiers and quoted file paths; no
# value a user types becomes SQL text.

from __future__ import annotations

import csv
import gzip
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import duckdb

from costwarden.focus import FocusInputError
from costwarden.focus.null_tokens import (
    JSON_TEXT_TOKENS,
    NULL_TOKENS,
    null_tokens_to_null,
    parquet_absent_tokens,
)
from costwarden.focus.sql_names import clean_name, quote

InputFormat = Literal["csv", "parquet", "ndjson"]

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
    # clean name DuckDB gave a CSV column -> the header as written, where they differ: DuckDB
    # names are case-insensitive, so of two headers differing only in case (legacy CUR tag
    # columns ``resourceTags/user:Team`` and ``...:team``) the second becomes ``..:team_1``.
    header_names: dict[str, str] = field(default_factory=dict, compare=False, repr=False)


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


def reader_sql(
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
            relation = con.sql(f"SELECT * FROM {reader_sql([path], fmt, compression)}")
        flat = flat_columns(relation.columns, relation.dtypes, absent_tokens(con, fmt, [path]))
    except duckdb.Error as exc:
        raise FocusInputError(f"{path}: cannot read as {fmt}: {_first_line(exc)}") from None
    columns = {clean_name(leaf[0]): leaf[0] for leaf in flat}
    if not columns:
        raise FocusInputError(f"{path}: no columns")
    if fmt == "csv" and len(columns) == 1:
        _refuse_misread_csv(con, path, compression, next(iter(columns.values())))
    renamed = _csv_header_names(path, compression, options, list(columns)) if fmt == "csv" else {}
    return InputFile(path, fmt, compression, columns, tuple(flat), options, renamed)


def _csv_header_names(
    path: Path, compression: str | None, options: str, names: list[str]
) -> dict[str, str]:
    """DuckDB's renamed duplicates (``X_1`` beside ``x``) -> the header as written; only read
    (the file's first line) when such a name exists, so an ordinary export costs nothing."""
    lowered = {n.lower() for n in names}
    if not any(
        re.fullmatch(r"(.+)_[0-9]+", n) and n.rsplit("_", 1)[0].lower() in lowered for n in names
    ):
        return {}
    found = re.search(r"delim\s*=\s*'([^']+)'", options)
    delimiter = found.group(1) if found else ","
    if compression not in (None, "gzip") or len(delimiter) != 1:
        return {}
    opener = gzip.open if compression == "gzip" else open
    with opener(path, "rb") as handle:
        line = handle.readline(1 << 20).decode("utf-8-sig", errors="replace")
    header = [clean_name(h) for h in next(csv.reader([line], delimiter=delimiter), [])]
    if len(header) != len(names):
        return {}
    return {name: written for name, written in zip(names, header, strict=True) if name != written}


_DELIMITERS = (",", ";", "\t", "|")


def _refuse_misread_csv(
    con: duckdb.DuckDBPyConnection, path: Path, compression: str | None, header: str
) -> None:
    """A CSV read as one column whose name holds a delimiter: the sniffer gave up on the real
    delimiter, because some row breaks it (a small file whose last row is cut inside a quote:
    every sample row is the whole file). Read it with that delimiter for the real error, so
    the message says "malformed", not "missing column ..."; a file that then reads fine goes on
    as before."""
    found = [d for d in _DELIMITERS if d in header]
    if not found:
        return
    delim = max(found, key=header.count)
    options = (
        f", delim = '{delim}', header = true, all_varchar = true, "
        f"compression = '{compression or 'none'}'"
    )
    error = csv_error(con, path, compression, options)
    if error:
        raise FocusInputError(f"{path}: {MALFORMED_CSV}: {error}")


MALFORMED_CSV = "malformed CSV (a row cut short, or a quote never closed: a truncated file?)"


def csv_error(
    con: duckdb.DuckDBPyConnection, path: Path, compression: str | None, options: str = ""
) -> str | None:
    """The first line of DuckDB's error reading every row of one CSV file; None if it reads.

    Only for error paths: it reads the whole file."""
    try:
        con.execute(
            f"SELECT count(*) FROM {reader_sql([path], 'csv', compression, options)}"
        ).fetchall()
    except duckdb.Error as exc:
        return _first_line(exc)
    return None


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
            relation = con.sql(f"SELECT * FROM {reader_sql([path], 'csv', compression, options)}")
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


def absent_tokens(
    con: duckdb.DuckDBPyConnection, fmt: InputFormat, paths: Sequence[Path]
) -> dict[str, frozenset[str]] | None:
    """Null tokens proven absent per text leaf (``null_tokens``); None: all of them (CSV)."""
    if fmt == "csv":
        return None
    return parquet_absent_tokens(con, paths) if fmt == "parquet" else {}


def flat_columns(
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


__all__ = [
    "MALFORMED_CSV",
    "InputFile",
    "InputFormat",
    "Leaf",
    "absent_tokens",
    "csv_error",
    "detect_format",
    "flat_columns",
    "inspect_input",
    "reader_sql",
]
