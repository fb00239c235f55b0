"""``tagging.grace.action: stop`` on Azure: the tag sweep worker with the real tag adapters
(``ResourceManagementClient``) and the scheduler's ``AzureVmCompute`` (azure-mgmt-compute),
wired as ``bootstrap_tagging._azure_ports`` wires them: one credential, one ARM ``base_url``
serving the Resources/Tags API and the Compute API. An overdue VM is really deallocated (the
long-running operation settles ``deallocated``); a protected one keeps running; the next sweep
sends no second deallocate.

``_azure_ports`` itself is not called: it builds ``DefaultAzureCredential`` and cannot be told
to trust the fake's certificate; the ports below are its body with the test's credential and
client options.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from costwarden.adapters.azure.tagging import AzureTagInventory, AzureTagWriter
from costwarden.adapters.azure.vm_compute import AzureVmCompute
from costwarden.adapters.local.sqlite_state import SqliteStateStore
from costwarden.bootstrap_tagging import GRACE_STOP_WAIT, TagPorts, TagWorker
from costwarden.ports_compute import Target
from costwarden.services.tag_grace import ComputePorts
from costwarden.services.tag_remediation import TagRemediator
from fake_arm_tags import StaticTokenCredential, TlsFiles
from fake_arm_tags.with_compute import FakeArmWithCompute
from grace_stop_support import MARKED, OVERDUE, grace_stop_policy
from integration.tagging_azure.conftest import SUBSCRIPTION
from tag_report_recorder import Recorder

pytestmark = pytest.mark.integration

MARK = "costwarden:tag-violation"
LAST_ACTION = "costwarden:last-action"
DEALLOCATE = "POST", r"/deallocate$"
POLICY = grace_stop_policy("azure", '"Microsoft.Compute/virtualMachines"', r"[^@ ]+@example\.com")


@pytest.fixture
def arm(tls_files: TlsFiles) -> Iterator[FakeArmWithCompute]:
    with FakeArmWithCompute(tls_files) as server:
        yield server


class Ports:
    """``_azure_ports`` with the test's credential and client options; counts how often the
    compute adapter was built and closes every client it made. ``lro_timeout`` None sends a
    deallocate without awaiting it (a sweep whose wait ran out)."""

    def __init__(
        self,
        arm: FakeArmWithCompute,
        client_kwargs: dict[str, Any],
        lro_timeout: float | None = GRACE_STOP_WAIT,
    ) -> None:
        self.arm = arm
        self.kwargs = client_kwargs
        self.lro_timeout = lro_timeout
        self.built = 0
        self.made: list[AzureTagInventory | AzureTagWriter | AzureVmCompute] = []

    def __call__(self, target: Target) -> TagPorts:
        credential, base_url = StaticTokenCredential(), self.arm.url
        assert POLICY.tagging is not None
        inventory = AzureTagInventory(
            credential,
            target.account,
            base_url,
            parent_kinds=POLICY.tagging.parents.azure,
            **self.kwargs,
        )
        writer = AzureTagWriter(credential, target.account, base_url, **self.kwargs)
        self.made += [inventory, writer]

        def compute() -> ComputePorts:
            self.built += 1
            vms = AzureVmCompute(
                credential,
                target.account,
                base_url=base_url,
                lro_timeout=self.lro_timeout,
                **self.kwargs,
            )
            self.made.append(vms)
            return ComputePorts(vms, vms)

        return TagPorts(inventory, writer, compute)

    def close(self) -> None:
        for client in self.made:
            client.close()


@pytest.fixture
def ports(arm: FakeArmWithCompute, client_kwargs: dict[str, Any]) -> Iterator[Ports]:
    made = Ports(arm, client_kwargs)
    yield made
    made.close()


@pytest.fixture
def unwaited_ports(arm: FakeArmWithCompute, client_kwargs: dict[str, Any]) -> Iterator[Ports]:
    made = Ports(arm, client_kwargs, lro_timeout=None)
    yield made
    made.close()


def worker(ports: Ports, notifier: Recorder) -> TagWorker:
    assert POLICY.tagging is not None
    return TagWorker(
        cloud="azure",
        policy=POLICY,
        section=POLICY.tagging,
        remediator=TagRemediator(POLICY, POLICY.tagging, cloud="azure"),
        notifier=notifier,
        state=SqliteStateStore(":memory:"),
        dry_run=False,
        ports=ports,
        targets=lambda: [Target("azure", SUBSCRIPTION, None)],
    )


def deallocates(arm: FakeArmWithCompute, name: str) -> int:
    method, path = DEALLOCATE
    return len(arm.compute.calls(method, f"/virtualmachines/{name}{path}"))


def test_an_overdue_vm_is_deallocated_a_protected_one_keeps_running(
    arm: FakeArmWithCompute, ports: Ports
) -> None:
    arm.resources.add_group(SUBSCRIPTION, "rg-dev")
    web = arm.add_vm(SUBSCRIPTION, "rg-dev", "vm-web")
    prod = arm.add_vm(SUBSCRIPTION, "rg-dev", "vm-api", tags={"Environment": "prod"})
    owned = arm.add_vm(SUBSCRIPTION, "rg-dev", "vm-owned", tags={"Owner": "a@example.com"})
    notifier = Recorder()

    worker(ports, notifier).sweep(now=MARKED, run_id="day-0", owner="t")
    assert ports.built == 0, "nothing overdue: the compute adapter is not even built"
    assert MARK in arm.resources.tags_of(web.id)
    assert MARK in arm.resources.tags_of(prod.id)
    assert arm.compute.calls("POST", "") == []
    assert {vm.power for vm in (web, prod, owned)} == {"running"}

    [run] = worker(ports, notifier).sweep(now=OVERDUE, run_id="day-8", owner="t")
    assert ports.built == 1
    assert deallocates(arm, "vm-web") == 1
    assert arm.compute.calls("POST", "") == arm.compute.calls(*DEALLOCATE), "no power-off"
    assert web.power == "deallocated", "accepted (202), then awaited, as in production"
    assert prod.power == "running", "protected by safety.protected"
    assert owned.power == "running", "compliant"
    assert deallocates(arm, "vm-api") == deallocates(arm, "vm-owned") == 0
    # the actuator's last-action merge reached the same ARM the tag sweep reads
    assert arm.resources.tags_of(web.id)[LAST_ACTION].startswith("deallocate-20261128t0900")
    assert LAST_ACTION not in arm.resources.tags_of(prod.id)
    grace = run.report.grace
    assert grace is not None
    assert grace.steps[web.id].status == "stopped"
    assert grace.steps[web.id].message == "deallocated"
    assert grace.steps[prod.id].status == "protected"
    assert owned.id not in grace.steps
    assert run.summary()["stopped"] == 1
    actions = notifier.messages[-1].actions
    assert "vm-web: grace period over — deallocated" in actions
    assert any(a.startswith("vm-api: grace period over — protected: not stopped") for a in actions)

    [again] = worker(ports, notifier).sweep(
        now=OVERDUE + timedelta(days=1), run_id="day-9", owner="t"
    )
    assert deallocates(arm, "vm-web") == 1, "no second deallocate"
    assert arm.compute.calls("POST", "") == arm.compute.calls(*DEALLOCATE)
    assert web.power == "deallocated"
    assert prod.power == "running"
    grace = again.report.grace
    assert grace is not None
    assert grace.steps[web.id].status == "already_stopped"
    assert grace.steps[prod.id].status == "protected"
    assert grace.outcomes == (), "nothing planned: no second deallocate"
    assert "vm-web: grace period over — stopped; stays stopped until tagged" in (
        notifier.messages[-1].actions
    )


def test_a_vm_still_deallocating_at_the_next_sweep_is_not_deallocated_again(
    arm: FakeArmWithCompute, unwaited_ports: Ports
) -> None:
    ports = unwaited_ports
    arm.resources.add_group(SUBSCRIPTION, "rg-dev")
    web = arm.add_vm(SUBSCRIPTION, "rg-dev", "vm-web")
    notifier = Recorder()
    worker(ports, notifier).sweep(now=MARKED, run_id="day-0", owner="t")
    worker(ports, notifier).sweep(now=OVERDUE, run_id="day-8", owner="t")
    assert deallocates(arm, "vm-web") == 1
    assert web.power == "deallocating"

    [again] = worker(ports, notifier).sweep(
        now=OVERDUE + timedelta(hours=1), run_id="day-8b", owner="t"
    )

    assert deallocates(arm, "vm-web") == 1, "transitioning: left alone"
    grace = again.report.grace
    assert grace is not None
    assert grace.steps[web.id].status == "waiting"
    assert grace.outcomes == ()
