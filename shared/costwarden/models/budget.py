"""``BudgetAlert``: one budget notification, whatever cloud sent it.

Cloud differences end at the normalizers (``costwarden.normalize.budget``); everything after them
(routing, dedup, rendering) reads only this model.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, computed_field

Provider = Literal["aws", "azure", "gcp"]
ThresholdKind = Literal["actual", "forecasted"]
BudgetPeriod = Literal["daily", "monthly", "quarterly", "annually", "custom"]
BudgetType = Literal["cost", "usage"]

# Money stays exact inside (Decimal) and is a JSON number outside: the issue asks for numbers,
# and consumers (jq, dashboards) do arithmetic on them.
Amount = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]


class BudgetAlert(BaseModel):
    """A normalized budget notification.

    ``crossed`` is False for Google's routine status updates (no threshold field): they are
    alerts that crossed nothing and never post. ``currency`` is None only for usage budgets,
    whose amounts are in ``unit`` (e.g. ``Hrs``) rather than money.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    provider: Provider
    budget_name: str = Field(min_length=1)
    budget_id: str | None = None
    scope: str | None = Field(
        default=None, description="AWS account id, Azure scope/subscription, GCP billing account"
    )
    period_start: date | None = None
    period: BudgetPeriod | None = None
    budget_type: BudgetType = "cost"
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    unit: str | None = None
    budget_amount: Amount
    actual_amount: Amount | None = None
    forecast_amount: Amount | None = None
    threshold_percent: float | None = None
    threshold_amount: Amount | None = None
    threshold_kind: ThresholdKind | None = None
    crossed: bool
    notified_at: datetime | None = Field(
        default=None, description="when the provider emitted the notification, if it says"
    )
    message_id: str | None = Field(default=None, description="the provider's delivery id")
    console_url: str | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def dedup_key(self) -> str:
        """One Slack message per budget · period · threshold kind · threshold.

        The delivery id is deliberately absent: a redelivered event, or Google's repeated
        status update, maps to the same key and so posts nothing new. Without a percent (a
        zero budget has none) the threshold's amount tells the thresholds apart instead: a
        $0 budget alerting at $5 and at $100 is two messages, not one.
        """
        ident = self.budget_id or self.budget_name
        period = self.period_start.isoformat() if self.period_start else "-"
        kind = self.threshold_kind or "-"
        return f"budget/{self.provider}/{self.scope or '-'}/{ident}/{period}/{kind}/{self._level}"

    @property
    def _level(self) -> str:
        """The threshold part of the dedup key: ``80`` (percent) or ``amount=5`` (no percent)."""
        if self.threshold_percent is not None:
            return f"{self.threshold_percent:g}"
        if self.threshold_amount is not None:
            # normalize() so "5.00" and "5" (one threshold, two renderings) share a key.
            return f"amount={self.threshold_amount.normalize():f}"
        return "-"

    @property
    def thread_key(self) -> str:
        """Groups every threshold of one budget period into one Slack thread."""
        ident = self.budget_id or self.budget_name
        period = self.period_start.isoformat() if self.period_start else "-"
        return f"thread/{self.provider}/{self.scope or '-'}/{ident}/{period}"

    @property
    def period_end(self) -> date | None:
        """First day after the budget period (exclusive end), when the period length is known."""
        if self.period_start is None or self.period in (None, "custom"):
            return None
        if self.period == "daily":
            return self.period_start + timedelta(days=1)
        months = {"monthly": 1, "quarterly": 3, "annually": 12}[self.period]
        index = self.period_start.year * 12 + self.period_start.month - 1 + months
        return date(index // 12, index % 12 + 1, 1)

    @property
    def percent_used(self) -> float | None:
        """Actual spend as a percent of the budget, when both are known."""
        if self.actual_amount is None or not self.budget_amount:
            return None
        return float(self.actual_amount / self.budget_amount * 100)
