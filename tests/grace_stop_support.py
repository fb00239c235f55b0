"""What the grace-stop integration tests of the three clouds share: the day a violation is
marked, the day it is overdue, and the policy that stops an overdue resource (``grace.action:
stop``, production-tagged resources protected) for one cloud's resource types."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from costwarden.policy.loader import load_policy_text
from costwarden.policy.schema import Policy

MARKED = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
OVERDUE = MARKED + timedelta(days=8)  # past the 7-day grace


def grace_stop_policy(cloud: str, include_types: str, owner_pattern: str) -> Policy:
    """``include_types``: the YAML list's items (``"ec2:instance", "rds:db"``);
    ``owner_pattern``: the Owner tag's pattern as it stands in single-quoted YAML."""
    return load_policy_text(
        f"""
version: 1
slack: {{default_channel: "#finops"}}
safety:
  protected:
    - tags: {{Environment: [prod]}}
  max_fleet_percent: 100
tagging:
  clouds: [{cloud}]
  include_types: [{include_types}]
  required:
    Owner: {{pattern: '{owner_pattern}', infer: [creator]}}
  grace: {{days: 7, action: stop}}
""",
        source="grace.yaml",
    )
