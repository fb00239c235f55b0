"""Which team hears about a resource, and what its report counts: the scheduler's reading of
the team tag (``allocation.team_tag`` or its default ``keys: [team]``, any key casing, the
Google label spelling, values trimmed and case-folded), so one resource has one team in every
report costwarden sends."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from costwarden.models.budget import Provider
from costwarden.policy.loader import load_policy_text
from costwarden.policy.schema import Policy
from costwarden.ports_tagging import TaggedResource
from costwarden.services.tag_remediation import TagRemediator
from costwarden.services.tag_reports import build_tag_reports

from .fakes import MemoryTagCloud

NOW = datetime(2026, 11, 27, 9, 15, tzinfo=UTC)
BASE = """
version: 1
slack: {default_channel: "#finops"}
teams:
  platform: {slack_channel: "#platform"}
  data: {slack_channel: "#data"}
tagging:
  clouds: [aws, gcp]
  required:
    CostCenter: {pattern: 'cc-[0-9]{3}'}
  team: platform
"""
GCE = "compute.googleapis.com/Instance"
WITH_ALLOCATION = BASE + 'allocation:\n  team_tag: {keys: [Team], values: {"Data Eng": data}}\n'


def resource(cloud: Provider, rid: str, tags: dict[str, str]) -> TaggedResource:
    if cloud == "aws":
        return TaggedResource("aws", "123456789012", "eu-west-1", rid, "ec2:instance", tags)
    name = f"projects/proj/zones/europe-west4-a/instances/{rid}"
    return TaggedResource("gcp", "proj", "europe-west4-a", name, GCE, tags)


def channels(policy: Policy, cloud: Provider, tags: dict[str, str]) -> list[str]:
    assert policy.tagging is not None
    remediator = TagRemediator(policy, policy.tagging, cloud=cloud)
    memory = MemoryTagCloud([resource(cloud, "i-1", tags)])
    report = remediator.sweep(inventory=memory, writer=memory, now=NOW, dry_run=True)
    messages = build_tag_reports(
        report, policy=policy, rules=remediator.rules, target="t", run_id="r", dry_run=True
    )
    return [m.route.channel for m in messages]


@pytest.mark.parametrize(
    ("cloud", "tags"),
    [
        ("aws", {"Team": "data"}),
        ("aws", {"Team": "Data"}),
        ("aws", {"team": "data"}),  # another casing of the key
        ("aws", {"Team": "Data Eng "}),  # a mapped value, with a stray space
        ("gcp", {"team": "data"}),  # the label spelling of Team
    ],
)
def test_the_team_tag_is_read_as_the_scheduler_reads_it(
    cloud: Provider, tags: dict[str, str]
) -> None:
    assert channels(load_policy_text(WITH_ALLOCATION), cloud, tags) == ["#data"]


@pytest.mark.parametrize("cloud", ["aws", "gcp"])
def test_without_an_allocation_section_the_default_team_key_counts(cloud: Provider) -> None:
    assert channels(load_policy_text(BASE), cloud, {"team": "data"}) == ["#data"]


def test_a_team_tag_naming_no_known_team_falls_back_to_the_tagging_team() -> None:
    assert channels(load_policy_text(WITH_ALLOCATION), "aws", {"Team": "sales"}) == ["#platform"]


def test_a_team_report_counts_the_team_s_own_resources() -> None:
    policy = load_policy_text(WITH_ALLOCATION)
    assert policy.tagging is not None
    good = [resource("aws", f"i-{i}", {"Team": "data", "CostCenter": "cc-100"}) for i in range(9)]
    bad = resource("aws", "i-bad", {"Team": "data"})
    other = resource("aws", "i-web", {})
    memory = MemoryTagCloud([*good, bad, other])
    remediator = TagRemediator(policy, policy.tagging, cloud="aws")
    report = remediator.sweep(inventory=memory, writer=memory, now=NOW)
    messages = build_tag_reports(
        report, policy=policy, rules=remediator.rules, target="t", run_id="r", dry_run=False
    )
    counts = {m.route.team: (m.checked, m.compliant) for m in messages}
    assert counts == {"data": (10, 9), "platform": (1, 0)}
