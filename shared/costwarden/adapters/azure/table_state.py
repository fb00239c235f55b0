"""Dedup state in an Azure Storage table: the Azure deployment's ``StateStore``.

One entity per key. Conditional writes use what Table storage offers natively:

- create:  ``create_entity`` (Insert fails with 409 if the entity exists)
- replace: ``update_entity(mode=REPLACE)`` with the entity's ETag and ``IfNotModified``
- delete:  ``delete_entity`` with the ETag and ``IfNotModified``

The ETag is the version. The storage account is the one the Function App already needs, so the
dedup state costs no extra resource.

Keys: Table keys must not contain ``/ \\ # ?`` or control characters, and our keys are full of
slashes. Each key is escaped reversibly: ``[A-Za-z0-9._-]`` stay as they are and every other
character becomes ``~XX`` per UTF-8 byte (``budget/aws/1`` -> ``budget~2Faws~2F1``). A key
whose escaped form would pass the key size limit keeps a readable prefix and ends in ``!`` plus
the SHA-256 of the whole key; ``!`` never appears in an escaped key, so the two forms cannot
collide. The original key is kept in the ``key`` property for people reading the table.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import AzureError, HttpResponseError, ResourceExistsError
from azure.data.tables import TableClient, UpdateMode

from costwarden.adapters.state_keys import ALPHANUMERIC, escape_key
from costwarden.errors import StateStoreError
from costwarden.ports import ConditionalStateStore, StateStatus, StateValue, StoredState

_SAFE = frozenset(ALPHANUMERIC + "._-")
# Table keys may be up to 1 KiB; stay at 512 characters so the limit holds even if it is counted
# in UTF-16 bytes (escaped keys are ASCII, one character each).
_MAX_KEY_CHARS = 512
# Each key is its own partition: Table storage scales out by partition, and no operation here
# spans two keys. The row key is then a constant.
_ROW_KEY = "state"
_PRECONDITION_FAILED = 412
_NOT_FOUND = 404


def encode_key(key: str) -> str:
    """The PartitionKey for a state key: reversible escaping, hashed only when too long."""
    return escape_key(key, safe=_SAFE, budget=_MAX_KEY_CHARS)


class AzureTableStateStore(ConditionalStateStore):
    """``ConditionalStateStore`` on one Azure Storage table (create the table beforehand)."""

    def __init__(self, table: TableClient) -> None:
        self._table = table
        self.location = f"azure-table://{table.account_name}/{table.table_name}"

    # -- hooks ---------------------------------------------------------------------------------
    def _create(self, key: str, value: StateValue) -> bool:
        try:
            self._table.create_entity(_entity(key, value))
        except ResourceExistsError:
            return False
        except AzureError as exc:
            raise self._error("create", key, exc) from exc
        return True

    def _read(self, key: str) -> StoredState | None:
        try:
            entity = self._table.get_entity(partition_key=encode_key(key), row_key=_ROW_KEY)
        except HttpResponseError as exc:
            if exc.status_code == _NOT_FOUND:
                return None
            raise self._error("read", key, exc) from exc
        except AzureError as exc:
            raise self._error("read", key, exc) from exc
        return _state(key, entity, entity.metadata.get("etag"))

    def _replace(self, key: str, value: StateValue, version: str) -> bool:
        try:
            self._table.update_entity(
                _entity(key, value),
                mode=UpdateMode.REPLACE,
                etag=version,
                match_condition=MatchConditions.IfNotModified,
            )
        except HttpResponseError as exc:
            if exc.status_code in (_PRECONDITION_FAILED, _NOT_FOUND):
                return False
            raise self._error("replace", key, exc) from exc
        except AzureError as exc:
            raise self._error("replace", key, exc) from exc
        return True

    def _delete(self, key: str, version: str) -> bool:
        # The SDK treats 404 on delete as success, so an entity someone else already deleted
        # counts as deleted: the outcome release() wants either way.
        try:
            self._table.delete_entity(
                partition_key=encode_key(key),
                row_key=_ROW_KEY,
                etag=version,
                match_condition=MatchConditions.IfNotModified,
            )
        except HttpResponseError as exc:
            if exc.status_code == _PRECONDITION_FAILED:
                return False
            raise self._error("delete", key, exc) from exc
        except AzureError as exc:
            raise self._error("delete", key, exc) from exc
        return True

    def _error(self, operation: str, key: str, exc: Exception) -> StateStoreError:
        where = f"{key!r} on {self.location}"
        return StateStoreError(f"Azure Table {operation} of {where} failed: {exc}")


def _entity(key: str, value: StateValue) -> dict[str, Any]:
    if value.lease_until.tzinfo is None:
        raise StateStoreError("lease_until must be timezone-aware")
    data: Mapping[str, str] = value.data
    return {
        "PartitionKey": encode_key(key),
        "RowKey": _ROW_KEY,
        "key": key,
        "status": value.status,
        "owner": value.owner,
        # An ISO string, not Edm.DateTime: it round-trips the exact aware datetime.
        "lease_until": value.lease_until.isoformat(),
        "data": json.dumps(dict(data), ensure_ascii=False, sort_keys=True),
    }


def _state(key: str, entity: Mapping[str, Any], etag: object) -> StoredState:
    try:
        status: StateStatus
        if entity["status"] == "pending":
            status = "pending"
        elif entity["status"] == "done":
            status = "done"
        else:
            raise ValueError(f"unknown status {entity['status']!r}")
        if not isinstance(etag, str) or not etag:
            raise ValueError("the service returned no ETag")
        return StoredState(
            status=status,
            owner=str(entity["owner"]),
            lease_until=datetime.fromisoformat(entity["lease_until"]),
            data=json.loads(entity["data"]),
            version=etag,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise StateStoreError(f"malformed Azure Table state entity for {key!r}: {exc}") from exc
