"""``WorkQueue`` on SQS: the planner's one message per target, sent ten at a time.

``SendMessageBatch`` takes at most 10 entries and 256 KiB of bodies per call (see
``MAX_BATCH_BYTES``), and can succeed
for some entries and fail for others *in a 200 answer* (``Failed``). Failed entries are sent
once more (a sender fault such as an invalid body fails again; an SQS-side fault usually does
not); whatever still fails raises ``CloudApiError`` listing the entries, after every other
batch was sent, so one bad item costs one target's run and not the whole fan-out.

Throttling and 5xx on the call itself are retried by the client's botocore config (build the
client with ``client_config()``); a call that still fails raises ``CloudApiError``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from costwarden.adapters.aws.retry import api_error
from costwarden.errors import CloudApiError

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

#: SendMessageBatch limits: entries per call, and bytes of all bodies together. SQS raised
#: the payload limit to 1 MiB in 2025; 256 KiB, the limit for years, holds in every partition
#: and is a thousand work items of ~250 bytes.
MAX_ENTRIES = 10
MAX_BATCH_BYTES = 256 * 1024

_Entry = tuple[int, str]  # (position in the caller's list, body)


class SqsWorkQueue:
    """Sends work items to one SQS queue; ``calls`` counts SendMessageBatch requests."""

    def __init__(self, client: SQSClient, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url
        self.calls = 0

    def send(self, bodies: Sequence[str]) -> None:
        problems: list[str] = []
        sent = 0
        for batch in _batches(list(enumerate(bodies))):
            failed = self._send(batch, sent=sent)
            if failed:
                retry = [entry for entry in batch if entry[0] in failed]
                failed = self._send(retry, sent=sent)
            problems.extend(f"item {index}: {failed[index]}" for index in sorted(failed))
            sent += len(batch) - len(failed)
        if problems:
            raise CloudApiError(
                f"AWS sqs:SendMessageBatch to {self._queue_url}: {len(problems)} of "
                f"{len(bodies)} messages not accepted after a retry: " + "; ".join(problems)
            )

    def _send(self, batch: Sequence[_Entry], *, sent: int) -> dict[int, str]:
        """One call; failed entries by position -> ``Code: message``."""
        entries: list[SendMessageBatchRequestEntryTypeDef] = [
            {"Id": str(index), "MessageBody": body} for index, body in batch
        ]
        self.calls += 1
        try:
            response = self._client.send_message_batch(QueueUrl=self._queue_url, Entries=entries)
        except (ClientError, BotoCoreError) as exc:
            where = f"{self._queue_url} ({sent} messages sent before this call)"
            raise api_error("sqs:SendMessageBatch", where, exc) from exc
        return {
            int(entry["Id"]): f"{entry.get('Code', 'Unknown')}: {entry.get('Message', '')}"
            for entry in response.get("Failed", [])
        }


def _batches(entries: Sequence[_Entry]) -> Iterator[list[_Entry]]:
    """Runs of at most ``MAX_ENTRIES`` entries and ``MAX_BATCH_BYTES`` of bodies."""
    batch: list[_Entry] = []
    size = 0
    for entry in entries:
        length = len(entry[1].encode("utf-8"))
        if batch and (len(batch) == MAX_ENTRIES or size + length > MAX_BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(entry)
        size += length
    if batch:
        yield batch
