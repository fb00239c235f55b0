"""Storage notifications -> ``ExportObject``: the sample events of every cloud, and bad input.

The samples are ``events/<cloud>/export_*.json`` (no ``.expected.json`` siblings: other tests
read every ``*.expected.json`` as a budget alert), so the expected objects are listed here.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from costwarden.errors import PayloadError, UnrecognisedPayloadError
from costwarden.normalize.export import parse_export_event, parse_export_event_text

EVENTS = Path(__file__).resolve().parents[3] / "events"

ACCOUNT = "https://acmecostexports.blob.core.windows.net"
FOCUS_RUN = "focus/acme-focus/20260501-20260531/202605210412/6d3b1f7e-8a2c-4f55-9d0e-2b7c1a9e4f31"
GCP_RUN = "costwarden/gcp-billing/billing_period=2026-05/run=20260521T031500Z-scheduled"

# sample file -> (store_url, key, manifest_format, billing_period); format None = ignored
EXPECTED: dict[str, list[tuple[str, str, str | None, str | None]]] = {
    "aws/export_cur2_manifest_created.json": [
        (
            "s3://acme-billing-exports",
            "cur2/cur2-daily/metadata/BILLING_PERIOD=2026-05/cur2-daily-Manifest.json",
            "aws-data-exports",
            "2026-05",
        )
    ],
    "aws/export_cur2_data_file_created.json": [
        (
            "s3://acme-billing-exports",
            "cur2/cur2-daily/data/BILLING_PERIOD=2026-05/cur2-daily-00001.snappy.parquet",
            None,
            None,
        )
    ],
    "aws/export_legacy_cur_manifest_created.json": [
        (
            "s3://acme-legacy-cur",
            "billing reports/hourly-cur/20260501-20260601/hourly-cur-Manifest.json",
            "aws-cur-legacy",
            "2026-05",
        )
    ],
    "aws/export_s3_test_event.json": [],
    "azure/export_focus_manifest_created.json": [
        (f"{ACCOUNT}/cost-exports", f"{FOCUS_RUN}/manifest.json", "azure-cost-export", "2026-05")
    ],
    "azure/export_cost_manifest_cloudevent.json": [
        (
            f"{ACCOUNT}/cost-exports",
            "actual/acme-actual-cost/20260501-20260531/b2a1c9d8-5e4f-4a3b-9c2d-1e0f9a8b7c6d/"
            "manifest.json",
            "azure-cost-export",
            "2026-05",
        )
    ],
    "azure/export_data_blob_created.json": [
        (f"{ACCOUNT}/cost-exports", f"{FOCUS_RUN}/part_0_0001.csv.gz", None, None)
    ],
    "azure/export_adls_create_file.json": [
        (
            "https://acmecostlake.blob.core.windows.net/cost-exports",
            "focus/acme-focus/20260501-20260531/202605210412/"
            "7e4c2a8f-9b3d-4a66-8e1f-3c8d2b0f5a42/manifest.json",
            None,
            None,
        )
    ],
    "gcp/export_marker_finalized.json": [
        (
            "gs://acme-gcp-billing-exports",
            f"{GCP_RUN}/manifest-000000000000.json",
            "gcp-export-marker",
            "2026-05",
        )
    ],
    "gcp/export_data_file_finalized.json": [
        ("gs://acme-gcp-billing-exports", f"{GCP_RUN}/part-000000000000.parquet", None, None)
    ],
}


def load(relative: str) -> Any:
    return json.loads((EVENTS / relative).read_text("utf-8"))


def test_every_export_sample_event_is_listed_here() -> None:
    samples = {p.relative_to(EVENTS).as_posix() for p in EVENTS.glob("*/export_*.json")}

    assert samples == set(EXPECTED)


@pytest.mark.parametrize("sample", sorted(EXPECTED))
def test_each_sample_event_normalizes_to_its_objects(sample: str) -> None:
    objects = parse_export_event(load(sample))

    got = [(o.store_url, o.key, o.manifest_format, o.billing_period) for o in objects]
    assert got == EXPECTED[sample]
    for obj in objects:
        assert obj.provider == sample.split("/", maxsplit=1)[0]
        assert obj.is_manifest == (obj.ignored_reason is None)
        assert obj.event_id


def test_s3_keys_are_url_decoded_like_html_forms() -> None:
    event = load("aws/export_cur2_manifest_created.json")
    event["Records"][0]["s3"]["object"]["key"] = (
        "my+exports/caf%C3%A9/cur2/metadata/BILLING_PERIOD%3D2026-05/cur2-Manifest.json"
    )

    [obj] = parse_export_event(event)

    assert obj.key == "my exports/café/cur2/metadata/BILLING_PERIOD=2026-05/cur2-Manifest.json"
    assert obj.manifest_format == "aws-data-exports"


def test_an_s3_deletion_is_ignored_with_its_reason() -> None:
    event = load("aws/export_cur2_manifest_created.json")
    event["Records"][0]["eventName"] = "ObjectRemoved:Delete"

    [obj] = parse_export_event(event)

    assert not obj.is_manifest
    assert obj.ignored_reason == "ObjectRemoved:Delete is not an object creation"


def test_each_record_of_a_multi_record_s3_event_is_classified() -> None:
    manifest = load("aws/export_cur2_manifest_created.json")["Records"][0]
    data = load("aws/export_cur2_data_file_created.json")["Records"][0]

    objects = parse_export_event({"Records": [data, manifest]})

    assert [o.is_manifest for o in objects] == [False, True]


def test_an_event_grid_array_with_a_validation_event_yields_only_the_blob() -> None:
    validation = {
        "id": "2d1781af-3a4c-4d7c-bd0c-e34b19da4e66",
        "topic": "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/a",
        "subject": "",
        "data": {"validationCode": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6"},
        "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
        "eventTime": "2026-05-21T04:12:44Z",
        "dataVersion": "1",
    }
    events = [validation, *load("azure/export_focus_manifest_created.json")]

    [obj] = parse_export_event(events)

    assert obj.key.endswith("/manifest.json")


def test_azurite_path_style_urls_keep_the_account_segment() -> None:
    [event] = load("azure/export_focus_manifest_created.json")
    blob = f"{FOCUS_RUN}/manifest.json"
    event["data"]["url"] = f"http://127.0.0.1:10000/devstoreaccount1/cost-exports/{blob}"

    [obj] = parse_export_event(event)

    assert obj.store_url == "http://127.0.0.1:10000/devstoreaccount1/cost-exports"
    assert obj.url == f"http://127.0.0.1:10000/devstoreaccount1/cost-exports/{blob}"


def test_a_blob_name_with_spaces_matches_its_percent_encoded_url() -> None:
    [event] = load("azure/export_focus_manifest_created.json")
    event["subject"] = (
        "/blobServices/default/containers/cost-exports/blobs/my exports/manifest.json"
    )
    event["data"]["url"] = f"{ACCOUNT}/cost-exports/my%20exports/manifest.json"

    [obj] = parse_export_event(event)

    assert obj.key == "my exports/manifest.json"
    assert obj.is_manifest


def test_a_blob_deletion_is_ignored() -> None:
    [event] = load("azure/export_focus_manifest_created.json")
    event["eventType"] = "Microsoft.Storage.BlobDeleted"

    [obj] = parse_export_event(event)

    assert obj.ignored_reason == "Microsoft.Storage.BlobDeleted is not a blob creation"


def test_a_gcs_event_without_data_bucket_takes_it_from_the_source() -> None:
    event = load("gcp/export_marker_finalized.json")
    del event["data"]["bucket"]
    del event["data"]["name"]

    [obj] = parse_export_event(event)

    assert obj.bucket == "acme-gcp-billing-exports"
    assert obj.key == f"{GCP_RUN}/manifest-000000000000.json"


def test_a_gcs_metadata_update_is_ignored() -> None:
    event = load("gcp/export_marker_finalized.json")
    event["type"] = "google.cloud.storage.object.v1.metadataUpdated"

    [obj] = parse_export_event(event)

    assert (
        obj.ignored_reason
        == "google.cloud.storage.object.v1.metadataUpdated is not an object finalize"
    )


def test_raw_text_is_parsed_and_bad_json_is_a_payload_error() -> None:
    text = (EVENTS / "gcp/export_marker_finalized.json").read_bytes()

    assert parse_export_event_text(text)[0].is_manifest
    with pytest.raises(PayloadError, match="not JSON"):
        parse_export_event_text(b"{not json")


def test_a_forced_provider_rejects_another_clouds_event() -> None:
    with pytest.raises(UnrecognisedPayloadError, match="expected a gcp storage event, got a aws"):
        parse_export_event(load("aws/export_cur2_manifest_created.json"), provider="gcp")


def _without(path: str, *keys: str | int) -> Any:
    event = copy.deepcopy(load(path))
    target = event
    for key in keys[:-1]:
        target = target[key]
    del target[keys[-1]]
    return event


MALFORMED = {
    "s3 records empty": ({"Records": []}, "no 'Records'"),
    "s3 key missing": (
        _without("aws/export_cur2_manifest_created.json", "Records", 0, "s3", "object", "key"),
        "has no 'key'",
    ),
    "s3 bucket missing": (
        _without("aws/export_cur2_manifest_created.json", "Records", 0, "s3", "bucket"),
        "s3.bucket' is not a JSON object",
    ),
    "event grid subject missing": (
        _without("azure/export_focus_manifest_created.json", 0, "subject"),
        "has no 'subject'",
    ),
    "event grid subject not a blob": (
        [{**load("azure/export_focus_manifest_created.json")[0], "subject": "/containers/x"}],
        "does not name a blob",
    ),
    "event grid url of another blob": (
        [
            {
                **load("azure/export_focus_manifest_created.json")[0],
                "data": {"url": f"{ACCOUNT}/cost-exports/other.json"},
            }
        ],
        "does not name the blob in its subject",
    ),
    "event grid empty array": ([], "not an S3 notification"),
    "gcs data missing": (_without("gcp/export_marker_finalized.json", "data"), "'data'"),
    "gcs no object name": (
        {
            **_without("gcp/export_marker_finalized.json", "subject"),
            "data": {"bucket": "b"},
        },
        "names no object",
    ),
    "unknown shape": ({"hello": "world"}, "not an S3 notification"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_events_raise_a_payload_error_naming_the_problem(case: str) -> None:
    payload, message = MALFORMED[case]

    with pytest.raises(PayloadError, match=message):
        parse_export_event(payload)
