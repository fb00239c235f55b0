"""Azure budget alert (Action Group webhook body) -> ``BudgetAlert``.

Two shapes, told apart by ``schemaId``:

* ``azureMonitorCommonAlertSchema`` with ``data.essentials.monitoringService == "CostAlerts"``
  and ``data.alertContext.AlertData`` holding ``Scope``, ``ThresholdType``
  (Actual | Forecasted), ``BudgetType``, ``BudgetThreshold`` (the budget amount),
  ``NotificationThresholdAmount``, ``BudgetName``, ``BudgetId``, ``BudgetStartDate``,
  ``Unit`` (currency), ``SpentAmount`` and, for forecasts, ``ForecastedTotalForPeriod``.
  Money values are formatted strings (``"$11,111.00"``, ``"$1111.11"``).
* ``AIP Budget Notification`` (common schema off): ``data`` with ``SpendingAmount``,
  ``Budget``, ``NotificationThresholdAmount``, ``Unit``, ``BudgetName``, ``BudgetType``,
  ``SubscriptionId``, ``ResourceGroup``, ``BudgetStartDate`` as plain numeric strings.

Decisions:

* Any other ``schemaId``, or a common-schema alert from another ``monitoringService`` (or a
  ``CostAlerts`` alert whose ``AlertCategory`` is not ``budgets``, e.g. an anomaly alert),
  raises ``UnrecognisedPayloadError`` naming the value. Every essentials field other than
  ``monitoringService`` is optional.
* ``threshold_percent`` = ``NotificationThresholdAmount`` / budget amount
  (``amounts.percent_of``): ``$25.00`` of ``$50.00`` is 50.0. Legacy payloads are read the
  same way (Microsoft's test payload sends ``"8000.0"`` against ``"10000"``, i.e. an
  amount). An older Microsoft tutorial sample shows ``"0.8"`` there, as if it were a ratio;
  we have not seen that from a real budget and do not guess between the two readings.
* ``period_start``: ``BudgetStartDate`` is the day the budget was created to start, not the
  current period, so it is not used directly. The current period is derived from
  ``firedDateTime`` (else ``received_at``, else the parse time) in UTC. The payload does not
  carry the time grain; if ``AlertData`` ever has one (``TimeGrain``) it is honoured -
  monthly -> 1st of the month; quarterly/annual -> periods of 3/12 months counted from the
  ``BudgetStartDate`` month (Azure resets them relative to the start date), calendar
  quarter/year without it. Without a grain we take the calendar month and leave ``period``
  None; see ``periods`` for why a shorter guess is the safe one.
* Legacy payloads carry no timestamp at all: ``period_start`` is the month of
  ``received_at`` (else the parse time) and ``notified_at`` is None. They carry no
  ``ThresholdType`` either, yet Azure sends forecast notifications in this schema too. An
  actual alert fires only once the spend reaches the threshold, so spend below
  ``NotificationThresholdAmount`` means ``forecasted``; spend at or above it is read as
  ``actual`` (the forecast of a threshold already reached is not a separate event worth a
  message); no spend amount leaves the kind None, which the message does not name. So a
  forecast-100% alert never takes the actual-100% alert's dedup key, nor says "actual".
  ``infra/azure`` turns the Common Alert Schema on, which names the kind.
* ``currency`` is ``Unit`` when it is an ISO code; the ``$``-style symbol in the strings is
  ignored (Azure writes ``$`` for several dollar currencies). Usage budgets keep ``Unit``
  as ``unit`` and have no currency.
* ``scope`` is the ARM scope path without a trailing slash (``/subscriptions/<id>``, with
  ``/resourceGroups/<rg>`` for legacy resource-group budgets); ``budget_id`` is ``BudgetId``.
  The legacy payload has no id, so it is rebuilt as ``<scope>/providers/Microsoft.Consumption
  /budgets/<name>`` - the form the common schema sends - so a budget keeps one dedup key
  whichever schema its Action Group uses. ``message_id`` is ``essentials.alertId``.
* ``console_url`` opens Cost Management's budgets blade at that scope.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from costwarden.errors import PayloadError, UnrecognisedPayloadError
from costwarden.models.budget import BudgetAlert, BudgetPeriod, BudgetType, ThresholdKind
from costwarden.normalize.budget.amounts import parse_json_amount, parse_money, percent_of
from costwarden.normalize.budget.fields import (
    JsonObject,
    build_alert,
    child,
    opt_str,
    req_str,
    type_name,
)
from costwarden.normalize.budget.periods import (
    anchored_period_start,
    month_start,
    parse_loose_date,
    parse_timestamp,
    quarter_start,
    utc_date,
    year_start,
)

COMMON_SCHEMA = "azureMonitorCommonAlertSchema"
LEGACY_SCHEMA = "AIP Budget Notification"
SCHEMA_IDS = frozenset({COMMON_SCHEMA, LEGACY_SCHEMA})
PORTAL_BUDGETS = "https://portal.azure.com/#view/Microsoft_Azure_CostManagement/Menu/~/budgets"

_GRAINS: dict[str, tuple[BudgetPeriod, int]] = {
    "monthly": ("monthly", 1),
    "billingmonth": ("monthly", 1),
    "quarterly": ("quarterly", 3),
    "billingquarter": ("quarterly", 3),
    "annually": ("annually", 12),
    "billingannual": ("annually", 12),
}


def from_azure_webhook(body: JsonObject, *, received_at: datetime | None = None) -> BudgetAlert:
    """An Action Group webhook body (common schema or legacy) as a ``BudgetAlert``."""
    schema = body.get("schemaId")
    if schema == COMMON_SCHEMA:
        return _from_common_schema(body, received_at)
    if schema == LEGACY_SCHEMA:
        return _from_legacy(body, received_at)
    if schema is None:
        raise UnrecognisedPayloadError("Azure webhook body has no schemaId")
    raise UnrecognisedPayloadError(f"unknown Azure schemaId {schema!r}")


def _from_common_schema(body: JsonObject, received_at: datetime | None) -> BudgetAlert:
    where = "Azure budget alert"
    data = child(body, "data", "body")
    essentials = child(data, "essentials", "data")
    service = essentials.get("monitoringService")
    if service != "CostAlerts":
        raise UnrecognisedPayloadError(
            f"Azure alert from monitoringService {service!r} is not a budget alert"
            " (want 'CostAlerts')"
        )
    context = child(data, "alertContext", "data")
    category = opt_str(context, "AlertCategory", "alertContext")
    if category is not None and category.lower() != "budgets":
        raise UnrecognisedPayloadError(
            f"Azure cost alert of AlertCategory {category!r} is not a budget alert"
        )
    alert_data = child(context, "AlertData", "alertContext")
    at = "AlertData"

    name = req_str(alert_data, "BudgetName", at)
    budget_type = _budget_type(opt_str(alert_data, "BudgetType", at))
    kind = _threshold_kind(alert_data)
    budget = _amount(alert_data, "BudgetThreshold", at)
    threshold = _amount(alert_data, "NotificationThresholdAmount", at)
    fired_raw = essentials.get("firedDateTime")
    fired = parse_timestamp(fired_raw, field="essentials.firedDateTime") if fired_raw else None
    period, period_start = _period(
        opt_str(alert_data, "TimeGrain", at),
        utc_date(fired or received_at or datetime.now(UTC)),
        parse_loose_date(opt_str(alert_data, "BudgetStartDate", at)),
    )
    budget_id = opt_str(alert_data, "BudgetId", at)
    scope = _scope_path(opt_str(alert_data, "Scope", at)) or _scope_from_budget_id(budget_id)
    currency, unit = _currency_and_unit(
        budget_type, opt_str(alert_data, "Unit", at), alert_data, "BudgetThreshold", at
    )

    return build_alert(
        where,
        provider="azure",
        budget_name=name,
        budget_id=budget_id,
        scope=scope,
        period_start=period_start,
        period=period,
        budget_type=budget_type,
        currency=currency,
        unit=unit,
        budget_amount=budget,
        actual_amount=_optional_amount(alert_data, "SpentAmount", at),
        forecast_amount=_optional_amount(alert_data, "ForecastedTotalForPeriod", at),
        threshold_percent=percent_of(threshold, budget),
        threshold_amount=threshold,
        threshold_kind=kind,
        crossed=True,
        notified_at=fired,
        message_id=opt_str(essentials, "alertId", "essentials"),
        console_url=_console_url(scope),
    )


def _from_legacy(body: JsonObject, received_at: datetime | None) -> BudgetAlert:
    where = "Azure legacy budget notification"
    data = child(body, "data", "body")
    at = "data"
    name = req_str(data, "BudgetName", at)
    budget_type = _budget_type(opt_str(data, "BudgetType", at))
    budget = _amount(data, "Budget", at)
    threshold = _amount(data, "NotificationThresholdAmount", at)
    scope = _legacy_scope(data)
    currency, unit = _currency_and_unit(budget_type, opt_str(data, "Unit", at), data, "Budget", at)
    spent = _optional_amount(data, "SpendingAmount", at)
    return build_alert(
        where,
        provider="azure",
        budget_name=name,
        budget_id=f"{scope}/providers/Microsoft.Consumption/budgets/{name}" if scope else None,
        scope=scope,
        period_start=month_start(utc_date(received_at or datetime.now(UTC))),
        period=None,
        budget_type=budget_type,
        currency=currency,
        unit=unit,
        budget_amount=budget,
        actual_amount=spent,
        forecast_amount=None,
        threshold_percent=percent_of(threshold, budget),
        threshold_amount=threshold,
        threshold_kind=_legacy_kind(spent, threshold),
        crossed=True,
        notified_at=None,
        message_id=None,
        console_url=_console_url(scope),
    )


def _legacy_kind(spent: Decimal | None, threshold: Decimal) -> ThresholdKind | None:
    """The legacy schema has no ``ThresholdType``: infer it from the spend (module docstring)."""
    if spent is None:
        return None
    return "actual" if spent >= threshold else "forecasted"


def _budget_type(raw: str | None) -> BudgetType:
    normalized = (raw or "Cost").lower()
    if normalized == "cost":
        return "cost"
    if normalized == "usage":
        return "usage"
    raise UnrecognisedPayloadError(f"Azure BudgetType {raw!r} is not supported (Cost or Usage)")


def _threshold_kind(alert_data: JsonObject) -> ThresholdKind:
    raw = opt_str(alert_data, "ThresholdType", "AlertData")
    if raw is None:
        # Older or trimmed payloads omit it; a forecast total only comes with forecasts.
        return "forecasted" if alert_data.get("ForecastedTotalForPeriod") else "actual"
    normalized = raw.lower()
    if normalized == "actual":
        return "actual"
    if normalized in ("forecasted", "forecast"):
        return "forecasted"
    raise PayloadError(f"AlertData.ThresholdType must be Actual or Forecasted, got {raw!r}")


def _amount(obj: JsonObject, key: str, where: str) -> Decimal:
    value = _optional_amount(obj, key, where)
    if value is None:
        raise PayloadError(f"{where}.{key} is missing")
    return value


def _optional_amount(obj: JsonObject, key: str, where: str) -> Decimal | None:
    value: Any = obj.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    field = f"{where}.{key}"
    if isinstance(value, str):
        return parse_money(value, field=field).amount
    if isinstance(value, int | float) and not isinstance(value, bool):
        return parse_json_amount(value, field=field)
    raise PayloadError(f"{field} must be an amount string, got {type_name(value)}")


def _currency_and_unit(
    budget_type: BudgetType, unit: str | None, obj: JsonObject, amount_key: str, where: str
) -> tuple[str | None, str | None]:
    if budget_type == "usage":
        return None, unit
    if unit is None:
        # Trimmed payloads omit Unit: fall back to an unambiguous symbol on the amount.
        raw = obj.get(amount_key)
        label = (
            parse_money(raw, field=f"{where}.{amount_key}").currency
            if isinstance(raw, str)
            else None
        )
        if label is None:
            raise PayloadError(f"{where}.Unit is missing and {amount_key} names no currency")
        return label, None
    code = unit.upper()
    if len(code) != 3 or not code.isalpha():
        raise PayloadError(f"{where}.Unit must be an ISO 4217 currency code, got {unit!r}")
    return code, None


def _period(grain: str | None, day: date, anchor: date | None) -> tuple[BudgetPeriod | None, date]:
    known = _GRAINS.get(grain.lower()) if grain else None
    if known is None:
        return None, month_start(day)
    period, months = known
    if months == 1:
        return period, month_start(day)
    if anchor is not None:
        return period, anchored_period_start(day, anchor=anchor, months=months)
    return period, quarter_start(day) if months == 3 else year_start(day)


def _scope_path(scope: str | None) -> str | None:
    if scope is None:
        return None
    return scope.rstrip("/") or None


def _scope_from_budget_id(budget_id: str | None) -> str | None:
    if budget_id is None:
        return None
    marker = budget_id.lower().find("/providers/microsoft.consumption/budgets/")
    if marker <= 0:
        marker = budget_id.lower().find("/providers/microsoft.costmanagement/budgets/")
    return budget_id[:marker] if marker > 0 else None


def _legacy_scope(data: JsonObject) -> str | None:
    subscription = opt_str(data, "SubscriptionId", "data")
    if subscription is not None:
        group = opt_str(data, "ResourceGroup", "data")
        base = f"/subscriptions/{subscription}"
        return f"{base}/resourceGroups/{group}" if group else base
    account = opt_str(data, "BillingAccountId", "data")
    if account is not None:
        return f"/providers/Microsoft.Billing/billingAccounts/{account}"
    return None


def _console_url(scope: str | None) -> str:
    if scope is None:
        return PORTAL_BUDGETS
    return f"{PORTAL_BUDGETS}/scope/{quote(scope, safe='')}"
