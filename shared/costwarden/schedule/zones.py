"""Which time zone names a schedule accepts, and why every other name is refused.

The rule: ``UTC``, ``Etc/UTC``, or a name listed in the IANA tz database's ``zone.tab`` — the
one canonical ``Area/Location`` name per zone and country (``Europe/Berlin``,
``America/Argentina/Buenos_Aires``, ``Asia/Kolkata``). The list is read from the ``tzdata``
package, so it is the same on every host, never the host's own configuration.

Everything else is refused, each with what to write instead:

* abbreviations (``IST`` is India, Ireland *or* Israel; ``EST`` and ``MST`` are fixed offsets
  without daylight saving, so ``EST`` in July is an hour off New York);
* legacy aliases kept by the tz database for backward compatibility (``US/Eastern``, ``GB``,
  ``PRC``, ``Asia/Calcutta``, ``Europe/Kiev``): they work, but they are not what the database
  recommends and some of them (``EST``, ``CET``) silently changed meaning over the years;
* ``Etc/GMT+5``-style fixed offsets, whose sign is inverted (``Etc/GMT+5`` is UTC-05:00);
* ``GMT``, ``Zulu``, ``UCT`` and other spellings of UTC: write ``UTC``;
* unknown names, with the closest canonical names as suggestions.

Peers get this wrong in both directions (Cloud Custodian reads ``ist`` as Dublin and falls back
to the host zone for names it cannot parse); a schedule a few hours off stops machines while
people use them.
"""

from __future__ import annotations

import difflib
import functools
import zoneinfo
from importlib import resources
from pathlib import Path

UTC_NAMES = ("UTC", "Etc/UTC")
_UTC_SPELLINGS = {
    "gmt", "gmt0", "gmt+0", "gmt-0", "greenwich", "uct", "universal", "zulu", "utc", "z",
    "etc/gmt", "etc/gmt0", "etc/gmt+0", "etc/gmt-0", "etc/greenwich", "etc/uct",
    "etc/universal", "etc/zulu", "etc/utc",
}  # fmt: skip
#: Abbreviations people write, and the canonical zones they usually mean.
_ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "IST": ("Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem"),
    "EST": ("America/New_York", "America/Toronto"),
    "EDT": ("America/New_York", "America/Toronto"),
    "EST5EDT": ("America/New_York",),
    "ET": ("America/New_York",),
    "CST": ("America/Chicago", "Asia/Shanghai", "America/Havana"),
    "CDT": ("America/Chicago",),
    "CST6CDT": ("America/Chicago",),
    "CT": ("America/Chicago",),
    "MST": ("America/Denver", "America/Phoenix"),
    "MDT": ("America/Denver",),
    "MST7MDT": ("America/Denver",),
    "MT": ("America/Denver",),
    "PST": ("America/Los_Angeles", "America/Vancouver"),
    "PDT": ("America/Los_Angeles",),
    "PST8PDT": ("America/Los_Angeles",),
    "PT": ("America/Los_Angeles",),
    "AKST": ("America/Anchorage",),
    "HST": ("Pacific/Honolulu",),
    "CET": ("Europe/Berlin", "Europe/Paris", "Europe/Madrid"),
    "CEST": ("Europe/Berlin", "Europe/Paris", "Europe/Madrid"),
    "MET": ("Europe/Berlin", "Europe/Paris"),
    "MEZ": ("Europe/Berlin",),
    "EET": ("Europe/Athens", "Europe/Helsinki", "Europe/Bucharest"),
    "EEST": ("Europe/Athens", "Europe/Helsinki", "Europe/Bucharest"),
    "WET": ("Europe/Lisbon",),
    "BST": ("Europe/London", "Asia/Dhaka"),
    "MSK": ("Europe/Moscow",),
    "JST": ("Asia/Tokyo",),
    "KST": ("Asia/Seoul",),
    "SGT": ("Asia/Singapore",),
    "HKT": ("Asia/Hong_Kong",),
    "PKT": ("Asia/Karachi",),
    "ICT": ("Asia/Bangkok", "Asia/Ho_Chi_Minh"),
    "WIB": ("Asia/Jakarta",),
    "AEST": ("Australia/Sydney", "Australia/Melbourne", "Australia/Brisbane"),
    "AEDT": ("Australia/Sydney", "Australia/Melbourne"),
    "ACST": ("Australia/Adelaide", "Australia/Darwin"),
    "AWST": ("Australia/Perth",),
    "NZST": ("Pacific/Auckland",),
    "NZDT": ("Pacific/Auckland",),
    "SAST": ("Africa/Johannesburg",),
    "WAT": ("Africa/Lagos",),
    "EAT": ("Africa/Nairobi",),
    "CAT": ("Africa/Maputo",),
    "BRT": ("America/Sao_Paulo",),
    "ART": ("America/Argentina/Buenos_Aires",),
}
_EXAMPLES = "such as Europe/Berlin, America/New_York or Asia/Kolkata"


@functools.cache
def canonical_zones() -> frozenset[str]:
    """``zone.tab``'s names plus ``UTC`` and ``Etc/UTC``: the names a schedule accepts."""
    names = {
        line.split("\t")[2].strip()
        for line in _tz_file("zone.tab").splitlines()
        if line.strip() and not line.startswith("#")
    }
    return frozenset(names | set(UTC_NAMES))


@functools.cache
def _links() -> dict[str, str]:
    """Alias -> target, from the ``L target alias`` lines of ``tzdata.zi``."""
    links: dict[str, str] = {}
    for line in _tz_file("tzdata.zi").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "L":
            links[parts[2]] = parts[1]
    return links


def _tz_file(name: str) -> str:
    """A file of the tz database: the ``tzdata`` package's copy (same on every host), else the
    system's (a host without the package, which costwarden's dependencies rule out)."""
    try:
        return resources.files("tzdata.zoneinfo").joinpath(name).read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        for folder in zoneinfo.TZPATH:
            path = Path(folder) / name
            if path.is_file():
                return path.read_text("utf-8")
    raise RuntimeError(f"the tz database file {name} is missing: install the tzdata package")


def zone_problem(name: str) -> str | None:
    """Why ``name`` is not an accepted time zone (see the module docstring), or None."""
    if name in canonical_zones():
        return None
    return _refusal(name)


def _refusal(name: str) -> str:
    if name.upper() in _ABBREVIATIONS:
        options = _ABBREVIATIONS[name.upper()]
        return (
            f"{name!r} is an abbreviation, not a time zone (abbreviations are ambiguous and "
            f"ignore daylight saving): write the place's Area/City name, e.g. {_either(options)}"
        )
    if name.casefold() in _UTC_SPELLINGS:
        return f"write 'UTC' rather than {name!r}" + (
            " (for UK time, with summer time, write 'Europe/London')"
            if name.casefold().endswith(("gmt", "greenwich"))
            else ""
        )
    if name.startswith("Etc/GMT"):
        return (
            f"{name!r} is a fixed offset with an inverted sign (Etc/GMT+5 is UTC-05:00) and no "
            f"daylight saving: write the place's Area/City name ({_EXAMPLES}) or 'UTC'"
        )
    target = _links().get(name)
    if target in canonical_zones():
        return f"{name!r} is a legacy alias in the tz database: write {target!r}"
    if name in zoneinfo.available_timezones():
        return (
            f"{name!r} is not a location time zone: write the place's Area/City name ({_EXAMPLES})"
        )
    return _unknown(name)


def _unknown(name: str) -> str:
    canonical = sorted(canonical_zones())
    by_fold = {zone.casefold(): zone for zone in canonical}
    if name.strip().casefold() in by_fold:
        right = by_fold[name.strip().casefold()]
        return f"unknown time zone {name!r}: names are case-sensitive, write {right!r}"
    wanted = name.strip().replace(" ", "_").casefold()
    city = {zone.rsplit("/", 1)[-1].casefold(): zone for zone in canonical}
    guesses = [city[wanted]] if wanted in city else []
    folded = difflib.get_close_matches(wanted, list(by_fold), n=3, cutoff=0.75)
    guesses += [by_fold[g] for g in folded if by_fold[g] not in guesses]
    if not guesses:
        cities = difflib.get_close_matches(wanted, list(city), n=2, cutoff=0.8)
        guesses = [city[c] for c in cities]
    if guesses:
        return f"unknown time zone {name!r}; did you mean {_either(guesses[:3])}?"
    return (
        f"unknown time zone {name!r}: write an IANA Area/City name ({_EXAMPLES}; the tz "
        "database's zone.tab lists them) or 'UTC'"
    )


def _either(options: tuple[str, ...] | list[str]) -> str:
    quoted = [repr(o) for o in options]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + f" or {quoted[-1]}"


def load_zone(name: str) -> zoneinfo.ZoneInfo:
    """The zone for an accepted name. ``ValueError`` for any other (never a fallback zone)."""
    problem = zone_problem(name)
    if problem:
        raise ValueError(problem)
    return zoneinfo.ZoneInfo(name)
