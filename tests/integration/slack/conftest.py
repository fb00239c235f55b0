"""A fresh ``LocalSlackServer`` per test, and a notifier wired to it with short retry waits."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from costwarden.adapters.slack.notifier import SlackNotifier, build_slack_client
from costwarden.local.slack_server import DEFAULT_TOKEN, LocalSlackServer
from costwarden.models.budget import BudgetAlert
from costwarden.models.notification import BudgetAlertMessage, CostDriver, Route


@pytest.fixture
def slack_server() -> Iterator[LocalSlackServer]:
    with LocalSlackServer() as server:
        yield server


@pytest.fixture
def make_notifier(slack_server: LocalSlackServer) -> Callable[..., SlackNotifier]:
    """``make_notifier(token=..., max_retries=..., ...)``; back-off waits of ~10-20 ms."""

    def make(*, token: str = DEFAULT_TOKEN, **options: Any) -> SlackNotifier:
        options.setdefault("backoff_factor", 0.01)
        options.setdefault("timeout", 5)
        return SlackNotifier(build_slack_client(token, base_url=slack_server.base_url, **options))

    return make


@pytest.fixture
def make_message() -> Callable[..., BudgetAlertMessage]:
    def make(
        *,
        channel: str = "#platform-costs",
        thread_ts: str | None = None,
        name: str = "prod-platform",
        threshold: float = 80.0,
    ) -> BudgetAlertMessage:
        alert = BudgetAlert(
            provider="aws",
            budget_name=name,
            scope="123456789012",
            period_start=date(2026, 11, 1),
            period="monthly",
            currency="USD",
            budget_amount=Decimal("10000"),
            actual_amount=Decimal("8412.50"),
            threshold_percent=threshold,
            threshold_kind="actual",
            crossed=True,
            console_url="https://console.aws.amazon.com/billing/home#/budgets",
        )
        return BudgetAlertMessage(
            alert=alert,
            route=Route(channel=channel, team="platform", mentions=("S0PLATFORM",)),
            drivers=(CostDriver("Amazon EC2", Decimal("5100"), "USD"),),
            thread_ts=thread_ts,
        )

    return make
