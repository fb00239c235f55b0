"""``StorageQueueWorkQueue`` (real azure-storage-queue client) against Azurite's Queue service.

The Functions queue trigger base64-decodes message text by default, so the tests read messages
back the way it does (``TextBase64DecodePolicy``) and parse them as work items.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from azure.storage.queue import QueueClient, TextBase64DecodePolicy

from costwarden.adapters.azure.queue_work import StorageQueueWorkQueue
from costwarden.errors import CloudApiError
from costwarden.ports_compute import Target, WorkItem

pytestmark = pytest.mark.integration

AT = datetime(2026, 11, 16, 18, 0, tzinfo=UTC)


@pytest.fixture
def queue_name(azurite_queue_connection_string: str) -> Iterator[str]:
    name = f"schedule-{uuid.uuid4().hex[:12]}"
    with QueueClient.from_connection_string(azurite_queue_connection_string, name) as client:
        client.create_queue()
        yield name
        client.delete_queue()


def _drain(connection_string: str, queue: str, **client_kwargs: object) -> list[str]:
    with QueueClient.from_connection_string(connection_string, queue, **client_kwargs) as client:
        return [m.content for m in client.receive_messages(messages_per_page=32)]


def test_each_body_becomes_one_message_the_functions_trigger_decodes(
    azurite_queue_connection_string: str, queue_name: str
):
    bodies = [
        Target("azure", f"0000000{i}-0000-0000-0000-000000000000").to_message(
            run_id="run-1", at=AT, dry_run=False
        )
        for i in range(3)
    ]
    work = StorageQueueWorkQueue.from_connection_string(azurite_queue_connection_string, queue_name)

    work.send(bodies)
    work.close()

    decoded = _drain(
        azurite_queue_connection_string,
        queue_name,
        message_decode_policy=TextBase64DecodePolicy(),
    )
    assert sorted(decoded) == sorted(bodies)
    items = sorted(
        (WorkItem.from_message(text) for text in decoded), key=lambda w: w.target.account
    )
    assert [item.target.account for item in items] == [
        f"0000000{i}-0000-0000-0000-000000000000" for i in range(3)
    ]
    assert all(item.at == AT and item.run_id == "run-1" for item in items)


def test_message_text_on_the_wire_is_base64_of_the_utf8_body(
    azurite_queue_connection_string: str, queue_name: str
):
    body = '{"note":"Grüße, 東京"}'
    work = StorageQueueWorkQueue.from_connection_string(azurite_queue_connection_string, queue_name)

    work.send([body])
    work.close()

    (raw,) = _drain(azurite_queue_connection_string, queue_name)
    assert raw == base64.b64encode(body.encode("utf-8")).decode("ascii")


def test_nothing_to_send_sends_nothing(azurite_queue_connection_string: str, queue_name: str):
    work = StorageQueueWorkQueue.from_connection_string(azurite_queue_connection_string, queue_name)

    work.send([])
    work.close()

    assert _drain(azurite_queue_connection_string, queue_name) == []


def test_a_missing_queue_raises_cloud_api_error_saying_how_far_it_got(
    azurite_queue_connection_string: str,
):
    missing = f"missing-{uuid.uuid4().hex[:12]}"
    work = StorageQueueWorkQueue.from_connection_string(azurite_queue_connection_string, missing)

    with pytest.raises(CloudApiError) as raised:
        work.send(["a", "b"])
    work.close()

    assert "send_message" in str(raised.value)
    assert missing in str(raised.value)
    assert "after 0 of 2" in str(raised.value)
