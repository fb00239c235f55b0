"""Terminal rendering of captured Slack messages with ``rich`` (the ``cli`` extra).

Imported only by ``preview.render_terminal``, so the HTML preview never needs ``rich``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from rich.console import RenderableType
from rich.panel import Panel
from rich.text import Text

from costwarden.local.preview import (
    BOLD,
    channel_label,
    emoji,
    mrkdwn_to_plain,
    text_of,
    thread_note,
)

_FIELD_LABEL = re.compile(r"^(\*[^*\n]+\*)\n")


def _rich_mrkdwn(text: str) -> Text:
    """mrkdwn as a rich ``Text``: *bold* becomes bold, the rest plain."""
    out = Text()
    plain = mrkdwn_to_plain(text)
    last = 0
    for match in BOLD.finditer(plain):
        out.append(plain[last : match.start()])
        out.append(match[1], style="bold")
        last = match.end()
    out.append(plain[last:])
    return out


def _block_text(block: Mapping[str, Any]) -> Text:
    kind = block.get("type")
    renderers: dict[str, Callable[[], Text]] = {
        "header": lambda: Text(emoji(text_of(block.get("text"))), style="bold"),
        "section": lambda: _section_text(block),
        "divider": lambda: Text("─" * 40, style="dim"),
        "context": lambda: Text.assemble(
            *[_rich_mrkdwn(text_of(e)) for e in block.get("elements") or []], style="dim"
        ),
        "actions": lambda: Text(
            "  ".join(
                f"[{text_of(e.get('text'))}] {e.get('url', '')}".rstrip()
                for e in block.get("elements") or []
                if isinstance(e, Mapping)
            ),
            style="cyan",
        ),
    }
    render = renderers.get(str(kind))
    return render() if render else Text(f"[{kind} block]", style="italic red")


def _section_text(block: Mapping[str, Any]) -> Text:
    parts: list[Text] = []
    if block.get("text"):
        parts.append(_rich_mrkdwn(text_of(block["text"])))
    # Fields are "*Label*\nvalue" cards in Slack; one "Label: value" line reads better here.
    parts.extend(
        _rich_mrkdwn(_FIELD_LABEL.sub(r"\1: ", text_of(f))) for f in block.get("fields") or []
    )
    return Text("\n").join(parts)


def render_panels(messages: Sequence[Mapping[str, Any]]) -> list[RenderableType]:
    """One ``rich`` Panel per message: channel and thread in the title, then each block."""
    panels: list[RenderableType] = []
    for message in messages:
        blocks = [b for b in message.get("blocks") or [] if isinstance(b, Mapping)]
        lines = [_block_text(b) for b in blocks]
        if not lines:
            lines = [_rich_mrkdwn(str(message.get("text") or ""))]
        title = f"{channel_label(message)} · ts {message.get('ts', '?')}"
        note = thread_note(message)
        panels.append(
            Panel(
                Text("\n").join(lines),
                # Text, not str: a str title would be parsed as rich markup.
                title=Text(title),
                subtitle=Text(f"↳ {note}") if note else None,
                title_align="left",
                subtitle_align="left",
            )
        )
    return panels
