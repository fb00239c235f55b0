"""Paired fixtures: every ``events/<cloud>/budget_x.json`` with an ``x.expected.json`` sibling.

GIVEN a real-shaped trigger payload WHEN it is normalized THEN the alerts (dumped as JSON,
dedup key included) equal the expected file exactly. Regenerating an expected file is a
decision to review, not a chore: the key in it is what decides whether Slack is posted.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from costwarden.normalize.budget import parse_budget_event
from unit.normalize.budget_fixture_paths import BUDGET_CLOUDS, EVENTS, RECEIVED_AT


def _pairs() -> list[Path]:
    return sorted(
        event
        for event in EVENTS.glob("*/budget_*.json")
        if not event.name.endswith(".expected.json")
        and event.with_name(f"{event.stem}.expected.json").exists()
    )


PAIRS = _pairs()


@pytest.mark.parametrize("event", PAIRS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_event_normalizes_to_its_expected_fixture(event: Path) -> None:
    payload = json.loads(event.read_text(encoding="utf-8"))
    expected = json.loads(event.with_name(f"{event.stem}.expected.json").read_text("utf-8"))

    alerts = parse_budget_event(payload, received_at=RECEIVED_AT)

    assert [alert.model_dump(mode="json") for alert in alerts] == expected


@pytest.mark.parametrize("cloud", BUDGET_CLOUDS)
def test_every_budget_sample_event_has_an_expected_fixture(cloud: str) -> None:
    samples = [
        p for p in (EVENTS / cloud).glob("budget_*.json") if not p.name.endswith(".expected.json")
    ]
    assert samples, f"no budget sample events for {cloud}"
    missing = [p.name for p in samples if not p.with_name(f"{p.stem}.expected.json").exists()]
    assert missing == []


def test_required_variants_are_covered_by_sample_events() -> None:
    names = {f"{p.parent.name}/{p.stem}" for p in PAIRS}
    required = {
        "aws/budget_monthly_actual",
        "aws/budget_monthly_forecasted",
        "aws/budget_daily_actual",
        "aws/budget_quarterly_actual",
        "aws/budget_annual_forecasted",
        "aws/budget_usage_actual",
        "aws/budget_thousands_separators",
        "gcp/budget_actual_crossed",
        "gcp/budget_forecast_crossed",
        "gcp/budget_status_not_crossed",
        "gcp/budget_legacy_background_event",
        "gcp/budget_push_body",
        "azure/budget_common_actual",
        "azure/budget_common_forecasted",
        "azure/budget_legacy_aip",
    }
    assert required <= names
