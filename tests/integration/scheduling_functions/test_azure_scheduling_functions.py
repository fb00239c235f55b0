"""The Azure scheduler functions: timer -> planner -> Storage queue -> worker -> ARM, Slack.

GIVEN two subscriptions on the fake ARM endpoint, each with a dev VM on the office-hours
schedule, and a prod VM that carries the schedule tag but is protected, and the function app's
settings (managed identity, Azurite queue and table),
WHEN ``schedule_planner`` fires with the sample timer binding data (Friday 20:15 in Berlin) and
``schedule_worker`` receives each message really put on the Azurite queue,
THEN both dev VMs are deallocated (a stopped VM still bills), prod runs on, each team gets one
report, and delivering the same messages again sends no change to ARM and posts nothing.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from costwarden.bootstrap_schedule import ScheduleActionsFailedError
from costwarden.errors import WorkItemError
from costwarden.local.runtimes import AzureFunctionsRuntime
from costwarden.local.slack_server import LocalSlackServer
from costwarden.ports_compute import WorkItem
from handler_support import EVENTS, FUNCTIONS, load, use_policy
from integration.scheduling_functions.conftest import (
    TEST_TAG,
    TICK,
    AzureEstate,
    azure_targets,
    fire_queue_trigger,
    policy_yaml,
    running_at_tick,
)
from integration.scheduling_functions.token_server import TokenServer

pytestmark = pytest.mark.integration

DEALLOCATE = r"/virtualmachines/[^/]+/deallocate$"


def test_the_timer_fans_out_and_the_worker_deallocates_dev_and_leaves_prod(
    azure: AzureEstate,
    slack: LocalSlackServer,
    token_server: TokenServer,
    run_tag: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    platform_sub, data_sub = str(uuid.uuid4()), str(uuid.uuid4())
    use_policy(
        tmp_path,
        monkeypatch,
        policy_yaml(run=run_tag, targets=azure_targets([platform_sub, data_sub])),
    )
    arm = azure.arm
    arm.add_vm(
        "vm-api-dev",
        subscription=platform_sub,
        tags={"Environment": "dev", "team": "platform", TEST_TAG: run_tag},
    )
    arm.add_vm(
        "vm-api-prod",
        subscription=platform_sub,
        tags={"Environment": "prod", "team": "platform", "costwarden:schedule": "office-hours"},
    )
    arm.add_vm(
        "vm-etl-dev",
        subscription=data_sub,
        resource_group="rg-data",
        tags={"Environment": "dev", "team": "data", TEST_TAG: run_tag},
    )
    app = AzureFunctionsRuntime(FUNCTIONS)

    with running_at_tick():
        app.fire_timer("schedule_planner", load(EVENTS / "azure" / "timer_schedule.json"))
        payloads = azure.receive_payloads()
        for payload in payloads:
            fire_queue_trigger(app, "schedule_worker", payload)
        arm.settle()  # ARM finishes the deallocations it accepted

        items = [WorkItem.from_message(p["Data"]["message"]) for p in payloads]
        assert sorted(i.target.account for i in items) == sorted([platform_sub, data_sub])
        assert {i.at for i in items} == {TICK}  # the timer's scheduled occurrence
        assert arm.vm("vm-api-dev").power == "deallocated"
        assert arm.vm("vm-etl-dev").power == "deallocated"
        assert arm.vm("vm-api-prod").power == "running"
        assert arm.vm("vm-api-dev").tags["costwarden:last-action"].startswith("deallocate-")
        assert "costwarden:last-action" not in arm.vm("vm-api-prod").tags
        reports = {m["channel_name"]: json.dumps(m) for m in slack.messages}
        assert sorted(reports) == ["data-costs", "platform-costs"]
        assert "vm-api-dev" in reports["platform-costs"]
        assert "vm-etl-dev" in reports["data-costs"]
        assert any(r.startswith("GET /msi/token") for r in token_server.requests)

        # The queue delivers at least once: the same messages again change and post nothing.
        changes, posted = len(arm.calls("POST", DEALLOCATE)), len(slack.messages)
        for payload in payloads:
            fire_queue_trigger(app, "schedule_worker", payload)

        assert len(arm.calls("POST", DEALLOCATE)) == changes == 2
        assert len(slack.messages) == posted


def test_the_sample_queue_message_runs_its_subscription(
    azure: AzureEstate, run_tag: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_policy(tmp_path, monkeypatch, policy_yaml(run=run_tag))
    payload = load(EVENTS / "azure" / "queue_schedule_work.json")
    subscription = WorkItem.from_message(payload["Data"]["message"]).target.account

    with running_at_tick():
        fire_queue_trigger(AzureFunctionsRuntime(FUNCTIONS), "schedule_worker", payload)

    listed = azure.arm.calls("GET", f"/subscriptions/{subscription}/providers/")
    assert len(listed) == 1


def test_a_malformed_queue_message_raises_so_the_host_retries_then_poisons_it(
    azure: AzureEstate, run_tag: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_policy(tmp_path, monkeypatch, policy_yaml(run=run_tag))
    payload = load(EVENTS / "azure" / "queue_schedule_work.json")
    payload["Data"]["message"] = '{"kind": "costwarden.schedule.work-item", "version": 2}'

    with pytest.raises(WorkItemError, match="unsupported work item version 2"):
        fire_queue_trigger(AzureFunctionsRuntime(FUNCTIONS), "schedule_worker", payload)

    assert azure.arm.requests == []


def test_a_refused_deallocation_fails_the_message_after_the_others_are_done(
    azure: AzureEstate,
    slack: LocalSlackServer,
    run_tag: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The host then retries the message (and poisons it after maxDequeueCount): the retry
    re-plans, so only the VM still running is tried again."""
    subscription = str(uuid.uuid4())
    use_policy(
        tmp_path, monkeypatch, policy_yaml(run=run_tag, targets=azure_targets([subscription]))
    )
    tags = {"Environment": "dev", "team": "platform", TEST_TAG: run_tag}
    azure.arm.add_vm("vm-a", subscription=subscription, tags=dict(tags))
    azure.arm.add_vm("vm-b", subscription=subscription, tags=dict(tags))
    azure.arm.fail("POST", r"/virtualmachines/vm-b/deallocate$", 409, code="OperationNotAllowed")
    app = AzureFunctionsRuntime(FUNCTIONS)

    with running_at_tick():
        app.fire_timer("schedule_planner", load(EVENTS / "azure" / "timer_schedule.json"))
        [payload] = azure.receive_payloads()
        with pytest.raises(ScheduleActionsFailedError, match=r"1 of 2 actions failed .*vm-b"):
            fire_queue_trigger(app, "schedule_worker", payload)
        azure.arm.settle()

        assert azure.arm.vm("vm-a").power == "deallocated"
        assert azure.arm.vm("vm-b").power == "running"
        [report] = slack.messages  # the report still tells the team, failure included
        assert "OperationNotAllowed" in json.dumps(report)

        fire_queue_trigger(app, "schedule_worker", payload)  # the host's retry
        azure.arm.settle()

        assert azure.arm.vm("vm-b").power == "deallocated"
