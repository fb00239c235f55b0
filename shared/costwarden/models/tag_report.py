"""What a team hears after a tag sweep or event: what was fixed, what it must fix, by when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from costwarden.models.notification import Route


@dataclass(frozen=True)
class TagViolationLine:
    resource: str  # name or id, as people recognise it
    resource_type: str
    account: str
    problems: tuple[str, ...]  # "Owner: missing", "Environment: 'qa' is not an allowed value"
    due: date | None = None
    overdue: bool = False


@dataclass(frozen=True)
class TagFixLine:
    resource: str
    written: tuple[str, ...]  # "Environment=dev (from env)", "Owner=alice@… (creator …)"


@dataclass(frozen=True)
class TagReportMessage:
    """One team's report for one run (``run_id``) in one target."""

    route: Route
    target: str
    run_id: str
    checked: int
    compliant: int
    fixed: tuple[TagFixLine, ...] = ()
    violations: tuple[TagViolationLine, ...] = ()
    failed: tuple[str, ...] = ()
    #: What the grace action did ("stopped i-0abc", or escalation wording).
    actions: tuple[str, ...] = ()
    dry_run: bool = False
    #: The policy's mark key as written on this cloud, so people know what to look for.
    mark_key: str = "costwarden:tag-violation"
