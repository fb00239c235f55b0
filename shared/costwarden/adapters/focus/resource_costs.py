"""Billed cost per resource from FOCUS data (DuckDB): the scheduler's savings basis.

``FocusResourceCosts`` implements ``costwarden.pricing.ResourceCosts`` over FOCUS CSV/Parquet
files (any export ``FocusCostDrivers`` reads); ``PublishedResourceCosts`` does the same over the
data the export functions publish. Columns read:

=================  ========================================================================
ProviderName       provider filter (``ServiceProviderName`` if ProviderName is absent)
SubAccountId       the account the resource belongs to (optional)
ResourceId         the group key; rows without one are not a resource's cost
ResourceName       matched when an export's id is not the one the inventory reports (optional)
ChargePeriodStart  window filter (UTC)
ChargePeriodEnd    hours with charges (optional: one hour per row without it)
EffectiveCost      amortized cost, discounts included: what a stop really saves
BillingCurrency    the cost's currency
=================  ========================================================================

Hours with usage are the distinct charge periods in which the resource cost more than zero:
exact with hourly exports, whole days with daily ones, which makes the hourly cost read low for
a resource stopped part of each day (a saving is understated, never overstated).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from costwarden.adapters.focus.duckdb_cost_drivers import (
    PROVIDER_ALIASES,
    CostDataError,
    Source,
    _first_line,
    _quote,
)
from costwarden.adapters.focus.published_data import PublishedFocusData, billing_periods
from costwarden.models.budget import Provider
from costwarden.pricing.estimator import ResourceCost


class FocusResourceCosts:
    """``ResourceCosts`` over FOCUS files, aggregated with DuckDB (files re-read per call)."""

    def __init__(self, paths: Sequence[str | Path]) -> None:
        if isinstance(paths, str | Path):
            paths = [paths]
        if not paths:
            raise ValueError("FocusResourceCosts needs at least one FOCUS file path or glob")
        self.sources = tuple(Source.parse(p) for p in paths)
        self._conn = duckdb.connect(":memory:")
        with contextlib.suppress(duckdb.Error):  # FOCUS times are UTC (see duckdb_cost_drivers)
            self._conn.execute("SET GLOBAL TimeZone = 'UTC'")
        self._lock = threading.Lock()

    def close(self) -> None:
        self._conn.close()

    def resource_costs(
        self, *, provider: Provider, start: datetime, end: datetime
    ) -> Sequence[ResourceCost]:
        params: dict[str, Any] = {
            "providers": list(PROVIDER_ALIASES.get(provider, (provider,))),
            "start": _naive_utc(start),
            "end": _naive_utc(end),
        }
        with self._lock:  # a connection is not thread-safe; a cursor per call is
            cursor = self._conn.cursor()
        try:
            selects = []
            for index, source in enumerate(self.sources):
                param = f"path{index}"
                params[param] = source.path
                selects.append(_projection(cursor, source, param))
            sql = _COSTS_SQL.format(sources="\n    UNION ALL\n    ".join(selects))
            try:
                rows = cursor.execute(sql, params).fetchall()
            except duckdb.Error as error:
                where = ", ".join(s.path for s in self.sources)
                raise CostDataError(
                    f"cannot read cost data from {where}: {_first_line(error)}"
                ) from error
        finally:
            cursor.close()
        return [
            ResourceCost(
                resource_id=str(rid),
                resource_name=None if name is None else str(name),
                account=None if account is None else str(account),
                cost=Decimal(cost),
                hours=Decimal(str(hours)),
                currency=str(currency),
            )
            for rid, name, account, currency, cost, hours in rows
        ]


@dataclass
class PublishedResourceCosts:
    """``ResourceCosts`` over published FOCUS data: the window's months synced, then queried."""

    data: PublishedFocusData

    def resource_costs(
        self, *, provider: Provider, start: datetime, end: datetime
    ) -> Sequence[ResourceCost]:
        periods = billing_periods(start.date(), end.date())

        def read(paths: list[Path]) -> Sequence[ResourceCost]:
            if not paths:
                return []  # nothing published yet: every resource falls back to list prices
            costs = FocusResourceCosts(paths)
            try:
                return costs.resource_costs(provider=provider, start=start, end=end)
            finally:
                costs.close()

        return self.data.read_with_resync(periods, read)


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("resource cost windows need aware datetimes")
    return moment.astimezone(UTC).replace(tzinfo=None)


def _projection(cursor: duckdb.DuckDBPyConnection, source: Source, param: str) -> str:
    """One source's ``SELECT`` in our column names; checks the required columns first."""
    reader = source.reader(param)
    try:
        described = cursor.execute(
            f"DESCRIBE SELECT * FROM {reader}",  # noqa: S608 - fixed template, path is a param
            {param: source.path},
        )
        names = [str(row[0]) for row in described.fetchall()]
    except duckdb.Error as error:
        raise CostDataError(f"{source.path}: cannot read: {_first_line(error)}") from error
    columns = {name.lower(): name for name in names}

    def column(*candidates: str) -> str | None:
        for candidate in candidates:
            if candidate.lower() in columns:
                return _quote(columns[candidate.lower()])
        return None

    required = ["ResourceId", "ChargePeriodStart", "EffectiveCost", "BillingCurrency"]
    missing = [name for name in required if column(name) is None]
    provider_col = column("ProviderName", "ServiceProviderName")
    if provider_col is None:
        missing.insert(0, "ProviderName")
    if missing:
        raise CostDataError(
            f"{source.path}: missing required FOCUS column(s): {', '.join(missing)}"
        )

    def text(name: str) -> str:
        col = column(name)
        return f"CAST({col} AS VARCHAR)" if col else "CAST(NULL AS VARCHAR)"

    def moment(col: str) -> str:
        # via TIMESTAMPTZ so that an offset in the text ("Z", "+02:00") is honoured
        return f"CAST(CAST({col} AS TIMESTAMPTZ) AS TIMESTAMP)"

    start = moment(str(column("ChargePeriodStart")))
    end_col = column("ChargePeriodEnd")
    end = moment(end_col) if end_col else f"({start} + INTERVAL 1 HOUR)"
    return (
        f"SELECT CAST({provider_col} AS VARCHAR) AS provider_name, "  # noqa: S608
        f"{text('SubAccountId')} AS sub_account_id, "
        f"{text('ResourceId')} AS resource_id, "
        f"{text('ResourceName')} AS resource_name, "
        f"{text('BillingCurrency')} AS currency, "
        f"{start} AS charge_start, {end} AS charge_end, "
        f"CAST({column('EffectiveCost')} AS DECIMAL(38, 12)) AS cost "
        f"FROM {reader}"
    )


# Only fixed fragments are formatted in; providers, window and paths are parameters.
_COSTS_SQL = """
WITH src AS (
    {sources}
),
rows AS MATERIALIZED (
    SELECT trim(resource_id) AS resource_id, resource_name, sub_account_id, currency,
           charge_start, charge_end, cost
    FROM src
    WHERE list_contains($providers, lower(trim(provider_name)))
      AND resource_id IS NOT NULL AND trim(resource_id) <> ''
      AND currency IS NOT NULL
      AND charge_start >= CAST($start AS TIMESTAMP) AND charge_start < CAST($end AS TIMESTAMP)
),
periods AS (
    SELECT resource_id, currency, charge_start, charge_end
    FROM rows
    GROUP BY resource_id, currency, charge_start, charge_end
    HAVING sum(cost) > 0
),
hours AS (
    SELECT resource_id, currency,
           sum(greatest(epoch(charge_end) - epoch(charge_start), 0)) / 3600.0 AS hours
    FROM periods
    GROUP BY resource_id, currency
),
totals AS (
    SELECT resource_id, currency, max(resource_name) AS resource_name,
           max(sub_account_id) AS sub_account_id, sum(cost) AS cost
    FROM rows
    GROUP BY resource_id, currency
)
SELECT t.resource_id, t.resource_name, t.sub_account_id, t.currency, t.cost, h.hours
FROM totals t JOIN hours h USING (resource_id, currency)
WHERE t.cost > 0 AND h.hours > 0
ORDER BY t.resource_id, t.currency
"""
