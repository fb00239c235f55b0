"""LocalSlackServer speaks files_upload_v2 and conversations.list the way slack-sdk calls them."""

from __future__ import annotations

from typing import Any
from urllib.error import HTTPError

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from costwarden.local.slack_server import DEFAULT_TOKEN, LocalSlackServer

pytestmark = pytest.mark.integration

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


def client(server: LocalSlackServer) -> WebClient:
    """No retries: each call is exactly the requests slack-sdk makes."""
    return WebClient(token=DEFAULT_TOKEN, base_url=server.base_url, retry_handlers=[], timeout=5)


def slack_error(call: Any) -> dict[str, Any]:
    with pytest.raises(SlackApiError) as raised:
        call()
    return dict(raised.value.response.data)  # type: ignore[arg-type]


def test_files_upload_v2_shares_the_bytes_in_the_channel(slack_server: LocalSlackServer) -> None:
    channel = slack_server.channel_id("#platform-costs")

    response = client(slack_server).files_upload_v2(
        channel=channel,
        file=PNG,
        filename="chart.png",
        title="Daily cost",
        alt_txt="a bar chart",
        initial_comment="Daily cost of *platform*",
    )

    (uploaded,) = slack_server.uploaded_files
    assert response["file"]["id"] == uploaded.id
    assert response["file"]["mimetype"] == "image/png"
    assert (uploaded.content, uploaded.filename, uploaded.title, uploaded.alt_txt) == (
        PNG,
        "chart.png",
        "Daily cost",
        "a bar chart",
    )
    (message,) = slack_server.messages
    assert message["channel"] == channel
    assert message["text"] == "Daily cost of *platform*"
    assert message["files"][0]["id"] == uploaded.id
    assert message["ts"] == uploaded.message_ts
    assert [r.api_method for r in slack_server.requests] == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]


def test_a_file_can_be_shared_in_a_thread(slack_server: LocalSlackServer) -> None:
    web = client(slack_server)
    posted = web.chat_postMessage(channel="#data-costs", text="digest")

    web.files_upload_v2(
        channel=posted["channel"], file=PNG, filename="c.png", thread_ts=posted["ts"]
    )

    (uploaded,) = slack_server.uploaded_files
    assert uploaded.thread_ts == posted["ts"]
    assert slack_server.messages[-1]["thread_ts"] == posted["ts"]


def test_a_channel_name_is_refused_as_slack_does(slack_server: LocalSlackServer) -> None:
    error = slack_error(
        lambda: client(slack_server).files_upload_v2(
            channel="#platform-costs", file=PNG, filename="c.png"
        )
    )

    assert error["error"] == "invalid_arguments"
    assert "json-pointer:/channel_id" in error["response_metadata"]["messages"][0]
    assert slack_server.uploaded_files == []


def test_an_unknown_channel_id_is_not_found() -> None:
    with LocalSlackServer(unknown_channels="not_found") as server:
        error = slack_error(
            lambda: client(server).files_upload_v2(
                channel="C0NOTINVITED", file=PNG, filename="c.png"
            )
        )

    assert error["error"] == "channel_not_found"


def test_a_failed_byte_upload_surfaces_as_an_http_error(slack_server: LocalSlackServer) -> None:
    # slack-sdk posts the bytes with plain urllib: a 5xx raises urllib's HTTPError (an OSError),
    # not a SlackApiError, which is why SlackNotifier also catches OSError.
    slack_server.fail_next(method="upload", status=500)
    channel = slack_server.channel_id("#x")

    with pytest.raises(HTTPError, match="500"):
        client(slack_server).files_upload_v2(channel=channel, file=PNG, filename="c.png")

    assert slack_server.uploaded_files == []


def test_completing_a_file_that_was_never_uploaded_is_refused(
    slack_server: LocalSlackServer,
) -> None:
    web = client(slack_server)
    started = web.files_getUploadURLExternal(filename="c.png", length=len(PNG))

    error = slack_error(
        lambda: web.files_completeUploadExternal(files=[{"id": started["file_id"], "title": "c"}])
    )

    assert error["error"] == "file_not_found"


def test_without_a_channel_the_file_stays_private(slack_server: LocalSlackServer) -> None:
    client(slack_server).files_upload_v2(file=PNG, filename="c.png")

    (uploaded,) = slack_server.uploaded_files
    assert uploaded.channel is None
    assert slack_server.messages == []


def test_upload_url_arguments_are_checked(slack_server: LocalSlackServer) -> None:
    web = client(slack_server)

    assert (
        slack_error(lambda: web.files_getUploadURLExternal(filename="c.png", length=0))["error"]
        == "missing_argument"
    )
    assert (
        slack_error(
            lambda: web.files_getUploadURLExternal(filename="c.png", length=3, alt_txt="x" * 1001)
        )["error"]
        == "alt_txt_too_large"
    )


def test_conversations_list_pages_through_the_known_channels() -> None:
    names = {f"team-{n}": f"C0TEAM0000{n}" for n in range(5)}
    with LocalSlackServer(channels=names) as server:
        web = client(server)
        seen: list[str] = []
        cursor = None
        pages = 0
        while True:
            page = web.conversations_list(limit=2, cursor=cursor)
            seen += [c["name"] for c in page["channels"]]
            pages += 1
            cursor = page["response_metadata"]["next_cursor"]
            if not cursor:
                break

        assert seen == sorted(names)
        assert pages == 3
        assert (
            slack_error(lambda: web.conversations_list(cursor="not-a-cursor"))["error"]
            == "invalid_cursor"
        )
        assert slack_error(lambda: web.conversations_list(limit=5000))["error"] == "invalid_limit"
        info = web.conversations_info(channel="C0TEAM00003")
        assert (info["channel"]["name"], info["channel"]["is_member"]) == ("team-3", True)
        assert (
            slack_error(lambda: web.conversations_info(channel="C0NOPE0000"))["error"]
            == "channel_not_found"
        )


def test_reset_forgets_uploaded_files(slack_server: LocalSlackServer) -> None:
    client(slack_server).files_upload_v2(file=PNG, filename="c.png")

    slack_server.reset()

    assert slack_server.uploaded_files == []
