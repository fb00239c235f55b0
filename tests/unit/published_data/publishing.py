"""Publish FOCUS rows onto any ``ObjectStore`` the way the export functions do.

``publish_period`` writes the rows as Parquet with DuckDB (``write_focus_parquet``, the
converter's layout), uploads them under a new run folder, swaps the period's ``current.json``
with ``export_publish.swap_pointer`` and deletes the previous run's files: the same steps, in
the same order, as ``services/export_arrival.py``'s publish step.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from costwarden.ports_storage import ObjectStore, join_key
from costwarden.services.export_publish import (
    POINTER_NAME,
    Pointer,
    delete_quietly,
    export_prefix,
    run_file_key,
    swap_pointer,
)
from unit.allocation.focus_parquet import write_focus_parquet


def publish_period(
    store: ObjectStore,
    prefix: str,
    rows: Sequence[Mapping[str, Any]],
    *,
    provider: str,
    period: str,
    export: str = "cur-test",
    as_of: datetime | None = None,
) -> Pointer:
    """Publish ``rows`` (all of one provider and billing period) as that period's new run."""
    assert all(r["provider"] == provider and r["billing_period"] == period for r in rows)
    as_of = as_of or datetime.now(UTC)
    run_id = f"{as_of:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    folder = export_prefix(prefix, provider, period, export)
    with tempfile.TemporaryDirectory() as scratch:
        root = write_focus_parquet(Path(scratch) / "focus", rows)
        local = sorted(root.rglob("*.parquet"))
        keys = []
        for index, path in enumerate(local):
            key = run_file_key(folder, run_id, index)
            store.upload(path, key)
            keys.append(key)
    pointer = Pointer(
        provider=provider,
        billing_period=period,
        export=export,
        run_id=run_id,
        execution_id=run_id,
        source="aws-focus",
        as_of=as_of,
        published_at=datetime.now(UTC),
        manifest=f"{store.location}/exports/{run_id}/manifest.json",
        rows=len(rows),
        billed_cost=str(sum((Decimal(r["BilledCost"]) for r in rows), Decimal(0))),
        store=store.location,
        files=tuple(keys),
    )
    swap = swap_pointer(store, join_key(folder, POINTER_NAME), pointer)
    assert swap.status == "swapped"
    if swap.previous is not None:
        delete_quietly(store, sorted(set(swap.previous.files) - set(keys)))
    return pointer


def publish_rows(
    store: ObjectStore, prefix: str, rows: Sequence[Mapping[str, Any]], **kwargs: Any
) -> list[Pointer]:
    """Publish ``rows`` period by period (and provider by provider)."""
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["provider"], row["billing_period"]), []).append(row)
    return [
        publish_period(store, prefix, group, provider=provider, period=period, **kwargs)
        for (provider, period), group in sorted(groups.items())
    ]
