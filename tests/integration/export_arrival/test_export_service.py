"""The export-arrival service on every store backend: a period is published exactly once.

Each test runs on the local directory, S3 (moto), Blob Storage (Azurite) and Cloud Storage
(fake-gcs-server); the export's own bucket and the output are two fresh stores of the backend.
The conversion is the real one (``costwarden.focus.convert``), so "published" means FOCUS rows
that passed the row-level checks and reconcile with the export's invoice total.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from costwarden.adapters.local.file_store import LocalObjectStore
from costwarden.adapters.local.sqlite_state import SqliteStateStore
from costwarden.bootstrap_exports import FocusConverter
from costwarden.focus import FocusInputError
from costwarden.models.export import ExportObject
from costwarden.ports_storage import ObjectInfo, ObjectStore
from costwarden.services.export_arrival import (
    Converter,
    ExportDataError,
    ExportInProgressError,
    ExportOutcome,
    ExportRewriteInProgressError,
    ExportTooLargeError,
    process_export_object,
)
from costwarden.services.export_publish import ORPHAN_AGE, published_files, published_pointers
from integration.export_arrival.conftest import NewStore
from integration.export_arrival.exports import (
    place_azure_export,
    place_gcp_export,
    place_legacy_cur,
)

COSTS_V1 = ["1.25", "2.50", "3.75", "4.00", "0.0125"]
COSTS_V2 = ["10.00", "20.00", "0.01"]  # a restatement: fewer rows, other amounts


class FixedClock:
    def __init__(self) -> None:
        self.at = datetime(2026, 5, 21, 4, 15, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at


@dataclass
class World:
    """One export bucket, one output store, one state store: a deployment in miniature."""

    source: ObjectStore
    output: ObjectStore
    state: SqliteStateStore
    convert: Converter
    tmp: Path
    clock: FixedClock = field(default_factory=FixedClock)
    opened: list[str] = field(default_factory=list)

    def sources(self, obj: ExportObject) -> ObjectStore:
        self.opened.append(obj.url)
        return self.source

    def process(self, obj: ExportObject, invocation: str = "inv-1", **extra: Any) -> ExportOutcome:
        return process_export_object(
            obj,
            sources=self.sources,
            output=self.output,
            output_prefix="focus",
            state=self.state,
            convert=self.convert,
            clock=self.clock,
            invocation_id=invocation,
            work_dir=self.tmp,
            **extra,
        )

    def published(self) -> tuple[int, Decimal]:
        """Rows and SUM(BilledCost) of what a pointer-following reader sees."""
        keys = published_files(self.output, "focus")
        if not keys:
            return 0, Decimal(0)
        local = []
        for index, key in enumerate(keys):
            path = self.tmp / f"read-{index}.parquet"
            self.output.download(key, path)
            local.append(str(path))
        query = f"SELECT COUNT(*), SUM(BilledCost) FROM read_parquet({local!r})"
        rows, total = duckdb.connect().execute(query).fetchone() or (0, 0)
        return int(rows), Decimal(total or 0).normalize()

    def output_keys(self) -> list[str]:
        return [info.key for info in self.output.list("")]


@pytest.fixture
def converter(tmp_path: Path) -> Converter:
    """The real FOCUS converter (DuckDB), as the functions' composition root builds it."""
    return FocusConverter(memory_limit="512MB", temp_directory=tmp_path)


@pytest.fixture
def world(new_store: NewStore, tmp_path: Path, converter: Converter) -> World:
    state = SqliteStateStore(tmp_path / "state.sqlite3")
    return World(new_store(), new_store(), state, converter, tmp_path)


def _pointer_files(world: World) -> list[str]:
    return [k for k in world.output_keys() if k.endswith(".parquet")]


def test_a_manifest_publishes_its_period(world: World) -> None:
    export = place_legacy_cur(world.source, assembly="a1", costs=COSTS_V1)

    outcome = world.process(export.obj)

    assert outcome.status == "published"
    assert outcome.billing_period == "2026-05"
    assert outcome.source == "aws-cur-legacy"
    assert world.published() == (len(COSTS_V1), export.total.normalize())
    [pointer] = published_pointers(world.output, "focus")
    assert pointer.execution_id == "a1"
    assert pointer.rows == len(COSTS_V1)
    assert Decimal(pointer.billed_cost) == export.total
    pointer_key = (
        outcome.pointer.split(world.output.location + "/", 1)[1] if outcome.pointer else ""
    )
    assert pointer_key.startswith("focus/provider=aws/billing_period=2026-05/exports/hourly-cur-")
    assert pointer_key.endswith("/current.json")


def test_three_redeliveries_leave_one_copy(world: World) -> None:
    export = place_legacy_cur(world.source, assembly="a1", costs=COSTS_V1)

    statuses = [world.process(export.obj, invocation=f"inv-{n}").status for n in range(4)]

    assert statuses == ["published", "duplicate", "duplicate", "duplicate"]
    assert world.published() == (len(COSTS_V1), export.total.normalize())
    assert len(_pointer_files(world)) == 1
    assert len([k for k in world.output_keys() if k.endswith("current.json")]) == 1


def test_a_restated_export_replaces_the_period(world: World) -> None:
    first = place_legacy_cur(world.source, assembly="a1", costs=COSTS_V1)
    world.process(first.obj)
    old_files = _pointer_files(world)

    restated = place_legacy_cur(world.source, assembly="a2", costs=COSTS_V2)  # same manifest key
    outcome = world.process(restated.obj, invocation="inv-2")

    assert outcome.status == "published"
    assert outcome.execution_id == "a2"
    assert world.published() == (len(COSTS_V2), restated.total.normalize())
    assert set(_pointer_files(world)).isdisjoint(old_files)  # the old run is gone
    assert len(_pointer_files(world)) == 1


def test_a_listed_file_that_is_missing_fails_and_keeps_the_old_period(world: World) -> None:
    world.process(place_legacy_cur(world.source, assembly="a1", costs=COSTS_V1).obj)
    before = {key: world.output.read(key)[0] for key in world.output_keys()}
    broken = place_legacy_cur(
        world.source, assembly="a2", costs=COSTS_V2, listed_only=("hourly-cur-00009.csv.gz",)
    )

    with pytest.raises(ExportDataError, match=r"lists 1 data file\(s\) that do not exist.*00009"):
        world.process(broken.obj, invocation="inv-2")

    assert {key: world.output.read(key)[0] for key in world.output_keys()} == before
    assert world.published()[0] == len(COSTS_V1)
    # The claim was released: once the file lands (and, as every export writes them, the
    # manifest after it), the platform's retry publishes the period.
    missing = broken.manifest_key.rsplit("/", 1)[0] + "/a2/hourly-cur-00009.csv.gz"
    world.source.write(missing, world.source.read(broken.data_keys[0])[0])
    world.source.write(broken.manifest_key, world.source.read(broken.manifest_key)[0])
    retried = world.process(broken.obj, invocation="inv-3")
    assert retried.status == "published"
    assert world.published()[0] == len(COSTS_V2) + len(COSTS_V2[0::2])


def test_a_broken_data_file_fails_naming_it_and_keeps_the_old_period(world: World) -> None:
    world.process(place_legacy_cur(world.source, assembly="a1", costs=COSTS_V1).obj)
    before = {key: world.output.read(key)[0] for key in world.output_keys()}
    broken = place_legacy_cur(world.source, assembly="a2", costs=COSTS_V2)
    world.source.write(broken.data_keys[1], b"account,amount\n1,2\n")  # not a CUR file
    world.source.write(broken.manifest_key, world.source.read(broken.manifest_key)[0])  # after

    with pytest.raises(FocusInputError, match=r"hourly-cur-00002\.csv\.gz.*missing column"):
        world.process(broken.obj, invocation="inv-2")

    assert {key: world.output.read(key)[0] for key in world.output_keys()} == before
    assert world.published()[0] == len(COSTS_V1)


def test_a_data_file_notification_is_ignored_without_reading_anything(world: World) -> None:
    export = place_legacy_cur(world.source, assembly="a1", costs=COSTS_V1)
    data_file = export.obj.model_copy(
        update={
            "key": export.data_keys[0],
            "manifest_format": None,
            "billing_period": None,
            "ignored_reason": "not a Data Exports or CUR manifest",
        }
    )

    outcome = world.process(data_file)

    assert outcome.status == "ignored"
    assert outcome.reason == "not a Data Exports or CUR manifest"
    assert world.opened == []
    assert world.output_keys() == []


def test_an_older_run_delivered_late_never_replaces_a_newer_one(world: World) -> None:
    older = place_azure_export(world.source, run_id="run-old", costs=COSTS_V1)
    time.sleep(1.1)  # S3 and Azure date objects to the second
    newer = place_azure_export(world.source, run_id="run-new", costs=COSTS_V2)

    assert world.process(newer.obj).status == "published"
    late = world.process(older.obj, invocation="inv-2")

    assert late.status == "superseded"
    assert late.reason == "a newer execution (run-new) is already published"
    assert world.published() == (len(COSTS_V2), newer.total.normalize())
    assert len(_pointer_files(world)) == 1
    assert world.process(older.obj, invocation="inv-3").status == "duplicate"


def test_a_declared_row_count_that_does_not_match_publishes_nothing(world: World) -> None:
    export = place_azure_export(
        world.source, run_id="run-1", costs=COSTS_V1, declared_rows=len(COSTS_V1) + 1
    )

    with pytest.raises(ExportDataError, match="declares 6 rows but its data files hold 5"):
        world.process(export.obj)

    assert world.output_keys() == []


@pytest.mark.parametrize("data_format", ["json", "parquet"])
def test_the_gcp_marker_run_is_found_by_listing_its_folder(world: World, data_format: str) -> None:
    export = place_gcp_export(
        world.source,
        run_id="20260521T031500Z-scheduled",
        costs=COSTS_V1,
        data_format=data_format,
    )

    outcome = world.process(export.obj)

    assert outcome.status == "published", outcome.reason
    assert outcome.provider == "gcp"
    assert world.published() == (len(COSTS_V1), export.total.normalize())


def test_an_export_larger_than_the_limit_is_refused_before_any_download(world: World) -> None:
    export = place_legacy_cur(world.source, assembly="a1", costs=COSTS_V1)

    with pytest.raises(ExportTooLargeError, match="exceed this function's limit"):
        world.process(export.obj, max_input_bytes=100)

    assert world.output_keys() == []
    assert list(world.tmp.glob("costwarden-export-*")) == []


@pytest.mark.parametrize("parts", [0, 1], ids=["no data files", "header-only files"])
def test_an_export_without_rows_publishes_an_empty_period(world: World, parts: int) -> None:
    # Header-only parts are what Azure writes for a scope without charges. The converter
    # refuses such input on the command line; here it is an empty period, not a failure the
    # platform would retry every day.
    world.process(place_azure_export(world.source, run_id="run-1", costs=COSTS_V1).obj)
    empty = place_azure_export(world.source, run_id="run-2", costs=[], parts=parts)

    outcome = world.process(empty.obj, invocation="inv-2")

    assert outcome.status == "published"
    assert outcome.rows == 0
    assert world.published() == (0, Decimal(0))
    assert _pointer_files(world) == []


# -- local-only checks: things only a local folder lets a test arrange --------------------------
@pytest.fixture
def local_world(tmp_path: Path, converter: Converter) -> World:
    return World(
        LocalObjectStore(tmp_path / "exports"),
        LocalObjectStore(tmp_path / "output"),
        SqliteStateStore(tmp_path / "state.sqlite3"),
        converter,
        tmp_path,
    )


def test_a_crashed_runs_files_are_swept_once_they_are_old(local_world: World) -> None:
    world = local_world
    world.clock.at = datetime.now(UTC)  # the sweep compares file times with the clock
    first = world.process(place_legacy_cur(world.source, assembly="a1", costs=COSTS_V1).obj)
    assert first.pointer is not None
    folder = first.pointer.rsplit("/", 1)[0].split("/output/", 1)[1]
    crashed = f"{folder}/runs/20260520T000000Z-deadbeef/part-00000.parquet"
    fresh = f"{folder}/runs/20260521T041000Z-cafef00d/part-00000.parquet"
    for key in (crashed, fresh):
        world.output.write(key, b"PAR1")
    old = time.time() - ORPHAN_AGE.total_seconds() - 60
    os.utime(Path(world.output.location.removeprefix("file://")) / crashed, (old, old))

    world.process(place_legacy_cur(world.source, assembly="a2", costs=COSTS_V2).obj, "inv-2")

    keys = world.output_keys()
    assert crashed not in keys  # a crash a day ago: swept
    assert fresh in keys  # maybe a run still in flight: kept


class RewritingStore:
    """The export bucket while AWS's overwrite mode refreshes the export under our feet."""

    def __init__(self, inner: LocalObjectStore, manifest_key: str) -> None:
        self.inner = inner
        self.location = inner.location
        self.manifest_key = manifest_key

    def download(self, key: str, path: Path) -> ObjectInfo:
        info = self.inner.download(key, path)
        body, _ = self.inner.read(self.manifest_key)
        self.inner.write(self.manifest_key, body)  # a new version of the same manifest
        return info

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_an_export_rewritten_while_we_read_it_is_left_to_its_own_notification(
    local_world: World,
) -> None:
    world = local_world
    export = place_legacy_cur(world.source, assembly="a1", costs=COSTS_V1)
    assert isinstance(world.source, LocalObjectStore)
    world.source = RewritingStore(world.source, export.manifest_key)  # type: ignore[assignment]

    outcome = world.process(export.obj)

    assert outcome.status == "superseded"
    assert "rewritten while we read" in (outcome.reason or "")
    assert world.output_keys() == []
    # The rewrite's own notification (here: the same execution id) still gets converted.
    world.source = world.source.inner  # type: ignore[attr-defined]
    assert world.process(export.obj, invocation="inv-2").status == "published"


class RefreshingStore:
    """AWS's overwrite mode: after our first part download, a refresh rewrites every data file
    in place (same keys, other amounts); its manifest is still to come."""

    def __init__(self, inner: LocalObjectStore, parts: dict[str, bytes]) -> None:
        self.inner = inner
        self.location = inner.location
        self.parts = parts
        self.downloads = 0

    def download(self, key: str, path: Path) -> ObjectInfo:
        info = self.inner.download(key, path)
        self.downloads += 1
        if self.downloads == 1:
            for part, body in self.parts.items():
                self.inner.write(part, body)
        return info

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_data_rewritten_under_an_unchanged_manifest_is_never_published_as_a_mix(
    local_world: World, tmp_path: Path
) -> None:
    """Refresh 1 bills 1.00 per row; refresh 2 rewrites the same part keys with 5.00 per row
    before its manifest. Reading part 1 from refresh 1 and part 2 from refresh 2 would publish
    a bill neither refresh wrote."""
    world = local_world
    export = place_legacy_cur(world.source, assembly="a1", costs=["1.00"] * 10)
    scratch = LocalObjectStore(tmp_path / "refresh-2")
    refresh = place_legacy_cur(scratch, assembly="a1", costs=["5.00"] * 10)
    parts = {key: scratch.read(key)[0] for key in refresh.data_keys}
    assert isinstance(world.source, LocalObjectStore)
    world.source = RefreshingStore(world.source, parts)  # type: ignore[assignment]

    outcome = world.process(export.obj)

    assert outcome.status == "superseded"
    assert "rewritten while we read" in (outcome.reason or "")
    assert world.output_keys() == []
    # A retry before refresh 2's manifest lands: its parts are newer than refresh 1's manifest.
    world.source = world.source.inner  # type: ignore[attr-defined]
    with pytest.raises(ExportRewriteInProgressError, match="newer than the manifest"):
        world.process(export.obj, invocation="inv-2")
    assert world.output_keys() == []
    # Refresh 2's manifest lands: its notification publishes refresh 2 alone.
    world.source.write(export.manifest_key, world.source.read(export.manifest_key)[0])
    assert world.process(export.obj, invocation="inv-3").status == "published"
    assert world.published() == (10, Decimal("50"))


def test_the_claim_holds_a_record_of_the_publication(local_world: World) -> None:
    world = local_world
    export = place_legacy_cur(world.source, assembly="a1", costs=COSTS_V1)
    outcome = world.process(export.obj)

    record = world.state.get("export/aws/acme-legacy-cur/billing reports/hourly-cur/2026-05/a1")

    assert record is not None
    assert record.status == "done"
    assert record.data == {
        "status": "published",
        "run_id": outcome.run_id,
        "rows": str(len(COSTS_V1)),
        "pointer": outcome.pointer,
    }
    assert (outcome.run_id or "").startswith("20260521T041500Z-")  # named by the clock


def test_a_delivery_while_another_invocation_converts_asks_for_a_retry(local_world: World) -> None:
    world = local_world
    export = place_legacy_cur(world.source, assembly="a1", costs=COSTS_V1)
    key = "export/aws/acme-legacy-cur/billing reports/hourly-cur/2026-05/a1"
    world.state.claim(
        key, owner="other-invocation", now=world.clock.now(), lease=timedelta(minutes=15)
    )

    with pytest.raises(ExportInProgressError, match="being converted by another invocation"):
        world.process(export.obj)

    assert world.output_keys() == []
    # Once the other invocation's lease has run out (it crashed), a redelivery takes over.
    world.clock.at += timedelta(minutes=16)
    assert world.process(export.obj, invocation="inv-2").status == "published"
