"""Which of the null tokens (``''``, ``'NULL'``, ``'{}'``) a raw text column can hold at all.

``src`` turns the null tokens into NULL (``null_tokens_to_null``: one ``NULLIF`` per
token and text column, on every row). Most of that work proves nothing new, so a token that
cannot occur is left out:

* CSV: the reader's ``nullstr`` already turns every token (quoted or not) into NULL, so no
  ``NULLIF`` is needed on a CSV column.
* Parquet: a file's row-group statistics bound every text column chunk by ``[min, max]``; a
  token outside that range (or in a chunk with only nulls) cannot occur. ``''`` is below any
  non-empty minimum, ``'{}'`` above nearly every maximum (``{`` sorts after letters and
  digits), ``'NULL'`` outside a column of ids, ARNs or lower-case codes. These are the same
  statistics DuckDB itself trusts to skip row groups for a ``WHERE``; a chunk without them
  keeps every token.
* A nested value written as JSON text (``to_json``): a STRUCT or MAP prints as ``{...}``, so it
  can only equal ``'{}'``; a LIST prints as ``[...]`` and equals no token.

Measured on 1M CUR 2.0 Parquet rows: the three ``NULLIF``s cost 0.4 s CPU of the 5.4 s write;
the generated exports' statistics rule out every token, so none is left (bench/README.md,
third round).
"""

# ruff: noqa: S608 - SQL built from quoted file paths only.

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb

NULL_TOKENS = ("", "NULL", "{}")

# DuckDB type id -> the tokens ``CAST(to_json(x) AS VARCHAR)`` can produce.
JSON_TEXT_TOKENS: dict[str, tuple[str, ...]] = {
    "struct": ("{}",),
    "map": ("{}",),
    "list": (),
    "array": (),
}


def parquet_absent_tokens(
    con: duckdb.DuckDBPyConnection, paths: Sequence[Path]
) -> dict[str, frozenset[str]]:
    """Per text leaf (``path_in_schema``: ``"name"`` or ``"a, b"``): the null tokens that no
    row group of any of ``paths`` can hold, by the files' statistics. Leaves without proof are
    absent from the result (every token stays possible)."""
    files = "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"
    # Per row group: a token is excluded when the chunk holds only nulls or its statistics'
    # [min, max] (the order-correct min_value/max_value fields, byte-wise) do not contain it.
    # Missing statistics make the test NULL: COALESCE to false (bool_and would skip a NULL).
    excluded = [
        f"bool_and(COALESCE(stats_null_count = num_values OR NOT ('{t}' BETWEEN "
        f"stats_min_value AND stats_max_value), false)) AS t{i}"
        for i, t in enumerate(NULL_TOKENS)
    ]
    try:
        rows = con.execute(
            f"SELECT path_in_schema, {', '.join(excluded)} FROM parquet_metadata({files}) "
            "WHERE type = 'BYTE_ARRAY' GROUP BY path_in_schema"
        ).fetchall()
    except duckdb.Error:
        return {}
    return {
        str(row[0]): frozenset(t for t, out in zip(NULL_TOKENS, row[1:], strict=True) if out)
        for row in rows
    }


def null_tokens_to_null(expr: str, tokens: Sequence[str] = NULL_TOKENS) -> str:
    """``expr`` with each of ``tokens`` as NULL (nested NULLIFs: far cheaper than TRIM/IN)."""
    for token in tokens:
        expr = f"NULLIF({expr}, '{token}')"
    return expr


__all__ = ["JSON_TEXT_TOKENS", "NULL_TOKENS", "null_tokens_to_null", "parquet_absent_tokens"]
