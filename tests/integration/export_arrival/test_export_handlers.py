"""The export-arrival functions end to end, one per cloud, through the platforms' own libraries.

* AWS: the Lambda module (Powertools) with an S3 notification; exports and output in S3 and
  dedup state in DynamoDB, all on moto's server.
* Azure: the v2 function app's Event Grid trigger, invoked with the event decoded by
  azure-functions' own Event Grid converter (both schemas); exports and output in Azurite Blob
  Storage, state in Azurite Table Storage.
* Google: the functions-framework app with a GCS CloudEvent; exports, output and state in
  fake-gcs-server.

Each function is built by its composition root from ``COSTWARDEN_*`` settings, with the real
FOCUS converter, as in a deployment.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import duckdb
import pytest
from azure.storage.blob import BlobServiceClient
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from costwarden.adapters.aws.dynamodb_state import create_state_table
from costwarden.adapters.aws.s3_store import S3ObjectStore
from costwarden.adapters.azure.blob_store import AzureBlobObjectStore
from costwarden.adapters.gcp.gcs_state import GcsStateStore
from costwarden.adapters.gcp.gcs_store import GcsObjectStore
from costwarden.errors import PayloadError
from costwarden.local.runtimes import AwsLambdaRuntime, AzureFunctionsRuntime, GcpFunctionsRuntime
from costwarden.normalize.export import read_manifest
from costwarden.ports import ClaimStatus
from costwarden.ports_storage import ObjectStore
from costwarden.services.export_arrival import DEFAULT_LEASE, ExportDataError
from costwarden.services.export_publish import published_files, published_pointers
from handler_support import EVENTS, FUNCTIONS
from integration.export_arrival.exports import (
    event_grid_event,
    place_azure_export,
    place_gcp_export,
    place_legacy_cur,
)

pytestmark = pytest.mark.integration

COSTS_V1 = ["12.50", "0.75", "3.10", "8.00"]
COSTS_V2 = ["99.99", "0.01"]


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def function_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("COSTWARDEN_POLICY_PATH", "COSTWARDEN_STATE", "COSTWARDEN_EXPORT_OUTPUT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COSTWARDEN_EXPORT_WORK_DIR", str(tmp_path / "work"))
    monkeypatch.setenv("COSTWARDEN_EXPORT_MEMORY_LIMIT", "512MB")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "1")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "costwarden-test")
    (tmp_path / "work").mkdir()


def published(store: ObjectStore, tmp_path: Path) -> tuple[int, Decimal]:
    """Rows and SUM(BilledCost) a reader following the pointers sees."""
    paths = []
    for index, key in enumerate(published_files(store, "focus")):
        path = tmp_path / f"published-{index}.parquet"
        store.download(key, path)
        paths.append(str(path))
    if not paths:
        return 0, Decimal(0)
    query = f"SELECT count(*), sum(BilledCost) FROM read_parquet({paths!r})"
    rows, total = duckdb.connect().execute(query).fetchone() or (0, 0)
    return int(rows), Decimal(total).normalize()


def parquet_files(store: ObjectStore) -> list[str]:
    return [info.key for info in store.list("") if info.key.endswith(".parquet")]


# -- AWS ----------------------------------------------------------------------------------------
@pytest.fixture
def aws(
    aws_endpoint_env: str, function_env: None, monkeypatch: pytest.MonkeyPatch
) -> tuple[ObjectStore, ObjectStore]:
    s3 = boto3.client("s3")
    exports, output = _name("acme-cur"), _name("acme-focus")
    for bucket in (exports, output):
        s3.create_bucket(Bucket=bucket)
    table = _name("costwarden-state")
    create_state_table(boto3.client("dynamodb"), table)
    monkeypatch.setenv("COSTWARDEN_STATE", f"dynamodb://{table}")
    monkeypatch.setenv("COSTWARDEN_EXPORT_OUTPUT", f"s3://{output}/focus")
    return S3ObjectStore(s3, exports), S3ObjectStore(s3, output)


def test_aws_manifest_publishes_its_period_once_across_three_deliveries(
    aws: tuple[ObjectStore, ObjectStore], tmp_path: Path
) -> None:
    exports, output = aws
    bucket = exports.location.removeprefix("s3://")
    export = place_legacy_cur(exports, assembly="a1", costs=COSTS_V1, bucket=bucket)
    fn = AwsLambdaRuntime(FUNCTIONS, module="export_arrival")

    results = [fn.invoke(export.event) for _ in range(3)]

    assert [r["outcomes"][0]["status"] for r in results] == ["published", "duplicate", "duplicate"]
    assert published(output, tmp_path) == (len(COSTS_V1), export.total.normalize())
    assert len(parquet_files(output)) == 1


def test_aws_restated_export_replaces_the_period(
    aws: tuple[ObjectStore, ObjectStore], tmp_path: Path
) -> None:
    exports, output = aws
    bucket = exports.location.removeprefix("s3://")
    fn = AwsLambdaRuntime(FUNCTIONS, module="export_arrival")
    fn.invoke(place_legacy_cur(exports, assembly="a1", costs=COSTS_V1, bucket=bucket).event)

    restated = place_legacy_cur(exports, assembly="a2", costs=COSTS_V2, bucket=bucket)
    result = fn.invoke(restated.event)

    assert result["outcomes"][0]["status"] == "published"
    assert published(output, tmp_path) == (len(COSTS_V2), restated.total.normalize())
    assert len(parquet_files(output)) == 1


def test_aws_data_file_and_setup_events_are_ignored(aws: tuple[ObjectStore, ObjectStore]) -> None:
    _exports, output = aws
    fn = AwsLambdaRuntime(FUNCTIONS, module="export_arrival")
    data_file = json.loads((EVENTS / "aws" / "export_cur2_data_file_created.json").read_text())
    ping = json.loads((EVENTS / "aws" / "export_s3_test_event.json").read_text())

    assert fn.invoke(data_file)["outcomes"][0]["status"] == "ignored"
    assert fn.invoke(ping) == {"outcomes": []}
    assert list(output.list("")) == []


def test_aws_missing_data_file_fails_the_invocation_and_writes_nothing(
    aws: tuple[ObjectStore, ObjectStore],
) -> None:
    exports, output = aws
    bucket = exports.location.removeprefix("s3://")
    export = place_legacy_cur(
        exports, assembly="a1", costs=COSTS_V1, bucket=bucket, listed_only=("gone.csv.gz",)
    )
    fn = AwsLambdaRuntime(FUNCTIONS, module="export_arrival")

    with pytest.raises(ExportDataError, match=r"gone\.csv\.gz"):
        fn.invoke(export.event)

    assert list(output.list("")) == []


def test_aws_malformed_event_fails_with_a_payload_error(
    aws: tuple[ObjectStore, ObjectStore],
) -> None:
    fn = AwsLambdaRuntime(FUNCTIONS, module="export_arrival")

    with pytest.raises(PayloadError, match="no 'Records'"):
        fn.invoke({"Records": []})


# -- Azure --------------------------------------------------------------------------------------
@pytest.fixture
def azure(
    azurite_blob_connection_string: str,
    azurite_table_connection_string: str,
    function_env: None,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[ObjectStore, ObjectStore, str]:
    service = BlobServiceClient.from_connection_string(azurite_blob_connection_string)
    exports = service.create_container(_name("cost-exports"))
    output = service.create_container(_name("focus"))
    monkeypatch.setenv("COSTWARDEN_STATE", f"azure-table://cwstate{uuid.uuid4().hex[:10]}")
    monkeypatch.setenv("COSTWARDEN_AZURE_TABLE_CONNECTION_STRING", azurite_table_connection_string)
    monkeypatch.setenv("COSTWARDEN_AZURE_BLOB_CONNECTION_STRING", azurite_blob_connection_string)
    monkeypatch.setenv("COSTWARDEN_EXPORT_OUTPUT", f"azure-blob://{output.container_name}/focus")
    account_url = exports.url.rstrip("/").rsplit("/", 1)[0]  # Azurite: http://127.0.0.1:p/acct
    return AzureBlobObjectStore(exports), AzureBlobObjectStore(output), account_url


def event_grid_trigger() -> Callable[[dict[str, Any]], None]:
    """Deliver one event as the Functions host does: decoded by azure-functions' converter."""
    import azure.functions as func
    from azure.functions.eventgrid import EventGridEventInConverter

    app = AzureFunctionsRuntime(FUNCTIONS).module
    user_function = app.export_arrival.build().get_user_function()

    def deliver(event: dict[str, Any]) -> None:
        datum = func.meta.Datum(type="json", value=json.dumps(event))
        user_function(EventGridEventInConverter.decode(datum, trigger_metadata={}))

    return deliver


def _as_cloud_event(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "type": event["eventType"],
        "source": event["topic"],
        "id": event["id"],
        "time": event["eventTime"],
        "subject": event["subject"],
        "data": event["data"],
    }


@pytest.mark.parametrize("schema", ["event-grid", "cloudevents"])
def test_azure_manifest_publishes_its_period_once_across_three_deliveries(
    schema: str, azure: tuple[ObjectStore, ObjectStore, str], tmp_path: Path
) -> None:
    exports, output, account_url = azure
    container = exports.location.rsplit("/", 1)[1]
    export = place_azure_export(
        exports, run_id="run-1", costs=COSTS_V1, container=container, account_url=account_url
    )
    event = export.event if schema == "event-grid" else _as_cloud_event(export.event)
    deliver = event_grid_trigger()

    for _ in range(3):
        deliver(event)

    assert published(output, tmp_path) == (len(COSTS_V1), export.total.normalize())
    assert len(parquet_files(output)) == 1
    [pointer] = published_pointers(output, "focus")
    assert (pointer.provider, pointer.source, pointer.execution_id) == (
        "azure",
        "azure-cost",
        "run-1",
    )


def test_azure_newer_run_replaces_the_period_and_part_blobs_are_ignored(
    azure: tuple[ObjectStore, ObjectStore, str], tmp_path: Path
) -> None:
    exports, output, account_url = azure
    container = exports.location.rsplit("/", 1)[1]
    deliver = event_grid_trigger()
    first = place_azure_export(
        exports, run_id="run-1", costs=COSTS_V1, container=container, account_url=account_url
    )
    deliver(first.event)

    newer = place_azure_export(
        exports, run_id="run-2", costs=COSTS_V2, container=container, account_url=account_url
    )
    deliver(event_grid_event(account_url, container, newer.data_keys[0]))  # a part: ignored
    assert published(output, tmp_path) == (len(COSTS_V1), first.total.normalize())
    deliver(newer.event)

    assert published(output, tmp_path) == (len(COSTS_V2), newer.total.normalize())
    assert len(parquet_files(output)) == 1


# -- Google Cloud -------------------------------------------------------------------------------
@pytest.fixture
def gcp(
    gcs_emulator_env: str, function_env: None, monkeypatch: pytest.MonkeyPatch
) -> tuple[ObjectStore, ObjectStore, str]:
    client = storage.Client(project="test", credentials=AnonymousCredentials())
    exports = client.create_bucket(_name("acme-gcp-billing"))
    output = client.create_bucket(_name("acme-focus"))
    state = client.create_bucket(_name("acme-state"))
    monkeypatch.setenv("COSTWARDEN_STATE", f"gs://{state.name}/costwarden/state")
    monkeypatch.setenv("COSTWARDEN_EXPORT_OUTPUT", f"gs://{output.name}/focus")
    return GcsObjectStore(exports), GcsObjectStore(output), exports.name


def test_gcp_marker_publishes_its_period_once_across_three_deliveries(
    gcp: tuple[ObjectStore, ObjectStore, str], tmp_path: Path
) -> None:
    exports, output, bucket = gcp
    export = place_gcp_export(exports, run_id="r1", costs=COSTS_V1, bucket=bucket)
    fn = GcpFunctionsRuntime(FUNCTIONS, target="export_arrival")

    statuses = [fn.deliver(export.event).status for _ in range(3)]

    assert statuses == [200, 200, 200]
    assert published(output, tmp_path) == (len(COSTS_V1), export.total.normalize())
    assert len(parquet_files(output)) == 1


def test_gcp_redelivery_while_the_first_delivery_converts_finds_the_claim_busy(
    gcp: tuple[ObjectStore, ObjectStore, str],
) -> None:
    """Eventarc redelivers with the same CloudEvent id. The first delivery's claim (owned by
    that delivery, still converting) must make the redelivery retry later, not convert too."""
    exports, output, bucket = gcp
    export = place_gcp_export(exports, run_id="r1", costs=COSTS_V1, bucket=bucket)
    arrived = read_manifest(export.obj, exports.read(export.obj.key)[0])
    state_bucket, prefix = os.environ["COSTWARDEN_STATE"].removeprefix("gs://").split("/", 1)
    client = storage.Client(project="test", credentials=AnonymousCredentials())
    first = GcsStateStore(client.bucket(state_bucket), prefix=prefix + "/")
    # The first delivery holds the claim under the CloudEvent id the redelivery repeats: were
    # that id the owner, the redelivery would re-acquire the claim as its own and convert too.
    owner = str(export.event["id"])
    claim = first.claim(arrived.dedup_key, owner=owner, now=datetime.now(UTC), lease=DEFAULT_LEASE)
    assert claim.status is ClaimStatus.ACQUIRED
    fn = GcpFunctionsRuntime(FUNCTIONS, target="export_arrival")

    result = fn.deliver(export.event)

    assert result.status == 500  # ExportInProgressError: Eventarc retries later
    assert list(output.list("")) == []


def test_gcp_marker_declaring_more_rows_than_the_parts_hold_fails_and_writes_nothing(
    gcp: tuple[ObjectStore, ObjectStore, str],
) -> None:
    exports, output, bucket = gcp
    export = place_gcp_export(
        exports, run_id="r1", costs=COSTS_V1, bucket=bucket, declared_rows=len(COSTS_V1) + 3
    )
    fn = GcpFunctionsRuntime(FUNCTIONS, target="export_arrival")

    result = fn.deliver(export.event)

    assert result.status == 500  # Eventarc redelivers (deploy with retries)
    assert list(output.list("")) == []


def test_gcp_data_file_event_is_ignored(gcp: tuple[ObjectStore, ObjectStore, str]) -> None:
    _exports, output, _bucket = gcp
    event = json.loads((EVENTS / "gcp" / "export_data_file_finalized.json").read_text())
    fn = GcpFunctionsRuntime(FUNCTIONS, target="export_arrival")

    assert fn.deliver(event).status == 200
    assert list(output.list("")) == []
