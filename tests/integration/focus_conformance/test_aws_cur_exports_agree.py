"""Legacy CUR and CUR 2.0 classify the same line items alike.

The two AWS report generations carry the same charges under different headers; the legacy CUR
variant of the conformance fixtures is the CUR 2.0 scenario renamed (``source_fixtures``). Both
mappings must make the same FOCUS rows of it: the same rows (SavingsPlanNegation left out by
both), and per line item the same category, frequency and cost columns. Columns where the two
exports genuinely carry different facts (account names, which legacy CUR lacks) are not compared.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from costwarden.focus.convert import convert
from integration.focus_conformance.source_fixtures import legacy_cur_rows
from unit.focus_mappings.test_aws_cur2_mapping import cur2_rows
from unit.focus_mappings.writers import write_csv

AGREED = (
    "ChargeCategory",
    "ChargeFrequency",
    "ChargeClass",
    "PricingCategory",
    "BilledCost",
    "EffectiveCost",
    "CommitmentDiscountId",
    "CommitmentDiscountStatus",
    "CommitmentDiscountType",
)
# Compared except on Purchase rows: there CUR 2.0 prices a fee without a public rate at its own
# rate (0.0672 x 744 hours = 49.9968) where legacy CUR takes the fee (50); a pricing choice,
# not a classification one.
PRICED = ("ListCost", "ContractedCost")
Key = tuple[object, bool, Decimal, Decimal]


def _rows_by_line_item(source: str, rows: list[Any], folder: Path) -> dict[Key, dict[str, Any]]:
    convert(source, [write_csv(folder / "in.csv", rows)], output=folder / "out.parquet")
    cursor = duckdb.connect().execute(f"SELECT * FROM '{folder / 'out.parquet'}'")
    columns = [d[0] for d in cursor.description]
    out: dict[Key, dict[str, Any]] = {}
    for values in cursor.fetchall():
        row = dict(zip(columns, values, strict=True))
        unused = row["CommitmentDiscountStatus"] == "Unused"
        key = (row["x_LineItemType"], unused, row["BilledCost"], row["EffectiveCost"])
        assert key not in out, f"two rows for {key}"
        out[key] = row
    return out


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[Key, Any], dict[Key, Any]]:
    cur2 = _rows_by_line_item("aws-cur2", cur2_rows(), tmp_path_factory.mktemp("cur2"))
    legacy = _rows_by_line_item(
        "aws-cur-legacy", legacy_cur_rows(), tmp_path_factory.mktemp("legacy")
    )
    return cur2, legacy


def test_both_make_the_same_rows(both: tuple[dict[Key, Any], dict[Key, Any]]) -> None:
    cur2, legacy = both
    assert sorted(cur2, key=str) == sorted(legacy, key=str)
    assert not [k for k in cur2 if k[0] == "SavingsPlanNegation"]


def test_each_line_item_gets_the_same_classification_and_costs(
    both: tuple[dict[Key, Any], dict[Key, Any]],
) -> None:
    cur2, legacy = both
    differences = {}
    for key in cur2.keys() & legacy.keys():
        a, b = cur2[key], legacy[key]
        columns = AGREED + (PRICED if a["ChargeCategory"] != "Purchase" else ())
        differences[key] = {c: (a[c], b[c]) for c in columns if a[c] != b[c]}
    assert {k: d for k, d in differences.items() if d} == {}


def test_the_choices_both_make(both: tuple[dict[Key, Any], dict[Key, Any]]) -> None:
    """FOCUS 1.2: discounts granted after the fact are Credit; Usage and Purchase include
    refunds; an unused commitment is no saving (ListCost 0)."""
    for rows in both:
        by_type = {k[0]: r for k, r in rows.items() if not k[1]}
        assert by_type["EdpDiscount"]["ChargeCategory"] == "Credit"
        assert by_type["EdpDiscount"]["ListCost"] == by_type["EdpDiscount"]["BilledCost"]
        assert by_type["Refund"]["ChargeCategory"] == "Usage"
        assert by_type["Refund"]["ChargeFrequency"] == "One-Time"
        assert by_type["Tax"]["ChargeFrequency"] == "One-Time"
        assert by_type["SavingsPlanCoveredUsage"]["BilledCost"] == 0
        unused = [r for k, r in rows.items() if k[1]]
        assert unused
        assert all(r["ListCost"] == r["ContractedCost"] == 0 for r in unused)
