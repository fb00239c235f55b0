"""``PublishedFocusData`` on a local file store: follows pointers, downloads once, stays current.

GIVEN FOCUS data published per billing period behind ``current.json`` pointers (the export
functions' layout), WHEN readers ask for some periods, THEN only those are downloaded, each file
once, a republished period is picked up and the replaced run's cached files are removed.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from costwarden.adapters.focus.duckdb_cost_drivers import CostDataError
from costwarden.adapters.focus.published_data import (
    PublishedAllocatedCostData,
    PublishedCostDrivers,
    PublishedFocusData,
    billing_periods,
)
from costwarden.adapters.local.file_store import LocalObjectStore
from costwarden.policy import load_policy_text
from unit.allocation.focus_parquet import cost_row
from unit.published_data.publishing import publish_period, publish_rows

PREFIX = "focus"
POLICY = "version: 1\nslack: {default_channel: '#finops'}\nallocation: {}\n"


def month_rows(month: int, cost: str, service: str = "Amazon EC2") -> list[dict[str, object]]:
    return [cost_row(date(2026, month, day), cost, service=service) for day in (3, 4)]


@pytest.fixture
def store(tmp_path: Path) -> LocalObjectStore:
    store = LocalObjectStore(tmp_path / "bucket")
    publish_rows(store, PREFIX, month_rows(10, "1") + month_rows(11, "2") + month_rows(12, "3"))
    return store


@pytest.fixture
def data(store: LocalObjectStore, tmp_path: Path) -> PublishedFocusData:
    return PublishedFocusData(store, PREFIX, tmp_path / "cache")


def cached(data: PublishedFocusData) -> list[str]:
    return sorted(p.relative_to(data.root).as_posix() for p in data.root.rglob("*.parquet"))


def test_only_the_requested_periods_are_downloaded(data: PublishedFocusData) -> None:
    [path] = data.files(["2026-11"])

    assert data.downloads == 1
    assert [name.split("/")[:2] for name in cached(data)] == [
        ["provider=aws", "billing_period=2026-11"]
    ]
    assert path.is_file()
    assert len(data.files(None)) == 3  # every period


def test_a_cached_file_is_reused_not_downloaded_again(data: PublishedFocusData) -> None:
    first = data.files(["2026-11", "2026-12"])
    second = data.files(["2026-11", "2026-12"])

    assert first == second
    assert data.downloads == 2


def test_a_republished_period_is_picked_up_and_the_replaced_run_dropped(
    store: LocalObjectStore, data: PublishedFocusData
) -> None:
    [old] = data.files(["2026-11"])
    [october] = data.files(["2026-10"])

    publish_period(store, PREFIX, month_rows(11, "5"), provider="aws", period="2026-11")
    [new] = data.files(["2026-11"])

    assert new != old
    assert not old.exists()  # the replaced run's copy is gone from the cache
    assert october.exists()  # a period not synced this time is left alone
    assert data.downloads == 3
    assert len(cached(data)) == 2


def test_cost_drivers_come_from_the_published_months_only(data: PublishedFocusData) -> None:
    drivers = PublishedCostDrivers(data)

    found = drivers.top_drivers(
        provider="aws", scope="999999999999", period_start=date(2026, 11, 1)
    )

    assert found is not None
    assert [(d.name, d.amount) for d in found] == [("Amazon EC2", Decimal("4.00"))]
    assert {p.split("/")[1] for p in cached(data)} == {
        "billing_period=2026-10",
        "billing_period=2026-11",
        "billing_period=2026-12",
    }


def test_nothing_published_for_the_period_means_no_drivers(tmp_path: Path) -> None:
    empty = PublishedFocusData(LocalObjectStore(tmp_path / "empty"), PREFIX, tmp_path / "cache")

    found = PublishedCostDrivers(empty).top_drivers(
        provider="aws", scope="999999999999", period_start=date(2026, 11, 1)
    )

    assert found is None


def test_the_digest_refuses_a_store_with_nothing_published(tmp_path: Path) -> None:
    empty = PublishedFocusData(LocalObjectStore(tmp_path / "empty"), PREFIX, tmp_path / "cache")
    policy = load_policy_text(POLICY, source="p.yaml")

    with pytest.raises(CostDataError, match="no FOCUS data is published"):
        PublishedAllocatedCostData(empty).allocated_costs(
            policy, start=date(2026, 11, 1), end=date(2026, 11, 20)
        )


def test_the_allocator_reads_the_window_from_the_published_files(
    data: PublishedFocusData,
) -> None:
    policy = load_policy_text(POLICY, source="p.yaml")

    costs = PublishedAllocatedCostData(data).allocated_costs(
        policy, start=date(2026, 11, 1), end=date(2026, 12, 1)
    )

    assert costs.total("USD") == Decimal(4)


def test_billing_periods_cover_the_window_with_a_month_of_slack() -> None:
    assert billing_periods(date(2026, 11, 1), date(2026, 12, 1)) == [
        "2026-10",
        "2026-11",
        "2026-12",
    ]
    assert billing_periods(date(2026, 10, 21), date(2026, 11, 20)) == [
        "2026-09",
        "2026-10",
        "2026-11",
        "2026-12",
    ]
    assert billing_periods(date(2026, 1, 5), date(2026, 1, 6)) == ["2025-12", "2026-01", "2026-02"]
