"""Azure cost details (EA and MCA; actual and amortized) -> FOCUS 1.2, from generated exports."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from costwarden.focus import FocusConversionError
from costwarden.focus.checks import CheckReport
from costwarden.focus.convert import convert
from unit.focus_mappings.mapping_support import MappedRows, run_mapping
from unit.focus_mappings.shared_checks import assert_focus_shape, utc
from unit.focus_mappings.writers import write_csv, write_parquet

EXTRAS = (
    "x_AccountName",
    "x_AccountOwnerId",
    "x_BillingAccountId",
    "x_BillingProfileId",
    "x_BillingProfileName",
    "x_ChargeType",
    "x_CostAllocationRuleName",
    "x_CostCenter",
    "x_CostDataset",
    "x_EffectiveUnitPrice",
    "x_InvoiceSectionId",
    "x_InvoiceSectionName",
    "x_PricingBlockSize",
    "x_PricingModel",
    "x_PricingUnitDescription",
    "x_PublisherCategory",
    "x_ResourceGroupName",
    "x_SkuMeterCategory",
    "x_SkuMeterSubcategory",
    "x_SkuOfferId",
    "x_SkuPartNumber",
    "x_SkuServiceFamily",
    "x_SkuTerm",
)
SUB = "1caaa5a3-2b66-438e-8ab4-bce37d518c5d"
RESERVATION = "/providers/Microsoft.Capacity/reservationOrders/o-111/reservations/r-222"
VM_ID = (
    f"/subscriptions/{SUB}/resourceGroups/RG-Web/providers/Microsoft.Compute/virtualMachines/Web-01"
)


def ea(
    charge_type: str, cost: str, *, day: str = "09/03/2026", **extra: str | None
) -> dict[str, str | None]:
    """One EA cost-details row (column set of the 2023+ EA export, `Cost`/`BillingCurrency`)."""
    row: dict[str, str | None] = {
        "BillingAccountId": "8611537",
        "BillingAccountName": "Contoso EA",
        "BillingPeriodStartDate": "09/01/2026",
        "BillingPeriodEndDate": "09/30/2026",
        "BillingProfileId": "8611537",
        "BillingProfileName": "Contoso EA",
        "AccountOwnerId": "owner@contoso.example",
        "AccountName": "Platform",
        "SubscriptionId": SUB,
        "SubscriptionName": "web-prod",
        "Date": day,
        "Product": "Virtual Machines D2s v5 - East US",
        "PartNumber": "AAA-12345",
        "MeterId": "f31064a2-ed95-4e11-8b69-270f2fc4fbdd",
        "ServiceFamily": "Compute",
        "MeterCategory": "Virtual Machines",
        "MeterSubCategory": "Dsv5 Series",
        "MeterRegion": "US East",
        "MeterName": "D2s v5",
        "Quantity": "0",
        "EffectivePrice": "0",
        "Cost": cost,
        "UnitPrice": "0",
        "BillingCurrency": "USD",
        "ResourceLocation": "EastUS",
        "AvailabilityZone": None,
        "ConsumedService": "Microsoft.Compute",
        "ResourceId": None,
        "ResourceName": None,
        "AdditionalInfo": None,
        "Tags": None,
        "InvoiceSectionId": "ISID-1",
        "InvoiceSection": "Engineering",
        "CostCenter": "CC-42",
        "UnitOfMeasure": "1 Hour",
        "ResourceGroup": None,
        "ReservationId": None,
        "ReservationName": None,
        "ProductOrderId": None,
        "ProductOrderName": None,
        "OfferId": "MS-AZR-0017P",
        "IsAzureCreditEligible": "True",
        "Term": None,
        "PublisherName": None,
        "PlanName": None,
        "ChargeType": charge_type,
        "Frequency": "UsageBased",
        "PublisherType": "Azure",
        "PayGPrice": "0",
        "PricingModel": "OnDemand",
        "CostAllocationRuleName": None,
        "benefitId": None,
        "benefitName": None,
    }
    row.update(extra)
    return row


VM = {
    "Quantity": "100",
    "UnitPrice": "0.125",
    "PayGPrice": "0.15",
    "EffectivePrice": "0.125",
    "ResourceId": VM_ID,
    "ResourceName": "Web-01",
    "ResourceGroup": "RG-Web",
    # EA writes the tags object without its braces.
    "Tags": '"team": "platform","env": "prod"',
}
RI = {
    "ReservationId": "r-222",
    "ReservationName": "vm-ri",
    "benefitId": RESERVATION,
    "benefitName": "vm-ri",
    "PricingModel": "Reservation",
    "Term": "12",
}


def ea_actual_rows() -> list[dict[str, str | None]]:
    return [
        ea("Usage", "12.5", **VM),
        ea(
            "Usage",
            "0.025",
            ConsumedService="Microsoft.Storage",
            MeterCategory="Storage",
            MeterName="LRS Write Operations",
            Product="Tiered Block Blob - LRS - Write Operations",
            UnitOfMeasure="10K",
            Quantity="0.5",
            UnitPrice="0.05",
            PayGPrice="0.05",
            ResourceLocation="westeurope",
            ResourceGroup="rg-data",
        ),
        ea(
            "Purchase",
            "300",
            **RI,
            ConsumedService="Microsoft.Capacity",
            Frequency="OneTime",
            Quantity="1",
            UnitPrice="300",
            ResourceId=RESERVATION,
            day="09/01/2026",
        ),
        ea("Usage", "0", **RI, **{k: VM[k] for k in ("Quantity", "ResourceId", "ResourceName")}),
        ea(
            "Usage",
            "4",
            PublisherType="Marketplace",
            PublisherName="Canonical",
            ConsumedService="Microsoft.Compute",
            Quantity="10",
            UnitPrice="0.4",
            PayGPrice="0.4",
        ),
        ea("Refund", "-50", **RI, ConsumedService="Microsoft.Capacity", Frequency="OneTime"),
        ea("Usage", "1", PricingModel="Spot", Quantity="20", UnitPrice="0.05", PayGPrice="0.05"),
        ea(
            "Usage",
            "7",
            day="08/20/2026",
            BillingPeriodStartDate="08/01/2026",
            BillingPeriodEndDate="08/31/2026",
            Quantity="1",
            UnitPrice="7",
            PayGPrice="7",
        ),
    ]


def ea_amortized_rows() -> list[dict[str, str | None]]:
    """The same month amortized: no purchase rows; covered and unused usage carry the RI cost.
    Dates unpadded (M/D/YYYY), as some EA files write them."""
    rows = [
        ea("Usage", "12.5", **VM, day="9/3/2026"),
        ea(
            "Usage",
            "0.8",
            **RI,
            **{k: VM[k] for k in ("Quantity", "ResourceId", "ResourceName")},
            day="9/3/2026",
            UnitPrice="0.125",
            PayGPrice="0",
            EffectivePrice="0.008",
        ),
        ea("UnusedReservation", "2", **RI, Quantity="16", day="9/3/2026", UnitPrice="0.125"),
    ]
    for row in rows:
        row.update(BillingPeriodStartDate="9/1/2026", BillingPeriodEndDate="9/30/2026")
    return rows


def mca_rows() -> list[dict[str, str | None]]:
    """MCA actual cost, camelCase names, billed in EUR, priced in USD (rate 0.92)."""
    base = {
        "invoiceId": "G012345678",
        "billingAccountId": "a1b2c3d4:e5f6_2019-05-31",
        "billingAccountName": "Fabrikam",
        "billingProfileId": "ABCD-EFGH-IJK-LMN",
        "billingProfileName": "Fabrikam EU",
        "invoiceSectionId": "XYZ1",
        "invoiceSectionName": "R&D",
        "billingPeriodStartDate": "2026-09-01",
        "billingPeriodEndDate": "2026-09-30",
        "date": "2026-09-04",
        "SubscriptionId": "9ec51cfd-5ca7-4d76-8101-dd0a4abc5674",
        "subscriptionName": "fabrikam-dev",
        "resourceGroupName": "rg-ml",
        "consumedService": "Microsoft.MachineLearningServices",
        "meterCategory": "Machine Learning",
        "meterSubCategory": "NCv3",
        "meterName": "NC6s v3",
        "meterId": "m-ml-1",
        "ProductId": "DZH318Z0BQ4N",
        "ProductName": "Machine Learning NC6s v3",
        "resourceLocation": "westeurope",
        "unitOfMeasure": "1 Hour",
        "quantity": "2",
        "effectivePrice": "3.06",
        "unitPrice": "3.06",
        "PayGPrice": "3.06",
        "billingCurrency": "EUR",
        "pricingCurrency": "USD",
        "exchangeRatePricingToBilling": "0.92",
        "costInBillingCurrency": "5.6304",
        "costInPricingCurrency": "6.12",
        "chargeType": "Usage",
        "frequency": "UsageBased",
        "pricingModel": "OnDemand",
        "publisherType": "Azure",
        "tags": '{"team":"ml"}',
    }
    tax = {
        **base,
        "chargeType": "Tax",
        "costInBillingCurrency": "1.07",
        "costInPricingCurrency": None,
        "quantity": None,
        "meterId": None,
        "ProductId": None,
        "frequency": "OneTime",
        "tags": None,
    }
    return [base, tax]


MCA_TYPES = {
    "billingPeriodStartDate": "DATE",
    "billingPeriodEndDate": "DATE",
    "date": "TIMESTAMP",
    "quantity": "DOUBLE",
    "effectivePrice": "DOUBLE",
    "unitPrice": "DOUBLE",
    "PayGPrice": "DOUBLE",
    "exchangeRatePricingToBilling": "DOUBLE",
    "costInBillingCurrency": "DOUBLE",
    "costInPricingCurrency": "DOUBLE",
}


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, MappedRows]:
    d = tmp_path_factory.mktemp("azure-cost")
    actual = write_csv(d / "ea-actual.csv", ea_actual_rows(), bom=True)
    amortized = write_csv(d / "ea-amortized.csv.gz", ea_amortized_rows(), gzipped=True, null="NULL")
    mca = write_parquet(d / "mca-actual.parquet", mca_rows(), types=MCA_TYPES)
    return {
        "actual": run_mapping("azure-cost", [actual], timezone="Pacific/Auckland"),
        "amortized": run_mapping("azure-cost", [amortized]),
        "mca": run_mapping("azure-cost", [mca], timezone="America/New_York"),
    }


@pytest.mark.parametrize("name", ["actual", "amortized", "mca"])
def test_azure_cost_output_is_focus_shaped(exports: dict[str, MappedRows], name: str) -> None:
    assert_focus_shape(exports[name], extras=EXTRAS)


def test_ea_actual_usage_row_values(exports: dict[str, MappedRows]) -> None:
    vm = exports["actual"].one(ResourceName="Web-01", x_PricingModel="OnDemand")
    assert vm["BillingAccountId"] == "/providers/Microsoft.Billing/billingAccounts/8611537"
    assert vm["BillingAccountType"] == "Billing Account"
    assert vm["SubAccountId"] == f"/subscriptions/{SUB}"
    assert vm["SubAccountType"] == "Subscription"
    assert vm["ResourceId"] == VM_ID.lower()
    assert vm["x_ResourceGroupName"] == "RG-Web"
    assert vm["ResourceType"] == "Microsoft.Compute/virtualMachines"
    assert vm["ChargePeriodStart"] == utc(2026, 9, 3)
    assert vm["ChargePeriodEnd"] == utc(2026, 9, 4)
    assert vm["BillingPeriodStart"] == utc(2026, 9, 1)
    assert vm["BillingPeriodEnd"] == utc(2026, 10, 1)
    assert vm["BilledCost"] == vm["EffectiveCost"] == Decimal("12.5")
    assert (vm["ListUnitPrice"], vm["ListCost"]) == (Decimal("0.15"), Decimal(15))
    assert (vm["ContractedUnitPrice"], vm["ContractedCost"]) == (Decimal("0.125"), Decimal("12.5"))
    assert json.loads(vm["Tags"]) == {"team": "platform", "env": "prod"}
    assert (vm["RegionId"], vm["RegionName"]) == ("eastus", "East US")
    assert (vm["ServiceCategory"], vm["ServiceSubcategory"]) == ("Compute", "Virtual Machines")
    assert vm["x_CostDataset"] == "ActualCost"
    assert (vm["PricingUnit"], vm["PricingQuantity"]) == ("Hours", Decimal(100))
    assert vm["x_InvoiceSectionName"] == "Engineering"


def test_ea_actual_units_commitments_marketplace_refunds(exports: dict[str, MappedRows]) -> None:
    rows = exports["actual"]
    blob = rows.one(SkuMeter="LRS Write Operations")
    # "10K" blocks: quantities in single units, the price per unit, the block kept aside.
    assert (blob["PricingUnit"], blob["PricingQuantity"]) == ("Units", Decimal(5000))
    assert (blob["ConsumedUnit"], blob["ConsumedQuantity"]) == ("Units", Decimal(5000))
    assert (blob["ListUnitPrice"], blob["ListCost"]) == (Decimal("0.000005"), Decimal("0.025"))
    assert (blob["x_PricingBlockSize"], blob["x_PricingUnitDescription"]) == (10000, "10K")
    assert blob["ServiceSubcategory"] == "Storage Platforms"
    assert blob["RegionId"] == "westeurope"

    purchase = rows.one(ChargeCategory="Purchase", ChargeClass=None)
    # The purchase covers future usage: FOCUS puts its cost on the (amortized) usage rows.
    assert (purchase["BilledCost"], purchase["EffectiveCost"]) == (300, 0)
    assert purchase["CommitmentDiscountId"] == RESERVATION.lower()
    assert purchase["CommitmentDiscountType"] == "Reservation"
    assert purchase["ChargeFrequency"] == "One-Time"
    covered = rows.one(x_ChargeType="Usage", x_PricingModel="Reservation")
    assert (covered["BilledCost"], covered["EffectiveCost"]) == (0, 0)
    assert covered["CommitmentDiscountStatus"] == "Used"
    assert covered["PricingCategory"] == "Committed"
    refund = rows.one(x_ChargeType="Refund")
    assert (refund["ChargeCategory"], refund["ChargeClass"], refund["BilledCost"]) == (
        "Purchase",
        "Correction",
        -50,
    )
    assert refund["EffectiveCost"] == 0

    marketplace = rows.one(x_PublisherCategory="Marketplace")
    assert marketplace["PublisherName"] == "Canonical"
    assert marketplace["InvoiceIssuerName"] == "Microsoft"
    assert rows.one(x_PricingModel="Spot")["PricingCategory"] == "Dynamic"


def test_ea_actual_billed_cost_reconciles_with_cost_per_period(
    exports: dict[str, MappedRows],
) -> None:
    rows = exports["actual"]
    for start, period in ((utc(2026, 9, 1), "09/01/2026"), (utc(2026, 8, 1), "08/01/2026")):
        expected = sum(
            (
                Decimal(r["Cost"] or "0")
                for r in ea_actual_rows()
                if r["BillingPeriodStartDate"] == period
            ),
            Decimal(0),
        )
        assert rows.total("BilledCost", BillingPeriodStart=start) == expected
    # Actual data carries no amortization: EffectiveCost lacks the commitments (300 - 50).
    assert rows.total("EffectiveCost", BillingPeriodStart=utc(2026, 9, 1)) == Decimal("17.525")


def test_ea_amortized_is_detected_and_moves_commitment_cost_to_effective(
    exports: dict[str, MappedRows],
) -> None:
    rows = exports["amortized"]
    assert {r["x_CostDataset"] for r in rows.rows} == {"AmortizedCost"}
    covered = rows.one(x_ChargeType="Usage", x_PricingModel="Reservation")
    assert (covered["BilledCost"], covered["EffectiveCost"]) == (0, Decimal("0.8"))
    unused = rows.one(x_ChargeType="UnusedReservation")
    assert (unused["ChargeCategory"], unused["CommitmentDiscountStatus"]) == ("Usage", "Unused")
    assert (unused["BilledCost"], unused["EffectiveCost"]) == (0, 2)
    assert unused["ConsumedQuantity"] is None  # nothing was consumed
    assert unused["ChargePeriodStart"] == utc(2026, 9, 3)  # M/D/YYYY read
    source_total = sum((Decimal(r["Cost"] or "0") for r in ea_amortized_rows()), Decimal(0))
    assert rows.total("EffectiveCost") == source_total
    assert rows.total("BilledCost") == Decimal("12.5")


def test_mca_rows_convert_prices_to_the_billing_currency(exports: dict[str, MappedRows]) -> None:
    rows = exports["mca"]
    usage = rows.one(ChargeCategory="Usage")
    assert usage["BillingAccountId"] == (
        "/providers/Microsoft.Billing/billingAccounts/a1b2c3d4:e5f6_2019-05-31"
        "/billingProfiles/ABCD-EFGH-IJK-LMN"
    )
    assert usage["BillingAccountType"] == "Billing Profile"
    assert usage["BillingAccountName"] == "Fabrikam EU"
    assert (usage["BillingCurrency"], usage["PricingCurrency"]) == ("EUR", "USD")
    assert usage["BilledCost"] == Decimal("5.6304")
    assert usage["InvoiceId"] == "G012345678"
    assert usage["ListUnitPrice"] == Decimal("2.8152")  # 3.06 USD x 0.92
    assert usage["PricingCurrencyListUnitPrice"] == Decimal("3.06")
    assert usage["PricingCurrencyEffectiveCost"] == Decimal("6.12")
    assert usage["ChargePeriodStart"] == utc(2026, 9, 4)
    assert usage["BillingPeriodEnd"] == utc(2026, 10, 1)
    assert usage["ServiceCategory"] == "AI and Machine Learning"
    assert usage["x_ResourceGroupName"] == "rg-ml"
    tax = rows.one(ChargeCategory="Tax")
    assert tax["BilledCost"] == Decimal("1.07")
    assert tax["PricingQuantity"] is None
    assert tax["SkuPriceId"] is None
    assert tax["PricingCurrencyEffectiveCost"] == (Decimal("1.07") / Decimal("0.92")).quantize(
        Decimal("1e-10")
    )
    assert rows.total("BilledCost") == Decimal("6.7004")


def test_actual_and_amortized_files_fed_together_are_flagged_mixed(tmp_path: Path) -> None:
    """Both datasets of a month in one run would count on-demand usage twice: the rows say so."""
    actual = write_csv(tmp_path / "actual.csv", ea_actual_rows())
    amortized = write_csv(tmp_path / "amortized.csv", ea_amortized_rows())
    rows = run_mapping("azure-cost", [actual, amortized])
    assert {r["x_CostDataset"] for r in rows.rows} == {"Mixed"}
    purchase = rows.one(ChargeCategory="Purchase", ChargeClass=None)
    assert (purchase["BilledCost"], purchase["EffectiveCost"]) == (300, 0)  # amortized elsewhere


def test_a_mixed_conversion_is_refused_and_writes_nothing(tmp_path: Path) -> None:
    """The mixed rows reconcile with the (double-counted) source total, so only a check stops
    them: convert refuses them, naming the rule."""
    actual = write_csv(tmp_path / "actual.csv", ea_actual_rows())
    amortized = write_csv(tmp_path / "amortized.csv", ea_amortized_rows())
    with pytest.raises(FocusConversionError, match=r"x_CostDataset\.one-dataset") as caught:
        convert("azure-cost", [actual, amortized], output=tmp_path / "focus")
    report = caught.value.report
    assert isinstance(report, CheckReport)
    assert [r.rule.id for r in report.errors] == ["x_CostDataset.one-dataset"]
    assert not (tmp_path / "focus").exists()
    for one in (actual, amortized):  # each dataset on its own still converts
        convert("azure-cost", [one], output=tmp_path / one.stem)


def test_one_category_per_service_name_whatever_the_provider(tmp_path: Path) -> None:
    """FOCUS 1.2: a ServiceName has one ServiceCategory. Azure bills a "Storage" meter under
    Microsoft.Compute (managed disks) and Microsoft.Storage (accounts), and "Bandwidth" under
    every provider; the public EA samples of the FinOps toolkit do exactly this."""
    rows = [
        ea("Usage", "1", ConsumedService="Microsoft.Compute", MeterCategory="Storage"),
        ea("Usage", "2", ConsumedService="Microsoft.Storage", MeterCategory="Storage"),
        ea("Usage", "3", ConsumedService="Microsoft.Compute", MeterCategory="Bandwidth"),
        ea("Usage", "4", ConsumedService="Microsoft.Storage", MeterCategory="Bandwidth"),
        ea("Usage", "5", ConsumedService="Microsoft.Network", MeterCategory="Bandwidth"),
        ea("Usage", "6", ConsumedService="Microsoft.Web", MeterCategory="Some New Service"),
        ea("Usage", "7", ConsumedService="Microsoft.Web", MeterCategory=None),
    ]
    mapped = run_mapping("azure-cost", [write_csv(tmp_path / "ea.csv", rows)])

    by_name = {
        r["ServiceName"]: (r["ServiceCategory"], r["ServiceSubcategory"]) for r in mapped.rows
    }
    assert len(by_name) == 4  # one pair per name, checked below row by row
    for row in mapped.rows:
        assert (row["ServiceCategory"], row["ServiceSubcategory"]) == by_name[row["ServiceName"]]
    assert by_name == {
        "Storage": ("Storage", "Storage Platforms"),
        "Bandwidth": ("Networking", "Network Connectivity"),
        "Some New Service": ("Other", "Other (Other)"),
        # No meter category: the provider names the service and classifies it.
        "Microsoft.Web": ("Web", "Application Platforms"),
    }


def test_one_sku_per_sku_price_id_when_a_meter_has_several_part_numbers(tmp_path: Path) -> None:
    """EA bills one MeterId under several part numbers (the public EA sample has a meter with
    five); FOCUS 1.2 allows one SkuId per SkuPriceId, so the price id names both."""
    meter = "59bc01e3-9d3e-4b9f-baef-35e696aad6c4"
    rows = [
        ea("Usage", "1", MeterId=meter, PartNumber="ABC-1234"),
        ea("Usage", "2", MeterId=meter, PartNumber="ABC-1242"),
        ea("Usage", "3", MeterId=meter, PartNumber=None),
        ea("Tax", "4", MeterId=meter, PartNumber="ABC-1234"),
    ]
    mapped = run_mapping("azure-cost", [write_csv(tmp_path / "ea.csv", rows)])

    pairs = {(r["SkuPriceId"], r["SkuId"]) for r in mapped.rows}
    assert pairs == {
        (f"ABC-1234:{meter}", "ABC-1234"),
        (f"ABC-1242:{meter}", "ABC-1242"),
        (meter, None),
        (None, None),  # tax rows have neither
    }
