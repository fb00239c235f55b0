"""Dedup state in a SQLite file: the local runs' and the CLI's ``StateStore``.

Every hook is ONE SQL statement whose ``WHERE`` clause carries the condition (``INSERT ... ON
CONFLICT DO NOTHING``, ``UPDATE/DELETE ... WHERE version = ?``). SQLite runs each statement
atomically under its database lock, so the compare-and-swap holds across threads and across
processes sharing the file, without holding a transaction open between statements.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from costwarden.errors import StateStoreError
from costwarden.ports import ConditionalStateStore, StateStatus, StateValue, StoredState

_SCHEMA = """
CREATE TABLE IF NOT EXISTS costwarden_state (
    key         TEXT PRIMARY KEY,
    status      TEXT NOT NULL,
    owner       TEXT NOT NULL,
    lease_until TEXT NOT NULL,  -- ISO-8601 with offset: exact round trip of an aware datetime
    data        TEXT NOT NULL,  -- JSON object of str -> str
    version     INTEGER NOT NULL
)
"""

# Another process may hold the write lock for a moment; wait for it rather than fail at once.
_BUSY_TIMEOUT_SECONDS = 30.0


class SqliteStateStore(ConditionalStateStore):
    """``ConditionalStateStore`` on a SQLite database file (or ``":memory:"`` for tests).

    Keys are stored as given (SQLite TEXT takes any string), so no encoding is needed.
    """

    def __init__(self, path: str | Path) -> None:
        self._memory = str(path) == ":memory:"
        if self._memory:
            self._path = ":memory:"
            self.location = "sqlite://:memory:"
        else:
            resolved = Path(path).expanduser().resolve()
            resolved.parent.mkdir(parents=True, exist_ok=True)
            self._path = str(resolved)
            self.location = f"sqlite://{resolved}"
        # One connection per store, shared by threads behind a lock: ":memory:" databases exist
        # per connection, so a connection per thread would give each thread its own empty store.
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._pid = 0
        with self._lock:
            self._connection()

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # -- hooks ---------------------------------------------------------------------------------
    def _create(self, key: str, value: StateValue) -> bool:
        changed, _ = self._execute(
            "INSERT INTO costwarden_state (key, status, owner, lease_until, data, version)"
            " VALUES (?, ?, ?, ?, ?, 1) ON CONFLICT (key) DO NOTHING",
            (key, *_columns(value)),
        )
        return changed == 1

    def _read(self, key: str) -> StoredState | None:
        _, rows = self._execute(
            "SELECT status, owner, lease_until, data, version FROM costwarden_state WHERE key = ?",
            (key,),
        )
        if not rows:
            return None
        status, owner, lease_until, data, version = rows[0]
        return StoredState(
            status=_status(status, key),
            owner=owner,
            lease_until=datetime.fromisoformat(lease_until),
            data=json.loads(data),
            version=str(version),
        )

    def _replace(self, key: str, value: StateValue, version: str) -> bool:
        changed, _ = self._execute(
            "UPDATE costwarden_state SET status = ?, owner = ?, lease_until = ?, data = ?,"
            " version = version + 1 WHERE key = ? AND version = ?",
            (*_columns(value), key, _int_version(version)),
        )
        return changed == 1

    def _delete(self, key: str, version: str) -> bool:
        changed, _ = self._execute(
            "DELETE FROM costwarden_state WHERE key = ? AND version = ?",
            (key, _int_version(version)),
        )
        return changed == 1

    # -- plumbing ------------------------------------------------------------------------------
    def _connection(self) -> sqlite3.Connection:
        """The connection, reopened in a forked child: a SQLite handle must not cross a fork."""
        if self._conn is None or (self._pid != os.getpid() and not self._memory):
            try:
                # isolation_level=None: autocommit, so each conditional statement is its own
                # transaction and no lock is held between a read and the next write.
                conn = sqlite3.connect(
                    self._path,
                    timeout=_BUSY_TIMEOUT_SECONDS,
                    isolation_level=None,
                    check_same_thread=False,
                )
                if not self._memory:
                    # WAL lets readers in other processes proceed while one process writes.
                    conn.execute("PRAGMA journal_mode=WAL")
                conn.execute(_SCHEMA)
            except sqlite3.Error as exc:
                raise StateStoreError(f"cannot open state database {self.location}: {exc}") from exc
            self._conn = conn
            self._pid = os.getpid()
        return self._conn

    def _execute(self, sql: str, params: tuple[object, ...]) -> tuple[int, list[tuple[Any, ...]]]:
        """Run one statement; return (rows changed, rows fetched), both taken under the lock."""
        with self._lock:
            try:
                cursor = self._connection().execute(sql, params)
                return cursor.rowcount, cursor.fetchall()
            except sqlite3.Error as exc:
                raise StateStoreError(f"state database {self.location} failed: {exc}") from exc


def _columns(value: StateValue) -> tuple[str, str, str, str]:
    if value.lease_until.tzinfo is None:
        raise StateStoreError("lease_until must be timezone-aware")
    data: Mapping[str, str] = value.data
    return (
        value.status,
        value.owner,
        value.lease_until.isoformat(),
        json.dumps(dict(data), ensure_ascii=False, sort_keys=True),
    )


def _status(raw: str, key: str) -> StateStatus:
    if raw == "pending":
        return "pending"
    if raw == "done":
        return "done"
    raise StateStoreError(f"state record {key!r} has an unknown status {raw!r}")


def _int_version(version: str) -> int:
    try:
        return int(version)
    except ValueError:
        raise StateStoreError(f"not a SQLite state version: {version!r}") from None
