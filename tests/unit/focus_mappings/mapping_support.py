"""Run a FOCUS mapping over raw billing files with DuckDB, the way ``convert`` does.

The files are read by the production reader (``costwarden.focus.sources.open_source``: every raw
column AS VARCHAR, nested records flattened, absent variant columns NULL), then the mapping file
runs as it is, so these tests prove the SQL a user gets, not a copy of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from costwarden.focus.mappings import load_mapping
from costwarden.focus.sources import open_source


def mapping_sql(source: str) -> str:
    """The mapping as the converter runs it (shared parts such as ``_aws_services.sql`` in)."""
    return load_mapping(source).sql


@dataclass
class MappedRows:
    columns: list[str]
    rows: list[dict[str, Any]]

    def where(self, **match: Any) -> list[dict[str, Any]]:
        return [r for r in self.rows if all(r[k] == v for k, v in match.items())]

    def one(self, **match: Any) -> dict[str, Any]:
        found = self.where(**match)
        assert len(found) == 1, f"expected one row for {match}, got {len(found)}"
        return found[0]

    def total(self, column: str, **match: Any) -> Decimal:
        return sum((r[column] or Decimal(0) for r in self.where(**match)), Decimal(0))


def run_mapping(source: str, files: Sequence[Path], *, timezone: str = "UTC") -> MappedRows:
    """Run mapping ``source`` over ``files`` in a fresh DuckDB connection.

    ``timezone`` sets the session time zone: results must not depend on it (the mappings write
    explicit UTC instants), so tests run some sources in a non-UTC zone on purpose.
    """
    con = duckdb.connect()
    try:
        con.execute(f"SET TimeZone = '{timezone}'")
        open_source(con, source, files)
        cursor = con.execute(mapping_sql(source))
        columns = [d[0] for d in cursor.description]
        rows = [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()]
    finally:
        con.close()
    return MappedRows(columns, rows)
