"""Google Cloud Billing export rows -> FOCUS 1.2, from the files a scheduled EXPORT DATA writes."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from unit.focus_mappings.mapping_support import MappedRows, run_mapping
from unit.focus_mappings.shared_checks import assert_focus_shape, utc
from unit.focus_mappings.writers import write_ndjson, write_parquet

ACCOUNT = "01A2B3-C4D5E6-F7G8H9"
EXTRAS = (
    "x_CreditAmount",
    "x_Credits",
    "x_CostType",
    "x_ExportTime",
    "x_InvoiceMonth",
    "x_Location",
    "x_ProjectNumber",
    "x_ServiceId",
)


def record(sku: str, cost: float, **extra: Any) -> dict[str, Any]:
    """One detailed-export row as BigQuery writes it to JSON (nested records, UTC timestamps)."""
    row: dict[str, Any] = {
        "billing_account_id": ACCOUNT,
        "service": {"id": "6F81-5844-456A", "description": "Compute Engine"},
        "sku": {"id": f"SKU-{sku[:4].upper()}", "description": sku},
        "usage_start_time": "2026-10-05 10:00:00 UTC",
        "usage_end_time": "2026-10-05 11:00:00 UTC",
        "project": {"id": "analytics-prod", "number": "012345678901", "name": "Analytics Prod"},
        "labels": [],
        "system_labels": [],
        "location": {
            "location": "us-central1",
            "country": "US",
            "region": "us-central1",
            "zone": None,
        },
        "resource": {"name": None, "global_name": None},
        "export_time": "2026-10-06 03:12:45.123456 UTC",
        "cost": cost,
        "currency": "EUR",
        "usage": {
            "amount": 0,
            "unit": "requests",
            "amount_in_pricing_units": 0,
            "pricing_unit": "count",
        },
        "credits": [],
        "invoice": {"month": "202610", "publisher_type": "Google"},
        "cost_type": "regular",
        "adjustment_info": {"id": None, "description": None, "mode": None, "type": None},
        "price": {"effective_price": None, "pricing_unit_quantity": 1},
        "transaction_type": "GOOGLE",
        "seller_name": "Google",
    }
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(row.get(key), dict):
            row[key] = {**row[key], **value}
        else:
            row[key] = value
    return row


def gcp_records() -> list[dict[str, Any]]:
    return [
        record(
            "N2 Instance Core running in Americas",
            10.0,
            labels=[{"key": "env", "value": "prod"}, {"key": "team", "value": "data"}],
            system_labels=[{"key": "goog-k8s-cluster-name", "value": "main"}],
            location={"zone": "us-central1-a"},
            resource={
                "name": "vm-1",
                "global_name": (
                    "//compute.googleapis.com/projects/analytics-prod/zones/us-central1-a"
                    "/instances/4242"
                ),
            },
            usage={
                "amount": 3600,
                "unit": "seconds",
                "amount_in_pricing_units": 1,
                "pricing_unit": "hour",
            },
            price={"effective_price": 10.0},
            credits=[
                {
                    "name": "Sustained use discount",
                    "amount": -1.5,
                    "full_name": None,
                    "id": "sud",
                    "type": "SUSTAINED_USAGE_DISCOUNT",
                },
                {
                    "name": "Committed use discount",
                    "amount": -2.0,
                    "full_name": None,
                    "id": "cud",
                    "type": "COMMITTED_USAGE_DISCOUNT",
                },
            ],
        ),
        record(
            "Standard Storage US Multi-region",
            0.5,
            service={"id": "95FF-2EF5-5EA1", "description": "Cloud Storage"},
            location={"region": None, "location": "us"},
            usage={
                "amount": 1.5e9,
                "unit": "byte-seconds",
                "amount_in_pricing_units": 0.025,
                "pricing_unit": "gibibyte month",
            },
            price={"effective_price": 20.0},
        ),
        record("Tax", 1.05, cost_type="tax", service={"id": "TAX", "description": "Invoice"}),
        record(
            "Usage correction",
            -0.3,
            cost_type="adjustment",
            adjustment_info={
                "type": "USAGE_CORRECTION",
                "mode": "PARTIAL_CORRECTION",
                "id": "adj-1",
            },
        ),
        record(
            "Goodwill",
            -5.0,
            cost_type="adjustment",
            adjustment_info={"type": "GOODWILL", "mode": "MANUAL_ADJUSTMENT", "id": "adj-2"},
        ),
        record(
            "Commitment v1: Cpu in us-central1 for 1 Year",
            20.0,
            usage={
                "amount": 2592000,
                "unit": "seconds",
                "amount_in_pricing_units": 720,
                "pricing_unit": "hour",
            },
        ),
        record(
            "N2 Instance Core running in Americas",
            2.0,
            usage_start_time="2026-09-30 23:00:00 UTC",
            usage_end_time="2026-10-01 00:00:00 UTC",
            invoice={"month": "202609"},
            credits=[
                {
                    "name": "Free tier",
                    "amount": -0.25,
                    "full_name": None,
                    "id": "ft",
                    "type": "FREE_TIER",
                }
            ],
        ),
    ]


def flat_standard(rec: dict[str, Any]) -> dict[str, Any]:
    """A standard-export row flattened by the export query's aliases (service_description...)."""
    out: dict[str, Any] = {}
    for key, value in rec.items():
        if key in ("resource", "price"):  # not in the standard export
            continue
        if isinstance(value, dict):
            out.update({f"{key}_{k}": v for k, v in value.items()})
        else:
            out[key] = value
    return out


PARQUET_TYPES = {
    "service": "STRUCT(id VARCHAR, description VARCHAR)",
    "sku": "STRUCT(id VARCHAR, description VARCHAR)",
    "usage_start_time": "TIMESTAMPTZ",
    "usage_end_time": "TIMESTAMPTZ",
    "export_time": "TIMESTAMPTZ",
    "project": "STRUCT(id VARCHAR, number VARCHAR, name VARCHAR)",
    "labels": "STRUCT(key VARCHAR, value VARCHAR)[]",
    "system_labels": "STRUCT(key VARCHAR, value VARCHAR)[]",
    "location": "STRUCT(location VARCHAR, country VARCHAR, region VARCHAR, zone VARCHAR)",
    "resource": "STRUCT(name VARCHAR, global_name VARCHAR)",
    "cost": "DOUBLE",
    "usage": (
        "STRUCT(amount DOUBLE, unit VARCHAR, amount_in_pricing_units DOUBLE, pricing_unit VARCHAR)"
    ),
    "credits": "STRUCT(name VARCHAR, amount DOUBLE, full_name VARCHAR, id VARCHAR, type VARCHAR)[]",
    "invoice": "STRUCT(month VARCHAR, publisher_type VARCHAR)",
    "adjustment_info": "STRUCT(id VARCHAR, description VARCHAR, mode VARCHAR, type VARCHAR)",
    "price": "STRUCT(effective_price DOUBLE, pricing_unit_quantity DOUBLE)",
}


def _parquet_rows(records: list[dict[str, Any]]) -> list[dict[str, str | None]]:
    def text(value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, dict | list):
            return json.dumps(value)
        if isinstance(value, str) and value.endswith(" UTC"):
            return value.removesuffix(" UTC") + "+00"
        return str(value)

    return [{k: text(v) for k, v in r.items()} for r in records]


@pytest.fixture(params=["ndjson-detailed", "ndjson-gz-standard", "parquet-detailed"])
def mapped(request: pytest.FixtureRequest, tmp_path: Path) -> MappedRows:
    records = gcp_records()
    if request.param == "ndjson-detailed":
        path = write_ndjson(tmp_path / "billing-000000000000.json", records)
        return run_mapping("gcp-billing", [path], timezone="Europe/Berlin")
    if request.param == "ndjson-gz-standard":
        path = write_ndjson(
            tmp_path / "billing-000000000000.json.gz",
            [flat_standard(r) for r in records],
            gzipped=True,
        )
        return run_mapping("gcp-billing", [path])
    path = write_parquet(
        tmp_path / "billing-000000000000.parquet", _parquet_rows(records), types=PARQUET_TYPES
    )
    return run_mapping("gcp-billing", [path])


def test_gcp_output_is_focus_shaped(mapped: MappedRows) -> None:
    assert_focus_shape(mapped, extras=EXTRAS)


def test_gcp_usage_nets_credits_and_flattens_labels(mapped: MappedRows) -> None:
    vm = mapped.one(
        ChargeDescription="N2 Instance Core running in Americas", x_InvoiceMonth="202610"
    )
    assert vm["BillingAccountId"] == vm["BillingAccountName"] == ACCOUNT
    assert vm["SubAccountId"] == "analytics-prod"
    assert vm["SubAccountName"] == "Analytics Prod"
    assert vm["x_ProjectNumber"] == "012345678901"
    assert vm["BilledCost"] == vm["EffectiveCost"] == Decimal("6.5")  # 10 - 1.5 - 2
    assert vm["x_CreditAmount"] == Decimal("-3.5")
    assert vm["ListCost"] == Decimal(10)
    assert vm["BillingCurrency"] == "EUR"
    assert vm["ChargeCategory"] == "Usage"
    assert vm["ChargeFrequency"] == "Usage-Based"
    assert vm["PricingCategory"] == "Committed"  # a committed use discount covered it
    assert vm["ServiceCategory"] == "Compute"
    assert vm["ServiceSubcategory"] == "Virtual Machines"
    assert vm["ChargePeriodStart"] == utc(2026, 10, 5, 10)
    assert vm["ChargePeriodEnd"] == utc(2026, 10, 5, 11)
    assert vm["BillingPeriodStart"] == utc(2026, 10, 1)
    assert vm["BillingPeriodEnd"] == utc(2026, 11, 1)
    assert vm["ConsumedQuantity"] == 3600
    assert vm["ConsumedUnit"] == "Seconds"  # FOCUS Unit Format
    assert vm["PricingQuantity"] == 1
    assert vm["PricingUnit"] == "Hours"
    assert vm["RegionId"] == "us-central1"
    assert json.loads(vm["Tags"]) == {
        "env": "prod",
        "team": "data",
        "goog-k8s-cluster-name": "main",
    }
    if vm["ResourceId"] is not None:  # the detailed export only
        assert vm["ResourceName"] == "vm-1"
        assert vm["ResourceType"] == "compute.googleapis.com/instances"
        assert vm["AvailabilityZone"] == "us-central1-a"
        assert vm["ContractedUnitPrice"] == Decimal(10)
        assert vm["ContractedCost"] == Decimal(10)


def test_gcp_tax_adjustments_and_commitment_fees(mapped: MappedRows) -> None:
    tax = mapped.one(ChargeCategory="Tax")
    assert tax["BilledCost"] == Decimal("1.05")
    assert tax["PricingQuantity"] is None
    correction = mapped.one(ChargeDescription="Usage correction")
    assert (correction["ChargeCategory"], correction["ChargeClass"]) == ("Adjustment", "Correction")
    goodwill = mapped.one(ChargeDescription="Goodwill")
    assert goodwill["ChargeCategory"] == "Credit"
    assert goodwill["ChargeClass"] is None
    assert goodwill["ListCost"] == goodwill["ContractedCost"] == Decimal(-5)
    # A committed use discount fee: recurring committed usage that keeps its cost effective.
    fee = mapped.one(ChargeDescription="Commitment v1: Cpu in us-central1 for 1 Year")
    assert (fee["ChargeCategory"], fee["ChargeFrequency"]) == ("Usage", "Recurring")
    assert fee["BilledCost"] == fee["EffectiveCost"] == 20
    assert fee["PricingCategory"] == "Committed"
    assert not mapped.where(ChargeCategory="Purchase")
    storage = mapped.one(ServiceName="Cloud Storage")
    assert storage["Tags"] is None
    assert storage["RegionId"] is None
    assert storage["ServiceSubcategory"] == "Object Storage"


def test_gcp_billed_cost_reconciles_with_cost_plus_credits_per_invoice_month(
    mapped: MappedRows,
) -> None:
    for month, start in (("202610", utc(2026, 10, 1)), ("202609", utc(2026, 9, 1))):
        expected = sum(
            (
                Decimal(str(r["cost"]))
                + sum((Decimal(str(c["amount"])) for c in r["credits"]), Decimal(0))
                for r in gcp_records()
                if r["invoice"].get("month", "202610") == month
            ),
            Decimal(0),
        )
        assert mapped.total("BilledCost", BillingPeriodStart=start) == expected
    late = mapped.one(x_InvoiceMonth="202609")
    assert late["ChargePeriodStart"] == utc(2026, 9, 30, 23)  # usage month != invoice month
