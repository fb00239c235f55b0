"""The Azure Functions budget webhook end to end: Action Group bodies in, Azurite Table Storage
for state, a local Slack Web API out, the shared-secret check in front."""

from __future__ import annotations

import base64
import contextlib
import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from azure.core.exceptions import ResourceExistsError
from azure.data.tables import TableServiceClient
from azure.storage.queue import QueueClient

from costwarden.errors import AlertInProgressError, NotificationError
from costwarden.local.runtimes import AzureFunctionsRuntime, HttpResult
from costwarden.local.slack_server import LocalSlackServer
from costwarden.ports import ClaimStatus
from costwarden.services.budget_alerts import DEFAULT_LEASE
from handler_support import FUNCTIONS, SLACK_TOKEN, expected, load, malformed, sample_events
from integration.scheduling_functions.conftest import fire_queue_trigger

WEBHOOK_TOKEN = "webhook-secret-for-tests"
RETRY_QUEUE = "budget-alert-retry"


@pytest.fixture
def table(
    azurite_table_connection_string: str, base_env: None, monkeypatch: pytest.MonkeyPatch
) -> str:
    name = f"cwstate{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("COSTWARDEN_STATE", f"azure-table://{name}")
    monkeypatch.setenv("COSTWARDEN_AZURE_TABLE_CONNECTION_STRING", azurite_table_connection_string)
    monkeypatch.setenv("COSTWARDEN_SLACK_TOKEN", SLACK_TOKEN)
    monkeypatch.setenv("COSTWARDEN_WEBHOOK_TOKEN", WEBHOOK_TOKEN)
    return name


@pytest.fixture
def function(table: str) -> AzureFunctionsRuntime:
    return AzureFunctionsRuntime(FUNCTIONS)


def rows(connection_string: str, table: str) -> list[dict[str, object]]:
    client = TableServiceClient.from_connection_string(connection_string).get_table_client(table)
    try:
        return list(client.list_entities())
    except Exception as exc:  # a table that was never created holds nothing
        if "TableNotFound" in str(exc):
            return []
        raise


def post(fn: AzureFunctionsRuntime, body: bytes, token: str | None = WEBHOOK_TOKEN) -> HttpResult:
    params = {"token": token} if token is not None else {}
    return fn.post("budget_alert", body, params=params)


@pytest.mark.parametrize("event", sample_events("azure"), ids=lambda p: p.stem)
def test_each_azure_sample_posts_once_across_three_deliveries(
    event: Path, function: AzureFunctionsRuntime, slack: LocalSlackServer
) -> None:
    body = event.read_bytes()
    [alert] = expected(event)
    results = [post(function, body) for _ in range(3)]
    assert [r.status for r in results] == [200, 200, 200]
    statuses = [json.loads(r.body)["status"] for r in results]
    assert statuses == ["posted", "duplicate", "duplicate"]
    want = alert["dedup_key"]
    if "legacy" in event.stem:
        # The legacy schema carries no dates: its period is the month of receipt.
        this_month = datetime.now(UTC).date().replace(day=1).isoformat()
        want = want.replace(alert["period_start"], this_month)
    assert json.loads(results[0].body)["dedup_key"] == want
    assert len(slack.messages) == 1


@pytest.mark.parametrize("token", [None, "", "wrong-token", WEBHOOK_TOKEN + "x"])
def test_webhook_without_the_shared_secret_gets_401_and_changes_nothing(
    token: str | None,
    function: AzureFunctionsRuntime,
    slack: LocalSlackServer,
    table: str,
    azurite_table_connection_string: str,
) -> None:
    result = post(function, sample_events("azure")[0].read_bytes(), token=token)
    assert result.status == 401
    assert WEBHOOK_TOKEN not in result.body
    assert slack.messages == []
    assert rows(azurite_table_connection_string, table) == []


def test_webhook_refuses_everything_when_no_secret_is_configured(
    function: AzureFunctionsRuntime, slack: LocalSlackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COSTWARDEN_WEBHOOK_TOKEN")
    fresh = AzureFunctionsRuntime(FUNCTIONS)
    assert post(fresh, sample_events("azure")[0].read_bytes(), token="").status == 401
    assert slack.messages == []


def test_token_may_also_come_in_a_header(
    function: AzureFunctionsRuntime, slack: LocalSlackServer
) -> None:
    result = function.post(
        "budget_alert",
        sample_events("azure")[0].read_bytes(),
        headers={"x-costwarden-token": WEBHOOK_TOKEN},
    )
    assert result.status == 200
    assert len(slack.messages) == 1


@pytest.mark.parametrize("bad", [*malformed("azure"), *malformed("not_json")], ids=lambda p: p.stem)
def test_malformed_webhook_body_gets_400_and_changes_nothing(
    bad: Path,
    function: AzureFunctionsRuntime,
    slack: LocalSlackServer,
    table: str,
    azurite_table_connection_string: str,
) -> None:
    result = post(function, bad.read_bytes())
    assert result.status == 400
    assert json.loads(result.body)["error"]
    assert slack.messages == []
    assert rows(azurite_table_connection_string, table) == []


def test_slack_down_gets_503_then_the_retry_posts_once(
    function: AzureFunctionsRuntime, slack: LocalSlackServer
) -> None:
    body = sample_events("azure")[0].read_bytes()
    slack.go_down(status=500)
    assert post(function, body).status == 503
    slack.come_back()
    assert json.loads(post(function, body).body)["status"] == "posted"
    assert json.loads(post(function, body).body)["status"] == "duplicate"
    assert len(slack.messages) == 1


def test_forecast_and_actual_of_one_budget_share_a_thread(
    function: AzureFunctionsRuntime, slack: LocalSlackServer
) -> None:
    actual = load(sample_events("azure")[0])
    forecast = json.loads(json.dumps(actual))
    data = forecast["data"]["alertContext"]["AlertData"]
    data["ThresholdType"] = "Forecasted"
    data["ForecastedTotalForPeriod"] = data.get("ForecastedTotalForPeriod") or "$99,999.00"
    for payload in (actual, forecast):
        assert post(function, json.dumps(payload).encode()).status == 200
    root, reply = slack.messages
    assert reply["thread_ts"] == root["ts"]


@pytest.mark.parametrize("body", [b"[1, 2]", b'"hello"', b"null", b"42"])
def test_json_that_is_not_an_object_gets_400_not_a_crash(
    body: bytes, function: AzureFunctionsRuntime, slack: LocalSlackServer
) -> None:
    result = post(function, body)
    assert result.status == 400
    assert "must be a JSON object" in json.loads(result.body)["error"]
    assert slack.messages == []


def test_a_retried_webhook_with_the_same_request_id_does_not_take_over_a_live_claim(
    function: AzureFunctionsRuntime, slack: LocalSlackServer
) -> None:
    """The first delivery (request id ``req-1``) holds the claim and is still posting; the
    Action Group's retry carries the same request id. It must find the claim busy, not
    re-acquire it as its own and post a second message."""
    event = sample_events("azure")[0]
    [alert] = expected(event)
    state = function.module._deps().state
    first = state.claim(
        alert["dedup_key"], owner="req-1", now=datetime.now(UTC), lease=DEFAULT_LEASE
    )
    assert first.status is ClaimStatus.ACQUIRED

    result = function.post(
        "budget_alert",
        event.read_bytes(),
        params={"token": WEBHOOK_TOKEN},
        headers={"x-ms-client-request-id": "req-1"},
    )

    assert result.status == 503  # no queue configured here: the Action Group retries
    assert json.loads(result.body)["error"] == "AlertInProgressError"
    assert slack.messages == []


# -- the retry queue: what the webhook could not post, the queue trigger posts later -------------
@pytest.fixture
def retry_queue(
    table: str, azurite_queue_connection_string: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[QueueClient]:
    """The function app's queue connection on Azurite, with the budget retry queue (fixed
    name, one Azurite per test worker: emptied before each test)."""
    monkeypatch.setenv("COSTWARDEN_QUEUE_CONNECTION", azurite_queue_connection_string)
    queue = QueueClient.from_connection_string(azurite_queue_connection_string, RETRY_QUEUE)
    with contextlib.suppress(ResourceExistsError):
        queue.create_queue()
    queue.clear_messages()
    yield queue
    queue.delete_queue()


def queued(queue: QueueClient) -> list[dict[str, Any]]:
    """The queue's messages as the Functions host hands them to the trigger (base64 decoded,
    as host.json's default messageEncoding does), left on the queue: a failed run keeps its
    message, as the host does."""
    payloads = []
    for message in queue.receive_messages(messages_per_page=32, visibility_timeout=1):
        payloads.append(
            {
                "Data": {"message": base64.b64decode(message.content).decode("utf-8")},
                "Metadata": {
                    "DequeueCount": message.dequeue_count,
                    "Id": message.id,
                    "PopReceipt": message.pop_receipt,
                },
            }
        )
    return payloads


def test_slack_down_queues_the_alert_and_the_queue_trigger_posts_it_once(
    function: AzureFunctionsRuntime, slack: LocalSlackServer, retry_queue: QueueClient
) -> None:
    """An Action Group gives up after ~75 s; the queue keeps the alert until Slack is back."""
    body = sample_events("azure")[0].read_bytes()
    slack.go_down(status=500)

    answer = post(function, body)

    assert answer.status == 202
    assert json.loads(answer.body) == {
        "status": "queued",
        "queue": RETRY_QUEUE,
        "error": "NotificationError",
    }
    [payload] = queued(retry_queue)
    assert json.loads(payload["Data"]["message"]) == json.loads(body)
    # Slack still down: the trigger raises, so the host keeps the message for its next try.
    with pytest.raises(NotificationError):
        fire_queue_trigger(function, "budget_alert_retry", payload)
    slack.come_back()
    fire_queue_trigger(function, "budget_alert_retry", payload)
    fire_queue_trigger(function, "budget_alert_retry", payload)  # at-least-once: no repost
    assert len(slack.messages) == 1
    # The Action Group's own retry of the first webhook call now finds the alert posted.
    assert json.loads(post(function, body).body)["status"] == "duplicate"


def test_a_claim_held_by_a_dead_delivery_is_queued_not_dropped(
    function: AzureFunctionsRuntime, slack: LocalSlackServer, retry_queue: QueueClient
) -> None:
    event = sample_events("azure")[0]
    [alert] = expected(event)
    function.module._deps().state.claim(
        alert["dedup_key"], owner="died-mid-post", now=datetime.now(UTC), lease=DEFAULT_LEASE
    )

    answer = post(function, event.read_bytes())

    assert answer.status == 202
    assert json.loads(answer.body)["error"] == "AlertInProgressError"
    [payload] = queued(retry_queue)
    with pytest.raises(AlertInProgressError):  # the host retries it after the lease
        fire_queue_trigger(function, "budget_alert_retry", payload)
    assert slack.messages == []


def test_the_webhook_answers_503_when_the_queue_cannot_be_written(
    function: AzureFunctionsRuntime, slack: LocalSlackServer, retry_queue: QueueClient
) -> None:
    retry_queue.delete_queue()
    slack.go_down(status=500)

    answer = post(function, sample_events("azure")[0].read_bytes())

    assert answer.status == 503
    assert json.loads(answer.body)["error"] == "NotificationError"
    retry_queue.create_queue()  # for the fixture's teardown


def test_host_retries_of_a_queued_alert_outlast_the_claim_lease() -> None:
    """A delivery that died after claiming blocks the alert for one lease: the host's tries
    (host.json) must span longer than that, or the alert lands in the poison queue unposted."""
    host = json.loads((FUNCTIONS / "azure" / "host.json").read_text())
    queues = host["extensions"]["queues"]
    hours, minutes, seconds = (int(part) for part in queues["visibilityTimeout"].split(":"))
    between = timedelta(hours=hours, minutes=minutes, seconds=seconds)
    assert between * (queues["maxDequeueCount"] - 1) > DEFAULT_LEASE


def test_the_queue_names_match_the_infrastructure() -> None:
    infra = (FUNCTIONS.parent / "infra" / "azure" / "budget_queue.tf").read_text()
    names = re.findall(r'name\s+=\s+"([a-z0-9-]+)"', infra)
    assert names == [RETRY_QUEUE, f"{RETRY_QUEUE}-poison"]
