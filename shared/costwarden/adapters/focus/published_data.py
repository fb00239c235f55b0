"""Published FOCUS data (``services/export_publish``) as local files, for DuckDB readers.

The export functions publish each billing period behind a ``current.json`` pointer in an object
store. Budget alerts (top cost drivers) and the daily digest read that data here:

* ``PublishedFocusData.files(periods)`` follows the pointers of the requested billing periods
  only, downloads each file they name **once** into ``cache_dir`` and returns the local paths.
  Published keys are run-unique (``runs/<run id>/part-00000.parquet``), so a cached file never
  goes stale: a restated period gets a new run and new keys. Cached files of a requested period
  that no pointer names any more (a replaced run) are deleted.
* ``PublishedCostDrivers`` is the ``CostDrivers`` port on top: it syncs the months of the alert's
  period, then asks ``FocusCostDrivers`` over those files. Nothing published for the period is
  honest absence (None: the alert has no drivers section), never a fake zero.
* ``PublishedAllocatedCostData`` is the digest's ``AllocatedCostData`` port: it syncs the digest
  window's months and hands the files to ``FocusAllocator``. Nothing published at all raises
  ``CostDataError``: a digest of an empty store would report every team at $0.

Why a local cache rather than DuckDB reading the store over HTTP: the stores differ per cloud
(``httpfs`` speaks S3 and, with extensions, Azure and GCS, each with its own credential chain),
while ``ObjectStore`` already works with the function's identity on all three; a warm container
then reads a period once per run of the export, not once per alert.

The local layout mirrors the keys below the prefix (``provider=aws/billing_period=2026-05/...``),
so DuckDB's hive partitioning still sees ``provider`` and ``billing_period`` (the converter writes
them as folders, not columns) and the allocator can skip periods outside its window.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from costwarden.adapters.focus.duckdb_cost_drivers import (
    CostDataError,
    DriverKind,
    FocusCostDrivers,
)
from costwarden.models.notification import CostDriver
from costwarden.ports_storage import ObjectInfo, ObjectNotFoundError, ObjectStore
from costwarden.services.export_publish import POINTER_NAME, Pointer, read_pointer

if TYPE_CHECKING:
    from costwarden.models.allocation import AllocatedCosts
    from costwarden.policy import Policy

log = logging.getLogger(__name__)

_T = TypeVar("_T")
_POINTER_KEY = re.compile(
    r"(?:^|/)provider=(?P<provider>[^/]+)/billing_period=(?P<period>\d{4}-\d{2})/exports/"
    r"(?P<export>[^/]+)/" + re.escape(POINTER_NAME) + r"$"
)
_PERIOD_DIR = re.compile(r"^billing_period=(\d{4}-\d{2})$")
_PERIOD = re.compile(r"^\d{4}-\d{2}$")
_TEMP_PREFIX = ".cw-download-"
#: a pointer can be swapped (and its old run deleted) between our read and our download
_DOWNLOAD_ATTEMPTS = 3


class PublishedFocusData:
    """A local, pointer-following cache of the FOCUS data published under ``prefix``.

    Thread-safe: one sync at a time per instance. Several processes may share ``cache_dir``
    (downloads land by atomic rename); a reader that loses a file to another process's cleanup
    re-syncs once (see ``read_with_resync``).
    """

    def __init__(self, store: ObjectStore, prefix: str, cache_dir: Path) -> None:
        self.store = store
        self.prefix = prefix.strip("/")
        namespace = hashlib.sha256(f"{store.location}|{self.prefix}".encode()).hexdigest()[:12]
        # one folder per store and prefix: two deployments sharing /tmp never mix their data
        self.root = Path(cache_dir) / f"store-{namespace}"
        self._lock = threading.Lock()
        self._pointers: dict[str, tuple[str, Pointer]] = {}  # key -> (version, pointer)
        self.downloads = 0  # files fetched from the store by this instance (for tests, logs)

    @property
    def location(self) -> str:
        return f"{self.store.location}/{self.prefix}" if self.prefix else self.store.location

    def files(self, periods: Iterable[str] | None = None) -> list[Path]:
        """Local copies of the current files of ``periods`` (``YYYY-MM``; None = every period)."""
        wanted_periods = None if periods is None else sorted(set(periods))
        for period in wanted_periods or ():
            if not _PERIOD.match(period):
                raise ValueError(f"billing period {period!r} is not YYYY-MM")
        with self._lock:
            try:
                paths = self._sync(wanted_periods)
            except OSError as exc:
                # The local side failed (disk full, cache folder not writable): a typed cost
                # data error, so a budget alert still posts, without drivers, and the digest
                # reports "cost data unavailable" instead of crashing on a bare OSError.
                raise CostDataError(
                    f"cannot cache the FOCUS data of {self.location} in {self.root}: {exc}"
                ) from exc
        return sorted(paths)

    def _sync(self, wanted_periods: Sequence[str] | None) -> list[Path]:
        listing = {info.key: info for info in self.store.list(self._list_prefix())}
        paths: list[Path] = []
        for key in sorted(listing):
            found = _POINTER_KEY.search(key)
            if found is None or (
                wanted_periods is not None and found["period"] not in wanted_periods
            ):
                continue
            paths.extend(self._sync_export(key, listing))
        self._drop_unnamed(set(paths), wanted_periods)
        return paths

    def read_with_resync(
        self, periods: Iterable[str] | None, read: Callable[[list[Path]], _T]
    ) -> _T:
        """``read(files(periods))``, re-synced once if a file vanished under the reader.

        The window: between our ``files()`` and DuckDB opening them, another process sharing the
        cache may replace a period and delete the old run's files. The retry then reads the new.
        """
        wanted = None if periods is None else list(periods)
        paths = self.files(wanted)
        try:
            return read(paths)
        except CostDataError:
            if all(path.exists() for path in paths):
                raise
            log.info("a cached FOCUS file was replaced while being read; syncing again")
            return read(self.files(wanted))

    # -- internals ----------------------------------------------------------------------------
    def _list_prefix(self) -> str:
        return f"{self.prefix}/" if self.prefix else ""

    def _sync_export(self, pointer_key: str, listing: dict[str, ObjectInfo]) -> list[Path]:
        pointer = self._pointer(pointer_key, listing[pointer_key])
        for _attempt in range(_DOWNLOAD_ATTEMPTS):
            if pointer is None:
                return []  # the export folder was deleted since we listed it
            try:
                return [self._cached(key, listing.get(key)) for key in pointer.files]
            except ObjectNotFoundError:
                # Swapped by a newer run (which deleted this run's files): follow the new one.
                self._pointers.pop(pointer_key, None)
                found = read_pointer(self.store, pointer_key)
                pointer = None if found is None else found[0]
                if found is not None:
                    self._pointers[pointer_key] = (found[1].version, found[0])
        raise CostDataError(
            f"{self.store.location}/{pointer_key}: its files kept disappearing while being "
            f"downloaded ({_DOWNLOAD_ATTEMPTS} tries); the period is being republished"
        )

    def _pointer(self, key: str, info: ObjectInfo) -> Pointer | None:
        """The pointer, read again only when its version changed since the last sync."""
        remembered = self._pointers.get(key)
        if remembered is not None and remembered[0] == info.version:
            return remembered[1]
        found = read_pointer(self.store, key)
        if found is None:
            self._pointers.pop(key, None)
            return None
        pointer, read_info = found
        self._pointers[key] = (read_info.version, pointer)
        return pointer

    def _local_path(self, key: str) -> Path:
        relative = key[len(self.prefix) + 1 :] if self.prefix else key
        parts = [part for part in relative.split("/") if part not in ("", ".", "..")]
        return self.root.joinpath(*parts)

    def _cached(self, key: str, info: ObjectInfo | None) -> Path:
        path = self._local_path(key)
        with contextlib.suppress(FileNotFoundError):
            size = path.stat().st_size
            if info is None or size == info.size:
                return path  # run-unique key: the bytes cannot have changed
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f"{_TEMP_PREFIX}{uuid.uuid4().hex}")
        try:
            self.store.download(key, temp)
            os.replace(temp, path)  # a concurrent reader sees the whole file or none
        finally:
            temp.unlink(missing_ok=True)
        self.downloads += 1
        log.debug("cached %s/%s", self.store.location, key)
        return path

    def _drop_unnamed(self, keep: set[Path], periods: Sequence[str] | None) -> None:
        """Delete cached files of the synced periods that no current pointer names."""
        if not self.root.is_dir():
            return
        for folder, _dirs, names in os.walk(self.root, topdown=False):
            here = Path(folder)
            period = _period_of(here.relative_to(self.root))
            if period is not None and (periods is None or period in periods):
                for name in names:
                    if here / name not in keep and not name.startswith(_TEMP_PREFIX):
                        (here / name).unlink(missing_ok=True)
                        log.debug("dropped %s from the cost data cache", here / name)
            if here != self.root:
                with contextlib.suppress(OSError):
                    here.rmdir()  # only succeeds when empty


def _period_of(relative: Path) -> str | None:
    for part in relative.parts:
        found = _PERIOD_DIR.match(part)
        if found:
            return found[1]
    return None


def billing_periods(start: date, end: date) -> list[str]:
    """The ``YYYY-MM`` billing periods that may hold charges of ``[start, end)``.

    One month of slack on each side, as the allocator's partition pruning assumes: an export may
    date a period by its end, and late corrections land in the next invoice month.
    """
    first = _add_months(start.replace(day=1), -1)
    last = _add_months(max(start, _day_before(end)).replace(day=1), 1)
    periods: list[str] = []
    month = first
    while month <= last:
        periods.append(f"{month:%Y-%m}")
        month = _add_months(month, 1)
    return periods


def _day_before(day: date) -> date:
    return date.fromordinal(day.toordinal() - 1)


def _add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


@dataclass
class PublishedCostDrivers:
    """``CostDrivers`` over published FOCUS data: the alert's months, synced then queried."""

    data: PublishedFocusData
    by: DriverKind = "service"

    def top_drivers(
        self,
        *,
        provider: str,
        scope: str | None,
        period_start: date | None,
        limit: int = 5,
        period_end: date | None = None,
    ) -> tuple[CostDriver, ...] | None:
        if not scope or not scope.strip():
            return None  # nothing to look up: no download for an alert without a scope
        periods = None  # no period: FocusCostDrivers picks the scope's latest month
        if period_start is not None:
            end = period_end or _add_months(period_start.replace(day=1), 1)
            periods = billing_periods(period_start, end)

        def read(paths: list[Path]) -> tuple[CostDriver, ...] | None:
            if not paths:
                return None  # nothing published for these months: no drivers section
            drivers = FocusCostDrivers(paths, by=self.by)
            try:
                return drivers.top_drivers(
                    provider=provider,
                    scope=scope,
                    period_start=period_start,
                    limit=limit,
                    period_end=period_end,
                )
            finally:
                drivers.close()

        return self.data.read_with_resync(periods, read)


@dataclass
class PublishedAllocatedCostData:
    """The digest's ``AllocatedCostData`` over published FOCUS data (``FocusAllocator``)."""

    data: PublishedFocusData

    def allocated_costs(
        self,
        policy: Policy,
        *,
        start: date,
        end: date,
        resources_from: date | None = None,
        top: int = 5,
    ) -> AllocatedCosts:
        from costwarden.focus.allocation import FocusAllocator

        periods = billing_periods(start, end)

        def read(paths: list[Path]) -> AllocatedCosts:
            if not paths:
                raise CostDataError(
                    f"no FOCUS data is published in {self.data.location} for the billing "
                    f"periods {periods[0]} to {periods[-1]}: has an export arrived yet?"
                )
            return FocusAllocator(paths).allocated_costs(
                policy, start=start, end=end, resources_from=resources_from, top=top
            )

        return self.data.read_with_resync(periods, read)
