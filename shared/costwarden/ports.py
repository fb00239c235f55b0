"""Ports: the small interfaces the services use. Adapters implement them, named by technology.

``ConditionalStateStore`` is a base class in the Powertools style: it owns the claim / complete /
release protocol once, and each backend (DynamoDB, Azure Table, GCS, SQLite) fills four
conditional I/O hooks. That keeps "exactly one Slack message per threshold" in one place.
"""

from __future__ import annotations

import enum
import uuid
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Literal, Protocol

from costwarden.errors import StateStoreError
from costwarden.models.notification import BudgetAlertMessage, CostDriver, PostedMessage

StateStatus = Literal["pending", "done"]


@dataclass(frozen=True)
class StateValue:
    """What a backend stores under one key."""

    status: StateStatus
    owner: str
    lease_until: datetime
    data: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StoredState(StateValue):
    """A ``StateValue`` as read back, with the backend's opaque version (etag, generation)."""

    version: str = ""


def claim_owner(delivery_id: str) -> str:
    """The owner a handler claims state with: the platform's delivery id plus a random part.

    A claim's owner re-acquiring it is taken for our own create whose answer was lost
    (``StateStore.claim``). Platforms redeliver under the same id (Pub/Sub's message id,
    Lambda's request id on a retry, a queue message id) while the first delivery may still
    run, so the id alone would let both deliveries act; the random part makes each its own
    owner, and the id keeps the logs traceable.
    """
    return f"{delivery_id}/{uuid.uuid4().hex[:12]}"


class ClaimStatus(enum.Enum):
    ACQUIRED = "acquired"  # the caller owns the key and must complete() or release() it
    DONE = "done"  # someone already finished this work: do nothing
    BUSY = "busy"  # someone else holds a live lease: retry later


@dataclass(frozen=True)
class Claim:
    status: ClaimStatus
    key: str
    record: StoredState | None = None


class ConditionalStateStore(ABC):
    """Dedup state on any store that offers create-if-absent and compare-and-swap.

    A claim is a ``pending`` record with a lease. If the holder crashes, the lease expires and
    the next delivery takes over, so a crash can never block an alert forever; a live lease
    makes concurrent deliveries back off instead of double-posting.
    """

    #: where the state lives, for humans (logs, the local run's summary)
    location: str = ""

    # -- hooks each backend implements -------------------------------------------------------
    @abstractmethod
    def _create(self, key: str, value: StateValue) -> bool:
        """Write ``value`` only if ``key`` is absent. False if it exists."""

    @abstractmethod
    def _read(self, key: str) -> StoredState | None:
        """Return the record with its current version, or None."""

    @abstractmethod
    def _replace(self, key: str, value: StateValue, version: str) -> bool:
        """Overwrite only if the stored version is still ``version``. False otherwise."""

    @abstractmethod
    def _delete(self, key: str, version: str) -> bool:
        """Delete only if the stored version is still ``version``. False otherwise."""

    # -- the protocol, shared by every backend --------------------------------------------------
    def claim(self, key: str, *, owner: str, now: datetime, lease: timedelta) -> Claim:
        value = StateValue(status="pending", owner=owner, lease_until=now + lease)
        for _attempt in range(5):
            if self._create(key, value):
                return Claim(ClaimStatus.ACQUIRED, key)
            current = self._read(key)
            if current is None:  # released between our create and read: try again
                continue
            if current.status == "done":
                return Claim(ClaimStatus.DONE, key, current)
            if current.owner == owner:
                # Our own create landed but its answer was lost and the SDK retried it.
                return Claim(ClaimStatus.ACQUIRED, key)
            if current.lease_until > now:
                return Claim(ClaimStatus.BUSY, key, current)
            # A stale lease: its holder died mid-flight. Take over, unless someone beat us to it.
            if self._replace(key, value, current.version):
                return Claim(ClaimStatus.ACQUIRED, key)
        raise StateStoreError(f"could not claim {key!r}: it changed under us five times")

    def complete(self, key: str, *, owner: str, data: Mapping[str, str]) -> None:
        current = self._read(key)
        if current is None or current.owner != owner or current.status != "pending":
            raise StateStoreError(f"lost the claim on {key!r} before completing it")
        done = StateValue(status="done", owner=owner, lease_until=current.lease_until, data=data)
        if not self._replace(key, done, current.version):
            raise StateStoreError(f"lost the claim on {key!r} while completing it")

    def release(self, key: str, *, owner: str) -> None:
        """Give a claim back after a failure, so the redelivery can try again at once."""
        current = self._read(key)
        if current is not None and current.owner == owner and current.status == "pending":
            self._delete(key, current.version)

    def get(self, key: str) -> StoredState | None:
        return self._read(key)

    def put_if_absent(self, key: str, *, owner: str, data: Mapping[str, str]) -> bool:
        """Record a finished fact (e.g. a thread's root message) unless one is there already."""
        value = StateValue(
            status="done", owner=owner, lease_until=datetime.now(UTC), data=dict(data)
        )
        return self._create(key, value)


class StateStore(Protocol):
    """What the services need from state; ``ConditionalStateStore`` subclasses satisfy it."""

    location: str

    def claim(self, key: str, *, owner: str, now: datetime, lease: timedelta) -> Claim: ...
    def complete(self, key: str, *, owner: str, data: Mapping[str, str]) -> None: ...
    def release(self, key: str, *, owner: str) -> None: ...
    def get(self, key: str) -> StoredState | None: ...
    def put_if_absent(self, key: str, *, owner: str, data: Mapping[str, str]) -> bool: ...


class Notifier(Protocol):
    """Delivers messages. Raises ``NotificationError`` when delivery failed after retries."""

    def post_budget_alert(self, message: BudgetAlertMessage) -> PostedMessage: ...


class CostDrivers(Protocol):
    """Top cost drivers for a scope and period, from FOCUS cost data.

    Returns None when there is no cost data for that scope (the message omits the section);
    raises when data exists but cannot be read, so a broken store is never mistaken for "none".
    """

    def top_drivers(
        self,
        *,
        provider: str,
        scope: str | None,
        period_start: date | None,
        limit: int = 5,
        period_end: date | None = None,
    ) -> tuple[CostDriver, ...] | None: ...


class NoCostData:
    """The ``CostDrivers`` of a deployment without cost data: honest absence, nothing faked."""

    def top_drivers(
        self,
        *,
        provider: str,
        scope: str | None,
        period_start: date | None,
        limit: int = 5,
        period_end: date | None = None,
    ) -> tuple[CostDriver, ...] | None:
        return None


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)
