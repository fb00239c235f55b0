"""What the FOCUS conversion must make of each generated legacy CUR line item.

``EXPECTED`` holds, per line item id, FOCUS values the conversion must produce; an RIFee or
SavingsPlanRecurringFee with unused commitment also yields a second row, keyed ``<id>/unused``;
a SavingsPlanNegation yields none (``LEFT_OUT``).
``COMMON`` holds the values every row carries. Every entry states its EffectiveCost, so the
amortized total is their sum.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from unit.focus_convert.legacy_cur import ACCOUNT, PAYER, RI_ARN, SP_ARN

D = Decimal
TAGS_EC2 = {
    "Team": "platform",
    "Name": "web-1",
    "aws:createdBy": "AssumedRole:AROA123:ci",
    "costCategory/Env": "prod",
}

# Per FOCUS row (x_LineItemId, or "<id>/unused"): the values the mapping must produce.
EXPECTED: dict[str, dict[str, Any]] = {
    "u-ec2": {
        "ChargeCategory": "Usage",
        "ChargeFrequency": "Usage-Based",
        "ChargeClass": None,
        "BilledCost": D("0.192"),
        "EffectiveCost": D("0.192"),
        "ListCost": D("0.192"),
        "ContractedCost": D("0.192"),
        "ListUnitPrice": D("0.096"),
        "ContractedUnitPrice": D("0.096"),
        "PricingQuantity": D(2),
        "PricingUnit": "Hours",
        "ConsumedQuantity": D(2),
        "PricingCategory": "Standard",
        "ServiceCategory": "Compute",
        "ServiceSubcategory": "Virtual Machines",
        "ServiceName": "Amazon Elastic Compute Cloud",
        "ResourceId": "i-0abc123",
        "ResourceName": "web-1",
        "ResourceType": "Compute Instance",
        "RegionId": "us-east-1",
        "RegionName": "US East (N. Virginia)",
        "AvailabilityZone": "us-east-1a",
        "SkuId": "SKUM5LARGE0001",
        "SkuMeter": "USE1-BoxUsage:m5.large",
        "CommitmentDiscountId": None,
        "Tags": TAGS_EC2,
    },
    "u-s3": {
        "ChargeCategory": "Usage",
        "BilledCost": D("0.23"),
        "EffectiveCost": D("0.23"),
        "ServiceCategory": "Storage",
        "ServiceSubcategory": "Object Storage",
        "Tags": {"Team": 'data "lake"'},
        "PricingUnit": "GB-Months",
        "ConsumedUnit": "GB-Months",
        "ResourceId": None,
        "ResourceName": None,
    },
    "u-spot": {
        "PricingCategory": "Dynamic",
        "BilledCost": D("0.05"),
        "EffectiveCost": D("0.05"),
        "ListCost": D("0.17"),
        "ResourceName": None,
        "Tags": None,
    },
    "du": {
        "ChargeCategory": "Usage",
        "ChargeFrequency": "Usage-Based",
        "BilledCost": D(0),
        "EffectiveCost": D("1.44"),
        "ListCost": D("2.304"),
        "ContractedCost": D("2.304"),
        "ContractedUnitPrice": D("0.096"),
        "PricingCategory": "Committed",
        "CommitmentDiscountId": RI_ARN,
        "CommitmentDiscountStatus": "Used",
        "CommitmentDiscountCategory": "Usage",
        "CommitmentDiscountType": "Reserved Instance",
        "CommitmentDiscountQuantity": D(24),
        "CommitmentDiscountUnit": "Hours",
    },
    "rifee": {
        "ChargeCategory": "Purchase",
        "ChargeFrequency": "Recurring",
        "BilledCost": D("43.2"),
        "EffectiveCost": D(0),
        "PricingCategory": "Standard",
        "CommitmentDiscountId": RI_ARN,
        "CommitmentDiscountStatus": None,
        "CommitmentDiscountQuantity": D(720),
        "ConsumedQuantity": None,
        "x_RowKind": "charge",
    },
    "rifee/unused": {
        "ChargeCategory": "Usage",
        "ChargeFrequency": "Usage-Based",
        "BilledCost": D(0),
        "EffectiveCost": D("15.8"),
        "ListCost": D(0),
        "ContractedCost": D(0),
        "CommitmentDiscountStatus": "Unused",
        "CommitmentDiscountId": RI_ARN,
        "CommitmentDiscountQuantity": D(180),
        "ConsumedQuantity": None,
        "PricingCategory": "Committed",
        "x_RowKind": "unused",
    },
    "fee": {
        "ChargeCategory": "Purchase",
        "ChargeFrequency": "One-Time",
        "BilledCost": D(1000),
        "EffectiveCost": D(0),
        "CommitmentDiscountId": RI_ARN,
        "CommitmentDiscountQuantity": D(1),
    },
    "spcu": {
        "ChargeCategory": "Usage",
        "BilledCost": D(0),  # billed by the plan's fees; its negation line is left out
        "EffectiveCost": D("0.7"),
        "ListCost": D("1.0"),
        "CommitmentDiscountId": SP_ARN,
        "CommitmentDiscountStatus": "Used",
        "CommitmentDiscountCategory": "Spend",
        "CommitmentDiscountType": "Savings Plan",
        "CommitmentDiscountQuantity": D("0.7"),
        "CommitmentDiscountUnit": "USD",
        "PricingCategory": "Committed",
        "PricingUnit": "Lambda GB-Seconds",
        "ServiceCategory": "Compute",
        "ServiceSubcategory": "Serverless Compute",
    },
    "sprf": {
        "ChargeCategory": "Purchase",
        "ChargeFrequency": "Recurring",
        "BilledCost": D(50),
        "EffectiveCost": D(0),
        "CommitmentDiscountId": SP_ARN,
        "CommitmentDiscountQuantity": D(50),
        "CommitmentDiscountUnit": "USD",
        "ServiceCategory": "Compute",
        "ServiceSubcategory": "Other (Compute)",
    },
    "sprf/unused": {
        "ChargeCategory": "Usage",
        "BilledCost": D(0),
        "EffectiveCost": D(15),
        "CommitmentDiscountStatus": "Unused",
        "CommitmentDiscountQuantity": D(15),
        "PricingUnit": "USD",
        "PricingQuantity": D(0),
    },
    "spuf": {
        "ChargeCategory": "Purchase",
        "ChargeFrequency": "One-Time",
        "BilledCost": D(300),
        "EffectiveCost": D(0),
        "CommitmentDiscountQuantity": D(300),
    },
    "tax": {
        "ChargeCategory": "Tax",
        "ChargeFrequency": "One-Time",
        "BilledCost": D("3.21"),
        "EffectiveCost": D("3.21"),
        "ListCost": D("3.21"),
        "ContractedCost": D("3.21"),
        "PricingQuantity": None,
        "PricingUnit": None,
        "SkuId": None,
        "PricingCategory": None,
        "ListUnitPrice": None,
        "ServiceCategory": "Compute",
    },
    "credit": {
        "ChargeCategory": "Credit",
        "ChargeFrequency": "One-Time",
        "BilledCost": D(-5),
        "EffectiveCost": D(-5),
        "ListCost": D(-5),
        "ContractedCost": D(-5),
        "PricingQuantity": None,
    },
    "refund": {
        "ChargeCategory": "Usage",
        "ChargeFrequency": "One-Time",
        "ChargeClass": "Correction",
        "BilledCost": D(-2),
        "EffectiveCost": D(-2),
    },
    "bundled": {
        "ChargeCategory": "Credit",
        "ChargeFrequency": "Usage-Based",
        "BilledCost": D("-0.3"),
        "EffectiveCost": D("-0.3"),
        "ListCost": D("-0.3"),
        "ContractedCost": D("-0.3"),
        "ListUnitPrice": None,
        "PricingQuantity": None,
        "PricingCategory": None,
        "ServiceCategory": "Networking",
        "ServiceSubcategory": "Content Delivery",
    },
    "edp": {
        "ChargeCategory": "Credit",
        "BilledCost": D("-1.2"),
        "EffectiveCost": D("-1.2"),
        "ListCost": D("-1.2"),
    },
    "prd": {
        "ChargeCategory": "Credit",
        "BilledCost": D("-0.1"),
        "EffectiveCost": D("-0.1"),
        "ListCost": D("-0.1"),
    },
    "mystery": {
        "ChargeCategory": "Adjustment",
        "ChargeFrequency": "One-Time",
        "BilledCost": D("0.5"),
        "EffectiveCost": D("0.5"),
        "ServiceCategory": "Other",
        "ServiceSubcategory": "Other (Other)",
        "x_LineItemType": "BrandNewLineItemType",
    },
}

# Every FOCUS row carries these, whatever its line item.
COMMON: dict[str, Any] = {
    "BillingAccountId": PAYER,
    "BillingAccountName": PAYER,
    "BillingAccountType": "Payer Account",
    "SubAccountId": ACCOUNT,
    "SubAccountName": ACCOUNT,
    "SubAccountType": "Linked Account",
    "BillingCurrency": "USD",
    "ProviderName": "AWS",
    "PublisherName": "AWS",
    "InvoiceIssuerName": "AWS",
    "InvoiceId": "EUINUS25-000123",
}


def invoice_total(rows: Iterable[Mapping[str, str | None]]) -> Decimal:
    return sum((Decimal(r["lineItem/UnblendedCost"] or 0) for r in rows), Decimal(0))


def amortized_total() -> Decimal:
    """SUM(EffectiveCost) over every FOCUS row (each EXPECTED entry states its EffectiveCost)."""
    return sum((e["EffectiveCost"] for e in EXPECTED.values()), D(0))
