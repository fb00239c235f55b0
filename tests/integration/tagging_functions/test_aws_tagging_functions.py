"""The AWS tag-remediation functions on moto: CloudTrail event -> tags; schedule -> sweep.

GIVEN a member account reached through an assumed role, with instances launched untagged
(one per team), WHEN the real ``tag_remediation`` handler receives the sample RunInstances
event rewritten with their ids, THEN each gets its creator as Owner and the account default,
each team hears once, and the same event delivered again writes and posts nothing. The real
``tag_sweep`` handler with the sample schedule event remediates what no event covered.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import boto3
import pytest

from costwarden.adapters.aws.targets import assumed_session
from costwarden.local.runtimes import AwsLambdaRuntime
from costwarden.local.slack_server import LocalSlackServer
from handler_support import EVENTS, FUNCTIONS, load, use_policy
from integration.tagging_functions.conftest import (
    AWS_REGION,
    ROLE_NAME,
    aws_targets,
    policy_yaml,
)

pytestmark = pytest.mark.integration

MARK = "costwarden:tag-violation"
SAMPLE_ACCOUNT = "123456789012"
SAMPLE_IDS = ("i-0a1b2c3d4e5f60001", "i-0a1b2c3d4e5f60002")


class Account:
    """A fresh member account, set up and checked with plain boto3 (not the adapters)."""

    def __init__(self) -> None:
        self.id = str(random.randint(10**11, 10**12 - 1))
        arn = f"arn:aws:iam::{self.id}:role/{ROLE_NAME}"
        session = assumed_session(boto3.Session(region_name=AWS_REGION), arn, "test-setup")
        self.ec2: Any = session.client("ec2")

    def launch(self, **tags: str) -> str:
        extra: dict[str, Any] = {}
        if tags:
            tag_list = [{"Key": k, "Value": v} for k, v in tags.items()]
            extra["TagSpecifications"] = [{"ResourceType": "instance", "Tags": tag_list}]
        reply = self.ec2.run_instances(
            ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="t3.micro", **extra
        )
        return str(reply["Instances"][0]["InstanceId"])

    def tags(self, instance_id: str) -> dict[str, str]:
        [reservation] = self.ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
        return {t["Key"]: t["Value"] for t in reservation["Instances"][0].get("Tags", [])}

    def creation_event(self, *instance_ids: str) -> dict[str, Any]:
        """The sample RunInstances event as CloudTrail would have sent it for these."""
        text = (EVENTS / "aws" / "resource_created_run_instances_sso.json").read_text()
        for sample, launched in zip(SAMPLE_IDS, instance_ids, strict=True):
            text = text.replace(sample, launched)
        event: dict[str, Any] = json.loads(text.replace(SAMPLE_ACCOUNT, self.id))
        return event


@pytest.fixture
def account(aws_state: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Account:
    account = Account()
    use_policy(tmp_path, monkeypatch, policy_yaml(clouds="aws", targets=aws_targets(account.id)))
    return account


def remediation() -> AwsLambdaRuntime:
    return AwsLambdaRuntime(FUNCTIONS, module="tag_remediation")


def reports_by_channel(slack: LocalSlackServer) -> dict[str, str]:
    return {m["channel_name"]: json.dumps(m) for m in slack.messages}


def test_a_run_instances_event_tags_the_instances_with_their_creator_and_tells_each_team(
    account: Account, slack: LocalSlackServer
) -> None:
    api = account.launch(Name="api-1", team="platform")
    etl = account.launch(Name="etl-1", team="data")
    event = account.creation_event(api, etl)
    function = remediation()

    answer = function.invoke(event)

    assert answer["status"] == "done"
    [run] = answer["runs"]
    assert run["target"] == f"aws/{account.id}/{AWS_REGION}", "the event's account and region"
    assert (run["checked"], run["fixed"], run["failed"], run["posted"]) == (2, 2, 0, 2)
    for instance in (api, etl):
        tags = account.tags(instance)
        assert tags["Owner"] == "alice@example.com"
        assert tags["CostCenter"] == "cc-100"
        assert "Environment" in tags[MARK], "the unknowable key is marked with its deadline"
    reports = reports_by_channel(slack)
    assert sorted(reports) == ["data-costs", "platform-costs"]
    assert "api-1" in reports["platform-costs"]
    assert "etl-1" in reports["data-costs"]
    assert "api-1" not in reports["data-costs"]

    # EventBridge delivers at least once: the same event again writes and posts nothing.
    before = {i: account.tags(i) for i in (api, etl)}
    posted = len(slack.messages)
    again = function.invoke(event)

    assert again["status"] == "done"
    assert [r["fixed"] for r in again["runs"]] == [0]
    assert {i: account.tags(i) for i in (api, etl)} == before
    assert len(slack.messages) == posted


def test_the_creators_own_tag_wins_over_the_inferred_owner(
    account: Account, slack: LocalSlackServer
) -> None:
    first = account.launch(team="platform")
    second = account.launch(team="platform", Owner="bob@example.com")

    remediation().invoke(account.creation_event(first, second))

    assert account.tags(first)["Owner"] == "alice@example.com"
    assert account.tags(second)["Owner"] == "bob@example.com"


def test_a_failed_call_needs_no_tagging_and_touches_nothing(
    account: Account, slack: LocalSlackServer
) -> None:
    untagged = account.launch()
    event = load(EVENTS / "aws" / "resource_created_run_instances_failed.json")

    answer = remediation().invoke(event)

    assert answer["status"] == "ignored"
    assert account.tags(untagged) == {}
    assert slack.messages == []


def test_an_operation_without_a_rule_is_ignored_without_a_retry(
    account: Account, slack: LocalSlackServer
) -> None:
    event = account.creation_event(account.launch(), account.launch())
    event["detail"]["eventName"] = "RebootInstances"

    answer = remediation().invoke(event)

    assert answer["status"] == "ignored"
    assert slack.messages == []


def test_a_malformed_event_is_rejected_with_its_typed_error_and_not_retried(
    account: Account, slack: LocalSlackServer
) -> None:
    event = account.creation_event(account.launch(), account.launch())
    event["detail"] = "not an object"

    answer = remediation().invoke(event)

    assert answer["status"] == "rejected"
    assert answer["error"] == "PayloadError"
    assert slack.messages == []


def test_the_sweep_remediates_what_no_event_covered_and_tells_each_team_once(
    account: Account, slack: LocalSlackServer
) -> None:
    api = account.launch(Name="api-2", team="platform", env="prod")
    etl = account.launch(Name="etl-2", team="data")
    done = account.launch(
        Name="ok", team="data", Environment="dev", Owner="x@example.com", CostCenter="cc-200"
    )
    sweep = AwsLambdaRuntime(FUNCTIONS, module="tag_sweep")
    event = load(EVENTS / "aws" / "tag_sweep_schedule.json")

    answer = sweep.invoke(event)

    assert answer["run_id"] == "tag-sweep-20261127T0530"
    [run] = answer["runs"]
    assert run["target"] == f"aws/{account.id}/{AWS_REGION}"
    assert run["failed"] == 0
    api_tags = account.tags(api)
    assert (api_tags["Environment"], api_tags["CostCenter"]) == ("prod", "cc-100")
    assert "Owner" in api_tags[MARK]
    assert account.tags(etl)["CostCenter"] == "cc-100"
    assert MARK not in account.tags(done)
    assert account.tags(done)["CostCenter"] == "cc-200"
    reports = reports_by_channel(slack)
    assert sorted(reports) == ["data-costs", "platform-costs"]
    assert "api-2" in reports["platform-costs"]
    assert "etl-2" in reports["data-costs"]

    # A retried schedule delivery (same time): nothing new is written or posted.
    before = {i: account.tags(i) for i in (api, etl, done)}
    posted = len(slack.messages)
    again = AwsLambdaRuntime(FUNCTIONS, module="tag_sweep").invoke(event)

    assert [r["fixed"] for r in again["runs"]] == [0]
    assert {i: account.tags(i) for i in (api, etl, done)} == before
    assert len(slack.messages) == posted


@pytest.mark.parametrize("path", ["event", "sweep"])
def test_dry_run_reports_but_changes_nothing(
    path: str, account: Account, slack: LocalSlackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COSTWARDEN_DRY_RUN", "true")
    first, second = account.launch(Name="api-3", team="platform"), account.launch(team="platform")

    if path == "event":
        remediation().invoke(account.creation_event(first, second))
    else:
        AwsLambdaRuntime(FUNCTIONS, module="tag_sweep").invoke(
            load(EVENTS / "aws" / "tag_sweep_schedule.json")
        )

    assert account.tags(first) == {"Name": "api-3", "team": "platform"}
    assert account.tags(second) == {"team": "platform"}
    [report] = slack.messages
    assert "api-3" in json.dumps(report)


def test_a_sweep_schedule_event_without_a_time_fails_loudly(account: Account) -> None:
    from costwarden.errors import PayloadError

    with pytest.raises(PayloadError):
        AwsLambdaRuntime(FUNCTIONS, module="tag_sweep").invoke({"detail": {}})
