"""Builders for budget alert messages: a realistic default, any field overridable."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from costwarden.models.budget import BudgetAlert
from costwarden.models.notification import BudgetAlertMessage, CostDriver, Route

MessageFactory = Callable[..., BudgetAlertMessage]


def build_alert(**overrides: Any) -> BudgetAlert:
    fields: dict[str, Any] = {
        "provider": "aws",
        "budget_name": "prod-platform",
        "budget_id": "123456789012:prod-platform",
        "scope": "123456789012",
        "period_start": date(2026, 11, 1),
        "period": "monthly",
        "currency": "USD",
        "budget_amount": Decimal("10000"),
        "actual_amount": Decimal("8412.5"),
        "forecast_amount": Decimal("11250"),
        "threshold_percent": 80.0,
        "threshold_kind": "actual",
        "crossed": True,
        "console_url": "https://console.aws.amazon.com/billing/home#/budgets/details",
    }
    fields.update(overrides)
    return BudgetAlert(**fields)


def build_message(
    *,
    route: Route | None = None,
    drivers: tuple[CostDriver, ...] | None = None,
    thread_ts: str | None = None,
    **alert_overrides: Any,
) -> BudgetAlertMessage:
    return BudgetAlertMessage(
        alert=build_alert(**alert_overrides),
        route=route or Route(channel="#platform-costs", team="platform", rule="team-platform"),
        drivers=drivers,
        thread_ts=thread_ts,
    )


@pytest.fixture
def make_message() -> MessageFactory:
    return build_message
