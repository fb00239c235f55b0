"""The Google Cloud planner's work queue: one Pub/Sub message per target on the worker's topic.

google-cloud-pubsub's ``PublisherClient`` batches the messages itself (up to 100 per
``topics.publish`` request by default, far below the API's 1,000-message / 10 MB limit) and
returns a future per message; ``send`` waits for all of them, so a fan-out either reached the
topic or raised ``CloudApiError`` saying how many messages did not. A partial failure re-raises
after the others were published: a rerun may then send a target twice, which is harmless because
a worker re-reads every resource before acting (``already``) and its reports are deduplicated
per run and target.

The REST transport is used (``transport="rest"``): it needs no long-lived HTTP/2 channel in a
short-lived function instance, and it is the transport the loopback test server speaks.
Throttling (429) and 5xx are retried with ``RetrySettings``; the library's own default retry
does not cover HTTP 429 on REST (it retries the gRPC ``ResourceExhausted`` code).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from google.auth.credentials import Credentials

from costwarden.adapters.gcp.gce_compute import API_ERRORS, DEFAULT_RETRY, RetrySettings
from costwarden.errors import CloudApiError, ConfigError

_TOPIC = re.compile(r"projects/[^/]+/topics/[^/]+")


def rest_publisher(
    *, credentials: Credentials | None = None, api_endpoint: str | None = None
) -> Any:
    """A ``PublisherClient`` on the REST transport. ``credentials`` None: Application Default
    Credentials; ``api_endpoint`` e.g. ``http://127.0.0.1:PORT`` (the scheme is honoured)."""
    from google.cloud.pubsub_v1 import PublisherClient

    options = {"api_endpoint": api_endpoint} if api_endpoint else None
    return PublisherClient(transport="rest", credentials=credentials, client_options=options)


class PubSubWorkQueue:
    """``WorkQueue`` publishing each body (UTF-8) to ``topic`` (``projects/<p>/topics/<t>``)."""

    def __init__(
        self,
        publisher: Any,
        topic: str,
        *,
        retry: RetrySettings = DEFAULT_RETRY,
        call_timeout: float = 60.0,
    ) -> None:
        if not _TOPIC.fullmatch(topic):
            raise ConfigError(f"not a Pub/Sub topic path (projects/<p>/topics/<t>): {topic!r}")
        self._publisher = publisher
        self._topic = topic
        self._retry = retry.retry()
        self._call_timeout = call_timeout
        # A future settles once its batch's request and retries are over; this only guards
        # against a batch thread that never reports back.
        self._wait = retry.timeout + call_timeout

    @classmethod
    def create(
        cls,
        topic: str,
        *,
        credentials: Credentials | None = None,
        api_endpoint: str | None = None,
        retry: RetrySettings = DEFAULT_RETRY,
        call_timeout: float = 60.0,
    ) -> PubSubWorkQueue:
        """Builds the REST ``PublisherClient`` from settings (the composition root's entry)."""
        publisher = rest_publisher(credentials=credentials, api_endpoint=api_endpoint)
        return cls(publisher, topic, retry=retry, call_timeout=call_timeout)

    @property
    def topic(self) -> str:
        return self._topic

    def send(self, bodies: Sequence[str]) -> None:
        call = f"pubsub topics.publish({self._topic})"
        futures: list[Any] = []
        try:
            for body in bodies:
                futures.append(
                    self._publisher.publish(
                        self._topic,
                        body.encode("utf-8"),
                        retry=self._retry,
                        timeout=self._call_timeout,
                    )
                )
        except (*API_ERRORS, ValueError) as exc:  # ValueError: e.g. a message over 10 MB
            raise CloudApiError(f"{call} refused a message: {exc}") from exc
        failures: list[BaseException] = []
        for future in futures:
            try:
                future.result(timeout=self._wait)
            except API_ERRORS as exc:  # includes TimeoutError (an OSError)
                failures.append(exc)
        if failures:
            raise CloudApiError(
                f"{call} failed for {len(failures)} of {len(futures)} messages: {failures[0]}"
            )


__all__ = ["PubSubWorkQueue", "rest_publisher"]
