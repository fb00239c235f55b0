"""Tag remediation: on a creation event within seconds, and as a sweep of everything else.

Both paths compute the same thing per resource (``remediate``: tags to add from aliases,
normalization and inference in the documented order; keys that cannot be known) and write it
in the cloud's largest batches. What cannot be inferred is *marked* on the resource with a
deadline; after the grace period the team's report escalates it (``grace.action: notify``),
and with ``grace.action: stop`` the sweep also stops it through the scheduler's plan/apply path
(``services.tag_grace``; the result is ``TagRunReport.grace``). A resource that became
compliant loses its mark.

The event path re-reads the resource before writing, so a tag its creator added in the
meantime wins; both paths are idempotent (a second run writes nothing).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

from costwarden.models.budget import Provider
from costwarden.models.resource_change import ResourceChange
from costwarden.policy.allocation import TeamNames
from costwarden.policy.schema import Policy
from costwarden.policy.tagging import TaggingSection
from costwarden.ports_tagging import TaggedResource, TagInventory, TagOutcome, TagWrite, TagWriter
from costwarden.schedule.tags import find_tag
from costwarden.tagging.marks import encode_mark, mark_deadline
from costwarden.tagging.remediation import Inferred, TagChange, remediate
from costwarden.tagging.rules import CloudTagRules

if TYPE_CHECKING:
    from costwarden.services.tag_grace import GraceRun

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ResourceVerdict:
    """One resource after remediation was computed (and possibly written)."""

    resource: TaggedResource
    change: TagChange
    #: Keys still missing or invalid after this run (logical names).
    unresolved: Mapping[str, str]
    due: date | None = None
    overdue: bool = False
    outcome: TagOutcome | None = None
    team: str | None = None


@dataclass(slots=True)
class TagRunReport:
    """What one event or sweep saw and did."""

    checked: int = 0
    compliant: int = 0
    verdicts: list[ResourceVerdict] = field(default_factory=list)
    #: team (None: no team) -> resources checked / compliant, so each team's report counts
    #: its own resources (compliant ones have no verdict).
    checked_by_team: dict[str | None, int] = field(default_factory=dict)
    compliant_by_team: dict[str | None, int] = field(default_factory=dict)
    #: What ``grace.action: stop`` did to the overdue resources (None: not run, or notify).
    grace: GraceRun | None = None

    @property
    def fixed(self) -> list[ResourceVerdict]:
        return [v for v in self.verdicts if v.outcome and v.outcome.status == "done"]

    @property
    def failed(self) -> list[ResourceVerdict]:
        return [v for v in self.verdicts if v.outcome and v.outcome.status == "failed"]

    @property
    def violating(self) -> list[ResourceVerdict]:
        return [v for v in self.verdicts if v.unresolved]

    @property
    def overdue(self) -> list[ResourceVerdict]:
        return [v for v in self.verdicts if v.overdue]


class TagRemediator:
    """The tag policy of one deployment applied to one cloud's resources."""

    def __init__(self, policy: Policy, section: TaggingSection, *, cloud: Provider) -> None:
        if cloud not in section.clouds:
            raise ValueError(f"the tagging policy does not cover {cloud}")
        self.policy = policy
        self.section = section
        self.rules = CloudTagRules(section, cloud)
        # Read as the scheduler reads it (scheduler_plan._Planner.team).
        self._team_names = TeamNames(
            policy.allocation.team_tag if policy.allocation else None, policy.teams
        )

    # -- the two entry points --------------------------------------------------------------

    def on_change(
        self,
        change: ResourceChange,
        *,
        inventory: TagInventory,
        writer: TagWriter,
        now: datetime,
        dry_run: bool = False,
    ) -> TagRunReport:
        """Tag what one creation event created. Re-reads first: the creator's own tags win."""
        fresh = [
            r
            for r in inventory.read(change.resource_ids)
            if self.rules.applies_to(r.resource_type, r.account)
        ]
        creator = change.creator.owner() if change.creator else None
        origin = change.creator.identity if change.creator else ""
        return self._run(
            fresh,
            inventory=inventory,
            writer=writer,
            now=now,
            dry_run=dry_run,
            creator=(creator, origin),
        )

    def sweep(
        self,
        *,
        inventory: TagInventory,
        writer: TagWriter,
        now: datetime,
        dry_run: bool = False,
    ) -> TagRunReport:
        """Remediate every resource of the target."""
        resources = [
            r
            for r in inventory.list_resources()
            if self.rules.applies_to(r.resource_type, r.account)
        ]
        return self._run(resources, inventory=inventory, writer=writer, now=now, dry_run=dry_run)

    def assess(self, resource: TaggedResource, inventory: TagInventory) -> TagChange:
        """What a sweep would compute for one resource, written or not: ``unresolved`` empty
        means the sweep fixes it itself (aliases, normalization, parents, defaults)."""
        return remediate(
            resource.tags, rules=self.rules, inferred=self._offers(resource, inventory, (None, ""))
        )

    # -- shared ----------------------------------------------------------------------------

    def _run(
        self,
        resources: Sequence[TaggedResource],
        *,
        inventory: TagInventory,
        writer: TagWriter,
        now: datetime,
        dry_run: bool,
        creator: tuple[str | None, str] = (None, ""),
    ) -> TagRunReport:
        report = TagRunReport(checked=len(resources))
        pending: list[tuple[TaggedResource, TagChange, date | None, bool, TagWrite]] = []
        for resource in resources:
            team = self._team(resource)
            report.checked_by_team[team] = report.checked_by_team.get(team, 0) + 1
            change = remediate(
                resource.tags, rules=self.rules, inferred=self._offers(resource, inventory, creator)
            )
            change, due, overdue = self._with_mark(resource, change, now.date())
            if change.empty and not change.unresolved:
                report.compliant += 1
                report.compliant_by_team[team] = report.compliant_by_team.get(team, 0) + 1
                continue
            write = TagWrite(resource, change.set, change.remove)
            if change.empty:
                report.verdicts.append(self._verdict(resource, change, due, overdue, None))
            else:
                pending.append((resource, change, due, overdue, write))
        if pending:
            writes = [p[4] for p in pending]
            if dry_run:
                outcomes: Sequence[TagOutcome] = [
                    TagOutcome(w, "not_applied", "dry run") for w in writes
                ]
            else:
                outcomes = writer.write(writes)
            by_id = {o.write.resource.resource_id: o for o in outcomes}
            for resource, change, due, overdue, _ in pending:
                outcome = by_id.get(resource.resource_id)
                if outcome is None:  # a writer that lost one must not make it look done
                    outcome = TagOutcome(
                        TagWrite(resource, change.set, change.remove),
                        "failed",
                        "no outcome reported",
                    )
                self._log(resource, change, outcome)
                report.verdicts.append(self._verdict(resource, change, due, overdue, outcome))
        return report

    def _offers(
        self,
        resource: TaggedResource,
        inventory: TagInventory,
        creator: tuple[str | None, str],
    ) -> list[Inferred]:
        offers: list[Inferred] = []
        owner, origin = creator
        if owner and self.section.owner_key:
            offers.append(Inferred("creator", {self.section.owner_key: owner}, origin))
        if self._needs_inference(resource):
            for parent in inventory.parents(resource):
                values = {
                    f.key: f.fix or f.found_value or ""
                    for f in self.rules.check(parent.tags)
                    if f.status in ("ok", "alias", "unnormalized")
                }
                if values:
                    offers.append(Inferred("parent", values, f"{parent.kind} {parent.name}"))
            for default in self.section.defaults:
                if resource.cloud in default.clouds and any(
                    fnmatchcase(resource.account, g) for g in default.accounts
                ):
                    offers.append(Inferred("defaults", default.tags, "policy defaults"))
                    break
        return offers

    def _needs_inference(self, resource: TaggedResource) -> bool:
        # Parent look-ups cost API calls: only for resources that miss something.
        return any(f.status in ("missing", "invalid") for f in self.rules.check(resource.tags))

    def _with_mark(
        self, resource: TaggedResource, change: TagChange, today: date
    ) -> tuple[TagChange, date | None, bool]:
        """Add, keep or remove the violation mark; say whether the grace period is over."""
        key = self.rules.mark_key
        current = resource.tags.get(key)
        if not change.unresolved:
            if current is not None and mark_deadline(current) is not None:
                return TagChange(change.set, (*change.remove, key), {}, change.sources), None, False
            return change, None, False
        due = mark_deadline(current) if current else None
        if due is not None:
            # Keep the deadline; rewrite the key list when it changed (a person added one).
            mark = encode_mark(resource.cloud, sorted(change.unresolved), due)
            if mark != current:
                change = _with_set(change, key, mark)
            return change, due, today > due
        due = today + timedelta(days=self.section.grace.days)
        if self.rules.tag_count(change.applied_to(resource.tags)) >= self.rules.max_tags:
            # The deadline lives only in the mark: without one the grace period never ends,
            # so the report says why, every run, until a person frees a tag.
            why = (
                f"no room for the violation mark (the {self.rules.max_tags}-tag limit): no "
                "deadline can be kept, so the grace period never ends; remove a tag"
            )
            unresolved = {**change.unresolved, self.section.mark_key: why}
            return TagChange(change.set, change.remove, unresolved, change.sources), None, False
        mark = encode_mark(resource.cloud, sorted(change.unresolved), due)
        return _with_set(change, key, mark), due, False

    def _verdict(
        self,
        resource: TaggedResource,
        change: TagChange,
        due: date | None,
        overdue: bool,
        outcome: TagOutcome | None,
    ) -> ResourceVerdict:
        return ResourceVerdict(
            resource, change, change.unresolved, due, overdue, outcome, self._team(resource)
        )

    def _team(self, resource: TaggedResource) -> str | None:
        """The team tag naming a known team, else ``tagging.team``; as the scheduler reads it:
        the first team key present decides, in the cloud's spelling (Google: label ``team``),
        any key casing, the value trimmed and case-folded."""
        names = self._team_names
        tags, cloud = resource.tags, resource.cloud
        team = names.team(find_tag(tags, cloud, key) for key in names.keys)
        return team if team is not None else self.section.team

    @staticmethod
    def _log(resource: TaggedResource, change: TagChange, outcome: TagOutcome) -> None:
        logger.info(
            "tag remediation %s %s",
            outcome.status,
            resource.resource_id,
            extra={
                "resource_id": resource.resource_id,
                "resource_type": resource.resource_type,
                "account": resource.account,
                "set": dict(change.set),
                "remove": list(change.remove),
                "sources": dict(change.sources),
                "unresolved": dict(change.unresolved),
                "status": outcome.status,
                "message": outcome.message,
            },
        )


def _with_set(change: TagChange, key: str, value: str) -> TagChange:
    return TagChange({**change.set, key: value}, change.remove, change.unresolved, change.sources)
