"""The AWS scheduler functions on moto: EventBridge tick -> planner -> SQS -> worker -> EC2, Slack.

GIVEN two member accounts reached through an assumed role, each with dev instances on the
office-hours schedule and a prod instance that carries the schedule tag but is protected,
WHEN the planner receives the sample EventBridge tick (Friday 20:15 in Berlin) and the worker
receives the SQS batch built from the messages really on the queue,
THEN one work item per account was queued, the dev instances are stopped, prod runs on, each
team gets one Slack report, and delivering the same batch again changes and posts nothing.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine

from costwarden.local.runtimes import AwsLambdaRuntime
from costwarden.local.slack_server import LocalSlackServer
from costwarden.ports_compute import WorkItem
from handler_support import EVENTS, FUNCTIONS, load, use_policy
from integration.scheduling_functions.conftest import (
    MORNING,
    ROLE_NAME,
    TEST_TAG,
    TICK,
    AwsEstate,
    aws_targets,
    new_account,
    policy_yaml,
)

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("at_tick")]


def dev(run_tag: str, team: str) -> dict[str, str]:
    return {"Environment": "dev", "team": team, TEST_TAG: run_tag}


def test_the_tick_fans_out_and_the_worker_stops_dev_outside_hours_and_leaves_prod(
    aws: AwsEstate,
    slack: LocalSlackServer,
    run_tag: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    platform_account, data_account = new_account(), new_account()
    use_policy(
        tmp_path,
        monkeypatch,
        policy_yaml(run=run_tag, targets=aws_targets([platform_account, data_account])),
    )
    api_dev = aws.launch(platform_account, "api-dev", dev(run_tag, "platform"))
    api_prod = aws.launch(
        platform_account,
        "api-prod",
        {"Environment": "prod", "team": "platform", "costwarden:schedule": "office-hours"},
    )
    etl_dev = aws.launch(data_account, "etl-dev", dev(run_tag, "data"))

    planned = AwsLambdaRuntime(FUNCTIONS, module="schedule_planner").invoke(
        load(EVENTS / "aws" / "schedule_tick.json")
    )
    batch = aws.receive_event()
    worker = AwsLambdaRuntime(FUNCTIONS, module="schedule_worker")
    answer = worker.invoke(batch)

    assert planned == {"at": TICK.isoformat(), "work_items": 2}
    items = [WorkItem.from_message(record["body"]) for record in batch["Records"]]
    assert sorted((i.target.account, i.target.region, i.target.role_arn) for i in items) == sorted(
        (account, "us-east-1", f"arn:aws:iam::{account}:role/{ROLE_NAME}")
        for account in (platform_account, data_account)
    )
    assert {i.at for i in items} == {TICK}  # the tick's time, not the wall clock
    assert answer == {"batchItemFailures": []}
    assert aws.state(platform_account, api_dev) == "stopped"
    assert aws.state(data_account, etl_dev) == "stopped"
    assert aws.state(platform_account, api_prod) == "running"
    assert aws.tags(platform_account, api_dev)["costwarden:last-action"].startswith("stop-")
    assert "costwarden:last-action" not in aws.tags(platform_account, api_prod)
    reports = {m["channel_name"]: json.dumps(m) for m in slack.messages}
    assert sorted(reports) == ["data-costs", "platform-costs"]
    assert "api-dev" in reports["platform-costs"]
    assert "etl-dev" in reports["data-costs"]
    assert "api-dev" not in reports["data-costs"]
    # prod carries the schedule tag, but protection wins, and the report says so
    assert "protected by safety.protected[0]" in reports["platform-costs"]

    # SQS delivers at least once: the same batch again changes nothing and posts nothing.
    tags_before = aws.tags(platform_account, api_dev)
    posted = len(slack.messages)
    again = worker.invoke(batch)

    assert again == {"batchItemFailures": []}
    assert len(slack.messages) == posted
    assert aws.state(platform_account, api_dev) == "stopped"
    assert aws.state(platform_account, api_prod) == "running"
    assert aws.tags(platform_account, api_dev) == tags_before


def test_a_malformed_work_item_fails_only_its_own_record(
    aws: AwsEstate,
    run_tag: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The sample batch: one valid work item (nothing of this test's in scope), one broken."""
    use_policy(tmp_path, monkeypatch, policy_yaml(run=run_tag))
    event = load(EVENTS / "aws" / "schedule_work_sqs.json")
    valid, malformed = event["Records"]

    answer = AwsLambdaRuntime(FUNCTIONS, module="schedule_worker").invoke(event)

    assert answer == {"batchItemFailures": [{"itemIdentifier": malformed["messageId"]}]}
    assert WorkItem.from_message(valid["body"]).target.account == "123456789012"


@pytest.mark.parametrize("switch", ["setting", "policy"])
def test_dry_run_plans_and_reports_but_stops_nothing(
    switch: str,
    aws: AwsEstate,
    slack: LocalSlackServer,
    run_tag: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    account = new_account()
    safety = "  dry_run: true" if switch == "policy" else ""
    use_policy(
        tmp_path,
        monkeypatch,
        policy_yaml(run=run_tag, targets=aws_targets([account]), safety=safety),
    )
    if switch == "setting":
        monkeypatch.setenv("COSTWARDEN_DRY_RUN", "true")
    api_dev = aws.launch(account, "api-dev", dev(run_tag, "platform"))

    AwsLambdaRuntime(FUNCTIONS, module="schedule_planner").invoke(
        load(EVENTS / "aws" / "schedule_tick.json")
    )
    batch = aws.receive_event()
    answer = AwsLambdaRuntime(FUNCTIONS, module="schedule_worker").invoke(batch)

    assert answer == {"batchItemFailures": []}
    assert [WorkItem.from_message(r["body"]).dry_run for r in batch["Records"]] == [True]
    assert aws.state(account, api_dev) == "running"
    assert "costwarden:last-action" not in aws.tags(account, api_dev)
    [report] = slack.messages
    assert "api-dev" in json.dumps(report)


def test_a_tick_without_a_time_fails_loudly(
    aws: AwsEstate, run_tag: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from costwarden.errors import PayloadError

    use_policy(
        tmp_path, monkeypatch, policy_yaml(run=run_tag, targets=aws_targets([new_account()]))
    )
    tick = load(EVENTS / "aws" / "schedule_tick.json")
    del tick["time"]

    with pytest.raises(PayloadError, match="no time"):
        AwsLambdaRuntime(FUNCTIONS, module="schedule_planner").invoke(tick)

    assert aws.receive_event() == {"Records": []}


def test_the_monday_morning_tick_starts_what_the_friday_evening_tick_stopped(
    aws: AwsEstate,
    slack: LocalSlackServer,
    run_tag: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    account = new_account()
    use_policy(tmp_path, monkeypatch, policy_yaml(run=run_tag, targets=aws_targets([account])))
    api_dev = aws.launch(account, "api-dev", dev(run_tag, "platform"))
    evening = load(EVENTS / "aws" / "schedule_tick.json")
    morning = {
        **evening,
        "id": "0c6f6a4e-5b7e-4c1f-9f57-1d5a8e2b9c41",
        "time": "2026-11-23T07:30:00Z",
    }

    def tick(event: dict[str, object]) -> None:
        AwsLambdaRuntime(FUNCTIONS, module="schedule_planner").invoke(event)
        batch = aws.receive_event()
        answer = AwsLambdaRuntime(FUNCTIONS, module="schedule_worker").invoke(batch)
        assert answer == {"batchItemFailures": []}
        aws.delete_processed(batch, answer)

    tick(evening)
    assert aws.state(account, api_dev) == "stopped"
    with time_machine.travel(MORNING + timedelta(seconds=20), tick=True):
        tick(morning)

    assert aws.state(account, api_dev) == "running"
    assert aws.tags(account, api_dev)["costwarden:last-action"].startswith("start-20261123t0730")
    texts = [m["text"] for m in slack.messages]
    assert len(texts) == 2
    assert "1 stopped" in texts[0]
    assert "1 started" in texts[1]
