"""Render a ``TagReportMessage`` as Block Kit: the team's violations first (what to fix, by
when), then what costwarden fixed on its own, then failures.

Lists are cut to keep every section under Block Kit's 3,000-character limit, ending with
"and N more"; the fallback text carries the counts.
"""

from __future__ import annotations

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from costwarden.adapters.slack.budget_blocks import (
    FALLBACK_MAX,
    HEADER_MAX,
    SECTION_TEXT_MAX,
    escape_mrkdwn,
    truncate,
)
from costwarden.models.tag_report import TagReportMessage, TagViolationLine


def render_tag_report(message: TagReportMessage) -> tuple[str, list[Block]]:
    """Return ``(fallback_text, blocks)``."""
    team = message.route.team or "unowned resources"
    title = f"Tag policy: {len(message.violations)} to fix ({team}, {message.target})"
    if message.dry_run:
        title = "[dry run] " + title
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text=truncate(title, HEADER_MAX)))]
    mentions = " ".join(f"<@{m}>" for m in message.route.mentions)
    summary = (
        f"{message.checked} resources checked, {message.compliant} compliant, "
        f"{len(message.fixed)} fixed automatically, {len(message.violations)} need a person."
    )
    blocks.append(_section(f"{mentions} {summary}".strip(), []))
    if message.violations:
        blocks.append(
            _section(
                "*Needs your tags* (costwarden cannot infer these):",
                [_violation(v) for v in message.violations],
            )
        )
    if message.actions:
        blocks.append(_section("*After the grace period:*", list(message.actions)))
    if message.fixed:
        blocks.append(
            _section(
                "*Fixed automatically:*",
                [
                    f"`{escape_mrkdwn(f.resource)}`: {escape_mrkdwn(', '.join(f.written))}"
                    for f in message.fixed
                ],
            )
        )
    if message.failed:
        blocks.append(
            _section(
                "*Could not write* (retried next run):", [escape_mrkdwn(f) for f in message.failed]
            )
        )
    blocks.append(
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=truncate(
                        f"Marked resources carry the tag `{escape_mrkdwn(message.mark_key)}` "
                        f"with the deadline. Run {escape_mrkdwn(message.run_id)}.",
                        SECTION_TEXT_MAX,
                    )
                )
            ]
        )
    )
    return truncate(f"{title}. {summary}", FALLBACK_MAX), blocks


def _violation(line: TagViolationLine) -> str:
    when = ""
    if line.overdue and line.due:
        when = f" — *overdue since {line.due.isoformat()}*"
    elif line.due:
        when = f" — by {line.due.isoformat()}"
    problems = "; ".join(line.problems)
    return (
        f"`{escape_mrkdwn(line.resource)}` ({escape_mrkdwn(line.resource_type)}, "
        f"{escape_mrkdwn(line.account)}): {escape_mrkdwn(problems)}{when}"
    )


def _section(title: str, lines: list[str]) -> SectionBlock:
    """A title and as many lines as fit; the rest become "and N more"."""
    text = title
    for index, line in enumerate(lines):
        more = len(lines) - index
        candidate = f"{text}\n• {line}"
        if len(candidate) > SECTION_TEXT_MAX - 40:
            text += f"\n… and {more} more"
            break
        text = candidate
    return SectionBlock(text=MarkdownTextObject(text=text))
