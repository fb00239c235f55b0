"""``send_daily_digests`` end to end: FOCUS Parquet -> DuckDB allocation -> Slack message + PNG.

GIVEN forty days of generated FOCUS data, a fixed "today" (20 Nov 2026, 07:00 UTC) and the
LocalSlackServer, WHEN the daily schedule fires, THEN each team and the overall digest arrive
once, in the right channel, each with its chart uploaded through files_upload_v2.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from costwarden.adapters.focus.duckdb_cost_drivers import CostDataError
from costwarden.adapters.local.sqlite_state import SqliteStateStore
from costwarden.adapters.slack.notifier import SlackNotifier, build_slack_client
from costwarden.focus.allocation import FocusAllocator
from costwarden.local.slack_server import DEFAULT_TOKEN, LocalSlackServer
from costwarden.models.allocation import summarize
from costwarden.policy import load_policy_text
from costwarden.services.cost_digest import DigestsIncompleteError, send_daily_digests
from integration.digest.conftest import DAY, NOW, CountingCostData, FixedClock, digest_policy
from unit.allocation.focus_parquet import parquet_total

pytestmark = pytest.mark.integration

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run(**deps: Any) -> Any:
    deps.setdefault("policy", digest_policy())
    return send_daily_digests(**deps)


def digest_messages(server: LocalSlackServer) -> list[dict[str, Any]]:
    return [m for m in server.messages if not m.get("upload")]


def header(message: dict[str, Any]) -> str:
    return str(message["blocks"][0]["text"]["text"])


def test_each_team_and_the_overall_digest_arrive_in_their_channels_with_a_png_chart(
    slack_server: LocalSlackServer,
    notifier: SlackNotifier,
    cost_data: CountingCostData,
    state: SqliteStateStore,
    clock: FixedClock,
) -> None:
    result = run(notifier=notifier, cost_data=cost_data, clock=clock, state=state)

    assert [(o.team, o.status) for o in result.outcomes] == [
        ("data", "posted"),
        ("platform", "posted"),
        ("web", "posted"),
        (None, "posted"),
    ]
    assert [(m["channel_name"], header(m)) for m in digest_messages(slack_server)] == [
        ("data-costs", ":bar_chart: Daily cost · data · Thu 19 Nov 2026"),
        ("platform-costs", ":bar_chart: Daily cost · platform · Thu 19 Nov 2026"),
        # web has no channel of its own, and the overall digest has no digest.channel
        ("finops-alerts", ":bar_chart: Daily cost · web · Thu 19 Nov 2026"),
        ("finops-alerts", ":bar_chart: Daily cost · All teams · Thu 19 Nov 2026"),
    ]

    files = slack_server.uploaded_files
    assert len(files) == 4
    for outcome, file in zip(result.outcomes, files, strict=True):
        assert file.id == outcome.file_id
        assert file.content.startswith(PNG_MAGIC)
        assert len(file.content) > 20_000
        assert file.channel == outcome.channel  # the id chat.postMessage answered with
        assert file.thread_ts is None
        assert file.initial_comment
    assert [r.api_method for r in slack_server.requests][:4] == [
        "chat.postMessage",
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]
    assert cost_data.calls == [(DAY - timedelta(days=29), DAY + timedelta(days=1))]


def test_the_overall_digest_adds_up_to_the_cost_in_the_files(
    slack_server: LocalSlackServer,
    notifier: SlackNotifier,
    cost_data: CountingCostData,
    state: SqliteStateStore,
    clock: FixedClock,
    focus_dir: Path,
) -> None:
    run(notifier=notifier, cost_data=cost_data, clock=clock, state=state)

    overall = next(m for m in digest_messages(slack_server) if "All teams" in header(m))
    by_team = next(b["text"]["text"] for b in overall["blocks"] if "*By team*" in str(b))
    amounts = [Decimal(a.replace(",", "")) for a in re.findall(r"— \$([\d,]+\.\d\d)", by_team)]
    *rows, total = amounts
    november = FocusAllocator(focus_dir).allocated_costs(
        digest_policy(), start=DAY.replace(day=1), end=DAY + timedelta(days=1)
    )
    assert "_Unallocated_ — $209.00" in by_team  # 19 days of the untagged Lambda
    assert sum(rows) == total == november.total("USD").quantize(Decimal("0.01"))
    assert summarize(november, "USD").total == november.total("USD")
    assert parquet_total(focus_dir) == FocusAllocator(focus_dir).allocated_costs(
        digest_policy(), start=DAY - timedelta(days=60), end=DAY + timedelta(days=1)
    ).total("USD")


def test_a_second_run_the_same_day_posts_nothing_and_reads_no_cost_data(
    slack_server: LocalSlackServer,
    notifier: SlackNotifier,
    cost_data: CountingCostData,
    state: SqliteStateStore,
    clock: FixedClock,
) -> None:
    first = run(notifier=notifier, cost_data=cost_data, clock=clock, state=state)
    clock.at = NOW + timedelta(hours=3)  # the scheduler fired again, or retried

    second = run(notifier=notifier, cost_data=cost_data, clock=clock, state=state)

    assert {o.status for o in second.outcomes} == {"duplicate"}
    assert [o.ts for o in second.outcomes] == [o.ts for o in first.outcomes]
    assert len(digest_messages(slack_server)) == 4
    assert len(slack_server.uploaded_files) == 4
    assert len(cost_data.calls) == 1


def test_the_next_day_brings_the_next_digests(
    slack_server: LocalSlackServer,
    notifier: SlackNotifier,
    cost_data: CountingCostData,
    state: SqliteStateStore,
    clock: FixedClock,
) -> None:
    run(notifier=notifier, cost_data=cost_data, clock=clock, state=state)
    clock.at = NOW + timedelta(days=1)

    result = run(notifier=notifier, cost_data=cost_data, clock=clock, state=state)

    assert result.day == DAY + timedelta(days=1)
    assert {o.status for o in result.outcomes} == {"posted"}
    assert len(digest_messages(slack_server)) == 8
    # The export has no row for 20 November yet: the digest says so rather than show $0.
    assert "no cost data yet (latest: Thu 19 Nov)" in str(digest_messages(slack_server)[-1])


def test_a_trigger_redelivered_after_midnight_sends_nothing_and_the_next_day_is_untouched(
    slack_server: LocalSlackServer,
    notifier: SlackNotifier,
    cost_data: CountingCostData,
    state: SqliteStateStore,
    clock: FixedClock,
) -> None:
    # 20 Nov's 07:00 tick, redelivered at 00:05 on 21 Nov (Pub/Sub keeps trying for a day).
    clock.at = NOW + timedelta(hours=17, minutes=5)

    late = run(notifier=notifier, cost_data=cost_data, clock=clock, state=state, scheduled_at=NOW)
    clock.at = NOW + timedelta(days=1)  # 21 Nov's own tick
    today = run(
        notifier=notifier,
        cost_data=cost_data,
        clock=clock,
        state=state,
        scheduled_at=NOW + timedelta(days=1),
    )

    assert late.stale
    assert (late.day, late.outcomes) == (DAY, ())
    assert cost_data.calls[0] == (DAY + timedelta(days=1) - timedelta(days=29), DAY + timedelta(2))
    assert today.day == DAY + timedelta(days=1)
    assert {o.status for o in today.outcomes} == {"posted"}  # not "duplicate": none went early
    assert len(digest_messages(slack_server)) == 4


def test_a_retry_later_the_same_day_still_reports_on_the_scheduled_day(
    slack_server: LocalSlackServer,
    notifier: SlackNotifier,
    cost_data: CountingCostData,
    state: SqliteStateStore,
    clock: FixedClock,
) -> None:
    clock.at = NOW + timedelta(hours=16, minutes=59)  # 23:59 on 20 Nov

    result = run(notifier=notifier, cost_data=cost_data, clock=clock, state=state, scheduled_at=NOW)

    assert not result.stale
    assert result.day == DAY
    assert {o.status for o in result.outcomes} == {"posted"}


def test_a_failed_chart_upload_is_retried_without_posting_the_message_twice(
    slack_server: LocalSlackServer,
    notifier: SlackNotifier,
    cost_data: CountingCostData,
    state: SqliteStateStore,
    clock: FixedClock,
) -> None:
    slack_server.fail_next(4, method="upload", status=500)  # past the notifier's 3 retries

    with pytest.raises(DigestsIncompleteError) as failed:
        run(notifier=notifier, cost_data=cost_data, clock=clock, state=state)
    retried = run(notifier=notifier, cost_data=cost_data, clock=clock, state=state)

    assert next((o.team, o.status) for o in failed.value.run.outcomes) == ("data", "failed")
    assert "could not upload the chart" in str(failed.value)
    assert [(o.team, o.status) for o in retried.outcomes] == [
        ("data", "posted"),
        ("platform", "duplicate"),
        ("web", "duplicate"),
        (None, "duplicate"),
    ]
    data_messages = [m for m in digest_messages(slack_server) if m["channel_name"] == "data-costs"]
    assert len(data_messages) == 1
    assert retried.outcomes[0].ts == data_messages[0]["ts"]
    assert len(slack_server.uploaded_files) == 4


@pytest.mark.parametrize("status", [429, 500, 503])
def test_a_chart_upload_refused_once_is_retried_in_the_same_run(
    slack_server: LocalSlackServer,
    notifier: SlackNotifier,
    cost_data: CountingCostData,
    state: SqliteStateStore,
    clock: FixedClock,
    status: int,
) -> None:
    # The byte upload is a plain POST outside slack-sdk's retry handlers (429: Retry-After 1).
    slack_server.fail_next(method="upload", status=status)

    result = run(notifier=notifier, cost_data=cost_data, clock=clock, state=state)

    assert {o.status for o in result.outcomes} == {"posted"}
    assert len(digest_messages(slack_server)) == 4
    assert len(slack_server.uploaded_files) == 4


def test_one_team_failing_does_not_stop_the_others(
    cost_data: CountingCostData,
    state: SqliteStateStore,
    clock: FixedClock,
) -> None:
    # The bot was never invited to #data-costs.
    channels = {"platform-costs": "C0PLATFORM1", "finops-alerts": "C0FINOPS01"}
    with LocalSlackServer(channels=channels, unknown_channels="not_found") as server:
        notifier = SlackNotifier(
            build_slack_client(DEFAULT_TOKEN, base_url=server.base_url, backoff_factor=0.01)
        )
        with pytest.raises(DigestsIncompleteError) as failed:
            run(notifier=notifier, cost_data=cost_data, clock=clock, state=state)

        assert [(o.team, o.status) for o in failed.value.run.outcomes] == [
            ("data", "failed"),
            ("platform", "posted"),
            ("web", "posted"),
            (None, "posted"),
        ]
        assert "channel_not_found" in str(failed.value)
        assert len(server.uploaded_files) == 3
    assert state.get("digest:2026-11-20:data") is None  # released: the next run retries it


def test_a_digest_another_run_is_sending_is_left_to_it(
    slack_server: LocalSlackServer,
    notifier: SlackNotifier,
    cost_data: CountingCostData,
    state: SqliteStateStore,
    clock: FixedClock,
) -> None:
    state.claim("digest:2026-11-20:platform", owner="other-run", now=NOW, lease=timedelta(hours=1))

    result = run(notifier=notifier, cost_data=cost_data, clock=clock, state=state)

    assert [(o.team, o.status) for o in result.outcomes][1] == ("platform", "in_progress")
    assert "platform-costs" not in {m["channel_name"] for m in slack_server.messages}


def test_the_chart_can_go_in_the_digests_thread(
    slack_server: LocalSlackServer,
    notifier: SlackNotifier,
    cost_data: CountingCostData,
    state: SqliteStateStore,
    clock: FixedClock,
) -> None:
    policy = digest_policy(chart="thread", extra="    teams: [platform]\n    overall: false\n")

    result = run(policy=policy, notifier=notifier, cost_data=cost_data, clock=clock, state=state)

    (outcome,) = result.outcomes
    (file,) = slack_server.uploaded_files
    assert (file.channel, file.thread_ts, file.initial_comment) == (
        outcome.channel,
        outcome.ts,
        None,
    )


def test_no_chart_when_the_policy_says_none(
    slack_server: LocalSlackServer,
    notifier: SlackNotifier,
    cost_data: CountingCostData,
    state: SqliteStateStore,
    clock: FixedClock,
) -> None:
    result = run(
        policy=digest_policy(chart="none"),
        notifier=notifier,
        cost_data=cost_data,
        clock=clock,
        state=state,
    )

    assert {o.status for o in result.outcomes} == {"posted"}
    assert slack_server.uploaded_files == []


def test_without_an_allocation_section_no_digest_is_sent(
    slack_server: LocalSlackServer,
    notifier: SlackNotifier,
    cost_data: CountingCostData,
    state: SqliteStateStore,
    clock: FixedClock,
) -> None:
    policy = load_policy_text('version: 1\nslack: {default_channel: "#finops-alerts"}\n')

    result = run(policy=policy, notifier=notifier, cost_data=cost_data, clock=clock, state=state)

    assert result.disabled
    assert result.outcomes == ()
    assert slack_server.requests == []
    assert cost_data.calls == []


def test_unreadable_cost_data_sends_nothing_and_claims_nothing(
    slack_server: LocalSlackServer,
    notifier: SlackNotifier,
    state: SqliteStateStore,
    clock: FixedClock,
    tmp_path: Path,
) -> None:
    broken = CountingCostData(FocusAllocator(tmp_path / "no-export-yet"))

    with pytest.raises(CostDataError):
        run(notifier=notifier, cost_data=broken, clock=clock, state=state)

    assert slack_server.requests == []
    assert state.get("digest:2026-11-20:platform") is None
