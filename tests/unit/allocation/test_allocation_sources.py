"""Where allocation reads from: partitioned directories, files, globs; and what it refuses."""

from __future__ import annotations

import fnmatch
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from costwarden.adapters.focus.duckdb_cost_drivers import CostDataError
from costwarden.focus.allocation import FocusAllocator, glob_regex
from unit.allocation.conftest import policy_with
from unit.allocation.focus_parquet import cost_row, write_focus_parquet

NOV = date(2026, 11, 1)
DEC = date(2026, 12, 1)


def _copy(statement: str) -> None:
    """Write a file with a connection of its own: ``duckdb.sql`` would leave the shared default
    connection holding COPY's unfetched result, and a later test using it would fail."""
    with duckdb.connect() as conn:
        conn.execute(statement).fetchall()


def _rows() -> list[dict[str, object]]:
    return [
        cost_row(date(2026, 10, 30), "1", team="data"),
        cost_row(date(2026, 11, 2), "2", team="data"),
        cost_row(date(2026, 11, 2), "4", team="web", provider="gcp", account="web-prj"),
    ]


def test_reads_a_partitioned_directory_a_file_and_a_glob_alike(tmp_path: Path) -> None:
    root = write_focus_parquet(tmp_path / "focus", _rows())
    one_file = next((root / "provider=aws" / "billing_period=2026-11").glob("*.parquet"))
    policy = policy_with()

    totals = [
        FocusAllocator(source).allocated_costs(policy, start=NOV, end=DEC).total("USD")
        for source in (root, str(root), one_file, f"{root}/provider=*/billing_period=*/*.parquet")
    ]

    assert totals == [Decimal(6), Decimal(6), Decimal(2), Decimal(6)]


def test_a_charge_billed_in_a_later_period_is_not_pruned_away(tmp_path: Path) -> None:
    # A late charge for 30 Nov that lands in the December billing period.
    late = cost_row(date(2026, 11, 30), "5", team="data")
    late["billing_period"] = "2026-12"
    root = write_focus_parquet(tmp_path / "focus", [late])

    costs = FocusAllocator(root).allocated_costs(policy_with(), start=NOV, end=DEC)

    assert costs.total("USD") == Decimal(5)


def test_a_missing_required_column_is_an_error_not_an_empty_result(tmp_path: Path) -> None:
    path = tmp_path / "bad.parquet"
    _copy(
        "COPY (SELECT TIMESTAMPTZ '2026-11-02 00:00:00+00' AS ChargePeriodStart, "
        "1.5 AS EffectiveCost, 'USD' AS BillingCurrency) TO '" + str(path) + "' (FORMAT parquet)"
    )

    with pytest.raises(CostDataError, match=r"missing required FOCUS column.*ServiceName"):
        FocusAllocator(path).allocated_costs(policy_with(), start=NOV, end=DEC)


def test_a_rule_on_a_column_the_data_lacks_is_an_error_not_a_rule_that_never_matches(
    tmp_path: Path,
) -> None:
    path = tmp_path / "no-category.parquet"
    _copy(
        "COPY (SELECT TIMESTAMPTZ '2026-11-02 00:00:00+00' AS ChargePeriodStart, "
        "1.5 AS EffectiveCost, 'USD' AS BillingCurrency, 'Tax' AS ServiceName) TO '"
        + str(path)
        + "' (FORMAT parquet)"
    )
    policy = policy_with("  shared:\n    - {name: tax, match: {charge_category: Tax}}\n")

    with pytest.raises(
        CostDataError, match=r"shared\[0\] \(tax\) needs the FOCUS column ChargeCategory"
    ):
        FocusAllocator(path).allocated_costs(policy, start=NOV, end=DEC)


def test_no_files_at_all_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CostDataError, match="cannot read FOCUS Parquet"):
        FocusAllocator(tmp_path / "nothing-here").allocated_costs(policy_with(), start=NOV, end=DEC)


def test_an_empty_window_is_an_empty_allocation(tmp_path: Path) -> None:
    root = write_focus_parquet(tmp_path / "focus", _rows())

    costs = FocusAllocator(root).allocated_costs(
        policy_with(), start=date(2027, 1, 1), end=date(2027, 2, 1)
    )

    assert costs.lines == ()
    assert costs.data_through is None


@pytest.mark.parametrize(
    "pattern",
    ["*", "AWS Support*", "amazon*", "a?s*", "[AB]*", "[!A]*", "*(Business)", "x.y+z", "[]]*"],
)
@pytest.mark.parametrize(
    "name", ["AWS Support (Business)", "Amazon EC2", "Azure", "x.y+z", "]", "bX", "x.yyz"]
)
def test_glob_patterns_mean_in_duckdb_what_they_mean_in_the_policy(pattern: str, name: str) -> None:
    expected = fnmatch.fnmatchcase(name.lower(), pattern.lower())

    # fetchall: a result left half-read holds the shared default connection for later tests.
    got = duckdb.execute(
        "SELECT regexp_full_match($n, $r, 'i')", {"n": name, "r": glob_regex(pattern)}
    ).fetchall()

    assert got == [(expected,)]


def test_tags_stored_as_a_parquet_map_are_read_like_a_json_object(tmp_path: Path) -> None:
    # A native FOCUS Parquet may type Tags as MAP(VARCHAR, VARCHAR), not a JSON string.
    path = tmp_path / "map-tags.parquet"
    _copy(
        "COPY (SELECT TIMESTAMPTZ '2026-11-02 00:00:00+00' AS ChargePeriodStart, "
        "12.5::DECIMAL(38, 10) AS EffectiveCost, 'USD' AS BillingCurrency, "
        "'Amazon EC2' AS ServiceName, MAP {'team': 'platform', 'aws:createdBy': 'x'} AS Tags "
        "UNION ALL SELECT TIMESTAMPTZ '2026-11-02 00:00:00+00', 1::DECIMAL(38, 10), 'USD', "
        "'Amazon S3', MAP {'team': 'marketing'}) TO '" + str(path) + "' (FORMAT parquet)"
    )

    costs = FocusAllocator(path).allocated_costs(policy_with(), start=NOV, end=DEC)

    assert {(line.team, line.reason, line.detail, line.amount) for line in costs.lines} == {
        ("platform", None, None, Decimal("12.5")),
        (None, "unknown_team", "marketing", Decimal(1)),
    }
