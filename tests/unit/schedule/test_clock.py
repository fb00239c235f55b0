"""The schedule engine on hand-checked cases: periods, one-sided periods, nights past midnight,
nth weekdays, holidays, daylight saving, missed ticks and savings fractions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from costwarden.schedule import local_instant
from unit.schedule.schedule_support import clock, local, schedule, utc

OFFICE = {"days": ["mon-fri"], "start": "08:00", "stop": "19:00"}
SATURDAY_NIGHT = {"days": ["sat"], "start": "22:00", "stop": "06:00"}


# --- two-sided periods ---------------------------------------------------------------------


def test_office_hours_run_between_start_and_stop_on_weekdays() -> None:
    c = clock(office=schedule("UTC", OFFICE))

    assert c.desired("office", utc(2026, 6, 3, 7, 59)) == "stopped"  # Wednesday
    assert c.desired("office", utc(2026, 6, 3, 8, 0)) == "running"  # start is inclusive
    assert c.desired("office", utc(2026, 6, 3, 18, 59)) == "running"
    assert c.desired("office", utc(2026, 6, 3, 19, 0)) == "stopped"  # stop is exclusive
    assert c.desired("office", utc(2026, 6, 6, 12, 0)) == "stopped"  # Saturday
    assert c.desired("office", utc(2026, 6, 8, 7, 0)) == "stopped"  # Monday before start


def test_transitions_around_a_weekend() -> None:
    c = clock(office=schedule("UTC", OFFICE))
    saturday = utc(2026, 6, 6, 12, 0)

    assert c.last_transition("office", saturday, "stopped") == utc(2026, 6, 5, 19, 0)
    assert c.last_transition("office", saturday, "running") == utc(2026, 6, 5, 8, 0)
    assert c.next_transition("office", saturday, "running") == utc(2026, 6, 8, 8, 0)
    assert c.next_transition("office", saturday, "stopped") == utc(2026, 6, 8, 19, 0)


def test_a_transition_at_exactly_at_is_the_last_one_and_not_the_next_one() -> None:
    c = clock(office=schedule("UTC", OFFICE))
    start = utc(2026, 6, 3, 8, 0)

    assert c.last_transition("office", start, "running") == start
    assert c.next_transition("office", start, "running") == utc(2026, 6, 4, 8, 0)


def test_back_to_back_periods_join_without_a_stop() -> None:
    c = clock(
        split=schedule(
            "UTC",
            {"days": ["mon-fri"], "start": "08:00", "stop": "12:00"},
            {"days": ["mon-fri"], "start": "12:00", "stop": "19:00"},
        )
    )

    assert c.desired("split", utc(2026, 6, 3, 12, 0)) == "running"
    assert c.next_transition("split", utc(2026, 6, 3, 9, 0), "stopped") == utc(2026, 6, 3, 19, 0)


def test_a_night_period_wraps_past_midnight_into_the_next_day() -> None:
    c = clock(nights=schedule("UTC", {"days": ["fri"], "start": "22:00", "stop": "06:00"}))

    assert c.desired("nights", utc(2026, 6, 5, 21, 59)) == "stopped"  # Friday
    assert c.desired("nights", utc(2026, 6, 5, 22, 0)) == "running"
    assert c.desired("nights", utc(2026, 6, 6, 5, 59)) == "running"  # Saturday morning
    assert c.desired("nights", utc(2026, 6, 6, 6, 0)) == "stopped"
    assert c.desired("nights", utc(2026, 6, 6, 22, 30)) == "stopped"  # not on Saturday
    assert c.last_transition("nights", utc(2026, 6, 6, 3, 0), "running") == utc(2026, 6, 5, 22)


def test_a_range_that_wraps_over_the_weekend() -> None:
    weekend = {"days": ["fri-mon"], "start": "09:00", "stop": "17:00"}
    c = clock(long_weekend=schedule("UTC", weekend))

    running = [
        day
        for day in range(1, 8)  # 2026-06-01 is a Monday
        if c.desired("long_weekend", utc(2026, 6, day, 12, 0)) == "running"
    ]
    assert running == [1, 5, 6, 7]


# --- one-sided periods -------------------------------------------------------------------


def test_a_stop_only_period_stops_and_never_starts() -> None:
    c = clock(evening=schedule("UTC", {"days": ["mon-sun"], "stop": "20:00"}))
    morning = utc(2026, 6, 3, 9, 0)

    assert c.desired("evening", morning) == "stopped"
    assert c.last_transition("evening", morning, "stopped") == utc(2026, 6, 2, 20, 0)
    assert c.last_transition("evening", morning, "running") is None
    assert c.next_transition("evening", morning, "running") is None
    assert c.running_fraction("evening", morning) == 0.0


def test_a_stop_only_period_reasserts_its_stop_every_day() -> None:
    # The planner tells a manual start from costwarden's stop by comparing with the latest
    # stop boundary: a daily stop must be a boundary every day, not only when state changes.
    c = clock(evening=schedule("UTC", {"days": ["mon-sun"], "stop": "20:00"}))

    assert c.last_transition("evening", utc(2026, 6, 4, 21, 0), "stopped") == utc(2026, 6, 4, 20)
    assert c.next_transition("evening", utc(2026, 6, 4, 21, 0), "stopped") == utc(2026, 6, 5, 20)


def test_a_start_only_period_runs_until_another_periods_stop() -> None:
    c = clock(
        week=schedule(
            "UTC", {"days": ["mon"], "start": "07:00"}, {"days": ["fri"], "stop": "18:00"}
        )
    )

    assert c.desired("week", utc(2026, 6, 1, 6, 59)) == "stopped"  # Monday, before start
    assert c.desired("week", utc(2026, 6, 3, 3, 0)) == "running"  # Wednesday night
    assert c.desired("week", utc(2026, 6, 5, 17, 59)) == "running"
    assert c.desired("week", utc(2026, 6, 6, 12, 0)) == "stopped"  # Saturday
    # Monday 07:00 to Friday 18:00 of each week: 107 of 168 hours.
    assert c.running_fraction("week", utc(2026, 6, 1, 7, 0)) == pytest.approx(107 / 168)


def test_a_start_only_schedule_runs_forever_after_its_start() -> None:
    c = clock(always=schedule("UTC", {"days": ["mon-sun"], "start": "06:00"}))

    assert c.desired("always", utc(2026, 6, 3, 3, 0)) == "running"
    assert c.running_fraction("always", utc(2026, 6, 3, 3, 0)) == 1.0


# --- nth and last weekdays ----------------------------------------------------------------


def test_nth_weekday_period_runs_only_on_that_day_of_the_month() -> None:
    c = clock(board=schedule("UTC", {"days": ["tue#2"], "start": "09:00", "stop": "17:00"}))

    assert c.desired("board", utc(2026, 6, 9, 12, 0)) == "running"  # 2nd Tuesday of June
    assert c.desired("board", utc(2026, 6, 2, 12, 0)) == "stopped"
    assert c.desired("board", utc(2026, 6, 16, 12, 0)) == "stopped"
    assert c.next_transition("board", utc(2026, 6, 10, 0, 0), "running") == utc(2026, 7, 14, 9)
    # The previous start is found a month back, beyond a two-week look-back.
    assert c.last_transition("board", utc(2026, 7, 13, 0, 0), "running") == utc(2026, 6, 9, 9)


def test_last_weekday_period_runs_on_the_last_one_of_the_month() -> None:
    c = clock(close=schedule("UTC", {"days": ["fri#L"], "start": "07:00", "stop": "21:00"}))

    assert c.desired("close", utc(2026, 7, 31, 12, 0)) == "running"
    assert c.desired("close", utc(2026, 7, 24, 12, 0)) == "stopped"
    assert c.next_transition("close", utc(2026, 8, 1), "running") == utc(2026, 8, 28, 7, 0)


def test_a_fifth_weekday_months_apart_still_has_an_opinion() -> None:
    c = clock(rare=schedule("UTC", {"days": ["mon#5"], "stop": "18:00"}))

    # Fifth Mondays of 2026: March 30, June 29, ...; in May the last one is 2 months back.
    assert c.desired("rare", utc(2026, 5, 20)) == "stopped"
    assert c.last_transition("rare", utc(2026, 5, 20), "stopped") == utc(2026, 3, 30, 18, 0)


# --- holidays -----------------------------------------------------------------------------


def test_a_country_holiday_stops_the_whole_local_day() -> None:
    c = clock(
        office=schedule("Europe/Berlin", OFFICE, holidays={"country": "DE", "subdivision": "BY"})
    )
    epiphany = date(2026, 1, 6)  # a Tuesday; a public holiday in Bavaria

    assert c.desired("office", local("Europe/Berlin", 2026, 1, 6, 10, 0)) == "stopped"
    assert c.desired("office", local("Europe/Berlin", 2026, 1, 5, 10, 0)) == "running"
    assert c.desired("office", local("Europe/Berlin", 2026, 1, 7, 10, 0)) == "running"
    midnight = local_instant(ZoneInfo("Europe/Berlin"), epiphany, 0)
    assert c.last_transition("office", local("Europe/Berlin", 2026, 1, 6, 10), "stopped") == (
        midnight
    )
    assert c.next_transition("office", local("Europe/Berlin", 2026, 1, 6, 10), "running") == (
        local("Europe/Berlin", 2026, 1, 7, 8, 0).astimezone(UTC)
    )


def test_holidays_follow_the_subdivision() -> None:
    c = clock(
        munich=schedule("Europe/Berlin", OFFICE, holidays={"country": "DE", "subdivision": "BY"}),
        berlin=schedule("Europe/Berlin", OFFICE, holidays={"country": "DE", "subdivision": "BE"}),
    )
    epiphany = local("Europe/Berlin", 2026, 1, 6, 10, 0)

    assert c.desired("munich", epiphany) == "stopped"
    assert c.desired("berlin", epiphany) == "running"


def test_explicit_holiday_dates_stop_the_day() -> None:
    c = clock(office=schedule("UTC", OFFICE, holidays={"dates": ["2026-06-03"]}))

    assert c.desired("office", utc(2026, 6, 3, 12, 0)) == "stopped"
    assert c.desired("office", utc(2026, 6, 4, 12, 0)) == "running"
    assert c.running_fraction("office", utc(2026, 6, 1)) == pytest.approx(
        (19 * 11) / (28 * 24)  # 20 weekdays in the window, one of them off
    )


def test_holidays_are_the_schedules_local_dates_not_utc_dates() -> None:
    c = clock(
        auckland=schedule(
            "Pacific/Auckland",
            {"days": ["mon-sun"], "start": "08:00", "stop": "20:00"},
            holidays={"country": "NZ"},
        )
    )

    # Waitangi Day, 6 February: 09:00 in Auckland is still 5 February in UTC.
    assert c.desired("auckland", utc(2026, 2, 5, 20, 0)) == "stopped"
    # 7 February 09:00 local (6 February in UTC) is an ordinary day.
    assert c.desired("auckland", utc(2026, 2, 6, 20, 0)) == "running"


def test_after_a_holiday_the_schedule_resumes_where_it_would_be() -> None:
    c = clock(
        week=schedule(
            "UTC",
            {"days": ["mon"], "start": "07:00"},
            {"days": ["fri"], "stop": "18:00"},
            holidays={"dates": ["2026-06-03"]},
        )
    )

    assert c.desired("week", utc(2026, 6, 3, 12, 0)) == "stopped"  # the holiday
    assert c.desired("week", utc(2026, 6, 4, 0, 0)) == "running"  # resumed at midnight
    assert c.last_transition("week", utc(2026, 6, 4, 1), "running") == utc(2026, 6, 4, 0, 0)


def test_a_holiday_suppresses_the_period_of_that_day_and_not_the_night_before() -> None:
    c = clock(
        nights=schedule(
            "UTC",
            {"days": ["mon-sun"], "start": "22:00", "stop": "04:00"},
            holidays={"dates": ["2026-06-03"]},
        )
    )

    assert c.desired("nights", utc(2026, 6, 2, 23, 0)) == "running"  # the night before
    assert c.desired("nights", utc(2026, 6, 3, 1, 0)) == "stopped"  # holiday from midnight
    assert c.desired("nights", utc(2026, 6, 3, 23, 0)) == "stopped"  # no holiday night
    assert c.desired("nights", utc(2026, 6, 4, 2, 0)) == "stopped"  # its end is gone too
    assert c.desired("nights", utc(2026, 6, 4, 22, 0)) == "running"


def test_a_schedule_with_nothing_in_the_look_back_window_has_no_opinion() -> None:
    # Every fifth Monday in the 400 days before mid-June 2026 is declared a holiday.
    fifth_mondays = ["2025-06-30", "2025-09-29", "2025-12-29", "2026-03-30"]
    c = clock(
        rare=schedule(
            "UTC", {"days": ["mon#5"], "stop": "18:00"}, holidays={"dates": fifth_mondays}
        )
    )

    assert c.desired("rare", utc(2026, 6, 15)) is None
    assert c.last_transition("rare", utc(2026, 6, 15), "stopped") == utc(2026, 3, 30)
    assert c.desired("rare", utc(2026, 6, 29, 18, 0)) == "stopped"  # the next fifth Monday


# --- daylight saving ----------------------------------------------------------------------


def test_office_hours_keep_local_time_across_a_dst_change() -> None:
    c = clock(office=schedule("Europe/Berlin", OFFICE))

    # Friday before the change (CET, UTC+1) and Monday after it (CEST, UTC+2).
    assert c.next_transition("office", utc(2026, 3, 27), "running") == utc(2026, 3, 27, 7, 0)
    assert c.next_transition("office", utc(2026, 3, 28), "running") == utc(2026, 3, 30, 6, 0)
    assert c.next_transition("office", utc(2026, 3, 30, 7), "stopped") == utc(2026, 3, 30, 17)


@pytest.mark.parametrize(
    ("zone", "day", "start_utc"),
    [
        ("Europe/Berlin", date(2026, 3, 29), utc(2026, 3, 29, 1, 0)),  # 02:00 -> 03:00 CEST
        ("America/New_York", date(2026, 3, 8), utc(2026, 3, 8, 7, 0)),  # 02:00 -> 03:00 EDT
    ],
)
def test_a_start_in_the_spring_forward_gap_happens_at_the_first_instant_after_it(
    zone: str, day: date, start_utc: datetime
) -> None:
    c = clock(gap=schedule(zone, {"days": ["mon-sun"], "start": "02:30", "stop": "05:00"}))

    assert c.desired("gap", start_utc - timedelta(seconds=1)) == "stopped"
    assert c.desired("gap", start_utc) == "running"
    assert c.last_transition("gap", start_utc + timedelta(minutes=5), "running") == start_utc
    assert local_instant(ZoneInfo(zone), day, 150) == start_utc
    # Local 03:00 exists and is the same instant: the gap's first instant.
    assert local_instant(ZoneInfo(zone), day, 180) == start_utc


@pytest.mark.parametrize(
    ("zone", "start", "stop", "gap_end"),
    [
        ("America/New_York", "02:00", "03:00", utc(2026, 3, 8, 7, 0)),
        ("Europe/Berlin", "02:15", "03:00", utc(2026, 3, 29, 1, 0)),
        ("Europe/Berlin", "02:10", "02:40", utc(2026, 3, 29, 1, 0)),
    ],
)
def test_a_window_inside_the_spring_forward_gap_is_zero_length_that_day(
    zone: str, start: str, stop: str, gap_end: datetime
) -> None:
    # Start and stop both map to the gap's first instant: the stop wins there, otherwise the
    # window would run until the next day's stop (24 h instead of none).
    c = clock(gap=schedule(zone, {"days": ["mon-sun"], "start": start, "stop": stop}))

    assert c.desired("gap", gap_end - timedelta(seconds=1)) == "stopped"
    assert c.desired("gap", gap_end) == "stopped"
    assert c.desired("gap", gap_end + timedelta(hours=12)) == "stopped"
    assert c.next_transition("gap", gap_end - timedelta(hours=1), "running") > gap_end + (
        timedelta(hours=20)
    )
    # The next day, the window runs as configured again.
    next_start = c.next_transition("gap", gap_end, "running")
    assert next_start is not None
    assert c.desired("gap", next_start) == "running"
    assert c.desired("gap", next_start - timedelta(seconds=1)) == "stopped"


@pytest.mark.parametrize(
    ("zone", "first_utc"),
    [
        ("Europe/Berlin", utc(2026, 10, 25, 0, 30)),  # 02:30 CEST, then again at 02:30 CET
        ("America/New_York", utc(2026, 11, 1, 5, 30)),  # 01:30 EDT, then again at 01:30 EST
    ],
)
def test_a_repeated_local_time_in_the_fall_back_hour_is_its_first_occurrence(
    zone: str, first_utc: datetime
) -> None:
    start = "02:30" if zone == "Europe/Berlin" else "01:30"
    stop = "02:45" if zone == "Europe/Berlin" else "01:45"
    c = clock(fold=schedule(zone, {"days": ["mon-sun"], "start": start, "stop": stop}))
    second = first_utc + timedelta(hours=1)  # the same wall-clock time, second occurrence

    assert c.desired("fold", first_utc) == "running"
    assert c.desired("fold", first_utc + timedelta(minutes=15)) == "stopped"
    assert c.desired("fold", second) == "stopped"  # not started twice
    assert c.next_transition("fold", first_utc, "running") == first_utc + timedelta(hours=25)


def test_a_night_across_spring_forward_is_an_hour_shorter() -> None:
    c = clock(nights=schedule("Europe/Berlin", SATURDAY_NIGHT))

    start = c.next_transition("nights", utc(2026, 3, 28), "running")
    stop = c.next_transition("nights", utc(2026, 3, 28), "stopped")
    assert start == utc(2026, 3, 28, 21, 0)  # 22:00 CET
    assert stop == utc(2026, 3, 29, 4, 0)  # 06:00 CEST
    assert stop - start == timedelta(hours=7)


def test_a_night_across_fall_back_is_an_hour_longer() -> None:
    c = clock(nights=schedule("America/New_York", SATURDAY_NIGHT))

    start = c.next_transition("nights", utc(2026, 10, 31), "running")
    stop = c.next_transition("nights", utc(2026, 10, 31), "stopped")
    assert start == utc(2026, 11, 1, 2, 0)  # 22:00 EDT
    assert stop == utc(2026, 11, 1, 11, 0)  # 06:00 EST
    assert stop - start == timedelta(hours=9)


@pytest.mark.parametrize("host_zone", ["Asia/Tokyo", "America/Los_Angeles", "UTC"])
def test_the_hosts_time_zone_changes_nothing(host_zone: str) -> None:
    # Frozen at 07:30 Berlin time on the Monday after spring forward, with the host's own
    # zone set to something else: the answer depends on the schedule's zone only.
    moment = local("Europe/Berlin", 2026, 3, 30, 7, 30).astimezone(ZoneInfo(host_zone))
    with time_machine.travel(moment, tick=False):
        now = datetime.now(UTC)
        c = clock(office=schedule("Europe/Berlin", OFFICE))

        assert c.desired("office", now) == "stopped"
        assert c.next_transition("office", now, "running") == utc(2026, 3, 30, 6, 0)
        assert c.desired("office", now + timedelta(minutes=30)) == "running"


# --- missed ticks, caching, input checks -------------------------------------------------


def test_missed_ticks_reconcile_desired_state_is_a_function_of_time_only() -> None:
    c = clock(office=schedule("UTC", OFFICE))

    # The 19:05 run never happened; the next one, hours or days later, still sees the stop.
    for late in (utc(2026, 6, 3, 19, 5), utc(2026, 6, 3, 23, 40), utc(2026, 6, 6, 3, 0)):
        assert c.desired("office", late) == "stopped"
        assert c.last_transition("office", late, "stopped") <= late  # type: ignore[operator]
    assert c.last_transition("office", utc(2026, 6, 3, 23, 40), "stopped") == utc(2026, 6, 3, 19)


def test_answers_do_not_depend_on_what_was_asked_before() -> None:
    warm = clock(office=schedule("Europe/Berlin", OFFICE, holidays={"country": "DE"}))
    moments = [utc(2026, 1, 1) + timedelta(hours=7 * i) for i in range(400)]
    for moment in reversed(moments):
        warm.desired("office", moment)
        warm.last_transition("office", moment, "stopped")

    for moment in moments[::37]:
        cold = clock(office=schedule("Europe/Berlin", OFFICE, holidays={"country": "DE"}))
        assert warm.desired("office", moment) == cold.desired("office", moment)
        assert warm.last_transition("office", moment, "stopped") == cold.last_transition(
            "office", moment, "stopped"
        )


def test_the_same_instant_in_any_zone_is_the_same_question() -> None:
    c = clock(office=schedule("UTC", OFFICE))
    moment = utc(2026, 6, 3, 18, 30)

    assert c.desired("office", moment.astimezone(ZoneInfo("Asia/Tokyo"))) == "running"
    assert c.last_transition("office", moment.astimezone(ZoneInfo("Asia/Tokyo")), "running") == (
        utc(2026, 6, 3, 8, 0)
    )


def test_a_naive_time_is_refused_rather_than_read_in_the_hosts_zone() -> None:
    c = clock(office=schedule("UTC", OFFICE))

    with pytest.raises(ValueError, match="timezone-aware"):
        c.desired("office", datetime(2026, 6, 3, 12, 0))


def test_an_unknown_schedule_name_is_a_key_error_naming_the_known_ones() -> None:
    c = clock(office=schedule("UTC", OFFICE))

    with pytest.raises(KeyError, match=r"unknown schedule 'ofice' \(known: office\)"):
        c.desired("ofice", utc(2026, 6, 3))
    assert "office" in c
    assert "ofice" not in c


def test_office_hours_running_fraction_is_55_of_168_hours() -> None:
    c = clock(office=schedule("America/New_York", OFFICE))

    # Four whole weeks from a Monday midnight, no DST change in June.
    start = local("America/New_York", 2026, 6, 1, 0, 0)
    assert c.running_fraction("office", start) == pytest.approx(55 / 168)
