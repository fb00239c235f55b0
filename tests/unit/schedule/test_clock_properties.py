"""Properties of the schedule engine over generated schedules and instants.

* desired(at) is the state of the latest transition <= at (none: no opinion);
* next_transition(at, s) is > at, sets s, and no transition to s lies in between;
* last_transition(at, s) is <= at and sets s;
* for UTC schedules, desired() equals a brute-force reading of the documented rules, and
  running_fraction() equals a 15-minute sampling of desired().
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from costwarden.policy.scheduling import Schedule
from costwarden.schedule import ScheduleClock

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Zones with the awkward transitions: 1 h at 02:00 (Berlin, New York), 30 min (Lord Howe),
# at midnight (Santiago, Havana), southern hemisphere (Auckland), none (Kolkata).
ZONES = (
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "America/Santiago",
    "America/Havana",
    "Pacific/Auckland",
    "Asia/Kolkata",
)
SLOW = settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])

day_tokens = st.one_of(
    st.sampled_from(DAYS),
    st.tuples(st.sampled_from(DAYS), st.sampled_from(DAYS))
    .filter(lambda pair: pair[0] != pair[1])
    .map("-".join),
    st.tuples(st.sampled_from(DAYS), st.integers(1, 5)).map(lambda p: f"{p[0]}#{p[1]}"),
    st.sampled_from(DAYS).map(lambda d: f"{d}#L"),
)
# Quarter hours, so periods hit 00:00, 02:00, 02:30 and the other DST edges often.
clock_times = st.integers(0, 95).map(lambda q: f"{q * 15 // 60:02d}:{q * 15 % 60:02d}")


@st.composite
def periods(draw: st.DrawFn) -> dict[str, Any]:
    days = draw(st.lists(day_tokens, min_size=1, max_size=3, unique=True))
    period: dict[str, Any] = {"days": days}
    sides = draw(st.sampled_from(["both", "start", "stop"]))
    if sides in ("both", "start"):
        period["start"] = draw(clock_times)
    if sides in ("both", "stop"):
        period["stop"] = draw(clock_times.filter(lambda t: t != period.get("start")))
    return period


instants = st.datetimes(
    min_value=datetime(2025, 6, 1),
    max_value=datetime(2027, 6, 1),
    timezones=st.just(UTC),
)


@st.composite
def schedules(draw: st.DrawFn, zones: tuple[str, ...] = ZONES) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "timezone": draw(st.sampled_from(zones)),
        "periods": draw(st.lists(periods(), min_size=1, max_size=3)),
    }
    holidays: dict[str, Any] = {}
    if draw(st.booleans()):
        holidays["dates"] = draw(
            st.lists(st.dates(date(2025, 5, 1), date(2027, 6, 30)), max_size=8, unique=True)
        )
    if draw(st.booleans()) and spec["timezone"] != "UTC":
        holidays["country"] = draw(st.sampled_from(["DE", "US", "NZ", "CL"]))
    if holidays.get("dates") or holidays.get("country"):
        spec["holidays"] = holidays
    return spec


def build(spec: dict[str, Any]) -> ScheduleClock:
    return ScheduleClock({"s": Schedule.model_validate(spec)})


@SLOW
@given(schedules(), instants)
def test_desired_is_the_state_of_the_latest_transition(spec: dict[str, Any], at: datetime) -> None:
    c = build(spec)
    running = c.last_transition("s", at, "running")
    stopped = c.last_transition("s", at, "stopped")

    desired = c.desired("s", at)

    if running is None and stopped is None:
        assert desired is None
    elif stopped is None or (running is not None and running > stopped):
        assert desired == "running"
    else:
        assert desired == "stopped"


@SLOW
@given(schedules(), instants, st.sampled_from(["running", "stopped"]))
def test_next_transition_is_after_at_and_the_first_one(
    spec: dict[str, Any], at: datetime, to: str
) -> None:
    c = build(spec)

    following = c.next_transition("s", at, to)  # type: ignore[arg-type]

    if following is not None:
        assert following > at
        assert following.utcoffset() == timedelta(0)
        assert c.desired("s", following) == to
        assert c.last_transition("s", following, to) == following  # type: ignore[arg-type]
        before = c.last_transition("s", following - timedelta(microseconds=1), to)  # type: ignore[arg-type]
        assert before is None or before <= at


@SLOW
@given(schedules(), instants, st.sampled_from(["running", "stopped"]))
def test_last_transition_is_at_or_before_at_and_sets_the_state(
    spec: dict[str, Any], at: datetime, to: str
) -> None:
    c = build(spec)

    previous = c.last_transition("s", at, to)  # type: ignore[arg-type]

    if previous is not None:
        assert previous <= at
        assert c.desired("s", previous) == to
        assert c.next_transition("s", previous - timedelta(microseconds=1), to) == previous  # type: ignore[arg-type]


# --- a brute-force reading of the documented rules, for UTC schedules ---------------------


def _on(token: str, day: date) -> bool:
    weekday = day.weekday()
    if "#" in token:
        name, nth = token.split("#")
        if DAYS.index(name) != weekday:
            return False
        if nth == "L":
            return day.day + 7 > calendar.monthrange(day.year, day.month)[1]
        return (day.day - 1) // 7 + 1 == int(nth)
    if "-" in token:
        first, last = (DAYS.index(n) for n in token.split("-"))
        covered, i = {first}, first
        while i != last:
            i = (i + 1) % 7
            covered.add(i)
        return weekday in covered
    return DAYS.index(token) == weekday


def _minutes(text: str) -> timedelta:
    hours, minutes = text.split(":")
    return timedelta(hours=int(hours), minutes=int(minutes))


def oracle(spec: dict[str, Any], at: datetime) -> str | None:
    """desired(at) for a UTC schedule, read straight off the rules (no shared code)."""
    off = {date.fromisoformat(str(d)) for d in spec.get("holidays", {}).get("dates", [])}
    if at.date() in off:
        return "stopped"
    events = []
    for back in range(200):
        day = at.date() - timedelta(days=back)
        if day in off:
            continue
        midnight = datetime.combine(day, time(0), tzinfo=UTC)
        for period in spec["periods"]:
            if not any(_on(token, day) for token in period["days"]):
                continue
            start, stop = period.get("start"), period.get("stop")
            if start is not None:
                events.append((midnight + _minutes(start), 1, "running"))
            if stop is not None:
                wraps = start is not None and _minutes(stop) < _minutes(start)
                events.append((midnight + _minutes(stop) + timedelta(days=wraps), 0, "stopped"))
    past = [event for event in events if event[0] <= at]
    return max(past)[2] if past else None


@settings(deadline=None, max_examples=150)
@given(schedules(zones=("UTC",)), instants)
def test_utc_schedules_follow_the_documented_rules(spec: dict[str, Any], at: datetime) -> None:
    # Holiday gaps are at most 8 days, nth weekdays recur within ~13 weeks: 200 days suffice.
    assert build(spec).desired("s", at) == oracle(spec, at)


@settings(deadline=None, max_examples=20)
@given(schedules(zones=("UTC",)), instants)
def test_running_fraction_is_the_share_of_time_not_stopped(
    spec: dict[str, Any], at: datetime
) -> None:
    at = at.replace(minute=at.minute // 15 * 15, second=0, microsecond=0)
    c = build(spec)
    quarters = 28 * 24 * 4
    stopped = sum(
        c.desired("s", at + timedelta(minutes=15 * q)) == "stopped" for q in range(quarters)
    )

    assert c.running_fraction("s", at) == pytest.approx(1 - stopped / quarters, abs=1e-12)
