"""Native FOCUS exports (AWS Data Exports FOCUS, Azure FocusCost) 1.0 and 1.2 -> FOCUS 1.2."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from unit.focus_mappings.mapping_support import MappedRows, run_mapping
from unit.focus_mappings.shared_checks import assert_focus_shape, utc
from unit.focus_mappings.writers import write_csv, write_parquet

AWS_EXTRAS = ("x_CostCategories", "x_Discounts", "x_Operation", "x_ServiceCode", "x_UsageType")
AZURE_EXTRAS = tuple(
    sorted(
        (
            "x_AccountId",
            "x_AccountName",
            "x_AccountOwnerId",
            "x_BilledCostInUsd",
            "x_BilledUnitPrice",
            "x_BillingAccountId",
            "x_BillingAccountName",
            "x_BillingExchangeRate",
            "x_BillingExchangeRateDate",
            "x_BillingProfileId",
            "x_BillingProfileName",
            "x_ContractedCostInUsd",
            "x_CostAllocationRuleName",
            "x_CostCenter",
            "x_CustomerId",
            "x_CustomerName",
            "x_EffectiveCostInUsd",
            "x_EffectiveUnitPrice",
            "x_InvoiceIssuerId",
            "x_InvoiceSectionId",
            "x_InvoiceSectionName",
            "x_ListCostInUsd",
            "x_PricingBlockSize",
            "x_PricingSubcategory",
            "x_PricingUnitDescription",
            "x_PublisherCategory",
            "x_PublisherId",
            "x_ResellerId",
            "x_ResellerName",
            "x_ResourceGroupName",
            "x_ResourceType",
            "x_ServicePeriodEnd",
            "x_ServicePeriodStart",
            "x_SkuDescription",
            "x_SkuDetails",
            "x_SkuIsCreditEligible",
            "x_SkuMeterCategory",
            "x_SkuMeterId",
            "x_SkuMeterSubcategory",
            "x_SkuOfferId",
            "x_SkuOrderId",
            "x_SkuOrderName",
            "x_SkuPartNumber",
            "x_SkuRegion",
            "x_SkuServiceFamily",
            "x_SkuTerm",
            "x_SkuTier",
        ),
        key=str.lower,
    )
)


def focus10(**extra: str | None) -> dict[str, str | None]:
    """A FOCUS 1.0 row: the 43 columns of 1.0 and nothing from 1.1/1.2."""
    row: dict[str, str | None] = {
        "AvailabilityZone": None,
        "BilledCost": "0",
        "BillingAccountId": "012345678901",
        "BillingAccountName": "Example Org",
        "BillingCurrency": "USD",
        "BillingPeriodEnd": "2026-11-01T00:00:00.000Z",
        "BillingPeriodStart": "2026-10-01T00:00:00.000Z",
        "ChargeCategory": "Usage",
        "ChargeClass": None,
        "ChargeDescription": "usage",
        "ChargeFrequency": "Usage-Based",
        "ChargePeriodEnd": "2026-10-02T01:00:00.000Z",
        "ChargePeriodStart": "2026-10-02T00:00:00.000Z",
        "CommitmentDiscountCategory": None,
        "CommitmentDiscountId": None,
        "CommitmentDiscountName": None,
        "CommitmentDiscountStatus": None,
        "CommitmentDiscountType": None,
        "ConsumedQuantity": None,
        "ConsumedUnit": None,
        "ContractedCost": "0",
        "ContractedUnitPrice": None,
        "EffectiveCost": "0",
        "InvoiceIssuerName": "AWS",
        "ListCost": "0",
        "ListUnitPrice": None,
        "PricingCategory": None,
        "PricingQuantity": None,
        "PricingUnit": None,
        "ProviderName": "AWS",
        "PublisherName": "AWS",
        "RegionId": None,
        "RegionName": None,
        "ResourceId": None,
        "ResourceName": None,
        "ResourceType": None,
        "ServiceCategory": "Compute",
        "ServiceName": "Amazon Elastic Compute Cloud",
        "SkuId": None,
        "SkuPriceId": None,
        "SubAccountId": "000987654321",
        "SubAccountName": "dev",
        "Tags": None,
    }
    row.update(extra)
    return row


def aws_rows() -> list[dict[str, str | None]]:
    usage = focus10(
        BilledCost="1.25",
        EffectiveCost="1.25",
        ListCost="1.25",
        ContractedCost="1.25",
        ListUnitPrice="0.125",
        ContractedUnitPrice="0.125",
        PricingQuantity="10",
        PricingUnit="Hrs",
        ConsumedQuantity="10",
        ConsumedUnit="Hrs",
        PricingCategory="Standard",
        RegionId="us-east-1",
        RegionName="US East (N. Virginia)",
        ResourceId="i-0abc",
        SkuId="SKU1",
        SkuPriceId="SKU1.A.B",
        Tags='{"user:team":"platform","aws:createdBy":"alice"}',
        x_ServiceCode="AmazonEC2",
        x_Operation="RunInstances",
        x_UsageType="USE1-BoxUsage:m5.large",
        x_CostCategories='{"env":"prod"}',
        x_Discounts=None,
    )
    covered = focus10(
        BilledCost="0",
        EffectiveCost="0.08",
        ListCost="0.1",
        ContractedCost="0.1",
        CommitmentDiscountId="arn:aws:ec2:us-east-1:000987654321:reserved-instances/ri-1",
        CommitmentDiscountType="Reserved Instance",
        CommitmentDiscountCategory="Usage",
        CommitmentDiscountStatus="Used",
        PricingCategory="Commitment-Based",
        PricingQuantity="1",
        PricingUnit="Hrs",
        SkuId="SKU1",
        SkuPriceId="SKU1.RI",
        x_ServiceCode="AmazonEC2",
        x_Operation="RunInstances",
        x_UsageType="USE1-HeavyUsage:m5.large",
    )
    tax = focus10(
        ChargeCategory="Tax",
        ChargeFrequency="One-Time",
        BilledCost="0.5",
        EffectiveCost="0.5",
        ListCost="0.5",
        ContractedCost="0.5",
        # As AWS's export does: the tax on EC2 is EC2's, under another category.
        ServiceCategory="Other",
        x_ServiceCode="AmazonEC2",
    )
    previous = focus10(
        BilledCost="3",
        EffectiveCost="3",
        ListCost="3",
        ContractedCost="3",
        BillingPeriodStart="2026-09-01 00:00:00",
        BillingPeriodEnd="2026-10-01 00:00:00",
        ChargePeriodStart="2026-09-30 23:00:00",
        ChargePeriodEnd="2026-10-01 00:00:00",
        PricingQuantity="1",
        PricingUnit="Hrs",
        PricingCategory="Standard",
        SkuId="SKU1",
        SkuPriceId="SKU1.A.B",
        x_ServiceCode="AmazonEC2",
        x_Operation="RunInstances",
        x_UsageType="USE1-BoxUsage:m5.large",
    )
    return [usage, covered, tax, previous]


def aws_rows_12() -> list[dict[str, str | None]]:
    """The same data as a FOCUS 1.2 export: the 1.2 columns filled by AWS."""
    extra = {
        "BillingAccountType": "Payer Account",
        "SubAccountType": "Member Account",
        "InvoiceId": "EUINIE26-1",
        "PricingCurrency": "USD",
        "ServiceSubcategory": "Virtual Machines",
        "SkuMeter": "BoxUsage",
        "SkuPriceDetails": '{"x_InstanceType":"m5.large"}',
        "CapacityReservationId": None,
        "CapacityReservationStatus": None,
        "CommitmentDiscountQuantity": None,
        "CommitmentDiscountUnit": None,
        "PricingCurrencyContractedUnitPrice": None,
        "PricingCurrencyEffectiveCost": None,
        "PricingCurrencyListUnitPrice": None,
    }
    rows = []
    for base in aws_rows():
        row = {**base, **extra}
        if row["ChargeCategory"] == "Tax":
            row["ServiceSubcategory"] = "Other (Other)"
        if row["PricingCategory"] == "Commitment-Based":
            row["PricingCategory"] = "Committed"
        rows.append(row)
    return rows


AWS_PARQUET_TYPES = {
    "BilledCost": "DOUBLE",
    "EffectiveCost": "DOUBLE",
    "ListCost": "DOUBLE",
    "ContractedCost": "DOUBLE",
    "ListUnitPrice": "DOUBLE",
    "ContractedUnitPrice": "DOUBLE",
    "PricingQuantity": "DOUBLE",
    "ConsumedQuantity": "DOUBLE",
    "BillingPeriodStart": "TIMESTAMP",
    "BillingPeriodEnd": "TIMESTAMP",
    "ChargePeriodStart": "TIMESTAMP",
    "ChargePeriodEnd": "TIMESTAMP",
    "Tags": "MAP(VARCHAR, VARCHAR)",
    "SkuPriceDetails": "MAP(VARCHAR, VARCHAR)",
    "x_CostCategories": "MAP(VARCHAR, VARCHAR)",
    "x_Discounts": "MAP(VARCHAR, DOUBLE)",
}


@pytest.fixture(params=["focus10-csv.gz", "focus12-parquet"])
def aws_mapped(request: pytest.FixtureRequest, tmp_path: Path) -> MappedRows:
    if request.param == "focus10-csv.gz":
        path = write_csv(tmp_path / "focus-00001.csv.gz", aws_rows(), gzipped=True)
        return run_mapping("aws-focus", [path], timezone="Asia/Kolkata")
    path = write_parquet(
        tmp_path / "focus-00001.snappy.parquet", aws_rows_12(), types=AWS_PARQUET_TYPES
    )
    return run_mapping("aws-focus", [path])


def test_aws_focus_output_is_focus_12_shaped(aws_mapped: MappedRows) -> None:
    assert_focus_shape(aws_mapped, extras=AWS_EXTRAS)


def test_aws_focus_passes_values_through_and_fills_12_columns(aws_mapped: MappedRows) -> None:
    usage = aws_mapped.one(ResourceId="i-0abc")
    assert usage["BillingAccountId"] == "012345678901"
    assert usage["SubAccountId"] == "000987654321"
    assert usage["BilledCost"] == Decimal("1.25")
    assert usage["ListUnitPrice"] == Decimal("0.125")
    assert usage["ChargePeriodStart"] == utc(2026, 10, 2)
    assert usage["BillingPeriodEnd"] == utc(2026, 11, 1)
    assert json.loads(usage["Tags"]) == {"team": "platform", "aws:createdBy": "alice"}
    assert json.loads(usage["x_CostCategories"]) == {"env": "prod"}
    assert usage["x_ServiceCode"] == "AmazonEC2"
    assert usage["PricingCurrency"] == "USD"
    assert usage["PricingCurrencyListUnitPrice"] == Decimal("0.125")
    covered = aws_mapped.one(CommitmentDiscountStatus="Used")
    assert covered["PricingCategory"] == "Committed"  # 1.0-preview value renamed
    assert (covered["BilledCost"], covered["EffectiveCost"]) == (0, Decimal("0.08"))
    assert (usage["PricingUnit"], usage["ConsumedUnit"]) == ("Hours", "Hours")  # from "Hrs"
    if usage["InvoiceId"] is None:  # the 1.0 export: 1.2 columns derived
        assert usage["SkuMeter"] == "USE1-BoxUsage:m5.large"  # x_UsageType, as aws-cur2
        assert usage["BillingAccountType"] == "Billing Account"
        assert usage["SubAccountType"] == "Linked Account"
    else:  # the 1.2 export: AWS's own values kept
        assert usage["BillingAccountType"] == "Payer Account"
        assert json.loads(usage["SkuPriceDetails"]) == {"x_InstanceType": "m5.large"}
    # By product code, as from CUR: one category per ServiceName (the tax row came as "Other").
    assert {(r["ServiceCategory"], r["ServiceSubcategory"]) for r in aws_mapped.rows} == {
        ("Compute", "Virtual Machines")
    }


def test_aws_focus_billed_cost_per_period_is_unchanged(aws_mapped: MappedRows) -> None:
    assert aws_mapped.total("BilledCost", BillingPeriodStart=utc(2026, 10, 1)) == Decimal("1.75")
    assert aws_mapped.total("BilledCost", BillingPeriodStart=utc(2026, 9, 1)) == Decimal(3)


def azure10(**extra: str | None) -> dict[str, str | None]:
    """A FocusCost 1.0 row: FOCUS 1.0 columns plus Microsoft's x_ columns of that version."""
    row = focus10(
        BillingAccountId="/providers/Microsoft.Billing/billingAccounts/8611537",
        BillingAccountName="Contoso",
        SubAccountId="/subscriptions/1caaa5a3-2b66-438e-8ab4-bce37d518c5d",
        SubAccountName="web-prod",
        InvoiceIssuerName="Microsoft",
        ProviderName="Microsoft",
        PublisherName="Microsoft",
        ServiceName="Virtual Machines",
        BillingPeriodStart="2026-09-01T00:00:00.0000000Z",
        BillingPeriodEnd="2026-10-01T00:00:00.0000000Z",
        ChargePeriodStart="2026-09-03T00:00:00.0000000Z",
        ChargePeriodEnd="2026-09-04T00:00:00.0000000Z",
        BillingCurrency="EUR",
    )
    row.update(
        x_InvoiceId="E2026090012",
        x_PricingCurrency="USD",
        x_SkuMeterName="D2s v5",
        x_ResourceGroupName="rg-web",
        x_BillingProfileId="8611537",
        x_EffectiveUnitPrice="0.115",
        x_BilledCostInUsd="13.5",
        x_SkuDetails='{"VCPUs":2}',
        x_CostCenter="CC-42",
        x_BillingExchangeRate="0.92",
        SkuId="DZH318Z0BQ4N",
    )
    row.update(extra)
    return row


def azure_rows() -> list[dict[str, str | None]]:
    return [
        azure10(
            BilledCost="12.42",
            EffectiveCost="12.42",
            ListCost="13.8",
            ContractedCost="12.42",
            PricingQuantity="100",
            PricingUnit="Hours",
            ListUnitPrice="0.138",
            ContractedUnitPrice="0.1242",
            PricingCategory="Standard",
            SkuPriceId="DZH318Z0BQ4N_0001",
            ResourceId="/subscriptions/1caaa5a3-2b66-438e-8ab4-bce37d518c5d/resourcegroups/rg-web/"
            "providers/microsoft.compute/virtualmachines/web-01",
            ResourceName="web-01",
            ResourceType="Virtual machine",
            RegionId="eastus",
            RegionName="East US",
            Tags='"team": "platform"',
        ),
        azure10(
            ChargeCategory="Purchase",
            ChargeFrequency="One-Time",
            BilledCost="300",
            EffectiveCost="0",
            ListCost="300",
            ContractedCost="300",
            PricingQuantity="1",
            PricingUnit="Units",
            PricingCategory="Standard",
            SkuPriceId="RI-SKU",
            CommitmentDiscountId="/providers/microsoft.capacity/reservationorders/o/reservations/r",
            CommitmentDiscountType="Reservation",
            CommitmentDiscountCategory="Usage",
            ServiceCategory="Compute",
        ),
    ]


@pytest.fixture(params=["focus10-csv", "focus12-parquet"])
def azure_mapped(request: pytest.FixtureRequest, tmp_path: Path) -> MappedRows:
    if request.param == "focus10-csv":
        path = write_csv(tmp_path / "part_0_0001.csv", azure_rows(), bom=True)
        return run_mapping("azure-focus", [path], timezone="Australia/Sydney")
    rows = [
        {
            **r,
            "InvoiceId": r["x_InvoiceId"],
            "PricingCurrency": "USD",
            "x_InvoiceId": None,
            "x_PricingCurrency": None,
            "BillingAccountType": "Billing Account",
            "SubAccountType": "Subscription",
            "ServiceSubcategory": "Virtual Machines",
            "SkuMeter": r["x_SkuMeterName"],
            "Tags": '{"team":"platform"}' if r["Tags"] else None,
        }
        for r in azure_rows()
    ]
    types = {
        "BilledCost": "DECIMAL(38,10)",
        "ChargePeriodStart": "TIMESTAMPTZ",
        "ChargePeriodEnd": "TIMESTAMPTZ",
    }
    path = write_parquet(tmp_path / "part_0_0001.parquet", rows, types=types)
    return run_mapping("azure-focus", [path])


def test_azure_focus_output_is_focus_12_shaped(azure_mapped: MappedRows) -> None:
    assert_focus_shape(azure_mapped, extras=AZURE_EXTRAS)


def test_azure_focus_promotes_10_extras_and_fixes_quirks(azure_mapped: MappedRows) -> None:
    vm = azure_mapped.one(ResourceName="web-01")
    assert vm["InvoiceId"] == "E2026090012"
    assert vm["PricingCurrency"] == "USD"
    assert vm["SkuMeter"] == "D2s v5"
    assert vm["BillingAccountType"] == "Billing Account"
    assert vm["SubAccountType"] == "Subscription"
    assert json.loads(vm["Tags"]) == {"team": "platform"}
    assert vm["ChargePeriodStart"] == utc(2026, 9, 3)
    assert vm["BillingPeriodStart"] == utc(2026, 9, 1)
    # Priced in USD, billed in EUR: the cost goes back through Microsoft's exchange rate; unit
    # prices in the pricing currency are not invented.
    assert vm["PricingCurrencyListUnitPrice"] is None
    assert vm["PricingCurrencyEffectiveCost"] == Decimal("13.5")  # 12.42 / 0.92
    assert vm["x_BilledCostInUsd"] == Decimal("13.5")
    assert vm["x_ResourceGroupName"] == "rg-web"
    purchase = azure_mapped.one(ChargeCategory="Purchase")
    assert (purchase["BilledCost"], purchase["EffectiveCost"]) == (300, 0)
    assert azure_mapped.total("BilledCost") == Decimal("312.42")


def test_aws_focus_integer_account_ids_get_their_leading_zeros_back(tmp_path: Path) -> None:
    """AWS ids are 12 digits; a BIGINT column printed them without their leading zeros."""
    types = dict(AWS_PARQUET_TYPES, BillingAccountId="BIGINT", SubAccountId="BIGINT")
    path = write_parquet(tmp_path / "focus-int.parquet", aws_rows_12(), types=types)
    rows = run_mapping("aws-focus", [path])
    assert {(r["BillingAccountId"], r["SubAccountId"]) for r in rows.rows} == {
        ("012345678901", "000987654321")
    }
