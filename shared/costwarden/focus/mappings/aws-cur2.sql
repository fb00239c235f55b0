-- AWS Data Exports CUR 2.0 (snake_case columns; Parquet or gzip CSV) -> FOCUS 1.2 Cost and Usage.
--
-- Input: the relation `src`, every raw column AS VARCHAR (nulls NULL). The map columns
-- `resource_tags`, `product`, `cost_category` and `discount` arrive as JSON object text (the CSV
-- flavour writes them so; the reader turns Parquet MAPs into JSON). Columns an export left out
-- must exist as NULL (the reader adds the columns this mapping references).
--
-- Rows: one FOCUS row per CUR line item, plus one "unused commitment" Usage row for every RIFee
-- and SavingsPlanRecurringFee line whose commitment was not fully used (CTE `rows_out`), the way
-- FOCUS separates a commitment's purchase from its unused part; SavingsPlanNegation lines are
-- left out: each only cancels its SavingsPlanCoveredUsage line's on-demand cost on the invoice,
-- and FOCUS bills that covered usage at 0 instead.
-- Costs (amortization as AWS's own formulas / the CID dashboards compute it):
--   BilledCost    = line_item_unblended_cost, except SavingsPlanCoveredUsage (0: the plan is
--                   billed by its fee lines) and the synthetic unused rows (0).
--                   => SUM(BilledCost) = SUM(line_item_unblended_cost), the invoice basis
--                   (covered usage + its negation net to 0 in CUR).
--   EffectiveCost = reservation_effective_cost (DiscountedUsage),
--                   savings_plan_savings_plan_effective_cost (SavingsPlanCoveredUsage),
--                   0 for commitment fees (RIFee, SavingsPlanRecurringFee, SavingsPlanUpfrontFee,
--                   the RI upfront Fee),
--                   the unused amount on the synthetic unused rows
--                   (reservation_unused_amortized_upfront_fee_for_billing_period +
--                   reservation_unused_recurring_fee; savings_plan_total_commitment_to_date -
--                   savings_plan_used_commitment), otherwise the unblended cost.
-- Charge categories (the same as aws-cur-legacy.sql's; tests/integration/focus_conformance/
-- test_aws_cur_exports_agree.py holds the two to it): Usage/DiscountedUsage/
-- SavingsPlanCoveredUsage -> Usage; Fee/RIFee/SavingsPlanUpfrontFee/SavingsPlanRecurringFee ->
-- Purchase; Tax -> Tax (One-Time); Credit and the negotiated discounts (EdpDiscount,
-- PrivateRateDiscount, BundledDiscount, Discount, DistributorDiscount, RiVolumeDiscount: FOCUS
-- 1.2 names "usage discounts" and "negotiated benefits" granted after the fact as Credit) ->
-- Credit; a Refund is a negative charge of what it refunds (FOCUS: Usage and Purchase "include
-- refunds"): Purchase when it refunds a Savings Plan or reservation, else Usage, One-Time,
-- without unit prices; anything new -> Adjustment.
-- An unused commitment row has ListCost and ContractedCost 0, like its BilledCost: the unused
-- amount is waste, not a saving (EffectiveCost carries it).
-- Units: CUR's abbreviations are spelled out in FOCUS Unit Format (Hrs -> Hours, GB-Mo ->
-- GB-Months).
-- Tags: resource_tags keys come normalized (`user_team`, `aws_created_by`): user tags lose the
-- `user_`/`user:` prefix, AWS tags keep theirs as `aws:` (`aws:created_by`).
WITH
-- @include _aws_services.sql
n AS (
    SELECT
        -- An integer Parquet column loses an id's leading zeros: AWS ids are 12 digits.
        CASE
            WHEN LENGTH(src."bill_payer_account_id") < 12 THEN LPAD(src."bill_payer_account_id", 12, '0')
            ELSE src."bill_payer_account_id"
        END AS payer_account_id,
        src."bill_payer_account_name" AS payer_account_name,
        src."bill_billing_period_start_date" AS bp_start_raw,
        src."bill_billing_period_end_date" AS bp_end_raw,
        src."bill_invoice_id" AS invoice_id,
        src."bill_invoicing_entity" AS invoicing_entity,
        src."bill_billing_entity" AS billing_entity,
        -- An integer Parquet column loses an id's leading zeros: AWS ids are 12 digits.
        CASE
            WHEN LENGTH(src."line_item_usage_account_id") < 12 THEN LPAD(src."line_item_usage_account_id", 12, '0')
            ELSE src."line_item_usage_account_id"
        END AS usage_account_id,
        src."line_item_usage_account_name" AS usage_account_name,
        src."line_item_line_item_type" AS line_item_type,
        src."line_item_usage_start_date" AS usage_start_raw,
        src."line_item_usage_end_date" AS usage_end_raw,
        src."line_item_product_code" AS product_code,
        src."line_item_usage_type" AS usage_type,
        src."line_item_operation" AS operation,
        src."line_item_line_item_description" AS description,
        src."line_item_resource_id" AS resource_id,
        src."line_item_availability_zone" AS availability_zone,
        src."line_item_legal_entity" AS legal_entity,
        UPPER(TRIM(src."line_item_currency_code")) AS currency,
        UPPER(TRIM(src."pricing_currency")) AS pricing_currency,
        -- Units in FOCUS Unit Format: CUR's "Hrs", "GB-Mo", "LCU-Hrs" become "Hours",
        -- "GB-Months", "LCU-Hours"; units already in the format pass unchanged.
        CASE
            WHEN src."pricing_unit" IN ('Hrs', 'Hr', 'hrs', 'hours') THEN 'Hours'
            WHEN src."pricing_unit" LIKE '%-Hrs' THEN SUBSTRING(src."pricing_unit", 1, LENGTH(src."pricing_unit") - 4) || '-Hours'
            WHEN src."pricing_unit" LIKE '%-Hr' THEN SUBSTRING(src."pricing_unit", 1, LENGTH(src."pricing_unit") - 3) || '-Hours'
            WHEN src."pricing_unit" LIKE '%-Mo' THEN SUBSTRING(src."pricing_unit", 1, LENGTH(src."pricing_unit") - 3) || '-Months'
            WHEN src."pricing_unit" LIKE '%-Month' THEN SUBSTRING(src."pricing_unit", 1, LENGTH(src."pricing_unit") - 6) || '-Months'
            WHEN src."pricing_unit" LIKE '%-Day' THEN SUBSTRING(src."pricing_unit", 1, LENGTH(src."pricing_unit") - 4) || '-Days'
            WHEN src."pricing_unit" LIKE '%-Second' THEN SUBSTRING(src."pricing_unit", 1, LENGTH(src."pricing_unit") - 7) || '-Seconds'
            ELSE src."pricing_unit"
        END AS pricing_unit,
        src."pricing_term" AS pricing_term,
        src."pricing_rate_code" AS pricing_rate_code,
        src."pricing_rate_id" AS pricing_rate_id,
        src."product_sku" AS product_sku,
        src."product_servicecode" AS servicecode,
        src."product_product_family" AS product_family,
        src."product_region_code" AS region_code,
        src."product_location" AS product_location,
        src."product" AS product_json,
        src."resource_tags" AS tags_json,
        src."cost_category" AS cost_category_json,
        src."discount" AS discount_json,
        src."reservation_reservation_a_r_n" AS reservation_arn,
        src."savings_plan_savings_plan_a_r_n" AS savings_plan_arn,
        src."capacity_reservation_capacity_reservation_a_r_n" AS capacity_reservation_arn,
        src."capacity_reservation_capacity_reservation_status" AS capacity_reservation_status,
        TRY_CAST(src."line_item_unblended_cost" AS DECIMAL(28, 10)) AS unblended_cost,
        TRY_CAST(src."line_item_unblended_rate" AS DECIMAL(28, 10)) AS unblended_rate,
        TRY_CAST(src."line_item_usage_amount" AS DECIMAL(28, 10)) AS usage_amount,
        TRY_CAST(src."pricing_public_on_demand_rate" AS DECIMAL(28, 10)) AS public_rate,
        TRY_CAST(src."pricing_public_on_demand_cost" AS DECIMAL(28, 10)) AS public_cost,
        TRY_CAST(src."reservation_effective_cost" AS DECIMAL(28, 10)) AS ri_effective_cost,
        TRY_CAST(src."reservation_unused_amortized_upfront_fee_for_billing_period" AS DECIMAL(28, 10))
            AS ri_unused_upfront,
        TRY_CAST(src."reservation_unused_recurring_fee" AS DECIMAL(28, 10)) AS ri_unused_recurring,
        TRY_CAST(src."reservation_unused_quantity" AS DECIMAL(28, 10)) AS ri_unused_quantity,
        TRY_CAST(src."savings_plan_savings_plan_effective_cost" AS DECIMAL(28, 10))
            AS sp_effective_cost,
        TRY_CAST(src."savings_plan_total_commitment_to_date" AS DECIMAL(28, 10))
            AS sp_total_commitment,
        TRY_CAST(src."savings_plan_used_commitment" AS DECIMAL(28, 10)) AS sp_used_commitment
    FROM src
),

-- Timestamps: ISO with Z (CSV), "YYYY-MM-DD HH:MM:SS[.fff]" without zone (Parquet read without a
-- time zone; AWS writes UTC) or with an offset. A value without a zone is UTC, whatever the
-- session's time zone.
t AS (
    SELECT
        n.*,
        CASE
            WHEN line_item_type IN ('Usage', 'DiscountedUsage', 'SavingsPlanCoveredUsage') THEN 'Usage'
            WHEN line_item_type IN ('Fee', 'RIFee', 'SavingsPlanUpfrontFee', 'SavingsPlanRecurringFee')
                THEN 'Purchase'
            WHEN line_item_type = 'Tax' THEN 'Tax'
            WHEN line_item_type = 'Refund'
                AND (
                    NULLIF(savings_plan_arn, '') IS NOT NULL
                    OR NULLIF(reservation_arn, '') IS NOT NULL
                    OR product_code LIKE '%SavingsPlans'
                ) THEN 'Purchase'
            WHEN line_item_type = 'Refund' THEN 'Usage'
            WHEN line_item_type IN (
                'Credit', 'EdpDiscount', 'PrivateRateDiscount', 'BundledDiscount',
                'Discount', 'DistributorDiscount', 'RiVolumeDiscount'
            ) THEN 'Credit'
            ELSE 'Adjustment'
        END AS category,
        CASE
            WHEN NULLIF(savings_plan_arn, '') IS NOT NULL
                AND line_item_type IN (
                    'SavingsPlanCoveredUsage', 'SavingsPlanUpfrontFee',
                    'SavingsPlanRecurringFee'
                )
                THEN savings_plan_arn
            WHEN NULLIF(reservation_arn, '') IS NOT NULL
                AND line_item_type IN ('DiscountedUsage', 'RIFee', 'Fee')
                THEN reservation_arn
        END AS commitment_id,
        CASE WHEN bp_start_raw LIKE '%Z' THEN TRY_CAST(bp_start_raw AS TIMESTAMPTZ) ELSE TRY_CAST(
            CASE
                WHEN REGEXP_MATCHES(TRIM(bp_start_raw), '^[0-9]{4}-[0-9]{2}-[0-9]{2}$')
                    THEN TRIM(bp_start_raw) || 'T00:00:00Z'
                WHEN REGEXP_MATCHES(TRIM(bp_start_raw), '(Z|UTC|[+-][0-9]{2}(:?[0-9]{2})?)$')
                    THEN TRIM(bp_start_raw)
                ELSE TRIM(bp_start_raw) || 'Z'
            END AS TIMESTAMPTZ
        ) END AS bp_start,
        CASE WHEN bp_end_raw LIKE '%Z' THEN TRY_CAST(bp_end_raw AS TIMESTAMPTZ) ELSE TRY_CAST(
            CASE
                WHEN REGEXP_MATCHES(TRIM(bp_end_raw), '^[0-9]{4}-[0-9]{2}-[0-9]{2}$')
                    THEN TRIM(bp_end_raw) || 'T00:00:00Z'
                WHEN REGEXP_MATCHES(TRIM(bp_end_raw), '(Z|UTC|[+-][0-9]{2}(:?[0-9]{2})?)$')
                    THEN TRIM(bp_end_raw)
                ELSE TRIM(bp_end_raw) || 'Z'
            END AS TIMESTAMPTZ
        ) END AS bp_end,
        CASE WHEN usage_start_raw LIKE '%Z' THEN TRY_CAST(usage_start_raw AS TIMESTAMPTZ) ELSE TRY_CAST(
            CASE
                WHEN REGEXP_MATCHES(TRIM(usage_start_raw), '^[0-9]{4}-[0-9]{2}-[0-9]{2}$')
                    THEN TRIM(usage_start_raw) || 'T00:00:00Z'
                WHEN REGEXP_MATCHES(TRIM(usage_start_raw), '(Z|UTC|[+-][0-9]{2}(:?[0-9]{2})?)$')
                    THEN TRIM(usage_start_raw)
                ELSE TRIM(usage_start_raw) || 'Z'
            END AS TIMESTAMPTZ
        ) END AS usage_start,
        CASE WHEN usage_end_raw LIKE '%Z' THEN TRY_CAST(usage_end_raw AS TIMESTAMPTZ) ELSE TRY_CAST(
            CASE
                WHEN REGEXP_MATCHES(TRIM(usage_end_raw), '^[0-9]{4}-[0-9]{2}-[0-9]{2}$')
                    THEN TRIM(usage_end_raw) || 'T00:00:00Z'
                WHEN REGEXP_MATCHES(TRIM(usage_end_raw), '(Z|UTC|[+-][0-9]{2}(:?[0-9]{2})?)$')
                    THEN TRIM(usage_end_raw)
                ELSE TRIM(usage_end_raw) || 'Z'
            END AS TIMESTAMPTZ
        ) END AS usage_end,
        CASE
            WHEN line_item_type = 'RIFee'
                THEN COALESCE(ri_unused_upfront, 0) + COALESCE(ri_unused_recurring, 0)
            WHEN line_item_type = 'SavingsPlanRecurringFee'
                THEN COALESCE(sp_total_commitment, 0) - COALESCE(sp_used_commitment, 0)
            ELSE 0
        END AS unused_amount
    FROM n
),

-- One row per line item ('line'), plus the unused part of each commitment fee ('unused').
-- A join with a two-row list rather than a UNION of two scans: every CTE is read once, so the
-- engine streams the export instead of materializing it.
rows_out AS (
    SELECT t.*, k.row_kind
    FROM t
    CROSS JOIN (VALUES ('line'), ('unused')) AS k(row_kind)
    WHERE (k.row_kind = 'line' AND COALESCE(t.line_item_type, '') <> 'SavingsPlanNegation')
        OR (
            k.row_kind = 'unused'
            AND t.line_item_type IN ('RIFee', 'SavingsPlanRecurringFee')
            AND t.unused_amount <> 0
        )
),

c AS (
    SELECT
        rows_out.*,
        CASE WHEN row_kind = 'unused' THEN 'Usage' ELSE category END AS charge_category,
        CASE
            WHEN row_kind = 'unused' THEN CAST(0 AS DECIMAL(38, 10))
            WHEN line_item_type = 'SavingsPlanCoveredUsage' THEN CAST(0 AS DECIMAL(38, 10))
            ELSE unblended_cost
        END AS billed_cost,
        CASE
            WHEN row_kind = 'unused' THEN unused_amount
            WHEN line_item_type = 'DiscountedUsage' THEN COALESCE(ri_effective_cost, 0)
            WHEN line_item_type = 'SavingsPlanCoveredUsage' THEN COALESCE(sp_effective_cost, 0)
            WHEN line_item_type IN (
                'RIFee', 'SavingsPlanRecurringFee', 'SavingsPlanUpfrontFee'
            ) THEN CAST(0 AS DECIMAL(38, 10))
            WHEN line_item_type = 'Fee' AND NULLIF(reservation_arn, '') IS NOT NULL
                THEN CAST(0 AS DECIMAL(38, 10))
            ELSE unblended_cost
        END AS effective_cost,
        -- A purchase's own rate is its list price when AWS gives no public on-demand rate.
        CASE
            WHEN line_item_type = 'Refund' THEN NULL
            WHEN row_kind = 'line' AND category = 'Usage' THEN public_rate
            WHEN row_kind = 'line' AND category = 'Purchase' THEN COALESCE(public_rate, unblended_rate)
        END AS list_unit_price,
        -- Negotiated price before commitment discounts: a covered line's own rate is the
        -- commitment's, so the public rate stands in for it there.
        CASE
            WHEN row_kind = 'unused' OR category NOT IN ('Usage', 'Purchase')
                OR line_item_type = 'Refund' THEN NULL
            WHEN line_item_type IN ('DiscountedUsage', 'SavingsPlanCoveredUsage')
                THEN public_rate
            ELSE unblended_rate
        END AS contracted_unit_price,
        -- ServiceCategory and ServiceSubcategory by product code (_aws_services.sql, shared with
        -- the other AWS mappings) and by nothing else: FOCUS allows one category per
        -- ServiceName, so EC2's volumes and data transfer stay under Compute (x_UsageType tells
        -- them apart, and ResourceType a resource's product family).
        COALESCE(services.aws_category, 'Other') AS service_category,
        COALESCE(services.aws_subcategory, 'Other (Other)') AS service_subcategory,
        -- Unused commitment: reservation hours, or the unused savings plan amount (in money).
        CASE
            WHEN row_kind = 'unused' AND line_item_type = 'RIFee' THEN COALESCE(ri_unused_quantity, unused_amount)
            WHEN row_kind = 'unused' THEN unused_amount
            WHEN category IN ('Usage', 'Purchase') THEN usage_amount
        END AS pricing_quantity,
        CASE
            WHEN row_kind = 'unused' AND line_item_type = 'RIFee' AND ri_unused_quantity IS NOT NULL
                THEN COALESCE(pricing_unit, 'Hours')
            WHEN row_kind = 'unused' THEN currency
            ELSE pricing_unit
        END AS pricing_unit_out
    FROM rows_out
    -- A lookup join, not a long CASE: one hash probe per row whatever the list's length.
    LEFT JOIN aws_services AS services ON services.aws_code = LOWER(rows_out.product_code)
)

SELECT
    CAST(NULLIF(TRIM(availability_zone), '') AS VARCHAR) AS "AvailabilityZone",
    CAST(billed_cost AS DECIMAL(38, 10)) AS "BilledCost",
    CAST(payer_account_id AS VARCHAR) AS "BillingAccountId",
    CAST(payer_account_name AS VARCHAR) AS "BillingAccountName",
    CAST('Billing Account' AS VARCHAR) AS "BillingAccountType",
    CAST(currency AS VARCHAR) AS "BillingCurrency",
    CAST(bp_end AS TIMESTAMPTZ) AS "BillingPeriodEnd",
    CAST(bp_start AS TIMESTAMPTZ) AS "BillingPeriodStart",
    CAST(CASE WHEN row_kind = 'line' THEN NULLIF(capacity_reservation_arn, '') END AS VARCHAR)
        AS "CapacityReservationId",
    CAST(
        CASE
            WHEN row_kind = 'line' AND NULLIF(capacity_reservation_arn, '') IS NOT NULL
                THEN CASE
                    WHEN LOWER(capacity_reservation_status) LIKE 'unused%' THEN 'Unused'
                    WHEN LOWER(capacity_reservation_status) LIKE 'used%' THEN 'Used'
                END
        END AS VARCHAR
    ) AS "CapacityReservationStatus",
    CAST(charge_category AS VARCHAR) AS "ChargeCategory",
    CAST(NULL AS VARCHAR) AS "ChargeClass",
    CAST(
        CASE
            WHEN row_kind = 'unused' THEN 'Unused commitment: ' || COALESCE(description, line_item_type)
            ELSE description
        END AS VARCHAR
    ) AS "ChargeDescription",
    CAST(
        CASE
            WHEN row_kind = 'unused' THEN 'Usage-Based'
            WHEN line_item_type IN ('RIFee', 'SavingsPlanRecurringFee') THEN 'Recurring'
            WHEN line_item_type = 'Refund' THEN 'One-Time'
            WHEN category = 'Usage' THEN 'Usage-Based'
            WHEN line_item_type IN (
                'EdpDiscount', 'PrivateRateDiscount', 'BundledDiscount', 'Discount',
                'DistributorDiscount', 'RiVolumeDiscount'
            ) THEN 'Usage-Based'
            ELSE 'One-Time'
        END AS VARCHAR
    ) AS "ChargeFrequency",
    CAST(usage_end AS TIMESTAMPTZ) AS "ChargePeriodEnd",
    CAST(usage_start AS TIMESTAMPTZ) AS "ChargePeriodStart",
    CAST(
        CASE
            WHEN commitment_id IS NULL THEN NULL
            WHEN commitment_id = savings_plan_arn THEN 'Spend'
            ELSE 'Usage'
        END AS VARCHAR
    ) AS "CommitmentDiscountCategory",
    CAST(commitment_id AS VARCHAR) AS "CommitmentDiscountId",
    -- The ARN's last part (the reservation or plan id) is the only name CUR carries.
    CAST(REGEXP_EXTRACT(commitment_id, '/([^/]+)$', 1) AS VARCHAR) AS "CommitmentDiscountName",
    CAST(CASE WHEN row_kind = 'unused' THEN pricing_quantity END AS DECIMAL(38, 10))
        AS "CommitmentDiscountQuantity",
    CAST(
        CASE
            WHEN commitment_id IS NULL OR charge_category <> 'Usage' THEN NULL
            WHEN row_kind = 'unused' THEN 'Unused'
            WHEN line_item_type IN ('DiscountedUsage', 'SavingsPlanCoveredUsage') THEN 'Used'
        END AS VARCHAR
    ) AS "CommitmentDiscountStatus",
    CAST(
        CASE
            WHEN commitment_id IS NULL THEN NULL
            WHEN commitment_id = savings_plan_arn THEN 'Savings Plan'
            ELSE 'Reserved Instance'
        END AS VARCHAR
    ) AS "CommitmentDiscountType",
    CAST(CASE WHEN row_kind = 'unused' THEN pricing_unit_out END AS VARCHAR) AS "CommitmentDiscountUnit",
    CAST(
        CASE
            WHEN row_kind = 'line' AND charge_category = 'Usage' THEN usage_amount
        END AS DECIMAL(38, 10)
    ) AS "ConsumedQuantity",
    CAST(
        CASE
            WHEN row_kind = 'line' AND charge_category = 'Usage' THEN pricing_unit
        END AS VARCHAR
    ) AS "ConsumedUnit",
    CAST(
        CASE
            WHEN contracted_unit_price IS NOT NULL AND pricing_quantity IS NOT NULL
                THEN ROUND(contracted_unit_price * pricing_quantity, 10)
            WHEN list_unit_price IS NOT NULL AND pricing_quantity IS NOT NULL
                THEN ROUND(list_unit_price * pricing_quantity, 10)
            WHEN row_kind = 'unused' THEN CAST(0 AS DECIMAL(38, 10))
            ELSE billed_cost
        END AS DECIMAL(38, 10)
    ) AS "ContractedCost",
    CAST(contracted_unit_price AS DECIMAL(38, 10)) AS "ContractedUnitPrice",
    CAST(effective_cost AS DECIMAL(38, 10)) AS "EffectiveCost",
    CAST(NULLIF(invoice_id, '') AS VARCHAR) AS "InvoiceId",
    CAST('AWS' AS VARCHAR) AS "InvoiceIssuerName",
    CAST(
        CASE
            WHEN list_unit_price IS NOT NULL AND pricing_quantity IS NOT NULL
                THEN ROUND(list_unit_price * pricing_quantity, 10)
            WHEN row_kind = 'unused' THEN CAST(0 AS DECIMAL(38, 10))
            WHEN line_item_type = 'Refund' THEN billed_cost
            WHEN charge_category IN ('Usage', 'Purchase') THEN COALESCE(public_cost, billed_cost)
            ELSE billed_cost
        END AS DECIMAL(38, 10)
    ) AS "ListCost",
    CAST(list_unit_price AS DECIMAL(38, 10)) AS "ListUnitPrice",
    CAST(
        CASE
            WHEN charge_category NOT IN ('Usage', 'Purchase') THEN NULL
            WHEN row_kind = 'unused' THEN 'Committed'
            WHEN line_item_type IN ('DiscountedUsage', 'SavingsPlanCoveredUsage') THEN 'Committed'
            WHEN LOWER(COALESCE(pricing_term, '')) = 'spot'
                OR LOWER(COALESCE(usage_type, '')) LIKE '%spotusage%'
                THEN 'Dynamic'
            ELSE 'Standard'
        END AS VARCHAR
    ) AS "PricingCategory",
    CAST(COALESCE(NULLIF(pricing_currency, ''), currency) AS VARCHAR) AS "PricingCurrency",
    CAST(
        CASE WHEN COALESCE(NULLIF(pricing_currency, ''), currency) = currency THEN contracted_unit_price END
        AS DECIMAL(38, 10)
    ) AS "PricingCurrencyContractedUnitPrice",
    CAST(
        CASE WHEN COALESCE(NULLIF(pricing_currency, ''), currency) = currency THEN effective_cost END
        AS DECIMAL(38, 10)
    ) AS "PricingCurrencyEffectiveCost",
    CAST(
        CASE WHEN COALESCE(NULLIF(pricing_currency, ''), currency) = currency THEN list_unit_price END
        AS DECIMAL(38, 10)
    ) AS "PricingCurrencyListUnitPrice",
    CAST(pricing_quantity AS DECIMAL(38, 10)) AS "PricingQuantity",
    CAST(CASE WHEN pricing_quantity IS NOT NULL THEN pricing_unit_out END AS VARCHAR) AS "PricingUnit",
    CAST('AWS' AS VARCHAR) AS "ProviderName",
    CAST(
        CASE
            WHEN billing_entity = 'AWS Marketplace' THEN COALESCE(NULLIF(legal_entity, ''), 'AWS Marketplace')
            ELSE 'AWS'
        END AS VARCHAR
    ) AS "PublisherName",
    CAST(NULLIF(region_code, '') AS VARCHAR) AS "RegionId",
    CAST(CASE WHEN NULLIF(region_code, '') IS NOT NULL THEN COALESCE(product_location, region_code) END AS VARCHAR)
        AS "RegionName",
    CAST(CASE WHEN row_kind = 'line' THEN NULLIF(resource_id, '') END AS VARCHAR) AS "ResourceId",
    CAST(
        CASE
            WHEN row_kind = 'line' AND NULLIF(resource_id, '') IS NOT NULL
                THEN REGEXP_EXTRACT(resource_id, '([^/:]+)$', 1)
        END AS VARCHAR
    ) AS "ResourceName",
    CAST(
        CASE
            WHEN row_kind = 'line' AND NULLIF(resource_id, '') IS NOT NULL
                THEN COALESCE(
                    NULLIF(REGEXP_EXTRACT(resource_id, '^arn:[^:]+:[^:]+:[^:]*:[^:]*:([^:/]+)[:/]', 1), ''),
                    product_family,
                    product_code
                )
        END AS VARCHAR
    ) AS "ResourceType",
    CAST(service_category AS VARCHAR) AS "ServiceCategory",
    CAST(
        COALESCE(
            NULLIF(JSON_EXTRACT_STRING(product_json, '$.product_name'), ''),
            NULLIF(product_code, ''),
            'Unknown'
        ) AS VARCHAR
    ) AS "ServiceName",
    CAST(service_subcategory AS VARCHAR) AS "ServiceSubcategory",
    CAST(CASE WHEN charge_category <> 'Tax' THEN NULLIF(product_sku, '') END AS VARCHAR) AS "SkuId",
    CAST(
        CASE WHEN charge_category <> 'Tax' AND NULLIF(product_sku, '') IS NOT NULL THEN NULLIF(usage_type, '') END
        AS VARCHAR
    ) AS "SkuMeter",
    CAST(NULL AS VARCHAR) AS "SkuPriceDetails",
    CAST(
        CASE
            WHEN charge_category <> 'Tax'
                THEN COALESCE(NULLIF(pricing_rate_code, ''), NULLIF(pricing_rate_id, ''))
        END AS VARCHAR
    ) AS "SkuPriceId",
    CAST(usage_account_id AS VARCHAR) AS "SubAccountId",
    CAST(usage_account_name AS VARCHAR) AS "SubAccountName",
    CAST(CASE WHEN usage_account_id IS NOT NULL THEN 'Linked Account' END AS VARCHAR)
        AS "SubAccountType",
    CAST(
        CASE
            WHEN row_kind = 'unused' OR tags_json IS NULL THEN NULL
            -- TRIM only for text that does not start like an object: it copies every string.
            WHEN tags_json NOT LIKE '{%' AND TRIM(tags_json) = '' THEN NULL
            -- ', "' -> ',"' first (JSON whitespace between members; an unescaped quote only
            -- starts or ends a string, so no value changes), then each prefix at a key start.
            ELSE REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(
                tags_json, ', "', ',"'),
                '{"user_', '{"'), ',"user_', ',"'),
                '{"user:', '{"'), ',"user:', ',"'),
                '{"aws_', '{"aws:'), ',"aws_', ',"aws:')
        END AS VARCHAR
    ) AS "Tags",
    CAST(NULLIF(TRIM(cost_category_json), '') AS VARCHAR) AS "x_CostCategories",
    CAST(NULLIF(TRIM(discount_json), '') AS VARCHAR) AS "x_Discounts",
    CAST(invoicing_entity AS VARCHAR) AS "x_InvoicingEntity",
    CAST(line_item_type AS VARCHAR) AS "x_LineItemType",
    CAST(operation AS VARCHAR) AS "x_Operation",
    CAST(COALESCE(NULLIF(servicecode, ''), product_code) AS VARCHAR) AS "x_ServiceCode",
    CAST(usage_type AS VARCHAR) AS "x_UsageType"
FROM c
