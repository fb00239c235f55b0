"""Which cloud sent a payload is told from its shape; a forced provider must match it."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from costwarden.errors import PayloadError, UnrecognisedPayloadError
from costwarden.normalize.budget import (
    detect_provider,
    parse_budget_event,
    parse_budget_event_text,
)
from unit.normalize.budget_fixture_paths import RECEIVED_AT, load_event

ONE_PER_CLOUD = {
    "aws": "aws/budget_monthly_actual.json",
    "azure": "azure/budget_common_actual.json",
    "gcp": "gcp/budget_actual_crossed.json",
}
EVERY_SHAPE = [
    ("aws", "aws/budget_monthly_actual.json"),
    ("azure", "azure/budget_common_actual.json"),
    ("azure", "azure/budget_legacy_aip.json"),
    ("gcp", "gcp/budget_actual_crossed.json"),
    ("gcp", "gcp/budget_legacy_background_event.json"),
    ("gcp", "gcp/budget_push_body.json"),
]


@pytest.mark.parametrize(("provider", "event"), EVERY_SHAPE)
def test_provider_is_detected_from_the_payload_shape(provider: str, event: str) -> None:
    payload = load_event(event)

    assert detect_provider(payload) == provider
    assert {a.provider for a in parse_budget_event(payload, received_at=RECEIVED_AT)} == {provider}


@pytest.mark.parametrize(("provider", "event"), EVERY_SHAPE)
def test_forcing_the_right_provider_gives_the_same_alerts(provider: str, event: str) -> None:
    payload = load_event(event)

    forced = parse_budget_event(payload, provider=provider, received_at=RECEIVED_AT)  # type: ignore[arg-type]

    assert forced == parse_budget_event(payload, received_at=RECEIVED_AT)


MISMATCHES = [(a, f) for a in sorted(ONE_PER_CLOUD) for f in sorted(ONE_PER_CLOUD) if a != f]


@pytest.mark.parametrize(("actual", "forced"), MISMATCHES)
def test_forcing_the_wrong_provider_is_unrecognised(actual: str, forced: str) -> None:
    payload = load_event(ONE_PER_CLOUD[actual])

    with pytest.raises(UnrecognisedPayloadError):
        parse_budget_event(payload, provider=forced)  # type: ignore[arg-type]


def test_an_unknown_provider_name_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="provider must be one of"):
        parse_budget_event({}, provider="oracle")  # type: ignore[arg-type]


def test_raw_bytes_with_a_byte_order_mark_are_accepted() -> None:
    raw = json.dumps(load_event(ONE_PER_CLOUD["gcp"])).encode("utf-8-sig")

    (alert,) = parse_budget_event_text(raw)

    assert alert.provider == "gcp"


def test_bytes_that_are_not_utf8_are_a_payload_error() -> None:
    with pytest.raises(PayloadError, match="not UTF-8"):
        parse_budget_event_text(b"\xff\xfe{")


def test_sns_https_subscription_body_is_read_as_aws() -> None:
    record = load_event("aws/budget_monthly_actual.json")["Records"][0]["Sns"]

    (alert,) = parse_budget_event(record)

    assert alert.provider == "aws"
    assert alert.message_id == record["MessageId"]


def test_bare_first_gen_pubsub_event_is_read_as_gcp() -> None:
    # What a 1st-gen Python background function gets as ``event`` (context passed apart).
    message = load_event("gcp/budget_actual_crossed.json")["data"]["message"]
    bare = {"@type": "type.googleapis.com/google.pubsub.v1.PubsubMessage", **message}
    del bare["messageId"], bare["message_id"], bare["publishTime"], bare["publish_time"]

    (alert,) = parse_budget_event(bare, received_at=RECEIVED_AT)

    assert alert.provider == "gcp"
    assert alert.message_id is None
    assert alert.notified_at == RECEIVED_AT  # no publish time in the event: received_at stands in


def test_background_event_with_top_level_event_id_is_read_as_gcp() -> None:
    legacy = load_event("gcp/budget_legacy_background_event.json")
    flat: dict[str, Any] = {**legacy["context"], "data": legacy["data"]}

    (alert,) = parse_budget_event(flat)

    assert alert.message_id == legacy["context"]["eventId"]


def test_cloudevent_data_alone_is_read_like_a_push_body() -> None:
    # A handler that passes ``cloud_event.data`` rather than the whole CloudEvent still works.
    data = load_event("gcp/budget_actual_crossed.json")["data"]

    (alert,) = parse_budget_event(data)

    assert alert.message_id == data["message"]["messageId"]


def test_background_event_of_another_type_is_unrecognised() -> None:
    legacy = load_event("gcp/budget_legacy_background_event.json")
    legacy["context"]["eventType"] = "google.storage.object.finalize"

    with pytest.raises(UnrecognisedPayloadError, match="not a Pub/Sub message"):
        parse_budget_event(legacy)


def test_pubsub_data_given_as_non_string_is_a_payload_error() -> None:
    event = load_event("gcp/budget_push_body.json")
    event["message"]["data"] = {"budgetDisplayName": "x"}

    with pytest.raises(PayloadError, match=r"message\.data must be a base64 string"):
        parse_budget_event(event)


def test_pubsub_attributes_must_be_strings() -> None:
    event = load_event("gcp/budget_push_body.json")
    event["message"]["attributes"]["budgetId"] = 42

    with pytest.raises(PayloadError, match=r"attributes\.budgetId must be a string"):
        parse_budget_event(event)


def test_empty_pubsub_data_is_a_payload_error() -> None:
    event = load_event("gcp/budget_push_body.json")
    event["message"]["data"] = base64.b64encode(b"   ").decode()

    with pytest.raises(PayloadError, match="not JSON"):
        parse_budget_event(event)
