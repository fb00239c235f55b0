"""Databases RDS refuses to stop (Aurora members, read replicas and their sources) are never
planned: the inventory marks them ``extra["unsupported"]`` and the planner reports them as
``unsupported`` skips instead of a stop that fails every tick.
"""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest

from costwarden.adapters.aws import Ec2Compute
from costwarden.policy import load_policy_text
from costwarden.ports_compute import Target
from costwarden.pricing import PriceTableEstimator
from costwarden.schedule import ScheduleClock
from costwarden.services.scheduler import apply_plan, plan_target
from integration.scheduling_aws.aws_estate import Estate

pytestmark = pytest.mark.integration

POLICY = load_policy_text(
    """
version: 1
slack: {default_channel: "#finops"}
schedules:
  office-hours:
    timezone: Europe/Berlin
    periods: [{days: [mon-fri], start: "08:00", stop: "19:00"}]
scheduling:
  rules: [{name: all-dbs, schedule: office-hours, match: {resource_types: [rds_instance]}}]
safety: {max_fleet_percent: 100}
""",
    source="unsupported-test.yaml",
)
FRIDAY_NIGHT = datetime(2026, 11, 20, 20, 0, tzinfo=UTC)  # 21:00 Berlin


def test_databases_rds_cannot_stop_are_skipped_as_unsupported_not_planned(
    session: boto3.Session, target: Target, moto_endpoint: str, estate: Estate
) -> None:
    compute = Ec2Compute(session, target, endpoint_url=moto_endpoint)
    plan = plan_target(
        policy=POLICY,
        clock=ScheduleClock(POLICY.schedules),
        resources=compute.list_resources(),
        metrics=None,
        savings=PriceTableEstimator(),
        at=FRIDAY_NIGHT,
        dry_run=False,
        cloud="aws",
    )

    unstoppable = {estate.aurora_member, estate.replica, estate.replica_source}
    planned = {a.resource.resource_id for a in plan.actions}
    assert planned == {estate.orders_db}  # reports-db is stopped already
    skipped = {s.resource.resource_id: s for s in plan.skipped}
    assert unstoppable <= skipped.keys()
    assert {skipped[i].kind for i in unstoppable} == {"unsupported"}
    assert "read replica" in skipped[estate.replica].reason
    outcomes = apply_plan(plan, actuator=compute, now=FRIDAY_NIGHT)
    assert [o.status for o in outcomes] == ["done"]
