"""The Google Cloud budget functions end to end: Pub/Sub CloudEvents (2nd gen) and background
events (1st gen) through functions-framework, fake-gcs-server for state, a local Slack out."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from costwarden.bootstrap import build_budget_alert_deps
from costwarden.local.runtimes import GcpFunctionsRuntime
from costwarden.local.slack_server import LocalSlackServer
from costwarden.ports import ClaimStatus
from costwarden.services.budget_alerts import DEFAULT_LEASE
from costwarden.settings import load_settings
from handler_support import FUNCTIONS, SLACK_TOKEN, expected, load, malformed, sample_events


def _client() -> storage.Client:
    return storage.Client(project="test", credentials=AnonymousCredentials())


@pytest.fixture
def bucket(gcs_emulator_env: str, base_env: None, monkeypatch: pytest.MonkeyPatch) -> str:
    name = f"cw-state-{uuid.uuid4().hex[:10]}"
    _client().create_bucket(name)
    monkeypatch.setenv("COSTWARDEN_STATE", f"gs://{name}/costwarden/state")
    monkeypatch.setenv("COSTWARDEN_SLACK_TOKEN", SLACK_TOKEN)
    return name


def objects(bucket: str) -> list[str]:
    return [blob.name for blob in _client().list_blobs(bucket)]


def runtime_for(payload: dict[str, Any]) -> GcpFunctionsRuntime:
    target = "budget_alert" if "specversion" in payload else "budget_alert_legacy"
    return GcpFunctionsRuntime(FUNCTIONS, target=target)


DELIVERABLE = [p for p in sample_events("gcp") if "push_body" not in p.name]


@pytest.mark.parametrize("event", DELIVERABLE, ids=lambda p: p.stem)
def test_each_gcp_sample_posts_once_per_crossed_threshold_across_three_deliveries(
    event: Path, bucket: str, slack: LocalSlackServer
) -> None:
    payload = load(event)
    fn = runtime_for(payload)
    for _ in range(3):
        assert fn.deliver(payload).status == 200
    crossed = [a for a in expected(event) if a["crossed"]]
    assert len(slack.messages) == len(crossed)
    stored = objects(bucket)
    assert len([name for name in stored if "/budget/" in name]) == len(crossed)


def test_routine_status_updates_post_nothing_and_store_nothing(
    bucket: str, slack: LocalSlackServer
) -> None:
    [event] = [p for p in DELIVERABLE if "not_crossed" in p.name]
    payload = load(event)
    fn = runtime_for(payload)
    for i in range(5):  # Google re-sends the status several times a day
        again = copy.deepcopy(payload)
        again["id"] = f"{payload.get('id', 'x')}-{i}"
        assert fn.deliver(again).status == 200
    assert slack.messages == []
    assert objects(bucket) == []


def test_slack_down_fails_the_delivery_then_the_redelivery_posts_once(
    bucket: str, slack: LocalSlackServer
) -> None:
    [event] = [p for p in DELIVERABLE if p.name == "budget_actual_crossed.json"]
    payload = load(event)
    fn = runtime_for(payload)
    slack.go_down(status=503)
    assert fn.deliver(payload).status == 500  # Pub/Sub sees a failure and redelivers
    assert objects(bucket) == []
    slack.come_back()
    assert fn.deliver(payload).status == 200
    assert fn.deliver(payload).status == 200
    assert len(slack.messages) == 1


@pytest.mark.parametrize("bad", malformed("gcp"), ids=lambda p: p.stem)
def test_malformed_pubsub_message_fails_and_changes_nothing(
    bad: Path, bucket: str, slack: LocalSlackServer
) -> None:
    payload = load(bad)
    fn = runtime_for(payload) if isinstance(payload, dict) else GcpFunctionsRuntime(FUNCTIONS)
    result = fn.deliver(payload)
    assert result.status >= 400
    assert slack.messages == []
    assert objects(bucket) == []


def test_a_redelivery_with_the_same_message_id_does_not_take_over_a_live_claim(
    bucket: str, slack: LocalSlackServer
) -> None:
    """Pub/Sub redelivers a message whose ack deadline passed under the same id, while the
    first delivery may still be posting (e.g. waiting out a Slack Retry-After). The
    redelivery must find the claim busy, not re-acquire it as its own and post again."""
    [event] = [p for p in DELIVERABLE if p.name == "budget_actual_crossed.json"]
    payload = load(event)
    [alert] = [a for a in expected(event) if a["crossed"]]
    state = build_budget_alert_deps(load_settings()).state
    held = state.claim(
        alert["dedup_key"], owner=str(payload["id"]), now=datetime.now(UTC), lease=DEFAULT_LEASE
    )
    assert held.status is ClaimStatus.ACQUIRED

    assert runtime_for(payload).deliver(payload).status == 500  # busy: Pub/Sub retries later
    assert slack.messages == []
