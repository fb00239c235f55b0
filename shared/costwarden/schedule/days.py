"""Day tokens and local clock times of schedule periods, parsed once and matched fast.

A period's ``days`` is a list of tokens: ``mon`` .. ``sun``; a range ``mon-fri`` (``fri-mon``
wraps over the weekend: fri, sat, sun, mon); the nth weekday of a month ``mon#1`` .. ``mon#5``;
the last weekday of a month ``fri#L``. Anything else is refused with a message that says what
to write instead: a schedule that silently never matches a day is a machine left running.

Tokens compile to a ``DaySet`` (a weekday set plus nth/last rules) whose ``matches(date)`` is a
few set lookups: the clock calls it for every period of every day it scans.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NoReturn

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_INDEX = {name: i for i, name in enumerate(DAY_NAMES)}
_TOKEN = re.compile(r"(?P<first>[a-z]+)(?:-(?P<last>[a-z]+)|#(?P<nth>[^#]*))?")
_TIME = re.compile(r"(?P<h>\d{1,2}):(?P<m>\d{2})")
#: Words people write for "which days" that are not tokens, and the token they mean.
_SPELLED = {
    "weekdays": "mon-fri",
    "workdays": "mon-fri",
    "weekday": "mon-fri",
    "weekend": "sat-sun",
    "weekends": "sat-sun",
    "daily": "mon-sun",
    "everyday": "mon-sun",
    "all": "mon-sun",
    "*": "mon-sun",
}
MAX_NTH = 5
MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True, slots=True)
class DaySet:
    """The days a period applies to. Weekdays are ``date.weekday()`` numbers (Monday = 0)."""

    weekdays: frozenset[int] = frozenset()
    #: ``(weekday, n)``: the nth such weekday of its month (1..5).
    nth: frozenset[tuple[int, int]] = frozenset()
    #: Weekdays that match on their last occurrence in a month.
    last: frozenset[int] = frozenset()

    def matches(self, day: date) -> bool:
        weekday = day.weekday()
        if weekday in self.weekdays:
            return True
        if self.nth and (weekday, (day.day - 1) // 7 + 1) in self.nth:
            return True
        return weekday in self.last and (day + timedelta(days=7)).month != day.month


def normalize_token(token: str) -> str:
    """The token in its canonical spelling (``Mon-FRI`` -> ``mon-fri``, ``fri#l`` ->
    ``fri#L``), or ``ValueError`` with a message a policy author can act on."""
    text = token.strip().lower()
    if not text:
        raise ValueError("empty day: write mon..sun, a range such as mon-fri, mon#1 or fri#L")
    if text in _SPELLED:
        raise ValueError(f"{token!r} is not a day token: write {_SPELLED[text]}")
    if "," in text or " " in text:
        raise ValueError(f"{token!r}: write one token per list item, e.g. [mon, wed, fri]")
    if "#" in text and "-" in text.partition("#")[0]:
        raise ValueError(f"{token!r}: '#' applies to one day, not a range (e.g. mon#1)")
    found = _TOKEN.fullmatch(text)
    if found is None:
        raise ValueError(f"{token!r} is not a day token: {_FORMS}")
    first = _day(found["first"], token)
    if found["last"] is not None:
        last = _day(found["last"], token)
        if first == last:
            raise ValueError(f"{token!r}: a range needs two different days (write {first})")
        return f"{first}-{last}"
    if found["nth"] is not None:
        nth = found["nth"]
        if nth == "l":
            return f"{first}#L"
        if not (nth.isdigit() and 1 <= int(nth) <= MAX_NTH):
            raise ValueError(
                f"{token!r}: after '#' write 1 to 5 (the nth {first} of the month) "
                f"or L (the last {first} of the month)"
            )
        return f"{first}#{int(nth)}"
    return first


_FORMS = (
    "write mon, tue, wed, thu, fri, sat or sun, a range such as mon-fri (fri-mon wraps over "
    "the weekend), the nth weekday of the month such as mon#1 (1 to 5), or the last one such "
    "as fri#L"
)


def _day(word: str, token: str) -> str:
    if word in _INDEX:
        return word
    if len(word) >= 3 and word[:3] in _INDEX:
        _raise_named(token, word[:3])
    close = difflib.get_close_matches(word, DAY_NAMES, n=1, cutoff=0.6)
    if close:
        _raise_named(token, close[0])
    raise ValueError(f"{token!r} is not a day token: {_FORMS}")


def _raise_named(token: str, day: str) -> NoReturn:
    raise ValueError(
        f"{token!r} is not a day token: days are written mon..sun (did you mean {day}?)"
    )


def compile_days(tokens: Iterable[str]) -> DaySet:
    """Compile tokens (validated by ``normalize_token``) into one ``DaySet``."""
    weekdays: set[int] = set()
    nth: set[tuple[int, int]] = set()
    last: set[int] = set()
    for token in tokens:
        canonical = normalize_token(token)
        head, sep, tail = canonical.partition("#")
        if sep:
            if tail == "L":
                last.add(_INDEX[head])
            else:
                nth.add((_INDEX[head], int(tail)))
            continue
        first, _, end = head.partition("-")
        start = _INDEX[first]
        stop = _INDEX[end] if end else start
        span = (stop - start) % 7
        weekdays.update((start + i) % 7 for i in range(span + 1))
    return DaySet(frozenset(weekdays), frozenset(nth), frozenset(last))


def parse_clock_time(text: str) -> int:
    """``HH:MM`` (or ``H:MM``) local time -> minutes after midnight, 0..1439.

    ``24:00`` is refused: a day has no 24:00, and a stop at the end of the day is ``00:00``
    (a stop earlier than the start wraps past midnight).
    """
    found = _TIME.fullmatch(text.strip())
    if found is None:
        raise ValueError(
            f"{text!r} is not a time of day: write HH:MM (24-hour clock), e.g. '08:00'"
        )
    hours, minutes = int(found["h"]), int(found["m"])
    if hours == 24 and minutes == 0:
        raise ValueError(
            "24:00 is not a time of day: to stop at midnight write '00:00' (a stop earlier "
            "than the start runs past midnight)"
        )
    if hours > 23:
        raise ValueError(f"{text!r}: hours run from 00 to 23")
    if minutes > 59:
        raise ValueError(f"{text!r}: minutes run from 00 to 59")
    return hours * 60 + minutes


def format_clock_time(minutes: int) -> str:
    """Minutes after midnight -> ``HH:MM``."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
