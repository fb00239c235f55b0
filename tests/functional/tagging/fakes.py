"""In-memory tag inventory and writer: real classes with the adapters' contract, for the
service layer's tests (no mocks). They count calls so tests can check batching and re-reads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from costwarden.ports_tagging import ParentTags, TaggedResource, TagOutcome, TagWrite


class MemoryTagCloud:
    """A cloud holding resources and their tags; TagInventory and TagWriter at once."""

    def __init__(
        self,
        resources: Sequence[TaggedResource],
        *,
        parents: Mapping[str, Sequence[ParentTags]] | None = None,
        failing: frozenset[str] = frozenset(),
        max_tags: int = 50,
    ) -> None:
        self.resources = {r.resource_id: r for r in resources}
        self._parents = dict(parents or {})
        self.failing = failing
        self.max_tags = max_tags
        self.write_calls: list[list[TagWrite]] = []
        self.parent_lookups = 0
        self.reads = 0
        #: Runs before a read: lets a test play the creator tagging in the meantime.
        self.before_read: list[tuple[str, dict[str, str]]] = []

    def list_resources(self) -> list[TaggedResource]:
        return list(self.resources.values())

    def read(self, resource_ids: Sequence[str]) -> list[TaggedResource]:
        self.reads += 1
        for rid, tags in self.before_read:
            self.resources[rid] = replace(
                self.resources[rid], tags={**self.resources[rid].tags, **tags}
            )
        self.before_read.clear()
        return [self.resources[i] for i in resource_ids if i in self.resources]

    def parents(self, resource: TaggedResource) -> list[ParentTags]:
        self.parent_lookups += 1
        return list(self._parents.get(resource.resource_id, ()))

    def write(self, writes: Sequence[TagWrite]) -> list[TagOutcome]:
        self.write_calls.append(list(writes))
        out = []
        for w in writes:
            rid = w.resource.resource_id
            if rid in self.failing:
                out.append(TagOutcome(w, "failed", "AccessDenied"))
                continue
            current = self.resources[rid]
            tags = {k: v for k, v in current.tags.items() if k not in w.remove}
            if current.cloud == "azure":  # ARM tag names are case-insensitive: a rename
                spelled = {k.casefold() for k in w.set}
                tags = {k: v for k, v in tags.items() if k.casefold() not in spelled}
            tags.update(w.set)
            if len(tags) > self.max_tags:
                out.append(TagOutcome(w, "failed", "TagLimitExceeded"))
                continue
            self.resources[rid] = replace(current, tags=tags)
            out.append(TagOutcome(w, "done"))
        return out
