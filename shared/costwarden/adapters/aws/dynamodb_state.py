"""Dedup state in a DynamoDB table: the AWS deployment's ``StateStore``.

One item per key, hash key ``pk`` (S) holding the key as given (DynamoDB strings take any UTF-8),
so the mapping is the identity and trivially collision-free. Every write is conditional:

- create:  ``PutItem`` with ``attribute_not_exists(pk)``
- replace: ``PutItem`` with ``#v = :version`` (the whole item is rewritten, ``version`` + 1)
- delete:  ``DeleteItem`` with ``#v = :version``

``version`` is a number attribute incremented on each write; the base class treats it as an
opaque string. Reads are strongly consistent (``ConsistentRead``): an eventually consistent read
could miss a claim made a moment ago and report a stale lease as the current state.

``expires_at`` (epoch seconds) is the table's TTL attribute, so DynamoDB deletes old records for
free. It is set 400 days after each write: longer than the longest budget period (a year), so an
annual budget's thresholds stay deduplicated until the period rolls over.

boto3 retries throttling and transient errors itself (configure that on the client); anything
that still fails, other than a lost condition, raises ``StateStoreError``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from costwarden.errors import StateStoreError
from costwarden.ports import ConditionalStateStore, StateStatus, StateValue, StoredState

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

TTL_ATTRIBUTE = "expires_at"
DEFAULT_TTL = timedelta(days=400)

# DynamoDB's limit for a partition key value, in UTF-8 bytes.
_MAX_KEY_BYTES = 2048
_CONDITION_FAILED = "ConditionalCheckFailedException"
# Expressions alias the attribute: DynamoDB reserves many plain words (DATA, STATUS, ...).
_VERSION_NAMES = {"#v": "version"}


class DynamoDbStateStore(ConditionalStateStore):
    """``ConditionalStateStore`` on a DynamoDB table created by ``create_state_table``."""

    def __init__(
        self, table_name: str, client: DynamoDBClient, *, ttl: timedelta = DEFAULT_TTL
    ) -> None:
        self._table = table_name
        self._client = client
        self._ttl = ttl
        endpoint = client.meta.endpoint_url
        self.location = f"dynamodb://{table_name}@{endpoint}"

    # -- hooks ---------------------------------------------------------------------------------
    def _create(self, key: str, value: StateValue) -> bool:
        item = self._item(key, value, version=1)
        return self._conditional(
            "PutItem",
            lambda: self._client.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression="attribute_not_exists(pk)",
            ),
        )

    def _read(self, key: str) -> StoredState | None:
        try:
            response = self._client.get_item(
                TableName=self._table, Key={"pk": {"S": _checked(key)}}, ConsistentRead=True
            )
        except (ClientError, BotoCoreError) as exc:
            raise self._error("GetItem", exc) from exc
        item = response.get("Item")
        if item is None:
            return None
        return _state(key, item)

    def _replace(self, key: str, value: StateValue, version: str) -> bool:
        item = self._item(key, value, version=_int_version(version) + 1)
        return self._conditional(
            "PutItem",
            lambda: self._client.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression="#v = :version",
                ExpressionAttributeNames=_VERSION_NAMES,
                ExpressionAttributeValues={":version": {"N": str(_int_version(version))}},
            ),
        )

    def _delete(self, key: str, version: str) -> bool:
        return self._conditional(
            "DeleteItem",
            lambda: self._client.delete_item(
                TableName=self._table,
                Key={"pk": {"S": _checked(key)}},
                ConditionExpression="#v = :version",
                ExpressionAttributeNames=_VERSION_NAMES,
                ExpressionAttributeValues={":version": {"N": str(_int_version(version))}},
            ),
        )

    # -- plumbing ------------------------------------------------------------------------------
    def _item(self, key: str, value: StateValue, *, version: int) -> dict[str, Any]:
        if value.lease_until.tzinfo is None:
            raise StateStoreError("lease_until must be timezone-aware")
        data: Mapping[str, str] = value.data
        return {
            "pk": {"S": _checked(key)},
            "status": {"S": value.status},
            "owner": {"S": value.owner},
            "lease_until": {"S": value.lease_until.isoformat()},
            "data": {"M": {name: {"S": text} for name, text in data.items()}},
            "version": {"N": str(version)},
            TTL_ATTRIBUTE: {"N": str(int(time.time() + self._ttl.total_seconds()))},
        }

    def _conditional(self, operation: str, call: Callable[[], object]) -> bool:
        """Run a conditional write: True if it applied, False if its condition did not hold."""
        try:
            call()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == _CONDITION_FAILED:
                return False
            raise self._error(operation, exc) from exc
        except BotoCoreError as exc:
            raise self._error(operation, exc) from exc
        return True

    def _error(self, operation: str, exc: Exception) -> StateStoreError:
        return StateStoreError(f"DynamoDB {operation} on {self.location} failed: {exc}")


def create_state_table(client: DynamoDBClient, name: str) -> None:
    """Create the state table (on-demand, TTL on ``expires_at``) unless it exists.

    For tests and local runs; deployments create the table from their infrastructure template.
    """
    try:
        try:
            client.create_table(
                TableName=name,
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                BillingMode="PAY_PER_REQUEST",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ResourceInUseException":
                raise
        client.get_waiter("table_exists").wait(
            TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
        )
        ttl = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        if ttl.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
            client.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
            )
    except (ClientError, BotoCoreError) as exc:
        raise StateStoreError(f"cannot create DynamoDB state table {name!r}: {exc}") from exc


def _checked(key: str) -> str:
    size = len(key.encode("utf-8"))
    if not 0 < size <= _MAX_KEY_BYTES:
        raise StateStoreError(
            f"state key must be 1 to {_MAX_KEY_BYTES} UTF-8 bytes for DynamoDB, got {size}"
        )
    return key


def _state(key: str, item: Mapping[str, Any]) -> StoredState:
    try:
        status: StateStatus
        raw_status = item["status"]["S"]
        if raw_status == "pending":
            status = "pending"
        elif raw_status == "done":
            status = "done"
        else:
            raise ValueError(f"unknown status {raw_status!r}")
        return StoredState(
            status=status,
            owner=item["owner"]["S"],
            lease_until=datetime.fromisoformat(item["lease_until"]["S"]),
            data={name: text["S"] for name, text in item["data"]["M"].items()},
            version=item["version"]["N"],
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise StateStoreError(f"malformed DynamoDB state item for {key!r}: {exc}") from exc


def _int_version(version: str) -> int:
    try:
        return int(version)
    except ValueError:
        raise StateStoreError(f"not a DynamoDB state version: {version!r}") from None
