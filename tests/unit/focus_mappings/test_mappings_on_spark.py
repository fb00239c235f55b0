"""The Spark SQL of each mapping, run on a real local Spark, gives DuckDB's rows value for value.

The same generated fixtures feed both engines: DuckDB builds ``src`` from the raw files (the
production reader), writes it to Parquet, and Spark reads that as its ``src``, which is how a
warehouse run gets its input (a table shaped like ``src``).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from costwarden.focus.engine import mapping_sql
from costwarden.focus.sources import open_source
from unit.focus_mappings import test_aws_cur2_mapping as cur2
from unit.focus_mappings import test_azure_cost_mapping as azure
from unit.focus_mappings import test_focus_exports_mapping as exports
from unit.focus_mappings import test_gcp_billing_mapping as gcp
from unit.focus_mappings.writers import write_csv, write_ndjson

pyspark_sql = pytest.importorskip("pyspark.sql")
if shutil.which("java") is None:
    pytest.skip("Spark needs a Java runtime", allow_module_level=True)

FIXTURES: dict[str, Callable[[Path], list[Path]]] = {
    "aws-cur2": lambda d: [write_csv(d / "cur2.csv", cur2.cur2_rows())],
    "azure-cost": lambda d: [write_csv(d / "ea.csv", azure.ea_actual_rows(), bom=True)],
    "gcp-billing": lambda d: [write_ndjson(d / "gcp.json", gcp.gcp_records())],
    "aws-focus": lambda d: [write_csv(d / "focus.csv", exports.aws_rows())],
    "azure-focus": lambda d: [write_csv(d / "focuscost.csv", exports.azure_rows())],
}


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    session = (
        pyspark_sql.SparkSession.builder.master("local[1]")
        .appName("costwarden-mapping-tests")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _normal(value: Any) -> Any:
    """One spelling per value: instants as UTC, decimals without trailing zeros."""
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, Decimal):
        return value.normalize()
    return value


def _rows(columns: list[str], rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    normal = [tuple(_normal(v) for v in row) for row in rows]
    return sorted(normal, key=lambda r: tuple(str(v) for v in r))


@pytest.mark.parametrize("source", sorted(FIXTURES))
def test_spark_variant_returns_the_same_rows_as_duckdb(
    spark: Any, source: str, tmp_path: Path
) -> None:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    open_source(con, source, FIXTURES[source](tmp_path))
    src_parquet = tmp_path / "src.parquet"
    con.execute(f"COPY (SELECT * FROM src) TO '{src_parquet}' (FORMAT parquet)")
    cursor = con.execute(mapping_sql(source))
    columns = [d[0] for d in cursor.description]
    expected = _rows(columns, cursor.fetchall())

    spark.read.parquet(str(src_parquet)).createOrReplaceTempView("src")
    frame = spark.sql(mapping_sql(source, "spark"))
    assert frame.columns == columns
    actual = _rows(columns, [tuple(r) for r in frame.collect()])
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected, strict=True):
        differing = {c: (g, w) for c, g, w in zip(columns, got, want, strict=True) if g != w}
        assert not differing, differing
