"""The five mappings transpile to the warehouse engines and keep to the shared conventions."""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import ErrorLevel, exp

from costwarden.focus.engine import mapping_sql
from costwarden.focus.sources import referenced_columns
from unit.focus_mappings.mapping_support import mapping_sql as mapping_file

SOURCES = ("aws-cur2", "aws-focus", "azure-cost", "azure-focus", "gcp-billing")


@pytest.mark.parametrize("dialect", ["trino", "bigquery", "spark"])
@pytest.mark.parametrize("source", SOURCES)
def test_mapping_transpiles_without_unsupported_constructs(source: str, dialect: str) -> None:
    # RAISE: a construct sqlglot cannot express in the target is an error, not a warning.
    sql = sqlglot.transpile(
        mapping_file(source), read="duckdb", write=dialect, unsupported_level=ErrorLevel.RAISE
    )[0]
    assert sqlglot.parse_one(sql, read=dialect) is not None
    assert mapping_sql(source, dialect).strip()


@pytest.mark.parametrize("source", SOURCES)
def test_mapping_reads_raw_columns_only_through_src(source: str) -> None:
    """Every raw column is spelled ``src."Name"`` so the reader knows what to provide, and the
    statement reads no table but ``src`` (and its own CTEs)."""
    tree = sqlglot.parse_one(mapping_file(source), read="duckdb")
    ctes = {cte.alias for cte in tree.find_all(exp.CTE)}
    tables = {t.name for t in tree.find_all(exp.Table) if t.name}
    assert tables <= ctes | {"src"}, tables - ctes
    assert referenced_columns(mapping_file(source))


@pytest.mark.parametrize("source", SOURCES)
def test_mapping_avoids_duckdb_only_list_functions(source: str) -> None:
    # LIST_SUM and friends pass through sqlglot untouched and fail on Spark/Trino at run time.
    names = {
        (f.name if isinstance(f, exp.Anonymous) else f.sql_name()).upper()
        for f in sqlglot.parse_one(mapping_file(source), read="duckdb").find_all(exp.Func)
    }
    assert not {n for n in names if n.startswith(("LIST_", "ARRAY_"))}, names
