"""Composition root of the scheduler (issue 3): the planner and worker functions, and the CLI.

``schedule_planner_from_settings`` builds what a tick needs: the target directory (the policy's
``targets`` list, or AWS Organizations) and the work queue (SQS, Storage Queue, Pub/Sub).
``schedule_worker_from_settings`` builds what one work item needs: the policy, the compiled
schedules, savings estimates, Slack and the state store, plus a factory of per-target adapters
(an AWS target is reached through a role assumed *per work item*: credentials never outlive the
invocation that asked for them).

Like ``bootstrap``, nothing runs at import time and each cloud's SDK is imported only when that
cloud is asked for. Handlers cache the result per warm container (``functools.cache``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from costwarden.bootstrap import (
    build_notifier,
    build_policy,
    build_state_store,
)
from costwarden.errors import ConfigError, CostwardenError, PayloadError, WorkItemError
from costwarden.models.budget import Provider
from costwarden.policy import Policy
from costwarden.ports import StateStore
from costwarden.ports_compute import (
    Actuator,
    Inventory,
    Target,
    TargetDirectory,
    UtilizationMetrics,
    WorkItem,
    WorkQueue,
)
from costwarden.settings import Settings

if TYPE_CHECKING:
    from costwarden.pricing import SavingsEstimator
    from costwarden.schedule import ScheduleClock
    from costwarden.services.scheduler import RunReport, ScheduleNotifier


# -- the trigger's instant ----------------------------------------------------------------------
def tick_instant(value: object) -> datetime:
    """The instant a tick reconciles for: its ``time``, aware, in UTC.

    A late, doubled or retried tick computes the same desired states as the punctual one: the
    schedule is reconciled for the time the trigger names, never for whenever it ran.
    """
    if not isinstance(value, str) or not value:
        raise PayloadError("the schedule tick carries no time")
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise PayloadError(f"the schedule tick's time is not an ISO time: {value!r}") from None
    if at.tzinfo is None:
        raise PayloadError(f"the schedule tick's time has no UTC offset: {value!r}")
    return at.astimezone(UTC)


def run_id_for(at: datetime) -> str:
    """One run per tick instant: a doubled delivery of the same tick shares its Slack dedup."""
    return at.astimezone(UTC).strftime("%Y%m%dt%H%M%Sz")


# -- planner ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SchedulePlanner:
    """A tick -> one work item per target on the queue."""

    cloud: Provider
    directory: TargetDirectory
    queue: WorkQueue
    dry_run: bool

    def fan_out(self, at: datetime) -> int:
        from costwarden.services.scheduler import fan_out

        return fan_out(
            directory=self.directory,
            queue=self.queue,
            run_id=run_id_for(at),
            at=at,
            dry_run=self.dry_run,
        )


def schedule_planner_from_settings(settings: Settings, cloud: Provider) -> SchedulePlanner:
    policy = build_policy(settings)
    return SchedulePlanner(
        cloud=cloud,
        directory=build_target_directory(settings, cloud, policy),
        queue=build_work_queue(settings, cloud),
        dry_run=is_dry_run(settings, policy),
    )


def is_dry_run(settings: Settings, policy: Policy) -> bool:
    """Either switch is enough: a deployment or a policy can each forbid acting."""
    return settings.dry_run or policy.safety.dry_run


def build_target_directory(settings: Settings, cloud: Provider, policy: Policy) -> TargetDirectory:
    """AWS: the listed accounts, the organization's, or the function's own account (one STS
    call); Azure and Google: the policy's subscriptions / projects."""
    if cloud == "aws":
        import boto3

        from costwarden.adapters.aws.targets import AwsTargetDirectory

        return AwsTargetDirectory(boto3.Session(), policy.targets)
    from costwarden.adapters.policy_targets import PolicyTargetDirectory

    return PolicyTargetDirectory(policy.targets, cloud)


def build_work_queue(settings: Settings, cloud: Provider) -> WorkQueue:
    queue = settings.schedule_queue
    if not queue:
        raise ConfigError(
            "the schedule planner needs COSTWARDEN_SCHEDULE_QUEUE (SQS queue URL, Azure "
            "Storage queue name or Pub/Sub topic projects/P/topics/T)"
        )
    if cloud == "aws":
        import boto3

        from costwarden.adapters.aws.retry import client_config
        from costwarden.adapters.aws.sqs_queue import SqsWorkQueue

        return SqsWorkQueue(boto3.client("sqs", config=client_config()), queue)
    if cloud == "azure":
        from costwarden.adapters.azure.queue_work import StorageQueueWorkQueue

        return StorageQueueWorkQueue(_azure_queue_client(settings, queue))
    from costwarden.adapters.gcp.pubsub_queue import PubSubWorkQueue

    return PubSubWorkQueue.create(queue, api_endpoint=settings.gcp_pubsub_endpoint)


def _azure_queue_client(settings: Settings, queue_name: str) -> Any:
    from azure.storage.queue import QueueClient

    # No message_encode_policy: StorageQueueWorkQueue base64-encodes each body itself, as the
    # Functions queue trigger expects (host.json extensions.queues.messageEncoding).
    connection = settings.queue_connection
    if connection is None:
        raise ConfigError(
            "the Azure schedule planner needs COSTWARDEN_QUEUE_CONNECTION (a storage connection "
            "string, or COSTWARDEN_QUEUE_CONNECTION__queueServiceUri for managed identity)"
        )
    value = connection.get_secret_value()
    if value.startswith(("https://", "http://")):
        from azure.identity import DefaultAzureCredential

        return QueueClient(value, queue_name, credential=DefaultAzureCredential())
    return QueueClient.from_connection_string(value, queue_name)


# -- worker -------------------------------------------------------------------------------------
class ScheduleActionsFailedError(CostwardenError):
    """Some actions of a work item failed. The functions raise it so the platform delivers the
    work item again; the retry reconciles, so only what is still wrong is acted on."""


def raise_if_failed(report: RunReport) -> None:
    if report.failed:
        raise ScheduleActionsFailedError(
            f"{len(report.failed)} of {len(report.outcomes)} actions failed in "
            f"{report.target.label}: "
            + "; ".join(f"{o.action.resource.resource_id}: {o.message}" for o in report.failed)
        )


@dataclass(frozen=True)
class TargetPorts:
    """The adapters one target is read and changed through."""

    inventory: Inventory
    actuator: Actuator
    metrics: UtilizationMetrics | None


TargetPortsFactory = Callable[[Target], TargetPorts]
SavingsFactory = Callable[[datetime], "SavingsEstimator"]


@dataclass(frozen=True)
class ScheduleWorker:
    """One work item -> plan, apply, report, for its target."""

    cloud: Provider
    policy: Policy
    clock: ScheduleClock
    #: Savings estimates for a run at an instant (FOCUS windows end at the tick's time).
    savings: SavingsFactory
    notifier: ScheduleNotifier | None
    state: StateStore
    dry_run: bool
    ports: TargetPortsFactory

    def run(self, item: WorkItem, *, invocation_id: str | None = None) -> RunReport:
        """``invocation_id`` owns the Slack report claims: a delivery of the same item running
        at the same time finds them busy instead of posting twice."""
        from costwarden.services.scheduler import run_target

        if item.target.cloud != self.cloud:
            # A message on the wrong cloud's queue must not be planned with this cloud's SDK.
            raise WorkItemError(f"a {item.target.cloud} work item reached the {self.cloud} worker")
        ports = self.ports(item.target)
        return run_target(
            item=dataclasses.replace(item, dry_run=item.dry_run or self.dry_run),
            policy=self.policy,
            clock=self.clock,
            inventory=ports.inventory,
            actuator=ports.actuator,
            metrics=ports.metrics,
            savings=self.savings(item.at),
            notifier=self.notifier,
            state=self.state,
            invocation_id=invocation_id,
        )


def schedule_worker_from_settings(settings: Settings, cloud: Provider) -> ScheduleWorker:
    from costwarden.schedule import ScheduleClock

    policy = build_policy(settings)
    return ScheduleWorker(
        cloud=cloud,
        policy=policy,
        clock=ScheduleClock(policy.schedules),
        savings=build_savings(settings),
        notifier=build_notifier(settings),
        state=build_state_store(settings),
        dry_run=is_dry_run(settings, policy),
        ports=target_ports_factory(settings, cloud, policy),
    )


def build_savings(settings: Settings) -> SavingsFactory:
    """FOCUS costs when this deployment has cost data (published or local files), with list
    prices for what they do not cover; else the bundled list prices alone."""
    from costwarden.pricing import FocusSavingsEstimator, PriceTableEstimator, ResourceCosts

    prices = PriceTableEstimator()
    costs: ResourceCosts
    store_url = settings.published_cost_data
    if store_url is not None:
        from costwarden.adapters.focus.resource_costs import PublishedResourceCosts
        from costwarden.bootstrap import build_published_focus_data

        costs = PublishedResourceCosts(build_published_focus_data(settings, store_url))
    elif settings.cost_data:
        from costwarden.adapters.focus.resource_costs import FocusResourceCosts

        costs = FocusResourceCosts(settings.cost_data)
    else:
        return lambda at: prices

    return lambda at: FocusSavingsEstimator(costs, at=at, fallback=prices)


def target_ports_factory(settings: Settings, cloud: Provider, policy: Policy) -> TargetPortsFactory:
    """Per-target adapters; metrics only when an idle rule can ask for them."""
    wants_metrics = bool(policy.scheduling.idle)
    if cloud == "aws":
        return _aws_ports(wants_metrics)
    if cloud == "azure":
        return _azure_ports(settings, wants_metrics)
    return _gcp_ports(settings, wants_metrics)


def _aws_ports(wants_metrics: bool) -> TargetPortsFactory:
    import boto3

    from costwarden.adapters.aws.cloudwatch_metrics import CloudWatchCpuMetrics
    from costwarden.adapters.aws.ec2_compute import Ec2Compute
    from costwarden.adapters.aws.targets import session_for_target

    def ports(target: Target) -> TargetPorts:
        # A member account's role is assumed per work item: its credentials last an hour, a
        # warm container much longer.
        session = session_for_target(boto3.Session(region_name=target.region), target)
        compute = Ec2Compute(session, target)
        metrics = CloudWatchCpuMetrics(session) if wants_metrics else None
        return TargetPorts(inventory=compute, actuator=compute, metrics=metrics)

    return ports


#: How long a worker waits for its subscription's deallocates and starts (awaited together):
#: ARM accepts first and may fail minutes later (AllocationFailed). Inside the Functions'
#: default 5-minute timeout with room to list, plan and post; one still running then is
#: reported "not confirmed" and checked at the next tick.
AZURE_LRO_TIMEOUT = 150.0
#: The same for a project's Compute Engine stops and starts (worker timeout: 300 s).
GCE_OPERATION_TIMEOUT = 150.0


def _azure_ports(settings: Settings, wants_metrics: bool) -> TargetPortsFactory:
    from azure.identity import DefaultAzureCredential

    from costwarden.adapters.azure.monitor_metrics import AzureMonitorCpuMetrics
    from costwarden.adapters.azure.vm_compute import AzureVmCompute

    # One credential per warm container: it caches its tokens (managed identity in Azure).
    credential = DefaultAzureCredential()
    base_url = settings.azure_arm_endpoint
    # A sovereign cloud's ARM takes tokens for its own audience, not management.azure.com.
    extra: dict[str, Any] = (
        {} if base_url is None else {"credential_scopes": [f"{base_url}/.default"]}
    )

    def ports(target: Target) -> TargetPorts:
        compute = AzureVmCompute(
            credential, target.account, base_url=base_url, lro_timeout=AZURE_LRO_TIMEOUT, **extra
        )
        metrics = AzureMonitorCpuMetrics(credential) if wants_metrics else None
        return TargetPorts(inventory=compute, actuator=compute, metrics=metrics)

    return ports


def _gcp_ports(settings: Settings, wants_metrics: bool) -> TargetPortsFactory:
    from costwarden.adapters.gcp.cloud_monitoring import CloudMonitoringCpuMetrics
    from costwarden.adapters.gcp.gce_compute import GceCompute

    endpoint = settings.gcp_compute_endpoint

    def ports(target: Target) -> TargetPorts:
        compute = GceCompute(
            target.account, api_endpoint=endpoint, operation_timeout=GCE_OPERATION_TIMEOUT
        )
        metrics = CloudMonitoringCpuMetrics(target.account) if wants_metrics else None
        return TargetPorts(inventory=compute, actuator=compute, metrics=metrics)

    return ports
