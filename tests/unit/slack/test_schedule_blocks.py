"""Block Kit rendering of the scheduler's per-team report."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from costwarden.adapters.slack.budget_blocks import BLOCKS_MAX, SECTION_TEXT_MAX
from costwarden.adapters.slack.schedule_blocks import render_schedule_report
from costwarden.models.schedule_report import ReportLine, ScheduleReportMessage

AT = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)


def line(name: str = "web-1", kind: str = "stop", **kw: Any) -> ReportLine:
    fields: dict[str, Any] = {
        "name": name,
        "resource_id": f"i-{name}",
        "resource_type": "ec2_instance",
        "region": "eu-west-1",
        "kind": kind,
        "detail": "outside the hours of schedule office-hours",
    }
    fields.update(kw)
    return ReportLine(**fields)


def message(**kw: Any) -> ScheduleReportMessage:
    fields: dict[str, Any] = {
        "team": "platform",
        "channel": "#platform",
        "target": "aws/123456789012/eu-west-1",
        "run_id": "run-1",
        "cloud": "aws",
        "at": AT,
        "mentions": ("U012ABCDEF",),
    }
    fields.update(kw)
    return ScheduleReportMessage(**fields)


def rendered(msg: ScheduleReportMessage) -> tuple[str, list[dict[str, Any]], str]:
    text, blocks = render_schedule_report(msg)
    dicts = [b.to_dict() for b in blocks]  # slack-sdk validates Block Kit limits here
    return text, dicts, json.dumps(dicts, ensure_ascii=False)


def test_applied_run_lists_stops_and_starts_with_the_monthly_saving() -> None:
    msg = message(
        stopped=(line(saving=Decimal("41.23")),),
        started=(line("db-1", "start", detail="within the hours of schedule office-hours"),),
        estimated_monthly_saving=Decimal("41.23"),
        saving_basis="focus",
    )
    text, blocks, body = rendered(msg)
    assert "1 stopped" in text
    assert "Saves $41.23" in text
    assert "*Stopped* (1)" in body
    assert "*Started* (1)" in body
    assert "$41.23/mo" in body
    assert "billed costs" in body
    assert "estimate" not in body
    assert blocks[0]["type"] == "header"


def test_price_table_savings_are_labelled_as_an_estimate() -> None:
    msg = message(
        stopped=(line(saving=Decimal(10)),),
        estimated_monthly_saving=Decimal(10),
        saving_basis="price_table",
    )
    text, _, body = rendered(msg)
    assert "≈ $10.00 (estimate)" in body
    assert "estimate from on-demand list prices" in body
    assert "(estimate)" in text


def test_other_currencies_are_shown_next_to_the_total_never_added() -> None:
    msg = message(
        stopped=(line(),),
        estimated_monthly_saving=Decimal(10),
        currency="EUR",
        saving_basis="focus",
        other_currencies=(("USD", Decimal(3)),),
    )
    _, _, body = rendered(msg)
    assert "10.00 EUR + $3.00" in body


def test_blocked_plan_says_nothing_changed_why_and_mentions_the_team() -> None:
    msg = message(stopped=(line(),), blocked="150 actions planned, more than 100")
    text, blocks, body = rendered(msg)
    assert "blocked" in blocks[0]["text"]["text"].lower()
    assert "Nothing was changed" in body
    assert "150 actions planned" in body
    assert "max_actions_per_run" in body
    assert "Would stop" in body
    assert "<@U012ABCDEF>" in text


def test_dry_run_says_so_and_uses_would_wording() -> None:
    msg = message(stopped=(line(),), dry_run=True)
    text, blocks, body = rendered(msg)
    assert "dry run" in blocks[0]["text"]["text"].lower()
    assert "Dry run" in body
    assert "would stop" in body
    assert "would stop 1" in text
    assert "<@U012ABCDEF>" not in text  # nothing needs anyone's attention


def test_failures_are_listed_with_the_cloud_error_and_mention_people() -> None:
    msg = message(
        stopped=(line("ok-1"),), failed=(line("bad-1", detail="UnauthorizedOperation: denied"),)
    )
    text, _, body = rendered(msg)
    assert "UnauthorizedOperation: denied" in body
    assert "1 failed" in text
    assert "<@U012ABCDEF>" in text


def test_upcoming_stops_tell_how_to_keep_a_resource_running() -> None:
    hint = "To keep one running, tag it `costwarden:keep-running-until` = `2026-11-21T07:00Z`"
    msg = message(
        upcoming=(
            line(detail="schedule office-hours stops it at 19:00 Europe/Berlin (in 25 min)"),
        ),
        keep_running_hint=hint,
    )
    text, blocks, body = rendered(msg)
    assert "coming up" in blocks[0]["text"]["text"]
    assert "costwarden:keep-running-until" in body
    assert "19:00 Europe/Berlin" in body
    assert "1 stopping soon" in text
    assert "<@U012ABCDEF>" in text


def test_protected_resources_are_counted_but_only_conflicts_are_listed() -> None:
    msg = message(
        stopped=(line(),),
        skipped=(
            line("prod-1", "protected", detail="protected by safety.protected[0]: never acted on"),
            line(
                "prod-2",
                "protected",
                detail="tagged costwarden:schedule=office-hours but protected by "
                "safety.protected[0]: never acted on",
            ),
            line("dev-9", "manual_start", detail="started by someone"),
        ),
    )
    _, _, body = rendered(msg)
    assert "2 protected, 1 manual start" in body
    assert "prod-2" in body
    assert "prod-1" not in body
    assert "dev-9" in body


def test_thousands_of_lines_stay_within_block_kit_limits_with_a_count_of_the_rest() -> None:
    many = tuple(line(f"instance-{i:05d}-{'x' * 60}", saving=Decimal(1)) for i in range(3000))
    msg = message(
        stopped=many,
        started=many,
        failed=many,
        upcoming=many,
        skipped=tuple(line(f"s{i}", "manual_start") for i in range(3000)),
        keep_running_hint="x" * 5000,
    )
    _, blocks, body = rendered(msg)
    assert len(blocks) <= BLOCKS_MAX
    for block in blocks:
        if block["type"] == "section" and "text" in block:
            assert len(block["text"]["text"]) <= SECTION_TEXT_MAX
    assert "more" in body
    assert "*Stopped* (3000)" in body


@pytest.mark.parametrize("name", ["<!channel>", "a&b>c", "`tick`"])
def test_resource_names_cannot_ping_or_break_formatting(name: str) -> None:
    _, _, body = rendered(message(stopped=(line(name),)))
    assert "<!channel>" not in body
    assert "&lt;!channel&gt;" in body or "&amp;" in body or "'tick'" in body


def test_unassigned_resources_report_says_so() -> None:
    text, blocks, _ = rendered(message(team=None, stopped=(line(),)))
    assert "unassigned" in blocks[0]["text"]["text"]
    assert "unassigned" in text
