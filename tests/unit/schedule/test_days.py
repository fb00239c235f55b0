"""Day tokens and clock times: what is accepted, what it means, and what is refused."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from costwarden.schedule.days import (
    DaySet,
    compile_days,
    format_clock_time,
    normalize_token,
    parse_clock_time,
)

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def days_matched(days: DaySet, first: date, last: date) -> list[date]:
    out = []
    day = first
    while day <= last:
        if days.matches(day):
            out.append(day)
        day += timedelta(days=1)
    return out


@pytest.mark.parametrize(
    ("tokens", "weekdays"),
    [
        (["mon"], {MON}),
        (["mon-fri"], {MON, TUE, WED, THU, FRI}),
        (["fri-mon"], {FRI, SAT, SUN, MON}),
        (["sat-sun"], {SAT, SUN}),
        (["sun-sat"], set(range(7))),
        (["mon-sun"], set(range(7))),
        (["tue", "thu"], {TUE, THU}),
        (["Mon-FRI"], {MON, TUE, WED, THU, FRI}),
    ],
)
def test_day_names_and_ranges_compile_to_weekdays(tokens: list[str], weekdays: set[int]) -> None:
    assert compile_days(tokens).weekdays == frozenset(weekdays)


def test_nth_weekday_matches_only_that_occurrence_in_each_month() -> None:
    second_monday = compile_days(["mon#2"])

    # February 2026 starts on a Sunday: its Mondays are the 2nd, 9th, 16th and 23rd.
    assert days_matched(second_monday, date(2026, 2, 1), date(2026, 3, 31)) == [
        date(2026, 2, 9),
        date(2026, 3, 9),
    ]


def test_fifth_weekday_matches_only_months_that_have_one() -> None:
    fifth_monday = compile_days(["mon#5"])

    assert days_matched(fifth_monday, date(2026, 1, 1), date(2026, 12, 31)) == [
        date(2026, 3, 30),
        date(2026, 6, 29),
        date(2026, 8, 31),
        date(2026, 11, 30),
    ]


def test_last_weekday_matches_the_last_occurrence_of_each_month() -> None:
    last_friday = compile_days(["fri#L"])

    assert days_matched(last_friday, date(2026, 1, 1), date(2026, 4, 30)) == [
        date(2026, 1, 30),
        date(2026, 2, 27),
        date(2026, 3, 27),
        date(2026, 4, 24),
    ]


def test_last_weekday_on_a_fifth_occurrence_and_at_year_end() -> None:
    last_thursday = compile_days(["thu#L"])

    assert last_thursday.matches(date(2026, 12, 31))  # a fifth Thursday, last of the year
    assert not last_thursday.matches(date(2026, 12, 24))


def test_tokens_combine() -> None:
    days = compile_days(["sat", "mon#1", "fri#L"])

    assert days_matched(days, date(2026, 6, 1), date(2026, 6, 30)) == [
        date(2026, 6, 1),  # first Monday
        date(2026, 6, 6),
        date(2026, 6, 13),
        date(2026, 6, 20),
        date(2026, 6, 26),  # last Friday
        date(2026, 6, 27),
    ]


@pytest.mark.parametrize(
    ("token", "canonical"),
    [
        ("mon", "mon"),
        (" Tue ", "tue"),
        ("FRI-mon", "fri-mon"),
        ("mon#03", "mon#3"),
        ("fri#l", "fri#L"),
    ],
)
def test_tokens_are_normalized(token: str, canonical: str) -> None:
    assert normalize_token(token) == canonical


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("monday", "'monday' is not a day token: days are written mon..sun (did you mean mon?)"),
        ("thurs", "'thurs' is not a day token: days are written mon..sun (did you mean thu?)"),
        ("weekdays", "'weekdays' is not a day token: write mon-fri"),
        ("weekend", "'weekend' is not a day token: write sat-sun"),
        ("*", "'*' is not a day token: write mon-sun"),
        ("mon-mon", "'mon-mon': a range needs two different days (write mon)"),
        ("mon#0", "'mon#0': after '#' write 1 to 5 (the nth mon of the month) or L (the last"),
        ("mon#6", "'mon#6': after '#' write 1 to 5"),
        ("mon#", "'mon#': after '#' write 1 to 5"),
        ("fri#last", "'fri#last': after '#' write 1 to 5"),
        ("mon-fri#2", "'mon-fri#2': '#' applies to one day, not a range (e.g. mon#1)"),
        ("mon,tue", "'mon,tue': write one token per list item, e.g. [mon, wed, fri]"),
        ("", "empty day: write mon..sun"),
        ("1", "'1' is not a day token: write mon, tue, wed, thu, fri, sat or sun, a range"),
        ("mon-xyz", "'mon-xyz' is not a day token: write mon, tue"),
    ],
)
def test_bad_day_tokens_are_explained(token: str, message: str) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        normalize_token(token)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("00:00", 0), ("08:00", 480), ("8:30", 510), ("23:59", 1439), (" 19:05 ", 1145)],
)
def test_clock_times_read_as_minutes_after_midnight(text: str, minutes: int) -> None:
    assert parse_clock_time(text) == minutes
    assert parse_clock_time(format_clock_time(minutes)) == minutes


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("24:00", "24:00 is not a time of day: to stop at midnight write '00:00'"),
        ("24:30", "'24:30': hours run from 00 to 23"),
        ("08:60", "'08:60': minutes run from 00 to 59"),
        ("8", "'8' is not a time of day: write HH:MM (24-hour clock), e.g. '08:00'"),
        ("08:00:00", "'08:00:00' is not a time of day"),
        ("8am", "'8am' is not a time of day"),
        ("8:5", "'8:5' is not a time of day"),
    ],
)
def test_bad_clock_times_are_explained(text: str, message: str) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        parse_clock_time(text)
