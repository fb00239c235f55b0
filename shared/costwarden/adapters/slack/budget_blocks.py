"""Render a ``BudgetAlertMessage`` as Block Kit: what crossed, how much, whose it is, what next.

The message is written for the person who has to act on it: the numbers first (actual vs budget,
forecast, threshold), then whose budget it is and who is pinged, then where the money went, then
a link to the console. The fallback ``text`` carries the same headline and the mentions, because
it is what notifications, screen readers and clients without Block Kit show.

Block Kit limits (header 150 chars, section text 3000, 10 fields of 2000, 50 blocks) are applied
here rather than left to Slack: a budget name is free text (500 characters is legal on some
clouds) and Slack rejects the *whole* message with ``invalid_blocks`` when one block is too long.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from costwarden.models.budget import BudgetAlert
from costwarden.models.notification import BudgetAlertMessage, CostDriver

# Block Kit limits, from Slack's reference (slack-sdk validates the first three on to_dict()).
HEADER_MAX = 150
SECTION_TEXT_MAX = 3000
FIELD_TEXT_MAX = 2000
FIELDS_MAX = 10
BLOCKS_MAX = 50
BUTTON_TEXT_MAX = 75
URL_MAX = 3000
#: Slack truncates longer ``text``; 3000 keeps the fallback as readable as the section.
FALLBACK_MAX = 3000

#: Long names are cut in the body too: a 500-character name makes every line unreadable.
NAME_IN_BODY_MAX = 200
DRIVER_NAME_MAX = 120
DRIVERS_SHOWN_MAX = 15

ELLIPSIS = "…"

PROVIDER_LABELS = {"aws": "AWS", "azure": "Azure", "gcp": "Google Cloud"}
CONSOLE_LABELS = {
    "aws": "Open in AWS Budgets",
    "azure": "Open in Azure Cost Management",
    "gcp": "Open in Google Cloud Billing",
}
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def render_budget_alert(message: BudgetAlertMessage) -> tuple[str, list[Block]]:
    """Return ``(fallback_text, blocks)`` for one budget alert."""
    alert = message.alert
    headline = _headline(alert)
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=_header_text(alert), emoji=True)),
        _summary_section(message),
    ]
    if message.drivers is not None:
        blocks.append(DividerBlock())
        blocks.append(_drivers_section(alert, message.drivers))
    button = _console_button(alert)
    if button is not None:
        blocks.append(ActionsBlock(elements=[button]))
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=_context_text(message))]))
    assert len(blocks) <= BLOCKS_MAX  # a fixed layout: at most seven blocks

    mentions = " ".join(format_mention(m) for m in message.route.mentions)
    fallback = f"{headline}: {_amounts_sentence(alert, bold=False)}"
    if mentions:
        fallback = f"{fallback} {mentions}"
    return truncate(fallback, FALLBACK_MAX), blocks


# -- text helpers ----------------------------------------------------------------------------
def truncate(text: str, limit: int) -> str:
    """Cut ``text`` to ``limit`` characters, marking the cut with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + ELLIPSIS


def escape_mrkdwn(text: str) -> str:
    """Escape the three characters Slack treats as control sequences in mrkdwn.

    Without this a budget named ``a <!channel> b`` would ping a whole channel.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_SUBTEAM_ID = re.compile(r"^S[A-Z0-9]{2,}$")
_SPECIAL = {"here": "<!here>", "channel": "<!channel>", "everyone": "<!everyone>"}


def format_mention(mention: str) -> str:
    """Turn a policy mention (``U123``, ``S456``, ``here``, ``@here``) into Slack syntax.

    Slack stopped resolving plain ``@name`` text years ago, so anything that is not an id or a
    special mention is shown as escaped text (it pings nobody rather than the wrong person).
    """
    value = mention.strip()
    if value.startswith("<") and value.endswith(">"):
        return value  # already Slack syntax, e.g. "<!subteam^S123|@platform>"
    bare = value.lstrip("@!")
    if bare.lower() in _SPECIAL:
        return _SPECIAL[bare.lower()]
    if bare.startswith("subteam^"):
        bare = bare.removeprefix("subteam^")
    if _USER_ID.match(bare):
        return f"<@{bare}>"
    if _SUBTEAM_ID.match(bare):
        return f"<!subteam^{bare}>"
    return escape_mrkdwn(value)


def format_number(amount: Decimal, *, decimals: int | None = 2) -> str:
    """``1234.5`` -> ``1,234.50``; ``decimals=None`` drops the fraction for whole numbers.

    Rounds half up (``2.005`` -> ``2.01``), as ``apportion`` does: Python's format rounds half
    to even, which would show a total one cent away from the rows that add up to it.
    """
    if decimals is None:
        decimals = 0 if amount == amount.to_integral_value() else 2
    if amount.is_finite():
        amount = amount.quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
    return f"{amount:,.{decimals}f}"


def format_money(amount: Decimal, currency: str | None) -> str:
    """``$1,234.56`` for USD, ``1,234.56 EUR`` for other currencies, bare number if unknown."""
    sign = "-" if amount < 0 else ""
    number = format_number(abs(amount))
    if currency == "USD":
        return f"{sign}${number}"
    return f"{sign}{number} {currency}" if currency else f"{sign}{number}"


def format_amount(alert: BudgetAlert, amount: Decimal) -> str:
    """Money for cost budgets; the budget's unit (``1,200 Hrs``) for usage budgets."""
    if alert.budget_type == "usage" or (alert.currency is None and alert.unit):
        number = format_number(amount, decimals=None)
        return f"{number} {alert.unit}" if alert.unit else f"{number} units"
    return format_money(amount, alert.currency)


def format_percent(value: float) -> str:
    """``80.0`` -> ``80%``; ``84.37`` -> ``84.4%``."""
    text = f"{value:,.1f}".removesuffix(".0")
    return f"{text}%"


def format_period(alert: BudgetAlert) -> str | None:
    """``November 2026, monthly``; None when the alert says nothing about its period."""
    start, period = alert.period_start, alert.period
    if start is None:
        return period
    named: str | None = None  # the period's usual name, when the start date allows one
    if period == "monthly":
        named = f"{_MONTHS[start.month - 1]} {start.year}"
    elif period == "daily":
        named = _long_date(start)
    elif period == "quarterly" and start.day == 1 and start.month in (1, 4, 7, 10):
        named = f"Q{(start.month - 1) // 3 + 1} {start.year}"
    elif period == "annually" and (start.month, start.day) == (1, 1):
        named = str(start.year)
    label = {"custom": "custom period", None: None}.get(period, period)
    first = named or f"from {_long_date(start)}"
    return f"{first}, {label}" if label else first


def _long_date(day: date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


# Azure scopes are ARM paths; each pattern names the scope the way the portal does.
_AZURE_SCOPES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"^/subscriptions/([^/]+)/resourceGroups/([^/]+)/?$", re.I),
        "Azure resource group {2} (subscription {1})",
    ),
    (re.compile(r"^/?subscriptions/([^/]+)/?$", re.I), "Azure subscription {1}"),
    (
        re.compile(r"^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$", re.I),
        "Azure subscription {1}",
    ),
    (re.compile(r"/billingAccounts/([^/]+)", re.I), "Azure billing account {1}"),
    (re.compile(r"/managementGroups/([^/]+)", re.I), "Azure management group {1}"),
)


def format_scope(alert: BudgetAlert) -> str:
    """Say what the budget covers in the words each cloud's console uses."""
    scope = alert.scope
    if not scope:
        return f"{PROVIDER_LABELS[alert.provider]} (scope not stated)"
    if alert.provider == "aws":
        return f"AWS account {scope}"
    if alert.provider == "gcp":
        return f"Google Cloud billing account {scope}"
    for pattern, template in _AZURE_SCOPES:
        if m := pattern.search(scope):
            return template.format(m[0], *m.groups())
    return f"Azure scope {scope}"


# -- the parts of the message ----------------------------------------------------------------
def _threshold_phrase(alert: BudgetAlert) -> str:
    if alert.threshold_percent is not None:
        return format_percent(alert.threshold_percent)
    if alert.threshold_amount is not None:
        return f"its {format_amount(alert, alert.threshold_amount)} threshold"
    return "an alert threshold"


def _headline_parts(alert: BudgetAlert) -> tuple[str, str, str]:
    """(emoji, words before the name, words after the name) of the headline."""
    if not alert.crossed:
        return ":bar_chart:", "Budget", "status update"
    threshold = _threshold_phrase(alert)
    if alert.threshold_kind == "forecasted":
        return ":chart_with_upwards_trend:", "Budget", f"forecast to cross {threshold}"
    suffix = " (actual)" if alert.threshold_kind == "actual" else ""
    return ":rotating_light:", "Budget", f"crossed {threshold}{suffix}"


def _header_text(alert: BudgetAlert) -> str:
    emoji, before, after = _headline_parts(alert)
    fixed = len(f"{emoji} {before}  {after}")
    name = truncate(alert.budget_name, max(HEADER_MAX - fixed, 10))
    # Header text is plain_text: no mrkdwn, no escaping, Slack shows it as typed.
    return truncate(f"{emoji} {before} {name} {after}", HEADER_MAX)


def _headline(alert: BudgetAlert) -> str:
    """The headline in mrkdwn, for the fallback text (bold name, no emoji)."""
    _emoji, before, after = _headline_parts(alert)
    return f"{before} *{_body_name(alert)}* {after}"


def _body_name(alert: BudgetAlert) -> str:
    return escape_mrkdwn(truncate(alert.budget_name, NAME_IN_BODY_MAX))


def _share(alert: BudgetAlert, amount: Decimal | None) -> str:
    if amount is None or not alert.budget_amount:
        return ""
    return f" ({format_percent(float(amount / alert.budget_amount * 100))} of budget)"


def _amounts_sentence(alert: BudgetAlert, *, bold: bool) -> str:
    """One sentence with the numbers that matter, for the summary and the fallback text."""
    b = "*" if bold else ""
    budget = f"{b}{format_amount(alert, alert.budget_amount)}{b}"
    verb = "used" if alert.budget_type == "usage" else "spent"
    actual = (
        f"{b}{format_amount(alert, alert.actual_amount)}{b}"
        if alert.actual_amount is not None
        else None
    )
    if alert.threshold_kind == "forecasted" and alert.forecast_amount is not None:
        forecast = f"{b}{format_amount(alert, alert.forecast_amount)}{b}"
        sentence = (
            f"forecast {forecast} against a budget of {budget}"
            f"{_share(alert, alert.forecast_amount)}"
        )
        if actual is not None:
            sentence += f"; {verb} so far {actual}{_share(alert, alert.actual_amount)}"
        return sentence + "."
    if actual is not None:
        return f"{verb} {actual} of {budget}{_share(alert, alert.actual_amount)}."
    return f"budget {budget}; actual {'usage' if verb == 'used' else 'spend'} not stated."


def _owner_line(message: BudgetAlertMessage) -> str | None:
    route = message.route
    parts: list[str] = []
    if route.team:
        parts.append(f"*Team:* {escape_mrkdwn(truncate(route.team, 100))}")
    mentions = " ".join(format_mention(m) for m in route.mentions)
    if mentions:
        parts.append(mentions)
    return "  ·  ".join(parts) if parts else None


def _summary_section(message: BudgetAlertMessage) -> SectionBlock:
    alert = message.alert
    lines = [f"*{_body_name(alert)}*: {_amounts_sentence(alert, bold=True)}"]
    owner = _owner_line(message)
    if owner:
        lines.append(owner)
    text = truncate("\n".join(lines), SECTION_TEXT_MAX)
    fields = [MarkdownTextObject(text=truncate(f, FIELD_TEXT_MAX)) for f in _fields(alert)]
    return SectionBlock(text=MarkdownTextObject(text=text), fields=fields[:FIELDS_MAX])


def _fields(alert: BudgetAlert) -> list[str]:
    word = "usage" if alert.budget_type == "usage" else "spend"
    fields: list[str] = []
    if alert.actual_amount is not None:
        value = format_amount(alert, alert.actual_amount) + _share(alert, alert.actual_amount)
        fields.append(f"*Actual {word}*\n{value}")
    fields.append(f"*Budget*\n{format_amount(alert, alert.budget_amount)}")
    if alert.forecast_amount is not None:
        value = format_amount(alert, alert.forecast_amount) + _share(alert, alert.forecast_amount)
        fields.append(f"*Forecast*\n{value}")
    threshold = _threshold_value(alert)
    if threshold:
        fields.append(f"*Threshold*\n{threshold}")
    period = format_period(alert)
    if period:
        fields.append(f"*Period*\n{period}")
    fields.append(f"*Scope*\n{escape_mrkdwn(format_scope(alert))}")
    return fields


def _threshold_value(alert: BudgetAlert) -> str | None:
    amount = alert.threshold_amount
    if amount is None and alert.threshold_percent is not None:
        # Derived, so the reader sees the money line that was crossed, not just a ratio.
        amount = alert.budget_amount * Decimal(str(alert.threshold_percent)) / 100
    parts = []
    if alert.threshold_percent is not None:
        parts.append(format_percent(alert.threshold_percent))
    if amount is not None:
        parts.append(format_amount(alert, amount))
    if not parts:
        return None
    kind = {"actual": " of actual", "forecasted": " of forecast"}.get(alert.threshold_kind or "")
    return " · ".join(parts) + (kind or "")


def _drivers_section(alert: BudgetAlert, drivers: Sequence[CostDriver]) -> SectionBlock:
    # "In this scope": a budget may filter its scope (one service, one tag); the drivers are the
    # scope's whole spend, so no share of the budget's actual is shown next to them.
    title = "*Top cost drivers* in this scope this period"
    if not drivers:
        return SectionBlock(
            text=MarkdownTextObject(text=f"{title}\nNo spend recorded yet for this scope.")
        )
    lines = [title]
    shown = 0
    for driver in drivers[:DRIVERS_SHOWN_MAX]:
        line = f"• {escape_mrkdwn(truncate(driver.name, DRIVER_NAME_MAX))}"
        if driver.kind != "service":
            line += f" ({driver.kind.replace('_', '-')})"
        line += f" — {format_money(driver.amount, driver.currency)}"
        # Leave room for the "…and N more" line so the section never passes 3000 characters.
        if sum(len(x) + 1 for x in lines) + len(line) > SECTION_TEXT_MAX - 40:
            break
        lines.append(line)
        shown += 1
    if shown < len(drivers):
        lines.append(f"…and {len(drivers) - shown} more")
    return SectionBlock(text=MarkdownTextObject(text="\n".join(lines)))


def _console_button(alert: BudgetAlert) -> ButtonElement | None:
    url = alert.console_url
    # A cut URL is a broken link; an unusual scheme is not something to put behind a button.
    if not url or len(url) > URL_MAX or not url.startswith(("https://", "http://")):
        return None
    return ButtonElement(
        text=PlainTextObject(text=CONSOLE_LABELS[alert.provider][:BUTTON_TEXT_MAX]),
        url=url,
        action_id="costwarden_open_budget_console",
    )


def _context_text(message: BudgetAlertMessage) -> str:
    alert = message.alert
    parts = [PROVIDER_LABELS[alert.provider]]
    if alert.budget_id:
        parts.append(f"budget id {_code(alert.budget_id, 300)}")
    parts.append(f"dedup {_code(alert.dedup_key, 1000)}")
    if message.route.rule != "default":
        parts.append(f"routed by {_code(message.route.rule, 100)}")
    return truncate(" · ".join(parts), SECTION_TEXT_MAX)


def _code(value: str, limit: int) -> str:
    # Backticks inside would end the code span early.
    cleaned = escape_mrkdwn(truncate(value.replace("`", "'"), limit))
    return f"`{cleaned}`"
