"""The daily digest's figures: ``AllocatedCosts`` -> one ``CostDigest`` per team. Pure.

Every figure a digest shows is computed here, so the Slack blocks and the chart only lay them
out. Two rules keep digests honest with each other and with the data:

* cents come from the overall breakdown (largest remainder): a team's month to date and
  yesterday are its line of that breakdown, so a team's digest and the overall one agree;
* freshness is per provider and currency: a digest is judged by the providers its own costs
  come from, and days with no cost row at all are export gaps, not free days.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from costwarden.models.allocation import ZERO, AllocatedCost, AllocatedCosts, apportion
from costwarden.models.digest import UNALLOCATED, CostDigest, CostLine, DailyPoint
from costwarden.policy.allocation import AllocationSection

TRAILING_DAYS = 7
CHART_GROUPS = 6  # series in the chart before the rest are folded into "Other"


def build_digest(
    costs: AllocatedCosts, *, team: str | None, day: date, allocation: AllocationSection
) -> CostDigest:
    """The digest of ``team`` (None: everyone) for ``day``, from allocated costs. Pure."""
    currency = allocation.currency
    settings = allocation.digest
    month_start = day.replace(day=1)
    everyone = [line for line in costs.select(currency) if line.day <= day]
    mine = [line for line in everyone if team is None or line.team == team]
    by_day: dict[date, Decimal] = defaultdict(lambda: ZERO)
    for line in mine:
        by_day[line.day] += line.amount
    month = [line for line in mine if line.day >= month_start]
    # Judged by the providers this digest's costs come from (all of them when it has none).
    providers = {line.provider for line in mine} or None
    through = costs.data_through_for(currency, providers)
    has_data = through is not None and through >= day
    trailing = [
        day - timedelta(days=n)
        for n in range(1, TRAILING_DAYS + 1)
        if costs.data_from is not None and costs.data_from <= day - timedelta(days=n)
    ]
    chart_start = day - timedelta(days=settings.history_days - 1)
    budget = allocation.overall_budget if team is None else allocation.budgets.get(team)
    # Month to date (and yesterday) in the cents of the overall breakdown: a team's digest and
    # the overall one never show different cents for the same team, nor a total that is not
    # the sum of its rows.
    breakdown = _breakdown([line for line in everyone if line.day >= month_start])
    cents = {line.name: line.amount for line in breakdown}
    month_to_date = sum(cents.values(), ZERO) if team is None else cents.get(team, ZERO)
    return CostDigest(
        team=team,
        currency=currency,
        day=day,
        month_to_date=month_to_date,
        yesterday=_cents_of(team, [line for line in everyone if line.day == day])
        if has_data
        else None,
        trailing_average=(
            sum((by_day.get(d, ZERO) for d in trailing), ZERO) / len(trailing) if trailing else None
        ),
        trailing_days=len(trailing),
        budget=budget,
        shared=_sum(line for line in month if line.basis == "shared"),
        unallocated=cents.get(UNALLOCATED, ZERO) if team is None else ZERO,
        top_services=_top_services(month, settings.top),
        top_resources=tuple(
            CostLine(r.name or r.resource_id, r.amount, r.service)
            for r in (
                costs.overall_resources
                if team is None
                else [r for r in costs.resources if r.team == team]
            )[: settings.top]
        ),
        breakdown=breakdown if team is None else (),
        daily=_daily([line for line in mine if line.day >= chart_start], by_team=team is None),
        month_daily=tuple(
            (month_start + timedelta(days=n), by_day.get(month_start + timedelta(days=n), ZERO))
            for n in range(day.day)
        ),
        chart_start=chart_start,
        data_through=through,
        provider_data_through=_provider_freshness(costs, currency, providers),
        missing_days=_missing_days(
            costs, currency, providers, month_start=month_start, through=through, day=day
        ),
        other_currencies=_other_currencies(costs, team, month_start, day, currency),
        shared_rules=tuple(sorted({line.rule for line in month if line.rule and line.team})),
    )


def _provider_freshness(
    costs: AllocatedCosts, currency: str, providers: set[str | None] | None
) -> tuple[tuple[str, date], ...]:
    """Each provider's last day, when the digest's providers' exports end on different days."""
    each = sorted(
        (provider or "unknown provider", through)
        for provider, cur, through in costs.data_through_by
        if cur == currency and (providers is None or provider in providers)
    )
    return tuple(each) if len({through for _, through in each}) > 1 else ()


def _missing_days(
    costs: AllocatedCosts,
    currency: str,
    providers: set[str | None] | None,
    *,
    month_start: date,
    through: date | None,
    day: date,
) -> tuple[date, ...]:
    """Days of the month up to ``through`` with no row at all from the digest's providers.

    A day without a single row is an export gap, not a free day: counting it as covered would
    understate the month and bend the forecast.
    """
    if through is None or through < month_start:
        return ()
    seen = {
        line.day
        for line in costs.select(currency)
        if providers is None or line.provider in providers
    }
    last = min(through, day)
    return tuple(
        month_start + timedelta(days=n)
        for n in range((last - month_start).days + 1)
        if month_start + timedelta(days=n) not in seen
    )


def _sum(lines: Iterable[AllocatedCost]) -> Decimal:
    return sum((line.amount for line in lines), ZERO)


def _top_services(lines: list[AllocatedCost], top: int) -> tuple[CostLine, ...]:
    total: dict[str, Decimal] = defaultdict(lambda: ZERO)
    shared: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        total[line.service] += line.amount
        if line.basis == "shared":
            shared[line.service] += line.amount
    ranked = sorted((s for s in total if total[s] > 0), key=lambda s: (-total[s], s))[:top]
    return tuple(CostLine(s, total[s], shared=shared.get(s, ZERO)) for s in ranked)


def _cents_of(team: str | None, lines: list[AllocatedCost]) -> Decimal:
    """``team``'s line of the breakdown of ``lines`` (None: their total), in cents."""
    cents = {line.name: line.amount for line in _breakdown(lines)}
    return sum(cents.values(), ZERO) if team is None else cents.get(team, ZERO)


def _breakdown(lines: list[AllocatedCost]) -> tuple[CostLine, ...]:
    """Month to date per team, then unallocated, in cents that add up to the rounded total."""
    per: dict[str | None, Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        per[line.team] += line.amount
    teams = sorted((t for t in per if t is not None), key=lambda t: (-per[t], t))
    order: list[str | None] = [*teams, None]
    cents = apportion(_sum(lines), [per.get(t, ZERO) for t in order])
    return tuple(CostLine(t or UNALLOCATED, c) for t, c in zip(order, cents, strict=True))


def _daily(lines: list[AllocatedCost], *, by_team: bool) -> tuple[DailyPoint, ...]:
    """Chart series: the biggest groups by name, the rest as Other (Unallocated kept apart)."""

    def group_of(line: AllocatedCost) -> str:
        if by_team:
            return line.team or UNALLOCATED
        return line.service

    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        totals[group_of(line)] += line.amount
    ranked = sorted((g for g in totals if g != UNALLOCATED), key=lambda g: (-totals[g], g))
    keep = set(ranked[: CHART_GROUPS - 1]) if len(ranked) > CHART_GROUPS else set(ranked)
    points: dict[tuple[date, str], Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        group = group_of(line)
        points[(line.day, group if group in keep or group == UNALLOCATED else "Other")] += (
            line.amount
        )
    return tuple(DailyPoint(d, g, a) for (d, g), a in sorted(points.items()) if a)


def _other_currencies(
    costs: AllocatedCosts, team: str | None, start: date, day: date, currency: str
) -> tuple[CostLine, ...]:
    others: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for line in costs.lines:
        mine = team is None or line.team == team
        if mine and line.currency != currency and start <= line.day <= day:
            others[line.currency] += line.amount
    return tuple(CostLine(c, a) for c, a in sorted(others.items()) if a)
