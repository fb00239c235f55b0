"""Composition root of tag remediation (issue 4): the event and sweep functions, and the CLI.

``tag_worker_from_settings`` builds, once per warm container, what both paths need: the policy
(which must have a ``tagging`` section), the remediator for this cloud, Slack, the state store,
and a factory of per-target tag adapters. An AWS target in a member account is reached through
the role the policy's ``targets.aws.role_name`` names, assumed per call of the factory.

With ``tagging.grace.action: stop`` the sweep also stops the overdue resources of each target
(``services.tag_grace``) through the scheduler's compute adapters (``Ec2Compute``,
``AzureVmCompute``, ``GceCompute``), built only when a target has an overdue stoppable resource.
The event path never stops anything: a resource just created cannot be overdue.

Nothing runs at import time and each cloud's SDK is imported only when that cloud is asked for.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from costwarden.bootstrap import (
    build_notifier,
    build_policy,
    build_state_store,
)
from costwarden.bootstrap_schedule import build_target_directory, is_dry_run
from costwarden.errors import ConfigError
from costwarden.models.budget import Provider
from costwarden.models.resource_change import ResourceChange
from costwarden.policy import Policy
from costwarden.policy.tagging import TaggingSection
from costwarden.ports import StateStore
from costwarden.ports_compute import Target
from costwarden.ports_tagging import TagInventory, TagWriter
from costwarden.services.tag_grace import ComputeFactory, ComputePorts, stop_overdue
from costwarden.services.tag_remediation import TagRemediator, TagRunReport
from costwarden.services.tag_reports import (
    TagReportNotifier,
    build_tag_reports,
    publish_tag_reports,
)
from costwarden.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TagPorts:
    inventory: TagInventory
    writer: TagWriter
    #: The scheduler's adapters of the same target, for ``grace.action: stop`` (built lazily).
    compute: ComputeFactory | None = None


TagPortsFactory = Callable[[Target], TagPorts]


@dataclass(frozen=True)
class TargetRun:
    """One target's remediation and what its teams were told."""

    target: Target
    report: TagRunReport
    posted: int

    def summary(self) -> dict[str, object]:
        """What the functions log and return for this target."""
        report = self.report
        grace = report.grace
        return {
            "target": self.target.label,
            "checked": report.checked,
            "compliant": report.compliant,
            "fixed": len(report.fixed),
            "violating": len(report.violating),
            "failed": len(report.failed),
            "overdue": len(report.overdue),
            "stopped": grace.count("stopped") if grace else 0,
            "stop_failed": grace.count("failed") if grace else 0,
            "posted": self.posted,
        }


@dataclass(frozen=True)
class TagWorker:
    """Tag remediation for one cloud, as configured."""

    cloud: Provider
    policy: Policy
    section: TaggingSection
    remediator: TagRemediator
    notifier: TagReportNotifier | None
    state: StateStore
    dry_run: bool
    ports: TagPortsFactory
    targets: Callable[[], Sequence[Target]]

    def on_changes(
        self, changes: Sequence[ResourceChange], *, now: datetime, owner: str
    ) -> list[TargetRun]:
        """Tag what creation events created (each change re-read first), report per team."""
        runs = []
        for change in changes:
            if change.cloud != self.cloud:
                raise ConfigError(f"a {change.cloud} event reached the {self.cloud} function")
            target = self._target_for(change.account, change.region)
            ports = self.ports(target)
            report = self.remediator.on_change(
                change,
                inventory=ports.inventory,
                writer=ports.writer,
                now=now,
                dry_run=self.dry_run,
            )
            runs.append(
                self._report(
                    target, report, run_id=f"event-{change.event_id}", now=now, owner=owner
                )
            )
        return runs

    def sweep(self, *, now: datetime, run_id: str, owner: str) -> list[TargetRun]:
        """Remediate every target's resources; one target failing does not stop the others.

        Raises the first listing error after all targets ran, so the platform retries and the
        failure is visible; the targets that did run are not redone wrongly (idempotent).
        """
        runs: list[TargetRun] = []
        errors: list[Exception] = []
        for target in self.targets():
            try:
                ports = self.ports(target)
                report = self.remediator.sweep(
                    inventory=ports.inventory, writer=ports.writer, now=now, dry_run=self.dry_run
                )
                if self.section.grace.action == "stop":
                    report.grace = stop_overdue(
                        report,
                        policy=self.policy,
                        rules=self.remediator.rules,
                        compute=ports.compute,
                        cloud=self.cloud,
                        now=now,
                        dry_run=self.dry_run,
                    )
                # a report that cannot be posted (Slack down, a claim still held) fails this
                # target's run, not the others'
                runs.append(self._report(target, report, run_id=run_id, now=now, owner=owner))
            except Exception as exc:
                log.exception("tag sweep of %s failed", target.label)
                errors.append(exc)
        if errors:
            raise errors[0]
        return runs

    def _report(
        self,
        target: Target,
        report: TagRunReport,
        *,
        run_id: str,
        now: datetime,
        owner: str,
    ) -> TargetRun:
        messages = build_tag_reports(
            report,
            policy=self.policy,
            rules=self.remediator.rules,
            target=target.label,
            run_id=run_id,
            dry_run=self.dry_run,
        )
        posted = 0
        if self.notifier is not None:
            posted = publish_tag_reports(
                messages, notifier=self.notifier, state=self.state, now=now, owner=owner
            )
        log.info(
            "tag run %s on %s: %d checked, %d compliant, %d fixed, %d violating, %d failed",
            run_id,
            target.label,
            report.checked,
            report.compliant,
            len(report.fixed),
            len(report.violating),
            len(report.failed),
            extra={"event": "tag_run", "target": target.label, "run_id": run_id},
        )
        return TargetRun(target, report, posted)

    def _target_for(self, account: str, region: str | None) -> Target:
        role = None
        aws = self.policy.targets.aws
        if self.cloud == "aws" and aws is not None and aws.role_name:
            role = f"arn:aws:iam::{account}:role/{aws.role_name}"
        return Target(self.cloud, account, region, role)


def tag_worker_from_settings(
    settings: Settings, cloud: Provider, *, with_notifier: bool = True
) -> TagWorker:
    policy = build_policy(settings)
    if policy.tagging is None:
        raise ConfigError("the policy has no tagging section: nothing to remediate")
    if cloud not in policy.tagging.clouds:
        raise ConfigError(f"the policy's tagging.clouds does not include {cloud}")
    directory = build_target_directory(settings, cloud, policy)
    return TagWorker(
        cloud=cloud,
        policy=policy,
        section=policy.tagging,
        remediator=TagRemediator(policy, policy.tagging, cloud=cloud),
        notifier=build_notifier(settings) if with_notifier else None,
        state=build_state_store(settings),
        dry_run=is_dry_run(settings, policy),
        ports=tag_ports_factory(settings, cloud, policy.tagging),
        targets=directory.targets,
    )


def tag_ports_factory(
    settings: Settings, cloud: Provider, section: TaggingSection
) -> TagPortsFactory:
    if cloud == "aws":
        return _aws_ports(section)
    if cloud == "azure":
        return _azure_ports(settings, section)
    return _gcp_ports(settings, section)


def _aws_ports(section: TaggingSection) -> TagPortsFactory:
    import boto3

    from costwarden.adapters.aws.tagging import ApiCallCounter
    from costwarden.adapters.aws.tagging_inventory import AwsTagInventory
    from costwarden.adapters.aws.tagging_writer import AwsTagWriter
    from costwarden.adapters.aws.targets import session_for_target
    from costwarden.tagging.rules import CloudTagRules

    rules = CloudTagRules(section, "aws")

    def ports(target: Target) -> TagPorts:
        session = session_for_target(boto3.Session(region_name=target.region), target)
        counter = ApiCallCounter()
        inventory = AwsTagInventory(
            session,
            target,
            counter=counter,
            type_filter=lambda kind: rules.applies_to(kind, None),
            parent_kinds=section.parents.aws,
        )

        def compute() -> ComputePorts:
            from costwarden.adapters.aws.ec2_compute import Ec2Compute

            ec2 = Ec2Compute(session, target)  # the same (assumed-role) session
            return ComputePorts(ec2, ec2)

        return TagPorts(inventory, AwsTagWriter(session, target, counter=counter), compute)

    return ports


#: How long a target's grace stops are awaited (deallocates on Azure, stops on Compute Engine):
#: the providers accept first and may fail later, and an unconfirmed stop is reported as "not
#: confirmed", never as stopped. Shorter than the scheduler's wait (bootstrap_schedule) because
#: one sweep walks every target in one invocation (the Functions' default timeout is 5 minutes).
GRACE_STOP_WAIT = 60.0


def _azure_ports(settings: Settings, section: TaggingSection) -> TagPortsFactory:
    from azure.identity import DefaultAzureCredential

    from costwarden.adapters.azure.tagging import AzureTagInventory, AzureTagWriter

    credential = DefaultAzureCredential()
    base_url = settings.azure_arm_endpoint
    extra: dict[str, Any] = (
        {} if base_url is None else {"credential_scopes": [f"{base_url}/.default"]}
    )

    def ports(target: Target) -> TagPorts:
        inventory = AzureTagInventory(
            credential, target.account, base_url, parent_kinds=section.parents.azure, **extra
        )

        def compute() -> ComputePorts:
            from costwarden.adapters.azure.vm_compute import AzureVmCompute

            vms = AzureVmCompute(
                credential, target.account, base_url=base_url, lro_timeout=GRACE_STOP_WAIT, **extra
            )
            return ComputePorts(vms, vms)

        writer = AzureTagWriter(credential, target.account, base_url, **extra)
        return TagPorts(inventory, writer, compute)

    return ports


def _gcp_ports(settings: Settings, section: TaggingSection) -> TagPortsFactory:
    from costwarden.adapters.gcp.gce_compute import GceCompute
    from costwarden.adapters.gcp.tagging import GcpLabelClients, GcpTagInventory, GcpTagWriter

    def ports(target: Target) -> TagPorts:
        endpoint = settings.gcp_compute_endpoint
        clients = GcpLabelClients(target.account, compute_endpoint=endpoint)

        def compute() -> ComputePorts:
            instances = GceCompute(
                target.account, api_endpoint=endpoint, operation_timeout=GRACE_STOP_WAIT
            )
            return ComputePorts(instances, instances)

        return TagPorts(
            GcpTagInventory(clients, parent_kinds=section.parents.gcp),
            GcpTagWriter(clients),
            compute,
        )

    return ports
