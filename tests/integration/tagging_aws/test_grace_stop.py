"""``tagging.grace.action: stop`` on AWS: the tag sweep worker with the real tag adapters and
the scheduler's ``Ec2Compute`` against moto. An overdue instance really ends ``stopped`` (and an
overdue RDS instance too); a protected one keeps running; the next sweep stops nothing again.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from costwarden.adapters.aws.ec2_compute import Ec2Compute
from costwarden.adapters.local.sqlite_state import SqliteStateStore
from costwarden.bootstrap_tagging import TagPorts, TagWorker
from costwarden.ports_compute import Target
from costwarden.services.tag_grace import ComputePorts
from costwarden.services.tag_remediation import TagRemediator
from grace_stop_support import MARKED, OVERDUE, grace_stop_policy
from integration.tagging_aws.conftest import AwsAccount
from integration.tagging_aws.estate import create_db, run_instances
from tag_report_recorder import Recorder

pytestmark = pytest.mark.integration

POLICY = grace_stop_policy("aws", '"ec2:instance", "rds:db"', r"[^@ ]+@example\.com")


class Built:
    """The compute factory the worker calls; counts how often compute was needed."""

    def __init__(self, aws: AwsAccount) -> None:
        self.aws = aws
        self.count = 0

    def __call__(self) -> ComputePorts:
        self.count += 1
        compute = Ec2Compute(self.aws.session, self.aws.target, endpoint_url=self.aws.endpoint)
        return ComputePorts(compute, compute)


def worker(aws: AwsAccount, built: Built, notifier: Recorder) -> TagWorker:
    assert POLICY.tagging is not None
    return TagWorker(
        cloud="aws",
        policy=POLICY,
        section=POLICY.tagging,
        remediator=TagRemediator(POLICY, POLICY.tagging, cloud="aws"),
        notifier=notifier,
        state=SqliteStateStore(":memory:"),
        dry_run=False,
        ports=lambda target: TagPorts(aws.inventory(), aws.writer(), built),
        targets=lambda: [Target("aws", aws.account, "eu-west-1")],
    )


def state_of(aws: AwsAccount, instance_id: str) -> str:
    answer = aws.client("ec2").describe_instances(InstanceIds=[instance_id])
    return str(answer["Reservations"][0]["Instances"][0]["State"]["Name"])


def test_an_overdue_instance_is_stopped_a_protected_one_keeps_running(aws: AwsAccount) -> None:
    ec2 = aws.client("ec2")
    [web] = run_instances(ec2, Name="web")
    [prod] = run_instances(ec2, Name="prod-api", Environment="prod")
    [owned] = run_instances(ec2, Name="owned", Owner="a@example.com")
    db = create_db(aws.client("rds"), "orders")
    built, notifier = Built(aws), Recorder()

    worker(aws, built, notifier).sweep(now=MARKED, run_id="day-0", owner="t")
    assert built.count == 0, "nothing overdue: the compute inventory is not even built"
    assert {state_of(aws, i) for i in (web, prod, owned)} == {"running"}

    [run] = worker(aws, built, notifier).sweep(now=OVERDUE, run_id="day-8", owner="t")
    assert state_of(aws, web) == "stopped"
    assert state_of(aws, prod) == "running", "protected by safety.protected"
    assert state_of(aws, owned) == "running", "compliant"
    rds = aws.client("rds").describe_db_instances(DBInstanceIdentifier="orders")
    assert rds["DBInstances"][0]["DBInstanceStatus"] == "stopped"
    grace = run.report.grace
    assert grace is not None
    assert grace.steps[aws.arn("instance", web)].status == "stopped"
    assert grace.steps[aws.arn("instance", prod)].status == "protected"
    assert grace.steps[db].status == "stopped"
    web_tags = {
        t["Key"]: t["Value"]
        for t in ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [web]}])["Tags"]
    }
    assert web_tags["costwarden:last-action"].startswith("stop-20261128t0900")
    actions = notifier.messages[-1].actions
    assert "web: grace period over — stopped" in actions
    assert "orders: grace period over — stopped" in actions
    assert any(
        a.startswith("prod-api: grace period over — protected: not stopped") for a in actions
    )

    [again] = worker(aws, built, notifier).sweep(
        now=OVERDUE + timedelta(days=1), run_id="d9", owner="t"
    )
    grace = again.report.grace
    assert grace is not None
    assert grace.steps[aws.arn("instance", web)].status == "already_stopped"
    assert grace.outcomes == (), "nothing planned: no second stop"
    assert "web: grace period over — stopped; stays stopped until tagged" in (
        notifier.messages[-1].actions
    )
