"""Fixtures for allocation tests: FOCUS Parquet written with DuckDB, a policy, an allocator."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from costwarden.focus.allocation import FocusAllocator
from costwarden.models.allocation import AllocatedCosts
from costwarden.policy import Policy, load_policy_text
from unit.allocation.focus_parquet import write_focus_parquet

TEAMS_POLICY = """
version: 1
slack:
  default_channel: "#finops-alerts"
teams:
  platform:
    slack_channel: "#platform-costs"
  data:
    slack_channel: "#data-costs"
  web: {}
"""

Allocate = Callable[..., AllocatedCosts]


def policy_with(allocation_yaml: str = "") -> Policy:
    """The three-team policy plus an ``allocation:`` section (YAML, indented by the caller)."""
    text = TEAMS_POLICY + (f"allocation:\n{allocation_yaml}" if allocation_yaml.strip() else "")
    return load_policy_text(text, source="test-policy.yaml")


@pytest.fixture
def allocate(tmp_path: Path) -> Allocate:
    """``allocate(rows, allocation_yaml, start=, end=)``: write the rows, allocate them."""

    def run(
        rows: Iterable[Mapping[str, Any]],
        allocation_yaml: str = "",
        *,
        start: date = date(2026, 11, 1),
        end: date = date(2026, 12, 1),
        **options: Any,
    ) -> AllocatedCosts:
        root = write_focus_parquet(tmp_path / "focus", rows)
        return FocusAllocator(root).allocated_costs(
            policy_with(allocation_yaml), start=start, end=end, **options
        )

    return run
