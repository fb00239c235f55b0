"""The last-action tag's value: what costwarden did, when, and whether it was a grace stop or a
change the cloud accepted but was not seen finished (``pending``)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from costwarden.models.resource import Resource
from costwarden.plan.model import RETRY_DETAIL, RETRY_UNCONFIRMED, LastAction, PlannedAction

AT = datetime(2026, 11, 20, 18, 0, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("record", "text"),
    [
        (LastAction("stop", AT), "stop-20261120t180005z"),
        (LastAction("scale_to_zero", AT), "scale-to-zero-20261120t180005z"),
        (LastAction("stop", AT, "grace"), "stop-20261120t180005z-grace"),
        (LastAction("deallocate", AT, pending=True), "deallocate-20261120t180005z-pending"),
        (LastAction("stop", AT, "grace", True), "stop-20261120t180005z-grace-pending"),
    ],
)
def test_encode_and_decode_are_inverse(record: LastAction, text: str) -> None:
    assert record.encode() == text
    assert LastAction.decode(text) == record
    assert LastAction.decode(text.upper()) == record
    assert len(text) <= 63  # a Google label value


@pytest.mark.parametrize(
    "text",
    [
        "",
        "stop",
        "20261120t180005z",
        "reboot-20261120t180005z",
        "stop-20261120t180005z-maybe",
        "stop-20261120t180005z-grace-grace",
        "stop-20261399t180005z",
        "stop-yesterday",
    ],
)
def test_anything_else_is_no_record(text: str) -> None:
    assert LastAction.decode(text) is None


def _action(details: dict[str, str]) -> PlannedAction:
    resource = Resource(
        "gcp", "proj", "europe-west1-b", "europe-west1-b/vm", "gce_instance", "vm", "running"
    )
    return PlannedAction("stop", resource, "dev", "office", "why", details=details)


def test_an_unconfirmed_change_is_pending_unless_it_retries_one() -> None:
    record = LastAction("stop", AT, "grace")

    assert record.unconfirmed(_action({})) == LastAction("stop", AT, "grace", pending=True)
    retry = _action({RETRY_DETAIL: RETRY_UNCONFIRMED})
    assert record.unconfirmed(retry) == record, "a retry is asked once, never again"
