"""Send a batch of power changes first, then await them: the pattern of the providers whose
changes are long-running operations (Azure ARM, Compute Engine).

Awaiting each change before sending the next would make one slow deallocate delay every other
resource of the run past the function's timeout; sending all first lets the operations run
side by side, and each is then awaited against the batch's one deadline.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from costwarden.plan.model import LastAction, Outcome, PlannedAction

Started = TypeVar("Started")


def send_then_settle(
    items: Sequence[tuple[PlannedAction, LastAction]],
    send: Callable[[PlannedAction], Outcome | Started],
    settle: Callable[[PlannedAction, LastAction, Started], Outcome],
) -> list[Outcome]:
    """One outcome per item, in order. ``send`` answers an ``Outcome`` when there is nothing to
    await (already in the target state, refused), else what ``settle`` awaits."""
    outcomes: dict[int, Outcome] = {}
    sent: list[tuple[int, PlannedAction, LastAction, Started]] = []
    for index, (action, record) in enumerate(items):
        started = send(action)
        if isinstance(started, Outcome):
            outcomes[index] = started
        else:
            sent.append((index, action, record, started))
    for index, action, record, started in sent:
        outcomes[index] = settle(action, record, started)
    return [outcomes[index] for index in range(len(items))]
