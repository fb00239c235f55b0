"""Previews of captured Slack messages: an HTML page and rich renderables for the terminal.

Input is what ``LocalSlackServer.messages`` holds: message dicts as Slack received them
(``channel``, optional ``channel_name``, ``ts``, ``text``, ``blocks``, ``thread_ts``,
``reply_broadcast``). Only the blocks and mrkdwn costwarden produces are rendered faithfully;
anything else is shown as its type, so a preview never hides that something was sent.

The HTML page is self-contained (inline CSS, no scripts, no remote fonts or images) so it opens
from a CI artifact or an air-gapped laptop. ``rich`` is the ``cli`` extra: imported on call.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import RenderableType

# The emoji costwarden's messages use, so the preview looks like Slack rather than ":shortcodes:".
EMOJI = {
    "rotating_light": "🚨",
    "warning": "⚠️",
    "chart_with_upwards_trend": "📈",
    "bar_chart": "📊",
    "moneybag": "💰",
    "white_check_mark": "✅",
    "x": "❌",
    "zzz": "💤",
}

_SLACK_TOKEN = re.compile(r"<([^<>\n]+)>")  # <url|label>, <@U1>, <!here>, <!subteam^S1|@x>
_EMOJI = re.compile(r":([a-z0-9_+\-]+):")
BOLD = re.compile(r"(?<![\w*])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?!\s)([^_\n]+?)(?<!\s)_(?![\w_])")
_CODE = re.compile(r"`([^`\n]+)`")
_SAFE_URL = re.compile(r"^(https?://|mailto:)", re.IGNORECASE)


# -- Slack entities -----------------------------------------------------------------------------
def _unescape(text: str) -> str:
    """Slack escapes &, < and > in message text; undo it before re-escaping for HTML."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _entity(inner: str) -> tuple[str, str | None]:
    """(label, url) for one ``<...>`` entity; url is None for mentions."""
    body, _, label = inner.partition("|")
    if body.startswith("@"):
        return (label or body), None
    if body.startswith("#"):
        return (f"#{label}" if label else body), None
    if body.startswith("!"):
        name = body[1:].replace("subteam^", "")
        return (label or f"@{name}"), None
    return _unescape(label or body), _unescape(body)


def emoji(text: str) -> str:
    return _EMOJI.sub(lambda m: EMOJI.get(m[1], m[0]), text)


def mrkdwn_to_html(text: str) -> str:
    """A minimal mrkdwn renderer: links, mentions, *bold*, _italic_, `code`, emoji, newlines."""
    rendered: list[str] = []

    def stash(match: re.Match[str]) -> str:
        label, url = _entity(match[1])
        if url is not None and _SAFE_URL.match(url):
            piece = f'<a href="{html.escape(url)}">{html.escape(label)}</a>'
        elif url is not None:
            piece = html.escape(label)
        else:
            piece = f'<span class="mention">{html.escape(label)}</span>'
        rendered.append(piece)
        return f"\x00{len(rendered) - 1}\x00"

    text = _SLACK_TOKEN.sub(stash, text)
    out = html.escape(_unescape(text), quote=False)
    out = _CODE.sub(r"<code>\1</code>", out)
    out = BOLD.sub(r"<strong>\1</strong>", out)
    out = _ITALIC.sub(r"<em>\1</em>", out)
    out = emoji(out).replace("\n", "<br>")
    return re.sub(r"\x00(\d+)\x00", lambda m: rendered[int(m[1])], out)


def mrkdwn_to_plain(text: str) -> str:
    """Slack text as a person reads it: entities resolved, emoji drawn, markup left as is."""

    def entity(match: re.Match[str]) -> str:
        label, url = _entity(match[1])
        return label if url is None or url == label else f"{label} ({url})"

    return emoji(_unescape(_SLACK_TOKEN.sub(entity, text)))


def text_of(obj: Any) -> str:
    return str(obj.get("text", "")) if isinstance(obj, Mapping) else ""


def channel_label(message: Mapping[str, Any]) -> str:
    name = message.get("channel_name")
    return f"#{name}" if name else str(message.get("channel", "?"))


def thread_note(message: Mapping[str, Any]) -> str | None:
    thread = message.get("thread_ts")
    if not thread or thread == message.get("ts"):
        return None
    note = f"reply in thread {thread}"
    return note + " · also sent to the channel" if message.get("reply_broadcast") else note


# -- HTML ---------------------------------------------------------------------------------------
_CSS = """
body{font:15px/1.45 -apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;
 background:#f4f4f6;color:#1d1c1d;margin:0;padding:24px}
main{max-width:760px;margin:auto}
h1{font-size:20px}
.msg{background:#fff;border:1px solid #ddd;border-radius:8px;padding:14px 18px;margin:0 0 16px}
.meta{color:#616061;font-size:12px;margin-bottom:8px}
.meta b{color:#1d1c1d}
.thread{color:#1264a3}
.header{font-size:18px;font-weight:700;margin:4px 0 8px}
.fields{display:grid;grid-template-columns:1fr 1fr;gap:8px 24px;margin-top:8px}
.context{color:#616061;font-size:12px;margin-top:8px}
.actions a{display:inline-block;border:1px solid #bbb;border-radius:4px;padding:3px 12px;
 margin:8px 8px 0 0;color:#1d1c1d;text-decoration:none;font-weight:600}
.mention{background:#e8f5fa;color:#1264a3;border-radius:3px;padding:0 2px}
.unknown{color:#a00;font-style:italic}
code{background:#f6f6f6;border:1px solid #e0e0e0;border-radius:3px;padding:0 3px;
 font-size:13px}
hr{border:0;border-top:1px solid #e0e0e0;margin:10px 0}
.fallback{color:#616061;font-size:12px;border-top:1px dashed #ddd;margin-top:10px;
 padding-top:6px}
"""


def _block_html(block: Mapping[str, Any]) -> str:
    kind = block.get("type")
    if kind == "header":
        return f'<div class="header">{html.escape(emoji(text_of(block.get("text"))))}</div>'
    if kind == "section":
        parts = []
        if block.get("text"):
            parts.append(f"<div>{_text_object_html(block['text'])}</div>")
        fields = block.get("fields") or []
        if fields:
            cells = "".join(f"<div>{_text_object_html(f)}</div>" for f in fields)
            parts.append(f'<div class="fields">{cells}</div>')
        return f'<div class="section">{"".join(parts)}</div>'
    if kind == "divider":
        return "<hr>"
    if kind == "context":
        items = " ".join(_text_object_html(e) for e in block.get("elements") or [])
        return f'<div class="context">{items}</div>'
    if kind == "actions":
        buttons = "".join(_element_html(e) for e in block.get("elements") or [])
        return f'<div class="actions">{buttons}</div>'
    return f'<div class="unknown">[{html.escape(str(kind))} block]</div>'


def _text_object_html(obj: Any) -> str:
    if isinstance(obj, Mapping) and obj.get("type") == "mrkdwn":
        return mrkdwn_to_html(text_of(obj))
    return html.escape(emoji(text_of(obj))).replace("\n", "<br>")


def _element_html(element: Any) -> str:
    if not isinstance(element, Mapping) or element.get("type") != "button":
        kind = element.get("type") if isinstance(element, Mapping) else "?"
        return f'<span class="unknown">[{html.escape(str(kind))}]</span>'
    label = html.escape(text_of(element.get("text")))
    url = str(element.get("url") or "")
    if _SAFE_URL.match(url):
        return f'<a href="{html.escape(url)}">{label}</a>'
    return f"<a>{label}</a>"


def _message_html(message: Mapping[str, Any]) -> str:
    ts = html.escape(str(message.get("ts", "?")))
    meta = f"<b>{html.escape(channel_label(message))}</b> · ts {ts}"
    note = thread_note(message)
    if note:
        meta += f' · <span class="thread">↳ {html.escape(note)}</span>'
    if message.get("edited"):
        meta += " · edited"
    blocks = message.get("blocks") or []
    body = "".join(_block_html(b) for b in blocks if isinstance(b, Mapping))
    text = str(message.get("text") or "")
    if not body:
        body = f"<div>{mrkdwn_to_html(text)}</div>"
    elif text:
        body += f'<div class="fallback">Notification text: {mrkdwn_to_html(text)}</div>'
    return f'<article class="msg"><div class="meta">{meta}</div>{body}</article>'


def render_html(messages: Iterable[Mapping[str, Any]], *, title: str = "Slack preview") -> str:
    """The whole preview page as a string."""
    items = [_message_html(m) for m in messages]
    count = f"{len(items)} message{'s' if len(items) != 1 else ''}"
    body = "\n".join(items) or "<p>No messages were posted.</p>"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head>"
        f"<body><main><h1>{html.escape(title)} · {count}</h1>\n{body}\n</main></body></html>\n"
    )


def write_html_preview(
    messages: Iterable[Mapping[str, Any]], path: Path | str, *, title: str = "Slack preview"
) -> Path:
    """Write the preview page to ``path`` (parents created) and return the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_html(messages, title=title), encoding="utf-8")
    return target


# -- terminal ------------------------------------------------------------------------------
def render_terminal(messages: Sequence[Mapping[str, Any]]) -> list[RenderableType]:
    """One ``rich`` Panel per message: channel and thread in the title, then each block."""
    # rich comes with the cli extra; a function importing this module for HTML must not need it.
    from costwarden.local._preview_terminal import render_panels

    return render_panels(messages)
