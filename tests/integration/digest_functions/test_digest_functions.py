"""The daily digest functions and budget alerts, on FOCUS data published to each cloud's store.

GIVEN FOCUS data published per billing period behind pointers (``export_publish``) in S3 on
moto, Blob Storage on Azurite or Cloud Storage on fake-gcs-server, and the deployment's
``COSTWARDEN_*`` settings naming that store, WHEN the schedule fires the digest function (an
EventBridge ``Scheduled Event``, an Azure timer, a Pub/Sub CloudEvent) twice, THEN each team and
the overall digest arrive once with one chart each, and the second fire posts nothing; and a
budget alert's top cost drivers are read from the same published data.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from costwarden.errors import CostwardenError
from costwarden.local.runtimes import AwsLambdaRuntime, AzureFunctionsRuntime, GcpFunctionsRuntime
from costwarden.local.slack_server import LocalSlackServer
from handler_support import EVENTS, FUNCTIONS, load
from integration.digest_functions.conftest import (
    PREFIX,
    WEBHOOK_TOKEN,
    Cloud,
    forty_days_of_team_costs,
    yesterday,
)
from unit.allocation.focus_parquet import cost_row
from unit.published_data.publishing import publish_rows

pytestmark = pytest.mark.integration

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def digest_function(cloud: str, at: datetime | None = None) -> Callable[[], bool]:
    """Fire the cloud's digest entry point once, as its scheduler does; True if it succeeded.

    ``at`` is the scheduled time the trigger carries (default: now, so the digests are today's).
    """
    when = (at or datetime.now(UTC)).isoformat()
    if cloud == "aws":
        aws_fn = AwsLambdaRuntime(FUNCTIONS, module="cost_digest")
        event = {**load(EVENTS / "aws" / "schedule_digest.json"), "time": when}

        def fire_aws() -> bool:
            try:
                aws_fn.invoke(event)
            except CostwardenError:
                return False  # Lambda records the failure and retries the async invocation
            return True

        return fire_aws
    if cloud == "azure":
        app = AzureFunctionsRuntime(FUNCTIONS)
        timer = load(EVENTS / "azure" / "timer_digest.json")
        timer["ScheduleStatus"]["Next"] = when  # the occurrence being run

        def fire_azure() -> bool:
            try:
                app.fire_timer("cost_digest", timer)
            except CostwardenError:
                return False  # the host applies the function's retry policy
            return True

        return fire_azure
    gcp_fn = GcpFunctionsRuntime(FUNCTIONS, target="cost_digest")
    cloud_event = {**load(EVENTS / "gcp" / "schedule_digest.json"), "time": when}
    return lambda: gcp_fn.deliver(cloud_event).status == 200  # else Pub/Sub redelivers


def digest_messages(slack: LocalSlackServer) -> list[dict[str, Any]]:
    return [m for m in slack.messages if not m.get("upload")]


def test_the_digest_posts_once_per_team_and_overall_with_a_chart_and_a_second_fire_adds_nothing(
    cloud: Cloud, slack: LocalSlackServer
) -> None:
    publish_rows(cloud.output, PREFIX, forty_days_of_team_costs())
    fire = digest_function(cloud.name)

    assert fire()
    first = [(m["channel_name"], m["blocks"][0]["text"]["text"]) for m in digest_messages(slack)]
    assert fire()  # the schedule fired again (or the platform retried): nothing new

    day = f"{yesterday():%a %d %b %Y}"
    assert first == [
        ("data-costs", f":bar_chart: Daily cost · data · {day}"),
        ("platform-costs", f":bar_chart: Daily cost · platform · {day}"),
        ("finops-alerts", f":bar_chart: Daily cost · All teams · {day}"),
    ]
    assert len(digest_messages(slack)) == 3
    assert len(slack.uploaded_files) == 3
    assert all(file.content.startswith(PNG_MAGIC) for file in slack.uploaded_files)
    overall = json.dumps(digest_messages(slack)[-1])
    assert "Unallocated" in overall  # the untagged Lambda, shown in dollars


def test_the_digest_fails_loudly_when_nothing_is_published(
    cloud: Cloud, slack: LocalSlackServer
) -> None:
    fire = digest_function(cloud.name)

    assert not fire()

    assert slack.messages == []


def test_a_digest_that_failed_is_sent_by_the_next_fire_and_only_it(
    cloud: Cloud, slack: LocalSlackServer
) -> None:
    publish_rows(cloud.output, PREFIX, forty_days_of_team_costs())
    fire = digest_function(cloud.name)
    slack.fail_next(1, error="channel_not_found", method="chat.postMessage")

    assert not fire()  # one digest failed: the run raises so the platform retries
    assert len(digest_messages(slack)) == 2
    assert fire()

    assert sorted(m["channel_name"] for m in digest_messages(slack)) == [
        "data-costs",
        "finops-alerts",
        "platform-costs",
    ]
    assert len(slack.uploaded_files) == 3


def test_a_trigger_redelivered_after_its_day_is_acknowledged_without_sending(
    cloud: Cloud, slack: LocalSlackServer
) -> None:
    # Yesterday's 07:00 tick, retried or redelivered today: its digests (the day before
    # yesterday's) are past sending, and today's must not be sent early in its name.
    publish_rows(cloud.output, PREFIX, forty_days_of_team_costs())
    scheduled = datetime.combine(yesterday(), datetime.min.time(), UTC) + timedelta(hours=7)

    assert digest_function(cloud.name, at=scheduled)()  # acknowledged: no platform retry

    assert slack.messages == []
    assert digest_function(cloud.name)()  # today's own run still sends today's digests
    assert len(digest_messages(slack)) == 3


# -- budget alerts: top cost drivers from the published data -------------------------------------
#: (sample event, FOCUS rows of its scope) per cloud; every sample's period is May 2025
BUDGET_SAMPLES = {
    "aws": ("aws/budget_monthly_actual.json", {"account": "123456789012"}),
    "azure": (
        "azure/budget_common_actual.json",
        {"account": "/subscriptions/00000000-0000-0000-0000-000000000000", "provider": "azure"},
    ),
    "gcp": ("gcp/budget_actual_crossed.json", {"provider": "gcp"}),
}


def scope_rows(cloud: str, day: date, cost: str, service: str) -> dict[str, object]:
    row = cost_row(day, cost, service=service, **BUDGET_SAMPLES[cloud][1])  # type: ignore[arg-type]
    if cloud == "gcp":
        row["BillingAccountId"] = "012345-6789AB-CDEF01"  # a GCP budget's scope
    return row


def deliver_budget_alert(cloud: str, event: dict[str, Any]) -> None:
    if cloud == "aws":
        AwsLambdaRuntime(FUNCTIONS).invoke(event)
    elif cloud == "azure":
        body = json.dumps(event).encode()
        result = AzureFunctionsRuntime(FUNCTIONS).post(
            "budget_alert", body, params={"token": WEBHOOK_TOKEN}
        )
        assert result.status == 200, result.body
    else:
        assert GcpFunctionsRuntime(FUNCTIONS).deliver(event).status == 200


def test_budget_alert_drivers_are_read_from_the_published_data(
    cloud: Cloud, slack: LocalSlackServer
) -> None:
    publish_rows(
        cloud.output,
        PREFIX,
        [
            scope_rows(cloud.name, date(2025, 5, 3), "812.40", "Published Compute"),
            scope_rows(cloud.name, date(2025, 5, 4), "95.10", "Published Storage"),
            scope_rows(cloud.name, date(2025, 4, 20), "5000", "April Only Service"),
        ],
    )
    sample, _ = BUDGET_SAMPLES[cloud.name]

    deliver_budget_alert(cloud.name, load(EVENTS / sample))

    [message] = slack.messages
    text = json.dumps(message)
    assert "Published Compute" in text
    assert "812.40" in text
    assert "Published Storage" in text
    assert "April Only Service" not in text  # another period's cost is not this alert's driver
