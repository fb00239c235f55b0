"""Generated raw billing exports, one or more variants per source that has a FOCUS mapping.

The scenarios (on-demand usage, reservations, Savings Plans with their fees and negations, tax,
credits, refunds, marketplace, a previous period) are the mapping tests' own row builders in
tests/unit/focus_mappings, written here in each export's native format. The legacy CUR variant
is the CUR 2.0 scenario renamed to legacy headers (``line_item_unblended_cost`` ->
``lineItem/UnblendedCost``), so the two AWS report generations are checked on the same charges.

``VARIANTS`` maps a variant name ("<source>/<what>") to a writer: given a folder, it writes the
input files there and returns them with the source name to pass to ``convert``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from unit.focus_mappings import test_aws_cur2_mapping as cur2
from unit.focus_mappings import test_azure_cost_mapping as azure_cost
from unit.focus_mappings import test_focus_exports_mapping as focus_exports
from unit.focus_mappings import test_gcp_billing_mapping as gcp
from unit.focus_mappings.writers import write_csv, write_ndjson, write_parquet

Row = dict[str, str | None]
Writer = Callable[[Path], tuple[str, list[Path]]]

# CUR 2.0 column -> legacy CUR column, for every column the CUR 2.0 scenario fills.
_LEGACY_NAMES = {
    "identity_line_item_id": "identity/LineItemId",
    "bill_bill_type": "bill/BillType",
    "bill_billing_entity": "bill/BillingEntity",
    "bill_billing_period_start_date": "bill/BillingPeriodStartDate",
    "bill_billing_period_end_date": "bill/BillingPeriodEndDate",
    "bill_invoice_id": "bill/InvoiceId",
    "bill_invoicing_entity": "bill/InvoicingEntity",
    "bill_payer_account_id": "bill/PayerAccountId",
    "line_item_usage_account_id": "lineItem/UsageAccountId",
    "line_item_line_item_type": "lineItem/LineItemType",
    "line_item_usage_start_date": "lineItem/UsageStartDate",
    "line_item_usage_end_date": "lineItem/UsageEndDate",
    "line_item_product_code": "lineItem/ProductCode",
    "line_item_usage_type": "lineItem/UsageType",
    "line_item_operation": "lineItem/Operation",
    "line_item_line_item_description": "lineItem/LineItemDescription",
    "line_item_resource_id": "lineItem/ResourceId",
    "line_item_availability_zone": "lineItem/AvailabilityZone",
    "line_item_legal_entity": "lineItem/LegalEntity",
    "line_item_currency_code": "lineItem/CurrencyCode",
    "line_item_unblended_cost": "lineItem/UnblendedCost",
    "line_item_unblended_rate": "lineItem/UnblendedRate",
    "line_item_net_unblended_cost": "lineItem/NetUnblendedCost",
    "line_item_usage_amount": "lineItem/UsageAmount",
    "pricing_currency": "pricing/currency",
    "pricing_unit": "pricing/unit",
    "pricing_term": "pricing/term",
    "pricing_rate_code": "pricing/RateCode",
    "pricing_public_on_demand_rate": "pricing/publicOnDemandRate",
    "pricing_public_on_demand_cost": "pricing/publicOnDemandCost",
    "product_sku": "product/sku",
    "product_product_family": "product/productFamily",
    "product_region_code": "product/regionCode",
    "product_location": "product/location",
    "reservation_reservation_a_r_n": "reservation/ReservationARN",
    "reservation_effective_cost": "reservation/EffectiveCost",
    "reservation_unused_amortized_upfront_fee_for_billing_period": (
        "reservation/UnusedAmortizedUpfrontFeeForBillingPeriod"
    ),
    "reservation_unused_recurring_fee": "reservation/UnusedRecurringFee",
    "reservation_unused_quantity": "reservation/UnusedQuantity",
    "savings_plan_savings_plan_a_r_n": "savingsPlan/SavingsPlanARN",
    "savings_plan_savings_plan_effective_cost": "savingsPlan/SavingsPlanEffectiveCost",
    "savings_plan_total_commitment_to_date": "savingsPlan/TotalCommitmentToDate",
    "savings_plan_used_commitment": "savingsPlan/UsedCommitment",
}
# CUR 2.0 resource_tags keys -> legacy resourceTags/* headers.
_LEGACY_TAGS = {
    "user_team": "resourceTags/user:Team",
    "aws_created_by": "resourceTags/aws:createdBy",
}


def legacy_cur_rows() -> list[Row]:
    """The CUR 2.0 scenario as a legacy CUR writes it: one header per tag, product/ProductName."""
    rows = []
    for row in cur2.cur2_rows():
        legacy: Row = {_LEGACY_NAMES[k]: v for k, v in row.items() if k in _LEGACY_NAMES}
        product = json.loads(row["product"] or "{}")
        legacy["product/ProductName"] = product.get("product_name")
        legacy["product/region"] = product.get("region")
        tags = json.loads(row["resource_tags"] or "{}")
        for key, header in _LEGACY_TAGS.items():
            legacy[header] = tags.get(key)
        rows.append(legacy)
    return rows


def _aws_cur_legacy_csv_gz(d: Path) -> tuple[str, list[Path]]:
    return "aws-cur-legacy", [write_csv(d / "report-00001.csv.gz", legacy_cur_rows(), gzipped=True)]


def _aws_cur2_parquet(d: Path) -> tuple[str, list[Path]]:
    rows = [{k: (None if v == "{}" else v) for k, v in r.items()} for r in cur2.cur2_rows()]
    path = write_parquet(d / "cur2-00001.snappy.parquet", rows, types=cur2.PARQUET_TYPES)
    return "aws-cur2", [path]


def _aws_cur2_csv_gz(d: Path) -> tuple[str, list[Path]]:
    rows = cur2.cur2_rows()
    return "aws-cur2", [
        write_csv(d / "cur2-00001.csv.gz", rows[:6], gzipped=True),
        write_csv(d / "cur2-00002.csv.gz", rows[6:], gzipped=True),
    ]


def as_the_provider_writes_it(rows: list[Row]) -> list[Row]:
    """Native FOCUS export rows made consistent the way a provider's own export is.

    The mapping tests' rows are minimal; an AWS or Azure FOCUS export obeys the dataset-level
    rules the mapping passes through untouched: a SkuId with every SkuPriceId, a ResourceType
    with every ResourceId, one ServiceCategory and ServiceSubcategory per ServiceName, SkuMeter
    and SkuPriceDetails only beside a SkuId and a SkuPriceId.
    """
    categories: dict[str | None, tuple[str | None, str | None]] = {}
    out = []
    for given in rows:
        row = dict(given)
        if row.get("SkuPriceId") and not row.get("SkuId"):
            row["SkuId"] = row["SkuPriceId"].split(".")[0].split("_")[0]
        if row.get("ResourceId") and not row.get("ResourceType"):
            row["ResourceType"] = "Instance"
        first = categories.setdefault(
            row.get("ServiceName"), (row.get("ServiceCategory"), row.get("ServiceSubcategory"))
        )
        row["ServiceCategory"] = first[0]
        if "ServiceSubcategory" in row:
            row["ServiceSubcategory"] = first[1]
        for column, needs in (("SkuMeter", "SkuId"), ("SkuPriceDetails", "SkuPriceId")):
            if column in row and not row.get(needs):
                row[column] = None
        out.append(row)
    return out


def _aws_focus_10_csv_gz(d: Path) -> tuple[str, list[Path]]:
    rows = as_the_provider_writes_it(focus_exports.aws_rows())
    return "aws-focus", [write_csv(d / "focus-00001.csv.gz", rows, gzipped=True)]


def _aws_focus_12_parquet(d: Path) -> tuple[str, list[Path]]:
    rows = as_the_provider_writes_it(focus_exports.aws_rows_12())
    types = focus_exports.AWS_PARQUET_TYPES
    return "aws-focus", [write_parquet(d / "focus-00001.snappy.parquet", rows, types=types)]


def _azure_cost_ea_actual_csv(d: Path) -> tuple[str, list[Path]]:
    rows = azure_cost.ea_actual_rows()
    return "azure-cost", [write_csv(d / "ea-actual.csv", rows, bom=True)]


def _azure_cost_ea_amortized_csv_gz(d: Path) -> tuple[str, list[Path]]:
    rows = azure_cost.ea_amortized_rows()
    return "azure-cost", [write_csv(d / "ea-amortized.csv.gz", rows, gzipped=True, null="NULL")]


def _azure_cost_mca_parquet(d: Path) -> tuple[str, list[Path]]:
    path = write_parquet(
        d / "mca-actual.parquet", azure_cost.mca_rows(), types=azure_cost.MCA_TYPES
    )
    return "azure-cost", [path]


def _azure_focus_10_csv(d: Path) -> tuple[str, list[Path]]:
    rows = as_the_provider_writes_it(focus_exports.azure_rows())
    return "azure-focus", [write_csv(d / "part_0_0001.csv", rows, bom=True)]


def _azure_focus_12_parquet(d: Path) -> tuple[str, list[Path]]:
    # FocusCost 1.2: the 1.0 file's x_ columns promoted to the 1.2 columns that replaced them.
    rows = [
        {
            **r,
            "InvoiceId": r["x_InvoiceId"],
            "x_InvoiceId": None,
            "PricingCurrency": r["x_PricingCurrency"],
            "x_PricingCurrency": None,
            "SkuMeter": r["x_SkuMeterName"],
            # 1.2 adds the amortized cost in the pricing currency (USD here, billed in EUR).
            "PricingCurrencyEffectiveCost": "0"
            if r["EffectiveCost"] == "0"
            else r["x_BilledCostInUsd"],
            "BillingAccountType": "Billing Account",
            "SubAccountType": "Subscription",
            "ServiceSubcategory": "Virtual Machines",
            "Tags": "{" + r["Tags"] + "}" if r["Tags"] else None,
        }
        for r in focus_exports.azure_rows()
    ]
    types = {
        "BilledCost": "DECIMAL(38,10)",
        "ChargePeriodStart": "TIMESTAMPTZ",
        "ChargePeriodEnd": "TIMESTAMPTZ",
    }
    path = write_parquet(d / "part_0_0001.parquet", as_the_provider_writes_it(rows), types=types)
    return "azure-focus", [path]


def _gcp_billing_detailed_ndjson(d: Path) -> tuple[str, list[Path]]:
    return "gcp-billing", [write_ndjson(d / "billing-000000000000.json", gcp.gcp_records())]


def _gcp_billing_standard_ndjson_gz(d: Path) -> tuple[str, list[Path]]:
    records = [gcp.flat_standard(r) for r in gcp.gcp_records()]
    return "gcp-billing", [write_ndjson(d / "billing-000000000000.json.gz", records, gzipped=True)]


VARIANTS: dict[str, Writer] = {
    "aws-cur-legacy/csv.gz": _aws_cur_legacy_csv_gz,
    "aws-cur2/parquet": _aws_cur2_parquet,
    "aws-cur2/csv.gz": _aws_cur2_csv_gz,
    "aws-focus/1.0-csv.gz": _aws_focus_10_csv_gz,
    "aws-focus/1.2-parquet": _aws_focus_12_parquet,
    "azure-cost/ea-actual-csv": _azure_cost_ea_actual_csv,
    "azure-cost/ea-amortized-csv.gz": _azure_cost_ea_amortized_csv_gz,
    "azure-cost/mca-parquet": _azure_cost_mca_parquet,
    "azure-focus/1.0-csv": _azure_focus_10_csv,
    "azure-focus/1.2-parquet": _azure_focus_12_parquet,
    "gcp-billing/detailed-ndjson": _gcp_billing_detailed_ndjson,
    "gcp-billing/standard-ndjson.gz": _gcp_billing_standard_ndjson_gz,
}
