"""Publishing one billing period of FOCUS Parquet to an object store, atomically.

Object stores cannot rename a folder, so "replace the period" is done with a pointer::

    <prefix>/provider=aws/billing_period=2026-05/exports/<export id>/current.json
    <prefix>/provider=aws/billing_period=2026-05/exports/<export id>/runs/<run>/part-00000.parquet

1. a run uploads its files under a folder no one else uses (its own run id);
2. it swaps ``current.json`` to list them, with a conditional write on the pointer's version
   (create-if-absent for the first run), so of two racing runs exactly one wins each swap;
3. it deletes the previous run's files, and sweeps runs that crashed before their swap.

A reader that follows the pointer (``published_files``) sees the old period or the new one,
never a mix and never both. A reader that globs ``**/*.parquet`` instead can see both for the
moment between steps 2 and 3: follow the pointer.

Runs are ordered by ``as_of`` (when the export wrote its manifest): a late redelivery of an
older export never replaces a newer one's data, whatever order the invocations finish in.
The ``exports/<export id>`` level keeps two exports of one provider (two AWS payer accounts,
two Azure billing scopes) from replacing each other's period.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from costwarden.errors import CostwardenError
from costwarden.ports_storage import (
    ObjectInfo,
    ObjectNotFoundError,
    ObjectStore,
    ObjectStoreError,
    join_key,
)

log = logging.getLogger(__name__)

POINTER_NAME = "current.json"
POINTER_SCHEMA = "costwarden.focus-pointer/1"
#: A run folder without a pointer naming it, older than this, belongs to a crashed run. Longer
#: than any platform lets one invocation run (Lambda 15 min, Azure Premium 60 min default cap).
ORPHAN_AGE = timedelta(hours=6)
_SWAP_ATTEMPTS = 5


class PointerError(CostwardenError):
    """A pointer object exists but cannot be read (not ours, or corrupted)."""


@dataclass(frozen=True)
class Pointer:
    """``current.json``: which files are the period, and where they came from."""

    provider: str
    billing_period: str
    export: str
    run_id: str
    execution_id: str
    source: str
    as_of: datetime
    published_at: datetime
    manifest: str
    rows: int
    billed_cost: str
    store: str
    files: tuple[str, ...]

    def to_json(self) -> bytes:
        document: dict[str, Any] = {"schema": POINTER_SCHEMA, **asdict(self)}
        document["as_of"] = self.as_of.isoformat()
        document["published_at"] = self.published_at.isoformat()
        document["files"] = list(self.files)
        return json.dumps(document, indent=2, sort_keys=True).encode("utf-8")

    @classmethod
    def from_json(cls, body: bytes, where: str) -> Pointer:
        try:
            document = json.loads(body)
            if document.get("schema") != POINTER_SCHEMA:
                raise ValueError(f"schema is {document.get('schema')!r}, not {POINTER_SCHEMA!r}")
            fields = {k: v for k, v in document.items() if k != "schema"}
            fields["as_of"] = datetime.fromisoformat(fields["as_of"])
            fields["published_at"] = datetime.fromisoformat(fields["published_at"])
            fields["files"] = tuple(str(f) for f in fields["files"])
            return cls(**fields)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise PointerError(f"{where} is not a costwarden FOCUS pointer: {exc}") from exc


@dataclass(frozen=True)
class Swap:
    status: Literal["swapped", "superseded"]
    current: Pointer
    previous: Pointer | None


def export_prefix(prefix: str, provider: str, period: str, export_id: str) -> str:
    return join_key(
        prefix, f"provider={provider}", f"billing_period={period}", "exports", export_id
    )


def run_file_key(export_folder: str, run_id: str, index: int) -> str:
    return join_key(export_folder, "runs", run_id, f"part-{index:05d}.parquet")


def read_pointer(store: ObjectStore, key: str) -> tuple[Pointer, ObjectInfo] | None:
    try:
        body, info = store.read(key)
    except ObjectNotFoundError:
        return None
    return Pointer.from_json(body, f"{store.location}/{key}"), info


def swap_pointer(store: ObjectStore, key: str, new: Pointer) -> Swap:
    """Make ``new`` the period's pointer unless a newer export's pointer is already there."""
    for _attempt in range(_SWAP_ATTEMPTS):
        existing = read_pointer(store, key)
        if existing is None:
            if store.write(key, new.to_json(), if_absent=True, content_type=_JSON) is not None:
                return Swap("swapped", new, None)
            continue  # someone created it first: re-read and compare with theirs
        current, info = existing
        if current.as_of > new.as_of:
            return Swap("superseded", current, None)
        written = store.write(key, new.to_json(), if_version=info.version, content_type=_JSON)
        if written is not None:
            return Swap("swapped", new, current)
    raise ObjectStoreError(
        f"the pointer {store.location}/{key} changed under us {_SWAP_ATTEMPTS} times"
    )


def delete_quietly(store: ObjectStore, keys: Iterable[str]) -> list[str]:
    """Delete ``keys``; return those that failed. Leftovers cost storage, never correctness."""
    failed: list[str] = []
    for key in keys:
        try:
            store.delete(key)
        except ObjectStoreError as exc:
            log.warning("could not delete %s/%s: %s", store.location, key, exc)
            failed.append(key)
    return failed


def sweep_orphan_runs(
    store: ObjectStore, export_folder: str, *, keep: set[str], now: datetime
) -> int:
    """Delete files of runs no pointer names, once they are older than ``ORPHAN_AGE``."""
    runs_prefix = join_key(export_folder, "runs") + "/"
    stale: list[str] = []
    for info in store.list(runs_prefix):
        run_id = info.key[len(runs_prefix) :].split("/", 1)[0]
        if run_id not in keep and now - info.updated > ORPHAN_AGE:
            stale.append(info.key)
    failed = delete_quietly(store, stale)
    return len(stale) - len(failed)


def published_pointers(store: ObjectStore, prefix: str = "") -> list[Pointer]:
    """Every period's current pointer under ``prefix``: what readers should read."""
    pointers: list[Pointer] = []
    for info in store.list(prefix):
        if info.key.endswith(f"/{POINTER_NAME}") and "/exports/" in info.key:
            found = read_pointer(store, info.key)
            if found is not None:
                pointers.append(found[0])
    return sorted(pointers, key=lambda p: (p.provider, p.billing_period, p.export))


def published_files(store: ObjectStore, prefix: str = "") -> list[str]:
    """The keys of every current Parquet file under ``prefix``, never a replaced run's."""
    return [key for pointer in published_pointers(store, prefix) for key in pointer.files]


_JSON = "application/json"
