"""A scheduler run's Slack report for one team: what changed, what did not and why, what is next.

The service (``costwarden.services.scheduler``) builds one of these per team per run from the
plan and the outcomes; the Slack adapter only lays it out (``schedule_blocks.py``). Every list
holds every line: truncation to Block Kit limits ("…and 40 more") is the renderer's job, so
the counts here are always the true ones.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from costwarden.models.budget import Provider

#: Where the savings figure comes from: billed FOCUS costs, the bundled list prices (an
#: estimate), or both (some resources had FOCUS rows, some did not).
ReportSavingBasis = Literal["focus", "price_table", "mixed"]


@dataclass(frozen=True, slots=True)
class ReportLine:
    """One resource in one part of the report."""

    name: str
    resource_id: str
    resource_type: str
    region: str
    #: The action (``stop``, ``deallocate``, ...) or, for skipped lines, the skip kind.
    kind: str
    #: The plan's reason, or the cloud's error for a failed action.
    detail: str
    #: Estimated monthly saving of a stop (None: unknown, or not a stop).
    saving: Decimal | None = None
    currency: str = "USD"


@dataclass(frozen=True)
class ScheduleReportMessage:
    """Everything one team's schedule report says, and where it goes.

    - ``stopped`` / ``started``: actions carried out, or, in a dry run or a blocked plan, the
      actions that *would* have been (``dry_run`` / ``blocked`` tell which).
    - ``failed``: actions the cloud refused; the others went on.
    - ``unchanged``: actions found already done when re-read (a doubled tick, another run).
    - ``skipped``: resources in scope left alone this run, with the reason.
    - ``upcoming``: stops due within the warning window, with ``keep_running_hint`` saying
      exactly which tag keeps a resource up.
    - ``estimated_monthly_saving``: sum over ``stopped`` in ``currency`` (other currencies are
      listed in ``other_currencies``, never added).
    """

    team: str | None
    channel: str
    target: str
    run_id: str
    cloud: Provider
    at: datetime
    mentions: tuple[str, ...] = ()
    dry_run: bool = False
    blocked: str | None = None
    stopped: tuple[ReportLine, ...] = ()
    started: tuple[ReportLine, ...] = ()
    failed: tuple[ReportLine, ...] = ()
    skipped: tuple[ReportLine, ...] = ()
    upcoming: tuple[ReportLine, ...] = ()
    unchanged: int = 0
    estimated_monthly_saving: Decimal | None = None
    currency: str = "USD"
    saving_basis: ReportSavingBasis | None = None
    other_currencies: tuple[tuple[str, Decimal], ...] = ()
    keep_running_hint: str | None = None
    #: The override tag key as this cloud spells it (``costwarden-keep-running-until`` on GCP).
    override_tag: str | None = None
    #: Set when another target of the same run already posted this team's report: this one
    #: replies in its thread, so a team sees one message per run however many targets.
    thread_ts: str | None = None

    @property
    def applied(self) -> bool:
        """True when the listed actions really happened (not a dry run, not blocked)."""
        return not self.dry_run and self.blocked is None

    @property
    def counts(self) -> dict[str, int]:
        return {
            "stopped": len(self.stopped),
            "started": len(self.started),
            "failed": len(self.failed),
            "unchanged": self.unchanged,
            "skipped": len(self.skipped),
            "upcoming": len(self.upcoming),
        }

    @property
    def skipped_by_kind(self) -> dict[str, int]:
        """Skip counts per kind, most frequent first."""
        return dict(Counter(line.kind for line in self.skipped).most_common())

    @property
    def needs_attention(self) -> bool:
        """Blocked, failed or about to stop: the message mentions the team's people."""
        return self.blocked is not None or bool(self.failed) or bool(self.upcoming)


__all__ = ["ReportLine", "ReportSavingBasis", "ScheduleReportMessage"]
