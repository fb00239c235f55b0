"""Shared pieces for the handler end-to-end tests: a local Slack Web API and the sample events."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from costwarden.local.slack_server import LocalSlackServer
from handler_support import EVENTS, SLACK_TOKEN


@pytest.fixture
def slack() -> Iterator[LocalSlackServer]:
    with LocalSlackServer(token=SLACK_TOKEN) as server:
        yield server


@pytest.fixture
def base_env(monkeypatch: pytest.MonkeyPatch, slack: LocalSlackServer) -> None:
    """Settings every cloud's function shares in these tests; each test adds its state store."""
    monkeypatch.setenv("COSTWARDEN_SLACK_BASE_URL", slack.base_url)
    monkeypatch.setenv("COSTWARDEN_SLACK_MAX_RETRIES", "2")
    monkeypatch.setenv(
        "COSTWARDEN_COST_DATA", json.dumps([str(EVENTS / "cost" / "focus-sample.csv")])
    )
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "1")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "costwarden-test")
    for name in ("COSTWARDEN_POLICY_PATH", "COSTWARDEN_SLACK_TOKEN", "COSTWARDEN_STATE"):
        monkeypatch.delenv(name, raising=False)
