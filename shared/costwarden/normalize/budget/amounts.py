"""Money and percent parsing for budget notifications.

Decisions (each pinned by tests in ``tests/unit/normalize``):

* Amounts are ``Decimal`` end to end. JSON numbers (Google) go through ``str()`` first, so
  ``5860.14`` stays ``5860.14`` rather than its binary neighbour.
* Number grammar. The providers write English-locale numbers: ``36.69``, ``11,111.00``
  (comma = thousands separator, in groups of three), ``$0.5``, ``8000.0``. Those are parsed.
  A decimal comma is accepted only where it cannot be read any other way - ``50,00`` or
  ``1.234,56`` (a comma followed by one or two final digits) - because Azure lets a budget
  pick a notification locale and we would rather read a German amount than drop the alert.
  ``1.234`` (no comma) is read as English, 1.234. Anything else - ``1,23,4``, ``12.34.56``,
  ``1.234,567``, 18+ integer digits - raises ``PayloadError`` quoting the raw text: a
  misread amount would be worse than a loud failure.
* Currency labels. AWS writes ``$`` for USD and no currency code; nothing public shows it
  writing another symbol, so besides ``$`` only unambiguous labels are mapped: an ISO 4217
  code before or after the number (``USD 30.00``, ``30.00 EUR``), ``US$``, ``€`` and ``£``.
  ``¥`` (JPY or CNY?) and ``kr`` and the like are refused with a clear error rather than
  guessed. A bare number carries no currency (the caller decides, see ``aws.py``).
* Percent. ``threshold_percent`` is what a person typed when they configured the alert
  (80, 90, 100...), so when it must be computed from two displayed amounts
  (AWS ``Alert Threshold: > $24.00`` against ``Budgeted Amount: $30.00``) we return the
  simplest percent - whole, then one decimal, then two - that reproduces the displayed
  threshold once rounded like the display. ``$26.66`` of ``$33.33`` is therefore 80.0, not
  79.99; a value no short percent reproduces falls back to two decimals. Either way the
  result depends only on the two displayed strings, so the dedup key is stable.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

from costwarden.errors import PayloadError
from costwarden.normalize.budget.fields import type_name

# Symbols we are sure about. "$" alone is USD because AWS and Azure use it for USD only
# (Azure states the real currency separately in ``Unit`` and we prefer that there).
CURRENCY_SYMBOLS: dict[str, str] = {"$": "USD", "US$": "USD", "€": "EUR", "£": "GBP"}

# No budget or spend comes near this; bigger "amounts" are garbage, and would overflow the
# 28-digit decimal context in the percent arithmetic.
MAX_AMOUNT = Decimal(10) ** 18

_ISO_CODE = re.compile(r"[A-Z]{3}")
_SPACES = re.compile(r"[\s\u00a0\u202f]+")
# English grouping: 1,234,567.89 - groups of exactly three digits.
_EN_GROUPED = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_PLAIN = re.compile(r"\d+(?:\.\d+)?")
# Unambiguous decimal comma: 50,00 / 1.234,56 (one or two digits after the last comma).
_COMMA_DECIMAL = re.compile(r"(?:\d{1,3}(?:\.\d{3})+|\d+),\d{1,2}")
# label? sign? number label?  - e.g. "$1,234.56", "-$3.10", "$-3.10", "750.00 Hrs", "USD 5"
_MONEY = re.compile(
    r"""\s*(?P<sign1>[-\u2212])?\s*
        (?P<prefix>[^\d\s.,\-\u2212]*)\s*
        (?P<sign2>[-\u2212])?\s*
        (?P<number>\d(?:[\d.,\s\u00a0\u202f]*\d)?)\s*
        (?P<suffix>[^\d]*?)\s*""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Money:
    """A parsed ``<label><number><label>`` string: the amount and whatever label it carried."""

    amount: Decimal
    label: str | None  # "$", "USD", "Hrs"... exactly as written; None for a bare number
    raw: str

    @property
    def currency(self) -> str | None:
        """The ISO 4217 code the label stands for, or None when the label is not a currency."""
        if self.label is None:
            return None
        if _ISO_CODE.fullmatch(self.label):
            return self.label
        return CURRENCY_SYMBOLS.get(self.label)


def parse_number(text: str, *, field: str, raw: str | None = None) -> Decimal:
    """A bare number string (optionally signed, thousands-separated) as an exact ``Decimal``.

    ``raw`` is the text to quote in errors when ``text`` was cut out of a longer string.
    """
    raw = text if raw is None else raw
    text = _SPACES.sub("", text.strip())
    negative = text[:1] in ("-", "\u2212")
    if negative:
        text = text[1:]
    if _PLAIN.fullmatch(text) or _EN_GROUPED.fullmatch(text):
        digits = text.replace(",", "")
    elif _COMMA_DECIMAL.fullmatch(text):
        digits = text.replace(".", "").replace(",", ".")
    else:
        raise PayloadError(f"{field} is not a number: {raw!r}")
    value = _bounded(Decimal(digits), raw, field)
    return -value if negative else value


def parse_money(text: str, *, field: str) -> Money:
    """``"$1,234.56"``, ``"-$3.10"``, ``"750.00 Hrs"``, ``"USD 5"`` -> amount and label."""
    match = _MONEY.fullmatch(text)
    if match is None:
        raise PayloadError(f"{field} is not an amount: {text!r}")
    prefix, suffix = match["prefix"], match["suffix"].strip()
    if prefix and suffix:
        raise PayloadError(f"{field} has a label on both sides of the number: {text!r}")
    amount = parse_number(match["number"], field=field, raw=text)
    if match["sign1"] or match["sign2"]:
        amount = -amount
    return Money(amount=amount, label=prefix or suffix or None, raw=text)


def parse_json_amount(value: object, *, field: str) -> Decimal:
    """A JSON number or numeric string (Google, legacy Azure) as an exact ``Decimal``."""
    if isinstance(value, bool) or value is None:
        raise PayloadError(f"{field} must be a number, got {type_name(value)}")
    if isinstance(value, int):
        return _bounded(Decimal(value), value, field)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise PayloadError(f"{field} is not a finite number: {value!r}")
        # str() gives the shortest repr that round-trips, i.e. what the sender wrote.
        return _bounded(Decimal(str(value)), value, field)
    if isinstance(value, str):
        return parse_number(value, field=field)
    raise PayloadError(f"{field} must be a number, got {type_name(value)}")


def percent_of(part: Decimal, whole: Decimal) -> float | None:
    """``part`` as a percent of ``whole``: the simplest percent reproducing the shown ``part``.

    None when ``whole`` is not positive (no meaningful percent of a zero budget).
    """
    if whole <= 0:
        return None
    # Amounts are bounded (MAX_AMOUNT) but may carry many decimals; 60 digits is ample.
    with localcontext(prec=60):
        exact = part * 100 / whole
        shown = _quantum(part)
        for places in (0, 1, 2):
            candidate = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
            redisplayed = (whole * candidate / 100).quantize(shown, rounding=ROUND_HALF_UP)
            if redisplayed == part.quantize(shown, rounding=ROUND_HALF_UP):
                return float(candidate)
        return float(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def ratio_to_percent(ratio: Decimal) -> float:
    """Google's ``alertThresholdExceeded`` fraction (0.8) as a percent (80.0), 2 decimals."""
    return float((ratio * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _bounded(value: Decimal, raw: object, field: str) -> Decimal:
    if abs(value) >= MAX_AMOUNT:
        raise PayloadError(f"{field} is implausibly large: {raw!r}")
    return value


def _quantum(value: Decimal) -> Decimal:
    """The display precision of ``value``: 0.01 for ``24.00``, 1 for ``8000``."""
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int):  # NaN / infinity never get here; parse rejects them
        raise InvalidOperation(f"not a finite amount: {value}")
    return Decimal(1).scaleb(min(exponent, 0))
