-- Azure Cost Management "FocusCost" exports (FOCUS 1.0, 1.0r2 or 1.2-preview; CSV, gzip CSV or
-- Parquet) -> FOCUS 1.2 Cost and Usage. Mostly a typed pass-through; what differs is filled in.
--
-- Input: the relation `src`, every raw column AS VARCHAR (nulls NULL; Tags as JSON object text).
-- Columns a version lacks must exist as NULL (the reader adds the columns this mapping
-- references).
-- 1.0 -> 1.2:
--   * Microsoft's 1.0 x_ columns that became FOCUS columns are promoted: x_InvoiceId ->
--     InvoiceId, x_PricingCurrency -> PricingCurrency, x_SkuMeterName -> SkuMeter;
--   * derived when absent: BillingAccountType ("Billing Profile" for an MCA billing-profile
--     path, "Subscription" for a subscription, else "Billing Account"), SubAccountType
--     "Subscription", PricingCurrency* prices/cost equal to the billing-currency ones when the
--     pricing currency is the billing currency (else PricingCurrencyEffectiveCost through
--     x_BillingExchangeRate, and the unit prices NULL),
--     ServiceSubcategory "Other (<ServiceCategory>)";
--   * 1.0-preview names are read as fallbacks (ChargeType, Provider, Publisher, InvoiceIssuer,
--     Region, UsageQuantity, UsageUnit, AmortizedCost), 1.0-preview PricingCategory values renamed;
--   * timestamps in any encoding Microsoft writes (7 fractional digits, Z) are read as UTC; Tags
--     without outer braces get them back.
-- The x_ columns Microsoft exports are kept (names as in azure-cost where both exist).
-- BilledCost is passed through: SUM(BilledCost) per period equals the export's own.
WITH n AS (
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
        UPPER(TRIM(COALESCE(src."PricingCurrency", src."x_PricingCurrency", src."BillingCurrency"))) AS pricing_currency,
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
        src."BillingAccountId" AS billing_account_id,
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
        COALESCE(src."ConsumedUnit", src."UsageUnit") AS consumed_unit,
        COALESCE(src."InvoiceId", src."x_InvoiceId") AS invoice_id,
        COALESCE(src."InvoiceIssuerName", src."InvoiceIssuer", 'Microsoft') AS invoice_issuer,
        src."PricingCategory" AS pricing_category,
        src."PricingUnit" AS pricing_unit,
        COALESCE(src."ProviderName", src."Provider", 'Microsoft') AS provider_name,
        COALESCE(src."PublisherName", src."Publisher", 'Microsoft') AS publisher_name,
        src."RegionId" AS region_id,
        COALESCE(src."RegionName", src."Region") AS region_name,
        src."ResourceId" AS resource_id,
        src."ResourceName" AS resource_name,
        src."ResourceType" AS resource_type,
        COALESCE(src."ServiceCategory", 'Other') AS service_category,
        COALESCE(src."ServiceName", 'Unknown') AS service_name,
        src."ServiceSubcategory" AS service_subcategory,
        src."SkuId" AS sku_id,
        COALESCE(src."SkuMeter", src."x_SkuMeterName") AS sku_meter,
        src."SkuPriceDetails" AS sku_price_details,
        src."SkuPriceId" AS sku_price_id,
        src."SubAccountId" AS sub_account_id,
        src."SubAccountName" AS sub_account_name,
        src."SubAccountType" AS sub_account_type,
        src."Tags" AS tags_json,
        src."x_AccountId" AS xr_account_id,
        src."x_AccountName" AS xr_account_name,
        src."x_AccountOwnerId" AS xr_account_owner_id,
        TRY_CAST(TRIM(src."x_BilledCostInUsd") AS DECIMAL(38, 10)) AS xr_billed_cost_in_usd,
        TRY_CAST(TRIM(src."x_BilledUnitPrice") AS DECIMAL(38, 10)) AS xr_billed_unit_price,
        src."x_BillingAccountId" AS xr_billing_account_id,
        src."x_BillingAccountName" AS xr_billing_account_name,
        TRY_CAST(TRIM(src."x_BillingExchangeRate") AS DECIMAL(38, 10)) AS xr_billing_exchange_rate,
        src."x_BillingExchangeRateDate" AS xr_billing_exchange_rate_date,
        src."x_BillingProfileId" AS xr_billing_profile_id,
        src."x_BillingProfileName" AS xr_billing_profile_name,
        TRY_CAST(TRIM(src."x_ContractedCostInUsd") AS DECIMAL(38, 10)) AS xr_contracted_cost_in_usd,
        src."x_CostAllocationRuleName" AS xr_cost_allocation_rule_name,
        src."x_CostCenter" AS xr_cost_center,
        src."x_CustomerId" AS xr_customer_id,
        src."x_CustomerName" AS xr_customer_name,
        TRY_CAST(TRIM(src."x_EffectiveCostInUsd") AS DECIMAL(38, 10)) AS xr_effective_cost_in_usd,
        TRY_CAST(TRIM(src."x_EffectiveUnitPrice") AS DECIMAL(38, 10)) AS xr_effective_unit_price,
        src."x_InvoiceIssuerId" AS xr_invoice_issuer_id,
        src."x_InvoiceSectionId" AS xr_invoice_section_id,
        src."x_InvoiceSectionName" AS xr_invoice_section_name,
        TRY_CAST(TRIM(src."x_ListCostInUsd") AS DECIMAL(38, 10)) AS xr_list_cost_in_usd,
        TRY_CAST(TRIM(src."x_PricingBlockSize") AS DECIMAL(38, 10)) AS xr_pricing_block_size,
        src."x_PricingSubcategory" AS xr_pricing_subcategory,
        src."x_PricingUnitDescription" AS xr_pricing_unit_description,
        src."x_PublisherCategory" AS xr_publisher_category,
        src."x_PublisherId" AS xr_publisher_id,
        src."x_ResellerId" AS xr_reseller_id,
        src."x_ResellerName" AS xr_reseller_name,
        src."x_ResourceGroupName" AS xr_resource_group_name,
        src."x_ResourceType" AS xr_resource_type,
        src."x_ServicePeriodEnd" AS xr_service_period_end,
        src."x_ServicePeriodStart" AS xr_service_period_start,
        src."x_SkuDescription" AS xr_sku_description,
        src."x_SkuDetails" AS xr_sku_details,
        src."x_SkuIsCreditEligible" AS xr_sku_is_credit_eligible,
        src."x_SkuMeterCategory" AS xr_sku_meter_category,
        src."x_SkuMeterId" AS xr_sku_meter_id,
        src."x_SkuMeterSubcategory" AS xr_sku_meter_subcategory,
        src."x_SkuOfferId" AS xr_sku_offer_id,
        src."x_SkuOrderId" AS xr_sku_order_id,
        src."x_SkuOrderName" AS xr_sku_order_name,
        src."x_SkuPartNumber" AS xr_sku_part_number,
        src."x_SkuRegion" AS xr_sku_region,
        src."x_SkuServiceFamily" AS xr_sku_service_family,
        src."x_SkuTerm" AS xr_sku_term,
        src."x_SkuTier" AS xr_sku_tier
    FROM src
)
SELECT
    CAST(availability_zone AS VARCHAR) AS "AvailabilityZone",
    CAST(billed_cost AS DECIMAL(38, 10)) AS "BilledCost",
    CAST(billing_account_id AS VARCHAR) AS "BillingAccountId",
    CAST(billing_account_name AS VARCHAR) AS "BillingAccountName",
    CAST(
        COALESCE(
            billing_account_type,
            CASE
                WHEN LOWER(billing_account_id) LIKE '%/billingprofiles/%' THEN 'Billing Profile'
                WHEN LOWER(billing_account_id) LIKE '/subscriptions/%' THEN 'Subscription'
                ELSE 'Billing Account'
            END
        ) AS VARCHAR
    ) AS "BillingAccountType",
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
    -- x_BillingExchangeRate converts the pricing currency to the billing one.
    CAST(
        COALESCE(
            pc_effective_cost,
            CASE
                WHEN pricing_currency = currency THEN COALESCE(effective_cost, billed_cost)
                ELSE COALESCE(effective_cost, billed_cost) / NULLIF(xr_billing_exchange_rate, 0)
            END
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
        COALESCE(sub_account_type, CASE WHEN sub_account_id IS NOT NULL THEN 'Subscription' END)
        AS VARCHAR
    ) AS "SubAccountType",
    -- Some exports write the tags object without its outer braces; put them back.
    CAST(
        CASE
            WHEN NULLIF(TRIM(tags_json), '') IS NULL THEN NULL
            WHEN SUBSTRING(TRIM(tags_json), 1, 1) = '{' THEN TRIM(tags_json)
            ELSE '{' || TRIM(tags_json) || '}'
        END AS VARCHAR
    ) AS "Tags",
    CAST(xr_account_id AS VARCHAR) AS "x_AccountId",
    CAST(xr_account_name AS VARCHAR) AS "x_AccountName",
    CAST(xr_account_owner_id AS VARCHAR) AS "x_AccountOwnerId",
    CAST(xr_billed_cost_in_usd AS DECIMAL(38, 10)) AS "x_BilledCostInUsd",
    CAST(xr_billed_unit_price AS DECIMAL(38, 10)) AS "x_BilledUnitPrice",
    CAST(xr_billing_account_id AS VARCHAR) AS "x_BillingAccountId",
    CAST(xr_billing_account_name AS VARCHAR) AS "x_BillingAccountName",
    CAST(xr_billing_exchange_rate AS DECIMAL(38, 10)) AS "x_BillingExchangeRate",
    CAST(xr_billing_exchange_rate_date AS VARCHAR) AS "x_BillingExchangeRateDate",
    CAST(xr_billing_profile_id AS VARCHAR) AS "x_BillingProfileId",
    CAST(xr_billing_profile_name AS VARCHAR) AS "x_BillingProfileName",
    CAST(xr_contracted_cost_in_usd AS DECIMAL(38, 10)) AS "x_ContractedCostInUsd",
    CAST(xr_cost_allocation_rule_name AS VARCHAR) AS "x_CostAllocationRuleName",
    CAST(xr_cost_center AS VARCHAR) AS "x_CostCenter",
    CAST(xr_customer_id AS VARCHAR) AS "x_CustomerId",
    CAST(xr_customer_name AS VARCHAR) AS "x_CustomerName",
    CAST(xr_effective_cost_in_usd AS DECIMAL(38, 10)) AS "x_EffectiveCostInUsd",
    CAST(xr_effective_unit_price AS DECIMAL(38, 10)) AS "x_EffectiveUnitPrice",
    CAST(xr_invoice_issuer_id AS VARCHAR) AS "x_InvoiceIssuerId",
    CAST(xr_invoice_section_id AS VARCHAR) AS "x_InvoiceSectionId",
    CAST(xr_invoice_section_name AS VARCHAR) AS "x_InvoiceSectionName",
    CAST(xr_list_cost_in_usd AS DECIMAL(38, 10)) AS "x_ListCostInUsd",
    CAST(xr_pricing_block_size AS DECIMAL(38, 10)) AS "x_PricingBlockSize",
    CAST(xr_pricing_subcategory AS VARCHAR) AS "x_PricingSubcategory",
    CAST(xr_pricing_unit_description AS VARCHAR) AS "x_PricingUnitDescription",
    CAST(xr_publisher_category AS VARCHAR) AS "x_PublisherCategory",
    CAST(xr_publisher_id AS VARCHAR) AS "x_PublisherId",
    CAST(xr_reseller_id AS VARCHAR) AS "x_ResellerId",
    CAST(xr_reseller_name AS VARCHAR) AS "x_ResellerName",
    CAST(xr_resource_group_name AS VARCHAR) AS "x_ResourceGroupName",
    CAST(xr_resource_type AS VARCHAR) AS "x_ResourceType",
    CAST(xr_service_period_end AS VARCHAR) AS "x_ServicePeriodEnd",
    CAST(xr_service_period_start AS VARCHAR) AS "x_ServicePeriodStart",
    CAST(xr_sku_description AS VARCHAR) AS "x_SkuDescription",
    CAST(xr_sku_details AS VARCHAR) AS "x_SkuDetails",
    CAST(xr_sku_is_credit_eligible AS VARCHAR) AS "x_SkuIsCreditEligible",
    CAST(xr_sku_meter_category AS VARCHAR) AS "x_SkuMeterCategory",
    CAST(xr_sku_meter_id AS VARCHAR) AS "x_SkuMeterId",
    CAST(xr_sku_meter_subcategory AS VARCHAR) AS "x_SkuMeterSubcategory",
    CAST(xr_sku_offer_id AS VARCHAR) AS "x_SkuOfferId",
    CAST(xr_sku_order_id AS VARCHAR) AS "x_SkuOrderId",
    CAST(xr_sku_order_name AS VARCHAR) AS "x_SkuOrderName",
    CAST(xr_sku_part_number AS VARCHAR) AS "x_SkuPartNumber",
    CAST(xr_sku_region AS VARCHAR) AS "x_SkuRegion",
    CAST(xr_sku_service_family AS VARCHAR) AS "x_SkuServiceFamily",
    CAST(xr_sku_term AS VARCHAR) AS "x_SkuTerm",
    CAST(xr_sku_tier AS VARCHAR) AS "x_SkuTier"
FROM n
