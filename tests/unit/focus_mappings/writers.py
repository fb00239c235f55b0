"""Write generated billing rows in the formats the exports really use, quirks included.

Rows are dicts of raw text values (None = absent). Each writer reproduces one delivery format:
CSV (optionally gzip, optionally with a UTF-8 BOM, with a chosen null encoding), Parquet written
by DuckDB ``COPY`` with the column types the provider uses (timestamps, doubles, MAP columns), and
newline-delimited JSON with nested records as BigQuery ``EXPORT DATA`` writes them.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb

Row = Mapping[str, str | None]


def columns_of(rows: Sequence[Row]) -> list[str]:
    """Union of the rows' keys, first-seen order (a header every row fits)."""
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            seen.setdefault(key, None)
    return list(seen)


def write_csv(
    path: Path,
    rows: Sequence[Row],
    *,
    columns: Sequence[str] | None = None,
    null: str = "",
    bom: bool = False,
    gzipped: bool = False,
) -> Path:
    """A CSV as the export writes it; ``null`` is how absent values are spelled."""
    header = list(columns or columns_of(rows))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n" if bom else "\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([null if row.get(c) is None else row.get(c) for c in header])
    data = (("\ufeff" if bom else "") + buffer.getvalue()).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data) if gzipped else data)
    return path


def write_parquet(
    path: Path,
    rows: Sequence[Row],
    *,
    types: Mapping[str, str],
    columns: Sequence[str] | None = None,
) -> Path:
    """Parquet via DuckDB COPY. ``types`` gives a column's DuckDB type (default VARCHAR); a MAP or
    STRUCT column's value is given as JSON text and cast, the way providers store them natively.
    """
    header = list(columns or columns_of(rows))
    staging = path.with_suffix(".staging.csv")
    write_csv(staging, rows, columns=header, null="")
    selects = []
    for name in header:
        quoted = '"' + name.replace('"', '""') + '"'
        dtype = types.get(name, "VARCHAR")
        if dtype.startswith(("MAP", "STRUCT")) or dtype.endswith("[]"):
            expr = f"CAST(CAST({quoted} AS JSON) AS {dtype})"
        elif dtype == "VARCHAR":
            expr = quoted
        else:
            expr = f"CAST({quoted} AS {dtype})"
        selects.append(f"{expr} AS {quoted}")
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(
            f"COPY (SELECT {', '.join(selects)} FROM read_csv('{staging}', header = true, "
            f"all_varchar = true, nullstr = '')) TO '{path}' (FORMAT parquet)"
        )
    finally:
        con.close()
        staging.unlink()
    return path


def write_ndjson(
    path: Path, records: Sequence[Mapping[str, Any]], *, gzipped: bool = False
) -> Path:
    """One compact JSON object a line, nested records kept nested (BigQuery EXPORT DATA)."""
    text = "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in records)
    data = text.encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data) if gzipped else data)
    return path
