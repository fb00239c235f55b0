"""``Inventory`` and ``Actuator`` for one AWS target (account x region): EC2 instances, Auto
Scaling groups and RDS DB instances.

The session must already hold the target account's credentials: for a member account, pass
``session_for_target(base, target)`` (an assumed-role session, see ``targets.py``). Each
resource type lives in its own helper module (``ec2_instances``, ``asg_groups``,
``rds_instances``); this class only builds the clients and dispatches.

Listing is all-or-nothing: if any of the three listings fails after botocore's retries, the
whole inventory raises ``CloudApiError`` rather than return a partial estate that would look as
if the missing resources did not exist.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from costwarden.adapters.aws.asg_groups import execute_group, list_groups
from costwarden.adapters.aws.compute_common import failed
from costwarden.adapters.aws.ec2_instances import (
    execute_instance,
    execute_instances,
    list_instances,
)
from costwarden.adapters.aws.ec2_slim import slim_instance_listing
from costwarden.adapters.aws.rds_instances import execute_database, list_databases
from costwarden.adapters.aws.retry import client_config
from costwarden.errors import ConfigError
from costwarden.models.resource import Resource
from costwarden.plan.model import LastAction, Outcome, PlannedAction
from costwarden.ports_compute import Target

if TYPE_CHECKING:
    from boto3.session import Session
    from botocore.config import Config

_log = logging.getLogger(__name__)


class Ec2Compute:
    """EC2 + Auto Scaling + RDS in one AWS account and region."""

    def __init__(
        self,
        session: Session,
        target: Target,
        *,
        endpoint_url: str | None = None,
        config: Config | None = None,
    ) -> None:
        if target.cloud != "aws":
            raise ConfigError(f"Ec2Compute needs an AWS target, got {target.label}")
        if not target.region:
            raise ConfigError(f"AWS target {target.label} has no region")
        self.target = target
        self._account = target.account
        self._region = target.region
        settings = config or client_config()
        self._ec2 = session.client(
            "ec2", region_name=self._region, endpoint_url=endpoint_url, config=settings
        )
        # The listing and the batch re-reads parse only the fields the scheduler reads.
        slim_instance_listing(self._ec2)
        self._autoscaling = session.client(
            "autoscaling", region_name=self._region, endpoint_url=endpoint_url, config=settings
        )
        self._rds = session.client(
            "rds", region_name=self._region, endpoint_url=endpoint_url, config=settings
        )

    # -- Inventory ---------------------------------------------------------------------------
    def list_resources(self) -> list[Resource]:
        """Instances (not ASG members), groups and DB instances; raises ``CloudApiError``."""
        where = {"account": self._account, "region": self._region}
        return [
            *list_instances(self._ec2, **where),
            *list_groups(self._autoscaling, **where),
            *list_databases(self._rds, **where),
        ]

    # -- Actuator ----------------------------------------------------------------------------
    def execute_all(self, actions: Sequence[PlannedAction], *, now: datetime) -> list[Outcome]:
        """EC2 instance actions in batches (``execute_instances``), the rest one by one."""
        outcomes: dict[int, Outcome] = {}
        instances: list[tuple[int, PlannedAction]] = []
        for index, action in enumerate(actions):
            if self._mine(action) and action.resource.resource_type == "ec2_instance":
                instances.append((index, action))
            else:
                outcomes[index] = self.execute(action, record=LastAction.of(action, now))
        if instances:
            batch = execute_instances(self._ec2, [a for _, a in instances], now=now)
            outcomes.update((index, o) for (index, _), o in zip(instances, batch, strict=True))
        return [outcomes[index] for index in range(len(actions))]

    def execute(self, action: PlannedAction, *, record: LastAction) -> Outcome:
        """One action on one resource; every failure is a failed ``Outcome``, never raised."""
        resource = action.resource
        if not self._mine(action):
            return failed(action, f"{resource.key} is not in target {self.target.label}")
        try:
            if resource.resource_type == "ec2_instance":
                return execute_instance(self._ec2, action, record)
            if resource.resource_type == "asg":
                return execute_group(self._autoscaling, action, record)
            if resource.resource_type == "rds_instance":
                return execute_database(self._rds, action, record)
        except Exception as exc:  # a bug or an unparseable answer: still one resource only
            _log.exception("unexpected error acting on %s", resource.key)
            return failed(action, f"unexpected {type(exc).__name__}: {exc}")
        return failed(action, f"{resource.resource_type} is not an AWS resource type")

    def _mine(self, action: PlannedAction) -> bool:
        r = action.resource
        return (r.cloud, r.account, r.region) == ("aws", self._account, self._region)
