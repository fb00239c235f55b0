"""Write small FOCUS 1.2 Parquet datasets with DuckDB, laid out like costwarden's own output.

``write_focus_parquet(root, rows)`` writes ``root/provider=<p>/billing_period=<YYYY-MM>/*.parquet``
with typed columns (TIMESTAMPTZ periods, DECIMAL(38,10) costs, Tags as a JSON object string), the
way ``costwarden focus convert`` writes them. Rows are built with ``cost_row``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

PROVIDER_NAMES = {"aws": "AWS", "azure": "Microsoft", "gcp": "Google Cloud"}

# (name, DuckDB type) in the order written; provider and billing_period become the partitions.
COLUMNS = (
    ("provider", "VARCHAR"),
    ("billing_period", "VARCHAR"),
    ("ProviderName", "VARCHAR"),
    ("BillingAccountId", "VARCHAR"),
    ("SubAccountId", "VARCHAR"),
    ("BillingPeriodStart", "TIMESTAMPTZ"),
    ("ChargePeriodStart", "TIMESTAMPTZ"),
    ("ChargePeriodEnd", "TIMESTAMPTZ"),
    ("ChargeCategory", "VARCHAR"),
    ("BilledCost", "DECIMAL(38, 10)"),
    ("EffectiveCost", "DECIMAL(38, 10)"),
    ("BillingCurrency", "VARCHAR"),
    ("ServiceName", "VARCHAR"),
    ("ResourceId", "VARCHAR"),
    ("ResourceName", "VARCHAR"),
    ("Tags", "VARCHAR"),
)


def cost_row(
    day: date,
    cost: str | Decimal,
    *,
    service: str = "Amazon Elastic Compute Cloud",
    team: str | None = None,
    tags: Mapping[str, str] | None = None,
    account: str = "111111111111",
    provider: str = "aws",
    currency: str = "USD",
    resource: str | None = None,
    resource_name: str | None = None,
    category: str = "Usage",
) -> dict[str, Any]:
    """One FOCUS row; ``team`` is shorthand for the tag ``{"team": team}``."""
    all_tags = dict(tags or {})
    if team is not None:
        all_tags["team"] = team
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return {
        "provider": provider,
        "billing_period": day.strftime("%Y-%m"),
        "ProviderName": PROVIDER_NAMES[provider],
        "BillingAccountId": "999999999999",
        "SubAccountId": account,
        "BillingPeriodStart": datetime(day.year, day.month, 1, tzinfo=UTC),
        "ChargePeriodStart": start,
        "ChargePeriodEnd": start + timedelta(days=1),
        "ChargeCategory": category,
        "BilledCost": Decimal(cost),
        "EffectiveCost": Decimal(cost),
        "BillingCurrency": currency,
        "ServiceName": service,
        "ResourceId": resource,
        "ResourceName": resource_name,
        "Tags": json.dumps(all_tags) if all_tags else None,
    }


def write_focus_parquet(root: Path, rows: Iterable[Mapping[str, Any]]) -> Path:
    """Write ``rows`` under ``root`` partitioned by provider and billing period; return root."""
    names = [name for name, _ in COLUMNS]
    values = [tuple(row[name] for name in names) for row in rows]
    conn = duckdb.connect()
    try:
        conn.execute("SET TimeZone = 'UTC'")
        conn.execute(f"CREATE TABLE focus ({', '.join(f'{n} {t}' for n, t in COLUMNS)})")
        if values:
            placeholders = ", ".join("?" for _ in names)
            conn.executemany(f"INSERT INTO focus VALUES ({placeholders})", values)
        root.mkdir(parents=True, exist_ok=True)
        conn.execute(
            f"COPY focus TO '{root}' (FORMAT parquet, PARTITION_BY (provider, billing_period), "
            "OVERWRITE_OR_IGNORE)"
        )
    finally:
        conn.close()
    return root


def parquet_total(root: Path, currency: str = "USD") -> Decimal:
    """SUM(EffectiveCost) straight from the files: the reconciliation reference."""
    conn = duckdb.connect()
    try:
        row = conn.execute(
            "SELECT sum(EffectiveCost) FROM read_parquet($p, hive_partitioning = true) "
            "WHERE BillingCurrency = $c",
            {"p": f"{root}/**/*.parquet", "c": currency},
        ).fetchone()
    finally:
        conn.close()
    assert row is not None
    return Decimal(row[0] or 0)
