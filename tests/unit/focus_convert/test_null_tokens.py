"""The null tokens ('', 'NULL', '{}') become NULL in ``src`` whatever the reader skips proving.

``null_tokens`` leaves out a NULLIF only where a token cannot occur (a Parquet chunk's
statistics, the CSV reader's own ``nullstr``, JSON text of a nested value); these tests pin
that the values stay the same, and that the proof is used where it holds.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import duckdb

from costwarden.focus.engine import connect
from costwarden.focus.null_tokens import parquet_absent_tokens
from costwarden.focus.sources import inspect_input, raw_select_sql


def _parquet(path: Path, select: str) -> Path:
    # Two rows per row group, so a token in one row group only must still be found.
    duckdb.connect().execute(f"COPY ({select}) TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 2)")
    return path


def _raw(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[str, list[tuple[object, ...]]]:
    sql = raw_select_sql(con, [inspect_input(con, path)])
    return sql, con.execute(f"SELECT * FROM ({sql}) ORDER BY i").fetchall()


def test_parquet_tokens_are_null_even_when_only_one_row_group_holds_them(tmp_path: Path) -> None:
    path = _parquet(
        tmp_path / "t.parquet",
        "SELECT * FROM (VALUES (1, 'a', '012345678901'), (2, 'b', '012345678902'), "
        "(3, '', '012345678903'), (4, 'NULL', '012345678904'), (5, '{}', '012345678905'), "
        "(6, 'z', '012345678906')) AS t(i, mixed, account)",
    )
    con = connect()
    sql, rows = _raw(con, path)
    assert [r[1] for r in rows] == ["a", "b", None, None, None, "z"]
    assert [r[2] for r in rows][:2] == ["012345678901", "012345678902"]
    # Account ids are digits: every chunk's [min, max] excludes all three tokens.
    assert '"account" AS' in sql
    assert 'NULLIF("mixed"' in sql


def test_statistics_prove_which_tokens_a_parquet_text_column_cannot_hold(tmp_path: Path) -> None:
    path = _parquet(
        tmp_path / "t.parquet",
        "SELECT * FROM (VALUES ('arn:aws:ec2:1', 'Usage', NULL::VARCHAR), "
        "('arn:aws:ec2:2', 'Tax', NULL), ('arn:aws:ec2:3', 'Credit', NULL)) "
        "AS t(arn, line_type, nothing)",
    )
    absent = parquet_absent_tokens(duckdb.connect(), [path])
    assert absent["arn"] == {"", "NULL", "{}"}  # lower-case ARNs sort above 'NULL', below '{}'
    assert absent["line_type"] == {"", "{}"}  # 'Credit' .. 'Usage' spans 'NULL'
    assert absent["nothing"] == {"", "NULL", "{}"}  # only nulls


def test_nested_values_as_json_text_keep_an_empty_object_null(tmp_path: Path) -> None:
    path = _parquet(
        tmp_path / "t.parquet",
        "SELECT 1 AS i, MAP {'team': 'web'} AS tags, [1, 2] AS ids "
        "UNION ALL SELECT 2, MAP {}::MAP(VARCHAR, VARCHAR), []::INTEGER[]",
    )
    sql, rows = _raw(connect(), path)
    assert rows == [("1", '{"team":"web"}', "[1,2]"), ("2", None, "[]")]
    # A MAP prints as {...}: only '{}' can be a token; a LIST prints as [...]: none can.
    assert "NULLIF(CAST(to_json(\"tags\") AS VARCHAR), '{}') AS" in sql
    assert 'CAST(to_json("ids") AS VARCHAR) AS "ids"' in sql


def test_a_csv_is_read_with_the_dialect_sniffed_once_and_its_tokens_are_null(
    tmp_path: Path,
) -> None:
    path = tmp_path / "export.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8", newline="") as handle:
        handle.write('\ufeffid;name;tags\n1;"";{}\n2;NULL;"{}"\n3;"a;b";x\n')
    con = connect()
    file = inspect_input(con, path)
    assert file.reader_options.startswith(", delim=';'")
    assert list(file.columns) == ["id", "name", "tags"]
    rows = con.execute(f"SELECT * FROM ({raw_select_sql(con, [file])}) ORDER BY id").fetchall()
    assert rows == [("1", None, None), ("2", None, None), ("3", "a;b", "x")]


def test_a_csv_header_the_sniffed_call_cannot_spell_is_still_read(tmp_path: Path) -> None:
    # DuckDB's suggested read_csv call leaves the quote in b'c unescaped: read it as before.
    path = tmp_path / "odd.csv"
    path.write_text('a,"b\'c",d\\e,"f,g"\n1,2,,NULL\n', encoding="utf-8")
    con = connect()
    file = inspect_input(con, path)
    assert file.reader_options == ""
    assert list(file.columns) == ["a", "b'c", "d\\e", "f,g"]
    rows = con.execute(f"SELECT * FROM ({raw_select_sql(con, [file])})").fetchall()
    assert rows == [("1", "2", None, None)]
