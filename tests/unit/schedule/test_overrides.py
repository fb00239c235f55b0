"""Keep-running-until override values: the two spellings read, everything else unreadable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from costwarden.schedule import format_until, parse_until

WANTED = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-30T08:00Z", WANTED),
        ("2026-11-30T08:00:00Z", WANTED),
        ("2026-11-30T08:00:00.123Z", WANTED),
        ("2026-11-30 08:00Z", WANTED),
        ("2026-11-30t08:00z", WANTED),
        ("2026-11-30T09:00+01:00", WANTED),
        ("2026-11-30T03:00:00-05:00", WANTED),
        ("2026-11-30T13:30+05:30", WANTED),
        ("20261130t0800z", WANTED),
        ("20261130T0800Z", WANTED),
        ("20261130t080000z", WANTED),
        ("20261130t0300-0500", WANTED),
        ("  20261130t0800z ", WANTED),
        ("2026-12-01T00:30+01:00", datetime(2026, 11, 30, 23, 30, tzinfo=UTC)),
    ],
)
def test_readable_values_give_the_utc_instant(value: str, expected: datetime) -> None:
    parsed = parse_until(value)

    assert parsed == expected
    assert parsed is not None
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "value",
    [
        "2026-11-30T08:00",  # no offset: never read in the host's zone
        "2026-11-30",
        "20261130t0800",
        "tomorrow",
        "",
        "2026-02-30T08:00Z",  # no such day
        "2026-11-30T25:00Z",
        "2026-11-30T08:00+25:00",
        "2026-11-30T08:00+05:75",
        "2026-W48-1T08:00Z",
        "1764489600",
        "20261130t0800z-extra",
        "9999-12-31T23:59-05:00",  # past datetime's range in UTC: unreadable, not a crash
        "0001-01-01T00:30+01:00",
        "99991231t2359-0500",
    ],
)
def test_unreadable_values_are_none(value: str) -> None:
    assert parse_until(value) is None


def test_format_until_writes_the_label_safe_basic_form() -> None:
    assert format_until(datetime(2026, 11, 30, 9, 0, tzinfo=timezone(timedelta(hours=1)))) == (
        "20261130t0800z"
    )
    assert format_until(datetime(2026, 11, 30, 8, 0, 5, tzinfo=UTC)) == "20261130t080005z"


def test_format_until_refuses_a_naive_time() -> None:
    with pytest.raises(ValueError, match="aware"):
        format_until(datetime(2026, 11, 30, 8, 0))


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1),
        max_value=datetime(2099, 12, 31),
        timezones=st.just(UTC),
    )
)
def test_formatted_values_read_back_to_the_same_second(moment: datetime) -> None:
    value = format_until(moment)

    assert value == value.lower()
    assert parse_until(value) == moment.replace(microsecond=0)
