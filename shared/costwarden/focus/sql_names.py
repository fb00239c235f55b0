"""Column names as the mappings and the readers spell them.

Exports spell one column several ways (``lineItem/UnblendedCost`` in a CSV header,
``line_item_unblended_cost`` in its Parquet flavour, sometimes with a BOM or spaces around a
header); these helpers quote a name for SQL, clean a header and give the spelling-insensitive key
that matches the variants.
"""

from __future__ import annotations

import re


def quote(name: str) -> str:
    """A double-quoted SQL identifier (DuckDB, and the input of sqlglot's duckdb reader)."""
    return '"' + name.replace('"', '""') + '"'


def clean_name(name: str) -> str:
    """A header as it should have been written: no BOM, no surrounding spaces."""
    return name.replace("\ufeff", "").strip()


def name_key(name: str) -> str:
    """Spelling-insensitive key: ``lineItem/UnblendedCost`` == ``line_item_unblended_cost``."""
    return re.sub(r"[^0-9a-z]", "", name.lower())


__all__ = ["clean_name", "name_key", "quote"]
