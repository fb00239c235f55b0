"""Building schedules and instants for the engine's tests."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from costwarden.policy.scheduling import Schedule
from costwarden.schedule import ScheduleClock


def schedule(timezone: str, *periods: Mapping[str, Any], **extra: Any) -> Schedule:
    """A validated schedule, as the policy loader would build it."""
    return Schedule.model_validate({"timezone": timezone, "periods": list(periods), **extra})


def clock(**schedules: Schedule) -> ScheduleClock:
    return ScheduleClock(schedules)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def local(zone: str, *parts: int, fold: int = 0) -> datetime:
    """An aware local time (``fold`` picks the occurrence of a repeated one)."""
    return datetime(*parts, tzinfo=ZoneInfo(zone), fold=fold)  # type: ignore[misc]
