"""Billing exports as each cloud writes them, placed into any ``ObjectStore`` for the tests.

Each ``place_*`` writes the data files first and the manifest (or marker) last, as the clouds
do, and returns the ``ExportObject`` the manifest's notification normalizes to: the event is
built from the real-shaped sample in ``events/<cloud>/`` with the bucket and key swapped in.

The raw rows are small but real-shaped: legacy CUR (``lineItem/...`` headers, gzip CSV), Azure
EA actual cost details (MM/DD/YYYY dates, a BOM, ``Tags`` without outer braces) and Google
billing export rows (nested ``service``/``sku``/``credits``, NDJSON as ``EXPORT DATA`` writes).
"""

from __future__ import annotations

import copy
import csv
import gzip
import io
import json
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import duckdb

from costwarden.models.export import ExportObject
from costwarden.normalize.export import parse_export_event
from costwarden.ports_storage import ObjectStore

EVENTS = Path(__file__).resolve().parents[3] / "events"


@dataclass(frozen=True)
class PlacedExport:
    event: Any  # the manifest's notification as the function receives it
    obj: ExportObject  # ... and normalized
    manifest_key: str
    data_keys: tuple[str, ...]
    rows: int
    total: Decimal  # the invoice-basis total of the rows: what SUM(BilledCost) must equal


def _sample(relative: str) -> Any:
    return json.loads((EVENTS / relative).read_text("utf-8"))


def _month(period: str) -> tuple[date, date]:
    start = date.fromisoformat(f"{period}-01")
    end = (start + timedelta(days=32)).replace(day=1)
    return start, end


def _chunks(rows: list[dict[str, Any]], parts: int) -> list[list[dict[str, Any]]]:
    return [rows[i::parts] for i in range(parts)]


def _csv(rows: list[dict[str, Any]], header: list[str], *, bom: bool = False) -> bytes:
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return ("\ufeff" if bom else "").encode() + text.getvalue().encode("utf-8")


# -- AWS legacy Cost and Usage Report ------------------------------------------------------------
LEGACY_HEADER = [
    "identity/LineItemId",
    "identity/TimeInterval",
    "bill/InvoiceId",
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
    "product/ProductName",
    "product/region",
    "product/productFamily",
    "product/sku",
    "pricing/publicOnDemandCost",
    "pricing/publicOnDemandRate",
    "pricing/unit",
    "resourceTags/user:Team",
]


def legacy_cur_rows(period: str, costs: list[str]) -> list[dict[str, Any]]:
    start, end = _month(period)
    rows = []
    for i, cost in enumerate(costs):
        day = start + timedelta(days=i % 28)
        rows.append(
            {
                "identity/LineItemId": f"li{period}{i:06d}",
                "identity/TimeInterval": f"{day}T00:00:00Z/{day + timedelta(days=1)}T00:00:00Z",
                "bill/InvoiceId": "",
                "bill/BillingEntity": "AWS",
                "bill/BillType": "Anniversary",
                "bill/PayerAccountId": "012345678901",  # leading zero: must stay a string
                "bill/BillingPeriodStartDate": f"{start}T00:00:00Z",
                "bill/BillingPeriodEndDate": f"{end}T00:00:00Z",
                "lineItem/UsageAccountId": "012345678901",
                "lineItem/LineItemType": "Usage",
                "lineItem/UsageStartDate": f"{day}T00:00:00Z",
                "lineItem/UsageEndDate": f"{day + timedelta(days=1)}T00:00:00Z",
                "lineItem/ProductCode": "AmazonEC2",
                "lineItem/UsageType": "USE1-BoxUsage:t3.micro",
                "lineItem/Operation": "RunInstances",
                "lineItem/AvailabilityZone": "us-east-1a",
                "lineItem/ResourceId": f"i-0{i:016x}",
                "lineItem/UsageAmount": "24",
                "lineItem/CurrencyCode": "USD",
                "lineItem/UnblendedRate": str((Decimal(cost) / 24).quantize(Decimal("0.0000001"))),
                "lineItem/UnblendedCost": cost,
                "lineItem/LineItemDescription": "$0.0104 per On Demand Linux t3.micro hour",
                "product/ProductName": "Amazon Elastic Compute Cloud",
                "product/region": "us-east-1",
                "product/productFamily": "Compute Instance",
                "product/sku": "SKU123EXAMPLE",
                "pricing/publicOnDemandCost": cost,
                "pricing/publicOnDemandRate": "0.0104",
                "pricing/unit": "Hrs",
                "resourceTags/user:Team": "payments" if i % 2 else "search",
            }
        )
    return rows


def s3_notification(bucket: str, key: str) -> Any:
    event = copy.deepcopy(_sample("aws/export_legacy_cur_manifest_created.json"))
    record = event["Records"][0]["s3"]
    record["bucket"]["name"] = bucket
    record["bucket"]["arn"] = f"arn:aws:s3:::{bucket}"
    record["object"]["key"] = quote_plus(key, safe="/")  # S3 encodes keys like an HTML form
    return event


def place_legacy_cur(
    store: ObjectStore,
    *,
    assembly: str,
    costs: list[str],
    period: str = "2026-05",
    bucket: str = "acme-legacy-cur",
    prefix: str = "billing reports",
    report: str = "hourly-cur",
    parts: int = 2,
    listed_only: tuple[str, ...] = (),
) -> PlacedExport:
    """A legacy CUR delivery: gzip CSV parts under ``<assemblyId>/``, then the manifest.

    ``listed_only`` names extra part files the manifest lists but that are never written.
    """
    start, end = _month(period)
    folder = f"{prefix}/{report}/{start:%Y%m%d}-{end:%Y%m%d}"
    rows = legacy_cur_rows(period, costs)
    keys = []
    for index, chunk in enumerate(_chunks(rows, parts), start=1):
        key = f"{folder}/{assembly}/{report}-{index:05d}.csv.gz"
        store.write(key, gzip.compress(_csv(chunk, LEGACY_HEADER)))
        keys.append(key)
    listed = keys + [f"{folder}/{assembly}/{name}" for name in listed_only]
    manifest = {
        "assemblyId": assembly,
        "account": "012345678901",
        "columns": [{"category": h.split("/")[0], "name": h.split("/")[1]} for h in LEGACY_HEADER],
        "charset": "UTF-8",
        "compression": "GZIP",
        "contentType": "text/csv",
        "reportId": "5d2f0c4b1a",
        "reportName": report,
        "billingPeriod": {
            "start": f"{start:%Y%m%d}T000000.000Z",
            "end": f"{end:%Y%m%d}T000000.000Z",
        },
        "bucket": bucket,
        "reportKeys": listed,
        "additionalArtifactKeys": [],
    }
    manifest_key = f"{folder}/{report}-Manifest.json"
    store.write(manifest_key, json.dumps(manifest, indent=2).encode())
    event = s3_notification(bucket, manifest_key)
    return PlacedExport(
        event,
        _one(event),
        manifest_key,
        tuple(keys),
        len(rows),
        sum((Decimal(c) for c in costs), Decimal(0)),
    )


# -- Azure Cost Management export (EA actual cost details) ---------------------------------------
AZURE_HEADER = [
    "BillingAccountId",
    "BillingAccountName",
    "BillingPeriodStartDate",
    "BillingPeriodEndDate",
    "BillingProfileId",
    "BillingProfileName",
    "AccountName",
    "SubscriptionId",
    "SubscriptionName",
    "Date",
    "Product",
    "PartNumber",
    "MeterId",
    "MeterCategory",
    "MeterSubCategory",
    "MeterName",
    "Quantity",
    "EffectivePrice",
    "CostInBillingCurrency",
    "UnitPrice",
    "BillingCurrency",
    "ResourceLocation",
    "ConsumedService",
    "ResourceId",
    "ResourceGroup",
    "Tags",
    "UnitOfMeasure",
    "ChargeType",
    "Frequency",
    "PricingModel",
    "PublisherType",
    "PayGPrice",
]


def azure_cost_rows(period: str, costs: list[str]) -> list[dict[str, Any]]:
    start, end = _month(period)
    last = end - timedelta(days=1)
    sub = "00000000-0000-0000-0000-000000000001"
    rows = []
    for i, cost in enumerate(costs):
        day = start + timedelta(days=i % 28)
        rows.append(
            {
                "BillingAccountId": "12345678",
                "BillingAccountName": "Acme EA",
                "BillingPeriodStartDate": f"{start:%m/%d/%Y}",
                "BillingPeriodEndDate": f"{last:%m/%d/%Y}",
                "BillingProfileId": "12345678",
                "BillingProfileName": "Acme EA",
                "AccountName": "Platform",
                "SubscriptionId": sub,
                "SubscriptionName": "platform-prod",
                "Date": f"{day:%m/%d/%Y}",
                "Product": "Virtual Machines DSv3 Series - D2s v3 - EU West",
                "PartNumber": "AAD-12345",
                "MeterId": "d1f3b9d6-0000-4a4a-9c9c-000000000001",
                "MeterCategory": "Virtual Machines",
                "MeterSubCategory": "DSv3 Series",
                "MeterName": "D2s v3",
                "Quantity": "24",
                "EffectivePrice": str((Decimal(cost) / 24).quantize(Decimal("0.0000001"))),
                "CostInBillingCurrency": cost,
                "UnitPrice": "0.12",
                "BillingCurrency": "EUR",
                "ResourceLocation": "westeurope",
                "ConsumedService": "Microsoft.Compute",
                "ResourceId": f"/subscriptions/{sub}/resourceGroups/rg-web/providers/"
                f"Microsoft.Compute/virtualMachines/vm-{i}",
                "ResourceGroup": "rg-web",
                # EA files write Tags as JSON without the outer braces
                "Tags": f'"team": "{"payments" if i % 2 else "search"}","env": "prod"',
                "UnitOfMeasure": "1 Hour",
                "ChargeType": "Usage",
                "Frequency": "UsageBased",
                "PricingModel": "OnDemand",
                "PublisherType": "Azure",
                "PayGPrice": "0.12",
            }
        )
    return rows


AZURE_ACCOUNT_URL = "https://acmecostexports.blob.core.windows.net"


def event_grid_event(account_url: str, container: str, blob: str) -> Any:
    """One Event Grid-schema BlobCreated event (a Functions trigger gets one per invocation)."""
    [event] = copy.deepcopy(_sample("azure/export_focus_manifest_created.json"))
    event["subject"] = f"/blobServices/default/containers/{container}/blobs/{blob}"
    event["data"]["url"] = f"{account_url}/{container}/{quote(blob)}"
    return event


def place_azure_export(
    store: ObjectStore,
    *,
    run_id: str,
    costs: list[str],
    period: str = "2026-05",
    container: str = "cost-exports",
    account_url: str = AZURE_ACCOUNT_URL,
    root: str = "actual",
    name: str = "acme-actual-cost",
    parts: int = 2,
    declared_rows: int | None = None,
    export_type: str = "ActualCost",
) -> PlacedExport:
    """One export run: CSV parts (with a BOM, as Azure writes them), then ``manifest.json``."""
    start, end = _month(period)
    folder = f"{root}/{name}/{start:%Y%m%d}-{end - timedelta(days=1):%Y%m%d}/{run_id}"
    rows = azure_cost_rows(period, costs)
    blobs = []
    for index, chunk in enumerate(_chunks(rows, parts)):
        key = f"{folder}/part_{index}_0001.csv"
        store.write(key, _csv(chunk, AZURE_HEADER, bom=True))
        blobs.append({"blobName": key, "byteCount": 1, "dataRowCount": len(chunk)})
    manifest = {
        "manifestVersion": "2024-04-01",
        "byteCount": 1,
        "blobCount": len(blobs),
        "dataRowCount": len(rows) if declared_rows is None else declared_rows,
        "exportConfig": {
            "exportName": name,
            "resourceId": f"/providers/Microsoft.Billing/billingAccounts/12345678/providers/"
            f"Microsoft.CostManagement/exports/{name}",
            "dataVersion": "2023-12-01-preview",
            "apiVersion": "2023-07-01-preview",
            "type": export_type,
            "timeFrame": "MonthToDate",
            "granularity": "Daily",
        },
        "deliveryConfig": {
            "partitionData": True,
            "dataOverwriteBehavior": "CreateNewReport",
            "fileFormat": "Csv",
            "compressionMode": "None",
            "containerUri": "/subscriptions/0000/resourceGroups/rg/providers/"
            "Microsoft.Storage/storageAccounts/acmecostexports",
            "rootFolderPath": root,
        },
        "runInfo": {
            "executionType": "Scheduled",
            "submittedTime": f"{start}T06:00:00.0000000Z",
            "runId": run_id,
            "startDate": f"{start}T00:00:00",
            "endDate": f"{end - timedelta(days=1)}T00:00:00",
        },
        "blobs": blobs,
    }
    manifest_key = f"{folder}/manifest.json"
    store.write(manifest_key, json.dumps(manifest).encode())
    event = event_grid_event(account_url, container, manifest_key)
    return PlacedExport(
        event,
        _one(event),
        manifest_key,
        tuple(b["blobName"] for b in blobs),
        len(rows),
        sum((Decimal(c) for c in costs), Decimal(0)),
    )


# -- Google Cloud billing export via our EXPORT DATA script --------------------------------------
def gcp_billing_rows(period: str, costs: list[str]) -> list[dict[str, Any]]:
    start, _end = _month(period)
    rows = []
    for i, cost in enumerate(costs):
        day = start + timedelta(days=i % 28)
        credit = (Decimal(cost) / 10).quantize(Decimal("0.000001"))
        rows.append(
            {
                "billing_account_id": "01A2B3-C4D5E6-F7A8B9",
                "service": {"id": "6F81-5844-456A", "description": "Compute Engine"},
                "sku": {
                    "id": "CP-COMPUTEENGINE-VMIMAGE-E2-MEDIUM",
                    "description": "E2 Instance Core",
                },
                "usage_start_time": f"{day}T00:00:00Z",
                "usage_end_time": f"{day}T01:00:00Z",
                "project": {"id": "acme-prod", "number": "000123456789", "name": "Acme Prod"},
                "labels": [{"key": "team", "value": "payments" if i % 2 else "search"}],
                "system_labels": [],
                "location": {
                    "location": "europe-west1",
                    "country": "BE",
                    "region": "europe-west1",
                    "zone": "europe-west1-b",
                },
                "resource": {
                    "name": f"vm-{i}",
                    "global_name": "//compute.googleapis.com/projects/acme-prod/zones/"
                    f"europe-west1-b/instances/{i}",
                },
                "export_time": f"{day}T05:00:00Z",
                "cost": float(cost),  # FLOAT64: a JSON number (only INT64 is a string)
                "currency": "USD",
                "currency_conversion_rate": 1.0,
                "usage": {
                    "amount": 3600.0,
                    "unit": "seconds",
                    "amount_in_pricing_units": 1.0,
                    "pricing_unit": "hour",
                },
                "credits": [
                    {
                        "name": "Sustained use discount",
                        "amount": float(-credit),
                        "full_name": None,
                        "id": "",
                        "type": "SUSTAINED_USAGE_DISCOUNT",
                    }
                ],
                "invoice": {"month": f"{start:%Y%m}", "publisher_type": "GOOGLE"},
                "cost_type": "regular",
                "adjustment_info": None,
                "cost_at_list": float(cost),
                "transaction_type": "GOOGLE",
                "seller_name": "Google",
            }
        )
    return rows


def gcs_cloud_event(bucket: str, name: str) -> Any:
    event = copy.deepcopy(_sample("gcp/export_marker_finalized.json"))
    event["source"] = f"//storage.googleapis.com/projects/_/buckets/{bucket}"
    event["subject"] = f"objects/{name}"
    event["data"].update(bucket=bucket, name=name, id=f"{bucket}/{name}/1")
    return event


def place_gcp_export(
    store: ObjectStore,
    *,
    run_id: str,
    costs: list[str],
    period: str = "2026-05",
    bucket: str = "acme-gcp-billing-exports",
    root: str = "costwarden/gcp-billing",
    parts: int = 2,
    declared_rows: int | None = None,
    data_format: str = "json",
) -> PlacedExport:
    """One scheduled-script run: NDJSON or Parquet parts (``EXPORT DATA``), then the marker."""
    folder = f"{root}/billing_period={period}/run={run_id}"
    rows = gcp_billing_rows(period, costs)
    keys = []
    for index, chunk in enumerate(_chunks(rows, parts)):
        key = f"{folder}/part-{index:012d}.{data_format}"
        ndjson = "".join(json.dumps(r) + "\n" for r in chunk).encode()
        store.write(key, ndjson if data_format == "json" else _parquet(ndjson))
        keys.append(key)
    count = len(rows) if declared_rows is None else declared_rows
    marker = {
        "billing_period": period,
        "run_id": run_id,
        "source": "gcp-billing",
        "row_count": str(count),
    }
    marker_key = f"{folder}/manifest-000000000000.json"
    store.write(marker_key, (json.dumps(marker) + "\n").encode())
    net = sum(
        (Decimal(c) - (Decimal(c) / 10).quantize(Decimal("0.000001")) for c in costs), Decimal(0)
    )
    event = gcs_cloud_event(bucket, marker_key)
    return PlacedExport(event, _one(event), marker_key, tuple(keys), len(rows), net)


def _parquet(ndjson: bytes) -> bytes:
    """The same rows as BigQuery's Parquet export: nested STRUCTs and REPEATED fields kept."""
    with tempfile.TemporaryDirectory() as folder:
        source, target = Path(folder) / "rows.json", Path(folder) / "rows.parquet"
        source.write_bytes(ndjson)
        duckdb.connect().execute(
            f"COPY (SELECT * FROM read_json('{source}', format = 'newline_delimited')) "
            f"TO '{target}' (FORMAT parquet)"
        )
        return target.read_bytes()


def _one(event: Any) -> ExportObject:
    [obj] = parse_export_event(event)
    return obj
