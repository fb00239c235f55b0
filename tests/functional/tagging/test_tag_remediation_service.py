"""Tag remediation, event-driven and sweeping, on in-memory clouds."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from costwarden.normalize.resource_change import parse_resource_change
from costwarden.policy.loader import load_policy_text
from costwarden.policy.tagging import TaggingSection
from costwarden.ports_tagging import ParentTags, TaggedResource
from costwarden.services.tag_remediation import TagRemediator
from costwarden.services.tag_reports import build_tag_reports
from costwarden.tagging.marks import mark_deadline

from .fakes import MemoryTagCloud

EVENTS = Path(__file__).resolve().parents[3] / "events"
NOW = datetime(2026, 11, 27, 9, 15, tzinfo=UTC)
POLICY = load_policy_text(
    """
version: 1
slack: {default_channel: "#finops"}
teams:
  platform: {slack_channel: "#platform"}
  data: {slack_channel: "#data"}
allocation:
  team_tag: {keys: [team]}
"""
)
SECTION = TaggingSection.model_validate(
    {
        "clouds": ["aws"],
        "required": {
            "Environment": {"aliases": ["env"], "values": ["dev", "test", "prod"]},
            "Owner": {"pattern": r"[^@ ]+@example\.com", "infer": ["creator"]},
            "CostCenter": {"pattern": r"cc-[0-9]{3}"},
        },
        "owner_key": "Owner",
        "defaults": [{"accounts": ["123456789012"], "tags": {"CostCenter": "cc-100"}}],
        "grace": {"days": 7, "action": "notify"},
        "team": "platform",
    }
)


def ec2(rid: str, **tags: str) -> TaggedResource:
    return TaggedResource("aws", "123456789012", "eu-west-1", rid, "ec2:instance", tags)


def remediator() -> TagRemediator:
    return TagRemediator(POLICY, SECTION, cloud="aws")


def test_creation_event_tags_owner_from_creator_and_the_rest_from_parent_and_defaults() -> None:
    [change] = parse_resource_change(
        json.loads((EVENTS / "aws/resource_created_run_instances_sso.json").read_text())
    )
    cloud = MemoryTagCloud(
        [ec2("i-0a1b2c3d4e5f60001", Name="build-agent"), ec2("i-0a1b2c3d4e5f60002")],
        parents={
            "i-0a1b2c3d4e5f60001": [ParentTags("autoscaling_group", "build-asg", {"env": "test"})]
        },
    )
    report = remediator().on_change(change, inventory=cloud, writer=cloud, now=NOW)
    first = cloud.resources["i-0a1b2c3d4e5f60001"].tags
    assert first == {
        "Name": "build-agent",
        "Environment": "test",
        "Owner": "alice@example.com",
        "CostCenter": "cc-100",
    }
    # the second instance has no parent: Environment cannot be known -> marked with a deadline
    second = cloud.resources["i-0a1b2c3d4e5f60002"].tags
    assert second["Owner"] == "alice@example.com"
    assert mark_deadline(second["costwarden:tag-violation"]) == NOW.date() + timedelta(days=7)
    assert "Environment" in second["costwarden:tag-violation"]
    assert len(cloud.write_calls) == 1, "both resources in one batched write"
    assert [v.resource.resource_id for v in report.violating] == ["i-0a1b2c3d4e5f60002"]


def test_tags_the_creator_added_in_the_meantime_win() -> None:
    [change] = parse_resource_change(
        json.loads((EVENTS / "aws/resource_created_run_instances_sso.json").read_text())
    )
    cloud = MemoryTagCloud([ec2("i-0a1b2c3d4e5f60001"), ec2("i-0a1b2c3d4e5f60002")])
    cloud.before_read.append(("i-0a1b2c3d4e5f60001", {"Owner": "bob@example.com"}))
    remediator().on_change(change, inventory=cloud, writer=cloud, now=NOW)
    assert cloud.resources["i-0a1b2c3d4e5f60001"].tags["Owner"] == "bob@example.com"


def test_sweep_twice_writes_nothing_the_second_time() -> None:
    cloud = MemoryTagCloud(
        [
            ec2("i-1", env="dev"),
            ec2("i-2", Environment="prod", Owner="x@example.com", CostCenter="cc-200"),
            ec2("i-3"),
        ]
    )
    first = remediator().sweep(inventory=cloud, writer=cloud, now=NOW)
    assert first.checked == 3
    assert first.compliant == 1
    second = remediator().sweep(inventory=cloud, writer=cloud, now=NOW)
    assert len(cloud.write_calls) == 1
    assert [v.outcome for v in second.verdicts] == [None, None]
    assert {v.resource.resource_id for v in second.violating} == {"i-1", "i-3"}


def test_compliant_resource_loses_its_mark() -> None:
    cloud = MemoryTagCloud([ec2("i-1", env="dev", CostCenter="cc-001")])
    remediator().sweep(inventory=cloud, writer=cloud, now=NOW)
    assert "costwarden:tag-violation" in cloud.resources["i-1"].tags
    cloud.resources["i-1"] = ec2("i-1", **{**cloud.resources["i-1"].tags, "Owner": "o@example.com"})
    report = remediator().sweep(inventory=cloud, writer=cloud, now=NOW)
    assert "costwarden:tag-violation" not in cloud.resources["i-1"].tags
    assert report.violating == []


def test_after_the_grace_period_the_team_report_escalates_the_resource() -> None:
    cloud = MemoryTagCloud(
        [ec2("i-1"), ec2("i-2", Environment="dev", Owner="a@example.com", CostCenter="cc-001")]
    )
    first = remediator().sweep(inventory=cloud, writer=cloud, now=NOW)
    assert first.overdue == []  # just marked
    later = remediator().sweep(inventory=cloud, writer=cloud, now=NOW + timedelta(days=8))
    assert [v.resource.resource_id for v in later.overdue] == ["i-1"]
    [message] = build_tag_reports(
        later,
        policy=POLICY,
        rules=remediator().rules,
        target="aws/123456789012/eu-west-1",
        run_id="r",
        dry_run=False,
    )
    assert message.actions == ("i-1: grace period over — escalated to platform",)
    assert message.violations[0].overdue


def test_dry_run_writes_nothing_but_reports_everything() -> None:
    cloud = MemoryTagCloud([ec2("i-1", env="dev")])
    report = remediator().sweep(inventory=cloud, writer=cloud, now=NOW, dry_run=True)
    assert cloud.write_calls == []
    assert cloud.resources["i-1"].tags == {"env": "dev"}
    [verdict] = report.verdicts
    assert verdict.outcome is not None
    assert verdict.outcome.status == "not_applied"
    assert verdict.change.set["Environment"] == "dev"


def test_one_failing_write_does_not_stop_the_others() -> None:
    cloud = MemoryTagCloud(
        [ec2("i-1", env="dev"), ec2("i-2", env="test")], failing=frozenset({"i-1"})
    )
    report = remediator().sweep(inventory=cloud, writer=cloud, now=NOW)
    assert [v.resource.resource_id for v in report.failed] == ["i-1"]
    assert cloud.resources["i-2"].tags["Environment"] == "test"


def test_parents_are_only_looked_up_for_resources_that_miss_something() -> None:
    cloud = MemoryTagCloud(
        [
            ec2("i-ok", Environment="dev", Owner="a@example.com", CostCenter="cc-001"),
            ec2("i-alias", env="dev", Owner="a@example.com", CostCenter="cc-001"),
        ]
    )
    remediator().sweep(inventory=cloud, writer=cloud, now=NOW)
    assert cloud.parent_lookups == 0


def test_team_comes_from_the_team_tag_else_the_tagging_default() -> None:
    cloud = MemoryTagCloud([ec2("i-1", team="data"), ec2("i-2")])
    report = remediator().sweep(inventory=cloud, writer=cloud, now=NOW)
    assert {v.resource.resource_id: v.team for v in report.verdicts} == {
        "i-1": "data",
        "i-2": "platform",
    }


def test_a_cloud_outside_the_policy_is_refused() -> None:
    section = TaggingSection.model_validate({"clouds": ["aws"], "required": {"Owner": {}}})
    with pytest.raises(ValueError, match="does not cover gcp"):
        TagRemediator(POLICY, section, cloud="gcp")


def test_the_mark_lists_only_what_is_still_missing_and_keeps_its_deadline() -> None:
    cloud = MemoryTagCloud([ec2("i-1")])
    remediator().sweep(inventory=cloud, writer=cloud, now=NOW)
    mark = cloud.resources["i-1"].tags["costwarden:tag-violation"]
    assert mark == f"due={mark_deadline(mark)} missing=Environment+Owner"
    # a person adds Environment; Owner is still missing the next day
    cloud.resources["i-1"] = ec2("i-1", **{**cloud.resources["i-1"].tags, "Environment": "dev"})
    remediator().sweep(inventory=cloud, writer=cloud, now=NOW + timedelta(days=1))
    again = cloud.resources["i-1"].tags["costwarden:tag-violation"]
    assert again == f"due={mark_deadline(mark)} missing=Owner"
    writes = len(cloud.write_calls)
    remediator().sweep(inventory=cloud, writer=cloud, now=NOW + timedelta(days=2))
    assert len(cloud.write_calls) == writes, "an unchanged mark is not rewritten"


def test_a_resource_without_room_for_the_mark_says_so_in_every_report() -> None:
    """The deadline lives in the mark: a full resource can never reach its grace period, so
    the report must say why rather than list it as an ordinary violation forever."""
    full = {f"k{i}": "v" for i in range(48)}
    cloud = MemoryTagCloud([ec2("i-1", **full, Environment="dev", Owner="a@example.com")])
    report = remediator().sweep(inventory=cloud, writer=cloud, now=NOW)
    [verdict] = report.verdicts
    assert verdict.due is None
    assert "CostCenter" in verdict.unresolved  # the defaults' value has no room either
    assert "no room for the violation mark" in verdict.unresolved["costwarden:tag-violation"]
    [message] = build_tag_reports(
        report, policy=POLICY, rules=remediator().rules, target="t", run_id="r", dry_run=False
    )
    assert any("no room for the violation mark" in p for p in message.violations[0].problems)
