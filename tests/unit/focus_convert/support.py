"""Reading converted FOCUS Parquet back for assertions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb


def read_focus(path: Path) -> dict[str, dict[str, Any]]:
    """Rows of a converted folder or file, keyed ``x_LineItemId`` (``<id>/unused`` for unused)."""
    target = path / "**" / "*.parquet" if path.is_dir() else path
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        cursor = con.execute(f"SELECT * FROM read_parquet('{target}', hive_partitioning = false)")
        columns = [d[0] for d in cursor.description]
        rows = [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()]
    finally:
        con.close()
    keyed: dict[str, dict[str, Any]] = {}
    for row in rows:
        key = row["x_LineItemId"] + ("/unused" if row["x_RowKind"] == "unused" else "")
        assert key not in keyed, f"duplicate row {key}"
        if row["Tags"] is not None:
            row["Tags"] = json.loads(row["Tags"])
        keyed[key] = row
    return keyed


def parquet_files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*.parquet"))
