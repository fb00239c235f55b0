"""Top cost drivers for a budget alert's scope and period, from FOCUS data read with DuckDB.

Works on any FOCUS export (1.0 to 1.3): costwarden's own normalized Parquet, a cloud's native
FOCUS export, or the FinOps Foundation samples, as CSV (optionally compressed) or Parquet, with
globs and hive partitions (``BILLING_PERIOD=2026-11/``). The files are re-read on every call, so a
warm container always sees the latest export; only the DuckDB connection is kept.

Only the columns below are read. Everything else in the file is ignored.

=================  ========================================================================
ProviderName       provider filter (``ServiceProviderName``, FOCUS 1.3, if ProviderName is absent)
BillingAccountId   AWS payer, GCP billing account, Azure billing account / profile
SubAccountId       AWS linked account, Azure ``/subscriptions/<id>`` (optional, as in FOCUS)
ChargePeriodStart  period filter (UTC, start inclusive, end exclusive)
EffectiveCost      the amount: amortized cost, what FOCUS recommends for allocation
BillingCurrency    the amount's currency
ServiceName        driver name when ``by="service"``
ResourceId         driver key when ``by="resource"``; Azure resource-group narrowing
ResourceName       driver name when ``by="resource"`` (optional)
=================  ========================================================================
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Literal

import duckdb

from costwarden.errors import CostwardenError
from costwarden.models.notification import CostDriver

DriverKind = Literal["service", "resource"]
SourceFormat = Literal["csv", "parquet"]

CENT = Decimal("0.01")

# ProviderName values seen in real FOCUS exports, lower-cased. Lenient on purpose: AWS writes
# "AWS", the FinOps samples "Amazon Web Services" in places, Microsoft "Microsoft".
PROVIDER_ALIASES: dict[str, tuple[str, ...]] = {
    "aws": ("aws", "amazon web services", "amazon web services, inc.", "amazon"),
    "azure": ("microsoft", "azure", "microsoft azure", "microsoft corporation"),
    "gcp": ("google cloud", "google", "google cloud platform", "gcp", "google llc"),
}

_PARQUET_SUFFIXES = (".parquet", ".parq", ".pq")
_CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.gzip", ".csv.zst", ".csv.zstd")

# CSV: every column as text, so 12-digit account ids keep their leading zeros and nothing is
# guessed from the first rows; the few columns used are cast explicitly below. FOCUS samples
# write nulls as NULL, other exports as empty fields.
_CSV_READER = (
    "read_csv({param}, header = true, all_varchar = true, nullstr = ['NULL', ''], "
    "union_by_name = true, hive_partitioning = true)"
)
_PARQUET_READER = "read_parquet({param}, union_by_name = true, hive_partitioning = true)"

# The match key of an account id: its last path segment, lower-cased, so that Azure's
# "/subscriptions/<GUID>" equals a bare "<guid>" and "/providers/Microsoft.Billing/
# billingAccounts/123" equals "123". AWS ids also lose leading zeros: a 12-digit id that went
# through an integer column somewhere upstream still matches (AWS ids have a fixed length, so
# this cannot merge two accounts).
_KEY_SQL = "CASE WHEN $strip_zeros THEN ltrim({k}, '0') ELSE {k} END".format(
    k="lower(regexp_extract(rtrim(trim({col}), '/'), '[^/]*$'))"
)


class CostDataError(CostwardenError):
    """Cost data is configured but cannot be used: missing file, missing column, bad value."""


@dataclass(frozen=True)
class Source:
    """One configured path (a file or a glob) and how to read it."""

    path: str
    format: SourceFormat

    @classmethod
    def parse(cls, path: str | Path) -> Source:
        text = str(path)
        name = text.lower()
        if name.endswith(_PARQUET_SUFFIXES):
            return cls(text, "parquet")
        if name.endswith(_CSV_SUFFIXES):
            return cls(text, "csv")
        raise CostDataError(
            f"{text}: cannot tell the cost data format from the name; "
            f"expected one of {', '.join(_CSV_SUFFIXES + _PARQUET_SUFFIXES)}"
        )

    def reader(self, param: str) -> str:
        template = _PARQUET_READER if self.format == "parquet" else _CSV_READER
        return template.format(param=f"${param}")


@dataclass(frozen=True)
class ScopeMatch:
    """Which rows belong to a budget scope, as match keys (see ``_KEY_SQL``).

    A row matches on ``billing`` (BillingAccountId) or ``sub`` (SubAccountId). When both kinds
    match some rows, the billing-account rows win: an AWS budget owned by the management
    (payer) account covers every linked account, while a member account's id never appears as
    a BillingAccountId, so its budget falls back to its SubAccountId rows.
    """

    billing: str | None
    sub: str | None
    strip_zeros: bool = False
    resource_prefix: str | None = None  # Azure resource-group scopes: lower-cased ResourceId prefix

    @classmethod
    def for_scope(cls, provider: str, scope: str) -> ScopeMatch:
        provider = provider.lower()
        if provider == "aws":
            key = _key(scope).lstrip("0")
            return cls(billing=key, sub=key, strip_zeros=True)
        if provider == "gcp":
            return cls(billing=_key(scope), sub=None)
        if provider == "azure":
            return _azure_match(scope)
        key = _key(scope)
        return cls(billing=key, sub=key)


_AZURE_SUBSCRIPTION = re.compile(
    r"/subscriptions/(?P<sub>[^/]+)(?:/resourcegroups/(?P<rg>[^/]+))?", re.IGNORECASE
)


def _azure_match(scope: str) -> ScopeMatch:
    """Azure scopes: a subscription id, an ARM path under a subscription, or a billing path."""
    found = _AZURE_SUBSCRIPTION.search(scope)
    if found:
        sub = found["sub"].lower()
        rg = found["rg"]
        # A resource-group budget must not show the whole subscription's spend.
        prefix = f"/subscriptions/{sub}/resourcegroups/{rg.lower()}/" if rg else None
        return ScopeMatch(billing=None, sub=sub, resource_prefix=prefix)
    if "/" not in scope.strip().strip("/"):
        return ScopeMatch(billing=None, sub=_key(scope))
    # /providers/Microsoft.Billing/billingAccounts/<id>[/billingProfiles/<id>]
    return ScopeMatch(billing=_key(scope), sub=None)


def _key(value: str) -> str:
    """Python twin of ``_KEY_SQL`` (without the AWS zero stripping)."""
    return value.strip().rstrip("/").rsplit("/", 1)[-1].lower()


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


class FocusCostDrivers:
    """``CostDrivers`` over FOCUS CSV/Parquet files, aggregated with DuckDB.

    - Sum of ``EffectiveCost`` per ServiceName (``by="service"``) or per ResourceId
      (``by="resource"``, named by ResourceName when there is one), largest first. Groups whose
      total rounds to zero or below (credits, free tier) are not drivers and are left out.
    - Period: ``ChargePeriodStart`` in ``[period_start, period_end)``; ``period_end`` defaults
      to the first day of the next month (budgets here are mostly monthly). Without
      ``period_start``, the latest month that has rows for the scope.
    - Currency: a scope normally bills in one ``BillingCurrency``. If the period holds several
      (a currency change, mixed exports), the drivers are computed in the scope's main
      currency, the one with the largest absolute EffectiveCost in the period; amounts in
      other currencies are never added to it.
    - Returns None when no row belongs to the scope at all (no data: the message omits the
      section), an empty tuple when the scope has rows but no spend in the period. Raises
      ``CostDataError`` when a file is missing, unreadable or lacks a required column: a
      broken store is never reported as "no data".
    """

    def __init__(self, paths: Sequence[str | Path], *, by: DriverKind = "service") -> None:
        if isinstance(paths, str | Path):
            paths = [paths]  # a lone path is a common slip; a str would otherwise be iterated
        if not paths:
            raise ValueError("FocusCostDrivers needs at least one FOCUS file path or glob")
        if by not in ("service", "resource"):
            raise ValueError(f"by must be 'service' or 'resource', not {by!r}")
        self.sources = tuple(Source.parse(p) for p in paths)
        self.by: DriverKind = by
        self._conn = duckdb.connect(":memory:")
        # FOCUS times are UTC. With the ICU extension (in the standard wheels) TIMESTAMPTZ ->
        # TIMESTAMP casts use the session zone, the host's by default: pin it to UTC. Without
        # ICU the setting does not exist and those casts are UTC already.
        with contextlib.suppress(duckdb.Error):
            self._conn.execute("SET GLOBAL TimeZone = 'UTC'")
        self._lock = threading.Lock()

    def close(self) -> None:
        self._conn.close()

    def top_drivers(
        self,
        *,
        provider: str,
        scope: str | None,
        period_start: date | None,
        limit: int = 5,
        period_end: date | None = None,
    ) -> tuple[CostDriver, ...] | None:
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        if period_start is not None and period_end is not None and period_end <= period_start:
            raise ValueError(f"period_end {period_end} is not after period_start {period_start}")
        if not scope or not scope.strip():
            return None  # nothing to look up: an alert without a scope gets no drivers section
        match = ScopeMatch.for_scope(provider, scope)
        params: dict[str, Any] = {
            "providers": list(PROVIDER_ALIASES.get(provider.lower(), (provider.lower(),))),
            "billing": match.billing,
            "sub": match.sub,
            "strip_zeros": match.strip_zeros,
            "resource_prefix": match.resource_prefix,
            "period_start": period_start,
            "period_end": period_end,
            "limit": limit,
        }
        with self._lock:  # DuckDB connections are not thread-safe; a cursor per call is
            cursor = self._conn.cursor()
        try:
            rows = self._run(cursor, params)
        finally:
            cursor.close()
        scope_rows, missing_currency, currency = rows[0][0], rows[0][1], rows[0][2]
        if not scope_rows:
            return None
        if missing_currency:
            raise CostDataError(
                f"{missing_currency} cost row(s) of {provider} scope {scope!r} in the period "
                "have no BillingCurrency"
            )
        return tuple(
            CostDriver(
                name=str(name),
                amount=Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP),
                currency=str(currency),
                kind=self.by,
            )
            for _, _, _, name, amount in rows
            if name is not None
        )

    # -- internals -------------------------------------------------------------------------
    def _run(
        self, cursor: duckdb.DuckDBPyConnection, params: dict[str, Any]
    ) -> list[tuple[Any, ...]]:
        selects = []
        for index, source in enumerate(self.sources):
            param = f"path{index}"
            params[param] = source.path
            selects.append(self._projection(cursor, source, param))
        sql = _DRIVERS_SQL.format(
            sources="\n    UNION ALL\n    ".join(selects),
            billing_key=_KEY_SQL.format(col="billing_account_id"),
            sub_key=_KEY_SQL.format(col="sub_account_id"),
            **_GROUPING[self.by],
        )
        try:
            return list(cursor.execute(sql, params).fetchall())
        except duckdb.Error as error:
            where = ", ".join(s.path for s in self.sources)
            raise CostDataError(
                f"cannot read cost data from {where}: {_first_line(error)}"
            ) from error

    def _projection(self, cursor: duckdb.DuckDBPyConnection, source: Source, param: str) -> str:
        """``SELECT`` of one source, in our column names and types; checks the columns first."""
        reader = source.reader(param)
        try:
            # S608: ``reader`` is a fixed template; the path itself is a parameter.
            described = cursor.execute(
                f"DESCRIBE SELECT * FROM {reader}",  # noqa: S608
                {param: source.path},
            )
            names = [str(row[0]) for row in described.fetchall()]
        except duckdb.Error as error:
            raise CostDataError(f"{source.path}: cannot read: {_first_line(error)}") from error
        columns = {name.lower(): name for name in names}  # FOCUS names, but be case-lenient

        def column(*candidates: str) -> str | None:
            for candidate in candidates:
                if candidate.lower() in columns:
                    return _quote(columns[candidate.lower()])
            return None

        required = ["BillingAccountId", "BillingCurrency", "ChargePeriodStart", "EffectiveCost"]
        required.append("ServiceName" if self.by == "service" else "ResourceId")
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

        # S608: only fixed fragments and identifiers from the file's header, quoted by _quote.
        return (
            f"SELECT CAST({provider_col} AS VARCHAR) AS provider_name, "  # noqa: S608
            f"{text('BillingAccountId')} AS billing_account_id, "
            f"{text('SubAccountId')} AS sub_account_id, "
            f"{text('BillingCurrency')} AS currency, "
            # via TIMESTAMPTZ so that an offset in the text ("+02:00", "Z") is honoured
            f"CAST(CAST({column('ChargePeriodStart')} AS TIMESTAMPTZ) AS TIMESTAMP) "
            "AS charge_start, "
            f"CAST({column('EffectiveCost')} AS DECIMAL(38, 12)) AS cost, "
            f"{text('ServiceName')} AS service_name, "
            f"{text('ResourceId')} AS resource_id, "
            f"{text('ResourceName')} AS resource_name "
            f"FROM {reader}"
        )


_GROUPING: dict[DriverKind, dict[str, str]] = {
    "service": {"group_key": "service_name", "name": "coalesce(service_name, '(no service)')"},
    "resource": {
        "group_key": "resource_id",
        "name": "coalesce(max(resource_name), resource_id, '(not tied to a resource)')",
    },
}

# Scope values, dates and paths are all parameters; only fixed SQL fragments are formatted in.
# The first row always exists (LEFT JOIN on a one-row table), so "scope has no rows" (None) and
# "scope has rows but no spend in the period" (empty tuple) stay distinguishable.
_DRIVERS_SQL = """
WITH src AS (
    {sources}
),
matched AS MATERIALIZED (
    SELECT *, CASE WHEN {billing_key} = $billing THEN 1 ELSE 2 END AS match_rank
    FROM src
    WHERE list_contains($providers, lower(trim(provider_name)))
      AND ({billing_key} = $billing OR {sub_key} = $sub)
      AND ($resource_prefix IS NULL OR starts_with(lower(resource_id), $resource_prefix))
),
scoped AS (
    SELECT * FROM matched WHERE match_rank = (SELECT min(match_rank) FROM matched)
),
bounds AS (
    SELECT p_start,
           coalesce(CAST($period_end AS TIMESTAMP), p_start + INTERVAL 1 MONTH) AS p_end
    FROM (
        SELECT coalesce(CAST($period_start AS TIMESTAMP), date_trunc('month', max(charge_start)))
               AS p_start
        FROM scoped
    )
),
in_period AS MATERIALIZED (
    SELECT s.* FROM scoped s, bounds b
    WHERE s.charge_start >= b.p_start AND s.charge_start < b.p_end
),
main_currency AS (
    SELECT currency FROM in_period WHERE currency IS NOT NULL
    GROUP BY currency ORDER BY sum(abs(cost)) DESC, currency LIMIT 1
),
drivers AS (
    SELECT {name} AS name, sum(cost) AS amount
    FROM in_period
    WHERE currency = (SELECT currency FROM main_currency)
    GROUP BY {group_key}
    HAVING round(sum(cost), 2) > 0
    ORDER BY amount DESC, name
    LIMIT $limit
)
SELECT (SELECT count(*) FROM matched) AS scope_rows,
       (SELECT count(*) FROM in_period WHERE currency IS NULL) AS missing_currency,
       (SELECT currency FROM main_currency) AS currency,
       d.name,
       d.amount
FROM (SELECT 1) AS one LEFT JOIN drivers d ON true
ORDER BY d.amount DESC NULLS LAST, d.name
"""
