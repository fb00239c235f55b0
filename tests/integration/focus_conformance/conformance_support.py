"""Support for the FOCUS conformance tests: the validator harness and hand-built FOCUS data.

``import_runner()`` imports tools/focus_validator/run.py (a script, not a package).
``write_focus_parquet()`` writes typed FOCUS 1.2 Cost and Usage rows with DuckDB. Its column list
is independent of costwarden's own FOCUS schema module on purpose, so the two check each other;
``CONFORMANT_ROWS`` were checked row by row against the FOCUS 1.2 text.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import ModuleType

import duckdb

REPO_ROOT = Path(__file__).resolve().parents[3]
RUN_PY = REPO_ROOT / "tools" / "focus_validator" / "run.py"


def import_runner() -> ModuleType:
    """tools/focus_validator/run.py as a module (stdlib only, so it imports under any Python)."""
    spec = importlib.util.spec_from_file_location("focus_validator_runner", RUN_PY)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


# -- hand-built FOCUS 1.2 data ------------------------------------------------------------------
# The 57 FOCUS 1.2 Cost and Usage columns with the types costwarden writes, plus one x_ extra.
DEC = "DECIMAL(38,10)"
TS = "TIMESTAMPTZ"
COLUMNS: dict[str, str] = {
    "AvailabilityZone": "VARCHAR",
    "BilledCost": DEC,
    "BillingAccountId": "VARCHAR",
    "BillingAccountName": "VARCHAR",
    "BillingAccountType": "VARCHAR",
    "BillingCurrency": "VARCHAR",
    "BillingPeriodEnd": TS,
    "BillingPeriodStart": TS,
    "CapacityReservationId": "VARCHAR",
    "CapacityReservationStatus": "VARCHAR",
    "ChargeCategory": "VARCHAR",
    "ChargeClass": "VARCHAR",
    "ChargeDescription": "VARCHAR",
    "ChargeFrequency": "VARCHAR",
    "ChargePeriodEnd": TS,
    "ChargePeriodStart": TS,
    "CommitmentDiscountCategory": "VARCHAR",
    "CommitmentDiscountId": "VARCHAR",
    "CommitmentDiscountName": "VARCHAR",
    "CommitmentDiscountQuantity": DEC,
    "CommitmentDiscountStatus": "VARCHAR",
    "CommitmentDiscountType": "VARCHAR",
    "CommitmentDiscountUnit": "VARCHAR",
    "ConsumedQuantity": DEC,
    "ConsumedUnit": "VARCHAR",
    "ContractedCost": DEC,
    "ContractedUnitPrice": DEC,
    "EffectiveCost": DEC,
    "InvoiceId": "VARCHAR",
    "InvoiceIssuerName": "VARCHAR",
    "ListCost": DEC,
    "ListUnitPrice": DEC,
    "PricingCategory": "VARCHAR",
    "PricingCurrency": "VARCHAR",
    "PricingCurrencyContractedUnitPrice": DEC,
    "PricingCurrencyEffectiveCost": DEC,
    "PricingCurrencyListUnitPrice": DEC,
    "PricingQuantity": DEC,
    "PricingUnit": "VARCHAR",
    "ProviderName": "VARCHAR",
    "PublisherName": "VARCHAR",
    "RegionId": "VARCHAR",
    "RegionName": "VARCHAR",
    "ResourceId": "VARCHAR",
    "ResourceName": "VARCHAR",
    "ResourceType": "VARCHAR",
    "ServiceCategory": "VARCHAR",
    "ServiceName": "VARCHAR",
    "ServiceSubcategory": "VARCHAR",
    "SkuId": "VARCHAR",
    "SkuMeter": "VARCHAR",
    "SkuPriceDetails": "VARCHAR",
    "SkuPriceId": "VARCHAR",
    "SubAccountId": "VARCHAR",
    "SubAccountName": "VARCHAR",
    "SubAccountType": "VARCHAR",
    "Tags": "VARCHAR",
    "x_Operation": "VARCHAR",
}

# Columns every row shares: one AWS payer and member account, June 2025, USD.
COMMON: dict[str, str | None] = {
    "BillingAccountId": "123456789012",
    "BillingAccountName": "Example Payer",
    "BillingAccountType": "Billing Account",
    "BillingCurrency": "USD",
    "BillingPeriodStart": "2025-06-01 00:00:00+00",
    "BillingPeriodEnd": "2025-07-01 00:00:00+00",
    "InvoiceId": "EUINUS25-123456",
    "InvoiceIssuerName": "AWS",
    "ProviderName": "AWS",
    "PublisherName": "AWS",
    "PricingCurrency": "USD",
    "SubAccountId": "012345678901",
    "SubAccountName": "Example Member",
    "SubAccountType": "Account",
    "ServiceName": "Amazon Elastic Compute Cloud",
    "ServiceCategory": "Compute",
    "ServiceSubcategory": "Virtual Machines",
}

_USAGE_HOUR = {
    "ChargeCategory": "Usage",
    "ChargeFrequency": "Usage-Based",
    "ChargePeriodStart": "2025-06-02 00:00:00+00",
    "ChargePeriodEnd": "2025-06-02 01:00:00+00",
    "AvailabilityZone": "us-east-1a",
    "RegionId": "us-east-1",
    "RegionName": "US East (N. Virginia)",
    "ResourceId": "arn:aws:ec2:us-east-1:012345678901:instance/i-0abc123def4567890",
    "ResourceName": "web-1",
    "ResourceType": "Instance",
    "SkuId": "DQ578CGN99KG6ECF",
    "SkuPriceId": "DQ578CGN99KG6ECF.JRTCKXETXF.6YS6EN2CT7",
    "SkuMeter": "Compute Instance",
    "ConsumedQuantity": "1",
    "ConsumedUnit": "Hours",
    "PricingQuantity": "1",
    "PricingUnit": "Hours",
    "ListUnitPrice": "0.0416",
    "ContractedUnitPrice": "0.0416",
    "PricingCurrencyListUnitPrice": "0.0416",
    "PricingCurrencyContractedUnitPrice": "0.0416",
    "Tags": '{"team": "core", "aws:createdBy": "AssumedRole:AROAEXAMPLE:ci"}',
    "x_Operation": "RunInstances",
}
_SAVINGS_PLAN = {
    "CommitmentDiscountId": (
        "arn:aws:savingsplans::123456789012:savingsplan/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"
    ),
    "CommitmentDiscountName": "compute-sp-1y",
    "CommitmentDiscountCategory": "Spend",
    "CommitmentDiscountType": "Compute Savings Plan",
    "CommitmentDiscountUnit": "USD",
}


def _money(amount: str, effective: str | None = None) -> dict[str, str | None]:
    effective = amount if effective is None else effective
    return {
        "BilledCost": amount,
        "EffectiveCost": effective,
        "PricingCurrencyEffectiveCost": effective,
        "ListCost": amount,
        "ContractedCost": amount,
    }


# A month of one member account: on-demand usage, usage covered by a Savings Plan, the plan's
# monthly fee, usage in a capacity reservation, tax and a credit. Every row obeys FOCUS 1.2 as
# the spec text reads.
CONFORMANT_ROWS: list[dict[str, str | None]] = [
    {**_USAGE_HOUR, **_money("0.0416"), "PricingCategory": "Standard"},
    {
        **_USAGE_HOUR,
        **_SAVINGS_PLAN,
        **_money("0", effective="0.0300"),
        "ListCost": "0.0416",
        "ContractedCost": "0.0416",
        "ChargePeriodStart": "2025-06-02 01:00:00+00",
        "ChargePeriodEnd": "2025-06-02 02:00:00+00",
        "PricingCategory": "Committed",
        "CommitmentDiscountStatus": "Used",
        "CommitmentDiscountQuantity": "0.0300",
    },
    {
        **_SAVINGS_PLAN,
        **_money("21.60", effective="0"),
        "ChargeCategory": "Purchase",
        "ChargeFrequency": "Recurring",
        "ChargeDescription": "1 year No Upfront Compute Savings Plan",
        "ChargePeriodStart": "2025-06-01 00:00:00+00",
        "ChargePeriodEnd": "2025-07-01 00:00:00+00",
        "PricingCategory": "Standard",
        "PricingQuantity": "720",
        "PricingUnit": "Hours",
        "ListUnitPrice": "0.03",
        "ContractedUnitPrice": "0.03",
        "PricingCurrencyListUnitPrice": "0.03",
        "PricingCurrencyContractedUnitPrice": "0.03",
        "CommitmentDiscountQuantity": "21.60",
        "ResourceId": _SAVINGS_PLAN["CommitmentDiscountId"],
        "ResourceName": "compute-sp-1y",
        "ResourceType": "Savings Plan",
        "SkuId": "SP-COMPUTE-1Y-NU",
        "SkuPriceId": "SP-COMPUTE-1Y-NU.0_03",
        "SkuMeter": "Savings Plan",
    },
    {
        **_USAGE_HOUR,
        **_money("0.0416"),
        "ChargePeriodStart": "2025-06-02 02:00:00+00",
        "ChargePeriodEnd": "2025-06-02 03:00:00+00",
        "PricingCategory": "Standard",
        "CapacityReservationId": (
            "arn:aws:ec2:us-east-1:012345678901:capacity-reservation/cr-0123456789abcdef0"
        ),
        "CapacityReservationStatus": "Used",
    },
    {
        **_money("0.0043"),
        "ChargeCategory": "Tax",
        "ChargeFrequency": "Recurring",
        "ChargeDescription": "Tax for product code AmazonEC2",
        "ChargePeriodStart": "2025-06-01 00:00:00+00",
        "ChargePeriodEnd": "2025-07-01 00:00:00+00",
    },
    {
        **_money("-0.0416"),
        "ChargeCategory": "Credit",
        "ChargeFrequency": "One-Time",
        "ChargeDescription": "AWS Activate credit",
        "ChargePeriodStart": "2025-06-01 00:00:00+00",
        "ChargePeriodEnd": "2025-07-01 00:00:00+00",
    },
]
for _row in CONFORMANT_ROWS:
    _row.setdefault("ChargeDescription", "$0.0416 per On Demand Linux t3.medium Instance Hour")

WriteFocus = Callable[..., Path]


def write_focus_parquet(
    path: Path,
    rows: Sequence[Mapping[str, str | None]] = CONFORMANT_ROWS,
    *,
    drop: Sequence[str] = (),
    types: Mapping[str, str] | None = None,
) -> Path:
    """Typed FOCUS 1.2 Parquet: each row is COMMON + the row; unnamed columns are NULL.

    ``drop`` leaves columns out; ``types`` overrides a column's DuckDB type (to break the schema).
    """
    columns = {**COLUMNS, **(types or {})}
    columns = {name: kind for name, kind in columns.items() if name not in drop}
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(
            "CREATE TABLE focus ("
            + ", ".join(f'"{name}" {kind}' for name, kind in columns.items())
            + ")"
        )
        placeholders = ", ".join(f"CAST(? AS {kind})" for kind in columns.values())
        con.executemany(
            f"INSERT INTO focus VALUES ({placeholders})",
            [[{**COMMON, **row}.get(name) for name in columns] for row in rows],
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        con.execute(f"COPY focus TO '{path}' (FORMAT parquet)")
    finally:
        con.close()
    return path
