"""The AWS Lambda budget handler end to end: SNS events in, a moto server for DynamoDB (state)
and SSM (the Slack token), a local Slack Web API out."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from costwarden.adapters.aws.dynamodb_state import create_state_table
from costwarden.errors import AlertInProgressError, NotificationError, PayloadError
from costwarden.local.runtimes import AwsLambdaRuntime
from costwarden.local.slack_server import LocalSlackServer
from costwarden.ports import ClaimStatus
from costwarden.services.budget_alerts import DEFAULT_LEASE as LEASE
from handler_support import EVENTS, FUNCTIONS, SLACK_TOKEN, expected, load, malformed, sample_events

TOKEN_PARAMETER = "/costwarden/test/slack-token"


@pytest.fixture
def table(aws_endpoint_env: str, base_env: None, monkeypatch: pytest.MonkeyPatch) -> str:
    name = f"costwarden-state-{uuid.uuid4().hex[:8]}"
    create_state_table(boto3.client("dynamodb"), name)
    boto3.client("ssm").put_parameter(
        Name=TOKEN_PARAMETER, Value=SLACK_TOKEN, Type="SecureString", Overwrite=True
    )
    monkeypatch.setenv("COSTWARDEN_STATE", f"dynamodb://{name}")
    monkeypatch.setenv("COSTWARDEN_SLACK_TOKEN_PARAMETER", TOKEN_PARAMETER)
    return name


@pytest.fixture
def lambda_fn(table: str) -> AwsLambdaRuntime:
    return AwsLambdaRuntime(FUNCTIONS)  # a cold start per test


def items(table: str) -> list[dict[str, Any]]:
    return boto3.client("dynamodb").scan(TableName=table, ConsistentRead=True)["Items"]


@pytest.mark.parametrize("event", sample_events("aws"), ids=lambda p: p.stem)
def test_each_aws_sample_posts_once_across_three_deliveries(
    event: Path, lambda_fn: AwsLambdaRuntime, slack: LocalSlackServer, table: str
) -> None:
    payload = load(event)
    crossed = [a for a in expected(event) if a["crossed"]]
    first = lambda_fn.invoke(payload)
    assert [o["status"] for o in first["outcomes"]] == ["posted"] * len(crossed)
    for _ in range(2):
        again = lambda_fn.invoke(payload)
        assert [o["status"] for o in again["outcomes"]] == ["duplicate"] * len(crossed)
    assert len(slack.messages) == len(crossed)
    keys = {item["pk"]["S"] for item in items(table)}
    assert {a["dedup_key"] for a in crossed} <= keys


def _with_threshold(payload: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    raised = copy.deepcopy(payload)
    sns = raised["Records"][0]["Sns"]
    assert old in sns["Message"]
    sns["Message"] = sns["Message"].replace(old, new)
    sns["MessageId"] = str(uuid.uuid4())
    return raised


def test_higher_threshold_posts_one_more_message_in_the_same_thread(
    lambda_fn: AwsLambdaRuntime, slack: LocalSlackServer
) -> None:
    at_80 = load(EVENTS / "aws" / "budget_monthly_actual.json")
    at_100 = _with_threshold(at_80, "Alert Threshold: > $24.00", "Alert Threshold: > $30.00")
    lambda_fn.invoke(at_80)
    outcome = lambda_fn.invoke(at_100)["outcomes"][0]
    lambda_fn.invoke(at_100)
    assert outcome["status"] == "posted"
    assert len(slack.messages) == 2
    root, reply = slack.messages
    assert reply["thread_ts"] == root["ts"]
    assert reply["reply_broadcast"] in (True, "true", "1", 1)


def test_slack_429_is_retried_and_posts_exactly_once(
    lambda_fn: AwsLambdaRuntime, slack: LocalSlackServer
) -> None:
    slack.fail_next(1, status=429, retry_after=1)
    outcome = lambda_fn.invoke(load(sample_events("aws")[0]))["outcomes"][0]
    assert outcome["status"] == "posted"
    assert len(slack.messages) == 1
    posts = [r for r in slack.requests if r.api_method == "chat.postMessage"]
    assert [p.status for p in posts] == [429, 200]  # the 429, then the retry


def test_slack_down_fails_the_invocation_then_the_redelivery_posts_once(
    lambda_fn: AwsLambdaRuntime, slack: LocalSlackServer, table: str
) -> None:
    event = load(sample_events("aws")[0])
    slack.go_down(status=503)
    with pytest.raises(NotificationError):
        lambda_fn.invoke(event)
    assert slack.messages == []
    assert items(table) == []  # the claim was released: nothing blocks the retry
    slack.come_back()
    assert lambda_fn.invoke(event)["outcomes"][0]["status"] == "posted"
    assert lambda_fn.invoke(event)["outcomes"][0]["status"] == "duplicate"
    assert len(slack.messages) == 1


@pytest.mark.parametrize("bad", malformed("aws"), ids=lambda p: p.stem)
def test_malformed_sns_event_raises_a_typed_error_and_changes_nothing(
    bad: Path, lambda_fn: AwsLambdaRuntime, slack: LocalSlackServer, table: str
) -> None:
    with pytest.raises(PayloadError):
        lambda_fn.invoke(load(bad))
    assert slack.messages == []
    assert items(table) == []


def test_a_retry_with_the_same_request_id_does_not_take_over_a_live_claim(
    lambda_fn: AwsLambdaRuntime, slack: LocalSlackServer
) -> None:
    """Lambda retries an async invocation under the same request id, possibly while the first
    attempt still posts (it timed out on our side only). The retry must find the claim busy,
    not re-acquire it as its own and post a second message."""
    event = sample_events("aws")[0]
    [alert] = [a for a in expected(event) if a["crossed"]][:1]
    state = lambda_fn.module._deps().state
    held = state.claim(alert["dedup_key"], owner="req-1", now=datetime.now(UTC), lease=LEASE)
    assert held.status is ClaimStatus.ACQUIRED

    with pytest.raises(AlertInProgressError):
        lambda_fn.invoke(load(event), request_id="req-1")
    assert slack.messages == []
