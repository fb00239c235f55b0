"""Manifest bytes -> ``ExportArrived``: the four manifest formats, and how each fails."""

from __future__ import annotations

import json
from typing import Any

import pytest

from costwarden.errors import PayloadError
from costwarden.models.export import ExportObject
from costwarden.normalize.export import NotCostData, read_manifest

CUR2_KEY = "cur2/cur2-daily/metadata/BILLING_PERIOD=2026-05/cur2-daily-Manifest.json"
LEGACY_KEY = "billing reports/hourly-cur/20260501-20260601/hourly-cur-Manifest.json"
AZURE_KEY = "focus/acme-focus/20260501-20260531/202605210412/6d3b1f7e/manifest.json"
GCP_KEY = "costwarden/gcp-billing/billing_period=2026-05/run=r1/manifest-000000000000.json"


def obj(
    provider: str, store_url: str, bucket: str, key: str, fmt: str, period: str
) -> ExportObject:
    return ExportObject.model_validate(
        {
            "provider": provider,
            "store_url": store_url,
            "bucket": bucket,
            "key": key,
            "event_id": "e1",
            "manifest_format": fmt,
            "billing_period": period,
        }
    )


CUR2 = obj("aws", "s3://bills", "bills", CUR2_KEY, "aws-data-exports", "2026-05")
LEGACY = obj("aws", "s3://cur", "cur", LEGACY_KEY, "aws-cur-legacy", "2026-05")
AZURE = obj(
    "azure",
    "https://acct.blob.core.windows.net/exports",
    "exports",
    AZURE_KEY,
    "azure-cost-export",
    "2026-05",
)
GCP = obj("gcp", "gs://gbills", "gbills", GCP_KEY, "gcp-export-marker", "2026-05")


def data_exports(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "executionId": "9f1c2d3e-0000-4a5b-8c7d-6e5f4a3b2c1d",
        "exportArn": "arn:aws:bcm-data-exports:us-east-1:123456789012:export/cur2-daily-1a2b",
        "columns": [
            {"name": "bill_billing_period_start_date", "type": "timestamp"},
            {"name": "line_item_unblended_cost", "type": "double"},
        ],
        "dataFiles": [
            "s3://bills/cur2/cur2-daily/data/BILLING_PERIOD=2026-05/cur2-daily-00001.csv.gz",
            "s3://bills/cur2/cur2-daily/data/BILLING_PERIOD=2026-05/cur2-daily-00002.csv.gz",
        ],
    }
    document.update(changes)
    return document


def azure_manifest(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "manifestVersion": "2024-04-01",
        "byteCount": 160769,
        "blobCount": 2,
        "dataRowCount": 136,
        "exportConfig": {
            "exportName": "acme-focus",
            "resourceId": "/subscriptions/0000/providers/Microsoft.CostManagement/exports/x",
            "dataVersion": "1.2-preview",
            "apiVersion": "2023-07-01-preview",
            "type": "FocusCost",
            "timeFrame": "MonthToDate",
            "granularity": "Daily",
        },
        "deliveryConfig": {"partitionData": True, "fileFormat": "Csv"},
        "runInfo": {
            "executionType": "Scheduled",
            "submittedTime": "2026-05-21T04:12:03.1032074Z",
            "runId": "6d3b1f7e-8a2c-4f55-9d0e-2b7c1a9e4f31",
            "startDate": "2026-05-01T00:00:00",
            "endDate": "2026-05-20T00:00:00",
        },
        "blobs": [
            {"blobName": f"{AZURE_KEY.rsplit('/', 1)[0]}/part_0_0001.csv", "dataRowCount": 100},
            {"blobName": f"{AZURE_KEY.rsplit('/', 1)[0]}/part_1_0001.csv", "dataRowCount": 36},
        ],
    }
    document.update(changes)
    return document


def body(document: Any) -> bytes:
    return json.dumps(document).encode()


def test_a_cur2_data_exports_manifest_lists_its_files_in_the_bucket() -> None:
    arrived = read_manifest(CUR2, body(data_exports()))

    assert arrived.source == "aws-cur2"
    assert arrived.billing_period == "2026-05"
    assert arrived.execution_id == "9f1c2d3e-0000-4a5b-8c7d-6e5f4a3b2c1d"
    assert arrived.export_name == "cur2-daily"
    assert arrived.export_root == "cur2/cur2-daily"
    assert arrived.data_files == (
        "cur2/cur2-daily/data/BILLING_PERIOD=2026-05/cur2-daily-00001.csv.gz",
        "cur2/cur2-daily/data/BILLING_PERIOD=2026-05/cur2-daily-00002.csv.gz",
    )
    assert arrived.dedup_key == (
        "export/aws/bills/cur2/cur2-daily/2026-05/9f1c2d3e-0000-4a5b-8c7d-6e5f4a3b2c1d"
    )


def test_a_focus_data_export_is_told_apart_by_its_columns() -> None:
    columns = [{"name": "BilledCost", "type": "decimal"}, {"name": "ChargeCategory"}]

    arrived = read_manifest(CUR2, body(data_exports(columns=columns)))

    assert arrived.source == "aws-focus"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"executionId": None}, "no 'executionId'"),
        ({"dataFiles": "s3://bills/x.csv"}, "no 'dataFiles' list"),
        ({"dataFiles": ["s3://other-bucket/x.csv.gz"]}, "in another bucket than 'bills'"),
        ({"dataFiles": ["https://bills.s3.amazonaws.com/x.csv.gz"]}, "not an s3://bucket/key"),
        ({"columns": [{"name": "account"}]}, "cannot tell CUR 2.0 from FOCUS"),
    ],
)
def test_a_broken_data_exports_manifest_names_the_problem(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(PayloadError, match=message):
        read_manifest(CUR2, body(data_exports(**changes)))


def test_a_legacy_cur_manifest_uses_report_keys_and_the_assembly_id() -> None:
    document = {
        "assemblyId": "20260602T074500Z-5b1c",
        "account": "123456789012",
        "reportName": "hourly-cur",
        "bucket": "cur",
        "billingPeriod": {"start": "20260501T000000.000Z", "end": "20260601T000000.000Z"},
        "reportKeys": [
            "billing reports/hourly-cur/20260501-20260601/20260602T074500Z-5b1c/"
            "hourly-cur-00001.csv.gz"
        ],
    }

    arrived = read_manifest(LEGACY, body(document))

    assert arrived.source == "aws-cur-legacy"
    assert arrived.execution_id == "20260602T074500Z-5b1c"
    assert arrived.billing_period == "2026-05"
    assert arrived.export_root == "billing reports/hourly-cur"
    assert arrived.data_files[0].endswith("hourly-cur-00001.csv.gz")


def test_a_legacy_cur_manifest_of_another_bucket_is_refused() -> None:
    document = {"assemblyId": "a", "bucket": "elsewhere", "reportKeys": []}

    with pytest.raises(PayloadError, match="describes bucket 'elsewhere'"):
        read_manifest(LEGACY, body(document))


def test_an_azure_focus_export_manifest_lists_its_blobs_and_row_count() -> None:
    arrived = read_manifest(AZURE, body(azure_manifest()))

    assert arrived.source == "azure-focus"
    assert arrived.execution_id == "6d3b1f7e-8a2c-4f55-9d0e-2b7c1a9e4f31"
    assert arrived.billing_period == "2026-05"
    assert arrived.expected_rows == 136
    assert arrived.export_name == "acme-focus"
    assert arrived.export_root == "focus/acme-focus"
    assert [f.rsplit("/", 1)[-1] for f in arrived.data_files] == [
        "part_0_0001.csv",
        "part_1_0001.csv",
    ]


@pytest.mark.parametrize("kind", ["ActualCost", "AmortizedCost", "Usage"])
def test_azure_actual_and_amortized_exports_are_cost_details(kind: str) -> None:
    config = {**azure_manifest()["exportConfig"], "type": kind}

    assert read_manifest(AZURE, body(azure_manifest(exportConfig=config))).source == "azure-cost"


def test_an_azure_price_sheet_export_is_not_cost_data() -> None:
    config = {**azure_manifest()["exportConfig"], "type": "PriceSheet"}

    with pytest.raises(NotCostData, match="'PriceSheet' holds no cost rows"):
        read_manifest(AZURE, body(azure_manifest(exportConfig=config)))


def test_an_azure_manifest_with_a_bom_is_read() -> None:
    arrived = read_manifest(AZURE, b"\xef\xbb\xbf" + body(azure_manifest()))

    assert arrived.expected_rows == 136


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"runInfo": {"startDate": "2026-05-01T00:00:00"}}, "no 'runId'"),
        ({"blobs": None}, "no 'blobs' list"),
        ({"blobs": [{"byteCount": 3}]}, "no 'blobName'"),
        ({"dataRowCount": -1}, "negative"),
        ({"exportConfig": None}, "'exportConfig' is not a JSON object"),
    ],
)
def test_a_broken_azure_manifest_names_the_problem(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(PayloadError, match=message):
        read_manifest(AZURE, body(azure_manifest(**changes)))


def test_the_gcp_marker_is_one_ndjson_record_with_string_counts() -> None:
    marker = b'{"billing_period":"2026-05","run_id":"r1","source":"gcp-billing","row_count":"42"}\n'

    arrived = read_manifest(GCP, marker)

    assert arrived.source == "gcp-billing"
    assert arrived.execution_id == "r1"
    assert arrived.expected_rows == 42
    assert arrived.data_files == ()
    assert arrived.list_prefix == "costwarden/gcp-billing/billing_period=2026-05/run=r1/"
    assert arrived.export_name == "gcp-billing"


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        (b'{"billing_period":"2026-04","row_count":"1"}', "sits under billing_period=2026-05"),
        (b'{"billing_period":"2026-05"}', "no 'row_count'"),
        (b'{"billing_period":"2026-05","row_count":"many"}', "not a row count"),
        (b'{"billing_period":"2026-05","row_count":1,"source":"x"}', "is not 'gcp-billing'"),
        (b'{"billing_period":"2026-05"}\n{"billing_period":"2026-05"}\n', "holds 2 JSON records"),
        (b"\xff\xfe", "not UTF-8"),
        (b"[1, 2]", "is not a JSON object"),
    ],
)
def test_a_broken_gcp_marker_names_the_problem(marker: bytes, message: str) -> None:
    with pytest.raises(PayloadError, match=message):
        read_manifest(GCP, marker)


def test_reading_an_ignored_object_as_a_manifest_is_refused() -> None:
    ignored = CUR2.model_copy(update={"manifest_format": None, "ignored_reason": "a data file"})

    with pytest.raises(PayloadError, match="is not a manifest: a data file"):
        read_manifest(ignored, b"{}")
