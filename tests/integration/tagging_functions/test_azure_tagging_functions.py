"""The Azure tag-remediation functions on the fake ARM Resources/Tags API.

GIVEN the function app's settings (managed identity from the token server, the fake ARM
endpoint, an Azurite state table) and a VM in ``rg-dev``,
WHEN ``tag_remediation`` receives the sample ``ResourceWriteSuccess`` event, decoded by the
worker's own Event Grid converter, THEN the VM gets its creator as Owner (carol@example.com)
and its team hears once; costwarden's own tag write event changes nothing; and ``tag_sweep``
fired with the sample timer binding data remediates the subscription.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from costwarden.local.runtimes import AzureFunctionsRuntime
from costwarden.local.slack_server import LocalSlackServer
from fake_arm_tags import FakeResources
from handler_support import EVENTS, FUNCTIONS, load, use_policy
from integration.tagging_functions.conftest import (
    AZURE_SUBSCRIPTION,
    azure_targets,
    policy_yaml,
)

pytestmark = pytest.mark.integration

VM = "Microsoft.Compute/virtualMachines"
MARK = "costwarden:tag-violation"


@pytest.fixture
def app(
    arm: FakeResources, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AzureFunctionsRuntime:
    use_policy(tmp_path, monkeypatch, policy_yaml(clouds="azure", targets=azure_targets()))
    return AzureFunctionsRuntime(FUNCTIONS)


def event_grid(app: AzureFunctionsRuntime) -> Callable[[dict[str, Any]], Any]:
    """Deliver one event as the Functions host does: decoded by azure-functions' converter."""
    import azure.functions as func
    from azure.functions.eventgrid import EventGridEventInConverter

    user_function = app.module.tag_remediation.build().get_user_function()

    def deliver(event: dict[str, Any]) -> Any:
        datum = func.meta.Datum(type="json", value=json.dumps(event))
        return user_function(EventGridEventInConverter.decode(datum, trigger_metadata={}))

    return deliver


def test_a_resource_write_event_tags_the_vm_with_its_creator_and_tells_its_team_once(
    app: AzureFunctionsRuntime, arm: FakeResources, slack: LocalSlackServer
) -> None:
    arm.add_group(AZURE_SUBSCRIPTION, "rg-dev", location="westeurope")
    vm = arm.add_resource(
        AZURE_SUBSCRIPTION, "rg-dev", VM, "vm-build-01", tags={"team": "data", "env": "dev"}
    )
    deliver = event_grid(app)
    event = load(EVENTS / "azure" / "resource_write_vm.json")

    deliver(event)

    tags = arm.tags_of(vm.id)
    assert tags["Owner"] == "carol@example.com"
    assert (tags["Environment"], tags["CostCenter"]) == ("dev", "cc-100")
    assert MARK not in tags
    [report] = slack.messages
    assert report["channel_name"] == "data-costs"
    assert "vm-build-01" in json.dumps(report)

    # Event Grid delivers at least once: the same event again writes and posts nothing.
    writes = len(arm.tag_writes())
    deliver(event)

    assert len(arm.tag_writes()) == writes
    assert len(slack.messages) == 1
    assert arm.tags_of(vm.id) == tags


def test_costwardens_own_tag_write_event_changes_nothing(
    app: AzureFunctionsRuntime, arm: FakeResources, slack: LocalSlackServer
) -> None:
    arm.add_group(AZURE_SUBSCRIPTION, "rg-dev")
    arm.add_resource(AZURE_SUBSCRIPTION, "rg-dev", VM, "vm-build-01")

    event_grid(app)(load(EVENTS / "azure" / "resource_write_tags_by_costwarden.json"))

    assert arm.requests == []
    assert slack.messages == []


def test_a_malformed_event_is_acknowledged_without_touching_anything(
    app: AzureFunctionsRuntime, arm: FakeResources, slack: LocalSlackServer
) -> None:
    event = load(EVENTS / "azure" / "resource_write_vm.json")
    event["data"]["resourceUri"] = "not-an-arm-id"
    event["subject"] = "not-an-arm-id"

    event_grid(app)(event)  # returns: a redelivery could not fix it

    assert arm.requests == []
    assert slack.messages == []


def test_the_timer_sweeps_the_subscription(
    app: AzureFunctionsRuntime, arm: FakeResources, slack: LocalSlackServer
) -> None:
    arm.add_group(AZURE_SUBSCRIPTION, "rg-dev", tags={"Environment": "dev"})
    vm = arm.add_resource(AZURE_SUBSCRIPTION, "rg-dev", VM, "vm-nightly", tags={"team": "data"})
    binding = load(EVENTS / "azure" / "timer_tag_sweep.json")

    app.fire_timer("tag_sweep", binding)

    tags = arm.tags_of(vm.id)
    assert (tags["Environment"], tags["CostCenter"]) == ("dev", "cc-100"), "group, default"
    assert "Owner" in tags[MARK], "nobody to infer the owner from: marked"
    channels = sorted(m["channel_name"] for m in slack.messages)
    assert "data-costs" in channels

    writes, posted = len(arm.tag_writes()), len(slack.messages)
    app.fire_timer("tag_sweep", binding)  # the retry policy's rerun of the same occurrence

    assert len(arm.tag_writes()) == writes
    assert len(slack.messages) == posted
