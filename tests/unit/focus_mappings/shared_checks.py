"""Checks every mapping's output must pass, whatever the source."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

from costwarden.focus.schema import (
    ALLOWED_VALUES,
    COLUMN_NAMES,
    ISO_4217_CODES,
    NOT_NULL_COLUMNS,
    SERVICE_SUBCATEGORIES,
)
from unit.focus_mappings.mapping_support import MappedRows

# FOCUS Unit Format (the patterns focus-validator 2.2.1 applies to PricingUnit/ConsumedUnit):
# a unit, <unit>-<plural time unit>, <unit>/<time unit>, or "<quantity> <unit>".
_SIZE = r"(?:[KMGTPE]i?[bB]|[bB])"
_TIME = r"(?:Year|Month|Day|Hour|Minute|Second)"
_WORDS = r"[A-Za-z][A-Za-z0-9]*(?:\s+[A-Za-z][A-Za-z0-9]*)*"
_UNIT = rf"(?:{_SIZE}|{_TIME}s?|{_WORDS})"
UNIT_FORMAT = re.compile(
    rf"^(?:{_UNIT}|(?:{_SIZE}|{_WORDS})-{_TIME}s|(?:{_SIZE}|{_WORDS}|{_TIME}s)/{_TIME}"
    rf"|[0-9]+ {_UNIT})$"
)


def utc(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def assert_focus_shape(mapped: MappedRows, *, extras: Sequence[str]) -> None:
    """Column order, mandatory values, allowed values, types and flat JSON tags, row by row."""
    assert mapped.columns == [*COLUMN_NAMES, *extras]
    assert all(c.startswith("x_") for c in extras)
    assert mapped.rows, "the mapping produced no rows"
    for row in mapped.rows:
        missing = [c for c in NOT_NULL_COLUMNS if row[c] is None]
        assert not missing, f"columns that must not be null are null {missing} in {row}"
        for column, allowed in ALLOWED_VALUES.items():
            assert row[column] is None or row[column] in allowed, (
                f"{column}={row[column]!r} in {row}"
            )
        assert SERVICE_SUBCATEGORIES[row["ServiceSubcategory"]] == row["ServiceCategory"]
        for column in ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost"):
            assert isinstance(row[column], Decimal)
        assert row["BillingCurrency"] in ISO_4217_CODES
        assert row["BillingPeriodStart"] < row["BillingPeriodEnd"]
        assert row["ChargePeriodStart"] < row["ChargePeriodEnd"]
        assert row["BillingPeriodStart"].utcoffset() is not None  # TIMESTAMPTZ
        if row["ChargeCategory"] == "Tax":
            assert row["PricingQuantity"] is None
            assert row["PricingUnit"] is None
        if row["ChargeCategory"] in ("Usage", "Purchase") and row["ChargeClass"] is None:
            assert row["PricingCategory"] is not None
        if row["ChargeCategory"] == "Credit":
            assert row["ListCost"] == row["ContractedCost"] == row["BilledCost"]
        for price, cost in (
            ("ListUnitPrice", "ListCost"),
            ("ContractedUnitPrice", "ContractedCost"),
        ):
            if row[price] is not None and row["PricingQuantity"] is not None:
                assert row[cost] == (row[price] * row["PricingQuantity"]).quantize(Decimal("1e-10"))
        for unit in ("PricingUnit", "ConsumedUnit"):
            if row[unit] is not None:
                assert UNIT_FORMAT.match(row[unit]), f"{unit}={row[unit]!r} is not in Unit Format"
        if row["Tags"] is not None:
            tags = json.loads(row["Tags"])
            assert isinstance(tags, dict)
            assert all(not isinstance(v, dict | list) for v in tags.values()), row["Tags"]
        if row["CommitmentDiscountStatus"] is not None:
            assert row["CommitmentDiscountId"] is not None
            assert row["ChargeCategory"] == "Usage"
