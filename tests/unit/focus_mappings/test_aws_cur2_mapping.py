"""CUR 2.0 -> FOCUS 1.2: generated exports in every delivery format, checked row by row."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from unit.focus_mappings.mapping_support import MappedRows, run_mapping
from unit.focus_mappings.shared_checks import assert_focus_shape, utc
from unit.focus_mappings.writers import write_csv, write_parquet

PAYER = "012345678901"  # leading zero: must survive as text
LINKED = "000987654321"
RI_ARN = "arn:aws:ec2:us-east-1:000987654321:reserved-instances/ri-0a1b2c"
SP_ARN = "arn:aws:savingsplans::012345678901:savingsplan/sp-123abc"
OCT = ("2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z")
SEP = ("2026-09-01T00:00:00Z", "2026-10-01T00:00:00Z")


def line(
    kind: str, cost: str, *, period: tuple[str, str] = OCT, **extra: str | None
) -> dict[str, str | None]:
    row: dict[str, str | None] = {
        "identity_line_item_id": f"li-{kind}-{cost}",
        "bill_bill_type": "Anniversary",
        "bill_billing_entity": "AWS",
        "bill_billing_period_start_date": period[0],
        "bill_billing_period_end_date": period[1],
        "bill_invoice_id": "EUINIE26-123456",
        "bill_invoicing_entity": "Amazon Web Services EMEA SARL",
        "bill_payer_account_id": PAYER,
        "bill_payer_account_name": "Example Org",
        "line_item_usage_account_id": LINKED,
        "line_item_usage_account_name": "team-platform-prod",
        "line_item_line_item_type": kind,
        "line_item_usage_start_date": "2026-10-03T10:00:00Z",
        "line_item_usage_end_date": "2026-10-03T11:00:00Z",
        "line_item_product_code": "AmazonEC2",
        "line_item_usage_type": "USE1-BoxUsage:m5.large",
        "line_item_operation": "RunInstances",
        "line_item_line_item_description": f"{kind} line",
        "line_item_resource_id": None,
        "line_item_availability_zone": None,
        "line_item_legal_entity": "Amazon Web Services EMEA SARL",
        "line_item_currency_code": "USD",
        "line_item_unblended_cost": cost,
        "line_item_unblended_rate": None,
        "line_item_net_unblended_cost": cost,
        "line_item_usage_amount": None,
        "pricing_currency": "USD",
        "pricing_unit": None,
        "pricing_term": None,
        "pricing_rate_code": None,
        "pricing_public_on_demand_rate": None,
        "pricing_public_on_demand_cost": None,
        "product_sku": None,
        "product_servicecode": "AmazonEC2",
        "product_product_family": "Compute Instance",
        "product_region_code": "us-east-1",
        "product_location": "US East (N. Virginia)",
        "product": '{"product_name":"Amazon Elastic Compute Cloud","region":"us-east-1"}',
        "resource_tags": None,
        "cost_category": None,
        "discount": None,
        "reservation_reservation_a_r_n": None,
        "reservation_effective_cost": None,
        "reservation_unused_amortized_upfront_fee_for_billing_period": None,
        "reservation_unused_recurring_fee": None,
        "reservation_unused_quantity": None,
        "savings_plan_savings_plan_a_r_n": None,
        "savings_plan_savings_plan_effective_cost": None,
        "savings_plan_total_commitment_to_date": None,
        "savings_plan_used_commitment": None,
    }
    row.update(extra)
    return row


def cur2_rows() -> list[dict[str, str | None]]:
    ec2 = {
        "line_item_unblended_rate": "0.125",
        "line_item_usage_amount": "10",
        "pricing_unit": "Hrs",
        "pricing_term": "OnDemand",
        "pricing_rate_code": "SKU1.JRTCKXETXF.6YS6EN2CT7",
        "pricing_public_on_demand_rate": "0.125",
        "pricing_public_on_demand_cost": "1.25",
        "product_sku": "SKU1",
        "line_item_resource_id": "i-0abc123def",
        "line_item_availability_zone": "us-east-1a",
    }
    return [
        line(
            "Usage",
            "1.25",
            **ec2,
            resource_tags='{"user_team":"platform","aws_created_by":"IAMUser:AIDA:alice"}',
            cost_category='{"env":"prod"}',
        ),
        line(
            "DiscountedUsage",
            "0",
            line_item_unblended_rate="0",
            line_item_usage_amount="1",
            pricing_unit="Hrs",
            pricing_term="Reserved",
            pricing_public_on_demand_rate="0.1",
            pricing_public_on_demand_cost="0.1",
            reservation_reservation_a_r_n=RI_ARN,
            reservation_effective_cost="0.08",
            product_sku="SKU1",
            pricing_rate_code="SKU1.RESERVED.1",
        ),
        line(
            "RIFee",
            "50",
            line_item_usage_amount="744",
            pricing_unit="Hrs",
            line_item_unblended_rate="0.0672",
            reservation_reservation_a_r_n=RI_ARN,
            reservation_unused_amortized_upfront_fee_for_billing_period="2",
            reservation_unused_recurring_fee="3",
            reservation_unused_quantity="40",
            product_sku="SKU1",
            pricing_rate_code="SKU1.RIFEE.1",
        ),
        line(
            "SavingsPlanCoveredUsage",
            "0.5",
            line_item_unblended_rate="0.05",
            line_item_usage_amount="10",
            pricing_unit="Hrs",
            pricing_public_on_demand_rate="0.05",
            pricing_public_on_demand_cost="0.5",
            savings_plan_savings_plan_a_r_n=SP_ARN,
            savings_plan_savings_plan_effective_cost="0.3",
            product_sku="SKU2",
            pricing_rate_code="SKU2.SP.1",
            line_item_resource_id="i-0sp",
        ),
        line(
            "SavingsPlanNegation",
            "-0.5",
            savings_plan_savings_plan_a_r_n=SP_ARN,
            line_item_usage_amount="10",
            pricing_unit="Hrs",
        ),
        line(
            "SavingsPlanRecurringFee",
            "100",
            line_item_usage_amount="744",
            pricing_unit="Hrs",
            line_item_unblended_rate="0.1344",
            savings_plan_savings_plan_a_r_n=SP_ARN,
            savings_plan_total_commitment_to_date="100",
            savings_plan_used_commitment="90",
            product_sku="SP-SKU",
            pricing_rate_code="SP-SKU.FEE",
        ),
        line(
            "Tax",
            "4.2",
            line_item_product_code="AmazonEC2",
            product_region_code=None,
            product_location=None,
            line_item_usage_type=None,
        ),
        line("Credit", "-1.00", line_item_line_item_description="AWS Activate credit"),
        line(
            "Usage",
            "0.023",
            line_item_product_code="AmazonS3",
            product_servicecode="AmazonS3",
            product_product_family="Storage",
            product_region_code="eu-west-1",
            product_location="EU (Ireland)",
            line_item_usage_type="EUW1-TimedStorage-ByteHrs",
            line_item_usage_amount="1",
            line_item_unblended_rate="0.023",
            pricing_public_on_demand_rate="0.023",
            pricing_public_on_demand_cost="0.023",
            pricing_unit="GB-Mo",
            product_sku="S3SKU",
            pricing_rate_code="S3SKU.R1",
            line_item_resource_id="arn:aws:s3:::logs-bucket",
            product='{"product_name":"Amazon Simple Storage Service"}',
            resource_tags="{}",
        ),
        line(
            "Fee",
            "300",
            reservation_reservation_a_r_n=RI_ARN,
            line_item_usage_amount="1",
            pricing_unit="Quantity",
            line_item_unblended_rate="300",
            product_sku="SKU1",
            pricing_rate_code="SKU1.UPFRONT",
            line_item_line_item_description="Sign up charge for ri-0a1b2c",
        ),
        line("EdpDiscount", "-0.10"),
        line(
            "Refund",
            "-2",
            period=SEP,
            line_item_usage_start_date="2026-09-10T00:00:00Z",
            line_item_usage_end_date="2026-09-11T00:00:00Z",
        ),
    ]


PARQUET_TYPES = {
    "bill_billing_period_start_date": "TIMESTAMP",
    "bill_billing_period_end_date": "TIMESTAMP",
    "line_item_usage_start_date": "TIMESTAMP",
    "line_item_usage_end_date": "TIMESTAMP",
    "line_item_unblended_cost": "DOUBLE",
    "line_item_unblended_rate": "DOUBLE",
    "line_item_net_unblended_cost": "DOUBLE",
    "line_item_usage_amount": "DOUBLE",
    "pricing_public_on_demand_rate": "DOUBLE",
    "pricing_public_on_demand_cost": "DOUBLE",
    "reservation_effective_cost": "DOUBLE",
    "reservation_unused_amortized_upfront_fee_for_billing_period": "DOUBLE",
    "reservation_unused_recurring_fee": "DOUBLE",
    "reservation_unused_quantity": "DOUBLE",
    "savings_plan_savings_plan_effective_cost": "DOUBLE",
    "savings_plan_total_commitment_to_date": "DOUBLE",
    "savings_plan_used_commitment": "DOUBLE",
    "product": "MAP(VARCHAR, VARCHAR)",
    "resource_tags": "MAP(VARCHAR, VARCHAR)",
    "cost_category": "MAP(VARCHAR, VARCHAR)",
    "discount": "MAP(VARCHAR, DOUBLE)",
}


def _without_empty_maps(rows: list[dict[str, str | None]]) -> list[dict[str, str | None]]:
    return [{k: (None if v == "{}" else v) for k, v in r.items()} for r in rows]


@pytest.fixture(params=["csv", "csv.gz", "parquet"])
def mapped(request: pytest.FixtureRequest, tmp_path: Path) -> MappedRows:
    rows = cur2_rows()
    if request.param == "csv":
        files = [write_csv(tmp_path / "cur2-00001.csv", rows)]
        return run_mapping("aws-cur2", files, timezone="Asia/Tokyo")
    if request.param == "csv.gz":
        # Two parts of one export, as Data Exports splits a period.
        files = [
            write_csv(tmp_path / "cur2-00001.csv.gz", rows[:6], gzipped=True),
            write_csv(tmp_path / "cur2-00002.csv.gz", rows[6:], gzipped=True),
        ]
        return run_mapping("aws-cur2", files)
    files = [
        write_parquet(
            tmp_path / "cur2-00001.snappy.parquet", _without_empty_maps(rows), types=PARQUET_TYPES
        )
    ]
    return run_mapping("aws-cur2", files, timezone="America/Los_Angeles")


def test_cur2_output_is_focus_shaped(mapped: MappedRows) -> None:
    assert_focus_shape(
        mapped,
        extras=(
            "x_CostCategories",
            "x_Discounts",
            "x_InvoicingEntity",
            "x_LineItemType",
            "x_Operation",
            "x_ServiceCode",
            "x_UsageType",
        ),
    )


def test_cur2_on_demand_usage_keeps_ids_prices_and_tags(mapped: MappedRows) -> None:
    row = mapped.one(x_LineItemType="Usage", ServiceName="Amazon Elastic Compute Cloud")
    assert row["BillingAccountId"] == PAYER
    assert row["SubAccountId"] == LINKED
    assert row["BilledCost"] == row["EffectiveCost"] == Decimal("1.25")
    assert row["ListUnitPrice"] == Decimal("0.125")
    assert row["PricingQuantity"] == Decimal("10")
    assert row["ListCost"] == row["ContractedCost"] == Decimal("1.25")
    assert row["ChargePeriodStart"] == utc(2026, 10, 3, 10)
    assert row["ChargePeriodEnd"] == utc(2026, 10, 3, 11)
    assert row["BillingPeriodStart"] == utc(2026, 10, 1)
    assert row["BillingPeriodEnd"] == utc(2026, 11, 1)
    assert row["Tags"] is not None
    assert __import__("json").loads(row["Tags"]) == {
        "team": "platform",
        "aws:created_by": "IAMUser:AIDA:alice",
    }
    assert row["ServiceCategory"] == "Compute"
    assert row["PricingCategory"] == "Standard"
    assert row["RegionId"] == "us-east-1"
    assert row["AvailabilityZone"] == "us-east-1a"
    assert row["ResourceId"] == "i-0abc123def"
    assert row["SkuPriceId"] == "SKU1.JRTCKXETXF.6YS6EN2CT7"
    assert __import__("json").loads(row["x_CostCategories"]) == {"env": "prod"}


def test_cur2_commitments_are_amortized_and_unused_parts_split_out(mapped: MappedRows) -> None:
    ri_used = mapped.one(x_LineItemType="DiscountedUsage")
    assert (ri_used["BilledCost"], ri_used["EffectiveCost"]) == (Decimal(0), Decimal("0.08"))
    assert ri_used["CommitmentDiscountId"] == RI_ARN
    assert ri_used["CommitmentDiscountStatus"] == "Used"
    assert ri_used["CommitmentDiscountCategory"] == "Usage"
    assert ri_used["PricingCategory"] == "Committed"
    assert ri_used["ContractedUnitPrice"] == Decimal("0.1")  # before the commitment's discount

    ri_fee, ri_unused = sorted(
        mapped.where(x_LineItemType="RIFee"), key=lambda r: r["ChargeCategory"]
    )
    assert (ri_fee["ChargeCategory"], ri_fee["BilledCost"], ri_fee["EffectiveCost"]) == (
        "Purchase",
        Decimal(50),
        0,
    )
    assert ri_fee["ChargeFrequency"] == "Recurring"
    assert (ri_unused["ChargeCategory"], ri_unused["BilledCost"], ri_unused["EffectiveCost"]) == (
        "Usage",
        0,
        5,
    )
    assert ri_unused["CommitmentDiscountStatus"] == "Unused"
    assert ri_unused["CommitmentDiscountQuantity"] == 40
    # Unused commitment is waste, not a saving: no list or contracted value.
    assert (ri_unused["ListCost"], ri_unused["ContractedCost"]) == (0, 0)

    sp_used = mapped.one(x_LineItemType="SavingsPlanCoveredUsage")
    assert (sp_used["BilledCost"], sp_used["EffectiveCost"]) == (0, Decimal("0.3"))
    assert sp_used["CommitmentDiscountType"] == "Savings Plan"
    assert sp_used["CommitmentDiscountCategory"] == "Spend"
    # The negation line only cancels the covered line's on-demand cost; it is left out.
    assert not mapped.where(x_LineItemType="SavingsPlanNegation")
    sp_fee, sp_unused = sorted(
        mapped.where(x_LineItemType="SavingsPlanRecurringFee"), key=lambda r: r["ChargeCategory"]
    )
    assert (sp_fee["BilledCost"], sp_fee["EffectiveCost"]) == (100, 0)
    assert (sp_unused["EffectiveCost"], sp_unused["CommitmentDiscountStatus"]) == (10, "Unused")
    assert (sp_unused["PricingQuantity"], sp_unused["PricingUnit"]) == (10, "USD")
    assert (ri_unused["PricingQuantity"], ri_unused["PricingUnit"]) == (40, "Hours")

    upfront = mapped.one(x_LineItemType="Fee")
    assert (upfront["ChargeCategory"], upfront["BilledCost"], upfront["EffectiveCost"]) == (
        "Purchase",
        300,
        0,
    )
    assert upfront["ChargeFrequency"] == "One-Time"


def test_cur2_tax_credits_and_discounts(mapped: MappedRows) -> None:
    tax = mapped.one(x_LineItemType="Tax")
    assert tax["ChargeCategory"] == "Tax"
    assert tax["BilledCost"] == Decimal("4.2")
    assert tax["PricingQuantity"] is None
    assert tax["PricingUnit"] is None
    assert tax["SkuPriceId"] is None
    assert tax["ListCost"] == tax["ContractedCost"] == tax["EffectiveCost"] == Decimal("4.2")
    assert tax["ChargeFrequency"] == "One-Time"
    for kind, amount, category, frequency in (
        ("Credit", "-1.00", "Credit", "One-Time"),
        ("EdpDiscount", "-0.10", "Credit", "Usage-Based"),
        ("Refund", "-2", "Usage", "One-Time"),  # FOCUS: Usage "including refunds"
    ):
        row = mapped.one(x_LineItemType=kind)
        assert (row["ChargeCategory"], row["ChargeFrequency"]) == (category, frequency)
        assert row["BilledCost"] == row["ListCost"] == row["ContractedCost"] == Decimal(amount)
        assert row["ListUnitPrice"] is None
    s3 = mapped.one(x_ServiceCode="AmazonS3")
    # CUR's unit abbreviations in FOCUS Unit Format.
    assert (s3["PricingUnit"], s3["ConsumedUnit"]) == ("GB-Months", "GB-Months")
    assert mapped.one(ResourceId="i-0abc123def")["PricingUnit"] == "Hours"
    assert s3["Tags"] is None
    assert s3["ServiceCategory"] == "Storage"
    assert s3["ResourceName"] == "logs-bucket"


def test_cur2_billed_cost_reconciles_with_unblended_cost_per_period(mapped: MappedRows) -> None:
    source = cur2_rows()
    for start, period in ((utc(2026, 10, 1), OCT), (utc(2026, 9, 1), SEP)):
        expected = sum(
            (
                Decimal(r["line_item_unblended_cost"] or "0")
                for r in source
                if r["bill_billing_period_start_date"] == period[0]
            ),
            Decimal(0),
        )
        assert mapped.total("BilledCost", BillingPeriodStart=start) == expected
    # Effective cost moves commitment money to where it was used; the month's total matches the
    # amortized view (fees 0, covered usage + unused commitment instead).
    assert mapped.total("EffectiveCost", BillingPeriodStart=utc(2026, 10, 1)) == (
        Decimal("1.25")
        + Decimal("0.08")
        + 5
        + Decimal("0.3")
        + 10
        + Decimal("4.2")
        - 1
        + Decimal("0.023")
        - Decimal("0.10")
    )


def test_cur2_classifies_by_product_code_as_legacy_cur_does(tmp_path: Path) -> None:
    """EC2 also bills volumes, snapshots and data transfer (told apart by product family); FOCUS
    1.2 allows one ServiceCategory per ServiceName, and the legacy CUR mapping already gives
    all of EC2 one: both mappings read the same product code table."""
    families = ("Compute Instance", "Storage", "Storage Snapshot", "Data Transfer")
    rows = [line("Usage", f"0.{i + 1}", product_product_family=f) for i, f in enumerate(families)]
    new = {"line_item_product_code": "AmazonNewThing", "product_servicecode": "AmazonNewThing"}
    rows.append(line("Usage", "0.9", **new))
    mapped = run_mapping("aws-cur2", [write_csv(tmp_path / "cur2.csv", rows)])

    ec2 = {
        (r["ServiceCategory"], r["ServiceSubcategory"])
        for r in mapped.rows
        if r["x_ServiceCode"] == "AmazonEC2"
    }
    assert ec2 == {("Compute", "Virtual Machines")}
    other = mapped.one(x_ServiceCode="AmazonNewThing")
    assert (other["ServiceCategory"], other["ServiceSubcategory"]) == ("Other", "Other (Other)")


def test_cur2_integer_account_ids_get_their_leading_zeros_back(tmp_path: Path) -> None:
    """A Parquet export (or a re-typed copy of one) with the ids as BIGINT: AWS ids are 12
    digits, so 12345678901 is 012345678901, as the legacy CUR mapping already reads it."""
    types = dict(PARQUET_TYPES, bill_payer_account_id="BIGINT", line_item_usage_account_id="BIGINT")
    path = tmp_path / "cur2-int.parquet"
    rows = run_mapping(
        "aws-cur2", [write_parquet(path, _without_empty_maps(cur2_rows()), types=types)]
    )
    assert {(r["BillingAccountId"], r["SubAccountId"]) for r in rows.rows} == {(PAYER, LINKED)}
