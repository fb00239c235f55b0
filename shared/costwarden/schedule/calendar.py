"""Public holidays of a schedule: a country (and subdivision) from the ``holidays`` package plus
explicit dates, answered per *local* date of the schedule's time zone.

The ``holidays`` package computes a year on first use; the clock asks about the same few
hundred dates for every resource, so each year's dates are kept as one frozenset.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Iterable
from datetime import date
from typing import Any


def _holidays_module() -> Any:
    # Imported lazily: validating a policy without holidays, or a cold start that never
    # meets one, does not pay for the package's import.
    import holidays

    return holidays


@functools.cache
def _countries() -> dict[str, tuple[str, ...]]:
    supported: dict[str, Any] = _holidays_module().list_supported_countries()
    return {code: tuple(subdivisions) for code, subdivisions in supported.items()}


@functools.cache
def _subdivisions(country: str) -> tuple[str, ...]:
    """Codes and the names the package accepts for them (``BY`` and ``Bayern``)."""
    calendar = _holidays_module().country_holidays(country)
    aliases: dict[str, str] = getattr(calendar, "subdivisions_aliases", {}) or {}
    return tuple(dict.fromkeys([*_countries()[country], *aliases]))


def country_problem(country: str) -> str | None:
    """Why ``country`` is not a country code the ``holidays`` package knows, or None."""
    countries = _countries()
    if country in countries:
        return None
    if country.upper() in countries:
        return f"country codes are uppercase: write {country.upper()!r}"
    close = difflib.get_close_matches(country.upper(), [c for c in countries if len(c) == 2])
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return (
        f"{country!r} is not a country the holidays calendar knows (write an ISO 3166 code "
        f"such as DE, US or GB){hint}"
    )


def subdivision_problem(country: str, subdivision: str) -> str | None:
    """Why ``subdivision`` is not one of ``country``'s subdivisions, or None."""
    known = _subdivisions(country)
    if subdivision in known:
        return None
    if not known:
        return f"the holidays calendar of {country} has no subdivisions: drop subdivision"
    by_fold = {s.casefold(): s for s in known}
    if subdivision.casefold() in by_fold:
        return f"write {by_fold[subdivision.casefold()]!r}"
    codes = [s for s in known if s == s.upper()]
    shown = ", ".join(codes or known)
    return f"{subdivision!r} is not a subdivision of {country} (known: {shown})"


class HolidayDates:
    """Is a local date a holiday of this calendar? Years computed once, on first use."""

    def __init__(self, country: str | None, subdivision: str | None, dates: Iterable[date]) -> None:
        self._country = country
        self._subdivision = subdivision
        self._explicit = frozenset(dates)
        self._years: dict[int, frozenset[date]] = {}

    def __contains__(self, day: date) -> bool:
        if day in self._explicit:
            return True
        if self._country is None:
            return False
        year = self._years.get(day.year)
        if year is None:
            # Neighbouring years too: an observed day can fall in the year before or after
            # the holiday it is observed for (1 January on a Saturday, observed 31 December).
            years = (day.year - 1, day.year, day.year + 1)
            calendar = _holidays_module().country_holidays(
                self._country, subdiv=self._subdivision, years=years
            )
            year = frozenset(d for d in calendar if d.year == day.year)
            self._years[day.year] = year
        return day in year
