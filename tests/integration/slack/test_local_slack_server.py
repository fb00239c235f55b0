"""LocalSlackServer answers like the Slack Web API for what costwarden uses, and records it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from costwarden.local.slack_server import BOT_USER_ID, DEFAULT_TOKEN, LocalSlackServer

pytestmark = pytest.mark.integration

BLOCKS: list[dict[str, Any]] = [
    {"type": "header", "text": {"type": "plain_text", "text": "Budget"}},
    {"type": "section", "text": {"type": "mrkdwn", "text": "*hello*"}},
]


def raw_client(server: LocalSlackServer, token: str = DEFAULT_TOKEN) -> WebClient:
    """A client without retries, so each call is exactly one request."""
    return WebClient(token=token, base_url=server.base_url, retry_handlers=[], timeout=5)


def slack_error(call: Any) -> str:
    with pytest.raises(SlackApiError) as raised:
        call()
    return str(raised.value.response["error"])


def test_base_url_ends_with_api_like_slacks(slack_server: LocalSlackServer) -> None:
    assert slack_server.base_url == f"http://127.0.0.1:{slack_server.port}/api/"


def test_auth_test_returns_the_bot_identity(slack_server: LocalSlackServer) -> None:
    response = raw_client(slack_server).auth_test()

    assert response["ok"] is True
    assert response["user_id"] == BOT_USER_ID


def test_missing_or_wrong_token_is_refused(slack_server: LocalSlackServer) -> None:
    assert slack_error(lambda: raw_client(slack_server, token="").auth_test()) == "not_authed"
    wrong = raw_client(slack_server, token="xoxb-wrong")
    assert slack_error(lambda: wrong.chat_postMessage(channel="#a", text="x")) == "invalid_auth"
    assert slack_server.messages == []
    assert [r.response["error"] for r in slack_server.requests if r.response] == [
        "not_authed",
        "invalid_auth",
    ]


def test_json_post_is_accepted_with_increasing_ts(slack_server: LocalSlackServer) -> None:
    client = raw_client(slack_server)

    first = client.chat_postMessage(channel="#platform-costs", text="one", blocks=BLOCKS)
    second = client.chat_postMessage(channel="platform-costs", text="two")

    assert first["ts"] == "1700000000.000100"
    assert second["ts"] == "1700000000.000200"
    assert first["channel"] == second["channel"] == slack_server.channel_id("#platform-costs")
    assert first["message"]["blocks"] == BLOCKS
    assert [m["text"] for m in slack_server.messages] == ["one", "two"]
    assert slack_server.messages[0]["channel_name"] == "platform-costs"


@pytest.mark.parametrize("encoding", ["params", "data"])  # urlencoded and multipart forms
def test_form_encoded_post_is_accepted_like_the_real_api(
    slack_server: LocalSlackServer, encoding: str
) -> None:
    fields = {"channel": "#costs", "text": "hi", "blocks": json.dumps(BLOCKS)}

    response = raw_client(slack_server).api_call("chat.postMessage", **{encoding: fields})

    assert response["ok"] is True
    [message] = slack_server.messages
    assert message["blocks"] == BLOCKS  # the JSON string was parsed, as Slack does


def test_channel_ids_are_stable_and_ids_are_accepted(slack_server: LocalSlackServer) -> None:
    with LocalSlackServer() as other:
        assert other.channel_id("#finops") == slack_server.channel_id("finops")
    channel_id = slack_server.channel_id("#finops")
    assert channel_id.startswith("C")

    response = raw_client(slack_server).chat_postMessage(channel=channel_id, text="by id")

    assert response["channel"] == channel_id
    assert slack_server.messages[0]["channel_name"] == "finops"


@pytest.mark.parametrize("channel", ["", "#Platform Costs", "#" + "x" * 81])
def test_impossible_channel_names_are_not_found(
    slack_server: LocalSlackServer, channel: str
) -> None:
    client = raw_client(slack_server)

    assert slack_error(lambda: client.chat_postMessage(channel=channel, text="x")) == (
        "channel_not_found"
    )


# slack-sdk warns (rightly) when a post has no fallback text; here that is the point.
@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing:UserWarning")
def test_message_needs_text_or_blocks(slack_server: LocalSlackServer) -> None:
    client = raw_client(slack_server)

    assert slack_error(lambda: client.chat_postMessage(channel="#a")) == "no_text"
    assert client.chat_postMessage(channel="#a", blocks=BLOCKS)["ok"] is True


def test_blocks_past_block_kit_limits_are_rejected_with_slack_style_messages(
    slack_server: LocalSlackServer,
) -> None:
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}]

    with pytest.raises(SlackApiError) as raised:
        raw_client(slack_server).chat_postMessage(channel="#a", text="x", blocks=blocks)

    assert raised.value.response["error"] == "invalid_blocks"
    assert raised.value.response["response_metadata"]["messages"] == [
        "[ERROR] must be at most 150 characters [json-pointer:/blocks/0/text/text]"
    ]
    assert slack_server.messages == []


def test_thread_reply_records_thread_and_broadcast(slack_server: LocalSlackServer) -> None:
    client = raw_client(slack_server)
    root = client.chat_postMessage(channel="#a", text="root")

    client.chat_postMessage(channel="#a", text="reply", thread_ts=root["ts"], reply_broadcast=True)

    reply = slack_server.messages[1]
    assert reply["thread_ts"] == root["ts"]
    assert reply["reply_broadcast"] is True
    bad_thread = lambda: client.chat_postMessage(channel="#a", text="x", thread_ts="abc")  # noqa: E731
    assert slack_error(bad_thread) == "invalid_thread_ts"


def test_chat_update_edits_the_recorded_message(slack_server: LocalSlackServer) -> None:
    client = raw_client(slack_server)
    posted = client.chat_postMessage(channel="#a", text="before", blocks=BLOCKS)

    updated = client.chat_update(channel=posted["channel"], ts=posted["ts"], text="after")

    assert updated["ts"] == posted["ts"]
    [message] = slack_server.messages
    assert message["text"] == "after"
    assert "edited" in message
    missing = lambda: client.chat_update(channel=posted["channel"], ts="1.2", text="x")  # noqa: E731
    assert slack_error(missing) == "message_not_found"


def test_faults_can_target_one_method_and_are_used_up(slack_server: LocalSlackServer) -> None:
    client = raw_client(slack_server)
    slack_server.fail_next(1, error="fatal_error", method="chat.postMessage")

    assert client.auth_test()["ok"] is True  # not the targeted method
    assert slack_error(lambda: client.chat_postMessage(channel="#a", text="x")) == "fatal_error"
    assert client.chat_postMessage(channel="#a", text="x")["ok"] is True


def test_429_fault_sends_retry_after(slack_server: LocalSlackServer) -> None:
    slack_server.fail_next()

    with pytest.raises(SlackApiError) as raised:
        raw_client(slack_server).chat_postMessage(channel="#a", text="x")

    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "1"
    assert raised.value.response["error"] == "ratelimited"


def test_outage_ends_when_the_server_comes_back(slack_server: LocalSlackServer) -> None:
    client = raw_client(slack_server)
    slack_server.go_down(status=503)
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="#a", text="x")

    slack_server.come_back()

    assert client.chat_postMessage(channel="#a", text="x")["ok"] is True


def test_unknown_methods_are_reported(slack_server: LocalSlackServer) -> None:
    assert slack_error(lambda: raw_client(slack_server).api_call("files.upload")) == (
        "unknown_method"
    )


def test_reset_forgets_messages_requests_and_faults(slack_server: LocalSlackServer) -> None:
    raw_client(slack_server).chat_postMessage(channel="#a", text="x")
    slack_server.fail_next(5)

    slack_server.reset()

    assert slack_server.messages == []
    assert slack_server.requests == []
    assert raw_client(slack_server).auth_test()["ok"] is True
