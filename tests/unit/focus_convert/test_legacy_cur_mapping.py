"""The AWS legacy CUR mapping: every LineItemType to the FOCUS values AWS's amortization implies.

GIVEN one generated line item per LineItemType, written as CSV (with a BOM), gzip CSV, typed
Parquet and Athena-named Parquet, with nulls written as '', 'NULL' and '{}'
WHEN converted
THEN each FOCUS row has the expected values (legacy_want.EXPECTED), whatever the file format.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from costwarden.focus.convert import convert
from unit.focus_convert import legacy_cur as cur
from unit.focus_convert import legacy_cur_expected as want
from unit.focus_convert.support import read_focus

Writer = Callable[[Path], list[Path]]

FORMATS: dict[str, Writer] = {
    "csv with BOM": lambda d: [cur.write_csv(d / "cur.csv", cur.line_items(), bom=True)],
    "gzip csv": lambda d: [cur.write_csv(d / "cur-00001.csv.gz", cur.line_items(), gzipped=True)],
    "typed parquet": lambda d: [cur.write_parquet(d / "cur.snappy.parquet", cur.line_items())],
    "athena-named parquet": lambda d: [
        cur.write_parquet(d / "cur.parquet", cur.line_items(), athena_names=True)
    ],
    "two csv parts": lambda d: [
        cur.write_csv(d / "part-1.csv", cur.line_items()[:8]),
        cur.write_csv(d / "part-2.csv.gz", cur.line_items()[8:], gzipped=True),
    ],
}


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, dict[str, Any]]]:
    """Each format converted once; tests compare rows."""
    out = {}
    for name, write in FORMATS.items():
        folder = tmp_path_factory.mktemp(name.replace(" ", "-"))
        convert("aws-cur-legacy", write(folder / "in"), output=folder / "out")
        out[name] = read_focus(folder / "out")
    return out


@pytest.mark.parametrize("key", sorted(want.EXPECTED))
def test_each_line_item_maps_to_its_focus_values(
    key: str, converted: dict[str, dict[str, dict[str, Any]]]
) -> None:
    row = converted["csv with BOM"][key]
    expected = {**want.COMMON, **want.EXPECTED[key]}
    actual = {column: row[column] for column in expected}
    assert actual == expected


@pytest.mark.parametrize("fmt", sorted(set(FORMATS) - {"csv with BOM"}))
def test_every_input_format_yields_the_same_rows(
    fmt: str, converted: dict[str, dict[str, dict[str, Any]]]
) -> None:
    assert converted[fmt].keys() == converted["csv with BOM"].keys()
    for key, reference in converted["csv with BOM"].items():
        row, expected = converted[fmt][key], reference
        if fmt == "athena-named parquet":
            # Athena's snake_case headers lost the tag keys' case: the keys follow the file.
            row, expected = {**row, "Tags": None}, {**reference, "Tags": None}
        assert row == expected, key


def test_athena_named_tag_columns_become_keys_as_the_file_spells_them(
    converted: dict[str, dict[str, dict[str, Any]]],
) -> None:
    assert converted["athena-named parquet"]["u-ec2"]["Tags"] == {
        "team": "platform",
        "name": "web-1",
        "aws:created_by": "AssumedRole:AROA123:ci",
        "costCategory/env": "prod",
    }


def test_tags_are_a_flat_object_with_user_keys_unprefixed_and_aws_keys_prefixed(
    converted: dict[str, dict[str, dict[str, Any]]],
) -> None:
    tags = converted["csv with BOM"]["u-ec2"]["Tags"]
    assert tags == {
        "Team": "platform",
        "Name": "web-1",
        "aws:createdBy": "AssumedRole:AROA123:ci",
        "costCategory/Env": "prod",
    }
    assert all(isinstance(v, str) for v in tags.values())


def test_account_ids_keep_their_leading_zeros(
    converted: dict[str, dict[str, dict[str, Any]]],
) -> None:
    for rows in converted.values():
        assert {r["BillingAccountId"] for r in rows.values()} == {"012345678901"}
        assert {r["SubAccountId"] for r in rows.values()} == {"000123456789"}


def test_a_one_off_charge_stamped_with_an_instant_gets_a_one_hour_charge_period(
    converted: dict[str, dict[str, dict[str, Any]]],
) -> None:
    fee = converted["csv with BOM"]["fee"]
    assert fee["ChargePeriodStart"].isoformat() == "2025-11-02T09:30:00+00:00"
    assert fee["ChargePeriodEnd"].isoformat() == "2025-11-02T10:30:00+00:00"


def test_billed_cost_totals_the_invoice_and_effective_cost_the_amortized_cost(
    converted: dict[str, dict[str, dict[str, Any]]],
) -> None:
    rows = converted["csv with BOM"].values()
    assert sum(r["BilledCost"] for r in rows) == want.invoice_total(cur.line_items())
    assert sum(r["EffectiveCost"] for r in rows) == want.amortized_total()
    # The amortized view moves the RI and SP purchases onto usage and unused commitment.
    assert want.invoice_total(cur.line_items()) == Decimal("1388.782")
    assert want.amortized_total() == Decimal("28.522")


def test_a_savings_plan_negation_is_left_out_and_its_covered_usage_billed_at_zero(
    converted: dict[str, dict[str, dict[str, Any]]],
) -> None:
    """As in CUR 2.0: the negation only cancels the covered line's on-demand cost on the bill,
    so the pair's BilledCost is 0 either way, and FOCUS bills covered usage at 0."""
    rows = converted["csv with BOM"]
    assert "spneg" not in rows
    assert rows["spcu"]["BilledCost"] == 0
    assert {r["x_LineItemType"] for r in rows.values()} >= {"SavingsPlanCoveredUsage"}


def test_timestamps_are_utc_instants(converted: dict[str, dict[str, dict[str, Any]]]) -> None:
    row = converted["typed parquet"]["u-ec2"]
    assert row["BillingPeriodStart"].isoformat() == "2025-11-01T00:00:00+00:00"
    assert row["ChargePeriodStart"].isoformat() == "2025-11-03T10:00:00+00:00"
