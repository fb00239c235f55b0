"""One botocore ``Config`` for every scheduling client, and how a failed call becomes an error.

Retries are botocore's job, not ours: *standard* mode retries throttling codes (``Throttling``,
``ThrottlingException``, ``RequestLimitExceeded``, ``SlowDown``, ...), 5xx answers and
connection errors, with exponential backoff and jitter (1 s base for throttling, 20 s cap) and
a per-client retry quota so a failing endpoint is not hammered. EC2's API limits are per
account and region and shared with every other tool in the account (the console, Terraform,
other schedulers), so a nightly stop across an organisation gets throttled for real: eight
attempts ride out a burst of throttling, yet still fail inside one Lambda invocation (15 min)
when an API is down.

A call that still fails raises ``CloudApiError`` naming the operation (listings, metrics) or
becomes a failed ``Outcome`` (one resource's action): never an empty result.
"""

from __future__ import annotations

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from costwarden.errors import CloudApiError

#: Attempts per call including the first (botocore's standard mode default is 3).
DEFAULT_MAX_ATTEMPTS = 8
#: Seconds to open a connection; regional endpoints answer in milliseconds.
CONNECT_TIMEOUT = 5
#: Seconds to wait for an answer: DescribeInstances pages of 1,000 instances take a few seconds.
READ_TIMEOUT = 30


def client_config(*, max_attempts: int = DEFAULT_MAX_ATTEMPTS) -> Config:
    """The client config every scheduling adapter uses unless the caller passes its own."""
    if max_attempts < 1:
        raise ValueError("max_attempts counts the first attempt: it must be at least 1")
    return Config(
        # ``total_max_attempts`` counts the first attempt; the dict's ``max_attempts`` would
        # count retries only.
        retries={"mode": "standard", "total_max_attempts": max_attempts},
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        tcp_keepalive=True,
    )


def error_code(exc: BaseException) -> str:
    """The AWS error code of a ``ClientError``; the class name of anything else."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code") or "Unknown")
    return type(exc).__name__


def describe_error(exc: ClientError | BotoCoreError) -> str:
    """``Code: message`` for a person reading a Slack report or a log line."""
    if isinstance(exc, ClientError):
        message = str(exc.response.get("Error", {}).get("Message") or "").strip()
        retries = exc.response.get("ResponseMetadata", {}).get("RetryAttempts")
        text = f"{error_code(exc)}: {message}" if message else error_code(exc)
        return f"{text} (after {retries} retries)" if retries else text
    return f"{type(exc).__name__}: {exc}"


def api_error(operation: str, where: str, exc: ClientError | BotoCoreError) -> CloudApiError:
    """A ``CloudApiError`` naming the call and the target it was made against."""
    return CloudApiError(f"AWS {operation} failed for {where}: {describe_error(exc)}")


__all__ = [
    "CONNECT_TIMEOUT",
    "DEFAULT_MAX_ATTEMPTS",
    "READ_TIMEOUT",
    "api_error",
    "client_config",
    "describe_error",
    "error_code",
]
