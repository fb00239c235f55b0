"""The daily cost digest: what the core hands a notifier (no Slack or chart types).

A digest reports on one day (``day``, normally yesterday in UTC) for one team, or for everyone
(``team`` None). Every figure is already computed here, so the Slack blocks and the chart only
lay them out and can never disagree with each other.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

ChartPlacement = Literal["channel", "thread", "none"]

#: The label of costs no team owns, in breakdowns and charts.
UNALLOCATED = "Unallocated"


@dataclass(frozen=True)
class CostLine:
    """One row of a top list or breakdown.

    ``note`` qualifies the name (a resource's service); ``shared`` is the part of ``amount``
    that is this team's share of shared costs.
    """

    name: str
    amount: Decimal
    note: str | None = None
    shared: Decimal = Decimal(0)


@dataclass(frozen=True)
class DailyPoint:
    """One bar segment of the chart: a day's cost of one group (a service, or a team)."""

    day: date
    group: str
    amount: Decimal


@dataclass(frozen=True)
class CostDigest:
    """One digest's figures, in ``currency``.

    - ``yesterday``: the cost of ``day``; None when the data has no row for that day yet.
    - ``trailing_average``: the mean daily cost of the ``trailing_days`` (at most 7) days before
      ``day`` that the data covers; None when it covers none.
    - ``month_to_date``: from the first of ``day``'s month through ``data_through`` (or
      ``day``, whichever is earlier), direct and shared costs together, in cents: the overall
      digest's total, or this team's line of the overall breakdown (largest remainder), so a
      team's digest and the overall one never show different cents for the same team.
    - ``data_through``: the last day all the providers this digest's costs come from have
      data for (``provider_data_through``: each one's, when they differ). One provider's fresh
      export must not make another's lagging day look like a $0 day.
    - ``missing_days``: days of the month before ``data_through`` with no cost row at all (an
      export gap): not counted as covered, and named in the message.
    - ``daily``: the chart's series, ``chart_start`` through ``day``; groups are the top
      services (team digest) or the teams plus ``UNALLOCATED`` (overall digest).
    - ``month_daily``: the total of each day of the month through ``day`` (for the budget
      burn-up, whatever ``chart_start`` is).
    - ``breakdown`` (overall digest): month to date per team and unallocated; the lines add up
      to ``month_to_date`` exactly, in cents.
    - ``other_currencies``: month to date in currencies other than ``currency``, named so they
      are not silently left out.
    """

    team: str | None
    currency: str
    day: date
    month_to_date: Decimal
    yesterday: Decimal | None = None
    trailing_average: Decimal | None = None
    trailing_days: int = 0
    budget: Decimal | None = None
    shared: Decimal = Decimal(0)
    unallocated: Decimal = Decimal(0)
    top_services: tuple[CostLine, ...] = ()
    top_resources: tuple[CostLine, ...] = ()
    breakdown: tuple[CostLine, ...] = ()
    daily: tuple[DailyPoint, ...] = ()
    month_daily: tuple[tuple[date, Decimal], ...] = ()
    chart_start: date | None = None
    data_through: date | None = None
    provider_data_through: tuple[tuple[str, date], ...] = ()
    missing_days: tuple[date, ...] = ()
    other_currencies: tuple[CostLine, ...] = ()
    shared_rules: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        return f"team {self.team}" if self.team else "all teams"

    @property
    def month_start(self) -> date:
        return self.day.replace(day=1)

    @property
    def days_in_month(self) -> int:
        return calendar.monthrange(self.day.year, self.day.month)[1]

    @property
    def covered_through(self) -> date | None:
        """The last day of the month to date that has data (None: none of the month has)."""
        if self.data_through is None or self.data_through < self.month_start:
            return None
        return min(self.data_through, self.day)

    @property
    def days_covered(self) -> int:
        """Days of the month to date that have data: through ``covered_through``, less gaps."""
        through = self.covered_through
        if through is None:
            return 0
        return through.day - sum(1 for d in self.missing_days if self.month_start <= d <= through)

    @property
    def change_percent(self) -> float | None:
        """Yesterday against the trailing average, in percent (None when either is unknown)."""
        if self.yesterday is None or not self.trailing_average:
            return None
        return float((self.yesterday - self.trailing_average) / abs(self.trailing_average) * 100)

    @property
    def budget_percent(self) -> float | None:
        if not self.budget:
            return None
        return float(self.month_to_date / self.budget * 100)

    @property
    def pace(self) -> Decimal | None:
        """What the budget allows by the end of the covered days, spent evenly over the month."""
        if not self.budget:
            return None
        return self.budget * self.days_covered / self.days_in_month

    @property
    def forecast(self) -> Decimal | None:
        """Month-end cost if the month goes on as it went so far (a straight line)."""
        if not self.days_covered:
            return None
        return self.month_to_date / self.days_covered * self.days_in_month

    def chart_days(self) -> list[date]:
        start = self.chart_start or self.day
        return [start + timedelta(days=i) for i in range((self.day - start).days + 1)]


@dataclass(frozen=True)
class DigestMessage:
    """A digest and where it goes. ``chart``: in the channel, in the message's thread, or none."""

    digest: CostDigest
    channel: str
    chart: ChartPlacement = "channel"


@dataclass(frozen=True)
class PostedDigest:
    """Slack's ids for a posted digest: the message, and the chart file if one was uploaded."""

    channel: str
    ts: str
    file_id: str | None = None
