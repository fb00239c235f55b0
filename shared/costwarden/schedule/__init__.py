"""The schedule engine: pure functions of time over the policy's schedules.

``ScheduleClock`` answers what a schedule wants at an instant and when that changes;
``parse_until`` reads keep-running-until override tags. Only ``zoneinfo`` (with the ``tzdata``
package's database) and the ``holidays`` package: no cloud, no clock of its own.
"""

from costwarden.schedule.clock import (
    FRACTION_WINDOW,
    LOOKAHEAD_DAYS,
    LOOKBACK_DAYS,
    DesiredState,
    ScheduleClock,
    local_instant,
)
from costwarden.schedule.overrides import format_until, parse_until

__all__ = [
    "FRACTION_WINDOW",
    "LOOKAHEAD_DAYS",
    "LOOKBACK_DAYS",
    "DesiredState",
    "ScheduleClock",
    "format_until",
    "local_instant",
    "parse_until",
]
