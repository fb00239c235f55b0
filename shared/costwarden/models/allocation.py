"""Costs allocated to teams, as the core sees them: exact amounts, no DuckDB types.

``costwarden.focus.allocation`` produces an ``AllocatedCosts`` from FOCUS rows; the digest service
and reports read it. Amounts are exact ``Decimal``s with 10 decimal places (FOCUS costs carry up to
10): a shared cost is split in units of 1e-10 by the largest-remainder method, so the allocated
lines of a day add up to that day's cost *exactly*. ``apportion`` does the same at cents for
display, so a report's rounded rows still add up to its rounded total.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Literal

Basis = Literal["direct", "shared", "unallocated"]
#: Why a cost has no team: no team tag and no account mapping; a team tag whose value names no
#: team (``detail`` holds the value); a shared cost with no team to split it between that day.
UnallocatedReason = Literal["untagged", "unknown_team", "no_split_basis"]

ZERO = Decimal(0)


@dataclass(frozen=True)
class AllocatedCost:
    """One day's cost of one service, for one team (or none), and how it got there."""

    day: date
    currency: str
    service: str
    amount: Decimal
    team: str | None = None  # None: unallocated
    basis: Basis = "direct"
    rule: str | None = None  # the shared rule that split it (or could not)
    reason: UnallocatedReason | None = None
    detail: str | None = None  # the unknown tag value, for reason "unknown_team"
    provider: str | None = None  # aws, azure, gcp (or the row's ProviderName); None: unknown


@dataclass(frozen=True)
class ResourceCost:
    """A resource's cost over ``AllocatedCosts.resources_from`` .. ``end``."""

    resource_id: str
    name: str | None
    service: str
    amount: Decimal
    team: str | None = None  # None: unallocated (or, in ``overall_resources``, any team)


@dataclass(frozen=True)
class AllocatedCosts:
    """Allocated cost lines for ``[start, end)`` plus the top resources per team.

    ``resources`` holds the top resources of each team (and of the unallocated costs, team
    None) in ``resource_currency`` over ``[resources_from, end)``, direct costs only: a shared
    cost is split by amount, not by resource. ``overall_resources`` ranks every cost.
    ``data_from`` / ``data_through`` are the first and last days that have any cost row;
    ``data_through_by`` the last day per ``(provider, currency)``, because providers' exports
    lag differently and one provider's fresh data must not hide another's lag.
    """

    start: date
    end: date
    lines: tuple[AllocatedCost, ...]
    resources: tuple[ResourceCost, ...] = ()
    overall_resources: tuple[ResourceCost, ...] = ()
    resources_from: date | None = None
    resource_currency: str | None = None
    data_from: date | None = None
    data_through: date | None = None
    data_through_by: tuple[tuple[str | None, str, date], ...] = ()

    def currencies(self) -> tuple[str, ...]:
        return tuple(sorted({line.currency for line in self.lines}))

    def data_through_for(
        self, currency: str, providers: Iterable[str | None] | None = None
    ) -> date | None:
        """The last day *every* one of ``providers`` (default: all) has data in ``currency``.

        The earliest of their last days: a day after it is missing at least one provider's
        costs. Falls back to ``data_through`` when no per-provider figure is known.
        """
        if not self.data_through_by:
            return self.data_through
        wanted = None if providers is None else set(providers)
        days = [
            through
            for provider, cur, through in self.data_through_by
            if cur == currency and (wanted is None or provider in wanted)
        ]
        return min(days) if days else None

    def total(self, currency: str, start: date | None = None, end: date | None = None) -> Decimal:
        return sum((line.amount for line in self.select(currency, start, end)), ZERO)

    def select(
        self, currency: str, start: date | None = None, end: date | None = None
    ) -> Iterable[AllocatedCost]:
        """Lines in ``currency`` whose day is in ``[start, end)`` (default: the whole window)."""
        low, high = start or self.start, end or self.end
        return (line for line in self.lines if line.currency == currency and low <= line.day < high)


@dataclass(frozen=True)
class TeamTotal:
    team: str
    direct: Decimal
    shared: Decimal

    @property
    def total(self) -> Decimal:
        return self.direct + self.shared


@dataclass(frozen=True)
class UnallocatedTotal:
    reason: UnallocatedReason
    amount: Decimal
    detail: str | None = None  # the tag value (unknown_team) or the rule (no_split_basis)


@dataclass(frozen=True)
class AllocationSummary:
    """Cost per team for one currency and period: ``total == sum(teams) + sum(unallocated)``."""

    currency: str
    start: date
    end: date
    total: Decimal
    teams: tuple[TeamTotal, ...]
    unallocated: tuple[UnallocatedTotal, ...]
    shared_by_rule: tuple[tuple[str, Decimal], ...] = ()

    @property
    def unallocated_total(self) -> Decimal:
        return sum((u.amount for u in self.unallocated), ZERO)

    def rounded(self, places: int = 2) -> AllocationSummary:
        """The same summary in cents (by default) that still adds up.

        Every leaf (each team's direct and shared amount, each unallocated amount) is rounded
        by the largest-remainder method against the rounded total, so the displayed rows sum
        to the displayed total: no "rounding difference" line, no cent missing.
        """
        leaves = [t.direct for t in self.teams] + [t.shared for t in self.teams]
        leaves += [u.amount for u in self.unallocated]
        parts = apportion(self.total, leaves, places)
        n = len(self.teams)
        teams = tuple(
            replace(team, direct=parts[i], shared=parts[n + i]) for i, team in enumerate(self.teams)
        )
        unallocated = tuple(
            replace(u, amount=parts[2 * n + i]) for i, u in enumerate(self.unallocated)
        )
        quantum = Decimal(1).scaleb(-places)
        by_rule = tuple(
            (name, amount.quantize(quantum, ROUND_HALF_UP)) for name, amount in self.shared_by_rule
        )
        total = self.total.quantize(quantum, ROUND_HALF_UP)
        return replace(
            self, total=total, teams=teams, unallocated=unallocated, shared_by_rule=by_rule
        )


def summarize(
    costs: AllocatedCosts, currency: str, start: date | None = None, end: date | None = None
) -> AllocationSummary:
    """Cost per team (direct and shared) and the unallocated remainder, by reason."""
    direct: dict[str, Decimal] = defaultdict(lambda: ZERO)
    shared: dict[str, Decimal] = defaultdict(lambda: ZERO)
    unallocated: dict[tuple[UnallocatedReason, str | None], Decimal] = defaultdict(lambda: ZERO)
    by_rule: dict[str, Decimal] = defaultdict(lambda: ZERO)
    total = ZERO
    for line in costs.select(currency, start, end):
        total += line.amount
        if line.basis == "shared" and line.rule is not None:
            by_rule[line.rule] += line.amount
        if line.team is None:
            reason = line.reason or "untagged"
            unallocated[(reason, line.rule if reason == "no_split_basis" else line.detail)] += (
                line.amount
            )
        elif line.basis == "shared":
            shared[line.team] += line.amount
            direct.setdefault(line.team, ZERO)
        else:
            direct[line.team] += line.amount
            shared.setdefault(line.team, ZERO)
    teams = tuple(
        TeamTotal(team, direct[team], shared[team])
        for team in sorted(direct, key=lambda t: (-(direct[t] + shared[t]), t))
    )
    unallocated_totals = tuple(
        UnallocatedTotal(reason, amount, detail)
        for (reason, detail), amount in sorted(
            unallocated.items(), key=lambda item: (-item[1], item[0][0], item[0][1] or "")
        )
    )
    return AllocationSummary(
        currency=currency,
        start=start or costs.start,
        end=end or costs.end,
        total=total,
        teams=teams,
        unallocated=unallocated_totals,
        shared_by_rule=tuple(sorted(by_rule.items())),
    )


def apportion(total: Decimal, parts: Sequence[Decimal], places: int = 2) -> list[Decimal]:
    """Round ``parts`` to ``places`` so that they add up to ``total`` rounded half-up.

    Largest remainder: floor every part, then hand the missing units to the parts with the
    largest remainders (ties to the earlier part). ``parts`` must add up to ``total``.
    """
    quantum = Decimal(1).scaleb(-places)
    floors = [part.quantize(quantum, ROUND_FLOOR) for part in parts]
    target = total.quantize(quantum, ROUND_HALF_UP)
    missing = int((target - sum(floors, ZERO)) / quantum)
    order = sorted(range(len(parts)), key=lambda i: (-(parts[i] - floors[i]), i))
    for i in order[: max(missing, 0)]:
        floors[i] += quantum
    return floors
