"""Timestamps and budget-period arithmetic shared by the budget normalizers.

``period_start`` is part of the dedup key (one message per budget · period · kind ·
threshold), so every provider must map an alert to the *start of the budget period it is
about*. The provider modules decide which rule applies; this module only does calendar
arithmetic, all in UTC (AWS and Azure evaluate budgets in UTC; Google states its own interval
start). When a period length is unknown the callers fall back to the calendar month: a period
guessed *shorter* than the real one can at worst repeat an alert the provider itself sends
once per period anyway, while one guessed longer would swallow next period's alert.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from costwarden.errors import PayloadError
from costwarden.normalize.budget.fields import type_name

_MONTHS = {
    name: number
    for number, name in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ),
        start=1,
    )
}
# "May 13, 2024" - AWS's notification header. Parsed by hand: strptime's %B follows the
# process locale, which a Lambda runtime does not promise.
_ENGLISH_DATE = re.compile(r"(?P<month>[A-Za-z]+)\s+(?P<day>\d{1,2}),\s*(?P<year>\d{4})")
# "6/1/2018" or "11/17/2021 5:40:29 PM -08:00" - legacy Azure's US-style dates.
_US_DATE = re.compile(r"(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4})\b")


def parse_timestamp(value: object, *, field: str) -> datetime:
    """An RFC 3339 / ISO 8601 timestamp as an aware datetime; a naive one is taken as UTC.

    Accepts the shapes the providers send: ``Z`` suffix, 3, 6, 7 (Azure) or 9 (Pub/Sub)
    fractional digits. Python 3.11's ``fromisoformat`` copes with all of them.
    """
    if not isinstance(value, str):
        raise PayloadError(f"{field} must be a timestamp string, got {type_name(value)}")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise PayloadError(f"{field} is not an ISO 8601 timestamp: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_english_date(text: str) -> date | None:
    """``"May 13, 2024"`` as a date, or None when ``text`` is not that shape."""
    match = _ENGLISH_DATE.fullmatch(text.strip())
    if match is None:
        return None
    month = _MONTHS.get(match["month"].lower())
    if month is None:
        return None
    try:
        return date(int(match["year"]), month, int(match["day"]))
    except ValueError:
        return None


def parse_loose_date(text: str | None) -> date | None:
    """Azure's ``BudgetStartDate`` in any shape seen (ISO, ``6/1/2018``, with a time), or None.

    Only used as an anchor for quarterly/annual periods, so an unreadable value is not an
    error: the caller falls back to calendar periods.
    """
    if not text:
        return None
    us = _US_DATE.match(text.strip())
    if us is not None:
        try:
            return date(int(us["year"]), int(us["month"]), int(us["day"]))
        except ValueError:
            return None
    try:
        return datetime.fromisoformat(text.strip()).date()
    except ValueError:
        return None


def utc_date(moment: datetime) -> date:
    """The UTC calendar date of an aware (or naive-as-UTC) datetime."""
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(UTC).date()


def month_start(day: date) -> date:
    return day.replace(day=1)


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def year_start(day: date) -> date:
    return date(day.year, 1, 1)


def anchored_period_start(day: date, *, anchor: date, months: int) -> date:
    """Start of the ``months``-long period containing ``day``, periods repeating from ``anchor``.

    Azure's quarterly and annual budgets reset every 3 or 12 months counted from the budget's
    start month, which need not be January. A ``day`` before the anchor (clock skew, bad data)
    falls back to the calendar period so we never return a date after ``day``.
    """
    elapsed = (day.year * 12 + day.month) - (anchor.year * 12 + anchor.month)
    if elapsed < 0:
        return quarter_start(day) if months == 3 else year_start(day)
    index = anchor.year * 12 + (anchor.month - 1) + (elapsed // months) * months
    return date(index // 12, index % 12 + 1, 1)
