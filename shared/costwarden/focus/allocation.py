"""Cost allocation to teams over FOCUS rows, in DuckDB.

Input: FOCUS Parquet, costwarden's own output (a directory partitioned
``provider=*/billing_period=*/*.parquet``) or any FOCUS Parquet files or globs. The amount is
``EffectiveCost`` (amortized: what FOCUS recommends for allocation). Days are UTC dates of
``ChargePeriodStart``.

Each row gets one owner, in this order (``docs/cost-digest.md`` explains why):

1. the first ``allocation.shared`` rule whose selector matches: a shared cost, split per day,
   currency and service between teams — proportionally to their direct cost that day, evenly,
   or by fixed percentages;
2. the first ``allocation.team_tag.keys`` tag that is set, if its value names a team;
3. ``allocation.accounts``: the row's SubAccountId mapped to a team;
4. nobody: unallocated, with the reason, and reported in money like everything else.

Exactness: amounts become integers of 1e-10 (FOCUS costs carry up to 10 decimals) and shared
pools are split with the largest-remainder method, so ``sum(lines) == sum(EffectiveCost)`` per
currency, exactly. Only the weights of a proportional split are coarser (1e-4), which decides who
gets which fraction, never whether the fractions add up.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from costwarden.adapters.focus.duckdb_cost_drivers import CostDataError
from costwarden.focus.allocation_sql import (
    ALLOC_SQL,
    FRESHNESS_SQL,
    LINES_SQL,
    RESOURCES_SQL,
    RULE_TEAMS_SQL,
)
from costwarden.models.allocation import AllocatedCost, AllocatedCosts, ResourceCost
from costwarden.policy.allocation import AllocationSection, SharedRule, account_key
from costwarden.policy.schema import Policy

REQUIRED_COLUMNS = ("ChargePeriodStart", "EffectiveCost", "BillingCurrency", "ServiceName")
SCALE = 10**10  # amounts are integers of 1e-10
WEIGHT_DIVISOR = 10**6  # proportional weights in 1e-4 currency units: keeps products in HUGEINT

# ProviderName spellings -> the policy's provider names (FOCUS exports and samples vary).
_PROVIDERS = {
    "aws": ("aws", "amazon web services", "amazon web services, inc.", "amazon"),
    "azure": ("microsoft", "azure", "microsoft azure", "microsoft corporation"),
    "gcp": ("google cloud", "google", "google cloud platform", "gcp", "google llc"),
}


def glob_regex(pattern: str) -> str:
    """An fnmatch glob (``*``, ``?``, ``[a-z]``, ``[!x]``) as an RE2 regex for DuckDB."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        elif char == "[":
            j = i + 1
            if j < len(pattern) and pattern[j] == "!":
                j += 1
            if j < len(pattern) and pattern[j] == "]":
                j += 1
            end = pattern.find("]", j)
            if end < 0:
                out.append(re.escape(char))
            else:
                body = pattern[i + 1 : end]
                negate = body.startswith("!")
                body = body[1:] if negate else body
                body = body.replace("\\", "\\\\").replace("[", "\\[").replace("^", "\\^")
                out.append("[" + ("^" if negate else "") + body + "]")
                i = end
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


@dataclass
class _Sql:
    """SQL fragments and their parameters, built from the policy."""

    params: dict[str, Any]

    def param(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f"${name}"


def _json_path(key: str) -> str:
    # A quoted member name, so keys with dots, dashes or colons (aws:createdBy) work as written.
    return '$."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _tag_value(sql: _Sql, key: str) -> str:
    return f"nullif(trim(json_extract_string(tags, {sql.param(_json_path(key))})), '')"


def _selector(sql: _Sql, rule: SharedRule) -> str:
    match = rule.match
    parts: list[str] = []
    if match.service is not None:
        parts.append(f"regexp_full_match(service, {sql.param(glob_regex(match.service))}, 'i')")
    if match.account is not None:
        parts.append(f"account_key = {sql.param(account_key(match.account))}")
    if match.provider is not None:
        parts.append(f"provider = {sql.param(match.provider)}")
    if match.charge_category is not None:
        parts.append(f"lower(charge_category) = {sql.param(match.charge_category.lower())}")
    for key, value in (match.tag or {}).items():
        parts.append(f"lower({_tag_value(sql, key)}) = {sql.param(value.strip().lower())}")
    return " AND ".join(parts)


def _rule_teams(rule: SharedRule, teams: Sequence[str]) -> list[tuple[str, int | None]]:
    """(team, static weight) of a rule; proportional weights come from the data (None)."""
    if rule.split == "fixed":
        # Integer weights in the finest unit any percentage is written in (33.34 -> 3334).
        exponents = [p.as_tuple().exponent for p in rule.percentages.values()]
        decimals = max([-e for e in exponents if isinstance(e, int)] + [0])
        return [(team, int(p.scaleb(decimals))) for team, p in rule.percentages.items()]
    among = rule.among or tuple(teams)
    return [(team, 1 if rule.split == "even" else None) for team in among]


class FocusAllocator:
    """Allocates FOCUS Parquet costs to the policy's teams (``AllocatedCostData`` port)."""

    def __init__(self, paths: Sequence[str | Path] | str | Path) -> None:
        if isinstance(paths, str | Path):
            paths = [paths]
        if not paths:
            raise ValueError("FocusAllocator needs at least one FOCUS Parquet path")
        self.paths = tuple(_parquet_glob(p) for p in paths)
        self._types: dict[str, str] = {}  # column types of the last read (``_columns``)

    def allocated_costs(
        self,
        policy: Policy,
        *,
        start: date,
        end: date,
        resources_from: date | None = None,
        top: int = 5,
    ) -> AllocatedCosts:
        """Allocate ``[start, end)``; rank resources over ``[resources_from, end)``."""
        if end <= start:
            raise ValueError(f"end {end} is not after start {start}")
        allocation = policy.allocation or AllocationSection()
        teams = sorted(policy.teams)
        conn = duckdb.connect(":memory:")
        try:
            # FOCUS times are UTC: TIMESTAMPTZ -> DATE must not use the host's zone.
            with contextlib.suppress(duckdb.Error):
                conn.execute("SET TimeZone = 'UTC'")
            columns = self._columns(conn)
            self._check_used_columns(allocation, columns)
            self._build(conn, allocation, teams=teams, columns=columns, start=start, end=end)
            lines = self._lines(conn, [rule.name for rule in allocation.shared])
            resources, overall = self._resources(
                conn, allocation.currency, resources_from or start, top
            )
            bounds = conn.execute("SELECT min(day), max(day) FROM alloc").fetchone()
            freshness = tuple(
                (provider, currency, through)
                for provider, currency, through in conn.execute(FRESHNESS_SQL).fetchall()
            )
        except duckdb.Error as error:
            raise CostDataError(
                f"cannot allocate cost data from {', '.join(self.paths)}: {_first_line(error)}"
            ) from error
        finally:
            conn.close()
        data_from, data_through = bounds if bounds else (None, None)
        return AllocatedCosts(
            start=start,
            end=end,
            lines=lines,
            resources=resources,
            overall_resources=overall,
            resources_from=resources_from or start,
            resource_currency=allocation.currency,
            data_from=data_from,
            data_through=data_through,
            data_through_by=freshness,
        )

    # -- internals -------------------------------------------------------------------------
    def _columns(self, conn: duckdb.DuckDBPyConnection) -> dict[str, str]:
        try:
            described = conn.execute(
                "DESCRIBE SELECT * FROM read_parquet($paths, hive_partitioning = true, "
                "union_by_name = true)",
                {"paths": list(self.paths)},
            ).fetchall()
        except duckdb.Error as error:
            raise CostDataError(
                f"cannot read FOCUS Parquet {', '.join(self.paths)}: {_first_line(error)}"
            ) from error
        columns = {str(row[0]).lower(): str(row[0]) for row in described}
        self._types = {str(row[0]).lower(): str(row[1]).upper() for row in described}
        missing = [name for name in REQUIRED_COLUMNS if name.lower() not in columns]
        if missing:
            raise CostDataError(
                f"{', '.join(self.paths)}: missing required FOCUS column(s): {', '.join(missing)}"
            )
        return columns

    def _check_used_columns(self, allocation: AllocationSection, columns: dict[str, str]) -> None:
        """A rule on a column the data lacks would never match: refuse rather than look empty."""
        uses: list[tuple[str, str]] = []
        if allocation.accounts:
            uses.append(("SubAccountId", "allocation.accounts"))
        for index, rule in enumerate(allocation.shared):
            where = f"allocation.shared[{index}] ({rule.name})"
            if rule.match.account is not None:
                uses.append(("SubAccountId", where))
            if rule.match.charge_category is not None:
                uses.append(("ChargeCategory", where))
            if rule.match.tag:
                uses.append(("Tags", where))
        missing = [(name, where) for name, where in uses if name.lower() not in columns]
        if missing:
            name, where = missing[0]
            raise CostDataError(
                f"{', '.join(self.paths)}: {where} needs the FOCUS column {name}, "
                "which the data does not have"
            )

    def _build(
        self,
        conn: duckdb.DuckDBPyConnection,
        allocation: AllocationSection,
        *,
        teams: list[str],
        columns: dict[str, str],
        start: date,
        end: date,
    ) -> None:
        sql = _Sql({"paths": list(self.paths), "start": start, "end": end})

        def col(name: str, cast: str = "VARCHAR") -> str:
            found = columns.get(name.lower())
            quoted = '"' + found.replace('"', '""') + '"' if found else "NULL"
            return f"CAST({quoted} AS {cast})"

        provider_name = f"lower(trim({col('ProviderName')}))"
        provider_case = " ".join(
            f"WHEN {provider_name} IN ({', '.join(sql.param(a) for a in aliases)}) THEN '{key}'"
            for key, aliases in _PROVIDERS.items()
        )
        prune = ""
        if "billing_period" in columns:
            # Hive partition pruning: a charge is billed in its own month or later, never
            # earlier; one month of slack covers exports that date a period by its end.
            year, month = (start.year, start.month - 1) if start.month > 1 else (start.year - 1, 12)
            first = f"{year:04d}-{month:02d}"
            prune = f"WHERE CAST(billing_period AS VARCHAR) >= {sql.param(first)}"
        rules = allocation.shared
        shared_case = (
            "CASE "
            + " ".join(f"WHEN {_selector(sql, r)} THEN {i}" for i, r in enumerate(rules))
            + " END"
            if rules
            else "CAST(NULL AS INTEGER)"
        )
        tag_value = "coalesce(" + ", ".join(_tag_value(sql, k) for k in allocation.team_tag.keys)
        tag_value += ", CAST(NULL AS VARCHAR))"
        values = {v.strip().lower(): team for v, team in allocation.team_tag.values.items()}
        for team in teams:
            values.setdefault(team.lower(), team)
        mappings = allocation.accounts
        rule_teams = [
            (index, rule.split, team, weight)
            for index, rule in enumerate(rules)
            for team, weight in _rule_teams(rule, teams)
        ]
        sql.params.update(
            tv_keys=list(values),
            tv_teams=list(values.values()),
            am_keys=[account_key(m.account) for m in mappings],
            am_providers=[m.provider for m in mappings],
            am_teams=[m.team for m in mappings],
        )
        conn.execute(
            RULE_TEAMS_SQL,
            {
                "rt_rules": [r[0] for r in rule_teams],
                "rt_methods": [r[1] for r in rule_teams],
                "rt_teams": [r[2] for r in rule_teams],
                "rt_weights": [r[3] for r in rule_teams],
            },
        )
        conn.execute(
            ALLOC_SQL.format(
                day=f"CAST(CAST({col('ChargePeriodStart')} AS TIMESTAMPTZ) AS DATE)",
                currency=col("BillingCurrency"),
                provider=f"coalesce(CASE {provider_case} END, {provider_name}, {col('provider')})",
                account=col("SubAccountId"),
                service=f"coalesce({col('ServiceName')}, '(no service)')",
                resource_id=f"nullif(trim({col('ResourceId')}), '')",
                resource_name=f"nullif(trim({col('ResourceName')}), '')",
                charge_category=col("ChargeCategory"),
                tags=f"nullif(trim({self._tags(columns)}), '')",
                cost=col("EffectiveCost", "DECIMAL(38, 10)"),
                prune=prune,
                shared_case=shared_case,
                tag_value=tag_value,
            ),
            sql.params,
        )

    def _tags(self, columns: dict[str, str]) -> str:
        """The Tags column as a JSON object string, whatever type the file stores it as.

        FOCUS Tags is a JSON object, which exports write as a string; a native FOCUS Parquet
        may hold it as a ``MAP(VARCHAR, VARCHAR)`` (or a STRUCT), whose plain text form
        (``{team=platform}``) is not JSON: ``to_json`` makes it one.
        """
        found = columns.get("tags")
        if found is None:
            return "CAST(NULL AS VARCHAR)"
        quoted = '"' + found.replace('"', '""') + '"'
        kind = self._types.get("tags", "")
        if kind.startswith(("MAP", "STRUCT")):
            return f"CAST(to_json({quoted}) AS VARCHAR)"
        return f"CAST({quoted} AS VARCHAR)"

    def _lines(
        self, conn: duckdb.DuckDBPyConnection, rule_names: list[str]
    ) -> tuple[AllocatedCost, ...]:
        rows = conn.execute(LINES_SQL).fetchall()
        return tuple(
            AllocatedCost(
                day=day,
                currency=currency,
                service=service,
                amount=_amount(units),
                team=team,
                basis=basis,
                rule=rule_names[rule] if rule is not None else None,
                reason=reason,
                detail=detail,
                provider=provider,
            )
            for day, currency, provider, team, service, basis, rule, reason, detail, units in rows
        )

    def _resources(
        self, conn: duckdb.DuckDBPyConnection, currency: str, since: date, top: int
    ) -> tuple[tuple[ResourceCost, ...], tuple[ResourceCost, ...]]:
        rows = conn.execute(
            RESOURCES_SQL, {"currency": currency, "since": since, "top": top}
        ).fetchall()
        per_team: list[ResourceCost] = []
        overall: list[ResourceCost] = []
        for scope, team, resource_id, name, service, units in rows:
            cost = ResourceCost(resource_id, name, service, _amount(units), team)
            (overall if scope == "overall" else per_team).append(cost)
        return tuple(per_team), tuple(overall)


def _amount(units: int) -> Decimal:
    return Decimal(int(units)).scaleb(-10)


def _parquet_glob(path: str | Path) -> str:
    text = str(path)
    if Path(text).is_dir():
        return text.rstrip("/") + "/**/*.parquet"
    return text


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
