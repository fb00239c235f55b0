"""Render a ``ScheduleReportMessage`` as Block Kit: what the scheduler did to one team's resources.

Layout, most important first: a header (what kind of run: applied, dry run, blocked), a blocked
banner saying why nothing happened, the counts and the monthly saving as fields, then one list
per outcome (stopped, started, failed, upcoming stops with the tag that keeps a resource up,
skipped), then a context line naming the target, run and savings basis.

Lists hold up to thousands of resources; each section is cut to Block Kit's 3000 characters
with "…and N more", and the layout is fixed (at most 11 blocks), far below the 50-block cap.
Resource names are free text (tags) and are escaped: a VM named ``<!channel>`` pings no one.
"""

from __future__ import annotations

from collections.abc import Sequence

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
    BLOCKS_MAX,
    FALLBACK_MAX,
    FIELD_TEXT_MAX,
    HEADER_MAX,
    SECTION_TEXT_MAX,
    escape_mrkdwn,
    format_mention,
    format_money,
    truncate,
)
from costwarden.models.schedule_report import ReportLine, ScheduleReportMessage

NAME_MAX = 80
DETAIL_MAX = 300
#: Room kept at the end of a section for the "…and N more" line.
_MORE_RESERVE = 40
_BASIS_LABELS = {
    "focus": "from your billed costs (FOCUS EffectiveCost, last 30 days)",
    "price_table": "estimate from on-demand list prices",
    "mixed": "billed costs (FOCUS) where available, else an estimate from list prices",
}
_STOP_WORDS = {
    "stop": "stopped",
    "hibernate": "hibernated",
    "deallocate": "deallocated",
    "scale_to_zero": "scaled to zero",
    "start": "started",
    "restore_capacity": "capacity restored",
}
_WOULD = {
    "stop": "would stop",
    "hibernate": "would hibernate",
    "deallocate": "would deallocate",
    "scale_to_zero": "would scale to zero",
    "start": "would start",
    "restore_capacity": "would restore capacity",
}


def render_schedule_report(message: ScheduleReportMessage) -> tuple[str, list[Block]]:
    """Return ``(fallback_text, blocks)`` for one team's schedule report."""
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text=_header(message), emoji=True))]
    banner = _banner(message)
    if banner:
        blocks.append(
            SectionBlock(text=MarkdownTextObject(text=truncate(banner, SECTION_TEXT_MAX)))
        )
    fields = _fields(message)
    if fields:
        blocks.append(
            SectionBlock(
                fields=[MarkdownTextObject(text=truncate(f, FIELD_TEXT_MAX)) for f in fields]
            )
        )
    would = not message.applied
    sections = [
        ("Would stop" if would else "Stopped", message.stopped, True),
        ("Would start" if would else "Started", message.started, False),
        (":x: Failed", message.failed, False),
    ]
    body: list[Block] = [
        _section(
            f"*{title}* ({len(lines)})", [_line(line, would=would, saving=s) for line in lines]
        )
        for title, lines, s in sections
        if lines
    ]
    if message.upcoming:
        body.append(_upcoming(message))
    if message.skipped:
        body.append(_skipped(message))
    if body:
        blocks.append(DividerBlock())
        blocks.extend(body)
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=_context(message))]))
    assert len(blocks) <= BLOCKS_MAX  # a fixed layout: at most eleven blocks
    return truncate(_fallback(message), FALLBACK_MAX), blocks


# -- parts ---------------------------------------------------------------------------------
def _who(message: ScheduleReportMessage) -> str:
    return f"team {message.team}" if message.team else "unassigned resources"


def _header(message: ScheduleReportMessage) -> str:
    if message.blocked is not None:
        title = ":no_entry: Schedule blocked by the safety cap"
    elif message.dry_run and (message.stopped or message.started):
        title = ":test_tube: Schedule dry run"
    elif not (message.stopped or message.started or message.failed) and message.upcoming:
        title = ":alarm_clock: Scheduled stop coming up"
    elif message.failed:
        title = ":warning: Schedule run with failures"
    else:
        title = ":crescent_moon: Schedule run"
    return truncate(f"{title} · {_who(message)}", HEADER_MAX)


def _mentions(message: ScheduleReportMessage) -> str:
    if not message.needs_attention:
        return ""
    return " ".join(format_mention(m) for m in message.mentions)


def _banner(message: ScheduleReportMessage) -> str | None:
    mentions = _mentions(message)
    if message.blocked is not None:
        text = (
            f":no_entry: *Nothing was changed:* {escape_mrkdwn(message.blocked)}. "
            "If this many changes are expected, raise `safety.max_actions_per_run` or "
            "`safety.max_fleet_percent` in the policy; otherwise check the rule that matched."
        )
    elif message.dry_run:
        text = (
            ":test_tube: *Dry run:* nothing was changed. This is what the schedule would have "
            "done (`safety.dry_run` or `COSTWARDEN_DRY_RUN` is on)."
        )
    elif message.failed:
        text = f":warning: {len(message.failed)} action(s) failed; the others went ahead."
    else:
        return mentions or None
    return f"{text} {mentions}".strip()


def _fields(message: ScheduleReportMessage) -> list[str]:
    stop, start = ("Stopped", "Started") if message.applied else ("Would stop", "Would start")
    fields = []
    if message.stopped:
        fields.append(f"*{stop}*\n{len(message.stopped)}")
    if message.started:
        fields.append(f"*{start}*\n{len(message.started)}")
    if message.failed:
        fields.append(f"*Failed*\n{len(message.failed)}")
    if message.unchanged:
        fields.append(f"*Already done*\n{message.unchanged}")
    if message.upcoming:
        fields.append(f"*Stopping soon*\n{len(message.upcoming)}")
    if message.skipped:
        fields.append(f"*Skipped*\n{len(message.skipped)}")
    saving = _saving_text(message)
    if saving:
        label = "Monthly saving" if message.applied else "Would save per month"
        fields.append(f"*{label}*\n{saving}")
    return fields[:10]


def _saving_text(message: ScheduleReportMessage) -> str | None:
    amount = message.estimated_monthly_saving
    if amount is None:
        return None
    estimate = message.saving_basis in ("price_table", "mixed")
    text = ("≈ " if estimate else "") + format_money(amount, message.currency)
    if estimate:
        text += " (estimate)"
    for currency, other in message.other_currencies:
        text += f" + {format_money(other, currency)}"
    return text


def _name(line: ReportLine) -> str:
    name = escape_mrkdwn(truncate(line.name or line.resource_id, NAME_MAX)).replace("`", "'")
    return f"`{name}`"


def _line(line: ReportLine, *, would: bool, saving: bool) -> str:
    verb = (_WOULD if would else _STOP_WORDS).get(line.kind, line.kind)
    text = f"• {_name(line)} ({line.resource_type}, {escape_mrkdwn(line.region)}): {verb}"
    if line.detail:
        text += f" — {escape_mrkdwn(truncate(line.detail, DETAIL_MAX))}"
    if saving and line.saving is not None:
        text += f" · {format_money(line.saving, line.currency)}/mo"
    return text


def _upcoming(message: ScheduleReportMessage) -> SectionBlock:
    lines = [
        f"• {_name(line)} ({line.resource_type}, {escape_mrkdwn(line.region)}) — "
        f"{escape_mrkdwn(truncate(line.detail, DETAIL_MAX))}"
        for line in message.upcoming
    ]
    title = f"*:alarm_clock: Stopping soon* ({len(lines)})"
    if message.keep_running_hint:
        title += f"\n{message.keep_running_hint}"
    return _section(title, lines)


def _skipped(message: ScheduleReportMessage) -> SectionBlock:
    summary = ", ".join(
        f"{n} {kind.replace('_', ' ')}" for kind, n in message.skipped_by_kind.items()
    )
    # A protected resource nobody asked to schedule is not news; a conflict (protected but
    # tagged or matched by a rule) is, and so is every other kind of skip.
    shown = [
        line
        for line in message.skipped
        if line.kind != "protected" or " but protected" in line.detail
    ]
    lines = [
        f"• {_name(line)} ({line.resource_type}): _{line.kind.replace('_', ' ')}_ — "
        f"{escape_mrkdwn(truncate(line.detail, DETAIL_MAX))}"
        for line in shown
    ]
    return _section(f"*Skipped* ({summary})", lines)


def _section(title: str, lines: Sequence[str]) -> SectionBlock:
    """A titled list, cut (with a count of what was left out) to the section text limit."""
    kept = [truncate(title, SECTION_TEXT_MAX - _MORE_RESERVE)]
    size = len(kept[0])
    for index, line in enumerate(lines):
        if size + 1 + len(line) > SECTION_TEXT_MAX - _MORE_RESERVE:
            kept.append(f"…and {len(lines) - index} more")
            break
        kept.append(line)
        size += 1 + len(line)
    return SectionBlock(text=MarkdownTextObject(text="\n".join(kept)))


def _context(message: ScheduleReportMessage) -> str:
    parts = [
        f"target `{escape_mrkdwn(message.target)}`",
        f"tick {message.at.strftime('%Y-%m-%d %H:%M UTC')}",
        f"run `{escape_mrkdwn(truncate(message.run_id, 60))}`",
    ]
    if message.saving_basis is not None:
        parts.append(f"savings: {_BASIS_LABELS[message.saving_basis]}")
    return truncate(" · ".join(parts), SECTION_TEXT_MAX)


def _fallback(message: ScheduleReportMessage) -> str:
    who = _who(message)
    if message.blocked is not None:
        text = (
            f"Schedule blocked for {who} in {message.target}: {message.blocked}; nothing changed."
        )
    else:
        counts = []
        verb = "would " if message.dry_run else ""
        if message.stopped:
            counts.append(
                f"{verb}stop {len(message.stopped)}" if verb else f"{len(message.stopped)} stopped"
            )
        if message.started:
            counts.append(
                f"{verb}start {len(message.started)}" if verb else f"{len(message.started)} started"
            )
        if message.failed:
            counts.append(f"{len(message.failed)} failed")
        if message.upcoming:
            counts.append(f"{len(message.upcoming)} stopping soon")
        prefix = "Schedule dry run" if message.dry_run else "Schedule run"
        text = f"{prefix} for {who} in {message.target}: {', '.join(counts) or 'no changes'}."
        saving = _saving_text(message)
        if saving:
            text += f" Saves {saving} a month."
    mentions = _mentions(message)
    return f"{text} {mentions}".strip()
