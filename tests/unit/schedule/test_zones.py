"""The time zone rule: UTC or a zone.tab name; everything else refused with what to write."""

from __future__ import annotations

import re
import zoneinfo

import pytest

from costwarden.schedule.zones import canonical_zones, load_zone, zone_problem


@pytest.mark.parametrize(
    "name",
    [
        "UTC",
        "Etc/UTC",
        "Europe/Berlin",
        "America/New_York",
        "Asia/Kolkata",
        "America/Argentina/Buenos_Aires",
        "Europe/Amsterdam",  # a link since 2022 zone merges, but zone.tab's name for NL
        "Europe/Kyiv",
        "Pacific/Auckland",
    ],
)
def test_canonical_names_are_accepted(name: str) -> None:
    assert zone_problem(name) is None
    assert load_zone(name).key == name


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "IST",
            "'IST' is an abbreviation, not a time zone (abbreviations are ambiguous and ignore "
            "daylight saving): write the place's Area/City name, e.g. 'Asia/Kolkata', "
            "'Europe/Dublin' or 'Asia/Jerusalem'",
        ),
        ("EST", "'EST' is an abbreviation, not a time zone"),
        ("est", "'est' is an abbreviation, not a time zone"),
        ("CET", "e.g. 'Europe/Berlin', 'Europe/Paris' or 'Europe/Madrid'"),
        ("EET", "'EET' is an abbreviation"),
        ("MST", "e.g. 'America/Denver' or 'America/Phoenix'"),
        ("EST5EDT", "e.g. 'America/New_York'"),
        ("PRC", "'PRC' is a legacy alias in the tz database: write 'Asia/Shanghai'"),
        ("GB", "'GB' is a legacy alias in the tz database: write 'Europe/London'"),
        (
            "US/Eastern",
            "'US/Eastern' is a legacy alias in the tz database: write 'America/New_York'",
        ),
        ("US/Pacific", "write 'America/Los_Angeles'"),
        ("Asia/Calcutta", "write 'Asia/Kolkata'"),
        ("Europe/Kiev", "write 'Europe/Kyiv'"),
        ("Japan", "write 'Asia/Tokyo'"),
        (
            "GMT",
            "write 'UTC' rather than 'GMT' (for UK time, with summer time, write 'Europe/London')",
        ),
        ("Zulu", "write 'UTC' rather than 'Zulu'"),
        ("utc", "write 'UTC' rather than 'utc'"),
        (
            "Etc/GMT+5",
            "'Etc/GMT+5' is a fixed offset with an inverted sign (Etc/GMT+5 is UTC-05:00)",
        ),
        ("Factory", "'Factory' is not a location time zone"),
        (
            "europe/berlin",
            "unknown time zone 'europe/berlin': names are case-sensitive, write 'Europe/Berlin'",
        ),
        ("Europe/Berln", "unknown time zone 'Europe/Berln'; did you mean 'Europe/Berlin'"),
        ("Berlin", "unknown time zone 'Berlin'; did you mean 'Europe/Berlin'?"),
        ("New York", "unknown time zone 'New York'; did you mean 'America/New_York'?"),
        (
            "Mars/Olympus_Mons",
            "unknown time zone 'Mars/Olympus_Mons': write an IANA Area/City name",
        ),
        ("", "unknown time zone ''"),
    ],
)
def test_other_names_are_refused_with_what_to_write(name: str, message: str) -> None:
    problem = zone_problem(name)

    assert problem is not None
    assert message in problem
    with pytest.raises(ValueError, match=re.escape(message)):
        load_zone(name)


def test_every_accepted_name_loads_and_is_an_area_location_or_utc() -> None:
    zones = canonical_zones()

    assert len(zones) > 400
    for name in zones:
        assert name in {"UTC", "Etc/UTC"} or ("/" in name and not name.startswith("Etc/"))
        zoneinfo.ZoneInfo(name)


def test_no_name_without_a_slash_but_utc_is_accepted() -> None:
    bare = sorted(n for n in zoneinfo.available_timezones() if "/" not in n)

    assert [n for n in bare if zone_problem(n) is None] == ["UTC"]


def test_no_backward_compatible_us_or_etc_name_but_etc_utc_is_accepted() -> None:
    legacy = [n for n in zoneinfo.available_timezones() if n.startswith(("US/", "Etc/", "Canada/"))]

    assert legacy
    assert [n for n in legacy if zone_problem(n) is None] == ["Etc/UTC"]
