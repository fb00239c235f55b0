"""The Azure Functions budget webhook end to end: Action Group bodies in, Azurite Table Storage
for state, a local Slack Web API out, the shared-secret check in front."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from azure.data.tables import TableServiceClient

from costwarden.local.runtimes import AzureFunctionsRuntime, HttpResult
from costwarden.local.slack_server import LocalSlackServer
from handler_support import FUNCTIONS, SLACK_TOKEN, expected, load, malformed, sample_events

WEBHOOK_TOKEN = "webhook-secret-for-tests"


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
