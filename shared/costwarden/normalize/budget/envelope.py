"""Envelopes: unwrap a raw trigger exactly as a function receives it, then normalize.

Which cloud sent a payload is told from its shape, never from configuration:

* AWS - a Lambda SNS event ``{"Records": [{"EventSource": "aws:sns", "Sns": {...}}]}`` (one
  alert per record), or an SNS HTTP(S) subscription body ``{"Type": "Notification",
  "TopicArn": ..., "Message": ...}``.
* Azure - a webhook body with ``schemaId`` (common alert schema or legacy budget).
* Google - a Pub/Sub CloudEvent in structured JSON (``specversion``, ``type``
  ``google.cloud.pubsub.topic.v1.messagePublished``, ``data.message``); a Pub/Sub push body
  (``{"message": {...}, "subscription": ...}``, which is also a CloudEvent's ``data``); or a
  1st-gen background event - ``{"data": "<base64>", "attributes": {...}}`` on its own, or
  wrapped with ``context`` / ``eventId`` / ``eventType``.

A forced ``provider`` skips detection but still requires that provider's shape, so a
misrouted payload fails with ``UnrecognisedPayloadError`` rather than a half-parsed alert.
Message ids and publish times are read from wherever each shape keeps them (the message
first, then the CloudEvent ``id``/``time`` or the background ``context``), and
``received_at`` is the last fallback for a timestamp.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime

from costwarden.errors import PayloadError, UnrecognisedPayloadError
from costwarden.models.budget import BudgetAlert, Provider
from costwarden.normalize.budget import aws, azure, gcp
from costwarden.normalize.budget.fields import JsonObject, as_object, child, opt_str, type_name
from costwarden.normalize.budget.periods import parse_timestamp

PUBSUB_CLOUDEVENT_TYPE = "google.cloud.pubsub.topic.v1.messagePublished"
PUBSUB_MESSAGE_TYPE = "type.googleapis.com/google.pubsub.v1.PubsubMessage"
LEGACY_PUBSUB_EVENT_TYPES = frozenset(
    {"google.pubsub.topic.publish", "providers/cloud.pubsub/eventTypes/topic.publish"}
)
PROVIDERS: tuple[Provider, ...] = ("aws", "azure", "gcp")


def parse(
    payload: object, *, provider: Provider | None = None, received_at: datetime | None = None
) -> list[BudgetAlert]:
    """Every ``BudgetAlert`` in one raw trigger payload (see module docstring for shapes)."""
    if provider is not None and provider not in PROVIDERS:
        raise ValueError(f"provider must be one of {PROVIDERS}, got {provider!r}")
    body = as_object(payload, "payload")
    chosen = provider or detect_provider(body)
    return _PARSERS[chosen](body, received_at)


def parse_text(
    text: str | bytes, *, provider: Provider | None = None, received_at: datetime | None = None
) -> list[BudgetAlert]:
    """``parse`` from raw bytes or text; invalid UTF-8 or JSON is a ``PayloadError``."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise PayloadError(f"not UTF-8: byte {exc.start}") from None
    try:
        payload = json.loads(text.lstrip("\ufeff"))
    except json.JSONDecodeError as exc:
        raise PayloadError(f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        # json recurses once per nesting level; no budget notification nests this deep.
        raise PayloadError("not a budget notification: JSON nested too deeply") from None
    return parse(payload, provider=provider, received_at=received_at)


def detect_provider(body: JsonObject) -> Provider:
    """Which cloud's shape ``body`` has; ``UnrecognisedPayloadError`` when none fits."""
    if _is_aws(body):
        return "aws"
    if "schemaId" in body:
        return "azure"
    if _is_gcp(body):
        return "gcp"
    keys = ", ".join(sorted(map(str, body))[:8]) or "none"
    raise UnrecognisedPayloadError(
        f"not a known budget notification shape (top-level keys: {keys})"
    )


# --- AWS -----------------------------------------------------------------------------------


def _is_aws(body: JsonObject) -> bool:
    return "Records" in body or (body.get("Type") == "Notification" and "TopicArn" in body)


def _aws(body: JsonObject, received_at: datetime | None) -> list[BudgetAlert]:
    if not _is_aws(body):
        raise UnrecognisedPayloadError("not an AWS SNS event (no Records, not an SNS notification)")
    if "Records" not in body:
        return [_from_sns(body, "SNS notification", received_at)]
    records = body["Records"]
    if not isinstance(records, list):
        raise PayloadError(f"Records must be an array, got {type_name(records)}")
    if not records:
        raise PayloadError("Records is empty")
    alerts = []
    for index, raw in enumerate(records):
        where = f"Records[{index}]"
        record = as_object(raw, where)
        source = record.get("EventSource", record.get("eventSource"))
        if source != "aws:sns":
            raise UnrecognisedPayloadError(f"{where} is not an SNS record (EventSource {source!r})")
        alerts.append(_from_sns(child(record, "Sns", where), f"{where}.Sns", received_at))
    return alerts


def _from_sns(sns: JsonObject, where: str, received_at: datetime | None) -> BudgetAlert:
    message = sns.get("Message")
    if not isinstance(message, str):
        if message is None:
            raise PayloadError(f"{where}.Message is missing")
        raise PayloadError(f"{where}.Message must be a string, got {type_name(message)}")
    stamp = sns.get("Timestamp")
    timestamp = parse_timestamp(stamp, field=f"{where}.Timestamp") if stamp else received_at
    return aws.from_sns_message(
        subject=opt_str(sns, "Subject", where),
        message=message,
        message_id=opt_str(sns, "MessageId", where),
        timestamp=timestamp,
    )


# --- Azure ---------------------------------------------------------------------------------


def _azure(body: JsonObject, received_at: datetime | None) -> list[BudgetAlert]:
    return [azure.from_azure_webhook(body, received_at=received_at)]


# --- Google --------------------------------------------------------------------------------


def _is_gcp(body: JsonObject) -> bool:
    return (
        "specversion" in body
        or isinstance(body.get("message"), Mapping)
        or "context" in body
        or "eventType" in body
        or "eventId" in body
        or (isinstance(body.get("data"), str) and ("attributes" in body or "@type" in body))
    )


def _gcp(body: JsonObject, received_at: datetime | None) -> list[BudgetAlert]:
    message, fallback_id, fallback_time = _pubsub_message(body)
    data = message.get("data")
    if data is None:
        raise PayloadError("message.data is missing")
    message_id = _first_str(message, "messageId", "message_id") or fallback_id
    publish_raw = _first_str(message, "publishTime", "publish_time") or fallback_time
    publish_time = (
        parse_timestamp(publish_raw, field="message.publishTime") if publish_raw else received_at
    )
    return gcp.pubsub_alerts(
        data=data if isinstance(data, str | bytes) else _bad_data(data),
        attributes=message.get("attributes") or {},
        message_id=message_id,
        publish_time=publish_time,
    )


def _pubsub_message(body: JsonObject) -> tuple[JsonObject, str | None, str | None]:
    """The Pub/Sub message inside any of the Google shapes, with fallback id and time."""
    if "specversion" in body:
        event_type = body.get("type")
        if event_type != PUBSUB_CLOUDEVENT_TYPE:
            raise UnrecognisedPayloadError(
                f"CloudEvent type {event_type!r} is not a Pub/Sub message"
                f" (want {PUBSUB_CLOUDEVENT_TYPE!r})"
            )
        data = child(body, "data", "CloudEvent")
        message = child(data, "message", "CloudEvent.data")
        return message, _first_str(body, "id"), _first_str(body, "time")
    if isinstance(body.get("message"), Mapping):
        return child(body, "message", "push body"), None, None
    if "context" in body or "eventType" in body or "eventId" in body:
        context = as_object(body.get("context") or body, "context")
        event_type = opt_str(context, "eventType", "context")
        if event_type is not None and event_type not in LEGACY_PUBSUB_EVENT_TYPES:
            raise UnrecognisedPayloadError(
                f"background event type {event_type!r} is not a Pub/Sub message"
            )
        message = child(body, "data", "background event")
        return message, _first_str(context, "eventId"), _first_str(context, "timestamp")
    if isinstance(body.get("data"), str) and ("attributes" in body or "@type" in body):
        return body, None, None
    raise UnrecognisedPayloadError("not a Google Pub/Sub event (no CloudEvent, push or message)")


def _first_str(obj: JsonObject, *keys: str) -> str | None:
    for key in keys:
        value = opt_str(obj, key, "message")
        if value is not None:
            return value
    return None


def _bad_data(data: object) -> str:
    raise PayloadError(f"message.data must be a base64 string, got {type_name(data)}")


_PARSERS: dict[Provider, Callable[[JsonObject, datetime | None], list[BudgetAlert]]] = {
    "aws": _aws,
    "azure": _azure,
    "gcp": _gcp,
}
