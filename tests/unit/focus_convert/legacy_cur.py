"""Generated legacy CUR exports: one line item per LineItemType, and what FOCUS makes of each.

``line_items()`` returns the raw rows (CUR column names, text values, ``None`` for a cell the
export leaves empty); ``write_csv`` / ``write_parquet`` write them the ways AWS and people do:
plain or gzip CSV, with or without a UTF-8 BOM, nulls written as ``''``, ``NULL`` or ``{}``
(rotating per column, so every encoding appears), Parquet with typed columns (DOUBLE costs,
TIMESTAMP dates) or with Athena-style snake_case names.

What FOCUS makes of each line item is in ``legacy_cur_expected``.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import duckdb

PAYER = "012345678901"  # leading zero: must survive as text
ACCOUNT = "000123456789"
SP_ARN = "arn:aws:savingsplans::012345678901:savingsplan/0b1c2d3e-sp"
RI_ARN = "arn:aws:ec2:us-east-1:000123456789:reserved-instances/4f5e6d7c-ri"
PERIOD_START = "2025-11-01T00:00:00Z"
PERIOD_END = "2025-12-01T00:00:00Z"

COLUMNS: tuple[str, ...] = (
    "identity/LineItemId",
    "identity/TimeInterval",
    "bill/InvoiceId",
    "bill/InvoicingEntity",
    "bill/BillingEntity",
    "bill/BillType",
    "bill/PayerAccountId",
    "bill/BillingPeriodStartDate",
    "bill/BillingPeriodEndDate",
    "lineItem/UsageAccountId",
    "lineItem/LineItemType",
    "lineItem/UsageStartDate",
    "lineItem/UsageEndDate",
    "lineItem/ProductCode",
    "lineItem/UsageType",
    "lineItem/Operation",
    "lineItem/AvailabilityZone",
    "lineItem/ResourceId",
    "lineItem/UsageAmount",
    "lineItem/CurrencyCode",
    "lineItem/UnblendedRate",
    "lineItem/UnblendedCost",
    "lineItem/LineItemDescription",
    "lineItem/TaxType",
    "lineItem/LegalEntity",
    "product/ProductName",
    "product/productFamily",
    "product/region",
    "product/regionCode",
    "product/location",
    "product/sku",
    "pricing/RateCode",
    "pricing/currency",
    "pricing/publicOnDemandCost",
    "pricing/publicOnDemandRate",
    "pricing/term",
    "pricing/unit",
    "reservation/EffectiveCost",
    "reservation/ReservationARN",
    "reservation/UnusedAmortizedUpfrontFeeForBillingPeriod",
    "reservation/UnusedQuantity",
    "reservation/UnusedRecurringFee",
    "savingsPlan/SavingsPlanARN",
    "savingsPlan/SavingsPlanEffectiveCost",
    "savingsPlan/TotalCommitmentToDate",
    "savingsPlan/UsedCommitment",
    "resourceTags/user:Team",
    "resourceTags/user:Name",
    "resourceTags/aws:createdBy",
    "costCategory/Env",
)

NUMERIC_COLUMNS = frozenset(
    c
    for c in COLUMNS
    if c.rsplit("/", 1)[-1].endswith(("Cost", "Rate", "Amount", "Quantity", "Commitment", "Fee"))
    or c.endswith(("CommitmentToDate", "FeeForBillingPeriod"))
)
TIMESTAMP_COLUMNS = frozenset(c for c in COLUMNS if c.endswith("Date"))

_BASE: dict[str, str] = {
    "bill/InvoiceId": "EUINUS25-000123",
    "bill/InvoicingEntity": "Amazon Web Services, Inc.",
    "bill/BillingEntity": "AWS",
    "bill/BillType": "Anniversary",
    "bill/PayerAccountId": PAYER,
    "bill/BillingPeriodStartDate": PERIOD_START,
    "bill/BillingPeriodEndDate": PERIOD_END,
    "lineItem/UsageAccountId": ACCOUNT,
    "lineItem/UsageStartDate": "2025-11-03T10:00:00Z",
    "lineItem/UsageEndDate": "2025-11-03T11:00:00Z",
    "lineItem/CurrencyCode": "USD",
    "lineItem/LegalEntity": "Amazon Web Services, Inc.",
    "pricing/currency": "USD",
}

_EC2 = {
    "lineItem/ProductCode": "AmazonEC2",
    "product/ProductName": "Amazon Elastic Compute Cloud",
    "product/productFamily": "Compute Instance",
    "product/region": "us-east-1",
    "product/regionCode": "us-east-1",
    "product/location": "US East (N. Virginia)",
    "lineItem/AvailabilityZone": "us-east-1a",
    "lineItem/UsageType": "USE1-BoxUsage:m5.large",
    "lineItem/Operation": "RunInstances",
    "product/sku": "SKUM5LARGE0001",
    "pricing/RateCode": "SKUM5LARGE0001.JRTCKXETXF.6YS6EN2CT7",
    "pricing/unit": "Hrs",
}
_S3 = {
    "lineItem/ProductCode": "AmazonS3",
    "product/ProductName": "Amazon Simple Storage Service",
    "product/productFamily": "Storage",
    "product/region": "eu-west-1",
    "product/regionCode": "eu-west-1",
    "product/location": "EU (Ireland)",
    "lineItem/UsageType": "EUW1-TimedStorage-ByteHrs",
    "lineItem/Operation": "StandardStorage",
    "product/sku": "SKUS3STANDARD01",
    "pricing/RateCode": "SKUS3STANDARD01.JRTCKXETXF.PGHJ3S3EYE",
    "pricing/unit": "GB-Mo",
}
_LAMBDA = {
    "lineItem/ProductCode": "AWSLambda",
    "product/ProductName": "AWS Lambda",
    "product/productFamily": "Serverless",
    "product/region": "us-east-1",
    "product/regionCode": "us-east-1",
    "product/location": "US East (N. Virginia)",
    "lineItem/UsageType": "USE1-Lambda-GB-Second",
    "lineItem/Operation": "Invoke",
    "product/sku": "SKULAMBDAGBS001",
    "pricing/RateCode": "SKULAMBDAGBS001.JRTCKXETXF.D7WDK3NKZN",
    "pricing/unit": "Lambda-GB-Second",
}
_SP_PRODUCT = {
    "lineItem/ProductCode": "ComputeSavingsPlans",
    "product/ProductName": "Savings Plans for AWS Compute usage",
    "lineItem/UsageType": "ComputeSP:1yrNoUpfront",
    "product/sku": "SKUCOMPUTESP001",
    "pricing/RateCode": "SKUCOMPUTESP001.RATE",
    "savingsPlan/SavingsPlanARN": SP_ARN,
}
_MONTH = {"lineItem/UsageStartDate": PERIOD_START, "lineItem/UsageEndDate": PERIOD_END}


def _item(
    item_id: str, line_type: str, cost: str, *parts: Mapping[str, str], **cols: str
) -> dict[str, str | None]:
    row: dict[str, str | None] = dict.fromkeys(COLUMNS)
    row.update(_BASE)
    for part in parts:
        row.update(part)
    row.update(
        {
            "identity/LineItemId": item_id,
            "lineItem/LineItemType": line_type,
            "lineItem/UnblendedCost": cost,
        }
    )
    row.update(cols)
    start = row["lineItem/UsageStartDate"]
    row["identity/TimeInterval"] = f"{start}/{row['lineItem/UsageEndDate']}"
    return row


def line_items() -> list[dict[str, str | None]]:
    """One line item of every LineItemType the mapping handles (plus one it does not know)."""
    rows = [
        _item(
            "u-ec2",
            "Usage",
            "0.192",
            _EC2,
            **{
                "lineItem/ResourceId": "i-0abc123",
                "lineItem/UsageAmount": "2",
                "lineItem/UnblendedRate": "0.096",
                "pricing/publicOnDemandRate": "0.096",
                "pricing/publicOnDemandCost": "0.192",
                "pricing/term": "OnDemand",
                "lineItem/LineItemDescription": "$0.096 per On Demand Linux m5.large Instance Hour",
                "resourceTags/user:Team": "platform",
                "resourceTags/user:Name": "web-1",
                "resourceTags/aws:createdBy": "AssumedRole:AROA123:ci",
                "costCategory/Env": "prod",
            },
        ),
        _item(
            "u-s3",
            "Usage",
            "0.23",
            _S3,
            **{
                "lineItem/UsageAmount": "10",
                "lineItem/UnblendedRate": "0.023",
                "pricing/publicOnDemandRate": "0.023",
                "pricing/publicOnDemandCost": "0.23",
                "pricing/term": "OnDemand",
                "lineItem/LineItemDescription": "$0.023 per GB-Mo",
                # a tag value needing JSON escaping
                "resourceTags/user:Team": 'data "lake"',
            },
        ),
        _item(
            "u-spot",
            "Usage",
            "0.05",
            _EC2,
            **{
                "lineItem/UsageType": "USE1-SpotUsage:c5.xlarge",
                "lineItem/UsageAmount": "1",
                "lineItem/UnblendedRate": "0.05",
                "pricing/publicOnDemandRate": "0.17",
                "pricing/publicOnDemandCost": "0.17",
                "lineItem/ResourceId": "i-0spot",
                "lineItem/LineItemDescription": "c5.xlarge Linux/UNIX Spot Instance-hour",
            },
        ),
        _item(
            "du",
            "DiscountedUsage",
            "0",
            _EC2,
            **{
                "lineItem/ResourceId": "i-0abc123",
                "lineItem/UsageAmount": "24",
                "lineItem/UnblendedRate": "0",
                "pricing/publicOnDemandRate": "0.096",
                "pricing/publicOnDemandCost": "2.304",
                "pricing/term": "Reserved",
                "reservation/EffectiveCost": "1.44",
                "reservation/ReservationARN": RI_ARN,
                "lineItem/LineItemDescription": "USD 0.0 hourly fee per Linux, m5.large instance",
            },
        ),
        _item(
            "rifee",
            "RIFee",
            "43.2",
            _EC2,
            _MONTH,
            **{
                "lineItem/UsageType": "HeavyUsage:m5.large",
                "lineItem/UsageAmount": "720",
                "lineItem/UnblendedRate": "0.06",
                "reservation/ReservationARN": RI_ARN,
                "reservation/UnusedAmortizedUpfrontFeeForBillingPeriod": "5",
                "reservation/UnusedRecurringFee": "10.8",
                "reservation/UnusedQuantity": "180",
                "lineItem/LineItemDescription": "USD 0.06 hourly fee per Linux/UNIX, m5.large",
            },
        ),
        _item(
            "fee",
            "Fee",
            "1000",
            _EC2,
            **{
                "bill/BillType": "Purchase",
                "lineItem/UsageType": "HeavyUsage:m5.large",
                "lineItem/UsageAmount": "1",
                "lineItem/UnblendedRate": "1000",
                "reservation/ReservationARN": RI_ARN,
                "lineItem/UsageStartDate": "2025-11-02T09:30:00Z",
                "lineItem/UsageEndDate": "2025-11-02T09:30:00Z",
                "lineItem/LineItemDescription": "Sign up charge for subscription: 4f5e6d7c",
            },
        ),
        _item(
            "spcu",
            "SavingsPlanCoveredUsage",
            "1.0",
            _LAMBDA,
            **{
                "lineItem/UsageAmount": "100",
                "lineItem/UnblendedRate": "0.01",
                "pricing/publicOnDemandRate": "0.01",
                "pricing/publicOnDemandCost": "1.0",
                "savingsPlan/SavingsPlanARN": SP_ARN,
                "savingsPlan/SavingsPlanEffectiveCost": "0.7",
                "lineItem/LineItemDescription": "Lambda GB-seconds covered by Compute Savings Plan",
            },
        ),
        _item(
            "spneg",
            "SavingsPlanNegation",
            "-1.0",
            _LAMBDA,
            **{
                "lineItem/UsageAmount": "100",
                "lineItem/UnblendedRate": "-0.01",
                "savingsPlan/SavingsPlanARN": SP_ARN,
                "lineItem/LineItemDescription": "SavingsPlanNegation used by AccountId",
            },
        ),
        _item(
            "sprf",
            "SavingsPlanRecurringFee",
            "50",
            _SP_PRODUCT,
            _MONTH,
            **{
                "lineItem/UsageAmount": "720",
                "lineItem/UnblendedRate": "0.0694444444",
                "savingsPlan/TotalCommitmentToDate": "50",
                "savingsPlan/UsedCommitment": "35",
                "lineItem/LineItemDescription": "1 year No Upfront Compute Savings Plan",
            },
        ),
        _item(
            "spuf",
            "SavingsPlanUpfrontFee",
            "300",
            _SP_PRODUCT,
            **{
                "bill/BillType": "Purchase",
                "lineItem/UsageAmount": "1",
                "lineItem/UnblendedRate": "300",
                "lineItem/LineItemDescription": "1 year All Upfront Compute Savings Plan",
            },
        ),
        _item(
            "tax",
            "Tax",
            "3.21",
            _MONTH,
            **{
                "lineItem/ProductCode": "AmazonEC2",
                "product/ProductName": "Amazon Elastic Compute Cloud",
                "lineItem/UsageAmount": "1",
                "lineItem/TaxType": "Sales Tax",
                "lineItem/LineItemDescription": "Tax for product code AmazonEC2",
            },
        ),
        _item(
            "credit",
            "Credit",
            "-5",
            _MONTH,
            **{
                "lineItem/ProductCode": "AmazonEC2",
                "product/ProductName": "Amazon Elastic Compute Cloud",
                "lineItem/LineItemDescription": "AWS Promotional Credit",
            },
        ),
        _item(
            "refund",
            "Refund",
            "-2",
            _S3,
            **{
                "bill/BillType": "Refund",
                "lineItem/UsageAmount": "0",
                "lineItem/UsageStartDate": "2025-10-05T00:00:00Z",
                "lineItem/UsageEndDate": "2025-10-06T00:00:00Z",
                "lineItem/LineItemDescription": "Refund for October storage",
            },
        ),
        _item(
            "bundled",
            "BundledDiscount",
            "-0.3",
            {
                "lineItem/ProductCode": "AmazonCloudFront",
                "product/ProductName": "Amazon CloudFront",
            },
            **{
                "lineItem/UsageType": "US-DataTransfer-Out-Bytes",
                "lineItem/UsageAmount": "3",
                "lineItem/UnblendedRate": "-0.1",
                "lineItem/LineItemDescription": "Free data transfer with AWS Shield Advanced",
            },
        ),
        _item(
            "edp",
            "EdpDiscount",
            "-1.2",
            _EC2,
            **{
                "lineItem/UsageAmount": "2",
                "lineItem/UnblendedRate": "-0.6",
                "lineItem/LineItemDescription": "Enterprise Discount Program discount",
            },
        ),
        _item(
            "prd",
            "PrivateRateDiscount",
            "-0.1",
            _S3,
            **{
                "lineItem/UsageAmount": "10",
                "lineItem/UnblendedRate": "-0.01",
                "lineItem/LineItemDescription": "Private pricing discount",
            },
        ),
        _item(
            "mystery",
            "BrandNewLineItemType",
            "0.5",
            _MONTH,
            **{
                "lineItem/ProductCode": "AWSNewService",
                "product/ProductName": "AWS New Service",
                "lineItem/LineItemDescription": "A line item type AWS adds next year",
            },
        ),
    ]
    return rows


# ---------------------------------------------------------------------------------------------
# Writers

NULL_TOKENS = ("", "NULL", "{}")


def _csv_text(
    rows: Sequence[Mapping[str, str | None]],
    columns: Sequence[str],
    nulls: Sequence[str] = NULL_TOKENS,
) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(
            [
                row.get(c) if row.get(c) is not None else nulls[i % len(nulls)]
                for i, c in enumerate(columns)
            ]
        )
    return buffer.getvalue()


def write_csv(
    path: Path,
    rows: Sequence[Mapping[str, str | None]],
    *,
    bom: bool = False,
    gzipped: bool = False,
    columns: Sequence[str] = COLUMNS,
) -> Path:
    """A legacy CUR CSV; empty cells rotate through '', 'NULL' and '{}' column by column."""
    data = (("\ufeff" if bom else "") + _csv_text(rows, columns)).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    if gzipped:
        with gzip.open(path, "wb") as handle:
            handle.write(data)
    else:
        path.write_bytes(data)
    return path


def athena_name(column: str) -> str:
    """``lineItem/UnblendedCost`` -> ``line_item_unblended_cost`` (the Parquet/Athena flavour)."""
    flat = column.replace("/", "_").replace(":", "_")
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", flat).lower()


def write_parquet(
    path: Path, rows: Sequence[Mapping[str, str | None]], *, athena_names: bool = False
) -> Path:
    """Typed Parquet (DOUBLE amounts, TIMESTAMP dates, VARCHAR ids) via DuckDB's COPY."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_suffix(".staging.csv")
    staging.write_text(_csv_text(rows, COLUMNS, nulls=("",)), encoding="utf-8")
    items = []
    for c in COLUMNS:
        name = athena_name(c) if athena_names else c
        quoted = '"' + c + '"'
        if c in NUMERIC_COLUMNS:
            value = f"CAST({quoted} AS DOUBLE)"
        elif c in TIMESTAMP_COLUMNS:
            value = f"CAST(REPLACE({quoted}, 'Z', '') AS TIMESTAMP)"
        else:
            value = quoted
        items.append(f'{value} AS "{name}"')
    con = duckdb.connect()
    try:
        con.execute(
            f"COPY (SELECT {', '.join(items)} FROM read_csv('{staging}', header = true, "
            f"all_varchar = true)) TO '{path}' (FORMAT parquet)"
        )
    finally:
        con.close()
        staging.unlink()
    return path
