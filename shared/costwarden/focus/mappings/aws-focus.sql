-- AWS Data Exports "FOCUS 1.0 with AWS columns" or "FOCUS 1.2 with AWS columns" (Parquet or gzip
-- CSV) -> FOCUS 1.2 Cost and Usage. Mostly a typed pass-through; what differs is filled in.
--
-- Input: the relation `src`, every raw column AS VARCHAR (nulls NULL; Tags, SkuPriceDetails and
-- the x_ map columns as JSON object text). Columns a version lacks must exist as NULL (the
-- reader adds the columns this mapping references).
-- 1.0 -> 1.2:
--   * columns new in 1.1/1.2 are derived where AWS's own 1.2 export would fill them:
--     BillingAccountType "Billing Account", SubAccountType "Linked Account", PricingCurrency =
--     BillingCurrency with the PricingCurrency* prices/cost equal to the billing-currency ones
--     (AWS bills in the pricing currency), ServiceSubcategory "Other (<ServiceCategory>)"
--     for a service not in the shared AWS table (_aws_services.sql);
--     CapacityReservation*, CommitmentDiscountQuantity/Unit, InvoiceId, SkuMeter and
--     SkuPriceDetails stay NULL when absent;
--   * 1.0-preview names are read as fallbacks (ChargeType, Provider, Publisher, InvoiceIssuer,
--     Region, UsageQuantity, UsageUnit, AmortizedCost) and 1.0-preview PricingCategory values
--     are renamed (On-Demand -> Standard, Commitment-Based -> Committed);
--   * timestamps are read in any of the export's encodings as UTC; Tags get the same key
--     normalization as CUR 2.0 (no `user:`/`user_` prefix on user tags, `aws:` on AWS tags),
--     and units the same spelling (Hrs -> Hours, GB-Mo -> GB-Months); SkuMeter falls back to
--     x_UsageType (what aws-cur2 puts there), and is NULL without a SkuId.
-- BilledCost is passed through: SUM(BilledCost) per period equals the export's own.
WITH
-- @include _aws_services.sql
n AS (
    SELECT
        TRY_CAST(TRIM(src."BilledCost") AS DECIMAL(38, 10)) AS billed_cost,
        TRY_CAST(TRIM(COALESCE(src."EffectiveCost", src."AmortizedCost")) AS DECIMAL(38, 10)) AS effective_cost,
        TRY_CAST(TRIM(src."ListCost") AS DECIMAL(38, 10)) AS list_cost,
        TRY_CAST(TRIM(src."ContractedCost") AS DECIMAL(38, 10)) AS contracted_cost,
        TRY_CAST(TRIM(src."ListUnitPrice") AS DECIMAL(38, 10)) AS list_unit_price,
        TRY_CAST(TRIM(src."ContractedUnitPrice") AS DECIMAL(38, 10)) AS contracted_unit_price,
        TRY_CAST(TRIM(src."PricingQuantity") AS DECIMAL(38, 10)) AS pricing_quantity,
        TRY_CAST(TRIM(COALESCE(src."ConsumedQuantity", src."UsageQuantity")) AS DECIMAL(38, 10)) AS consumed_quantity,
        TRY_CAST(TRIM(src."CommitmentDiscountQuantity") AS DECIMAL(38, 10)) AS commitment_quantity,
        TRY_CAST(TRIM(src."PricingCurrencyContractedUnitPrice") AS DECIMAL(38, 10)) AS pc_contracted_unit_price,
        TRY_CAST(TRIM(src."PricingCurrencyEffectiveCost") AS DECIMAL(38, 10)) AS pc_effective_cost,
        TRY_CAST(TRIM(src."PricingCurrencyListUnitPrice") AS DECIMAL(38, 10)) AS pc_list_unit_price,
        UPPER(TRIM(src."BillingCurrency")) AS currency,
        UPPER(TRIM(COALESCE(src."PricingCurrency", src."BillingCurrency"))) AS pricing_currency,
        TRY_CAST(
            CASE
                WHEN REGEXP_MATCHES(TRIM(src."BillingPeriodStart"), '^[0-9]{4}-[0-9]{2}-[0-9]{2}$')
                    THEN TRIM(src."BillingPeriodStart") || 'T00:00:00Z'
                WHEN REGEXP_MATCHES(TRIM(src."BillingPeriodStart"), '(Z|UTC|[+-][0-9]{2}(:?[0-9]{2})?)$')
                    THEN TRIM(src."BillingPeriodStart")
                ELSE TRIM(src."BillingPeriodStart") || 'Z'
            END AS TIMESTAMPTZ
        ) AS bp_start,
        TRY_CAST(
            CASE
                WHEN REGEXP_MATCHES(TRIM(src."BillingPeriodEnd"), '^[0-9]{4}-[0-9]{2}-[0-9]{2}$')
                    THEN TRIM(src."BillingPeriodEnd") || 'T00:00:00Z'
                WHEN REGEXP_MATCHES(TRIM(src."BillingPeriodEnd"), '(Z|UTC|[+-][0-9]{2}(:?[0-9]{2})?)$')
                    THEN TRIM(src."BillingPeriodEnd")
                ELSE TRIM(src."BillingPeriodEnd") || 'Z'
            END AS TIMESTAMPTZ
        ) AS bp_end,
        TRY_CAST(
            CASE
                WHEN REGEXP_MATCHES(TRIM(src."ChargePeriodStart"), '^[0-9]{4}-[0-9]{2}-[0-9]{2}$')
                    THEN TRIM(src."ChargePeriodStart") || 'T00:00:00Z'
                WHEN REGEXP_MATCHES(TRIM(src."ChargePeriodStart"), '(Z|UTC|[+-][0-9]{2}(:?[0-9]{2})?)$')
                    THEN TRIM(src."ChargePeriodStart")
                ELSE TRIM(src."ChargePeriodStart") || 'Z'
            END AS TIMESTAMPTZ
        ) AS cp_start,
        TRY_CAST(
            CASE
                WHEN REGEXP_MATCHES(TRIM(src."ChargePeriodEnd"), '^[0-9]{4}-[0-9]{2}-[0-9]{2}$')
                    THEN TRIM(src."ChargePeriodEnd") || 'T00:00:00Z'
                WHEN REGEXP_MATCHES(TRIM(src."ChargePeriodEnd"), '(Z|UTC|[+-][0-9]{2}(:?[0-9]{2})?)$')
                    THEN TRIM(src."ChargePeriodEnd")
                ELSE TRIM(src."ChargePeriodEnd") || 'Z'
            END AS TIMESTAMPTZ
        ) AS cp_end,
        src."AvailabilityZone" AS availability_zone,
        -- An integer Parquet column loses an id's leading zeros: AWS ids are 12 digits.
        CASE
            WHEN LENGTH(src."BillingAccountId") < 12 THEN LPAD(src."BillingAccountId", 12, '0')
            ELSE src."BillingAccountId"
        END AS billing_account_id,
        src."BillingAccountName" AS billing_account_name,
        src."BillingAccountType" AS billing_account_type,
        src."CapacityReservationId" AS capacity_reservation_id,
        src."CapacityReservationStatus" AS capacity_reservation_status,
        COALESCE(src."ChargeCategory", src."ChargeType") AS charge_category,
        src."ChargeClass" AS charge_class,
        src."ChargeDescription" AS charge_description,
        src."ChargeFrequency" AS charge_frequency,
        src."CommitmentDiscountCategory" AS commitment_category,
        src."CommitmentDiscountId" AS commitment_id,
        src."CommitmentDiscountName" AS commitment_name,
        src."CommitmentDiscountStatus" AS commitment_status,
        src."CommitmentDiscountType" AS commitment_type,
        src."CommitmentDiscountUnit" AS commitment_unit,
        CASE
            WHEN COALESCE(src."ConsumedUnit", src."UsageUnit") IN ('Hrs', 'Hr', 'hrs', 'hours') THEN 'Hours'
            WHEN COALESCE(src."ConsumedUnit", src."UsageUnit") LIKE '%-Hrs' THEN SUBSTRING(COALESCE(src."ConsumedUnit", src."UsageUnit"), 1, LENGTH(COALESCE(src."ConsumedUnit", src."UsageUnit")) - 4) || '-Hours'
            WHEN COALESCE(src."ConsumedUnit", src."UsageUnit") LIKE '%-Hr' THEN SUBSTRING(COALESCE(src."ConsumedUnit", src."UsageUnit"), 1, LENGTH(COALESCE(src."ConsumedUnit", src."UsageUnit")) - 3) || '-Hours'
            WHEN COALESCE(src."ConsumedUnit", src."UsageUnit") LIKE '%-Mo' THEN SUBSTRING(COALESCE(src."ConsumedUnit", src."UsageUnit"), 1, LENGTH(COALESCE(src."ConsumedUnit", src."UsageUnit")) - 3) || '-Months'
            WHEN COALESCE(src."ConsumedUnit", src."UsageUnit") LIKE '%-Month' THEN SUBSTRING(COALESCE(src."ConsumedUnit", src."UsageUnit"), 1, LENGTH(COALESCE(src."ConsumedUnit", src."UsageUnit")) - 6) || '-Months'
            WHEN COALESCE(src."ConsumedUnit", src."UsageUnit") LIKE '%-Day' THEN SUBSTRING(COALESCE(src."ConsumedUnit", src."UsageUnit"), 1, LENGTH(COALESCE(src."ConsumedUnit", src."UsageUnit")) - 4) || '-Days'
            WHEN COALESCE(src."ConsumedUnit", src."UsageUnit") LIKE '%-Second' THEN SUBSTRING(COALESCE(src."ConsumedUnit", src."UsageUnit"), 1, LENGTH(COALESCE(src."ConsumedUnit", src."UsageUnit")) - 7) || '-Seconds'
            ELSE COALESCE(src."ConsumedUnit", src."UsageUnit")
        END AS consumed_unit,
        src."InvoiceId" AS invoice_id,
        COALESCE(src."InvoiceIssuerName", src."InvoiceIssuer", 'AWS') AS invoice_issuer,
        src."PricingCategory" AS pricing_category,
        CASE
            WHEN src."PricingUnit" IN ('Hrs', 'Hr', 'hrs', 'hours') THEN 'Hours'
            WHEN src."PricingUnit" LIKE '%-Hrs' THEN SUBSTRING(src."PricingUnit", 1, LENGTH(src."PricingUnit") - 4) || '-Hours'
            WHEN src."PricingUnit" LIKE '%-Hr' THEN SUBSTRING(src."PricingUnit", 1, LENGTH(src."PricingUnit") - 3) || '-Hours'
            WHEN src."PricingUnit" LIKE '%-Mo' THEN SUBSTRING(src."PricingUnit", 1, LENGTH(src."PricingUnit") - 3) || '-Months'
            WHEN src."PricingUnit" LIKE '%-Month' THEN SUBSTRING(src."PricingUnit", 1, LENGTH(src."PricingUnit") - 6) || '-Months'
            WHEN src."PricingUnit" LIKE '%-Day' THEN SUBSTRING(src."PricingUnit", 1, LENGTH(src."PricingUnit") - 4) || '-Days'
            WHEN src."PricingUnit" LIKE '%-Second' THEN SUBSTRING(src."PricingUnit", 1, LENGTH(src."PricingUnit") - 7) || '-Seconds'
            ELSE src."PricingUnit"
        END AS pricing_unit,
        COALESCE(src."ProviderName", src."Provider", 'AWS') AS provider_name,
        COALESCE(src."PublisherName", src."Publisher", 'AWS') AS publisher_name,
        src."RegionId" AS region_id,
        COALESCE(src."RegionName", src."Region") AS region_name,
        src."ResourceId" AS resource_id,
        src."ResourceName" AS resource_name,
        src."ResourceType" AS resource_type,
        -- By product code when the export has it and it is in the shared AWS table: AWS's own
        -- export gives one ServiceName two categories (EC2 usage under Compute, its volumes
        -- under Storage), which FOCUS 1.2 does not allow; this way every AWS source agrees.
        COALESCE(aws_services.aws_category, src."ServiceCategory", 'Other') AS service_category,
        COALESCE(src."ServiceName", src."x_ServiceCode", 'Unknown') AS service_name,
        CASE
            WHEN aws_services.aws_code IS NOT NULL THEN aws_services.aws_subcategory
            ELSE src."ServiceSubcategory"
        END AS service_subcategory,
        src."SkuId" AS sku_id,
        COALESCE(src."SkuMeter", src."x_UsageType") AS sku_meter,
        src."SkuPriceDetails" AS sku_price_details,
        src."SkuPriceId" AS sku_price_id,
        -- An integer Parquet column loses an id's leading zeros: AWS ids are 12 digits.
        CASE
            WHEN LENGTH(src."SubAccountId") < 12 THEN LPAD(src."SubAccountId", 12, '0')
            ELSE src."SubAccountId"
        END AS sub_account_id,
        src."SubAccountName" AS sub_account_name,
        src."SubAccountType" AS sub_account_type,
        src."Tags" AS tags_json,
        src."x_CostCategories" AS x_cost_categories,
        src."x_Discounts" AS x_discounts,
        src."x_Operation" AS x_operation,
        src."x_ServiceCode" AS x_service_code,
        src."x_UsageType" AS x_usage_type
    FROM src
    LEFT JOIN aws_services ON aws_services.aws_code = LOWER(src."x_ServiceCode")
)
SELECT
    CAST(availability_zone AS VARCHAR) AS "AvailabilityZone",
    CAST(billed_cost AS DECIMAL(38, 10)) AS "BilledCost",
    CAST(billing_account_id AS VARCHAR) AS "BillingAccountId",
    CAST(billing_account_name AS VARCHAR) AS "BillingAccountName",
    CAST(COALESCE(billing_account_type, 'Billing Account') AS VARCHAR) AS "BillingAccountType",
    CAST(currency AS VARCHAR) AS "BillingCurrency",
    CAST(bp_end AS TIMESTAMPTZ) AS "BillingPeriodEnd",
    CAST(bp_start AS TIMESTAMPTZ) AS "BillingPeriodStart",
    CAST(capacity_reservation_id AS VARCHAR) AS "CapacityReservationId",
    CAST(capacity_reservation_status AS VARCHAR) AS "CapacityReservationStatus",
    CAST(charge_category AS VARCHAR) AS "ChargeCategory",
    CAST(charge_class AS VARCHAR) AS "ChargeClass",
    CAST(charge_description AS VARCHAR) AS "ChargeDescription",
    CAST(
        COALESCE(charge_frequency, CASE WHEN charge_category = 'Usage' THEN 'Usage-Based' ELSE 'One-Time' END)
        AS VARCHAR
    ) AS "ChargeFrequency",
    CAST(cp_end AS TIMESTAMPTZ) AS "ChargePeriodEnd",
    CAST(cp_start AS TIMESTAMPTZ) AS "ChargePeriodStart",
    CAST(commitment_category AS VARCHAR) AS "CommitmentDiscountCategory",
    CAST(commitment_id AS VARCHAR) AS "CommitmentDiscountId",
    CAST(commitment_name AS VARCHAR) AS "CommitmentDiscountName",
    CAST(commitment_quantity AS DECIMAL(38, 10)) AS "CommitmentDiscountQuantity",
    CAST(commitment_status AS VARCHAR) AS "CommitmentDiscountStatus",
    CAST(commitment_type AS VARCHAR) AS "CommitmentDiscountType",
    CAST(commitment_unit AS VARCHAR) AS "CommitmentDiscountUnit",
    CAST(consumed_quantity AS DECIMAL(38, 10)) AS "ConsumedQuantity",
    CAST(consumed_unit AS VARCHAR) AS "ConsumedUnit",
    CAST(COALESCE(contracted_cost, list_cost, billed_cost) AS DECIMAL(38, 10)) AS "ContractedCost",
    CAST(contracted_unit_price AS DECIMAL(38, 10)) AS "ContractedUnitPrice",
    CAST(COALESCE(effective_cost, billed_cost) AS DECIMAL(38, 10)) AS "EffectiveCost",
    CAST(invoice_id AS VARCHAR) AS "InvoiceId",
    CAST(invoice_issuer AS VARCHAR) AS "InvoiceIssuerName",
    CAST(COALESCE(list_cost, billed_cost) AS DECIMAL(38, 10)) AS "ListCost",
    CAST(list_unit_price AS DECIMAL(38, 10)) AS "ListUnitPrice",
    CAST(
        CASE pricing_category
            WHEN 'On-Demand' THEN 'Standard'
            WHEN 'Commitment-Based' THEN 'Committed'
            ELSE pricing_category
        END AS VARCHAR
    ) AS "PricingCategory",
    CAST(pricing_currency AS VARCHAR) AS "PricingCurrency",
    CAST(
        COALESCE(pc_contracted_unit_price, CASE WHEN pricing_currency = currency THEN contracted_unit_price END)
        AS DECIMAL(38, 10)
    ) AS "PricingCurrencyContractedUnitPrice",
    CAST(
        COALESCE(
            pc_effective_cost,
            CASE WHEN pricing_currency = currency THEN COALESCE(effective_cost, billed_cost) END
        ) AS DECIMAL(38, 10)
    ) AS "PricingCurrencyEffectiveCost",
    CAST(
        COALESCE(pc_list_unit_price, CASE WHEN pricing_currency = currency THEN list_unit_price END)
        AS DECIMAL(38, 10)
    ) AS "PricingCurrencyListUnitPrice",
    CAST(pricing_quantity AS DECIMAL(38, 10)) AS "PricingQuantity",
    CAST(pricing_unit AS VARCHAR) AS "PricingUnit",
    CAST(provider_name AS VARCHAR) AS "ProviderName",
    CAST(publisher_name AS VARCHAR) AS "PublisherName",
    CAST(region_id AS VARCHAR) AS "RegionId",
    CAST(region_name AS VARCHAR) AS "RegionName",
    CAST(resource_id AS VARCHAR) AS "ResourceId",
    CAST(resource_name AS VARCHAR) AS "ResourceName",
    CAST(resource_type AS VARCHAR) AS "ResourceType",
    CAST(service_category AS VARCHAR) AS "ServiceCategory",
    CAST(service_name AS VARCHAR) AS "ServiceName",
    CAST(COALESCE(service_subcategory, 'Other (' || service_category || ')') AS VARCHAR)
        AS "ServiceSubcategory",
    CAST(sku_id AS VARCHAR) AS "SkuId",
    CAST(CASE WHEN sku_id IS NOT NULL THEN sku_meter END AS VARCHAR) AS "SkuMeter",
    CAST(sku_price_details AS VARCHAR) AS "SkuPriceDetails",
    CAST(sku_price_id AS VARCHAR) AS "SkuPriceId",
    CAST(sub_account_id AS VARCHAR) AS "SubAccountId",
    CAST(sub_account_name AS VARCHAR) AS "SubAccountName",
    CAST(
        COALESCE(sub_account_type, CASE WHEN sub_account_id IS NOT NULL THEN 'Linked Account' END)
        AS VARCHAR
    ) AS "SubAccountType",
    CAST(
        CASE
            WHEN NULLIF(TRIM(tags_json), '') IS NULL THEN NULL
            ELSE REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(
                TRIM(tags_json),
                '{"user_', '{"'), ',"user_', ',"'), ', "user_', ', "'),
                '{"user:', '{"'), ',"user:', ',"'), ', "user:', ', "'),
                '{"aws_', '{"aws:'), ',"aws_', ',"aws:'), ', "aws_', ', "aws:')
        END AS VARCHAR
    ) AS "Tags",
    CAST(x_cost_categories AS VARCHAR) AS "x_CostCategories",
    CAST(x_discounts AS VARCHAR) AS "x_Discounts",
    CAST(x_operation AS VARCHAR) AS "x_Operation",
    CAST(x_service_code AS VARCHAR) AS "x_ServiceCode",
    CAST(x_usage_type AS VARCHAR) AS "x_UsageType"
FROM n
