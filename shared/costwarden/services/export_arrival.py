"""Export arrival service: one billing-export manifest in, that period's FOCUS Parquet published.

Storage notifications are at-least-once on every cloud, AWS refreshes an export daily and may
restate a closed month, Azure re-runs exports, and our Google script re-exports the month. The
contract: **each export's period exists exactly once in the output, from its newest execution.**

1. Ignore objects that are not manifests (data files, our own output, price sheets), saying why.
2. Read the manifest; claim ``export/…/<period>/<execution id>`` in the state store. A
   redelivery finds it done and costs one small read; a restatement is a new execution.
3. Check every listed file exists (and the total size fits one function) *before* writing
   anything; download them to a temporary folder; convert to FOCUS with the ``Converter``.
4. Check the result: only the manifest's period, and as many rows as the export says it wrote.
5. Publish (``export_publish``): upload under a fresh run folder, swap the period's pointer,
   delete the replaced run. Any failure before the swap leaves the old period untouched.
6. Complete the claim; on failure release it and re-raise, so the platform's retry starts over.

The service never imports the FOCUS engine or a cloud SDK: the composition root hands it the
converter and stores.
"""

from __future__ import annotations

import logging
import re
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from hashlib import sha256
from pathlib import Path, PurePosixPath
from typing import Literal, NoReturn, Protocol

from costwarden.errors import CostwardenError
from costwarden.models.export import ExportArrived, ExportObject, SourceKind
from costwarden.normalize.export import NotCostData, is_data_file, read_manifest
from costwarden.ports import ClaimStatus, Clock, StateStore
from costwarden.ports_storage import ObjectInfo, ObjectStore, SourceStores, join_key
from costwarden.services.export_publish import (
    POINTER_NAME,
    Pointer,
    delete_quietly,
    export_prefix,
    run_file_key,
    swap_pointer,
    sweep_orphan_runs,
)

log = logging.getLogger(__name__)

#: How long a claim stays exclusive: at least the function's timeout (Lambda's maximum is
#: 15 min), so a live conversion is never doubled, yet a crashed one is retried the same day.
DEFAULT_LEASE = timedelta(minutes=15)

Status = Literal["published", "duplicate", "ignored", "superseded"]


class ExportInProgressError(CostwardenError):
    """Another invocation holds the claim for this export; the platform should retry later."""


class ExportRewriteInProgressError(ExportInProgressError):
    """A data file is newer than the manifest: the export is being rewritten in place (AWS's
    overwrite mode refreshes the parts, then the manifest). Retry later, when the manifest
    (re-read on every attempt) names the refresh the parts belong to."""


class ExportDataError(CostwardenError):
    """The export's files do not match its manifest: missing, the wrong period, fewer rows."""


class ExportTooLargeError(CostwardenError):
    """The export is larger than this deployment lets one function convert."""


@dataclass(frozen=True)
class ConvertedPeriod:
    provider: str  # aws | azure | gcp, the partition value
    billing_period: str  # YYYY-MM
    rows: int
    billed_cost: Decimal
    files: tuple[Path, ...]


@dataclass(frozen=True)
class Conversion:
    """``rows`` FOCUS rows written; ``source_rows`` raw rows read, when asked for (a mapping may
    add rows, e.g. the unused part of a commitment, so only these compare with the count an
    export declares)."""

    rows: int
    periods: tuple[ConvertedPeriod, ...]
    source_rows: int | None = None


class Converter(Protocol):
    """Raw export files -> FOCUS Parquet under ``output`` (a directory), one entry per period.

    ``count_source_rows`` asks for ``Conversion.source_rows`` (it may cost another read of the
    input). Raises a ``CostwardenError`` naming the file and the problem for bad input.
    """

    def __call__(
        self,
        source: SourceKind,
        inputs: Sequence[Path],
        *,
        output: Path,
        count_source_rows: bool = False,
    ) -> Conversion: ...


@dataclass(frozen=True)
class ExportOutcome:
    """What happened to one created object; handlers log it and count it as a metric."""

    status: Status
    object_url: str
    reason: str | None = None
    provider: str | None = None
    billing_period: str | None = None
    source: str | None = None
    execution_id: str | None = None
    run_id: str | None = None
    rows: int | None = None
    billed_cost: str | None = None
    pointer: str | None = None

    def as_log(self) -> dict[str, str | int | None]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def process_export_object(
    obj: ExportObject,
    *,
    sources: SourceStores,
    output: ObjectStore,
    output_prefix: str,
    state: StateStore,
    convert: Converter,
    clock: Clock,
    invocation_id: str,
    lease: timedelta = DEFAULT_LEASE,
    max_input_bytes: int | None = None,
    work_dir: Path | None = None,
) -> ExportOutcome:
    """Convert and publish the export ``obj`` is the manifest of, at most once per execution.

    Raises ``ExportInProgressError`` while another invocation converts the same execution,
    ``ExportDataError`` / ``ExportTooLargeError`` / the converter's error when the export cannot
    be published (the old period stays as it was), ``PayloadError`` for a malformed manifest.
    """
    if not obj.is_manifest:
        return ExportOutcome("ignored", obj.url, reason=obj.ignored_reason)
    source = sources(obj)
    body, manifest_info = source.read(obj.key)
    try:
        arrived = read_manifest(obj, body)
    except NotCostData as exc:
        return ExportOutcome("ignored", obj.url, reason=str(exc))

    key = arrived.dedup_key
    claim = state.claim(key, owner=invocation_id, now=clock.now(), lease=lease)
    if claim.status is ClaimStatus.DONE:
        data = claim.record.data if claim.record else {}
        return _outcome(
            "duplicate", obj, arrived, run_id=data.get("run_id"), pointer=data.get("pointer")
        )
    if claim.status is ClaimStatus.BUSY:
        raise ExportInProgressError(f"{key} is being converted by another invocation")

    try:
        job = _Job(arrived, obj, source, manifest_info, output, output_prefix, clock)
        outcome = job.run(convert, max_input_bytes=max_input_bytes, work_dir=work_dir)
    except _ManifestChanged as changed:
        # Not done: if the rewrite kept the execution id, its notification must find it free.
        state.release(key, owner=invocation_id)
        return changed.outcome
    except BaseException:
        state.release(key, owner=invocation_id)
        raise
    state.complete(
        key,
        owner=invocation_id,
        data={k: str(v) for k, v in outcome.as_log().items() if k in _CLAIM_FIELDS},
    )
    return outcome


_CLAIM_FIELDS = ("status", "run_id", "rows", "pointer")


class _ManifestChanged(Exception):
    """Control flow inside this module: the export changed under us, stand down."""

    def __init__(self, outcome: ExportOutcome) -> None:
        super().__init__(outcome.reason)
        self.outcome = outcome


@dataclass
class _Job:
    arrived: ExportArrived
    obj: ExportObject
    source: ObjectStore
    manifest_info: ObjectInfo
    output: ObjectStore
    output_prefix: str
    clock: Clock

    def run(
        self, convert: Converter, *, max_input_bytes: int | None, work_dir: Path | None
    ) -> ExportOutcome:
        files = self._present_files(max_input_bytes)
        with tempfile.TemporaryDirectory(prefix="costwarden-export-", dir=work_dir) as tmp:
            inputs = self._download(files, Path(tmp) / "in")
            if not self._manifest_unchanged():
                self._stand_down("the manifest was rewritten while we read the export")
            conversion = (
                convert(
                    self.arrived.source,
                    inputs,
                    output=Path(tmp) / "out",
                    count_source_rows=self.arrived.expected_rows is not None,
                )
                if inputs
                else Conversion(rows=0, periods=(), source_rows=0)
            )
            period = self._checked(conversion)
            return self._publish(period)

    # -- 3. inputs ------------------------------------------------------------------------------
    def _present_files(self, max_input_bytes: int | None) -> list[ObjectInfo]:
        arrived = self.arrived
        if arrived.list_prefix is not None:
            listed = [
                info
                for info in self.source.list(arrived.list_prefix)
                if "/" not in info.key[len(arrived.list_prefix) :]
                and is_data_file(info.key, arrived.manifest_key)
            ]
            found = sorted(listed, key=lambda info: info.key)
        else:
            heads = {key: self.source.head(key) for key in arrived.data_files}
            missing = [key for key, info in heads.items() if info is None]
            if missing:
                raise ExportDataError(
                    f"{self.obj.url} lists {len(missing)} data file(s) that do not exist in "
                    f"{self.source.location}: {', '.join(missing[:5])}"
                    + (" ..." if len(missing) > 5 else "")
                )
            found = [info for info in heads.values() if info is not None]
        total = sum(info.size for info in found)
        if max_input_bytes is not None and total > max_input_bytes:
            raise ExportTooLargeError(
                f"{self.obj.url}: {len(found)} file(s), {total / 2**30:.2f} GiB, exceed this "
                f"function's limit of {max_input_bytes / 2**30:.2f} GiB; convert it on a "
                "warehouse engine instead (`costwarden focus sql --dialect ...`, "
                "docs/billing-exports.md)"
            )
        return found

    def _download(self, files: Sequence[ObjectInfo], folder: Path) -> list[Path]:
        """Download ``files`` as listed, or stand down when the export is being rewritten.

        AWS's overwrite mode rewrites the data files in place, then the manifest, on every
        refresh: the manifest's version alone cannot tell that part 1 was read before a rewrite
        and part 2 after it (a mix of two refreshes). So every file must be the version listed,
        and none may be newer than the manifest (written after its data files, so a newer part
        belongs to a refresh whose manifest is still to come: retried, not published). A file
        rewritten during the download stands down like a rewritten manifest does.
        """
        manifest_time = self.manifest_info.updated
        newer = [info.key for info in files if info.updated > manifest_time]
        if newer:
            raise ExportRewriteInProgressError(
                f"{self.obj.url}: {newer[0]} is newer than the manifest, so the export is being "
                "rewritten (a refresh writes its parts, then its manifest); nothing was "
                "published, retry later"
            )
        folder.mkdir(parents=True)
        paths: list[Path] = []
        for index, info in enumerate(files):
            # Index first: two parts may share a base name in different folders.
            path = folder / f"{index:05d}-{PurePosixPath(info.key).name}"
            got = self.source.download(info.key, path)
            if got.version != info.version:
                self._stand_down(f"{info.key} was rewritten while we read the export")
            paths.append(path)
        return paths

    def _stand_down(self, why: str) -> NoReturn:
        raise _ManifestChanged(
            _outcome(
                "superseded",
                self.obj,
                self.arrived,
                reason=f"{why}; the refresh's own manifest notification brings the newer data",
            )
        )

    def _manifest_unchanged(self) -> bool:
        """AWS's overwrite mode rewrites data files and manifest in place on every refresh."""
        now = self.source.head(self.obj.key)
        return now is not None and now.version == self.manifest_info.version

    # -- 4. checks ------------------------------------------------------------------------------
    def _checked(self, conversion: Conversion) -> ConvertedPeriod:
        arrived = self.arrived
        wanted = (arrived.provider, arrived.billing_period)
        others = sorted(
            f"{p.provider}/{p.billing_period}"
            for p in conversion.periods
            if (p.provider, p.billing_period) != wanted
        )
        if others:
            # Publishing them would replace another period's full data with this fragment.
            raise ExportDataError(
                f"{self.obj.url} is the {arrived.billing_period} export but its rows also "
                f"belong to billing period(s) {', '.join(others)}; nothing was published"
            )
        expected = arrived.expected_rows
        if expected is not None and conversion.source_rows is None:
            raise ExportDataError(f"the converter did not count the rows {self.obj.url} declares")
        if expected is not None and conversion.source_rows != expected:
            raise ExportDataError(
                f"{self.obj.url} declares {expected} rows but its data files hold "
                f"{conversion.source_rows}; a part is missing or truncated, nothing was published"
            )
        for period in conversion.periods:
            return period
        return ConvertedPeriod(
            provider=arrived.provider,
            billing_period=arrived.billing_period,
            rows=0,
            billed_cost=Decimal(0),
            files=(),
        )

    # -- 5. publish -----------------------------------------------------------------------------
    def _publish(self, period: ConvertedPeriod) -> ExportOutcome:
        arrived, output = self.arrived, self.output
        now = self.clock.now()
        run_id = f"{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
        folder = export_prefix(
            self.output_prefix, arrived.provider, arrived.billing_period, export_id(arrived)
        )
        uploaded: list[str] = []
        try:
            for index, path in enumerate(sorted(period.files)):
                key = run_file_key(folder, run_id, index)
                output.upload(path, key, content_type="application/vnd.apache.parquet")
                uploaded.append(key)
            pointer = Pointer(
                provider=arrived.provider,
                billing_period=arrived.billing_period,
                export=export_id(arrived),
                run_id=run_id,
                execution_id=arrived.execution_id,
                source=arrived.source,
                as_of=self.manifest_info.updated,
                published_at=now,
                manifest=self.obj.url,
                rows=period.rows,
                billed_cost=str(period.billed_cost),
                store=output.location,
                files=tuple(uploaded),
            )
            swap = swap_pointer(output, join_key(folder, POINTER_NAME), pointer)
        except BaseException:
            delete_quietly(output, uploaded)  # the old pointer still names the old run
            raise
        pointer_url = f"{output.location}/{join_key(folder, POINTER_NAME)}"
        if swap.status == "superseded":
            delete_quietly(output, uploaded)
            return _outcome(
                "superseded",
                self.obj,
                arrived,
                run_id=run_id,
                pointer=pointer_url,
                reason=f"a newer execution ({swap.current.execution_id}) is already published",
            )
        keep = {run_id}
        if swap.previous is not None:
            delete_quietly(output, sorted(set(swap.previous.files) - set(uploaded)))
        sweep_orphan_runs(output, folder, keep=keep, now=now)
        return _outcome(
            "published",
            self.obj,
            arrived,
            run_id=run_id,
            pointer=pointer_url,
            rows=period.rows,
            billed_cost=str(period.billed_cost),
        )


def export_id(arrived: ExportArrived) -> str:
    """A readable, collision-free folder name for one export: its name and a short hash of
    where it lives, so two exports both named ``cur2`` in different buckets stay apart."""
    slug = re.sub(r"[^a-z0-9._-]+", "-", arrived.export_name.lower()).strip("-.") or "export"
    where = f"{arrived.provider}|{arrived.store_url}|{arrived.export_root}"
    return f"{slug[:60]}-{sha256(where.encode()).hexdigest()[:8]}"


def _outcome(
    status: Status,
    obj: ExportObject,
    arrived: ExportArrived,
    *,
    run_id: str | None = None,
    pointer: str | None = None,
    rows: int | None = None,
    billed_cost: str | None = None,
    reason: str | None = None,
) -> ExportOutcome:
    return ExportOutcome(
        status=status,
        object_url=obj.url,
        reason=reason,
        provider=arrived.provider,
        billing_period=arrived.billing_period,
        source=arrived.source,
        execution_id=arrived.execution_id,
        run_id=run_id,
        rows=rows,
        billed_cost=billed_cost,
        pointer=pointer,
    )
