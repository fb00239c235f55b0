"""Render a ``DigestMessage`` as Block Kit: the day's numbers first, then where the money went.

Layout: a header naming the team and day; the key figures as fields (yesterday against the
trailing week, month to date against the budget, the month-end forecast, shared or unallocated
costs); top services and top resources this month; for the overall digest, the month per team
with the unallocated remainder on its own line, adding up to the total; a context line saying
how fresh the data is and what is not included. The chart follows as a file (``chart.py``).

The fallback ``text`` repeats the headline figures: it is what notifications and screen readers
get. Names are free text (services, resources, tag values) and are escaped and cut to Block Kit
limits here, the same way the budget alert does.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from costwarden.adapters.slack.budget_blocks import (
    FALLBACK_MAX,
    FIELD_TEXT_MAX,
    HEADER_MAX,
    SECTION_TEXT_MAX,
    escape_mrkdwn,
    format_money,
    format_percent,
    truncate,
)
from costwarden.models.digest import UNALLOCATED, CostDigest, CostLine, DigestMessage

NAME_MAX = 80
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def render_digest(message: DigestMessage) -> tuple[str, list[Block]]:
    """Return ``(fallback_text, blocks)`` for one digest."""
    digest = message.digest
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=_header(digest), emoji=True)),
        SectionBlock(
            fields=[MarkdownTextObject(text=truncate(f, FIELD_TEXT_MAX)) for f in _fields(digest)]
        ),
    ]
    if digest.team is None and digest.breakdown:
        blocks.append(_section("*By team* this month", _breakdown_lines(digest)))
    if digest.top_services:
        lines = [_service_line(digest, line) for line in digest.top_services]
        blocks.append(_section("*Top services* this month", lines))
    if digest.top_resources:
        lines = [_resource_line(digest, line) for line in digest.top_resources]
        title = "*Top resources* this month" + ("" if digest.team is None else " (direct costs)")
        blocks.append(_section(title, lines))
    if len(blocks) == 2:
        blocks.append(_section("*This month*", ["No costs recorded yet."]))
    blocks.insert(2, DividerBlock())
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=_context(digest))]))
    return truncate(_fallback(digest), FALLBACK_MAX), blocks


def chart_comment(digest: CostDigest) -> str:
    """The text posted with the chart file."""
    days = digest.chart_days()
    return (
        f"Daily cost of *{escape_mrkdwn(digest.title)}*, {_short_date(days[0])} to "
        f"{_short_date(days[-1])} (UTC)"
    )


def chart_alt_text(digest: CostDigest) -> str:
    """A screen reader's description of the chart (Slack allows 1000 characters)."""
    text = (
        f"Bar chart of the daily cost of {digest.title} in {digest.currency} from "
        f"{digest.chart_days()[0].isoformat()} to {digest.day.isoformat()}, stacked by "
        f"{'team' if digest.team is None else 'service'}"
    )
    if digest.budget is not None:
        text += ", and a line chart of the month to date against the budget"
    return truncate(text + ".", 1000)


# -- parts -----------------------------------------------------------------------------------
def _header(digest: CostDigest) -> str:
    who = digest.team if digest.team else "All teams"
    return truncate(f":bar_chart: Daily cost · {who} · {_long_date(digest.day)}", HEADER_MAX)


def _money(digest: CostDigest, amount: Decimal) -> str:
    return format_money(amount, digest.currency)


def _fields(digest: CostDigest) -> list[str]:
    fields = [f"*Yesterday* ({_short_date(digest.day)})\n{_yesterday(digest)}"]
    month = f"*Month to date*\n{_money(digest, digest.month_to_date)}"
    if digest.days_covered:
        month += f" ({digest.days_covered} of {digest.days_in_month} days)"
    if digest.missing_days:
        month += f"\n:warning: no cost data for {_day_ranges(digest.missing_days)}"
    fields.append(month)
    if digest.budget is not None:
        percent = digest.budget_percent
        budget = f"*Budget*\n{_money(digest, digest.budget)}"
        if percent is not None:
            budget += f" · {format_percent(percent)} used"
        fields.append(budget)
    forecast = digest.forecast
    if forecast is not None:
        text = f"*Month-end forecast*\n{_money(digest, forecast)}"
        if digest.budget:
            share = format_percent(float(forecast / digest.budget * 100))
            text += f" ({share} of budget)" + (" :warning:" if forecast > digest.budget else "")
        fields.append(text)
    if digest.team is None:
        share = _share(digest.unallocated, digest.month_to_date)
        fields.append(f"*Unallocated*\n{_money(digest, digest.unallocated)}{share}")
    elif digest.shared:
        rules = ", ".join(escape_mrkdwn(r) for r in digest.shared_rules)
        shared = f"*Shared costs*\n{_money(digest, digest.shared)}"
        fields.append(shared + (f" ({rules})" if rules else ""))
    return fields


def _yesterday(digest: CostDigest) -> str:
    if digest.yesterday is None:
        latest = digest.data_through
        since = f" (latest: {_short_date(latest)})" if latest else ""
        return f"no cost data yet{since}"
    text = _money(digest, digest.yesterday)
    change = digest.change_percent
    if change is not None and digest.trailing_average is not None:
        arrow = ":small_red_triangle:" if change > 0 else ":small_red_triangle_down:"
        if abs(change) < 0.05:
            arrow = "="
        sign = "+" if change > 0 else ""
        text += (
            f"\n{arrow} {sign}{format_percent(change)} vs {digest.trailing_days}-day average "
            f"{_money(digest, digest.trailing_average)}"
        )
    return text


def _share(amount: Decimal, total: Decimal) -> str:
    if not total:
        return ""
    return f" ({format_percent(float(amount / total * 100))})"


def _name(text: str) -> str:
    return escape_mrkdwn(truncate(text, NAME_MAX))


def _service_line(digest: CostDigest, line: CostLine) -> str:
    text = f"• {_name(line.name)} — {_money(digest, line.amount)}"
    if line.shared and line.shared == line.amount:
        text += " (shared)"
    elif line.shared:
        text += f" (incl. {_money(digest, line.shared)} shared)"
    return text


def _resource_line(digest: CostDigest, line: CostLine) -> str:
    where = f" ({_name(line.note)})" if line.note else ""
    name = _name(line.name).replace("`", "'")  # a backtick would end the code span early
    return f"• `{name}`{where} — {_money(digest, line.amount)}"


def _breakdown_lines(digest: CostDigest) -> list[str]:
    total = sum((line.amount for line in digest.breakdown), Decimal(0))
    lines = []
    for line in digest.breakdown:
        name = "_Unallocated_" if line.name == UNALLOCATED else _name(line.name)
        lines.append(f"• {name} — {_money(digest, line.amount)}{_share(line.amount, total)}")
    lines.append(f"*Total* — {_money(digest, total)}")
    return lines


def _section(title: str, lines: list[str]) -> SectionBlock:
    """A titled list, cut (with a count of what was left out) to the section text limit."""
    kept = [title]
    for index, line in enumerate(lines):
        if sum(len(x) + 1 for x in kept) + len(line) > SECTION_TEXT_MAX - 40:
            kept.append(f"…and {len(lines) - index} more")
            break
        kept.append(line)
    return SectionBlock(text=MarkdownTextObject(text="\n".join(kept)))


def _context(digest: CostDigest) -> str:
    parts = []
    if digest.data_through is not None:
        through = f"FOCUS cost data through {_short_date(digest.data_through)}"
        if digest.provider_data_through:
            each = ", ".join(
                f"{escape_mrkdwn(p)} {_short_date(d)}" for p, d in digest.provider_data_through
            )
            through += f" ({each})"
        parts.append(through)
    else:
        parts.append("no FOCUS cost data in the period")
    parts.append(f"amortized cost (EffectiveCost) in {digest.currency}, UTC days")
    if digest.other_currencies:
        others = ", ".join(format_money(c.amount, c.name) for c in digest.other_currencies)
        parts.append(f"not included, other currencies this month: {others}")
    return truncate(" · ".join(parts), SECTION_TEXT_MAX)


def _fallback(digest: CostDigest) -> str:
    who = f"team {digest.team}" if digest.team else "all teams"
    parts = [f"Daily cost for {who} on {_short_date(digest.day)}:"]
    if digest.yesterday is None:
        parts.append("no cost data for that day yet;")
    else:
        parts.append(f"{_money(digest, digest.yesterday)}")
        change = digest.change_percent
        if change is not None:
            sign = "+" if change > 0 else ""
            days = digest.trailing_days
            parts.append(f"({sign}{format_percent(change)} vs the {days}-day average);")
        else:
            parts[-1] += ";"
    parts.append(f"month to date {_money(digest, digest.month_to_date)}")
    if digest.budget is not None and digest.budget_percent is not None:
        parts.append(
            f"of {_money(digest, digest.budget)} budget ({format_percent(digest.budget_percent)})"
        )
    if digest.team is None and digest.unallocated:
        parts.append(f"· unallocated {_money(digest, digest.unallocated)}")
    if digest.missing_days:
        parts.append(f"· no cost data for {_day_ranges(digest.missing_days)}")
    return " ".join(parts)


def _day_ranges(days: tuple[date, ...]) -> str:
    """``5-10 Nov, 14 Nov``: consecutive days as one range."""
    runs: list[list[date]] = []
    for day in sorted(days):
        if runs and (day - runs[-1][-1]).days == 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    text = []
    for run in runs:
        last = f"{run[-1].day} {_MONTHS[run[-1].month - 1]}"
        text.append(last if len(run) == 1 else f"{run[0].day}-{last}")
    return ", ".join(text)


def _short_date(day: date) -> str:
    return f"{_WEEKDAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]}"


def _long_date(day: date) -> str:
    return f"{_WEEKDAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]} {day.year}"
