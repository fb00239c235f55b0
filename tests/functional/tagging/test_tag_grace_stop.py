"""``tagging.grace.action: stop``: overdue resources stopped through the scheduler's plan/apply
path (protections, dry run, blast-radius cap), on in-memory tag and compute clouds."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from costwarden.adapters.local.sqlite_state import SqliteStateStore
from costwarden.bootstrap_tagging import TagPorts, TagWorker
from costwarden.models.resource import Resource
from costwarden.policy import Policy, load_policy_text
from costwarden.ports_compute import Target
from costwarden.ports_tagging import TaggedResource
from costwarden.services.tag_grace import ComputePorts, GraceRun, compute_ref, stop_overdue
from costwarden.services.tag_plan import tag_plan_dict
from costwarden.services.tag_remediation import ResourceVerdict, TagRemediator, TagRunReport
from costwarden.services.tag_reports import build_tag_reports
from costwarden.tagging.remediation import TagChange
from functional.scheduling.fakes import ACCOUNT, FakeCloud, make
from functional.tagging.fakes import MemoryTagCloud
from tag_report_recorder import Recorder

MARKED = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
OVERDUE = MARKED + timedelta(days=8)
REGION = "eu-west-1"
TARGET = Target("aws", ACCOUNT, REGION)

POLICY_YAML = """
version: 1
slack: {default_channel: "#finops"}
teams:
  platform: {slack_channel: "#platform"}
safety:
  protected:
    - tags: {Environment: [prod]}
  max_actions_per_run: 10
  max_fleet_percent: 100
  dry_run: false
tagging:
  clouds: [aws]
  required:
    Owner: {pattern: '[^@ ]+@example\\.com', infer: [creator]}
  grace: {days: 7, action: stop}
  team: platform
"""


def policy(**safety: Any) -> Policy:
    text = POLICY_YAML
    for key, value in safety.items():
        text = text.replace(f"  {key}: ", f"  {key}: {value}  # was: ", 1)
    return load_policy_text(text, source="grace.yaml")


def arn(name: str) -> str:
    return f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/i-{name}"


def tagged(name: str, **tags: str) -> TaggedResource:
    return TaggedResource("aws", ACCOUNT, REGION, arn(name), "ec2:instance", tags, name=name)


def compute_vm(name: str, *, env: str = "dev", state: str = "running") -> Resource:
    return make("ec2_instance", name, env=env, state=state)


class Compute:
    """A compute factory over a FakeCloud that counts how often the sweep built it."""

    def __init__(self, cloud: FakeCloud) -> None:
        self.cloud = cloud
        self.built = 0

    def __call__(self) -> ComputePorts:
        self.built += 1
        return ComputePorts(self.cloud, self.cloud)


def sweep(
    pol: Policy, tags: MemoryTagCloud, compute: Compute, *, now: datetime, dry_run: bool = False
) -> tuple[TagRunReport, GraceRun | None]:
    assert pol.tagging is not None
    remediator = TagRemediator(pol, pol.tagging, cloud="aws")
    report = remediator.sweep(inventory=tags, writer=tags, now=now, dry_run=dry_run)
    grace = stop_overdue(
        report,
        policy=pol,
        rules=remediator.rules,
        compute=compute,
        cloud="aws",
        now=now,
        dry_run=dry_run,
    )
    report.grace = grace
    return report, grace


def marked_estate(*names: str) -> MemoryTagCloud:
    """Tag cloud whose resources were marked at MARKED (the first sweep)."""
    tags = MemoryTagCloud([tagged(n) for n in names])
    pol = policy()
    assert pol.tagging is not None
    TagRemediator(pol, pol.tagging, cloud="aws").sweep(inventory=tags, writer=tags, now=MARKED)
    return tags


def lines(report: TagRunReport, pol: Policy) -> tuple[str, ...]:
    assert pol.tagging is not None
    rules = TagRemediator(pol, pol.tagging, cloud="aws").rules
    [message] = build_tag_reports(
        report, policy=pol, rules=rules, target=TARGET.label, run_id="r", dry_run=False
    )
    return message.actions


def test_an_overdue_instance_is_stopped_and_the_report_says_so() -> None:
    tags = marked_estate("web", "api")
    tags.resources[arn("api")] = tagged("api", Owner="a@example.com")  # fixed in time
    cloud = FakeCloud.of([compute_vm("web"), compute_vm("api")])
    report, grace = sweep(policy(), tags, Compute(cloud), now=OVERDUE)
    assert grace is not None
    assert cloud.get("web").state == "stopped"
    assert cloud.get("api").state == "running"
    assert cloud.log == [("web", "stop")]
    assert grace.steps[arn("web")].status == "stopped"
    assert lines(report, policy()) == ("web: grace period over — stopped",)
    assert grace.plan is not None
    [action] = grace.plan.actions
    assert action.rule == "tagging.grace"
    assert "Owner" in action.reason


def test_not_yet_overdue_resources_are_untouched_and_compute_is_not_listed() -> None:
    tags = marked_estate("web")
    cloud = FakeCloud.of([compute_vm("web")])
    compute = Compute(cloud)
    report, grace = sweep(policy(), tags, compute, now=MARKED + timedelta(days=7))
    assert grace is None
    assert compute.built == 0
    assert cloud.get("web").state == "running"
    assert lines(report, policy()) == ()


def test_a_protected_instance_is_not_stopped_and_the_conflict_is_reported() -> None:
    tags = marked_estate("db", "web")
    cloud = FakeCloud.of([compute_vm("db", env="prod"), compute_vm("web")])
    report, grace = sweep(policy(), tags, Compute(cloud), now=OVERDUE)
    assert grace is not None
    assert cloud.get("db").state == "running"
    assert cloud.get("web").state == "stopped"
    step = grace.steps[arn("db")]
    assert step.status == "protected"
    assert "safety.protected[0]" in step.message
    assert any(
        line.startswith("db: grace period over — protected: not stopped")
        for line in lines(report, policy())
    )
    assert [s.kind for s in grace.plan.skipped] == ["protected"]  # type: ignore[union-attr]


def test_over_the_blast_radius_cap_nothing_is_stopped_and_the_report_says_why() -> None:
    pol = policy(max_actions_per_run=1)
    tags = marked_estate("a", "b")
    cloud = FakeCloud.of([compute_vm("a"), compute_vm("b")])
    report, grace = sweep(pol, tags, Compute(cloud), now=OVERDUE)
    assert grace is not None
    assert cloud.log == []
    assert {s.status for s in grace.steps.values()} == {"blocked"}
    for line in lines(report, pol):
        assert "blast-radius cap" in line
        assert "safety.max_actions_per_run (1)" in line


def test_the_fleet_percentage_counts_every_compute_resource_the_tag_policy_covers() -> None:
    pol = policy(max_fleet_percent=30)
    tags = marked_estate("a")
    cloud = FakeCloud.of([compute_vm("a"), compute_vm("b"), compute_vm("c")])
    _, grace = sweep(pol, tags, Compute(cloud), now=OVERDUE)
    assert grace is not None
    assert grace.plan is not None
    assert grace.plan.fleet_size == 3
    assert grace.plan.blocked is not None
    assert "1 of 3" in grace.plan.blocked
    assert cloud.log == []


@pytest.mark.parametrize("switch", ["sweep", "policy"])
def test_dry_run_stops_nothing_and_reports_what_it_would_do(switch: str) -> None:
    pol = policy(dry_run="true") if switch == "policy" else policy()
    tags = marked_estate("web")
    cloud = FakeCloud.of([compute_vm("web")])
    report, grace = sweep(pol, tags, Compute(cloud), now=OVERDUE, dry_run=switch == "sweep")
    assert grace is not None
    assert cloud.log == []
    assert cloud.get("web").state == "running"
    assert grace.steps[arn("web")].status == "would_stop"
    assert lines(report, pol) == ("web: grace period over — would be stopped (dry run)",)


def test_a_second_sweep_does_not_stop_again_and_says_it_stays_stopped() -> None:
    tags = marked_estate("web")
    cloud = FakeCloud.of([compute_vm("web")])
    sweep(policy(), tags, Compute(cloud), now=OVERDUE)
    report, grace = sweep(policy(), tags, Compute(cloud), now=OVERDUE + timedelta(days=1))
    assert grace is not None
    assert cloud.calls["web"] == 1
    assert grace.steps[arn("web")].status == "already_stopped"
    assert lines(report, policy()) == (
        "web: grace period over — stopped; stays stopped until tagged",
    )


class StoppedMeanwhile(FakeCloud):
    """Lists a resource as running, but it stopped before the actuator re-reads it."""

    def list_resources(self) -> Sequence[Resource]:
        listed = super().list_resources()
        for key, resource in list(self.resources.items()):
            self.resources[key] = dataclasses.replace(resource, state="stopped")
        return listed


def test_a_resource_stopped_between_listing_and_acting_is_reported_already_stopped() -> None:
    tags = marked_estate("web")
    cloud = StoppedMeanwhile({compute_vm("web").key: compute_vm("web")})
    report, grace = sweep(policy(), tags, Compute(cloud), now=OVERDUE)
    assert grace is not None
    assert cloud.calls["web"] == 0
    assert [o.status for o in grace.outcomes] == ["already"]
    assert lines(report, policy()) == ("web: grace period over — already stopped",)


def test_a_failed_stop_is_reported_with_the_clouds_message() -> None:
    tags = marked_estate("web")
    cloud = FakeCloud.of([compute_vm("web")], refuse={"web"})
    report, grace = sweep(policy(), tags, Compute(cloud), now=OVERDUE)
    assert grace is not None
    assert grace.steps[arn("web")].status == "failed"
    [line] = lines(report, policy())
    assert line.startswith("web: grace period over — stop failed: IncorrectInstanceState")


def test_notify_stops_nothing_and_escalates_as_before() -> None:
    pol = load_policy_text(POLICY_YAML.replace("action: stop", "action: notify"))
    tags = marked_estate("web")
    assert pol.tagging is not None
    remediator = TagRemediator(pol, pol.tagging, cloud="aws")
    report = remediator.sweep(inventory=tags, writer=tags, now=OVERDUE)
    assert report.grace is None
    assert lines(report, pol) == ("web: grace period over — escalated to platform",)


def test_overdue_resources_of_other_types_are_escalated_without_listing_compute() -> None:
    tags = MemoryTagCloud(
        [TaggedResource("aws", ACCOUNT, REGION, "arn:aws:s3:::logs", "s3:bucket", name="logs")]
    )
    pol = policy()
    assert pol.tagging is not None
    TagRemediator(pol, pol.tagging, cloud="aws").sweep(inventory=tags, writer=tags, now=MARKED)
    compute = Compute(FakeCloud())
    report, grace = sweep(pol, tags, compute, now=OVERDUE)
    assert compute.built == 0
    assert grace is not None
    assert grace.plan is None
    assert lines(report, pol) == (
        "logs: grace period over — not stopped (a type costwarden cannot stop): escalated to "
        "platform",
    )


def test_an_instance_the_scheduler_does_not_list_keeps_the_escalation() -> None:
    tags = marked_estate("member")  # e.g. an Auto Scaling group's instance
    report, grace = sweep(policy(), tags, Compute(FakeCloud()), now=OVERDUE)
    assert grace is not None
    assert grace.steps[arn("member")].status == "escalated"
    [line] = lines(report, policy())
    assert "not in the scheduler's inventory" in line
    assert line.endswith("escalated to platform")


def verdict(cloud: str, resource_id: str, kind: str, name: str = "") -> ResourceVerdict:
    resource = TaggedResource(cloud, "acct", None, resource_id, kind, name=name)  # type: ignore[arg-type]
    return ResourceVerdict(resource, TagChange({}, (), {}, {}), {"Owner": "missing"})


@pytest.mark.parametrize(
    ("cloud", "resource_id", "kind", "expected"),
    [
        (
            "aws",
            "arn:aws:ec2:eu-west-1:1:instance/i-0abc",
            "ec2:instance",
            ("ec2_instance", "i-0abc"),
        ),
        ("aws", "i-0abc", "ec2:instance", ("ec2_instance", "i-0abc")),
        ("aws", "arn:aws:rds:eu-west-1:1:db:orders", "rds:db", ("rds_instance", "orders")),
        (
            "aws",
            "arn:aws:autoscaling:eu-west-1:1:autoScalingGroup:uuid:autoScalingGroupName/web",
            "autoscaling:autoScalingGroup",
            ("asg", "web"),
        ),
        ("aws", "arn:aws:s3:::logs", "s3:bucket", None),
        (
            "azure",
            "/subscriptions/S/resourceGroups/RG/providers/Microsoft.Compute/virtualMachines/VM1",
            "Microsoft.Compute/virtualMachines",
            (
                "azure_vm",
                "/subscriptions/s/resourcegroups/rg/providers/microsoft.compute/virtualmachines/vm1",
            ),
        ),
        (
            "gcp",
            "projects/p/zones/europe-west1-b/instances/vm",
            "compute.googleapis.com/Instance",
            ("gce_instance", "europe-west1-b/vm"),
        ),
        ("gcp", "projects/p/zones/europe-west1-b/disks/d", "compute.googleapis.com/Disk", None),
    ],
)
def test_tagged_ids_map_to_the_compute_inventorys_ids(
    cloud: str, resource_id: str, kind: str, expected: tuple[str, str] | None
) -> None:
    assert compute_ref(verdict(cloud, resource_id, kind)) == expected


# -- through the worker and the plan JSON ------------------------------------------------------
def test_the_sweep_worker_stops_and_posts_and_the_plan_json_has_the_stop() -> None:
    pol = policy()
    assert pol.tagging is not None
    tags = marked_estate("web")
    cloud = FakeCloud.of([compute_vm("web")])
    notifier = Recorder()
    worker = TagWorker(
        cloud="aws",
        policy=pol,
        section=pol.tagging,
        remediator=TagRemediator(pol, pol.tagging, cloud="aws"),
        notifier=notifier,
        state=SqliteStateStore(":memory:"),
        dry_run=False,
        ports=lambda target: TagPorts(tags, tags, Compute(cloud)),
        targets=lambda: [TARGET],
    )
    [run] = worker.sweep(now=OVERDUE, run_id="sweep-1", owner="test")
    assert cloud.get("web").state == "stopped"
    assert run.summary()["stopped"] == 1
    [message] = notifier.messages
    assert message.actions == ("web: grace period over — stopped",)
    document = tag_plan_dict([(TARGET, run.report)], cloud="aws", at=OVERDUE, dry_run=False)
    [stop] = [a for a in document["actions"] if a["action"] == "stop"]  # type: ignore[union-attr,index]
    assert stop["status"] == "done"  # type: ignore[index]
    assert stop["rule"] == "tagging.grace"  # type: ignore[index]
    assert document["blocked"] is None


def test_a_resource_the_cloud_cannot_stop_keeps_the_escalation_with_the_reason() -> None:
    tags = marked_estate("web")
    reason = "instance-store root volume: can only be terminated, not stopped"
    vm = make("ec2_instance", "web", extra={"unsupported": reason})
    cloud = FakeCloud.of([vm])
    report, grace = sweep(policy(), tags, Compute(cloud), now=OVERDUE)
    assert grace is not None
    assert cloud.log == []
    assert grace.steps[arn("web")].status == "escalated"
    assert lines(report, policy()) == (
        f"web: grace period over — not stopped ({reason}): escalated to platform",
    )
