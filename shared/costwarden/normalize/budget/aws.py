"""AWS Budgets notification (the plain-English SNS ``Message``) -> ``BudgetAlert``.

AWS does not publish the template, so the text is read leniently: the ``Key: Value`` lines
first (``Budget Name``, ``Budget Type``, ``Budgeted Amount``, ``Alert Type``,
``Alert Threshold``, ``ACTUAL Amount`` / ``FORECASTED Amount``), then the prose sentence as a
fallback for each. Observed shapes (public SNS payloads, 2019-2026)::

    AWS Budget Notification March 04, 2023
    AWS Account 123456789012
    ... when the ACTUAL Cost associated with your killswitch budget is greater than
    $0.00 per day. Yesterday, the ACTUAL Cost associated with this budget is $2.15 ...
    Budget Name: killswitch / Budget Type: Cost / Budgeted Amount: $70.00 /
    Alert Type: ACTUAL / Alert Threshold: > $0.00 / ACTUAL Amount: $2.15
    [1] https://console.aws.amazon.com/billing/home#/budgets

Decisions:

* Essential fields are the budget name, budgeted amount, alert type, threshold and a
  date; without one of them ``PayloadError`` names it. The current amount is optional.
* When a line and the prose disagree (one real FORECASTED message says ``$1.03`` in prose
  and ``FORECASTED Amount: $0.5`` below) the ``Key: Value`` line wins: it is the
  structured part of the template.
* ``threshold_percent`` is computed from ``Alert Threshold`` and ``Budgeted Amount``
  (see ``amounts.percent_of``): ``> $24.00`` of ``$30.00`` is 80.0.
* ``period_start`` comes from the header date (``AWS Budget Notification May 13, 2024``,
  a UTC date), falling back to the SNS ``Timestamp``: ``for the current month`` -> the 1st
  of that month; ``quarter`` -> the calendar quarter's first day (AWS quarters are calendar
  quarters); ``year`` -> 1 January; ``per day`` -> the notification date, or the day before
  when the text says ``Yesterday`` (a daily alert reports the previous day's spend). Wording
  we have not seen leaves ``period`` None and uses the calendar month, the safe guess
  (see ``periods``). The quarterly, annual and usage wordings are inferred from the monthly
  and daily ones; the parser matches the period phrase and unit labels generically.
* Currency: AWS writes ``$`` and nothing else has been seen. A bare number on a cost budget
  is USD, the only currency the Budgets API accepts for cost budgets; other labels are
  mapped only when unambiguous (``amounts.CURRENCY_SYMBOLS`` or an ISO code) and refused
  otherwise. Usage budgets carry a unit label instead (``750.00 Hrs``): ``currency`` is
  None and ``unit`` is that label.
* ``scope`` is the 12-digit account id as a string (leading zeros kept); ``budget_id`` is
  None (the text has no id); ``console_url`` is the link in the text, else the console's
  budgets page.
* Budget types other than Cost and Usage (RI / Savings Plans utilization and coverage)
  raise ``UnrecognisedPayloadError``: their thresholds are percentages, not amounts.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from costwarden.errors import PayloadError, UnrecognisedPayloadError
from costwarden.models.budget import BudgetAlert, BudgetPeriod, BudgetType, ThresholdKind
from costwarden.normalize.budget.amounts import Money, parse_money, percent_of
from costwarden.normalize.budget.fields import build_alert
from costwarden.normalize.budget.periods import (
    month_start,
    parse_english_date,
    quarter_start,
    utc_date,
    year_start,
)

WHERE = "AWS budget notification"
DEFAULT_CONSOLE_URL = "https://console.aws.amazon.com/costmanagement/home#/budgets"

_HEADER = re.compile(r"AWS Budget Notification\s+(?P<date>[A-Za-z]+\s+\d{1,2},\s*\d{4})")
_ACCOUNT = re.compile(r"AWS Account\s+(?P<account>\d[\d-]*\d)\b")
_LINE = re.compile(r"^[ \t]*(?P<key>[A-Za-z][A-Za-z ]*?)[ \t]*:[ \t]*(?P<value>\S.*?)[ \t]*$", re.M)
_INTRO = re.compile(
    r"alert you when the (?P<kind>ACTUAL|FORECASTED) (?P<measure>Cost|Usage) associated with"
    r" your (?P<name>.+?) budget is (?:greater|less) than (?P<threshold>.+?)"
    r" (?:per day|for the current)",
    re.I,
)
_CURRENT = re.compile(
    r"(?P<kind>ACTUAL|FORECASTED) (?:Cost|Usage) associated with this budget is"
    r" (?P<amount>.+?)\.(?:\s|$)",
    re.I,
)
_PERIOD = re.compile(r"\b(?:per day|for the current (?P<unit>month|quarter|year))\b", re.I)
_YESTERDAY = re.compile(r"\bYesterday\b", re.I)
_SUBJECT = re.compile(r"AWS Budgets:\s*(?P<name>.+?)\s+(?:has exceeded|is forecasted)", re.I)
_URL = re.compile(r"https://[^\s\]]*console\.(?:aws\.amazon\.com|amazonaws\.cn)/[^\s\]]*")
_OPERATOR = re.compile(r"^(?:>=|<=|>|<|=)\s*")

_PERIOD_WORDS: dict[str, BudgetPeriod] = {
    "month": "monthly",
    "quarter": "quarterly",
    "year": "annually",
}


def from_sns_message(
    *,
    subject: str | None,
    message: str,
    message_id: str | None = None,
    timestamp: datetime | None = None,
) -> BudgetAlert:
    """One AWS Budgets SNS notification as a ``BudgetAlert``.

    ``timestamp`` is the SNS ``Timestamp`` (becomes ``notified_at``, and dates the period
    when the text has no header date). ``message_id`` is the SNS ``MessageId``.
    """
    if not isinstance(message, str) or not message.strip():
        raise PayloadError(f"{WHERE}: Message is empty")
    prose = " ".join(message.split())
    lines = {m["key"].strip().lower(): m["value"] for m in _LINE.finditer(message)}
    intro = _INTRO.search(prose)
    if "budget name" not in lines and not _HEADER.search(prose) and intro is None:
        hint = " (it is JSON: Cost Anomaly Detection?)" if prose.startswith("{") else ""
        raise UnrecognisedPayloadError(f"SNS message is not an AWS Budgets notification{hint}")

    name = lines.get("budget name") or (intro["name"] if intro else None)
    if not name and subject:
        subject_match = _SUBJECT.search(subject)
        name = subject_match["name"] if subject_match else None
    if not name:
        raise PayloadError(f"{WHERE}: 'Budget Name' is missing")

    budget_type = _budget_type(lines.get("budget type"), intro)
    kind = _kind(lines.get("alert type"), intro, prose)

    budget = _money(lines.get("budgeted amount"), "Budgeted Amount")
    threshold_text = lines.get("alert threshold") or (intro["threshold"] if intro else None)
    threshold = _money(
        _OPERATOR.sub("", threshold_text) if threshold_text else None, "Alert Threshold"
    )
    current = _current_amount(lines, prose, kind)
    currency, unit = _currency_and_unit(budget_type, [budget, threshold, current])

    notification_day = _notification_day(prose, timestamp)
    period, period_start = _period(prose, notification_day)
    account = _ACCOUNT.search(prose)
    account_id = account["account"].replace("-", "") if account else None
    url = _URL.search(message)

    return build_alert(
        WHERE,
        provider="aws",
        budget_name=name,
        budget_id=None,
        scope=account_id if account_id and len(account_id) == 12 else None,
        period_start=period_start,
        period=period,
        budget_type=budget_type,
        currency=currency,
        unit=unit,
        budget_amount=budget.amount,
        actual_amount=current.amount if current and kind == "actual" else None,
        forecast_amount=current.amount if current and kind == "forecasted" else None,
        threshold_percent=percent_of(threshold.amount, budget.amount),
        threshold_amount=threshold.amount,
        threshold_kind=kind,
        crossed=True,
        notified_at=timestamp,
        message_id=message_id,
        console_url=url[0].rstrip(".,)") if url else DEFAULT_CONSOLE_URL,
    )


def _budget_type(line: str | None, intro: re.Match[str] | None) -> BudgetType:
    raw = line or (intro["measure"] if intro else None) or "Cost"
    normalized = raw.strip().lower()
    if normalized in ("cost", "usage"):
        return "cost" if normalized == "cost" else "usage"
    raise UnrecognisedPayloadError(
        f"{WHERE}: budget type {raw!r} is not supported (only Cost and Usage budgets)"
    )


def _kind(line: str | None, intro: re.Match[str] | None, prose: str) -> ThresholdKind:
    raw = line or (intro["kind"] if intro else None)
    if raw is None:
        current = _CURRENT.search(prose)
        raw = current["kind"] if current else None
    if raw is None:
        raise PayloadError(f"{WHERE}: 'Alert Type' is missing")
    normalized = raw.strip().upper()
    if normalized == "ACTUAL":
        return "actual"
    if normalized == "FORECASTED":
        return "forecasted"
    raise PayloadError(f"{WHERE}: 'Alert Type' must be ACTUAL or FORECASTED, got {raw!r}")


def _money(text: str | None, field: str) -> Money:
    if not text:
        raise PayloadError(f"{WHERE}: {field!r} is missing")
    return parse_money(text, field=f"{WHERE}: {field!r}")


def _current_amount(lines: dict[str, str], prose: str, kind: ThresholdKind) -> Money | None:
    label = "ACTUAL Amount" if kind == "actual" else "FORECASTED Amount"
    text = lines.get(label.lower())
    if text is None:
        current = _CURRENT.search(prose)
        text = current["amount"] if current else None
    return _money(text, label) if text else None


def _currency_and_unit(
    budget_type: BudgetType, amounts: list[Money | None]
) -> tuple[str | None, str | None]:
    labelled = [m for m in amounts if m is not None and m.label is not None]
    if budget_type == "usage":
        units = {m.label for m in labelled}
        if len(units) > 1:
            raise PayloadError(f"{WHERE}: amounts use different units: {sorted(map(str, units))}")
        return None, units.pop() if units else None
    currencies: set[str] = set()
    for money in labelled:
        if money.currency is None:
            raise PayloadError(f"{WHERE}: unrecognised currency {money.label!r} in {money.raw!r}")
        currencies.add(money.currency)
    if len(currencies) > 1:
        raise PayloadError(f"{WHERE}: amounts use different currencies: {sorted(currencies)}")
    # Cost budgets are denominated in USD in the Budgets API; a bare number means USD.
    return (currencies.pop() if currencies else "USD"), None


def _notification_day(prose: str, timestamp: datetime | None) -> date:
    header = _HEADER.search(prose)
    day = parse_english_date(header["date"]) if header else None
    if day is not None:
        return day
    if timestamp is not None:
        return utc_date(timestamp)
    raise PayloadError(
        f"{WHERE}: no date (no 'AWS Budget Notification <date>' line and no SNS Timestamp)"
    )


def _period(prose: str, day: date) -> tuple[BudgetPeriod | None, date]:
    match = _PERIOD.search(prose)
    if match is None:
        return None, month_start(day)
    unit = match["unit"]
    if unit is None:  # "per day": a daily budget reports yesterday's spend
        return "daily", day - timedelta(days=1) if _YESTERDAY.search(prose) else day
    period = _PERIOD_WORDS[unit.lower()]
    starts = {"monthly": month_start, "quarterly": quarter_start, "annually": year_start}
    return period, starts[period](day)
