"""Tag remediation on Azure: ``AzureTagInventory`` and ``AzureTagWriter`` for one subscription,
through azure-mgmt-resource's ``ResourceManagementClient`` (Resources and Tags APIs).

**Listing** is ``Resources.list`` (every resource of the subscription with id, type, location
and tags in the answer, never-tagged ones included; ``nextLink`` paging) plus
``ResourceGroups.list``: resource groups are taggable resources too (type
``Microsoft.Resources/resourceGroups``), and their tags then answer every parent look-up of the
run without another call.

**Reading** (the event path re-reads before writing) uses the Tags API,
``GET {id}/providers/Microsoft.Resources/tags/default``, not ``Resources.get_by_id``:

- ``get_by_id`` needs the api-version of each resource type (one ``Providers.get`` per namespace
  and a guess at the newest non-preview version that serves GET); the Tags API has one version
  for every type;
- it needs only ``Microsoft.Resources/tags/read`` whatever the type, where ``get_by_id`` needs
  each type's own read action (``Microsoft.Compute/virtualMachines/read``, ...): tag
  remediation runs on the fixed action set below (all in the built-in Tag Contributor role).

The Tags API answers tags only. The type's canonical spelling and the location come from the
resource group's listing of that type (``Resources.list_by_resource_group`` with
``$filter=resourceType eq '...'``, once per group and type a run): policies glob on types
case-sensitively, and an id in an event may be spelled in any case. A resource too new to be
in that listing yet keeps the type as its id spells it and no region. A resource group is read
with ``ResourceGroups.get``. Gone (404) -> left out; any other failure raises ``CloudApiError``.

**Parents**: the resource group's tags (from the listing, else ``ResourceGroups.get`` once per
group a run); a resource group has no parent here. One inventory instance serves one run.

**Writing**: ARM has no batch tag API, so it is one ``Tags.update_at_scope`` (PATCH) per
resource, on a small thread pool (``workers``, 8):

- ``set`` is a ``Merge``: the server adds or changes only the given tags, so a tag a person
  added since the read is kept (no read-modify-write of the resource);
- ``remove`` is a ``Delete`` of name/value pairs sent after the merge succeeded: an alias goes
  only once its value is under the canonical key, and only while it still holds the value read;
- ARM tag *names* are case-insensitive: a Merge of ``Environment`` onto a resource tagged
  ``environment`` updates that tag and may keep its spelling, and a Delete of ``environment``
  would then delete the value just written. A key that exists in another casing is therefore
  renamed with one ``Replace`` of a freshly read tag set (a tag added in the milliseconds
  between that GET and the PATCH would be lost: ARM has no rename). So is a write that fits
  the 50-tag limit only once its aliases are gone (ARM checks the result of each operation,
  and the Merge would pass through 51);
- Azure's limits (REFERENCE §5: 50 tags, names <= 512 characters without ``< > % & \\ ? /``,
  values <= 256) are checked first: a write that would break them fails without a call.

A failed resource comes back as a failed ``TagOutcome`` with ARM's error code; nothing raises
for one resource. Throttling and 5xx answers are retried by azure-core's ``RetryPolicy`` (tune
it with the client keyword arguments: ``retry_total``, ``retry_backoff_factor``, ...): any
answer with ``Retry-After`` (ARM's 429s) after that delay, otherwise 408/429/5xx; the tag
PATCHes are idempotent, so they also retry 408/429/502 (``retry_on_methods``).

**RBAC actions**: ``Microsoft.Resources/subscriptions/resources/read`` (``Resources.list``),
``Microsoft.Resources/subscriptions/resourceGroups/read`` (``ResourceGroups.list``/``get``),
``Microsoft.Resources/subscriptions/resourceGroups/resources/read``
(``Resources.list_by_resource_group``), ``Microsoft.Resources/tags/read`` (``Tags.get_at_scope``)
and ``Microsoft.Resources/tags/write`` (``Tags.update_at_scope``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from azure.core.credentials import TokenCredential
from azure.core.exceptions import AzureError, HttpResponseError, ResourceNotFoundError
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.resource.resources.models import (
    GenericResourceExpanded,
    ResourceGroup,
    Tags,
    TagsPatchResource,
    TagsResource,
)

from costwarden.errors import CloudApiError
from costwarden.ports_tagging import ParentTags, TaggedResource, TagOutcome, TagWrite
from costwarden.tagging.cloud_rules import CLOUD_LIMITS, key_problem, value_problem

logger = logging.getLogger(__name__)

GROUP_TYPE: Final = "Microsoft.Resources/resourceGroups"
#: Concurrent tag writes: one PATCH per resource, and ARM's write limits are per subscription.
WRITE_WORKERS: Final = 8
MAX_TAGS: Final = CLOUD_LIMITS["azure"].max_tags  # 50 per resource or group
_RETRY_METHODS: Final = frozenset(
    {"HEAD", "GET", "PUT", "DELETE", "OPTIONS", "TRACE", "POST", "PATCH"}
)
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class ArmId:
    """What an ARM id says about a resource, as spelled in the id."""

    subscription: str
    resource_group: str | None
    resource_type: str
    name: str


def parse_arm_id(value: str) -> ArmId | None:
    """``/subscriptions/s/resourceGroups/rg[/providers/Ns/type/name[/child/name]]``; an
    extension resource takes the type after its last ``providers``. None if not an ARM id."""
    parts = [p for p in value.split("/") if p]
    if len(parts) < 2 or parts[0].lower() != "subscriptions":
        return None
    subscription, rest, group = parts[1], parts[2:], None
    if len(rest) >= 2 and rest[0].lower() == "resourcegroups":
        group, rest = rest[1], rest[2:]
        if not rest:
            return ArmId(subscription, group, GROUP_TYPE, group)
    last = max((i for i, p in enumerate(rest) if p.lower() == "providers"), default=None)
    if last is None:
        return None
    tail = rest[last + 1 :]
    if len(tail) < 3 or len(tail) % 2 == 0:
        return None
    kind = "/".join([tail[0], *tail[1::2]])
    return ArmId(subscription, group, kind, tail[-1])


def _client(
    credential: TokenCredential, subscription_id: str, base_url: str | None, kwargs: Any
) -> ResourceManagementClient:
    # Only pass base_url when given: older SDK versions take a non-optional default.
    options: dict[str, Any] = {**kwargs, "base_url": base_url} if base_url else dict(kwargs)
    return ResourceManagementClient(credential, subscription_id, **options)


class AzureTagInventory:
    """Taggable resources of one subscription, their tags and their resource group's.

    ``base_url`` overrides the ARM endpoint (sovereign clouds, tests); ``client_kwargs`` go to
    ``ResourceManagementClient`` (retry settings, ``connection_verify``, a transport, ...).
    ``parent_kinds`` is the policy's ``parents.azure``.
    """

    def __init__(
        self,
        credential: TokenCredential,
        subscription_id: str,
        base_url: str | None = None,
        *,
        parent_kinds: Collection[str] = ("resource_group",),
        **client_kwargs: Any,
    ) -> None:
        self.subscription_id = subscription_id
        self._client = _client(credential, subscription_id, base_url, client_kwargs)
        self._parent_kinds = frozenset(parent_kinds)
        self._groups: dict[str, ParentTags | None] = {}  # folded group name -> tags (None: gone)
        self._located: dict[tuple[str, str], dict[str, GenericResourceExpanded]] = {}

    def close(self) -> None:
        self._client.close()

    # -- TagInventory --------------------------------------------------------------------------
    def list_resources(self) -> list[TaggedResource]:
        """Every resource group and resource of the subscription (all pages)."""
        groups = self._listed("ResourceGroups.list", self._client.resource_groups.list)
        items = self._listed("Resources.list", self._client.resources.list)
        out = [self._from_group(group) for group in groups]
        for item in items:
            ref = parse_arm_id(item.id or "")
            if ref is not None:
                out.append(self._from_item(item, ref, item.id or "", dict(item.tags or {})))
        return out

    def read(self, resource_ids: Sequence[str]) -> list[TaggedResource]:
        """Fresh copies of these ARM ids (see the module docstring); gone ones are left out."""
        out: list[TaggedResource] = []
        for value in dict.fromkeys(resource_ids):
            ref = parse_arm_id(value)
            if ref is None or ref.subscription.lower() != self.subscription_id.lower():
                logger.warning("not an ARM id of subscription %s: %s", self.subscription_id, value)
                continue
            if ref.resource_type == GROUP_TYPE:
                group = self._get_group(ref.name)
                fresh = None if group is None else self._from_group(group)
            else:
                fresh = self._read_resource(value, ref)
            if fresh is not None:
                out.append(fresh)
        return out

    def parents(self, resource: TaggedResource) -> list[ParentTags]:
        """The resource group's tags (looked up once a run); none for a resource group."""
        group = resource.extra.get("resource_group")
        if (
            "resource_group" not in self._parent_kinds
            or not group
            or resource.resource_type.lower() == GROUP_TYPE.lower()
        ):
            return []
        if group.casefold() not in self._groups:
            self._get_group(group)
        parent = self._groups.get(group.casefold())
        return [] if parent is None else [parent]

    # -- helpers -------------------------------------------------------------------------------
    def _listed(self, call: str, lister: Callable[[], Iterable[_T]]) -> list[_T]:
        try:
            return list(lister())
        except AzureError as exc:
            raise CloudApiError(
                f"Azure {call} in subscription {self.subscription_id} failed: {describe_error(exc)}"
            ) from exc

    def _from_group(self, group: ResourceGroup) -> TaggedResource:
        name = group.name or ""
        tags = dict(group.tags or {})
        self._groups[name.casefold()] = ParentTags("resource_group", name, tags)
        return TaggedResource(
            cloud="azure",
            account=self.subscription_id,
            region=group.location,
            resource_id=group.id or f"/subscriptions/{self.subscription_id}/resourceGroups/{name}",
            resource_type=GROUP_TYPE,
            tags=tags,
            name=name,
            extra={"resource_group": name},
        )

    def _from_item(
        self,
        item: GenericResourceExpanded | None,
        ref: ArmId,
        resource_id: str,
        tags: Mapping[str, str],
    ) -> TaggedResource:
        """From a listed item, or from the id alone when the listing does not have it yet."""
        return TaggedResource(
            cloud="azure",
            account=self.subscription_id,
            region=item.location if item else None,
            resource_id=(item.id if item else None) or resource_id,
            resource_type=(item.type if item else None) or ref.resource_type,
            tags=dict(tags),
            name=(item.name if item else None) or ref.name,
            extra={"resource_group": ref.resource_group} if ref.resource_group else {},
        )

    def _get_group(self, name: str) -> ResourceGroup | None:
        try:
            group = self._client.resource_groups.get(name)
        except ResourceNotFoundError:
            self._groups[name.casefold()] = None
            return None
        except AzureError as exc:
            raise CloudApiError(
                f"Azure ResourceGroups.get({name}) in subscription {self.subscription_id} "
                f"failed: {describe_error(exc)}"
            ) from exc
        self._from_group(group)  # remembers its tags for parents()
        return group

    def _read_resource(self, resource_id: str, ref: ArmId) -> TaggedResource | None:
        try:
            answer = self._client.tags.get_at_scope(resource_id)
        except ResourceNotFoundError:
            return None
        except AzureError as exc:
            raise CloudApiError(
                f"Azure Tags.get_at_scope({resource_id}) failed: {describe_error(exc)}"
            ) from exc
        listed = self._locate(ref).get(resource_id.lower()) if ref.resource_group else None
        return self._from_item(listed, ref, resource_id, _tags_of(answer))

    def _locate(self, ref: ArmId) -> dict[str, GenericResourceExpanded]:
        """The group's resources of ``ref``'s type by folded id (canonical type, location)."""
        group = ref.resource_group or ""
        key = (group.casefold(), ref.resource_type.casefold())
        if key not in self._located:
            lister = self._client.resources.list_by_resource_group
            try:
                found = list(lister(group, filter=f"resourceType eq '{ref.resource_type}'"))
            except ResourceNotFoundError:
                found = []
            except AzureError as exc:
                raise CloudApiError(
                    f"Azure Resources.list_by_resource_group({group}, {ref.resource_type}) "
                    f"failed: {describe_error(exc)}"
                ) from exc
            self._located[key] = {item.id.lower(): item for item in found if item.id}
        return self._located[key]


class AzureTagWriter:
    """Writes tags on the resources and resource groups of one subscription."""

    def __init__(
        self,
        credential: TokenCredential,
        subscription_id: str,
        base_url: str | None = None,
        *,
        workers: int = WRITE_WORKERS,
        **client_kwargs: Any,
    ) -> None:
        self.subscription_id = subscription_id
        self._client = _client(credential, subscription_id, base_url, client_kwargs)
        self._workers = max(1, workers)

    def close(self) -> None:
        self._client.close()

    def write(self, writes: Sequence[TagWrite]) -> list[TagOutcome]:
        """One outcome per write, in order; one PATCH (two with aliases to delete) each."""
        if not writes:
            return []
        workers = min(self._workers, len(writes))
        with ThreadPoolExecutor(workers, thread_name_prefix="azure-tags") as pool:
            return list(pool.map(self._write_one, writes))

    def _write_one(self, write: TagWrite) -> TagOutcome:
        refusal = self._refusal(write)
        if refusal is not None:
            return TagOutcome(write, "failed", refusal)
        scope, current = write.resource.resource_id, write.resource.tags
        spelled = {key.casefold() for key in write.set}
        # Same tag on ARM as a key being set, spelled differently: renamed, never deleted.
        renamed = [k for k in current if k.casefold() in spelled and k not in write.set]
        removes = {
            k: current[k] for k in write.remove if k in current and k.casefold() not in spelled
        }
        # A Merge then Delete that passes through more than 50 tags is refused by ARM.
        crowded = bool(removes) and len({k.casefold() for k in current} | spelled) > MAX_TAGS
        try:
            if renamed or crowded:
                problem = self._replace(scope, write.set, removes)
                return TagOutcome(write, "failed" if problem else "done", problem)
            if write.set:
                self._patch(scope, "Merge", dict(write.set))
        except AzureError as exc:
            return TagOutcome(write, "failed", describe_error(exc))
        if removes:
            try:
                self._patch(scope, "Delete", removes)
            except AzureError as exc:
                what = "tags set; " if write.set else ""
                gone = ", ".join(removes)
                return TagOutcome(
                    write, "failed", f"{what}deleting {gone} failed: {describe_error(exc)}"
                )
        return TagOutcome(write, "done")

    def _refusal(self, write: TagWrite) -> str | None:
        """Why ARM would refuse this write (or it is not ours to make); None to send it."""
        ref = parse_arm_id(write.resource.resource_id)
        if ref is None or ref.subscription.lower() != self.subscription_id.lower():
            return f"not a resource of subscription {self.subscription_id}; not sent"
        for key, value in write.set.items():
            if reason := key_problem("azure", key):
                return f"tag name {key!r}: {reason}; not sent to ARM"
            if reason := value_problem("azure", value):
                return f"value of tag {key!r}: {reason}; not sent to ARM"
        names = {k.casefold() for k in write.resource.tags} - {k.casefold() for k in write.remove}
        count = len(names | {k.casefold() for k in write.set})
        if count > MAX_TAGS:
            return f"would leave {count} tags; Azure allows {MAX_TAGS} a resource; not sent to ARM"
        return None

    def _replace(self, scope: str, to_set: Mapping[str, str], removes: Mapping[str, str]) -> str:
        """One ``Replace`` of the freshly read tag set with the change applied (renames, and
        writes that fit only once their aliases are gone); a message if it cannot be done."""
        spelled = {key.casefold() for key in to_set}
        deleting = {k.casefold(): v for k, v in removes.items()}
        fresh = _tags_of(self._client.tags.get_at_scope(scope))
        kept = {
            k: v
            for k, v in fresh.items()
            if k.casefold() not in spelled and deleting.get(k.casefold()) != v
        }
        result = {**kept, **to_set}
        if len(result) > MAX_TAGS:
            return f"would leave {len(result)} tags; Azure allows {MAX_TAGS} a resource"
        self._patch(scope, "Replace", result)
        return ""

    def _patch(self, scope: str, operation: str, tags: dict[str, str]) -> None:
        body = TagsPatchResource(operation=operation, properties=Tags(tags=tags))
        poller = self._client.tags.begin_update_at_scope(
            scope, body, retry_on_methods=_RETRY_METHODS
        )
        poller.result()  # 200 at once with the tags; a 202 is polled to its end


def _tags_of(answer: TagsResource) -> dict[str, str]:
    properties = getattr(answer, "properties", None)
    return dict(getattr(properties, "tags", None) or {})


def describe_error(exc: AzureError) -> str:
    """``HTTP 409 Conflict: <message>`` from an ARM error, else the SDK's text."""
    if isinstance(exc, HttpResponseError):
        error = exc.error
        if error is not None and error.code:
            return f"HTTP {exc.status_code} {error.code}: {error.message}"
        return f"HTTP {exc.status_code}: {exc.reason or exc.message}"
    return f"{type(exc).__name__}: {exc.message}"
