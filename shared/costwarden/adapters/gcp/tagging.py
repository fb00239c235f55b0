"""Google Cloud labels of one project: tag remediation's ``TagInventory`` and ``TagWriter``.

Real clients: google-cloud-compute and google-cloud-resource-manager on their REST transports
(``transport="rest"``; Compute has no gRPC API), google-cloud-storage (JSON API). Design points:

- Listing is per service: Compute ``instances.aggregatedList`` and ``disks.aggregatedList`` (every
  zone and region, ``maxResults`` pages) and Cloud Storage ``buckets.list``. Not Cloud Asset
  Inventory: google-cloud-asset is not a dependency, and the Asset API must be enabled (and is
  normally granted) at organisation level; it is the scale-out path (one ``searchAllResources``
  over many projects, labels included) once more resource types or projects are swept. A listing
  naming ``unreachables``, or failing once ``RetrySettings``' back-off for 429/5xx is spent,
  raises ``CloudApiError``: a partial or throttled listing never passes for the whole estate.
- Identities are the audit-log ``resourceName`` forms (``projects/p/zones/z/instances/n``,
  ``projects/p/zones/z/disks/d``, ``projects/p/regions/r/disks/d``, ``projects/_/buckets/b``),
  so a creation event's id reads back directly; types are Cloud Asset names.
- Parent: the project's labels (Resource Manager v3 ``projects.get``), read once per run.
- Compute labels are replaced as a whole: ``setLabels`` carries the full new map (current + set -
  remove) and the ``labelFingerprint`` read with it. A stale fingerprint fails with 412
  ``conditionNotMet``; the resource is re-read and the write tried once more on the fresh labels,
  where any key another writer changed in between keeps *their* value (the creator wins). The
  check is synchronous, so the returned operation is not polled (a setLabels accepted with a
  valid fingerprint has nothing left to fail on; polling would double a sweep's calls). Retrying
  a 429/5xx is safe for the same reason: a replay meets a new fingerprint, re-reads, and finds
  nothing to change.
- Buckets: ``buckets.patch`` of ``labels`` (merge semantics; removed keys sent as null) with
  ``ifMetagenerationMatch`` of the metageneration read; 412 -> re-read, retry once, same rule.
- Label rules are enforced before any call (Google: keys and values of lowercase ``[a-z0-9_-]``,
  at most 63 characters, keys start with a letter, at most 64 labels): a write breaking them
  fails that resource with the reason. One outcome per write; nothing raises for one resource.
- No batch: ``instances.setLabels`` and ``buckets.patch`` address one resource each. Compute has
  ``disks.bulkSetLabels`` (one zone, many disks), but its ``BulkSetLabelsRequest`` in
  google-cloud-compute 1.57 has no field naming the disk, so it cannot be used through the
  installed client; writes go one resource at a time.

IAM permissions (a custom role on the project): compute.instances.list, compute.instances.get,
compute.instances.setLabels, compute.disks.list, compute.disks.get, compute.disks.setLabels,
storage.buckets.list, storage.buckets.get, storage.buckets.update, resourcemanager.projects.get.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from google.api_core import exceptions as api_exceptions
from google.auth.credentials import Credentials
from google.cloud import compute_v1, resourcemanager_v3, storage

from costwarden.adapters.gcp.gce_compute import API_ERRORS, DEFAULT_RETRY, RetrySettings
from costwarden.errors import CloudApiError
from costwarden.ports_tagging import ParentTags, TaggedResource, TagOutcome, TagWrite
from costwarden.tagging.cloud_rules import CLOUD_LIMITS

logger = logging.getLogger(__name__)

INSTANCE = "compute.googleapis.com/Instance"
DISK = "compute.googleapis.com/Disk"
BUCKET = "storage.googleapis.com/Bucket"
SUPPORTED_TYPES = (INSTANCE, DISK, BUCKET)

_LIMITS = CLOUD_LIMITS["gcp"]
# Google label syntax (Compute and Cloud Storage alike); international lowercase letters are
# also allowed by Google, but the policy's label mapping never produces them.
_KEY = re.compile(rf"[a-z][a-z0-9_-]{{0,{_LIMITS.max_key - 1}}}")
_VALUE = re.compile(rf"[a-z0-9_-]{{0,{_LIMITS.max_value}}}")
_COMPUTE_ID = re.compile(r"^projects/([^/]+)/(zones|regions)/([^/]+)/(instances|disks)/([^/]+)$")
_BUCKET_ID = re.compile(r"^projects/_/buckets/([^/]+)$")
_Labels = dict[str, str]


@dataclass(frozen=True, slots=True)
class _Ref:
    kind: str  # INSTANCE | DISK | BUCKET
    scope: str  # "zones" | "regions" | "" (bucket)
    location: str
    name: str

    @property
    def zonal(self) -> bool:
        return self.scope == "zones"


class GcpLabelClients:
    """The REST clients of one project, shared by the inventory and the writer of a run.

    ``credentials`` None: Application Default Credentials. The endpoints override the public
    ones (``http://127.0.0.1:PORT`` in tests). ``retry``: back-off of every call for 429/5xx.
    """

    def __init__(
        self,
        project: str,
        *,
        credentials: Credentials | None = None,
        compute_endpoint: str | None = None,
        storage_endpoint: str | None = None,
        resource_manager_endpoint: str | None = None,
        retry: RetrySettings = DEFAULT_RETRY,
        page_size: int = 500,
        call_timeout: float = 60.0,
    ) -> None:
        self.project = project

        def options(endpoint: str | None) -> dict[str, str] | None:
            return {"api_endpoint": endpoint} if endpoint else None

        compute = options(compute_endpoint)
        self.instances = compute_v1.InstancesClient(
            credentials=credentials, transport="rest", client_options=compute
        )
        self.disks = compute_v1.DisksClient(
            credentials=credentials, transport="rest", client_options=compute
        )
        self.region_disks = compute_v1.RegionDisksClient(
            credentials=credentials, transport="rest", client_options=compute
        )
        self.projects = resourcemanager_v3.ProjectsClient(
            credentials=credentials,
            transport="rest",
            client_options=options(resource_manager_endpoint),
        )
        self.storage: Any = storage.Client(
            project=project, credentials=credentials, client_options=options(storage_endpoint)
        )
        self.retry = retry.retry()
        # maxResults of every listing: Compute caps it at 500 (Cloud Storage at 1,000).
        self.page_size = min(max(page_size, 1), 500)
        self.timeout = call_timeout

    def call(self, what: str, send: Callable[[], Any]) -> Any:
        try:
            return send()
        except API_ERRORS as exc:
            raise CloudApiError(f"{what} failed: {exc}") from exc

    # -- one resource ----------------------------------------------------------------------
    def get(self, ref: _Ref) -> TaggedResource | None:
        """A fresh copy, or None when it no longer exists."""
        kw: dict[str, Any] = {"retry": self.retry, "timeout": self.timeout}
        p = self.project
        try:
            if ref.kind == BUCKET:
                return self.bucket(self.storage.get_bucket(ref.name, **kw))
            if ref.kind == INSTANCE:
                found = self.instances.get(project=p, zone=ref.location, instance=ref.name, **kw)
            elif ref.zonal:
                found = self.disks.get(project=p, zone=ref.location, disk=ref.name, **kw)
            else:
                found = self.region_disks.get(project=p, region=ref.location, disk=ref.name, **kw)
        except api_exceptions.NotFound:
            return None
        except API_ERRORS as exc:
            raise CloudApiError(f"reading {resource_id(p, ref)} failed: {exc}") from exc
        return self.compute(ref, found)

    def put(self, ref: _Ref, current: Mapping[str, str], new: _Labels, fingerprint: str) -> None:
        """One label write, conditional on ``fingerprint``; raises the API's error."""
        kw: dict[str, Any] = {"retry": self.retry, "timeout": self.timeout}
        p, where, name = self.project, ref.location, ref.name
        if ref.kind == BUCKET:
            bucket = self.storage.bucket(name)
            bucket.labels = dict(current)  # then the new map: the library sends removals as null
            bucket.labels = new
            bucket.patch(if_metageneration_match=int(fingerprint), **kw)
        elif ref.kind == INSTANCE:
            body = compute_v1.InstancesSetLabelsRequest(label_fingerprint=fingerprint, labels=new)
            self.instances.set_labels_unary(
                project=p,
                zone=where,
                instance=name,
                instances_set_labels_request_resource=body,
                **kw,
            )
        elif ref.zonal:
            zonal = compute_v1.ZoneSetLabelsRequest(label_fingerprint=fingerprint, labels=new)
            self.disks.set_labels_unary(
                project=p, zone=where, resource=name, zone_set_labels_request_resource=zonal, **kw
            )
        else:
            regional = compute_v1.RegionSetLabelsRequest(label_fingerprint=fingerprint, labels=new)
            self.region_disks.set_labels_unary(
                project=p,
                region=where,
                resource=name,
                region_set_labels_request_resource=regional,
                **kw,
            )

    # -- wire objects -> TaggedResource ----------------------------------------------------
    def compute(self, ref: _Ref, found: Any) -> TaggedResource:
        return TaggedResource(
            cloud="gcp",
            account=self.project,
            region=ref.location,
            resource_id=resource_id(self.project, ref),
            resource_type=ref.kind,
            tags=MappingProxyType(dict(found.labels)),
            name=found.name,
            fingerprint=found.label_fingerprint,
        )

    def bucket(self, bucket: Any) -> TaggedResource:
        location = str(bucket.location or "").lower() or None  # "EUROPE-WEST1" -> region style
        return TaggedResource(
            cloud="gcp",
            account=self.project,
            region=location,
            resource_id=f"projects/_/buckets/{bucket.name}",
            resource_type=BUCKET,
            tags=MappingProxyType(dict(bucket.labels or {})),
            name=bucket.name,
            fingerprint=None if bucket.metageneration is None else str(bucket.metageneration),
        )


class GcpTagInventory:
    """``TagInventory`` for one project: instances, disks and buckets with their labels."""

    def __init__(self, clients: GcpLabelClients, *, parent_kinds: Collection[str] = ("project",)):
        self._c = clients
        self._parent_kinds = frozenset(parent_kinds)
        self._project_labels: ParentTags | None = None

    def list_resources(self) -> list[TaggedResource]:
        c = self._c
        found = self._aggregated(INSTANCE, c.instances, compute_v1.AggregatedListInstancesRequest)
        found += self._aggregated(DISK, c.disks, compute_v1.AggregatedListDisksRequest)
        call = f"storage buckets.list(project={c.project})"
        buckets: list[TaggedResource] = c.call(
            call,
            lambda: [
                c.bucket(b)
                for b in c.storage.list_buckets(
                    project=c.project, page_size=c.page_size, retry=c.retry, timeout=c.timeout
                )
            ],
        )
        return found + buckets

    def _aggregated(self, kind: str, client: Any, request_type: Any) -> list[TaggedResource]:
        c = self._c
        noun = "instances" if kind == INSTANCE else "disks"
        call = f"compute {noun}.aggregatedList(project={c.project})"
        request = request_type(project=c.project, max_results=c.page_size)

        def walk() -> list[TaggedResource]:
            out: list[TaggedResource] = []
            pager = client.aggregated_list(request=request, retry=c.retry, timeout=c.timeout)
            for page in pager.pages:  # the pager re-sends the request with each pageToken
                if page.unreachables:
                    raise CloudApiError(
                        f"{call} could not reach {', '.join(page.unreachables)}: "
                        "refusing a partial listing"
                    )
                for scope, scoped in page.items.items():
                    where, _, location = scope.partition("/")  # "zones/europe-west1-b"
                    for item in getattr(scoped, noun):
                        out.append(c.compute(_Ref(kind, where, location, item.name), item))
            return out

        result: list[TaggedResource] = c.call(call, walk)
        return result

    def read(self, resource_ids: Sequence[str]) -> list[TaggedResource]:
        """Fresh copies; missing resources, other projects' and unknown forms are left out."""
        out: list[TaggedResource] = []
        for value in dict.fromkeys(resource_ids):
            ref = parse_resource_id(value, self._c.project)
            if ref is None:
                logger.warning("not a resource of project %s: %s", self._c.project, value)
                continue
            if (fresh := self._c.get(ref)) is not None:
                out.append(fresh)
        return out

    def parents(self, resource: TaggedResource) -> list[ParentTags]:
        """The project and its labels, read once per run."""
        if "project" not in self._parent_kinds:
            return []
        if self._project_labels is None:
            c = self._c
            project = c.call(
                f"resourcemanager projects.get({c.project})",
                lambda: c.projects.get_project(
                    name=f"projects/{c.project}", retry=c.retry, timeout=c.timeout
                ),
            )
            labels = MappingProxyType(dict(project.labels))
            self._project_labels = ParentTags("project", project.project_id or c.project, labels)
        return [self._project_labels]


class GcpTagWriter:
    """``TagWriter`` for one project: one conditional label write per resource."""

    def __init__(self, clients: GcpLabelClients) -> None:
        self._c = clients

    def write(self, writes: Sequence[TagWrite]) -> list[TagOutcome]:
        return [self._one(w) for w in writes]

    def _one(self, write: TagWrite) -> TagOutcome:
        ref = parse_resource_id(write.resource.resource_id, self._c.project)
        if ref is None:
            return TagOutcome(write, "failed", f"not a resource of project {self._c.project}")
        if problem := label_problem(write.set.items()):
            return TagOutcome(write, "failed", f"refused before writing: {problem}")
        try:
            return self._apply(write, ref)
        except (CloudApiError, ValueError, *API_ERRORS) as exc:  # ValueError: a bad fingerprint
            return TagOutcome(write, "failed", str(exc))

    def _apply(self, write: TagWrite, ref: _Ref) -> TagOutcome:
        current = write.resource
        if current.fingerprint is None:  # not read with its fingerprint: read it now
            current = self._c.get(ref) or current
        outcome = self._attempt(write, ref, current, last=False)
        if outcome is None:  # someone else wrote labels in between: rebase on theirs, once
            fresh = self._c.get(ref)
            outcome = (
                self._attempt(write, ref, fresh, last=True)
                if fresh is not None
                else TagOutcome(write, "failed", "the resource no longer exists")
            )
        return outcome or TagOutcome(write, "failed", "labels changed twice while writing")

    def _attempt(
        self, write: TagWrite, ref: _Ref, current: TaggedResource, *, last: bool
    ) -> TagOutcome | None:
        """One conditional write; None: the precondition failed and ``last`` is False."""
        new, kept = rebase(write, current.tags)
        note = f"kept {', '.join(kept)} set by another writer" if kept else ""
        failure = None
        if current.fingerprint is None:
            failure = "no label fingerprint / metageneration was read"
        elif problem := label_problem((), total=len(new)):
            failure = f"refused before writing: {problem}"
        elif new == dict(current.tags):
            return TagOutcome(write, "done", note or "labels already as wanted")
        else:
            try:
                self._c.put(ref, current.tags, new, current.fingerprint)
            except api_exceptions.NotFound:
                failure = "the resource no longer exists"
            except API_ERRORS as exc:
                if not last and _precondition_failed(exc):
                    return None
                failure = f"label write failed: {exc}"
        if failure:
            return TagOutcome(write, "failed", failure)
        return TagOutcome(write, "done", note)


def rebase(write: TagWrite, labels: Mapping[str, str]) -> tuple[_Labels, list[str]]:
    """The full label map after ``write`` on ``labels`` (as read now).

    A key whose value changed since the write was computed (``write.resource.tags``) belongs to
    whoever changed it: it is neither overwritten nor removed. Returns the keys so kept.
    """
    before = write.resource.tags
    kept = sorted(k for k in {*write.set, *write.remove} if labels.get(k) != before.get(k))
    new = {k: v for k, v in labels.items() if k not in write.remove or k in kept}
    new.update({k: v for k, v in write.set.items() if k not in kept})
    return new, kept


def label_problem(labels: Iterable[tuple[str, str]], *, total: int = 0) -> str | None:
    """Why these labels (or a map of ``total`` labels) cannot be written, or None."""
    for key, value in labels:
        if not _KEY.fullmatch(key):
            return (
                f"label key {key!r} is not lowercase [a-z0-9_-], at most {_LIMITS.max_key} "
                "characters, starting with a letter"
            )
        if not _VALUE.fullmatch(value):
            return (
                f"label {key}={value!r}: values are lowercase [a-z0-9_-], at most "
                f"{_LIMITS.max_value} characters"
            )
    if total > _LIMITS.max_tags:
        return f"{total} labels exceed Google's limit of {_LIMITS.max_tags}"
    return None


def parse_resource_id(value: str, project: str) -> _Ref | None:
    """An audit-log resourceName (or Cloud Asset name) of ``project``, or None."""
    if value.startswith("//"):  # //compute.googleapis.com/projects/...
        value = value[2:].partition("/")[2]
    if match := _BUCKET_ID.match(value):
        return _Ref(BUCKET, "", "", match[1])
    match = _COMPUTE_ID.match(value)
    if match is None or match[1] != project:
        return None
    scope, location, collection, name = match[2], match[3], match[4], match[5]
    if collection == "instances":
        return _Ref(INSTANCE, scope, location, name) if scope == "zones" else None
    return _Ref(DISK, scope, location, name)


def resource_id(project: str, ref: _Ref) -> str:
    if ref.kind == BUCKET:
        return f"projects/_/buckets/{ref.name}"
    collection = "instances" if ref.kind == INSTANCE else "disks"
    return f"projects/{project}/{ref.scope}/{ref.location}/{collection}/{ref.name}"


def _precondition_failed(exc: BaseException) -> bool:
    """412 (stale fingerprint / metageneration), or a 400 naming conditionNotMet."""
    if isinstance(exc, api_exceptions.PreconditionFailed):
        return True
    return isinstance(exc, api_exceptions.BadRequest) and "conditionNotMet" in str(exc)


__all__ = [
    "BUCKET",
    "DISK",
    "INSTANCE",
    "SUPPORTED_TYPES",
    "GcpLabelClients",
    "GcpTagInventory",
    "GcpTagWriter",
    "label_problem",
    "parse_resource_id",
    "rebase",
]
