"""SlackNotifier through the real slack-sdk client against the local Slack Web API server.

These prove the delivery contract the budget service relies on: one accepted message per call
after transient failures, and a ``NotificationError`` (never a silent drop, never the token)
when Slack does not accept it.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from pathlib import Path

import pytest

from costwarden.adapters.slack.budget_blocks import render_budget_alert
from costwarden.adapters.slack.notifier import SlackNotifier, build_slack_client
from costwarden.errors import NotificationError
from costwarden.local.preview import write_html_preview
from costwarden.local.slack_server import DEFAULT_TOKEN, LocalSlackServer
from costwarden.models.notification import BudgetAlertMessage

pytestmark = pytest.mark.integration

NotifierFactory = Callable[..., SlackNotifier]
MessageFactory = Callable[..., BudgetAlertMessage]


def statuses(server: LocalSlackServer) -> list[int]:
    return [r.status for r in server.requests]


def test_posts_one_message_to_the_routed_channel(
    slack_server: LocalSlackServer, make_notifier: NotifierFactory, make_message: MessageFactory
) -> None:
    message = make_message()

    posted = make_notifier().post_budget_alert(message)

    assert posted.channel == slack_server.channel_id("#platform-costs")
    [received] = slack_server.messages
    assert received["channel"] == posted.channel
    assert received["ts"] == posted.ts
    assert "thread_ts" not in received
    text, blocks = render_budget_alert(message)
    assert received["text"] == text
    assert received["blocks"] == [b.to_dict() for b in blocks]
    [request] = slack_server.requests
    assert request.headers["Authorization"] == f"Bearer {DEFAULT_TOKEN}"
    assert request.body["unfurl_links"] is False


def test_later_threshold_replies_in_thread_and_still_shows_in_channel(
    slack_server: LocalSlackServer, make_notifier: NotifierFactory, make_message: MessageFactory
) -> None:
    notifier = make_notifier()
    first = notifier.post_budget_alert(make_message(threshold=80.0))

    reply = notifier.post_budget_alert(make_message(threshold=100.0, thread_ts=first.ts))

    assert reply.channel == first.channel
    assert reply.ts > first.ts
    root, threaded = slack_server.messages
    assert "thread_ts" not in root
    assert threaded["thread_ts"] == first.ts
    assert threaded["reply_broadcast"] is True


def test_rate_limited_post_waits_retry_after_then_posts_once(
    slack_server: LocalSlackServer, make_notifier: NotifierFactory, make_message: MessageFactory
) -> None:
    slack_server.fail_next(1, status=429, retry_after=1)
    started = time.monotonic()

    make_notifier().post_budget_alert(make_message())

    assert time.monotonic() - started >= 1.0  # Retry-After honoured
    assert statuses(slack_server) == [429, 200]
    assert len(slack_server.messages) == 1


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_retried_and_post_once(
    slack_server: LocalSlackServer,
    make_notifier: NotifierFactory,
    make_message: MessageFactory,
    status: int,
) -> None:
    slack_server.fail_next(2, status=status)

    make_notifier(max_retries=3).post_budget_alert(make_message())

    assert statuses(slack_server) == [status, status, 200]
    assert len(slack_server.messages) == 1


def test_dropped_connections_are_retried_and_post_once(
    slack_server: LocalSlackServer, make_notifier: NotifierFactory, make_message: MessageFactory
) -> None:
    slack_server.fail_next(2, drop=True)

    make_notifier(max_retries=3).post_budget_alert(make_message())

    assert statuses(slack_server) == [0, 0, 200]  # 0: hung up without answering
    assert len(slack_server.messages) == 1


def test_slack_down_longer_than_retries_raises_and_posts_nothing(
    slack_server: LocalSlackServer, make_notifier: NotifierFactory, make_message: MessageFactory
) -> None:
    slack_server.go_down()

    with pytest.raises(NotificationError, match="could not reach Slack to post to #platform-costs"):
        make_notifier(max_retries=2).post_budget_alert(make_message())

    assert slack_server.messages == []
    assert len(slack_server.requests) == 3  # the first attempt and two retries


def test_slack_answering_503_past_retries_raises_with_the_status(
    slack_server: LocalSlackServer, make_notifier: NotifierFactory, make_message: MessageFactory
) -> None:
    slack_server.go_down(status=503)

    with pytest.raises(NotificationError, match=r"service_unavailable \(HTTP 503\)"):
        make_notifier(max_retries=2).post_budget_alert(make_message())

    assert slack_server.messages == []
    assert statuses(slack_server) == [503, 503, 503]


def test_unreachable_slack_raises_notification_error(make_message: MessageFactory) -> None:
    with LocalSlackServer() as server:
        base_url = server.base_url  # a port nobody listens on once the server stops
    client = build_slack_client(
        DEFAULT_TOKEN, base_url=base_url, max_retries=1, backoff_factor=0.01
    )

    with pytest.raises(NotificationError, match="could not reach Slack"):
        SlackNotifier(client).post_budget_alert(make_message())


def test_invalid_token_raises_invalid_auth_without_revealing_the_token(
    slack_server: LocalSlackServer, make_notifier: NotifierFactory, make_message: MessageFactory
) -> None:
    token = "xoxb-1111-2222-NotTheRealToken"

    with pytest.raises(NotificationError) as raised:
        make_notifier(token=token).post_budget_alert(make_message())

    assert "invalid_auth" in str(raised.value)
    assert "check the bot token" in str(raised.value)
    # Not in the message, nor anywhere in the logged traceback (including the chained cause).
    logged = "".join(traceback.format_exception(raised.value))
    assert token not in logged
    assert slack_server.messages == []
    assert len(slack_server.requests) == 1  # auth errors are not retried


def test_ok_false_error_is_reported_with_slacks_code(
    slack_server: LocalSlackServer, make_notifier: NotifierFactory, make_message: MessageFactory
) -> None:
    slack_server.fail_next(1, error="ratelimited")  # HTTP 200, {"ok": false, ...}

    with pytest.raises(NotificationError, match=r"ratelimited \(HTTP 200\)"):
        make_notifier().post_budget_alert(make_message())

    assert slack_server.messages == []


def test_retry_after_beyond_the_cap_fails_fast_instead_of_sleeping(
    slack_server: LocalSlackServer, make_notifier: NotifierFactory, make_message: MessageFactory
) -> None:
    slack_server.fail_next(1, status=429, retry_after=120)
    started = time.monotonic()

    with pytest.raises(NotificationError, match=r"ratelimited \(HTTP 429\)"):
        make_notifier(max_retry_after=5).post_budget_alert(make_message())

    assert time.monotonic() - started < 1.0
    assert statuses(slack_server) == [429]


def test_unknown_channel_is_reported_with_a_hint(make_message: MessageFactory) -> None:
    channels = {"#platform-costs": "C0PLATFORM1"}
    with LocalSlackServer(channels=channels, unknown_channels="not_found") as server:
        client = build_slack_client(DEFAULT_TOKEN, base_url=server.base_url)

        with pytest.raises(NotificationError, match=r"channel_not_found.*invite the bot"):
            SlackNotifier(client).post_budget_alert(make_message(channel="#nobody-invited-me"))
        posted = SlackNotifier(client).post_budget_alert(make_message(channel="#platform-costs"))

    assert posted.channel == "C0PLATFORM1"


def test_preview_html_contains_the_posted_messages(
    slack_server: LocalSlackServer,
    make_notifier: NotifierFactory,
    make_message: MessageFactory,
    tmp_path: Path,
) -> None:
    notifier = make_notifier()
    first = notifier.post_budget_alert(make_message(name="prod <platform> & co"))
    notifier.post_budget_alert(make_message(name="data-lake", threshold=100.0, thread_ts=first.ts))

    page = write_html_preview(slack_server.messages, tmp_path / "slack-preview.html").read_text()

    assert "2 messages" in page
    assert page.count("<b>#platform-costs</b>") == 2
    assert "Budget prod &lt;platform&gt; &amp; co crossed 80% (actual)" in page
    assert "<strong>prod &lt;platform&gt; &amp; co</strong>" in page
    assert "Budget data-lake crossed 100% (actual)" in page
    assert f"reply in thread {first.ts} · also sent to the channel" in page
    assert '<a href="https://console.aws.amazon.com/billing/home#/budgets">' in page
    assert "<platform>" not in page
