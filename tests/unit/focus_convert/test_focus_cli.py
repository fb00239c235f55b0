"""``costwarden focus convert|validate|sql``: output, exit statuses, no tracebacks.

Run through typer's CliRunner on the ``focus_app`` sub-app (the main command registers it as
``costwarden focus``).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import sqlglot
from typer.testing import CliRunner

from costwarden.focus.cli import focus_app
from unit.focus_convert import legacy_cur as cur

runner = CliRunner()


def _run(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(
        focus_app, [str(a) for a in args], env={"NO_COLOR": "1", "COLUMNS": "200"}
    )
    assert "Traceback" not in result.stdout + result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_convert_writes_the_period_and_prints_its_totals(tmp_path: Path) -> None:
    source = cur.write_csv(tmp_path / "cur.csv.gz", cur.line_items(), gzipped=True)
    code, out, _ = _run("convert", "--from", "aws-cur-legacy", source, "--output", tmp_path / "o")
    assert code == 0
    assert "aws 2025-11: 18 rows, BilledCost 1388.7820000000 (source 1388.7820000000)" in out
    assert (tmp_path / "o/provider=aws/billing_period=2025-11/part-0.parquet").exists()


def test_a_second_payer_into_the_same_output_is_refused_unless_replace(tmp_path: Path) -> None:
    """Periods are keyed by provider and month: payer B's export must not delete payer A's."""
    out = tmp_path / "o"
    first = cur.write_csv(tmp_path / "a.csv", cur.line_items())
    other = [{**r, "bill/PayerAccountId": "222222222222"} for r in cur.line_items()]
    second = cur.write_csv(tmp_path / "b.csv", other)
    assert _run("convert", "--from", "aws-cur-legacy", first, "-o", out)[0] == 0
    before = sorted(p.read_bytes() for p in out.rglob("*.parquet"))

    code, stdout, err = _run("convert", "--from", "aws-cur-legacy", second, "-o", out)
    assert (code, stdout) == (2, "")
    assert err.startswith("error: "), err
    assert "billing account(s) 012345678901" in err
    assert "--replace" in err
    assert sorted(p.read_bytes() for p in out.rglob("*.parquet")) == before

    code, _, _ = _run("convert", "--from", "aws-cur-legacy", second, "-o", out, "--replace")
    assert code == 0
    accounts = duckdb.sql(
        f"SELECT DISTINCT BillingAccountId FROM read_parquet('{out}/**/*.parquet')"
    ).fetchall()
    assert accounts == [("222222222222",)]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "aws-cur-legacy", "missing.csv"], "error: missing.csv: no such file"),
        (["--from", "aws-cur9", "x.csv"], "error: --from 'aws-cur9': choose one of"),
        (["--from", "aws-cur-legacy", "notes.csv"], "error: notes.csv: missing column"),
    ],
)
def test_convert_bad_input_is_one_error_line_and_exit_2(
    args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.csv").write_text("name,age\nada,36\n", encoding="utf-8")
    code, out, err = _run("convert", *args, "--output", "out")
    assert code == 2
    assert err.startswith(message), err
    assert out == ""


def test_convert_refused_by_the_checks_exits_2_and_names_the_rules(tmp_path: Path) -> None:
    rows = cur.line_items()
    rows[0]["lineItem/CurrencyCode"] = "DOLLARS"
    source = cur.write_csv(tmp_path / "cur.csv", rows)
    code, _, err = _run("convert", "--from", "aws-cur-legacy", source, "-o", tmp_path / "o")
    assert code == 2
    assert err.startswith("error: converted rows fail FOCUS checks; nothing was written")
    assert "BillingCurrency.iso-4217: 1 of 18 rows" in err
    assert not (tmp_path / "o").exists() or not list((tmp_path / "o").rglob("*.parquet"))


@pytest.fixture
def converted(tmp_path: Path) -> Path:
    source = cur.write_csv(tmp_path / "cur.csv", cur.line_items())
    assert _run("convert", "--from", "aws-cur-legacy", source, "-o", tmp_path / "focus")[0] == 0
    return tmp_path / "focus"


def test_validate_passes_converted_data_with_a_summary(converted: Path) -> None:
    code, out, _ = _run("validate", converted)
    assert code == 0
    assert "18 rows" in out
    assert "passes" in out


def test_validate_exits_1_on_rule_errors_and_shows_the_rule(
    tmp_path: Path, converted: Path
) -> None:
    broken = tmp_path / "broken.parquet"
    duckdb.connect().execute(
        f"COPY (SELECT * REPLACE ('Taxes' AS ChargeCategory) FROM "
        f"read_parquet('{converted}/**/*.parquet', hive_partitioning = false)) "
        f"TO '{broken}' (FORMAT parquet)"
    )
    code, out, _ = _run("validate", broken)
    assert code == 1
    assert "ChargeCategory.allowed-values" in out
    assert "fails" in out


def test_validate_strict_also_fails_on_warnings(converted: Path) -> None:
    assert _run("validate", converted)[0] == 0
    assert _run("validate", "--strict", converted)[0] == 1  # the fixture has known warnings


def test_validate_json_lists_failures_with_samples(converted: Path) -> None:
    import json

    code, out, _ = _run("validate", "--json", converted)
    report = json.loads(out)
    assert code == 0
    assert report["rows"] == 18
    assert report["ok"] is True
    assert all(f["severity"] == "warning" for f in report["failures"])


def test_validate_unreadable_input_exits_2(tmp_path: Path) -> None:
    code, _, err = _run("validate", tmp_path / "nothing-here")
    assert code == 2
    assert err.startswith("error: ")


@pytest.mark.parametrize("dialect", ["duckdb", "trino", "bigquery", "spark"])
def test_sql_prints_the_mapping_for_each_dialect(dialect: str) -> None:
    code, out, _ = _run("sql", "--from", "aws-cur-legacy", "--dialect", dialect)
    assert code == 0
    assert "BilledCost" in sqlglot.parse_one(out, read=dialect).named_selects


def test_sql_refuses_an_unknown_dialect() -> None:
    code, _, err = _run("sql", "--from", "aws-cur-legacy", "--dialect", "oracle")
    assert code == 2
    assert err.startswith("error: --dialect 'oracle'")


def test_validate_from_a_providers_export_judges_as_convert_did(tmp_path: Path) -> None:
    # AWS's FOCUS data may give one service two categories (its FOCUS 1.0 sample does): convert
    # keeps that as a warning and says how to see it; validate --from agrees, plain validate
    # judges the file as FOCUS and refuses it.
    base = {
        "BillingPeriodStart": "2026-10-01T00:00:00Z",
        "BillingPeriodEnd": "2026-11-01T00:00:00Z",
        "ChargePeriodStart": "2026-10-02T00:00:00Z",
        "ChargePeriodEnd": "2026-10-02T01:00:00Z",
        "BillingCurrency": "USD",
        "ChargeCategory": "Usage",
        "ChargeFrequency": "Usage-Based",
        "BillingAccountId": "012345678901",
        "SubAccountId": "000987654321",
        "ServiceName": "Amazon Elastic Compute Cloud",
        "ChargeDescription": "usage",
    }
    rows = [
        {**base, "BilledCost": "1", "ServiceCategory": "Compute"},
        {**base, "BilledCost": "2", "ServiceCategory": "Storage"},
    ]
    export = tmp_path / "focus.csv"
    header = list(rows[0])
    export.write_text(
        ",".join(header) + "\n" + "".join(",".join(r[h] for h in header) + "\n" for r in rows),
        encoding="utf-8",
    )
    out = tmp_path / "out.parquet"

    code, _, err = _run("convert", "--from", "aws-focus", export, "-o", out)
    assert code == 0
    assert f"costwarden focus validate {out} --from aws-focus" in err
    code, text, _ = _run("validate", "--from", "aws-focus", out)
    assert code == 0
    assert "ServiceName.one-category" in text
    assert "warning" in text
    assert _run("validate", out)[0] == 1
    assert _run("validate", "--from", "oracle-cost", out)[0] == 2


def test_a_wrong_from_names_the_sources_whose_columns_the_file_has(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("costs.csv").write_text("Date,CostInBillingCurrency\n09/03/2026,1.5\n", encoding="utf-8")
    code, _, err = _run("convert", "--from", "aws-cur2", "costs.csv", "--output", "out")
    assert code == 2
    assert err.startswith("error: costs.csv: missing column line_item_line_item_type")
    assert err.rstrip().endswith("; its columns are those of --from azure-cost")
