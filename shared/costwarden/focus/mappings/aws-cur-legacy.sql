-- AWS legacy Cost and Usage Report (CSV / gzip CSV / Parquet with `lineItem/UnblendedCost`
-- style names) -> FOCUS 1.2 Cost and Usage.
--
-- @provider: aws
-- @requires: lineItem/LineItemType, lineItem/UnblendedCost, lineItem/CurrencyCode, lineItem/UsageStartDate, lineItem/UsageEndDate, bill/BillingPeriodStartDate, bill/BillingPeriodEndDate, bill/PayerAccountId
-- @billing-period: src."bill/BillingPeriodStartDate"
-- @invoice-cost: COALESCE(TRY_CAST(src."lineItem/UnblendedCost" AS DECIMAL(18, 10)), TRY_CAST(src."lineItem/UnblendedCost" AS DECIMAL(28, 10)))
--
-- Input: the relation `src`: every raw column AS VARCHAR under its CUR name, nulls already NULL;
-- a column this file references but an export lacks is NULL (legacy CUR only writes columns
-- that have data: no reservation/* without RIs, no savingsPlan/* without Savings Plans).
-- `src."resourceTags"` is built by the reader from the `resourceTags/*` and `costCategory/*`
-- columns (their number varies per export): a flat JSON object or NULL, keyed
--   resourceTags/user:Team      -> "Team"                 (user tags keep the user's key)
--   resourceTags/aws:createdBy  -> "aws:createdBy"        (AWS-defined keys keep AWS's prefix)
--   costCategory/Env            -> "costCategory/Env"     (a second user scheme needs a prefix)
--
-- One FOCUS row per CUR line item except SavingsPlanNegation, so BilledCost reconciles with
-- lineItem/UnblendedCost (the invoice basis: usage, fees, tax, credits, refunds, discounts).
-- A SavingsPlanNegation line only cancels its SavingsPlanCoveredUsage line's on-demand cost on
-- the invoice: it is left out and the covered usage is billed at 0 instead, as FOCUS bills
-- covered usage (per pair the sum is the same: covered + negation = 0).
-- Plus one extra row per RIFee / SavingsPlanRecurringFee line with an unused commitment:
-- FOCUS puts the unused part of a commitment on its own "Usage" row (CommitmentDiscountStatus
-- Unused, BilledCost 0, EffectiveCost = the unused amount) and wants EffectiveCost 0 on the
-- purchase row itself.
--
-- EffectiveCost follows AWS's own amortization (the CUR query library's amortized cost):
--   DiscountedUsage          reservation/EffectiveCost
--   SavingsPlanCoveredUsage  savingsPlan/SavingsPlanEffectiveCost
--   SavingsPlanUpfrontFee, RIFee, SavingsPlanRecurringFee, and a Fee that buys a
--   reservation: 0 (amortized into the covered usage and the unused rows)
--   unused RI row            reservation/UnusedAmortizedUpfrontFeeForBillingPeriod
--                            + reservation/UnusedRecurringFee
--   unused Savings Plan row  savingsPlan/TotalCommitmentToDate - savingsPlan/UsedCommitment
--   everything else          lineItem/UnblendedCost
--
-- Classification (the same as aws-cur2.sql's; tests/integration/focus_conformance/
-- test_aws_cur_exports_agree.py holds the two to it):
--   * The negotiated discounts (EdpDiscount, PrivateRateDiscount, BundledDiscount, Discount,
--     DistributorDiscount, RiVolumeDiscount) are Credit, Usage-Based: FOCUS 1.2 names "usage
--     discounts" and "negotiated benefits" granted after the fact as Credit; with no unit
--     price, their ListCost and ContractedCost equal BilledCost.
--   * Tax is One-Time (charged once per period on what was used, not on a fixed cadence).
--   * An unused commitment row has ListCost and ContractedCost 0, like its BilledCost: the
--     unused amount is waste, not a saving (EffectiveCost carries it).
--
-- Deliberate choices (see docs):
--   * Legacy CUR has no account names: BillingAccountName/SubAccountName repeat the id.
--   * ProviderName, PublisherName and InvoiceIssuerName are "AWS" (the AWS entity that
--     invoices, e.g. "Amazon Web Services EMEA SARL", is in x_InvoicingEntity); a Marketplace
--     row's PublisherName is its seller (lineItem/LegalEntity).
--   * A line item that starts before its billing period is a correction of an earlier period
--     (ChargeClass "Correction").
--   * A Refund is a negative charge of what it refunds (FOCUS: Usage and Purchase "include
--     refunds"): Purchase when it refunds a Savings Plan or reservation, Usage otherwise;
--     One-Time, with no unit price (ListCost = ContractedCost = BilledCost).
--   * An unknown LineItemType becomes "Adjustment" (FOCUS's category for anything else) and
--     keeps its name in x_LineItemType; nothing is dropped.
--   * ServiceCategory/ServiceSubcategory come from the product code table shared by the AWS
--     mappings (_aws_services.sql); codes not in it are "Other" / "Other (Other)".
--   * Timestamps are parsed as UTC instants whatever the session time zone.
WITH
-- @include _aws_services.sql

-- The raw line item, typed once.
--   Timestamps: CUR writes 2023-11-01T00:00:00Z (or .000Z), and the reader writes Parquet
--   timestamps the same way; the explicit Z makes the cast independent of the session time zone.
--   Amounts: DECIMAL(18, 10) first, DECIMAL(28, 10) only for what does not fit (usage amounts in
--   the billions): DuckDB parses text into an int64-backed decimal over ten times faster than
--   into a 128-bit one, and both are exact. Not (38, 10): Spark rounds the sum of two
--   DECIMAL(38, 10) to 9 decimals to stay within 38 digits; the converter widens every column
--   to the schema's DECIMAL(38, 10) afterwards anyway.
--   Account ids: AWS ids are 12 digits; one that lost its leading zeros on the way (a
--   spreadsheet, an integer column) gets them back.
cur AS (
    SELECT
        src."identity/LineItemId" AS line_item_id,
        src."lineItem/LineItemType" AS line_type,
        src."bill/BillType" AS bill_type,
        src."bill/BillingEntity" AS billing_entity,
        src."bill/InvoicingEntity" AS invoicing_entity,
        src."bill/InvoiceId" AS invoice_id,
        src."lineItem/LegalEntity" AS legal_entity,
        CASE
            WHEN LENGTH(src."bill/PayerAccountId") < 12 THEN LPAD(src."bill/PayerAccountId", 12, '0')
            ELSE src."bill/PayerAccountId"
        END AS payer_account,
        CASE
            WHEN LENGTH(src."lineItem/UsageAccountId") < 12
            THEN LPAD(src."lineItem/UsageAccountId", 12, '0')
            ELSE src."lineItem/UsageAccountId"
        END AS usage_account,
        UPPER(TRIM(src."lineItem/CurrencyCode")) AS currency,
        UPPER(TRIM(src."pricing/currency")) AS pricing_currency,
        TRY_CAST(src."bill/BillingPeriodStartDate" AS TIMESTAMPTZ) AS billing_start,
        TRY_CAST(src."bill/BillingPeriodEndDate" AS TIMESTAMPTZ) AS billing_end,
        TRY_CAST(src."lineItem/UsageStartDate" AS TIMESTAMPTZ) AS usage_start,
        TRY_CAST(src."lineItem/UsageEndDate" AS TIMESTAMPTZ) AS usage_end,
        src."lineItem/ProductCode" AS product_code,
        COALESCE(src."product/ProductName", src."lineItem/ProductCode") AS service_name,
        src."product/productFamily" AS product_family,
        src."lineItem/UsageType" AS usage_type,
        src."lineItem/Operation" AS operation,
        src."lineItem/LineItemDescription" AS description,
        src."lineItem/AvailabilityZone" AS availability_zone,
        COALESCE(src."product/regionCode", src."product/region") AS region_id,
        src."product/location" AS region_name,
        src."lineItem/ResourceId" AS resource_id,
        src."resourceTags/user:Name" AS resource_name,
        src."product/sku" AS sku_id,
        COALESCE(src."pricing/RateCode", src."pricing/RateId") AS sku_price_id,
        src."pricing/term" AS pricing_term,
        -- AWS writes units its own way (Hrs, GB-Mo, Lambda-GB-Second); FOCUS's unit format
        -- wants Hours, GB-Months, Lambda GB-Seconds. Suffix tests, no regex: cheap per row.
        CASE
            WHEN src."pricing/unit" = 'Hrs' THEN 'Hours'
            WHEN src."pricing/unit" = 'Lambda-GB-Second' THEN 'Lambda GB-Seconds'
            WHEN src."pricing/unit" LIKE '%-Mo'
                THEN SUBSTR(src."pricing/unit", 1, LENGTH(src."pricing/unit") - 3) || '-Months'
            WHEN src."pricing/unit" LIKE '%-Hrs'
                THEN SUBSTR(src."pricing/unit", 1, LENGTH(src."pricing/unit") - 4) || '-Hours'
            WHEN src."pricing/unit" LIKE '%-Month' OR src."pricing/unit" LIKE '%-Hour'
                OR src."pricing/unit" LIKE '%-Second' OR src."pricing/unit" LIKE '%-Day'
                OR src."pricing/unit" LIKE '%-Minute'
                THEN src."pricing/unit" || 's'
            ELSE src."pricing/unit"
        END AS pricing_unit,
        src."savingsPlan/SavingsPlanARN" AS savings_plan_arn,
        src."reservation/ReservationARN" AS reservation_arn,
        src."resourceTags" AS tags,
        COALESCE(TRY_CAST(src."lineItem/UnblendedCost" AS DECIMAL(18, 10)), TRY_CAST(src."lineItem/UnblendedCost" AS DECIMAL(28, 10))) AS unblended_cost,
        COALESCE(TRY_CAST(src."lineItem/UnblendedRate" AS DECIMAL(18, 10)), TRY_CAST(src."lineItem/UnblendedRate" AS DECIMAL(28, 10))) AS unblended_rate,
        COALESCE(TRY_CAST(src."lineItem/NetUnblendedCost" AS DECIMAL(18, 10)), TRY_CAST(src."lineItem/NetUnblendedCost" AS DECIMAL(28, 10))) AS net_unblended_cost,
        COALESCE(TRY_CAST(src."lineItem/UsageAmount" AS DECIMAL(18, 10)), TRY_CAST(src."lineItem/UsageAmount" AS DECIMAL(28, 10))) AS usage_amount,
        COALESCE(TRY_CAST(src."pricing/publicOnDemandCost" AS DECIMAL(18, 10)), TRY_CAST(src."pricing/publicOnDemandCost" AS DECIMAL(28, 10))) AS public_cost,
        COALESCE(TRY_CAST(src."pricing/publicOnDemandRate" AS DECIMAL(18, 10)), TRY_CAST(src."pricing/publicOnDemandRate" AS DECIMAL(28, 10))) AS public_rate,
        COALESCE(TRY_CAST(src."reservation/EffectiveCost" AS DECIMAL(18, 10)), TRY_CAST(src."reservation/EffectiveCost" AS DECIMAL(28, 10))) AS ri_effective_cost,
        COALESCE(COALESCE(TRY_CAST(src."reservation/UnusedAmortizedUpfrontFeeForBillingPeriod" AS DECIMAL(18, 10)), TRY_CAST(src."reservation/UnusedAmortizedUpfrontFeeForBillingPeriod" AS DECIMAL(28, 10))), 0)
            + COALESCE(COALESCE(TRY_CAST(src."reservation/UnusedRecurringFee" AS DECIMAL(18, 10)), TRY_CAST(src."reservation/UnusedRecurringFee" AS DECIMAL(28, 10))), 0)
            AS ri_unused_cost,
        COALESCE(TRY_CAST(src."reservation/UnusedQuantity" AS DECIMAL(18, 10)), TRY_CAST(src."reservation/UnusedQuantity" AS DECIMAL(28, 10))) AS ri_unused_quantity,
        COALESCE(TRY_CAST(src."savingsPlan/SavingsPlanEffectiveCost" AS DECIMAL(18, 10)), TRY_CAST(src."savingsPlan/SavingsPlanEffectiveCost" AS DECIMAL(28, 10))) AS sp_effective_cost,
        COALESCE(COALESCE(TRY_CAST(src."savingsPlan/TotalCommitmentToDate" AS DECIMAL(18, 10)), TRY_CAST(src."savingsPlan/TotalCommitmentToDate" AS DECIMAL(28, 10))), 0)
            - COALESCE(COALESCE(TRY_CAST(src."savingsPlan/UsedCommitment" AS DECIMAL(18, 10)), TRY_CAST(src."savingsPlan/UsedCommitment" AS DECIMAL(28, 10))), 0)
            AS sp_unused_cost,
        COALESCE(TRY_CAST(src."savingsPlan/TotalCommitmentToDate" AS DECIMAL(18, 10)), TRY_CAST(src."savingsPlan/TotalCommitmentToDate" AS DECIMAL(28, 10))) AS sp_commitment
    FROM src
),

-- Every line item once ('charge'), and commitment fee lines a second time ('unused') when part
-- of the commitment went unused. A cross join with a two-row table reads the input only once.
row_kinds AS (
    SELECT 'charge' AS kind
    UNION ALL SELECT 'unused' AS kind
),

lines AS (
    SELECT
        cur.*,
        row_kinds.kind,
        CASE
            WHEN cur.line_type IN ('SavingsPlanCoveredUsage', 'SavingsPlanUpfrontFee',
                                   'SavingsPlanRecurringFee')
                THEN cur.savings_plan_arn
            WHEN cur.line_type IN ('DiscountedUsage', 'RIFee') THEN cur.reservation_arn
            WHEN cur.line_type = 'Fee' THEN cur.reservation_arn
        END AS commitment_id,
        CASE
            WHEN row_kinds.kind = 'unused' THEN 'Usage'
            WHEN cur.line_type IN ('Usage', 'DiscountedUsage', 'SavingsPlanCoveredUsage')
                THEN 'Usage'
            WHEN cur.line_type IN ('Fee', 'RIFee', 'SavingsPlanUpfrontFee',
                                   'SavingsPlanRecurringFee') THEN 'Purchase'
            WHEN cur.line_type = 'Tax' THEN 'Tax'
            WHEN cur.line_type IN ('Credit', 'EdpDiscount', 'PrivateRateDiscount',
                                   'BundledDiscount', 'Discount', 'DistributorDiscount',
                                   'RiVolumeDiscount') THEN 'Credit'
            WHEN cur.line_type = 'Refund'
                 AND (cur.savings_plan_arn IS NOT NULL OR cur.reservation_arn IS NOT NULL
                      OR cur.product_code LIKE '%SavingsPlans') THEN 'Purchase'
            WHEN cur.line_type = 'Refund' THEN 'Usage'
            ELSE 'Adjustment'
        END AS category,
        CASE
            WHEN row_kinds.kind = 'unused' THEN 0
            WHEN cur.line_type IN ('Tax', 'Credit', 'EdpDiscount', 'PrivateRateDiscount',
                                   'BundledDiscount', 'Discount', 'DistributorDiscount',
                                   'RiVolumeDiscount') THEN NULL
            ELSE cur.usage_amount
        END AS quantity
    FROM cur
    CROSS JOIN row_kinds
    WHERE (row_kinds.kind = 'charge'
            AND COALESCE(cur.line_type, '') <> 'SavingsPlanNegation')
        OR (cur.line_type = 'RIFee' AND cur.ri_unused_cost > 0)
        OR (cur.line_type = 'SavingsPlanRecurringFee' AND cur.sp_unused_cost > 0)
),

focus AS (
    SELECT
        lines.*,
        CASE
            WHEN lines.kind = 'unused' THEN 0
            WHEN lines.line_type = 'SavingsPlanCoveredUsage' THEN 0
            ELSE lines.unblended_cost
        END AS billed_cost,
        CASE
            WHEN lines.kind = 'unused' AND lines.line_type = 'RIFee' THEN lines.ri_unused_cost
            WHEN lines.kind = 'unused' THEN lines.sp_unused_cost
            WHEN lines.line_type = 'DiscountedUsage'
                THEN COALESCE(lines.ri_effective_cost, lines.unblended_cost)
            WHEN lines.line_type = 'SavingsPlanCoveredUsage'
                THEN COALESCE(lines.sp_effective_cost, lines.unblended_cost)
            WHEN lines.line_type IN ('SavingsPlanUpfrontFee', 'SavingsPlanRecurringFee', 'RIFee')
                THEN 0
            WHEN lines.line_type = 'Fee' AND lines.reservation_arn IS NOT NULL THEN 0
            ELSE lines.unblended_cost
        END AS effective_cost,
        -- List and contracted prices exist for usage and purchases. The unused rows buy
        -- nothing at a price: 0. Taxes, credits (discounts too), refunds and adjustments have
        -- no unit price; their cost columns equal BilledCost, as FOCUS asks.
        CASE
            WHEN lines.kind = 'unused' THEN 0
            WHEN lines.category IN ('Tax', 'Credit', 'Adjustment') OR lines.line_type = 'Refund'
                THEN NULL
            ELSE lines.public_rate
        END AS list_unit_price,
        CASE
            WHEN lines.kind = 'unused' THEN 0
            WHEN lines.category IN ('Tax', 'Credit', 'Adjustment') OR lines.line_type = 'Refund'
                THEN lines.unblended_cost
            ELSE COALESCE(lines.public_cost, lines.unblended_cost)
        END AS list_cost,
        CASE
            WHEN lines.kind = 'unused' THEN 0
            WHEN lines.line_type = 'DiscountedUsage' THEN lines.public_rate
            WHEN lines.line_type = 'Refund' THEN NULL
            WHEN lines.category IN ('Tax', 'Credit', 'Adjustment') THEN NULL
            ELSE lines.unblended_rate
        END AS contracted_unit_price,
        CASE
            WHEN lines.kind = 'unused' THEN 0
            WHEN lines.line_type = 'DiscountedUsage' THEN COALESCE(lines.public_cost, 0)
            ELSE lines.unblended_cost
        END AS contracted_cost,
        CASE
            WHEN lines.commitment_id IS NULL THEN NULL
            WHEN lines.kind = 'unused' THEN 'Unused'
            WHEN lines.category = 'Usage' AND lines.line_type <> 'Refund' THEN 'Used'
        END AS commitment_status,
        CASE
            WHEN lines.usage_start < lines.billing_start THEN 'Correction'
        END AS charge_class
    FROM lines
)

SELECT
    focus.availability_zone AS AvailabilityZone,
    focus.billed_cost AS BilledCost,
    focus.payer_account AS BillingAccountId,
    focus.payer_account AS BillingAccountName,
    CASE WHEN focus.payer_account IS NOT NULL THEN 'Payer Account' END AS BillingAccountType,
    focus.currency AS BillingCurrency,
    focus.billing_end AS BillingPeriodEnd,
    focus.billing_start AS BillingPeriodStart,
    CAST(NULL AS VARCHAR) AS CapacityReservationId,
    CAST(NULL AS VARCHAR) AS CapacityReservationStatus,
    focus.category AS ChargeCategory,
    focus.charge_class AS ChargeClass,
    CASE
        WHEN focus.kind = 'unused' THEN 'Unused commitment: ' || COALESCE(focus.description, focus.commitment_id)
        ELSE focus.description
    END AS ChargeDescription,
    CASE
        WHEN focus.kind = 'unused' THEN 'Usage-Based'
        WHEN focus.line_type IN ('Fee', 'SavingsPlanUpfrontFee') THEN 'One-Time'
        WHEN focus.line_type IN ('RIFee', 'SavingsPlanRecurringFee') THEN 'Recurring'
        WHEN focus.line_type IN ('Tax', 'Credit', 'Refund') THEN 'One-Time'
        WHEN focus.category = 'Purchase' THEN 'One-Time'
        WHEN focus.category = 'Adjustment' THEN 'One-Time'
        ELSE 'Usage-Based'
    END AS ChargeFrequency,
    -- A one-off charge stamped with a single instant gets the hour it falls in, so the charge
    -- period is never empty (start inclusive, end exclusive).
    CASE
        WHEN focus.usage_end > focus.usage_start THEN focus.usage_end
        ELSE focus.usage_start + INTERVAL '1' HOUR
    END AS ChargePeriodEnd,
    focus.usage_start AS ChargePeriodStart,
    CASE
        WHEN focus.commitment_id IS NULL THEN NULL
        WHEN focus.savings_plan_arn IS NOT NULL THEN 'Spend'
        ELSE 'Usage'
    END AS CommitmentDiscountCategory,
    focus.commitment_id AS CommitmentDiscountId,
    CAST(NULL AS VARCHAR) AS CommitmentDiscountName,
    -- Spend-based (Savings Plans): dollars of commitment; usage-based (RIs): the line's usage.
    CAST(CASE
        WHEN focus.commitment_id IS NULL OR focus.charge_class = 'Correction' THEN NULL
        WHEN focus.category NOT IN ('Usage', 'Purchase') OR focus.line_type = 'Refund' THEN NULL
        WHEN focus.kind = 'unused' AND focus.line_type = 'RIFee' THEN focus.ri_unused_quantity
        WHEN focus.kind = 'unused' THEN focus.sp_unused_cost
        WHEN focus.line_type = 'SavingsPlanCoveredUsage' THEN focus.sp_effective_cost
        WHEN focus.line_type = 'SavingsPlanRecurringFee' THEN focus.sp_commitment
        WHEN focus.line_type = 'SavingsPlanUpfrontFee' THEN focus.unblended_cost
        ELSE focus.usage_amount
    END AS DECIMAL(28, 10)) AS CommitmentDiscountQuantity,
    focus.commitment_status AS CommitmentDiscountStatus,
    CASE
        WHEN focus.commitment_id IS NULL THEN NULL
        WHEN focus.savings_plan_arn IS NOT NULL THEN 'Savings Plan'
        ELSE 'Reserved Instance'
    END AS CommitmentDiscountType,
    CASE
        WHEN focus.commitment_id IS NULL OR focus.charge_class = 'Correction' THEN NULL
        WHEN focus.category NOT IN ('Usage', 'Purchase') OR focus.line_type = 'Refund' THEN NULL
        WHEN focus.savings_plan_arn IS NOT NULL THEN focus.currency
        ELSE COALESCE(focus.pricing_unit, 'Hours')
    END AS CommitmentDiscountUnit,
    CASE
        WHEN focus.category <> 'Usage' OR focus.kind = 'unused' THEN NULL
        ELSE COALESCE(focus.quantity, 0)
    END AS ConsumedQuantity,
    CASE
        WHEN focus.category <> 'Usage' OR focus.kind = 'unused' THEN NULL
        ELSE COALESCE(focus.pricing_unit, 'Units')
    END AS ConsumedUnit,
    focus.contracted_cost AS ContractedCost,
    focus.contracted_unit_price AS ContractedUnitPrice,
    focus.effective_cost AS EffectiveCost,
    focus.invoice_id AS InvoiceId,
    'AWS' AS InvoiceIssuerName,
    focus.list_cost AS ListCost,
    focus.list_unit_price AS ListUnitPrice,
    CASE
        WHEN focus.category NOT IN ('Usage', 'Purchase') THEN NULL
        WHEN focus.category = 'Purchase' THEN 'Standard'
        WHEN focus.commitment_id IS NOT NULL THEN 'Committed'
        WHEN focus.pricing_term = 'Spot' OR focus.usage_type LIKE '%SpotUsage%' THEN 'Dynamic'
        ELSE 'Standard'
    END AS PricingCategory,
    COALESCE(focus.pricing_currency, focus.currency) AS PricingCurrency,
    CASE
        WHEN COALESCE(focus.pricing_currency, focus.currency) = focus.currency
        THEN focus.contracted_unit_price
    END AS PricingCurrencyContractedUnitPrice,
    CASE
        WHEN COALESCE(focus.pricing_currency, focus.currency) = focus.currency
        THEN focus.effective_cost
    END AS PricingCurrencyEffectiveCost,
    CASE
        WHEN COALESCE(focus.pricing_currency, focus.currency) = focus.currency
        THEN focus.list_unit_price
    END AS PricingCurrencyListUnitPrice,
    focus.quantity AS PricingQuantity,
    CASE
        WHEN focus.quantity IS NULL THEN NULL
        WHEN focus.kind = 'unused' AND focus.line_type = 'SavingsPlanRecurringFee' THEN focus.currency
        ELSE COALESCE(focus.pricing_unit, 'Units')
    END AS PricingUnit,
    'AWS' AS ProviderName,
    CASE
        WHEN focus.billing_entity = 'AWS Marketplace' THEN COALESCE(focus.legal_entity, 'AWS')
        ELSE 'AWS'
    END AS PublisherName,
    focus.region_id AS RegionId,
    CASE
        WHEN focus.region_id IS NOT NULL THEN COALESCE(focus.region_name, focus.region_id)
    END AS RegionName,
    focus.resource_id AS ResourceId,
    CASE WHEN focus.resource_id IS NOT NULL THEN focus.resource_name END AS ResourceName,
    CASE
        WHEN focus.resource_id IS NOT NULL THEN COALESCE(focus.product_family, focus.service_name)
    END AS ResourceType,
    COALESCE(aws_services.aws_category, 'Other') AS ServiceCategory,
    focus.service_name AS ServiceName,
    COALESCE(aws_services.aws_subcategory, 'Other (Other)') AS ServiceSubcategory,
    CASE WHEN focus.category <> 'Tax' THEN focus.sku_id END AS SkuId,
    CASE WHEN focus.category <> 'Tax' AND focus.sku_id IS NOT NULL THEN focus.usage_type END AS SkuMeter,
    CAST(NULL AS VARCHAR) AS SkuPriceDetails,
    CASE WHEN focus.category <> 'Tax' THEN focus.sku_price_id END AS SkuPriceId,
    focus.usage_account AS SubAccountId,
    focus.usage_account AS SubAccountName,
    CASE WHEN focus.usage_account IS NOT NULL THEN 'Linked Account' END AS SubAccountType,
    focus.tags AS Tags,
    focus.bill_type AS x_BillType,
    focus.invoicing_entity AS x_InvoicingEntity,
    focus.line_item_id AS x_LineItemId,
    focus.line_type AS x_LineItemType,
    focus.net_unblended_cost AS x_NetUnblendedCost,
    focus.operation AS x_Operation,
    focus.kind AS x_RowKind,
    focus.product_code AS x_ServiceCode,
    focus.usage_type AS x_UsageType
FROM focus
LEFT JOIN aws_services
    ON aws_services.aws_code = LOWER(focus.product_code)
