"""Synthetic AWS billing exports for the conversion benchmark: legacy CUR and CUR 2.0.

DuckDB writes them straight from ``range(n)``: every column is a deterministic function of the
row number (``hash(i)`` and friends), so the same ``n`` gives byte-identical files and nothing
random depends on the machine. Inputs are cached by name (``<kind>-<rows>.<ext>``) under the
work folder; a file is rebuilt only when missing.

The column set is what the mappings read (``needed_columns``), what focus-converter's
``aws-cur`` plan reads (``product/PurchaseOption``, ``product/region``,
``reservation/TotalReservedUnits``), plus a few columns
nobody reads (``lineItem/BlendedCost``, ``product/instanceType``, ...) so projection pushdown is
exercised the way a real 100-plus-column export exercises it.

Row mix per 100 line items (one billing period, 2025-11): 80 Usage, 5 DiscountedUsage,
5 SavingsPlanCoveredUsage, 5 SavingsPlanNegation, 1 RIFee and 1 SavingsPlanRecurringFee (both
with an unused part, so the mappings add their "unused commitment" rows), 1 Tax, 1 Credit,
1 Fee.

Formats:
* legacy CUR: CSV and gzip CSV with ``lineItem/UnblendedCost``-style headers as AWS writes
  them; Parquet as the legacy CUR's Parquet option writes it: Athena-style snake_case names
  (``line_item_unblended_cost``, ``resource_tags_user_team``), DOUBLE amounts, TIMESTAMP
  dates. focus-converter reads the CSV with its ``aws-cur`` plan and the Parquet with ``aws``;
* CUR 2.0: CSV and gzip CSV with snake_case headers and the map columns (``product``,
  ``resource_tags``, ``cost_category``, ``discount``) as JSON text, as Data Exports writes them;
  Parquet typed as Data Exports writes it (DOUBLE amounts, TIMESTAMP dates,
  ``MAP(VARCHAR, VARCHAR)`` map columns).

    python bench/gen_cur.py --rows 1000000 --workdir /tmp/costwarden-bench
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

import duckdb

KINDS = ("aws-cur-legacy", "aws-cur2")
FORMATS = ("csv", "csv.gz", "parquet")
DEFAULT_WORKDIR = Path("/tmp/costwarden-bench")

# Per-row pseudo-random integers, each from its own hash of the row number.
_BASE = """
SELECT
    i,
    i % 100 AS mix,
    -- A SavingsPlanNegation line (mix 90-94) cancels the covered usage five rows before it:
    -- same amounts, negated, as on the invoice.
    CASE WHEN i % 100 BETWEEN 90 AND 94 THEN hash(i - 5) ELSE hash(i) END AS h1,
    hash(i * 7 + 3) AS h2,
    hash(i * 13 + 5) AS h3
FROM range({rows}) AS t(i)
"""

_LINE_TYPE = """CASE
    WHEN mix < 80 THEN 'Usage'
    WHEN mix < 85 THEN 'DiscountedUsage'
    WHEN mix < 90 THEN 'SavingsPlanCoveredUsage'
    WHEN mix < 95 THEN 'SavingsPlanNegation'
    WHEN mix = 95 THEN 'RIFee'
    WHEN mix = 96 THEN 'SavingsPlanRecurringFee'
    WHEN mix = 97 THEN 'Tax'
    WHEN mix = 98 THEN 'Credit'
    ELSE 'Fee' END"""

_PRODUCTS = (
    "['AmazonEC2', 'AmazonS3', 'AmazonRDS', 'AWSLambda', 'AmazonDynamoDB', 'AmazonCloudWatch', "
    "'AmazonVPC', 'AWSDataTransfer', 'AmazonEKS', 'AmazonSageMaker', 'AWSGlue', 'AmazonNewThing']"
)
_PRODUCT = f"list_extract({_PRODUCTS}, 1 + (h2 % 12)::INT)"
# The product names of _PRODUCTS, in order: a real export names a product code one way, and FOCUS
# (and the checks) allow one ServiceCategory per ServiceName, so a constant name would not do.
_PRODUCT_NAMES = (
    "['Amazon Elastic Compute Cloud', 'Amazon Simple Storage Service', "
    "'Amazon Relational Database Service', 'AWS Lambda', 'Amazon DynamoDB', 'AmazonCloudWatch', "
    "'Amazon Virtual Private Cloud', 'AWS Data Transfer', "
    "'Amazon Elastic Container Service for Kubernetes', 'Amazon SageMaker', 'AWS Glue', "
    "'Amazon New Thing']"
)
_PRODUCT_NAME = (
    "CASE WHEN mix = 97 THEN 'AWS Support (Business)' ELSE "
    f"list_extract({_PRODUCT_NAMES}, 1 + (h2 % 12)::INT) END"
)
_REGIONS = "['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-2']"
_REGION = f"list_extract({_REGIONS}, 1 + (h3 % 5)::INT)"
_LOCATIONS = (
    "['US East (N. Virginia)', 'US West (Oregon)', 'EU (Ireland)', 'EU (Frankfurt)', "
    "'Asia Pacific (Sydney)']"
)
_UNITS = "['Hrs', 'GB-Mo', 'Requests', 'Lambda-GB-Second', 'GB']"


def _amount(hash_col: str, scale: str = "10") -> str:
    """A non-negative amount with 10 decimals, as DECIMAL(18, 10)."""
    return f"(({hash_col} % 100000000)::DECIMAL(18, 0) / 100000000 * {scale})::DECIMAL(18, 10)"


# (legacy CUR name, CUR 2.0 name or None, SQL over the base row). Values are the cells' text.
_COST = (
    f"CASE WHEN mix = 98 OR mix BETWEEN 90 AND 94 THEN -{_amount('h1')} ELSE {_amount('h1')} END"
)
_RI = "'arn:aws:ec2:us-east-1:012345678901:reserved-instances/' || (h3 % 50)::VARCHAR"
_SP = "'arn:aws:savingsplans::012345678901:savingsplan/sp-' || (h3 % 20)::VARCHAR"
COLUMNS: list[tuple[str, str | None, str]] = [
    ("identity/LineItemId", "identity_line_item_id", "md5(i::VARCHAR)"),
    (
        "identity/TimeInterval",
        "identity_time_interval",
        "'2025-11-01T00:00:00Z/2025-12-01T00:00:00Z'",
    ),
    ("bill/InvoiceId", "bill_invoice_id", "'1234567890'"),
    ("bill/InvoicingEntity", "bill_invoicing_entity", "'Amazon Web Services, Inc.'"),
    (
        "bill/BillingEntity",
        "bill_billing_entity",
        "CASE WHEN h2 % 100 = 0 THEN 'AWS Marketplace' ELSE 'AWS' END",
    ),
    ("bill/BillType", "bill_bill_type", "'Anniversary'"),
    ("bill/PayerAccountId", "bill_payer_account_id", "'012345678901'"),
    ("bill/BillingPeriodStartDate", "bill_billing_period_start_date", "'2025-11-01T00:00:00Z'"),
    ("bill/BillingPeriodEndDate", "bill_billing_period_end_date", "'2025-12-01T00:00:00Z'"),
    (
        "lineItem/UsageAccountId",
        "line_item_usage_account_id",
        "lpad((100000000000 + h3 % 20 * 7919)::VARCHAR, 12, '0')",
    ),
    ("lineItem/LineItemType", "line_item_line_item_type", _LINE_TYPE),
    (
        "lineItem/UsageStartDate",
        "line_item_usage_start_date",
        "strftime(TIMESTAMP '2025-11-01' + to_hours((i % 720)::BIGINT), '%Y-%m-%dT%H:%M:%SZ')",
    ),
    (
        "lineItem/UsageEndDate",
        "line_item_usage_end_date",
        "strftime(TIMESTAMP '2025-11-01' + to_hours((i % 720)::BIGINT + 1), '%Y-%m-%dT%H:%M:%SZ')",
    ),
    (
        "lineItem/ProductCode",
        "line_item_product_code",
        "CASE WHEN mix = 97 THEN 'AWSSupportBusiness' ELSE " + _PRODUCT + " END",
    ),
    (
        "lineItem/UsageType",
        "line_item_usage_type",
        "CASE WHEN h2 % 10 = 0 THEN 'USE1-SpotUsage:m5.large' ELSE 'USE1-BoxUsage:m5.large' END",
    ),
    ("lineItem/Operation", "line_item_operation", "'RunInstances'"),
    (
        "lineItem/AvailabilityZone",
        "line_item_availability_zone",
        f"CASE WHEN h3 % 3 = 0 THEN NULL ELSE {_REGION} || 'a' END",
    ),
    (
        "lineItem/ResourceId",
        "line_item_resource_id",
        "CASE WHEN h1 % 10 < 3 THEN NULL ELSE 'i-0' || lpad(to_hex(h1 % 1000003), 16, '0') END",
    ),
    (
        "lineItem/UsageAmount",
        "line_item_usage_amount",
        f"CASE WHEN mix IN (97, 98) THEN NULL ELSE {_amount('h2', '100')} END",
    ),
    ("lineItem/CurrencyCode", "line_item_currency_code", "'USD'"),
    ("lineItem/UnblendedRate", "line_item_unblended_rate", _amount("h3", "0.5")),
    ("lineItem/UnblendedCost", "line_item_unblended_cost", _COST),
    ("lineItem/NetUnblendedCost", "line_item_net_unblended_cost", _COST),
    ("lineItem/BlendedRate", "line_item_blended_rate", _amount("h3", "0.5")),
    ("lineItem/BlendedCost", "line_item_blended_cost", _COST),
    (
        "lineItem/LineItemDescription",
        "line_item_line_item_description",
        "'$0.096 per On Demand Linux m5.large Instance Hour'",
    ),
    ("lineItem/TaxType", "line_item_tax_type", "CASE WHEN mix = 97 THEN 'VAT' END"),
    ("lineItem/LegalEntity", "line_item_legal_entity", "'Amazon Web Services, Inc.'"),
    ("product/ProductName", None, _PRODUCT_NAME),
    ("product/productFamily", "product_product_family", "'Compute Instance'"),
    ("product/instanceType", None, "'m5.large'"),
    ("product/location", "product_location", f"list_extract({_LOCATIONS}, 1 + (h3 % 5)::INT)"),
    ("product/region", None, _REGION),
    ("product/regionCode", "product_region_code", _REGION),
    ("product/servicecode", "product_servicecode", _PRODUCT),
    ("product/sku", "product_sku", "'SKU' || lpad((h2 % 5000)::VARCHAR, 12, '0')"),
    ("product/PurchaseOption", None, "CASE WHEN mix BETWEEN 80 AND 84 THEN 'No Upfront' END"),
    (
        "pricing/RateCode",
        "pricing_rate_code",
        "'SKU' || lpad((h2 % 5000)::VARCHAR, 12, '0') || '.JRTCKXETXF.6YS6EN2CT7'",
    ),
    ("pricing/RateId", "pricing_rate_id", "(h2 % 900000000)::VARCHAR"),
    ("pricing/currency", "pricing_currency", "'USD'"),
    ("pricing/publicOnDemandCost", "pricing_public_on_demand_cost", _amount("h1", "12")),
    ("pricing/publicOnDemandRate", "pricing_public_on_demand_rate", _amount("h3", "0.6")),
    (
        "pricing/term",
        "pricing_term",
        "CASE WHEN mix < 80 AND h2 % 10 = 0 THEN 'Spot' WHEN mix < 80 THEN 'OnDemand' END",
    ),
    ("pricing/unit", "pricing_unit", f"list_extract({_UNITS}, 1 + (h2 % 5)::INT)"),
    (
        "reservation/ReservationARN",
        "reservation_reservation_a_r_n",
        f"CASE WHEN mix BETWEEN 80 AND 84 OR mix = 95 THEN {_RI} END",
    ),
    (
        "reservation/EffectiveCost",
        "reservation_effective_cost",
        f"CASE WHEN mix BETWEEN 80 AND 84 THEN {_amount('h1', '8')} END",
    ),
    (
        "reservation/UnusedQuantity",
        "reservation_unused_quantity",
        "CASE WHEN mix = 95 THEN '12.0000000000' END",
    ),
    (
        "reservation/TotalReservedUnits",
        "reservation_total_reserved_units",
        "CASE WHEN mix BETWEEN 80 AND 84 OR mix = 95 THEN '720.0000000000' END",
    ),
    (
        "reservation/UnusedAmortizedUpfrontFeeForBillingPeriod",
        "reservation_unused_amortized_upfront_fee_for_billing_period",
        f"CASE WHEN mix = 95 THEN {_amount('h2', '3')} END",
    ),
    (
        "reservation/UnusedRecurringFee",
        "reservation_unused_recurring_fee",
        f"CASE WHEN mix = 95 THEN {_amount('h3', '2')} END",
    ),
    (
        "savingsPlan/SavingsPlanARN",
        "savings_plan_savings_plan_a_r_n",
        f"CASE WHEN mix BETWEEN 85 AND 94 OR mix = 96 THEN {_SP} END",
    ),
    (
        "savingsPlan/SavingsPlanEffectiveCost",
        "savings_plan_savings_plan_effective_cost",
        f"CASE WHEN mix BETWEEN 85 AND 89 THEN {_amount('h1', '7')} END",
    ),
    (
        "savingsPlan/TotalCommitmentToDate",
        "savings_plan_total_commitment_to_date",
        "CASE WHEN mix = 96 THEN '100.0000000000' END",
    ),
    (
        "savingsPlan/UsedCommitment",
        "savings_plan_used_commitment",
        f"CASE WHEN mix = 96 THEN {_amount('h2', '90')} END",
    ),
    (
        "resourceTags/user:Name",
        None,
        "CASE WHEN h1 % 10 < 3 THEN NULL ELSE 'web-' || (h1 % 500)::VARCHAR END",
    ),
    (
        "resourceTags/user:Team",
        None,
        "list_extract(['platform', 'data', 'web', 'ml', NULL], 1 + (h3 % 5)::INT)",
    ),
    ("resourceTags/aws:createdBy", None, "CASE WHEN h2 % 4 = 0 THEN 'IAMUser:AIDA0000:alice' END"),
    ("costCategory/Environment", None, "CASE WHEN h3 % 2 = 0 THEN 'prod' ELSE 'dev' END"),
]

# CUR 2.0 columns with no legacy twin in COLUMNS (names and account names, the map columns).
_CUR2_EXTRA: list[tuple[str, str]] = [
    ("bill_payer_account_name", "'Example Corp'"),
    ("line_item_usage_account_name", "'team-' || (h3 % 20)::VARCHAR"),
    ("capacity_reservation_capacity_reservation_a_r_n", "NULL::VARCHAR"),
    ("capacity_reservation_capacity_reservation_status", "NULL::VARCHAR"),
]
# Map columns as (name, MAP expression); the CSV flavour writes them as JSON object text.
_CUR2_MAPS: list[tuple[str, str]] = [
    (
        "product",
        f"MAP {{'product_name': {_PRODUCT_NAME}, "
        f"'region': {_REGION}, 'instance_type': 'm5.large'}}",
    ),
    (
        "resource_tags",
        "CASE WHEN h3 % 5 = 4 THEN MAP {}::MAP(VARCHAR, VARCHAR) ELSE "
        "MAP {'user_team': list_extract(['platform', 'data', 'web', 'ml'], 1 + (h3 % 5)::INT), "
        "'user_name': 'web-' || (h1 % 500)::VARCHAR} END",
    ),
    ("cost_category", "MAP {'environment': CASE WHEN h3 % 2 = 0 THEN 'prod' ELSE 'dev' END}"),
    ("discount", "MAP {}::MAP(VARCHAR, VARCHAR)"),
]
# Parquet exports type their cells: DOUBLE amounts, TIMESTAMP dates (legacy CUR and CUR 2.0 alike).
_DOUBLE_SUFFIXES = (
    "_cost",
    "_rate",
    "_amount",
    "_fee",
    "_quantity",
    "_commitment",
    "_to_date",
    "_fee_for_billing_period",
    "_units",
)
_TIMESTAMPS = {
    "bill_billing_period_start_date",
    "bill_billing_period_end_date",
    "line_item_usage_start_date",
    "line_item_usage_end_date",
}


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def athena_name(legacy: str) -> str:
    """A legacy CUR column as its Parquet export spells it: ``lineItem/UnblendedCost`` ->
    ``line_item_unblended_cost``, ``savingsPlan/SavingsPlanARN`` ->
    ``savings_plan_savings_plan_a_r_n``, ``resourceTags/user:Team`` -> ``resource_tags_user_team``.
    """
    snake = re.sub(r"([A-Z])", r"_\1", legacy).lower()
    return re.sub(r"[/:]_?", "_", snake).strip("_")


def _typed(name: str, expr: str) -> str:
    """A cell as a Parquet export types it: TIMESTAMP dates, DOUBLE amounts, text otherwise."""
    if name in _TIMESTAMPS:
        return f"CAST(replace(replace(({expr}), 'T', ' '), 'Z', '') AS TIMESTAMP)"
    if name.endswith(_DOUBLE_SUFFIXES):
        return f"CAST(({expr}) AS DOUBLE)"
    return f"({expr})::VARCHAR"


def select_sql(kind: str, fmt: str, rows: int) -> str:
    """The SELECT that produces ``rows`` line items of ``kind`` for file format ``fmt``."""
    typed = fmt == "parquet"
    items: list[str] = []
    if kind == "aws-cur-legacy" and typed:
        items = [
            f"{_typed(athena_name(legacy), expr)} AS {_q(athena_name(legacy))}"
            for legacy, _, expr in COLUMNS
        ]
    elif kind == "aws-cur-legacy":
        items = [f"({expr})::VARCHAR AS {_q(legacy)}" for legacy, _, expr in COLUMNS]
    else:
        for _, snake, expr in COLUMNS:
            if snake is None:
                continue
            value = _typed(snake, expr) if typed else f"({expr})::VARCHAR"
            items.append(f"{value} AS {_q(snake)}")
        items += [f"{expr} AS {_q(name)}" for name, expr in _CUR2_EXTRA]
        for name, expr in _CUR2_MAPS:
            value = expr if typed else f"CAST(to_json({expr}) AS VARCHAR)"
            items.append(f"{value} AS {_q(name)}")
    return f"SELECT {', '.join(items)} FROM ({_BASE.format(rows=rows)}) AS base"


def input_path(workdir: Path, kind: str, rows: int, fmt: str) -> Path:
    return workdir / "inputs" / f"{kind}-{rows}.{fmt}"


def generate(workdir: Path, kind: str, rows: int, fmt: str) -> Path:
    """The cached input file, generated first when missing (written atomically)."""
    path = input_path(workdir, kind, rows, fmt)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    options = {
        "csv": "FORMAT csv, HEADER true",
        "csv.gz": "FORMAT csv, HEADER true, COMPRESSION gzip",
        "parquet": "FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 122880",
    }[fmt]
    con = duckdb.connect()
    # Keep row order (files look like an export, not shuffled by thread), and keep memory modest.
    con.execute("SET preserve_insertion_order = true")
    started = time.perf_counter()
    con.execute(f"COPY ({select_sql(kind, fmt, rows)}) TO '{partial}' ({options})")
    con.close()
    partial.rename(path)
    size = path.stat().st_size / 2**20
    print(f"  generated {path.name}: {size:,.0f} MiB in {time.perf_counter() - started:.1f} s")
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS))
    parser.add_argument("--formats", nargs="+", choices=FORMATS, default=list(FORMATS))
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    args = parser.parse_args(argv)
    for rows in args.rows:
        for kind in args.kinds:
            for fmt in args.formats:
                print(generate(args.workdir, kind, rows, fmt))


if __name__ == "__main__":
    main()
