"""Google Cloud budget Pub/Sub notification (schema 1.0) -> ``BudgetAlert``.

Attributes: ``billingAccountId``, ``budgetId``, ``schemaVersion`` ("1.0"). ``data`` is base64
JSON: ``budgetDisplayName``, ``costAmount``, ``costIntervalStart``, ``budgetAmount``,
``budgetAmountType``, ``currencyCode`` and, only once a threshold has been crossed,
``alertThresholdExceeded`` (actual) and/or ``forecastThresholdExceeded`` - fractions of the
budget (``0.8``). Google publishes this status several times a day whether or not anything was
crossed, and repeats the highest crossed threshold in every later message of the period.

Decisions:

* No threshold field -> one alert with ``crossed=False`` and the threshold fields None: a
  routine status update that never posts.
* Both fields present -> two alerts (actual, then forecasted), one per threshold kind, each
  with its own dedup key; ``from_pubsub_message`` (one alert) returns the actual one, which
  is the stronger signal, and ``pubsub_alerts`` returns both.
* ``threshold_percent`` = fraction x 100 rounded to 2 decimals (0.8 -> 80.0);
  ``threshold_amount`` = ``budgetAmount`` x fraction.
* ``period_start`` = the date of ``costIntervalStart``. Google bills in US Pacific time, so
  the interval starts at 07:00 or 08:00 UTC and the UTC date is the Pacific date.
  ``period`` is None: the message does not say whether the budget is monthly, quarterly,
  yearly or custom.
* The current cost is ``actual_amount`` for every kind (it is real spend); the message has
  no forecast amount, so ``forecast_amount`` stays None.
* ``schemaVersion`` other than "1.0" raises ``UnrecognisedPayloadError``: a new schema may
  change meanings, and reading it as 1.0 could post wrong numbers.
* ``data`` may be given as base64 (what Pub/Sub delivers) or, for callers that already
  decoded it, as the JSON itself: base64 never starts with ``{``, so the two cannot be
  confused.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from costwarden.errors import PayloadError, UnrecognisedPayloadError
from costwarden.models.budget import BudgetAlert, ThresholdKind
from costwarden.normalize.budget.amounts import parse_json_amount, ratio_to_percent
from costwarden.normalize.budget.fields import (
    JsonObject,
    as_object,
    build_alert,
    opt_str,
    req_str,
    type_name,
)
from costwarden.normalize.budget.periods import parse_timestamp

WHERE = "Google budget notification"
SCHEMA_VERSIONS = frozenset({"1.0"})
CONSOLE_URL = "https://console.cloud.google.com/billing/{account}/budgets"
_URLSAFE_TO_STANDARD = str.maketrans("-_", "+/")
_KINDS: tuple[tuple[str, ThresholdKind], ...] = (
    ("alertThresholdExceeded", "actual"),
    ("forecastThresholdExceeded", "forecasted"),
)


def from_pubsub_message(
    *,
    data: str | bytes,
    attributes: Mapping[str, str],
    message_id: str | None = None,
    publish_time: datetime | None = None,
) -> BudgetAlert:
    """One Pub/Sub budget message as one alert (the actual threshold when both are present)."""
    return pubsub_alerts(
        data=data, attributes=attributes, message_id=message_id, publish_time=publish_time
    )[0]


def pubsub_alerts(
    *,
    data: str | bytes,
    attributes: Mapping[str, str],
    message_id: str | None = None,
    publish_time: datetime | None = None,
) -> list[BudgetAlert]:
    """Every alert one Pub/Sub budget message carries: one, or two when both kinds crossed."""
    attrs = _attributes(attributes)
    schema = opt_str(attrs, "schemaVersion", "attributes")
    if schema is not None and schema not in SCHEMA_VERSIONS:
        raise UnrecognisedPayloadError(f"{WHERE}: unsupported schemaVersion {schema!r}")
    body = decode_data(data)

    name = req_str(body, "budgetDisplayName", "data")
    budget = _amount(body, "budgetAmount")
    cost = _amount(body, "costAmount")
    currency = req_str(body, "currencyCode", "data").upper()
    interval = parse_timestamp(_required(body, "costIntervalStart"), field="data.costIntervalStart")
    account = opt_str(attrs, "billingAccountId", "attributes")

    common: dict[str, object] = {
        "provider": "gcp",
        "budget_name": name,
        "budget_id": opt_str(attrs, "budgetId", "attributes"),
        "scope": account,
        "period_start": interval.date(),
        "period": None,
        "budget_type": "cost",
        "currency": currency,
        "unit": None,
        "budget_amount": budget,
        "actual_amount": cost,
        "forecast_amount": None,
        "notified_at": publish_time,
        "message_id": message_id,
        "console_url": CONSOLE_URL.format(account=account)
        if account
        else "https://console.cloud.google.com/billing",
    }
    crossed = [
        (kind, parse_json_amount(body[key], field=f"data.{key}"))
        for key, kind in _KINDS
        if body.get(key) is not None
    ]
    if not crossed:
        return [
            build_alert(
                WHERE,
                **common,
                threshold_percent=None,
                threshold_amount=None,
                threshold_kind=None,
                crossed=False,
            )
        ]
    return [
        build_alert(
            WHERE,
            **common,
            threshold_percent=ratio_to_percent(ratio),
            threshold_amount=budget * ratio,
            threshold_kind=kind,
            crossed=True,
        )
        for kind, ratio in crossed
    ]


def decode_data(data: object) -> JsonObject:
    """Pub/Sub ``message.data`` (base64 of JSON, or already the JSON) as a JSON object."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise PayloadError("message.data is neither base64 nor UTF-8 JSON") from None
    elif isinstance(data, str):
        text = data
    else:
        raise PayloadError(f"message.data must be a base64 string, got {type_name(data)}")
    text = text.strip()
    if not text:
        raise PayloadError("message.data is empty")
    if not text.startswith("{"):
        text = _b64decode(text)
    try:
        decoded = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PayloadError(f"message.data is not JSON: {exc.msg}") from None
    return as_object(decoded, "message.data")


def _b64decode(text: str) -> str:
    # The URL-safe alphabet (-_) is legal base64 too and some tools emit it; map it onto the
    # standard one so a single strict decode handles both and rejects everything else.
    standard = text.translate(_URLSAFE_TO_STANDARD)
    try:
        raw = base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise PayloadError("message.data is not valid base64") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PayloadError("message.data does not decode to UTF-8 text") from None


def _attributes(attributes: object) -> JsonObject:
    if attributes is None:
        return {}
    attrs = as_object(attributes, "message.attributes")
    for key, value in attrs.items():
        if not isinstance(value, str):
            raise PayloadError(f"attributes.{key} must be a string, got {type_name(value)}")
    return attrs


def _required(body: JsonObject, key: str) -> object:
    if body.get(key) is None:
        raise PayloadError(f"data.{key} is missing")
    return body[key]


def _amount(body: JsonObject, key: str) -> Decimal:
    return parse_json_amount(_required(body, key), field=f"data.{key}")
