"""The schema, the mapping registry, transpiling, and how raw files become ``src``."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
import sqlglot

import costwarden
from costwarden.focus import FocusInputError
from costwarden.focus.engine import DIALECTS, connect, mapping_sql, run_mapping
from costwarden.focus.mappings import available_sources, load_mapping
from costwarden.focus.schema import (
    ALLOWED_VALUES,
    COLUMN_NAMES,
    FOCUS_COLUMNS,
    MANDATORY_COLUMNS,
    SERVICE_CATEGORIES,
    SERVICE_SUBCATEGORIES,
)
from costwarden.focus.sources import (
    detect_format,
    inspect_input,
    legacy_tag_key,
    missing_required,
    open_source,
    raw_select_sql,
    referenced_columns,
    src_select_sql,
)
from unit.focus_convert import legacy_cur as cur

MAPPINGS = Path(costwarden.__file__).parent / "focus" / "mappings"


def test_the_schema_has_the_57_focus_1_2_columns_in_spec_order() -> None:
    assert len(FOCUS_COLUMNS) == 57
    assert list(COLUMN_NAMES) == sorted(COLUMN_NAMES)
    assert len(MANDATORY_COLUMNS) == 21
    assert {c.name for c in FOCUS_COLUMNS if c.level == "Recommended"} == {
        "ChargeFrequency",
        "InvoiceId",
        "ServiceSubcategory",
    }
    assert set(SERVICE_SUBCATEGORIES.values()) == set(SERVICE_CATEGORIES)
    assert ALLOWED_VALUES["CommitmentDiscountStatus"] == ("Used", "Unused")


def test_the_registry_lists_every_shipped_mapping_file() -> None:
    shipped = sorted(p.stem for p in MAPPINGS.glob("*.sql") if not p.name.startswith("_"))
    assert list(available_sources()) == shipped
    assert "aws-cur-legacy" in shipped


def test_the_legacy_cur_mapping_declares_its_source_in_directives() -> None:
    mapping = load_mapping("aws-cur-legacy")
    assert mapping.directives["provider"] == "aws"
    assert "lineItem/UnblendedCost" in (mapping.required_columns or ())


@pytest.mark.parametrize("dialect", [d for d in DIALECTS if d != "duckdb"])
@pytest.mark.parametrize("source", available_sources())
def test_every_mapping_transpiles_to_sql_the_target_dialect_parses(
    source: str, dialect: str
) -> None:
    sql = mapping_sql(source, dialect)
    parsed = sqlglot.parse_one(sql, read=dialect)
    assert isinstance(parsed, sqlglot.exp.Query)
    assert "BilledCost" in parsed.named_selects


def test_an_unknown_dialect_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown dialect"):
        mapping_sql("aws-cur-legacy", "oracle")


def test_referenced_columns_are_the_src_qualified_ones() -> None:
    sql = 'SELECT src."a/B" AS x, y.c, src.d FROM src JOIN y ON TRUE'
    assert sorted(referenced_columns(sql)) == ["a/B", "d"]


@pytest.mark.parametrize(
    ("column", "key"),
    [
        ("resourceTags/user:Team", "Team"),
        ("resourceTags/aws:createdBy", "aws:createdBy"),
        ("resourceTags/user:cost:center", "cost:center"),
        ("costCategory/Environment", "costCategory/Environment"),
        ("resource_tags_user_team", "team"),
        ("resource_tags_aws_created_by", "aws:created_by"),
        ("lineItem/ResourceId", None),
    ],
)
def test_legacy_tag_columns_become_tag_keys(column: str, key: str | None) -> None:
    assert legacy_tag_key(column) == key


def test_required_columns_accept_a_spelling_variant_or_an_alternative() -> None:
    assert missing_required(["lineItem/UnblendedCost"], ["line_item_unblended_cost"]) == []
    assert missing_required(["Cost|CostInBillingCurrency"], ["costInBillingCurrency"]) == []
    assert missing_required(["Cost|CostInBillingCurrency"], ["PreTaxCost"]) == ["Cost"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"PAR1....", ("parquet", None)),
        (b"\xef\xbb\xbfidentity/LineItemId,x\n", ("csv", None)),
        (b'{"cost": 1}\n', ("ndjson", None)),
    ],
)
def test_formats_are_recognised_by_content(
    content: bytes, expected: tuple[str, str | None], tmp_path: Path
) -> None:
    path = tmp_path / "export.dat"  # the name says nothing
    path.write_bytes(content)
    assert detect_format(path) == expected


def test_a_gzip_file_is_recognised_whatever_its_name(tmp_path: Path) -> None:
    path = cur.write_csv(tmp_path / "export", cur.line_items(), gzipped=True)
    assert detect_format(path) == ("csv", "gzip")


def test_src_has_every_referenced_column_with_nulls_normalised(tmp_path: Path) -> None:
    rows = cur.line_items()
    con = connect()
    open_source(con, "aws-cur-legacy", [cur.write_csv(tmp_path / "c.csv", rows, bom=True)])
    src = con.sql("SELECT * FROM src")
    # Not in the file, referenced by the mapping: present as NULL.
    assert "lineItem/NetUnblendedCost" in src.columns
    assert "reservation/ReservationARN" in src.columns
    tax = con.execute(
        'SELECT "lineItem/ResourceId", "savingsPlan/SavingsPlanARN", "costCategory/Env", '
        '"identity/LineItemId", "resourceTags" FROM src WHERE "identity/LineItemId" = \'tax\''
    ).fetchall()
    assert tax == [(None, None, None, "tax", None)]
    assert {str(t) for t in src.types} == {"VARCHAR"}


def test_nested_parquet_fields_are_flattened_to_dotted_text(tmp_path: Path) -> None:
    path = tmp_path / "gcp.parquet"
    duckdb.connect().execute(
        f"COPY (SELECT {{'id': '6F81-5844', 'description': 'Compute Engine'}} AS service, "
        "[{'name': 'promo', 'amount': -1.5}] AS credits, 12.5::DOUBLE AS cost, "
        "'' AS empty_text, 'NULL' AS null_text, 42::BIGINT AS n, "
        "TIMESTAMPTZ '2025-11-01 08:00:00+00' AS usage_start_time) "
        f"TO '{path}' (FORMAT parquet)"
    )
    con = connect()
    con.execute("SET TimeZone = 'America/New_York'")  # must not change the instants
    file = inspect_input(con, path)
    assert list(file.columns) == [
        "service.id",
        "service.description",
        "credits",
        "cost",
        "empty_text",
        "null_text",
        "n",
        "usage_start_time",
    ]
    (row,) = con.execute(f"SELECT * FROM ({raw_select_sql(con, [file])})").fetchall()
    assert row[:2] == ("6F81-5844", "Compute Engine")
    assert json.loads(row[2]) == [{"name": "promo", "amount": -1.5}]
    assert row[3:] == ("12.5", None, None, "42", "2025-11-01T08:00:00Z")


def test_ndjson_records_are_read_as_text_columns(tmp_path: Path) -> None:
    path = tmp_path / "rows.json"
    path.write_text(
        '{"billing_account_id": "0A1B2C-000000", "cost": 1.25, "labels": [{"key": "team"}]}\n'
        '{"billing_account_id": "0A1B2C-000000", "cost": 2, "labels": []}\n',
        encoding="utf-8",
    )
    con = connect()
    file = inspect_input(con, path)
    assert file.format == "ndjson"
    rows = con.execute(f"SELECT * FROM ({raw_select_sql(con, [file])})").fetchall()
    assert rows[0][0] == "0A1B2C-000000"
    assert {r[1] for r in rows} == {"1.25", "2.0"}
    assert json.loads(rows[0][2]) == [{"key": "team"}]


def test_src_for_spark_is_the_same_select_transpiled() -> None:
    sql = src_select_sql(
        "aws-cur-legacy",
        ["\ufeffidentity/LineItemId", "resourceTags/user:Team"],
        dialect="spark",
        normalize_nulls=True,
    )
    parsed = sqlglot.parse_one(sql, read="spark")
    assert "resourceTags" in parsed.named_selects
    assert "`identity/LineItemId`" in sql


def test_the_mapping_runs_over_src_and_lists_focus_columns_first(tmp_path: Path) -> None:
    con = connect()
    open_source(con, "aws-cur-legacy", [cur.write_csv(tmp_path / "c.csv", cur.line_items())])
    relation = run_mapping(con, "aws-cur-legacy")
    assert relation.columns[:57] == list(COLUMN_NAMES)


def test_a_mapping_that_does_not_exist_is_an_input_error() -> None:
    with pytest.raises(FocusInputError, match="no FOCUS mapping"):
        load_mapping("aws-cur3")
