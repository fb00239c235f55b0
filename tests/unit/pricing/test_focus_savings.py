"""Hourly cost from FOCUS data: DuckDB sums per ResourceId, the estimator matches the inventory.

The FOCUS files are written here with DuckDB, in the shapes each cloud's export uses for its
resource ids (bare EC2 ids, RDS ARNs, full ARM ids, Google's //compute... paths).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from costwarden.adapters.focus.duckdb_cost_drivers import CostDataError
from costwarden.adapters.focus.resource_costs import FocusResourceCosts
from costwarden.models.resource import Resource
from costwarden.pricing import FocusSavingsEstimator, PriceTableEstimator, ResourceCost

AT = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
ACCOUNT = "123456789012"
AZURE_SUB = "00000000-0000-0000-0000-000000000001"
AZURE_VM = (
    f"/subscriptions/{AZURE_SUB}/resourceGroups/dev-rg/providers/Microsoft.Compute/"
    "virtualMachines/dev-vm"
)

Row = tuple[str, str, str | None, str | None, str, datetime, datetime, float]


def write_focus(path: Path, rows: Sequence[Row]) -> Path:
    conn = duckdb.connect()
    conn.execute(
        "CREATE TABLE f (ProviderName VARCHAR, SubAccountId VARCHAR, ResourceId VARCHAR, "
        "ResourceName VARCHAR, BillingCurrency VARCHAR, ChargePeriodStart TIMESTAMP, "
        "ChargePeriodEnd TIMESTAMP, EffectiveCost DECIMAL(18, 6))"
    )
    conn.executemany("INSERT INTO f VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [list(r) for r in rows])
    conn.execute(f"COPY f TO '{path}' (FORMAT parquet)")
    conn.close()
    return path


def hourly_rows(rid: str, name: str | None, hours: int, cost: float, **kw) -> list[Row]:  # type: ignore[no-untyped-def]
    start = kw.get("start", datetime(2026, 11, 10, 8, 0))
    provider, account = kw.get("provider", "AWS"), kw.get("account", ACCOUNT)
    currency = kw.get("currency", "USD")
    return [
        (
            provider,
            account,
            rid,
            name,
            currency,
            start + timedelta(hours=h),
            start + timedelta(hours=h + 1),
            cost,
        )
        for h in range(hours)
    ]


def ec2(rid: str = "i-0abc", size: str | None = "m5.large", **kw) -> Resource:  # type: ignore[no-untyped-def]
    fields = {
        "cloud": "aws",
        "account": ACCOUNT,
        "region": "us-east-1",
        "resource_id": rid,
        "resource_type": "ec2_instance",
        "name": "web-1",
        "state": "running",
        "size": size,
    }
    fields.update(kw)
    return Resource(**fields)  # type: ignore[arg-type]


# -- the DuckDB adapter ----------------------------------------------------------------------------
def test_cost_per_resource_is_summed_over_hours_with_charges(tmp_path: Path) -> None:
    path = write_focus(
        tmp_path / "focus.parquet",
        [
            *hourly_rows("i-0abc", "web-1", 10, 0.2),
            # a second charge in the same hour (e.g. EBS-optimized surcharge) is cost, not hours
            *hourly_rows("i-0abc", "web-1", 10, 0.05),
            *hourly_rows("i-0zero", None, 5, 0.0),
            *hourly_rows("i-0other", None, 1, 1.0, provider="Microsoft"),
        ],
    )
    costs = FocusResourceCosts([path]).resource_costs(
        provider="aws", start=AT - timedelta(days=30), end=AT
    )
    assert [(c.resource_id, c.hours, c.cost) for c in costs] == [
        ("i-0abc", Decimal(10), Decimal("2.5"))
    ]
    assert costs[0].resource_name == "web-1"
    assert costs[0].account == ACCOUNT


def test_rows_outside_the_window_do_not_count(tmp_path: Path) -> None:
    path = write_focus(
        tmp_path / "focus.parquet",
        [
            *hourly_rows("i-0abc", None, 2, 0.1, start=datetime(2026, 10, 1)),
            *hourly_rows("i-0abc", None, 3, 0.2),
        ],
    )
    (cost,) = FocusResourceCosts([path]).resource_costs(
        provider="aws", start=AT - timedelta(days=30), end=AT
    )
    assert cost.hours == 3
    assert cost.cost == Decimal("0.6")


def test_daily_rows_count_whole_days_so_the_hourly_cost_is_never_overstated(
    tmp_path: Path,
) -> None:
    day = datetime(2026, 11, 10)
    rows: list[Row] = [
        ("Microsoft", AZURE_SUB, AZURE_VM, "dev-vm", "EUR", day, day + timedelta(days=1), 2.4),
        ("Microsoft", AZURE_SUB, AZURE_VM, "dev-vm", "EUR", day + timedelta(days=1),
         day + timedelta(days=2), 2.4),
    ]  # fmt: skip
    path = write_focus(tmp_path / "focus.parquet", rows)
    (cost,) = FocusResourceCosts([path]).resource_costs(
        provider="azure", start=AT - timedelta(days=30), end=AT
    )
    assert cost.hours == 48
    assert cost.cost / cost.hours == Decimal("0.1")
    assert cost.currency == "EUR"


def test_missing_required_column_is_a_cost_data_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "bad.parquet"
    duckdb.connect().execute(
        f"COPY (SELECT 'AWS' AS ProviderName, 1.0 AS EffectiveCost) TO '{path}' (FORMAT parquet)"
    )
    with pytest.raises(CostDataError, match="ResourceId"):
        FocusResourceCosts([path]).resource_costs(provider="aws", start=AT, end=AT)


# -- the estimator ---------------------------------------------------------------------------------
@dataclass
class StaticCosts:
    rows: list[ResourceCost]
    fail: bool = False
    calls: list[str] = field(default_factory=list)

    def resource_costs(
        self, *, provider: str, start: datetime, end: datetime
    ) -> Sequence[ResourceCost]:
        self.calls.append(provider)
        if self.fail:
            raise CostDataError("cost store unreadable (fake)")
        return self.rows


def cost(rid: str, total: str, hours: int = 10, **kw) -> ResourceCost:  # type: ignore[no-untyped-def]
    return ResourceCost(
        resource_id=rid,
        resource_name=kw.get("name"),
        account=kw.get("account", ACCOUNT),
        cost=Decimal(total),
        hours=Decimal(hours),
        currency=kw.get("currency", "USD"),
    )


def test_billed_cost_wins_over_the_list_price() -> None:
    estimator = FocusSavingsEstimator(StaticCosts([cost("i-0abc", "0.5")]), at=AT)
    assert estimator.hourly(ec2()) == (Decimal("0.05"), "USD", "focus")


def test_resource_without_focus_rows_falls_back_to_the_price_table() -> None:
    estimator = FocusSavingsEstimator(StaticCosts([cost("i-0other", "5")]), at=AT)
    assert estimator.hourly(ec2()) == (Decimal("0.096"), "USD", "price_table")


def test_unreadable_cost_data_falls_back_for_everything_and_is_remembered() -> None:
    costs = StaticCosts([], fail=True)
    estimator = FocusSavingsEstimator(costs, at=AT)
    assert estimator.hourly(ec2()) == (Decimal("0.096"), "USD", "price_table")
    assert estimator.hourly(ec2("i-0def")) is not None
    assert costs.calls == ["aws"]  # read once per provider, even when it failed
    assert estimator.error is not None
    assert "unreadable" in estimator.error


@pytest.mark.parametrize(
    ("resource", "focus_id"),
    [
        (ec2(), f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/i-0abc"),
        (
            ec2("mydb", "db.t3.medium", resource_type="rds_instance"),
            f"arn:aws:rds:us-east-1:{ACCOUNT}:db:mydb",
        ),
        (
            Resource(
                cloud="azure", account=AZURE_SUB, region="westeurope", resource_id=AZURE_VM,
                resource_type="azure_vm", name="dev-vm", state="running",
            ),
            AZURE_VM.lower(),
        ),
        (
            Resource(
                cloud="gcp", account="dev-project", region="europe-west1-b",
                resource_id="europe-west1-b/dev-vm", resource_type="gce_instance",
                name="dev-vm", state="running",
            ),
            "//compute.googleapis.com/projects/dev-project/zones/europe-west1-b/instances/dev-vm",
        ),
    ],
)  # fmt: skip
def test_each_clouds_focus_resource_id_form_is_matched(resource: Resource, focus_id: str) -> None:
    rows = [cost(focus_id, "1.0", account=resource.account)]
    found = FocusSavingsEstimator(StaticCosts(rows), at=AT).hourly(resource)
    assert found == (Decimal("0.1"), "USD", "focus")


def test_gce_instance_is_matched_by_name_when_the_export_uses_its_numeric_id() -> None:
    vm = Resource(
        cloud="gcp",
        account="dev-project",
        region="europe-west1-b",
        resource_id="europe-west1-b/dev-vm",
        resource_type="gce_instance",
        name="dev-vm",
        state="running",
    )
    rid = "//compute.googleapis.com/projects/dev-project/zones/europe-west1-b/instances/8812"
    rows = [cost(rid, "2", name="dev-vm", account="dev-project")]
    assert FocusSavingsEstimator(StaticCosts(rows), at=AT).hourly(vm) == (
        Decimal("0.2"),
        "USD",
        "focus",
    )


def test_an_ambiguous_name_matches_nothing_rather_than_the_wrong_resource() -> None:
    rows = [
        cost("//x/instances/1", "2", name="dev-vm", account="p"),
        cost("//x/instances/2", "9", name="dev-vm", account="p"),
    ]
    vm = Resource(
        cloud="gcp",
        account="p",
        region="z",
        resource_id="z/dev-vm",
        resource_type="gce_instance",
        name="dev-vm",
        state="running",
        size="e2-medium",
    )
    found = FocusSavingsEstimator(StaticCosts(rows), at=AT).hourly(vm)
    assert found is not None
    assert found[2] == "price_table"


def test_the_same_instance_id_in_another_account_is_not_a_match() -> None:
    rows = [cost("i-0abc", "5", account="999999999999")]
    estimator = FocusSavingsEstimator(StaticCosts(rows), at=AT, fallback=PriceTableEstimator({}))
    # exact ids still match (EC2 ids are globally unique); an ARN in another account would not
    assert estimator.hourly(ec2()) is not None
    arn_rows = [cost("arn:aws:ec2:us-east-1:999999999999:instance/i-0abc", "5", account="9")]
    other = FocusSavingsEstimator(StaticCosts(arn_rows), at=AT, fallback=PriceTableEstimator({}))
    assert other.hourly(ec2()) is None


def test_end_to_end_from_a_focus_parquet(tmp_path: Path) -> None:
    path = write_focus(tmp_path / "f.parquet", hourly_rows("i-0abc", "web-1", 24, 0.07))
    estimator = FocusSavingsEstimator(FocusResourceCosts([path]), at=AT)
    price, currency, basis = estimator.hourly(ec2()) or (None, None, None)
    assert basis == "focus"
    assert currency == "USD"
    assert price == Decimal("0.07")
