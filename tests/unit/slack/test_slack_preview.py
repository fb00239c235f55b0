"""Previews of captured messages: readable, faithful to mrkdwn, and safe to open."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console

from costwarden.local.preview import (
    mrkdwn_to_html,
    mrkdwn_to_plain,
    render_html,
    render_terminal,
    write_html_preview,
)

MESSAGE: dict[str, Any] = {
    "channel": "C0123456789",
    "channel_name": "platform-costs",
    "ts": "1700000000.000200",
    "thread_ts": "1700000000.000100",
    "reply_broadcast": True,
    "text": "Budget *prod* crossed 100%",
    "blocks": [
        {"type": "header", "text": {"type": "plain_text", "text": ":rotating_light: Budget prod"}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "*prod*: spent *$1,200.00* <!subteam^S0PLAT>"},
            "fields": [{"type": "mrkdwn", "text": "*Budget*\n$1,000.00"}],
        },
        {"type": "divider"},
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Open in AWS Budgets"},
                    "url": "https://console.aws.amazon.com/billing/home#/budgets",
                    "action_id": "open",
                }
            ],
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "AWS · dedup `k/1`"}]},
        {"type": "image", "image_url": "https://example.com/x.png", "alt_text": "x"},
    ],
}


def test_mrkdwn_bold_italic_code_and_newlines_become_html() -> None:
    assert mrkdwn_to_html("*a* _b_ `c`\nd") == "<strong>a</strong> <em>b</em> <code>c</code><br>d"


def test_links_and_mentions_are_rendered_and_escaped() -> None:
    html = mrkdwn_to_html("see <https://x.example/?a=1&amp;b=2|the budget> <@U1> <!here>")

    assert '<a href="https://x.example/?a=1&amp;b=2">the budget</a>' in html
    assert '<span class="mention">@U1</span>' in html
    assert '<span class="mention">@here</span>' in html


def test_text_cannot_inject_html_or_script_links() -> None:
    html = mrkdwn_to_html("&lt;script&gt;alert(1)&lt;/script&gt; <javascript:alert(1)|click>")

    assert "<script" not in html
    assert "&lt;script&gt;" in html
    assert "href" not in html  # only http(s) and mailto links become links


def test_plain_text_resolves_entities_for_the_terminal() -> None:
    plain = mrkdwn_to_plain(":rotating_light: <https://x.example|console> <!subteam^S1> a &amp; b")

    assert plain == "🚨 console (https://x.example) @S1 a & b"


def test_html_page_shows_each_block_channel_and_thread() -> None:
    page = render_html([MESSAGE])

    assert page.startswith("<!DOCTYPE html>")
    assert "<b>#platform-costs</b>" in page
    assert "reply in thread 1700000000.000100 · also sent to the channel" in page
    assert '<div class="header">🚨 Budget prod</div>' in page
    assert "<strong>$1,200.00</strong>" in page
    assert "<strong>Budget</strong><br>$1,000.00" in page
    assert '<a href="https://console.aws.amazon.com/billing/home#/budgets">' in page
    assert "<code>k/1</code>" in page
    assert "[image block]" in page  # not rendered, but never silently hidden
    assert "<script" not in page
    assert "http://" not in page
    assert "src=" not in page


def test_message_without_blocks_shows_its_text() -> None:
    page = render_html([{"channel": "C1", "ts": "1.0", "text": "hello *there*"}])

    assert "hello <strong>there</strong>" in page
    assert "<b>C1</b>" in page


def test_write_html_preview_creates_parents_and_returns_path(tmp_path: Path) -> None:
    target = tmp_path / "out" / "preview.html"

    written = write_html_preview([MESSAGE], target)

    assert written == target
    assert "Slack preview · 1 message<" in target.read_text(encoding="utf-8")


def test_empty_preview_says_nothing_was_posted() -> None:
    assert "No messages were posted." in render_html([])


def test_terminal_renders_one_panel_per_message_with_block_text() -> None:
    renderables = render_terminal([MESSAGE, {"channel": "C2", "ts": "2.0", "text": "plain"}])
    console = Console(record=True, width=100, color_system=None)
    for renderable in renderables:
        console.print(renderable)
    out = console.export_text()

    assert len(renderables) == 2
    assert "#platform-costs · ts 1700000000.000200" in out
    assert "↳ reply in thread 1700000000.000100 · also sent to the channel" in out
    assert "🚨 Budget prod" in out
    assert "prod: spent $1,200.00 @S0PLAT" in out
    assert "Budget: $1,000.00" in out
    assert "[Open in AWS Budgets] https://console.aws.amazon.com/billing/home#/budgets" in out
    assert "[image block]" in out
    assert "C2 · ts 2.0" in out
    assert "plain" in out
