"""SqsWorkQueue: SendMessageBatch ten at a time, failed entries retried once, then reported."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from costwarden.adapters.aws import SqsWorkQueue, client_config
from costwarden.errors import CloudApiError
from costwarden.ports_compute import Target, WorkItem
from integration.scheduling_aws.aws_estate import REGION
from integration.scheduling_aws.conftest import MotoClient
from throttle_proxy import ThrottleProxy

pytestmark = pytest.mark.integration

AT = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)


def _bodies(count: int) -> list[str]:
    return [
        Target("aws", f"{100000000000 + n}", REGION).to_message(
            run_id="run-1", at=AT, dry_run=False
        )
        for n in range(count)
    ]


@pytest.fixture
def queue_url(moto_client: MotoClient) -> str:
    url: str = moto_client("sqs").create_queue(QueueName=f"work-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    return url


def _client(session: boto3.Session, endpoint: str, **config: Any) -> Any:
    client = session.client(
        "sqs", endpoint_url=endpoint, region_name=REGION, config=client_config(**config)
    )
    return client


def _batches(client: Any) -> list[list[str]]:
    """Records the entry ids of every SendMessageBatch request the client makes."""
    seen: list[list[str]] = []
    client.meta.events.register(
        "provide-client-params.sqs.SendMessageBatch",
        lambda params, **kwargs: seen.append([e["Id"] for e in params["Entries"]]),
    )
    return seen


def _drain(moto_client: MotoClient, queue_url: str) -> list[str]:
    sqs = moto_client("sqs")
    bodies: list[str] = []
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get(
            "Messages", []
        )
        if not messages:
            return bodies
        bodies.extend(m["Body"] for m in messages)
        for m in messages:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])


def test_25_items_go_out_in_three_calls_and_arrive_intact(
    session: boto3.Session, moto_endpoint: str, moto_client: MotoClient, queue_url: str
) -> None:
    client = _client(session, moto_endpoint)
    batches = _batches(client)
    queue = SqsWorkQueue(client, queue_url)
    bodies = _bodies(25)

    queue.send(bodies)

    assert queue.calls == 3
    assert [len(b) for b in batches] == [10, 10, 5]
    received = _drain(moto_client, queue_url)
    assert sorted(received) == sorted(bodies)
    assert WorkItem.from_message(received[0]).run_id == "run-1"


def test_failed_entries_are_sent_once_more(
    session: boto3.Session, fault_proxy: ThrottleProxy, moto_client: MotoClient, queue_url: str
) -> None:
    client = _client(session, fault_proxy.url)
    batches = _batches(client)
    queue = SqsWorkQueue(client, queue_url)
    bodies = _bodies(12)
    fault_proxy.fail_batch_entries({"3", "7"})

    queue.send(bodies)

    assert batches == [[str(n) for n in range(10)], ["3", "7"], ["10", "11"]]
    assert sorted(_drain(moto_client, queue_url)) == sorted(bodies)


def test_entries_that_fail_twice_raise_listing_them_after_the_rest_was_sent(
    session: boto3.Session, fault_proxy: ThrottleProxy, moto_client: MotoClient, queue_url: str
) -> None:
    client = _client(session, fault_proxy.url)
    queue = SqsWorkQueue(client, queue_url)
    bodies = _bodies(25)
    fault_proxy.fail_batch_entries({"13"}, code="KmsThrottled", times=2)

    with pytest.raises(CloudApiError, match=r"1 of 25 messages.*item 13: KmsThrottled"):
        queue.send(bodies)

    assert queue.calls == 4
    assert sorted(_drain(moto_client, queue_url)) == sorted(bodies[:13] + bodies[14:])


def test_bodies_are_batched_by_size_as_well_as_count(
    session: boto3.Session, moto_endpoint: str, moto_client: MotoClient, queue_url: str
) -> None:
    client = _client(session, moto_endpoint)
    batches = _batches(client)
    bodies = [f"{n}" + "x" * (100 * 1024) for n in range(3)]

    SqsWorkQueue(client, queue_url).send(bodies)

    assert batches == [["0", "1"], ["2"]]
    assert sorted(_drain(moto_client, queue_url)) == bodies


def test_a_throttled_send_raises_naming_send_message_batch(
    session: boto3.Session, moto_endpoint: str, queue_url: str
) -> None:
    with ThrottleProxy(moto_endpoint, rate=1.0) as proxy:
        queue = SqsWorkQueue(_client(session, proxy.url, max_attempts=2), queue_url)
        with pytest.raises(CloudApiError, match=r"sqs:SendMessageBatch.*ThrottlingException"):
            queue.send(_bodies(3))
        assert proxy.injected("SendMessageBatch") == 2


def test_sending_nothing_makes_no_call(session: boto3.Session, moto_endpoint: str) -> None:
    queue = SqsWorkQueue(_client(session, moto_endpoint), "http://127.0.0.1:1/none")

    queue.send([])

    assert queue.calls == 0
