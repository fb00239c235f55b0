"""What the converter knows about each source besides its mapping.

``SourceSpec`` per source kind: the partition's provider, the raw columns every file must have,
and the two expressions reconciliation needs (billing period, invoice amount per row). A
mapping's ``-- @provider/@requires/@billing-period/@invoice-cost`` directives override these
defaults, so a mapping file can describe its own source completely.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from costwarden.focus import FocusInputError
from costwarden.focus.mappings import load_mapping

SourceKind = Literal[
    "aws-cur2", "aws-cur-legacy", "aws-focus", "azure-cost", "azure-focus", "gcp-billing"
]
SOURCE_KINDS: tuple[str, ...] = get_args(SourceKind)
Provider = Literal["aws", "azure", "gcp"]

_DEC = "DECIMAL(38, 10)"
# Dataset rules a provider's own FOCUS export may break by itself (see SourceSpec.warn_only).
_PROVIDER_CLASSIFICATION = ("ServiceName.one-category", "SkuPriceId.one-sku")


@dataclass(frozen=True)
class SourceSpec:
    """How the converter treats one source.

    ``required``: raw columns every file must have; ``A|B`` accepts either spelling.
    ``billing_period_sql``: DuckDB expression over ``src`` giving the row's billing period start
    (ISO date/time, ``M/D/YYYY`` or ``YYYYMM`` text). ``invoice_cost_sql``: the row's amount on
    the invoice; per period, SUM(BilledCost) of the output must equal its sum.
    A mapping's ``-- @requires/@billing-period/@invoice-cost/@provider`` directives override these.

    ``warn_only``: check rules reported as warnings for this source instead of refusing the
    data. A provider's own FOCUS export carries the provider's classification, and AWS's gives
    EC2 both Compute and Storage when the export has no x_ServiceCode to reclassify by;
    refusing AWS's data every day for AWS's choice would help nobody.
    """

    kind: str
    provider: Provider
    required: tuple[str, ...]
    billing_period_sql: str
    invoice_cost_sql: str
    warn_only: tuple[str, ...] = ()


def _num(column: str) -> str:
    return f'TRY_CAST(src."{column}" AS {_DEC})'


# Defaults for every source. The mappings of the other sources are written against the shared
# contract; their directives refine these where needed.
SOURCES: dict[str, SourceSpec] = {
    "aws-cur-legacy": SourceSpec(
        "aws-cur-legacy",
        "aws",
        (
            "lineItem/LineItemType",
            "lineItem/UnblendedCost",
            "lineItem/CurrencyCode",
            "lineItem/UsageStartDate",
            "lineItem/UsageEndDate",
            "bill/BillingPeriodStartDate",
            "bill/BillingPeriodEndDate",
            "bill/PayerAccountId",
        ),
        'src."bill/BillingPeriodStartDate"',
        _num("lineItem/UnblendedCost"),
    ),
    "aws-cur2": SourceSpec(
        "aws-cur2",
        "aws",
        (
            "line_item_line_item_type",
            "line_item_unblended_cost",
            "line_item_currency_code",
            "line_item_usage_start_date",
            "bill_billing_period_start_date",
            "bill_payer_account_id",
        ),
        'src."bill_billing_period_start_date"',
        _num("line_item_unblended_cost"),
    ),
    "aws-focus": SourceSpec(
        "aws-focus",
        "aws",
        ("BilledCost", "BillingPeriodStart", "BillingCurrency", "ChargeCategory"),
        'src."BillingPeriodStart"',
        _num("BilledCost"),
        warn_only=_PROVIDER_CLASSIFICATION,
    ),
    "azure-focus": SourceSpec(
        "azure-focus",
        "azure",
        ("BilledCost", "BillingPeriodStart", "BillingCurrency", "ChargeCategory"),
        'src."BillingPeriodStart"',
        _num("BilledCost"),
        warn_only=_PROVIDER_CLASSIFICATION,
    ),
    "azure-cost": SourceSpec(
        "azure-cost",
        "azure",
        ("CostInBillingCurrency|Cost|PreTaxCost", "Date|UsageDate"),
        'COALESCE(src."BillingPeriodStartDate", src."Date", src."UsageDate")',
        # Actual cost data: every row as billed. Amortized data also carries the amortized
        # share of commitments on usage and unused rows, which is not on the invoice.
        "CASE WHEN LOWER(COALESCE(src.\"PricingModel\", '')) IN ('reservation', 'savingsplan', "
        "'savings plan') AND LOWER(COALESCE(src.\"ChargeType\", '')) IN ('usage', "
        "'unusedreservation', 'unusedsavingsplan') THEN 0 ELSE "
        f"COALESCE({_num('CostInBillingCurrency')}, {_num('Cost')}, {_num('PreTaxCost')}) END",
    ),
    "gcp-billing": SourceSpec(
        "gcp-billing",
        "gcp",
        ("cost", "usage_start_time", "currency"),
        'COALESCE(src."invoice.month", src."usage_start_time")',
        # Net cost = cost + SUM(credits.amount); credits is JSON text (a list of records).
        f"COALESCE({_num('cost')}, 0) + COALESCE(list_sum(list_transform(CAST(json_extract("
        f"src.\"credits\", '$[*].amount') AS VARCHAR[]), lambda a: TRY_CAST(a AS {_DEC}))), 0)",
    ),
}


def source_spec(kind: str) -> SourceSpec:
    """The spec of ``kind`` with its mapping's directives applied."""
    mapping = load_mapping(kind)  # raises FocusInputError for a source without a mapping
    base = SOURCES.get(kind) or SourceSpec(kind, "aws", (), "NULL", "NULL")
    d = mapping.directives
    provider = d.get("provider", base.provider)
    if provider not in get_args(Provider):
        raise FocusInputError(f"mapping {kind}: @provider must be aws, azure or gcp")
    return SourceSpec(
        kind=kind,
        provider=provider,  # type: ignore[arg-type]  # checked just above
        required=mapping.required_columns or base.required,
        billing_period_sql=d.get("billing-period", base.billing_period_sql),
        invoice_cost_sql=d.get("invoice-cost", base.invoice_cost_sql),
        warn_only=base.warn_only,
    )
