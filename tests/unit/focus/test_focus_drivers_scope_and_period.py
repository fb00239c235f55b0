"""FocusCostDrivers: which rows belong to an alert (provider, scope, period) and how they add up."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

pytest.importorskip("duckdb")

from costwarden.adapters.focus.duckdb_cost_drivers import FocusCostDrivers
from costwarden.models.notification import CostDriver

WriteFocus = Callable[..., Path]
NOV = date(2026, 11, 1)
AZ_SUB = "0a1b2c3d-0000-4000-8000-00000000abcd"


def names(drivers: tuple[CostDriver, ...] | None) -> list[str]:
    assert drivers is not None
    return [d.name for d in drivers]


def amounts(drivers: tuple[CostDriver, ...] | None) -> dict[str, Decimal]:
    assert drivers is not None
    return {d.name: d.amount for d in drivers}


# -- aggregation -----------------------------------------------------------------------------
def test_top_services_are_summed_largest_first_and_cut_at_limit(write_focus: WriteFocus) -> None:
    path = write_focus(
        [
            {"ServiceName": "EC2", "EffectiveCost": "10"},
            {"ServiceName": "EC2", "EffectiveCost": "15.5"},
            {"ServiceName": "S3", "EffectiveCost": "30"},
            {"ServiceName": "RDS", "EffectiveCost": "20"},
            {"ServiceName": "Lambda", "EffectiveCost": "1"},
        ]
    )
    drivers = FocusCostDrivers([path]).top_drivers(
        provider="aws", scope="123456789012", period_start=NOV, limit=3
    )
    assert drivers == (
        CostDriver("S3", Decimal("30.00"), "USD", "service"),
        CostDriver("EC2", Decimal("25.50"), "USD", "service"),
        CostDriver("RDS", Decimal("20.00"), "USD", "service"),
    )


def test_amounts_are_exact_decimals_rounded_to_cents(write_focus: WriteFocus) -> None:
    # 0.1 + 0.2 in floats is 0.30000000000000004; three 0.335s are 1.005 -> 1.01 (half up)
    path = write_focus(
        [{"ServiceName": "EC2", "EffectiveCost": v} for v in ("0.335", "0.335", "0.335")]
        + [{"ServiceName": "S3", "EffectiveCost": v} for v in ("0.1", "0.2")]
    )
    drivers = FocusCostDrivers([path]).top_drivers(
        provider="aws", scope="123456789012", period_start=NOV
    )
    assert amounts(drivers) == {"EC2": Decimal("1.01"), "S3": Decimal("0.30")}


def test_credits_net_into_their_service_and_net_zero_services_are_not_drivers(
    write_focus: WriteFocus,
) -> None:
    path = write_focus(
        [
            {"ServiceName": "EC2", "EffectiveCost": "100"},
            {"ServiceName": "EC2", "EffectiveCost": "-40", "ChargeCategory": "Credit"},
            {"ServiceName": "Support", "EffectiveCost": "5"},
            {"ServiceName": "Support", "EffectiveCost": "-5", "ChargeCategory": "Credit"},
            {"ServiceName": "Free tier", "EffectiveCost": "0.001"},
        ]
    )
    drivers = FocusCostDrivers([path]).top_drivers(
        provider="aws", scope="123456789012", period_start=NOV
    )
    assert amounts(drivers) == {"EC2": Decimal("60.00")}


def test_resource_drivers_use_resource_name_else_id(write_focus: WriteFocus) -> None:
    path = write_focus(
        [
            {"ResourceId": "i-0aaa", "ResourceName": "web-1", "EffectiveCost": "7"},
            {"ResourceId": "i-0aaa", "ResourceName": "web-1", "EffectiveCost": "3"},
            {"ResourceId": "i-0bbb", "EffectiveCost": "4"},
            {"ResourceId": "", "EffectiveCost": "2", "ChargeCategory": "Tax"},
        ]
    )
    drivers = FocusCostDrivers([path], by="resource").top_drivers(
        provider="aws", scope="123456789012", period_start=NOV
    )
    assert drivers == (
        CostDriver("web-1", Decimal("10.00"), "USD", "resource"),
        CostDriver("i-0bbb", Decimal("4.00"), "USD", "resource"),
        CostDriver("(not tied to a resource)", Decimal("2.00"), "USD", "resource"),
    )


def test_several_currencies_in_one_scope_are_never_added_together(
    write_focus: WriteFocus,
) -> None:
    path = write_focus(
        [
            {"ServiceName": "EC2", "EffectiveCost": "900", "BillingCurrency": "EUR"},
            {"ServiceName": "S3", "EffectiveCost": "50", "BillingCurrency": "EUR"},
            {"ServiceName": "S3", "EffectiveCost": "70", "BillingCurrency": "USD"},
        ]
    )
    drivers = FocusCostDrivers([path]).top_drivers(
        provider="aws", scope="123456789012", period_start=NOV
    )
    assert drivers == (
        CostDriver("EC2", Decimal("900.00"), "EUR"),
        CostDriver("S3", Decimal("50.00"), "EUR"),
    )


# -- scope matching --------------------------------------------------------------------------
def test_aws_member_account_gets_only_its_own_rows(write_focus: WriteFocus) -> None:
    path = write_focus(
        [
            {"SubAccountId": "123456789012", "ServiceName": "EC2", "EffectiveCost": "10"},
            {"SubAccountId": "210987654321", "ServiceName": "RDS", "EffectiveCost": "99"},
        ]
    )
    drivers = FocusCostDrivers([path]).top_drivers(
        provider="aws", scope="123456789012", period_start=NOV
    )
    assert names(drivers) == ["EC2"]


def test_aws_management_account_budget_covers_every_linked_account(
    write_focus: WriteFocus,
) -> None:
    # The payer's own usage also carries its id as SubAccountId; its budget still covers all.
    path = write_focus(
        [
            {
                "BillingAccountId": "999999999999",
                "SubAccountId": "999999999999",
                "ServiceName": "Support",
                "EffectiveCost": "5",
            },
            {
                "BillingAccountId": "999999999999",
                "SubAccountId": "123456789012",
                "ServiceName": "EC2",
                "EffectiveCost": "10",
            },
        ]
    )
    drivers = FocusCostDrivers([path]).top_drivers(
        provider="aws", scope="999999999999", period_start=NOV
    )
    assert names(drivers) == ["EC2", "Support"]


def test_aws_rows_without_sub_account_match_on_billing_account(write_focus: WriteFocus) -> None:
    path = write_focus(
        [{"BillingAccountId": "123456789012", "SubAccountId": "NULL", "EffectiveCost": "3"}]
    )
    drivers = FocusCostDrivers([path]).top_drivers(
        provider="aws", scope="123456789012", period_start=NOV
    )
    assert amounts(drivers) == {"Amazon Elastic Compute Cloud": Decimal("3.00")}


def test_csv_ids_stay_text_so_leading_zeros_survive(write_focus: WriteFocus) -> None:
    path = write_focus(
        [
            {"SubAccountId": "012345678901", "ResourceId": "000042", "EffectiveCost": "8"},
            {"SubAccountId": "123456789012", "ResourceId": "000043", "EffectiveCost": "9"},
        ]
    )
    drivers = FocusCostDrivers([path], by="resource").top_drivers(
        provider="aws", scope="012345678901", period_start=NOV
    )
    assert names(drivers) == ["000042"]


@pytest.mark.parametrize(
    "scope",
    [
        AZ_SUB,
        AZ_SUB.upper(),
        f"/subscriptions/{AZ_SUB}",
        f"/subscriptions/{AZ_SUB.upper()}/providers/Microsoft.Consumption/budgets/b1",
    ],
)
def test_azure_subscription_scope_matches_arm_sub_account_id_case_insensitively(
    write_focus: WriteFocus, scope: str
) -> None:
    path = write_focus(
        [
            {
                "ProviderName": "Microsoft",
                "SubAccountId": f"/subscriptions/{AZ_SUB}",
                "ServiceName": "Virtual Machines",
                "EffectiveCost": "12",
            },
            {
                "ProviderName": "Microsoft",
                "SubAccountId": "/subscriptions/other",
                "ServiceName": "Storage Accounts",
                "EffectiveCost": "50",
            },
        ]
    )
    drivers = FocusCostDrivers([path]).top_drivers(provider="azure", scope=scope, period_start=NOV)
    assert names(drivers) == ["Virtual Machines"]


def test_azure_resource_group_scope_counts_only_that_groups_resources(
    write_focus: WriteFocus,
) -> None:
    sub = f"/subscriptions/{AZ_SUB}"
    path = write_focus(
        [
            {
                "ProviderName": "Microsoft",
                "SubAccountId": sub,
                "ServiceName": "SQL Database",
                "ResourceId": f"{sub}/resourcegroups/rg_data/providers/microsoft.sql/servers/s1",
                "EffectiveCost": "20",
            },
            {
                "ProviderName": "Microsoft",
                "SubAccountId": sub,
                "ServiceName": "Virtual Machines",
                "ResourceId": f"{sub}/resourcegroups/rg-web/providers/microsoft.compute/vm/v1",
                "EffectiveCost": "90",
            },
        ]
    )
    drivers = FocusCostDrivers([path]).top_drivers(
        provider="azure",
        scope=f"/subscriptions/{AZ_SUB}/resourceGroups/RG_DATA",
        period_start=NOV,
    )
    assert names(drivers) == ["SQL Database"]


def test_azure_billing_account_scope_matches_billing_account_id(write_focus: WriteFocus) -> None:
    path = write_focus(
        [
            {
                "ProviderName": "Microsoft",
                "SubAccountId": f"/subscriptions/{AZ_SUB}",
                "BillingAccountId": "/providers/Microsoft.Billing/billingAccounts/8611537",
                "ServiceName": "Virtual Machines",
                "EffectiveCost": "12",
            }
        ]
    )
    drivers = FocusCostDrivers([path]).top_drivers(
        provider="azure",
        scope="/providers/microsoft.billing/billingAccounts/8611537",
        period_start=NOV,
    )
    assert names(drivers) == ["Virtual Machines"]


def test_gcp_billing_account_covers_all_its_projects(write_focus: WriteFocus) -> None:
    account = "012345-6789AB-CDEF01"
    path = write_focus(
        [
            {
                "ProviderName": "Google Cloud",
                "BillingAccountId": account,
                "SubAccountId": "proj-a",
                "ServiceName": "BigQuery",
                "EffectiveCost": "30",
            },
            {
                "ProviderName": "Google Cloud",
                "BillingAccountId": account,
                "SubAccountId": "proj-b",
                "ServiceName": "Compute Engine",
                "EffectiveCost": "20",
            },
            {
                "ProviderName": "Google Cloud",
                "BillingAccountId": "0AAAAA-BBBBBB-CCCCCC",
                "SubAccountId": "proj-c",
                "ServiceName": "Cloud SQL",
                "EffectiveCost": "99",
            },
        ]
    )
    drivers = FocusCostDrivers([path]).top_drivers(provider="gcp", scope=account, period_start=NOV)
    assert names(drivers) == ["BigQuery", "Compute Engine"]


@pytest.mark.parametrize("provider_name", ["AWS", "aws", "Amazon Web Services"])
def test_provider_names_are_matched_leniently(write_focus: WriteFocus, provider_name: str) -> None:
    path = write_focus([{"ProviderName": provider_name, "EffectiveCost": "1"}])
    drivers = FocusCostDrivers([path]).top_drivers(
        provider="aws", scope="123456789012", period_start=NOV
    )
    assert drivers is not None
    assert len(drivers) == 1


def test_same_id_under_another_provider_is_not_the_scope(write_focus: WriteFocus) -> None:
    path = write_focus([{"ProviderName": "Microsoft", "EffectiveCost": "1"}])
    drivers = FocusCostDrivers([path]).top_drivers(
        provider="aws", scope="123456789012", period_start=NOV
    )
    assert drivers is None


# -- period ----------------------------------------------------------------------------------
def period_rows() -> list[dict[str, str]]:
    return [
        {"ChargePeriodStart": "2026-10-31T23:00:00Z", "ServiceName": "Oct", "EffectiveCost": "5"},
        {"ChargePeriodStart": "2026-11-01T00:00:00Z", "ServiceName": "Nov", "EffectiveCost": "1"},
        {"ChargePeriodStart": "2026-11-30 23:59:59", "ServiceName": "Nov", "EffectiveCost": "1"},
        # 23:30 at UTC-2 is 01:30 on 1 December in UTC: December, not November
        {
            "ChargePeriodStart": "2026-11-30T23:30:00-02:00",
            "ServiceName": "Dec",
            "EffectiveCost": "7",
        },
        {"ChargePeriodStart": "2026-12-01T00:00:00Z", "ServiceName": "Dec", "EffectiveCost": "1"},
    ]


def test_period_is_the_calendar_month_of_period_start(write_focus: WriteFocus) -> None:
    drivers = FocusCostDrivers([write_focus(period_rows())]).top_drivers(
        provider="aws", scope="123456789012", period_start=NOV
    )
    assert amounts(drivers) == {"Nov": Decimal("2.00")}


@pytest.fixture
def host_in_tokyo(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("host_in_tokyo")
def test_period_bounds_are_utc_whatever_the_host_time_zone(write_focus: WriteFocus) -> None:
    drivers = FocusCostDrivers([write_focus(period_rows())]).top_drivers(
        provider="aws", scope="123456789012", period_start=NOV
    )
    assert amounts(drivers) == {"Nov": Decimal("2.00")}


def test_period_end_can_widen_the_window(write_focus: WriteFocus) -> None:
    drivers = FocusCostDrivers([write_focus(period_rows())]).top_drivers(
        provider="aws",
        scope="123456789012",
        period_start=date(2026, 10, 1),
        period_end=date(2027, 1, 1),
    )
    assert names(drivers) == ["Dec", "Oct", "Nov"]


def test_without_period_start_the_latest_month_of_the_scope_is_used(
    write_focus: WriteFocus,
) -> None:
    rows = [*period_rows(), {"SubAccountId": "555555555555", "ChargePeriodStart": "2027-03-01"}]
    drivers = FocusCostDrivers([write_focus(rows)]).top_drivers(
        provider="aws", scope="123456789012", period_start=None
    )
    assert amounts(drivers) == {"Dec": Decimal("8.00")}


# -- no data vs no spend ---------------------------------------------------------------------
def test_scope_absent_from_the_data_is_none(write_focus: WriteFocus) -> None:
    drivers = FocusCostDrivers([write_focus(period_rows())]).top_drivers(
        provider="aws", scope="444444444444", period_start=NOV
    )
    assert drivers is None


def test_alert_without_scope_is_none(write_focus: WriteFocus) -> None:
    adapter = FocusCostDrivers([write_focus(period_rows())])
    assert adapter.top_drivers(provider="aws", scope=None, period_start=NOV) is None


def test_scope_with_no_rows_in_the_period_is_an_empty_tuple(write_focus: WriteFocus) -> None:
    drivers = FocusCostDrivers([write_focus(period_rows())]).top_drivers(
        provider="aws", scope="123456789012", period_start=date(2026, 6, 1)
    )
    assert drivers == ()


def test_scope_with_only_zero_cost_rows_is_an_empty_tuple(write_focus: WriteFocus) -> None:
    path = write_focus([{"EffectiveCost": "0", "BilledCost": "0"}])
    drivers = FocusCostDrivers([path]).top_drivers(
        provider="aws", scope="123456789012", period_start=NOV
    )
    assert drivers == ()
