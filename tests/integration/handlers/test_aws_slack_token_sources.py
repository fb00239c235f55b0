"""Where the AWS Lambda handler gets the Slack token: SSM Parameter Store or Secrets Manager.

End to end against the moto server (DynamoDB for state, SSM and Secrets Manager for the token)
and the local Slack Web API, which accepts only ``SLACK_TOKEN``: a post that succeeds proves the
token was read. A token source that is missing or unset must fail the invocation with a
``ConfigError`` naming the parameter, and nothing the handler raises or logs may contain a token.

Powertools Parameters caches values process-wide (per provider, by name), so every test names
its own parameter or secret.
"""

from __future__ import annotations

import logging
import traceback
import uuid
from collections.abc import Iterator

import boto3
import pytest

from costwarden.adapters.aws.dynamodb_state import create_state_table
from costwarden.errors import ConfigError, NotificationError
from costwarden.local.runtimes import AwsLambdaRuntime
from costwarden.local.slack_server import LocalSlackServer
from handler_support import FUNCTIONS, SLACK_TOKEN, expected, load, sample_events

# The Powertools Logger of functions/aws/budget_alert.py (its service name).
HANDLER_LOGGER = "costwarden-budget-alert"
TOKEN_PREFIX = "xoxb-"
EVENT = sample_events("aws")[0]

TOKEN_SETTINGS = (
    "COSTWARDEN_SLACK_TOKEN",
    "COSTWARDEN_SLACK_TOKEN_PARAMETER",
    "COSTWARDEN_SLACK_TOKEN_SECRET",
)


class _Records(logging.Handler):
    """Everything the handler logs, formatted with tracebacks, to search for leaked tokens."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        # The formatted line carries the traceback; the record's attributes carry the extras.
        self.lines.append(f"{self.format(record)} {vars(record)!r}")


@pytest.fixture
def handler_logs() -> Iterator[_Records]:
    # Powertools' own handler writes to whatever stdout was current when the logger was first
    # configured in this process; a handler of our own sees every record regardless.
    records = _Records()
    logger = logging.getLogger(HANDLER_LOGGER)
    logger.addHandler(records)
    try:
        yield records
    finally:
        logger.removeHandler(records)


@pytest.fixture
def table(aws_endpoint_env: str, base_env: None, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh state table, and no token source configured: each test sets its own."""
    name = f"costwarden-state-{uuid.uuid4().hex[:8]}"
    create_state_table(boto3.client("dynamodb"), name)
    monkeypatch.setenv("COSTWARDEN_STATE", f"dynamodb://{name}")
    for setting in TOKEN_SETTINGS:
        monkeypatch.delenv(setting, raising=False)
    return name


def unique(kind: str) -> str:
    return f"/costwarden/test/{kind}-{uuid.uuid4().hex}"


def items(table: str) -> list[object]:
    return boto3.client("dynamodb").scan(TableName=table, ConsistentRead=True)["Items"]


def everything_said(error: BaseException, logs: _Records) -> str:
    """The error, its causes and tracebacks, and every log line: what an operator would see."""
    return "\n".join(
        [*traceback.format_exception(error), repr(error), *map(repr, error.args), *logs.lines]
    )


def test_the_token_is_read_from_secrets_manager(
    table: str, slack: LocalSlackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = unique("secret")
    # A trailing newline is how a token pasted into the console often ends; it is stripped.
    boto3.client("secretsmanager").create_secret(Name=secret, SecretString=f"{SLACK_TOKEN}\n")
    monkeypatch.setenv("COSTWARDEN_SLACK_TOKEN_SECRET", secret)

    response = AwsLambdaRuntime(FUNCTIONS).invoke(load(EVENT))

    crossed = [a for a in expected(EVENT) if a["crossed"]]
    assert [o["status"] for o in response["outcomes"]] == ["posted"] * len(crossed)
    assert len(slack.messages) == len(crossed)
    assert {r.api_method for r in slack.requests} >= {"chat.postMessage"}


def test_the_token_is_read_from_an_ssm_secure_string(
    table: str, slack: LocalSlackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    parameter = unique("parameter")
    boto3.client("ssm").put_parameter(Name=parameter, Value=SLACK_TOKEN, Type="SecureString")
    monkeypatch.setenv("COSTWARDEN_SLACK_TOKEN_PARAMETER", parameter)

    response = AwsLambdaRuntime(FUNCTIONS).invoke(load(EVENT))

    assert response["outcomes"][0]["status"] == "posted"
    assert len(slack.messages) == 1


@pytest.mark.parametrize(
    "setting", ["COSTWARDEN_SLACK_TOKEN_SECRET", "COSTWARDEN_SLACK_TOKEN_PARAMETER"]
)
def test_a_missing_token_source_fails_with_a_config_error_naming_it(
    setting: str,
    table: str,
    slack: LocalSlackServer,
    handler_logs: _Records,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    missing = unique("missing")
    monkeypatch.setenv(setting, missing)

    with pytest.raises(ConfigError) as failure:
        AwsLambdaRuntime(FUNCTIONS).invoke(load(EVENT))

    assert missing in str(failure.value)
    assert TOKEN_PREFIX not in everything_said(failure.value, handler_logs)
    assert handler_logs.lines, "the failure is logged"
    assert slack.requests == []
    assert items(table) == []  # nothing claimed: a redelivery after the fix posts normally


def test_an_empty_secret_fails_with_a_config_error_naming_it(
    table: str, slack: LocalSlackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = unique("empty")
    boto3.client("secretsmanager").create_secret(Name=secret, SecretString="  \n")
    monkeypatch.setenv("COSTWARDEN_SLACK_TOKEN_SECRET", secret)

    with pytest.raises(ConfigError, match="empty") as failure:
        AwsLambdaRuntime(FUNCTIONS).invoke(load(EVENT))

    assert secret in str(failure.value)
    assert slack.requests == []


def test_no_token_source_at_all_fails_with_a_config_error(
    table: str, slack: LocalSlackServer, handler_logs: _Records
) -> None:
    with pytest.raises(ConfigError) as failure:
        AwsLambdaRuntime(FUNCTIONS).invoke(load(EVENT))

    assert "COSTWARDEN_SLACK_TOKEN_SECRET" in str(failure.value)
    assert "COSTWARDEN_SLACK_TOKEN_PARAMETER" in str(failure.value)
    assert slack.requests == []
    assert items(table) == []


def test_a_token_slack_rejects_is_never_printed(
    table: str,
    slack: LocalSlackServer,
    handler_logs: _Records,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wrong = f"{TOKEN_PREFIX}{uuid.uuid4().hex}"
    secret = unique("rejected")
    boto3.client("secretsmanager").create_secret(Name=secret, SecretString=wrong)
    monkeypatch.setenv("COSTWARDEN_SLACK_TOKEN_SECRET", secret)

    with pytest.raises(NotificationError) as failure:
        AwsLambdaRuntime(FUNCTIONS).invoke(load(EVENT))

    said = everything_said(failure.value, handler_logs)
    assert "invalid_auth" in said
    assert wrong not in said
    assert slack.messages == []
    assert items(table) == []
