"""The aws-cur-legacy mapping, transpiled to Spark SQL, executed by a real local Spark.

GIVEN the generated legacy CUR line items (every LineItemType, tags, null encodings)
WHEN Spark reads the CSV, builds ``src`` with the transpiled src select, and runs the
transpiled mapping
THEN it produces the same rows as DuckDB: same count, same BilledCost and EffectiveCost totals,
and the same values row by row.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from costwarden.focus.engine import connect, mapping_sql
from costwarden.focus.schema import COLUMN_NAMES
from costwarden.focus.sources import open_source, src_select_sql
from unit.focus_convert import legacy_cur as cur
from unit.focus_convert import legacy_cur_expected as want

pytestmark = pytest.mark.integration

SOURCE = "aws-cur-legacy"
COMPARED = (
    "x_LineItemId",
    "x_RowKind",
    "ChargeCategory",
    "ChargeClass",
    "ChargeFrequency",
    "BilledCost",
    "EffectiveCost",
    "ListCost",
    "ContractedCost",
    "PricingQuantity",
    "ConsumedQuantity",
    "CommitmentDiscountId",
    "CommitmentDiscountStatus",
    "CommitmentDiscountQuantity",
    "ServiceCategory",
    "ServiceSubcategory",
    "BillingAccountId",
    "SubAccountId",
    "BillingPeriodStart",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "Tags",
)


def _normal(column: str, value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, Decimal):
        return value.normalize()
    if column == "Tags" and value is not None:
        return json.loads(value)
    return value


def _keyed(rows: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (r["x_LineItemId"], r["x_RowKind"]): {c: _normal(c, r[c]) for c in COMPARED} for r in rows
    }


@pytest.fixture(scope="module")
def export_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return cur.write_csv(tmp_path_factory.mktemp("cur") / "cur.csv", cur.line_items())


@pytest.fixture(scope="module")
def duckdb_rows(export_csv: Path) -> list[dict[str, Any]]:
    con = connect()
    con.execute("SET TimeZone = 'Asia/Tokyo'")  # the mapping must not depend on it
    open_source(con, SOURCE, [export_csv])
    cursor = con.execute(mapping_sql(SOURCE))
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()]


@pytest.fixture(scope="module")
def spark_rows(spark: Any, export_csv: Path) -> list[dict[str, Any]]:
    raw = (
        spark.read.option("header", True)
        .option("escape", '"')  # the CSV doubles quotes inside values, as AWS's does
        .csv(str(export_csv))
    )
    raw.createOrReplaceTempView("raw")
    spark.sql(
        src_select_sql(SOURCE, raw.columns, dialect="spark", normalize_nulls=True)
    ).createOrReplaceTempView("src")
    frame = spark.sql(mapping_sql(SOURCE, "spark"))
    assert frame.columns[: len(COLUMN_NAMES)] == list(COLUMN_NAMES)
    return [row.asDict() for row in frame.collect()]


def test_spark_yields_the_same_row_count_and_cost_totals_as_duckdb(
    duckdb_rows: list[dict[str, Any]], spark_rows: list[dict[str, Any]]
) -> None:
    assert len(spark_rows) == len(duckdb_rows) == len(want.EXPECTED)
    for column in ("BilledCost", "EffectiveCost"):
        spark_total = sum(r[column] for r in spark_rows)
        duckdb_total = sum(r[column] for r in duckdb_rows)
        assert spark_total == duckdb_total, column
    assert sum(r["BilledCost"] for r in spark_rows) == want.invoice_total(cur.line_items())
    assert sum(r["EffectiveCost"] for r in spark_rows) == want.amortized_total()


def test_spark_yields_the_same_values_row_by_row(
    duckdb_rows: list[dict[str, Any]], spark_rows: list[dict[str, Any]]
) -> None:
    on_duckdb, on_spark = _keyed(duckdb_rows), _keyed(spark_rows)
    assert on_spark.keys() == on_duckdb.keys()
    for key, expected in on_duckdb.items():
        assert on_spark[key] == expected, key
