"""The schedule engine: what a schedule wants at an instant, and when that last/next changes.

The desired state is a function of time only — never of "did the last run happen" — so a late,
missed or repeated tick reconciles to the right state (Cloud Custodian's off-hours acts only in
the configured hour and skips the day when that run is missed).

Model (``docs/policy.md`` "Schedule semantics"):

* Each period on each local day D it applies to yields *events*: ``start`` -> running at
  D start; ``stop`` -> stopped at D stop, or at D+1 stop when stop < start (past midnight).
  A period applies on D only when D is not a holiday.
* The base state at an instant is the state of the latest event at or before it (at equal
  instants a start beats a stop, so back-to-back periods join); None when there is none in the
  look-back window. A period whose own start and stop fall on one instant (a window inside a
  spring-forward gap) has no start that day: its stop wins, the window is zero-length.
* desired(at) = ``stopped`` when at's local day is a holiday, else the base state.
* *Boundaries* are the instants desired() is (re)asserted: every event outside holidays (even
  one that repeats the current state: a daily stop-only period stops every evening), each
  holiday's local midnight (stopped), and the midnight after a holiday when the base state
  there is not stopped. desired(at) is always the state of the latest boundary <= at.

Local times become instants with the schedule's zone: a time skipped by a daylight-saving gap
maps to the first instant after the gap; a repeated one to its first occurrence (fold=0).

Speed: the planner asks about 100,000 resources at one instant, so answers are cached per
(schedule, instant), and each local day's events and boundaries are computed once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

from costwarden.schedule.calendar import HolidayDates
from costwarden.schedule.days import DaySet, compile_days, parse_clock_time
from costwarden.schedule.zones import load_zone

if TYPE_CHECKING:  # the policy package imports this package's parsers: no runtime cycle
    from costwarden.policy.scheduling import Schedule

DesiredState = Literal["running", "stopped"]
#: How far back a boundary is looked for, and ahead for the next one. A period recurs at least
#: every ~13 weeks (a fifth Monday), so 400 days find it even when holidays remove several
#: occurrences; a schedule with nothing in 400 days has no opinion (None).
LOOKBACK_DAYS = 400
LOOKAHEAD_DAYS = 400
FRACTION_WINDOW = timedelta(days=28)
_DAY = timedelta(days=1)
_STOP, _START = 0, 1  # priority at equal instants
_CACHE_LIMIT = 100_000

_Event = tuple[datetime, int, DesiredState]
_Boundary = tuple[datetime, DesiredState | None]


def local_instant(zone: ZoneInfo, day: date, minute: int) -> datetime:
    """The UTC instant of local ``day`` at ``minute`` after midnight, in ``zone``.

    Repeated local times (autumn) take the first occurrence (fold=0). Skipped ones (spring)
    take the first instant after the gap: 02:30 on a 02:00 -> 03:00 night is 03:00.
    """
    naive = datetime(day.year, day.month, day.day, minute // 60, minute % 60)
    first = naive.replace(tzinfo=zone).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == naive:
        return first
    # In a gap: fold=0 and fold=1 map with the offsets before and after it, bracketing the
    # transition instant; the smallest instant whose local time is past ``naive`` is it.
    other = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    low, high = int(min(first, other).timestamp()), int(max(first, other).timestamp())
    while low < high:
        middle = (low + high) // 2
        local = datetime.fromtimestamp(middle, UTC).astimezone(zone).replace(tzinfo=None)
        if local > naive:
            high = middle
        else:
            low = middle + 1
    return datetime.fromtimestamp(low, UTC)


@dataclass(frozen=True, slots=True)
class _Period:
    days: DaySet
    start: int | None
    stop: int | None


class _Timeline:
    """One schedule, compiled: its events and boundaries per local day, memoized."""

    def __init__(self, schedule: Schedule) -> None:
        self.zone = load_zone(schedule.timezone)
        self.periods = tuple(
            _Period(
                compile_days(p.days),
                None if p.start is None else parse_clock_time(p.start),
                None if p.stop is None else parse_clock_time(p.stop),
            )
            for p in schedule.periods
        )
        calendar = schedule.holidays
        self.holidays = (
            None
            if calendar is None
            else HolidayDates(calendar.country, calendar.subdivision, calendar.dates)
        )
        self._instants: dict[tuple[date, int], datetime] = {}
        self._events: dict[date, tuple[_Event, ...]] = {}
        self._boundaries: dict[date, tuple[_Boundary, ...]] = {}

    def instant(self, day: date, minute: int) -> datetime:
        key = (day, minute)
        found = self._instants.get(key)
        if found is None:
            if len(self._instants) > _CACHE_LIMIT:
                self._instants.clear()
            found = self._instants[key] = local_instant(self.zone, day, minute)
        return found

    def day_of(self, at: datetime) -> date:
        """The local day whose [midnight, next midnight) holds ``at``."""
        day = at.astimezone(self.zone).date()
        if at >= self.instant(day + _DAY, 0):  # a fall-back across midnight
            return day + _DAY
        return day - _DAY if at < self.instant(day, 0) else day

    def is_holiday(self, day: date) -> bool:
        return self.holidays is not None and day in self.holidays

    def events(self, day: date) -> tuple[_Event, ...]:
        """Events of the periods that apply on ``day`` (a stop may fall on the next day)."""
        found = self._events.get(day)
        if found is not None:
            return found
        events: list[_Event] = []
        if not self.is_holiday(day):
            for period in self.periods:
                if not period.days.matches(day):
                    continue
                start = None if period.start is None else self.instant(day, period.start)
                stop = None
                if period.stop is not None:
                    wraps = period.start is not None and period.stop < period.start
                    stop = self.instant(day + _DAY if wraps else day, period.stop)
                    events.append((stop, _STOP, "stopped"))
                # A window inside a spring-forward gap (02:15-03:00 Berlin) maps start and stop
                # to one instant: it is zero-length that day. Its start must not beat its own
                # stop there (that would run it until the next day's stop, 24 h).
                if start is not None and start != stop:
                    events.append((start, _START, "running"))
        if len(self._events) > _CACHE_LIMIT:
            self._events.clear()
        found = self._events[day] = tuple(sorted(events))
        return found

    def base(self, at: datetime) -> DesiredState | None:
        """The state of the latest event <= at (holidays aside), None when there is none."""
        day = self.day_of(at)
        best: _Event | None = None
        for back in range(LOOKBACK_DAYS + 2):
            scanned = day - timedelta(days=back)
            for event in self.events(scanned):
                if event[0] <= at and (best is None or event[:2] > best[:2]):
                    best = event
            # Events of earlier days all lie before midnight of the day after theirs.
            if best is not None and best[0] > self.instant(scanned + _DAY, 0):
                break
        return None if best is None else best[2]

    def desired(self, at: datetime) -> DesiredState | None:
        return "stopped" if self.is_holiday(self.day_of(at)) else self.base(at)

    def boundaries(self, day: date) -> tuple[_Boundary, ...]:
        """Boundaries whose instant lies in local ``day``, in time order (see module doc)."""
        found = self._boundaries.get(day)
        if found is not None:
            return found
        begin, end = self.instant(day, 0), self.instant(day + _DAY, 0)
        merged: dict[datetime, tuple[int, DesiredState | None]] = {}
        if self.is_holiday(day):
            merged[begin] = (_START, "stopped")
        else:
            for when, priority, state in (*self.events(day - _DAY), *self.events(day)):
                if begin <= when < end and (when not in merged or priority > merged[when][0]):
                    merged[when] = (priority, state)
            if self.is_holiday(day - _DAY):
                restored = self.base(begin)
                if restored != "stopped":
                    merged[begin] = (_START, restored)
        if len(self._boundaries) > _CACHE_LIMIT:
            self._boundaries.clear()
        found = self._boundaries[day] = tuple(
            (when, state) for when, (_, state) in sorted(merged.items())
        )
        return found


class ScheduleClock:
    """The policy's schedules, compiled once; answers memoized per (schedule, instant).

    Every ``at`` must be timezone-aware (a naive time would have to be read in the host's
    zone, which is exactly the bug this refuses to have). Returned instants are aware UTC.
    """

    def __init__(self, schedules: Mapping[str, Schedule]) -> None:
        self._timelines = {name: _Timeline(schedule) for name, schedule in schedules.items()}
        self._desired: dict[tuple[str, datetime], DesiredState | None] = {}
        self._transitions: dict[tuple[str, datetime, str, bool], datetime | None] = {}
        self._fractions: dict[tuple[str, datetime], float] = {}

    def __contains__(self, name: object) -> bool:
        return name in self._timelines

    def desired(self, name: str, at: datetime) -> DesiredState | None:
        """``running``/``stopped``, or None when the schedule has no opinion yet."""
        key = (name, at)
        if key in self._desired:
            return self._desired[key]
        timeline = self._timeline(name, at)
        if len(self._desired) > _CACHE_LIMIT:
            self._desired.clear()
        state = self._desired[key] = timeline.desired(at)
        return state

    def last_transition(self, name: str, at: datetime, to: DesiredState) -> datetime | None:
        """The latest boundary <= at that sets ``to`` (within LOOKBACK_DAYS), else None."""
        return self._transition(name, at, to, forward=False)

    def next_transition(self, name: str, at: datetime, to: DesiredState) -> datetime | None:
        """The first boundary > at that sets ``to`` (within LOOKAHEAD_DAYS), else None."""
        return self._transition(name, at, to, forward=True)

    def running_fraction(self, name: str, at: datetime) -> float:
        """Share of the 28 days from ``at`` the schedule does not want the resource stopped.

        Savings: hours off per month = (1 - fraction) * 730. Time without an opinion counts
        as running: costwarden stops nothing then.
        """
        key = (name, at)
        if key in self._fractions:
            return self._fractions[key]
        timeline = self._timeline(name, at)
        end = at + FRACTION_WINDOW
        state, since, stopped = timeline.desired(at), at, timedelta(0)
        day, last_day = timeline.day_of(at), timeline.day_of(end)
        while day <= last_day:
            for when, new_state in timeline.boundaries(day):
                if at < when <= end:
                    if state == "stopped":
                        stopped += when - since
                    state, since = new_state, when
            day += _DAY
        if state == "stopped":
            stopped += end - since
        fraction = 1 - stopped / FRACTION_WINDOW
        if len(self._fractions) > _CACHE_LIMIT:
            self._fractions.clear()
        self._fractions[key] = fraction
        return fraction

    def _transition(
        self, name: str, at: datetime, to: DesiredState, *, forward: bool
    ) -> datetime | None:
        key = (name, at, to, forward)
        if key in self._transitions:
            return self._transitions[key]
        timeline = self._timeline(name, at)
        day = timeline.day_of(at)
        found: datetime | None = None
        for step in range((LOOKAHEAD_DAYS if forward else LOOKBACK_DAYS) + 1):
            if forward:
                scanned = day + timedelta(days=step)
                hits = [w for w, s in timeline.boundaries(scanned) if w > at and s == to]
                found = hits[0] if hits else None
            else:
                scanned = day - timedelta(days=step)
                hits = [w for w, s in timeline.boundaries(scanned) if w <= at and s == to]
                found = hits[-1] if hits else None
            if found is not None:
                break
        if len(self._transitions) > _CACHE_LIMIT:
            self._transitions.clear()
        self._transitions[key] = found
        return found

    def _timeline(self, name: str, at: datetime) -> _Timeline:
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError(f"schedule {name!r}: 'at' must be timezone-aware, got {at!r}")
        try:
            return self._timelines[name]
        except KeyError:
            known = ", ".join(sorted(self._timelines)) or "none"
            raise KeyError(f"unknown schedule {name!r} (known: {known})") from None
