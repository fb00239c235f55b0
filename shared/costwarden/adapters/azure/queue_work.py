"""``WorkQueue`` on an Azure Storage queue: the Azure planner's fan-out to its workers.

Storage queues have no batch send: one ``send_message`` per work item (a run sends one per
subscription, a handful of calls).

Encoding: the Azure Functions queue trigger decodes messages as base64 by default
(``host.json`` ``extensions.queues.messageEncoding`` is ``base64`` unless set to ``none``), and a
message it cannot decode goes to the poison queue without running the function. So every body is
sent base64-encoded (UTF-8, then base64), done here rather than through a client encode policy so
that a ``QueueClient`` built anywhere with the SDK's defaults sends what the trigger reads. Pass a
client *without* ``message_encode_policy`` (``from_connection_string`` builds one), or bodies are
encoded twice. The encoded message must stay under the service's 64 KiB; work items are a few
hundred bytes.

Retries are the Storage SDK's (exponential, on 408/429/5xx and connection errors); a message that
still fails raises ``CloudApiError`` saying how many went out before it.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

from azure.core.exceptions import AzureError
from azure.storage.queue import QueueClient

from costwarden.errors import CloudApiError


def encode_body(body: str) -> str:
    """What the Functions queue trigger decodes back to ``body`` (base64 of the UTF-8 bytes)."""
    return base64.b64encode(body.encode("utf-8")).decode("ascii")


class StorageQueueWorkQueue:
    def __init__(self, queue_client: QueueClient) -> None:
        self._queue = queue_client
        self.location = queue_client.url

    @classmethod
    def from_connection_string(
        cls, connection_string: str, queue_name: str, **client_kwargs: Any
    ) -> StorageQueueWorkQueue:
        """A work queue on ``queue_name`` of the storage account in ``connection_string``."""
        return cls(
            QueueClient.from_connection_string(connection_string, queue_name, **client_kwargs)
        )

    def send(self, bodies: Sequence[str]) -> None:
        for sent, body in enumerate(bodies):
            try:
                self._queue.send_message(encode_body(body))
            except AzureError as exc:
                raise CloudApiError(
                    f"Azure Storage queue send_message to {self.location} failed after "
                    f"{sent} of {len(bodies)} work items were sent: {exc.message}"
                ) from exc

    def close(self) -> None:
        self._queue.close()
