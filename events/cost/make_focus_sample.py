"""Write ``events/cost/focus-sample.csv``, the FOCUS 1.2 cost data behind the demo's cost drivers.

``costwarden demo`` and the handler tests read each sample budget alert's "top cost drivers" from
that CSV (``FocusCostDrivers``: the alert's scope over the budget's period, which is a day, month,
quarter or year for AWS, and a month from ``period_start`` when the payload does not say). So it
holds daily USD rows for exactly the scopes and periods of ``events/*/*.expected.json``:

============================================  ===============================================
AWS linked account 123456789012 (acme-prod)   1-31 Jan, 3 Mar, 1-26 May, 1 Jun 2025
AWS linked account 012345678901 (platform)    1 Jul - 13 Aug 2025
Azure subscription 00000000-...-000000000000  1-20 May 2025 (rg-web, rg-data, rg-ops and the
                                              rg-analytics group that has its own budget)
Google Cloud billing account 012345-...-EF01  1-25 Feb, 1-30 Apr, 1-27 May 2025, three projects
============================================  ===============================================

Why those days: a period stops the day before the scope's latest sample alert in it was sent,
which is what an export read then would hold. Quantities are sized so a scope's period reads
close to, never exactly, the broadest budget on it: prod-account-monthly, prod-subscription-
monthly, billing-account-total and platform-quarterly at 85-100 % of their actual spend,
analytics-rg-monthly between its actual and its forecast, org-annual at about two months of its
forecast (it was sent on 3 March). Budgets that watch a slice of their scope (killswitch,
billingThree, dev-sandbox, the team budgets on the Google billing account) cannot match: costwarden
shows the whole scope's drivers, as it would in production.

Rows follow FOCUS as cloud exports write them: per resource, SKU and day, charge periods in UTC,
billing periods on month bounds, on-demand usage with list = contracted = billed = effective cost
(``unit price * PricingQuantity``), credits as negative ``Credit`` rows netted into their service.
Nothing is random or read from the clock: the same script writes the same bytes, and a unit test
checks that the committed CSV is exactly what it writes.

Usage: ``.venv/bin/python events/cost/make_focus_sample.py [OUT.csv]`` (default: the CSV here).
"""

from __future__ import annotations

import csv
import json
import sys
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from operator import itemgetter
from pathlib import Path

OUT = Path(__file__).with_name("focus-sample.csv")

COLUMNS = (
    "BilledCost", "BillingAccountId", "BillingAccountName", "BillingAccountType",
    "BillingCurrency", "BillingPeriodEnd", "BillingPeriodStart", "ChargeCategory", "ChargeClass",
    "ChargeDescription", "ChargeFrequency", "ChargePeriodEnd", "ChargePeriodStart",
    "ConsumedQuantity", "ConsumedUnit", "ContractedCost", "ContractedUnitPrice", "EffectiveCost",
    "InvoiceIssuerName", "ListCost", "ListUnitPrice", "PricingCategory", "PricingQuantity",
    "PricingUnit", "ProviderName", "PublisherName", "RegionId", "RegionName", "ResourceId",
    "ResourceName", "ResourceType", "ServiceCategory", "ServiceName", "ServiceSubcategory", "SkuId",
    "SubAccountId", "SubAccountName", "SubAccountType", "Tags",
)  # fmt: skip

# FOCUS ServiceCategory / ServiceSubcategory (allowed values) of every service used below.
SERVICES: dict[str, tuple[str, str]] = {
    "Amazon Elastic Compute Cloud": ("Compute", "Virtual Machines"),
    "Amazon Relational Database Service": ("Databases", "Relational Databases"),
    "Amazon Simple Storage Service": ("Storage", "Object Storage"),
    "Amazon ElastiCache": ("Databases", "Caching"),
    "Amazon CloudWatch": ("Management and Governance", "Observability"),
    "Virtual Machine Scale Sets": ("Compute", "Virtual Machines"),
    "SQL Database": ("Databases", "Relational Databases"),
    "Log Analytics": ("Management and Governance", "Observability"),
    "Azure Databricks": ("Analytics", "Analytics Platforms"),
    "Storage Accounts": ("Storage", "Object Storage"),
    "Azure Data Factory v2": ("Analytics", "Data Processing"),
    "BigQuery": ("Databases", "Data Warehouses"),
    "Compute Engine": ("Compute", "Virtual Machines"),
    "Cloud SQL": ("Databases", "Relational Databases"),
}


@dataclass(frozen=True)
class Account:
    """The provider and account columns shared by every row of one sub-account."""

    provider: str
    invoice_issuer: str
    billing_id: str
    billing_name: str
    sub_id: str
    sub_name: str
    sub_type: str

    def columns(self) -> dict[str, str]:
        return {
            "ProviderName": self.provider,
            "PublisherName": self.provider,
            "InvoiceIssuerName": self.invoice_issuer,
            "BillingAccountId": self.billing_id,
            "BillingAccountName": self.billing_name,
            "BillingAccountType": "Billing Account",
            "SubAccountId": self.sub_id,
            "SubAccountName": self.sub_name,
            "SubAccountType": self.sub_type,
        }


AWS_PAYER = ("AWS", "AWS", "210987654321", "Acme Org (management)")
ACME_PROD = Account(*AWS_PAYER, "123456789012", "acme-prod", "Linked Account")
ACME_PLATFORM = Account(*AWS_PAYER, "012345678901", "acme-platform", "Linked Account")
AZ_SUB = "/subscriptions/00000000-0000-0000-0000-000000000000"
AZURE_EA = ("Microsoft", "Microsoft", "/providers/Microsoft.Billing/billingAccounts/12345678")
CONTOSO = Account(*AZURE_EA, "Contoso EA", AZ_SUB, "Contoso Production", "Subscription")
GCP_BILLING = ("Google Cloud", "Google", "012345-6789AB-CDEF01", "Acme billing")
ACME_ANALYTICS = Account(*GCP_BILLING, "acme-analytics", "Acme Analytics", "Project")
ACME_ML = Account(*GCP_BILLING, "acme-ml", "Acme ML", "Project")
ACME_WEB = Account(*GCP_BILLING, "acme-web", "Acme Web", "Project")

# The days each sub-account has rows for (inclusive), see the module docstring.
AWS_PROD_DAYS = (
    (date(2025, 1, 1), date(2025, 1, 31)),
    (date(2025, 3, 3), date(2025, 3, 3)),
    (date(2025, 5, 1), date(2025, 5, 26)),
    (date(2025, 6, 1), date(2025, 6, 1)),
)
AWS_PLATFORM_DAYS = ((date(2025, 7, 1), date(2025, 8, 13)),)
AZURE_DAYS = ((date(2025, 5, 1), date(2025, 5, 20)),)
GCP_DAYS = (
    (date(2025, 2, 1), date(2025, 2, 25)),
    (date(2025, 4, 1), date(2025, 4, 30)),
    (date(2025, 5, 1), date(2025, 5, 27)),
)

# Row order: by day, then provider, account, service, resource; a credit before its usage.
SORT_BY = ("ChargePeriodStart", "ProviderName", "SubAccountId", "ServiceName", "ResourceId",
           "ChargeCategory")  # fmt: skip

Quantity = Callable[[date], Decimal]


def steady(quantity: str) -> Quantity:
    """An always-on resource: the same quantity every day."""
    return lambda day: Decimal(quantity)


def varying(
    by_month: dict[int, str], *, weekend: str = "1", spread: int = 8, seed: int = 0
) -> Quantity:
    """Usage that moves day to day: the month's base, a weekend factor and a fixed +-spread %.

    ``by_month`` maps the first month a base applies from (2025 only) to that base. The wobble is
    arithmetic on the date, so it looks irregular but is the same on every run.
    """

    def quantity(day: date) -> Decimal:
        base = Decimal(by_month[max(m for m in by_month if m <= day.month)])
        if day.weekday() >= 5:
            base *= Decimal(weekend)
        wobble = (day.toordinal() * 7919 + seed * 104729) % (2 * spread + 1) - spread
        return (base * (100 + wobble) / 100).quantize(Decimal("0.0001"))

    return quantity


def stored(gb_by_month: dict[int, int]) -> Quantity:
    """Storage billed per GB-month: a day holds the stored GB over the days in that month."""

    def quantity(day: date) -> Decimal:
        gb = gb_by_month[max(m for m in gb_by_month if m <= day.month)]
        return (Decimal(gb) / days_in_month(day)).quantize(Decimal("0.0001"))

    return quantity


@dataclass(frozen=True)
class Meter:
    """One resource's daily use of one SKU, priced on demand (list = contracted price)."""

    account: Account
    days: tuple[tuple[date, date], ...]
    service: str
    region: tuple[str, str]
    resource: tuple[str, str, str]  # ResourceId, ResourceName, ResourceType
    sku: str
    description: str
    unit_price: str
    unit: str
    quantity: Quantity
    tags: dict[str, str]


@dataclass(frozen=True)
class Credit:
    """A credit the provider applied to one service on one day (negative cost)."""

    account: Account
    day: date
    service: str
    region: tuple[str, str]
    resource: tuple[str, str, str]
    description: str
    amount: str


US_EAST_1 = ("us-east-1", "US East (N. Virginia)")
EU_WEST_1 = ("eu-west-1", "Europe (Ireland)")
WEST_EUROPE = ("westeurope", "West Europe")
NO_RESOURCE = ("", "", "")


def arn(service: str, region: str, account: Account, rest: str) -> str:
    return f"arn:aws:{service}:{region}:{account.sub_id}:{rest}"


def azure_id(group: str, provider_path: str) -> str:
    return f"{AZ_SUB}/resourcegroups/{group}/providers/{provider_path}"


ANALYTICS_WORKER = (
    arn("ec2", "us-east-1", ACME_PROD, "instance/i-0a1b2c3d4e5f60718"),
    "analytics-worker-1",
    "Instance",
)
BQ_ANALYTICS = ("//bigquery.googleapis.com/projects/acme-analytics", "acme-analytics", "Project")

METERS = (
    # -- AWS acme-prod: an analytics box, the orders database and the data lake ------------------
    Meter(ACME_PROD, AWS_PROD_DAYS, "Amazon Elastic Compute Cloud", US_EAST_1, ANALYTICS_WORKER,
          "K4S5GQ6ZXUT6MJ5B", "$8.064 per On Demand Linux r6i.32xlarge Instance Hour", "8.064",
          "Hours", steady("24"), {"team": "data"}),
    Meter(ACME_PROD, AWS_PROD_DAYS, "Amazon Relational Database Service", US_EAST_1,
          (arn("rds", "us-east-1", ACME_PROD, "db:orders-db"), "orders-db", "DB Instance"),
          "V5JXB4HG8X2Q3T9S",
          "$7.184 per RDS db.r6g.8xlarge Multi-AZ instance hour running PostgreSQL", "7.184",
          "Hours", steady("24"), {"team": "orders"}),
    Meter(ACME_PROD, AWS_PROD_DAYS, "Amazon Simple Storage Service", US_EAST_1,
          ("arn:aws:s3:::acme-data-lake", "acme-data-lake", "Bucket"), "WP9ANXZGBYYSGJEA",
          "$0.023 per GB - first 50 TB / month of storage used", "0.023", "GB-Mo",
          stored({1: 52_000, 3: 60_000, 5: 80_000, 6: 82_000}), {"team": "data"}),
    # -- AWS acme-platform: the shared Kubernetes nodes, a Redis cache, cluster logs -------------
    Meter(ACME_PLATFORM, AWS_PLATFORM_DAYS, "Amazon Elastic Compute Cloud", EU_WEST_1,
          (arn("ec2", "eu-west-1", ACME_PLATFORM, "instance/i-07c1d2e3f4a5b6c7d"), "eks-node-a",
           "Instance"), "3DG6WFZ5QW4JAAHJ",
          "$3.392 per On Demand Linux m6i.16xlarge Instance Hour", "3.392", "Hours",
          steady("24"), {"team": "platform"}),
    Meter(ACME_PLATFORM, AWS_PLATFORM_DAYS, "Amazon ElastiCache", EU_WEST_1,
          (arn("elasticache", "eu-west-1", ACME_PLATFORM, "replicationgroup:platform-redis"),
           "platform-redis", "Cache Cluster"), "9QH4C7Y6WTSEWN4X",
          "$3.648 per On Demand cache.r6g.8xlarge Node Hour", "3.648", "Hours", steady("24"),
          {"team": "platform"}),
    Meter(ACME_PLATFORM, AWS_PLATFORM_DAYS, "Amazon CloudWatch", EU_WEST_1,
          (arn("logs", "eu-west-1", ACME_PLATFORM, "log-group:/aws/eks/platform/cluster"),
           "/aws/eks/platform/cluster", "Log Group"), "RQ7WDPF8ZVHSM2CA",
          "$0.57 per GB custom log data ingested - EU (Ireland)", "0.57", "GB",
          varying({7: "60"}, weekend="0.7", spread=10, seed=2),
          {"team": "platform"}),
    # -- Azure Contoso Production: web, data and ops groups, and rg-analytics --------------------
    Meter(CONTOSO, AZURE_DAYS, "Virtual Machine Scale Sets", WEST_EUROPE,
          (azure_id("rg-web", "microsoft.compute/virtualmachinescalesets/vmss-web"), "vmss-web",
           "Virtual machine scale set"), "DZH318Z0BQ4L/00RF", "D16s v5 - West Europe", "0.92",
          "Hours", varying({5: "176"}, weekend="0.75", seed=3), {"team": "web"}),
    Meter(CONTOSO, AZURE_DAYS, "SQL Database", WEST_EUROPE,
          (azure_id("rg-data", "microsoft.sql/servers/sql-contoso/databases/orders"), "orders",
           "SQL database"), "DZH318Z0BQ5S/0042", "vCore - General Purpose Gen5 - West Europe",
          "0.27", "vCore Hours", steady("384"), {"team": "orders"}),
    Meter(CONTOSO, AZURE_DAYS, "Log Analytics", WEST_EUROPE,
          (azure_id("rg-ops", "microsoft.operationalinsights/workspaces/log-contoso"),
           "log-contoso", "Log Analytics workspace"), "DZH318Z0BP04/0015",
          "Analytics Logs Data Ingestion - West Europe", "2.76", "GB",
          varying({5: "36"}, weekend="0.8", seed=4), {"team": "platform"}),
    Meter(CONTOSO, AZURE_DAYS, "Azure Databricks", WEST_EUROPE,
          (azure_id("rg-analytics", "microsoft.databricks/workspaces/dbw-analytics"),
           "dbw-analytics", "Azure Databricks Service"), "DZH318Z0BWQ1/001C",
          "Premium Jobs Compute - DBU", "0.3", "DBU",
          varying({5: "290"}, weekend="0", seed=5), {"team": "data"}),
    Meter(CONTOSO, AZURE_DAYS, "Storage Accounts", WEST_EUROPE,
          (azure_id("rg-analytics", "microsoft.storage/storageaccounts/stanalyticslake"),
           "stanalyticslake", "Storage account"), "DZH318Z0BNVX/003K",
          "Hot LRS Data Stored - West Europe", "0.0208", "GB-Mo", stored({5: 61_440}),
          {"team": "data"}),
    Meter(CONTOSO, AZURE_DAYS, "Azure Data Factory v2", WEST_EUROPE,
          (azure_id("rg-analytics", "microsoft.datafactory/factories/adf-analytics"),
           "adf-analytics", "Data factory (V2)"), "DZH318Z0BQ7C/0007",
          "Cloud Data Movement - West Europe", "0.25", "DIU Hours",
          varying({5: "36"}, weekend="0", spread=12, seed=6), {"team": "data"}),
    # -- Google Cloud: BigQuery for the data team, GPUs for ML, the web database -----------------
    Meter(ACME_ANALYTICS, GCP_DAYS, "BigQuery", ("EU", "EU"), BQ_ANALYTICS, "3362-E469-6BEF",
          "Analysis (on-demand) in EU", "6.25", "TiB",
          varying({2: "36", 4: "37", 5: "38"}, weekend="0", spread=12, seed=7),
          {"team": "data"}),
    Meter(ACME_ML, GCP_DAYS, "Compute Engine", ("europe-west4", "Netherlands"),
          ("//compute.googleapis.com/projects/acme-ml/zones/europe-west4-a/instances/trainer-a100",
           "trainer-a100", "Instance"), "039F-D0DA-4055",
          "Nvidia Tesla A100 GPU running in Netherlands", "2.934", "Hours", steady("48"),
          {"team": "ml"}),
    Meter(ACME_WEB, GCP_DAYS, "Cloud SQL", ("europe-west1", "Belgium"),
          ("//cloudsql.googleapis.com/projects/acme-web/instances/web-pg", "web-pg", "Instance"),
          "D5A4-1B41-4E91", "Cloud SQL for PostgreSQL: Regional - vCPU in Belgium", "0.1028",
          "Hours", steady("768"), {"team": "web"}),
)  # fmt: skip

CREDITS = (
    # Promotional (migration) credits, applied to EC2 on the first day of each month.
    *(Credit(ACME_PROD, day, "Amazon Elastic Compute Cloud", ("", ""), NO_RESOURCE,
             "AWS Promotional Credit", "-400") for day in (date(2025, 1, 1), date(2025, 5, 1))),
    # BigQuery's monthly free tier (1 TiB of on-demand analysis), a credit on the first query day.
    *(Credit(ACME_ANALYTICS, day, "BigQuery", ("EU", "EU"), BQ_ANALYTICS, "Free Tier", "-6.25")
      for day in (date(2025, 2, 3), date(2025, 4, 1), date(2025, 5, 1))),
)  # fmt: skip


def days_in_month(day: date) -> int:
    return (month_after(day) - day.replace(day=1)).days


def month_after(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def iso(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def text(value: Decimal) -> str:
    return format(value.normalize(), "f")


def base_row(charge: Meter | Credit, day: date) -> dict[str, str]:
    """The columns usage and credits share: who, when, which service, resource and region."""
    category, subcategory = SERVICES[charge.service]
    row = dict.fromkeys(COLUMNS, "")
    row.update(charge.account.columns())
    row.update(
        BillingCurrency="USD",
        BillingPeriodStart=iso(day.replace(day=1)),
        BillingPeriodEnd=iso(month_after(day)),
        ChargePeriodStart=iso(day),
        ChargePeriodEnd=iso(day + timedelta(days=1)),
        ServiceName=charge.service,
        ServiceCategory=category,
        ServiceSubcategory=subcategory,
        RegionId=charge.region[0],
        RegionName=charge.region[1],
        ResourceId=charge.resource[0],
        ResourceName=charge.resource[1],
        ResourceType=charge.resource[2],
    )
    return row


def usage_row(meter: Meter, day: date) -> dict[str, str]:
    quantity = meter.quantity(day)
    cost = text(Decimal(meter.unit_price) * quantity)
    row = base_row(meter, day)
    row.update(
        ChargeCategory="Usage",
        ChargeFrequency="Usage-Based",
        ChargeDescription=meter.description,
        SkuId=meter.sku,
        PricingCategory="Standard",
        ConsumedQuantity=text(quantity),
        ConsumedUnit=meter.unit,
        PricingQuantity=text(quantity),
        PricingUnit=meter.unit,
        ListUnitPrice=meter.unit_price,
        ContractedUnitPrice=meter.unit_price,
        # On-demand, no negotiated rate and nothing amortized: all four costs are the same.
        ListCost=cost,
        ContractedCost=cost,
        BilledCost=cost,
        EffectiveCost=cost,
        Tags=json.dumps(meter.tags, sort_keys=True, separators=(",", ":")),
    )
    return row


def credit_row(credit: Credit) -> dict[str, str]:
    row = base_row(credit, credit.day)
    # FOCUS: a credit not derived from other charges has no unit prices or quantities, and its
    # ListCost and ContractedCost equal its BilledCost.
    row.update(
        ChargeCategory="Credit",
        ChargeFrequency="One-Time",
        ChargeDescription=credit.description,
        ListCost=credit.amount,
        ContractedCost=credit.amount,
        BilledCost=credit.amount,
        EffectiveCost=credit.amount,
    )
    return row


def each_day(spans: tuple[tuple[date, date], ...]) -> list[date]:
    return [
        first + timedelta(days=n) for first, last in spans for n in range((last - first).days + 1)
    ]


def build_rows() -> list[dict[str, str]]:
    # No usage, no row: weekday-only jobs simply have no weekend rows.
    rows = [
        usage_row(meter, day)
        for meter in METERS
        for day in each_day(meter.days)
        if meter.quantity(day) > 0
    ]
    rows += [credit_row(credit) for credit in CREDITS]
    rows.sort(key=itemgetter(*SORT_BY))
    return rows


def summary(rows: list[dict[str, str]]) -> list[str]:
    """Net EffectiveCost per budget scope and month, to hold against the sample alerts."""
    totals: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for row in rows:
        month = row["BillingPeriodStart"][:7]
        scopes = [row["SubAccountId"]]
        if row["ProviderName"] == "Google Cloud":
            scopes = [row["BillingAccountId"]]  # Google budgets belong to the billing account
        elif row["ProviderName"] == "Microsoft":
            scopes.append(row["ResourceId"].split("/providers/")[0])  # its resource group
        for scope in scopes:
            totals[(row["ProviderName"], scope, month)] += Decimal(row["EffectiveCost"])
    return [
        f"{provider:<12} {month}  {total:>10.2f} USD  {scope}"
        for (provider, scope, month), total in sorted(totals.items())
    ]


def main(argv: list[str]) -> None:
    out = Path(argv[1]) if len(argv) > 1 else OUT
    rows = build_rows()
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print("\n".join(summary(rows)))
    print(f"{out}: {len(rows)} rows, {out.stat().st_size:,} bytes")


if __name__ == "__main__":
    main(sys.argv)
