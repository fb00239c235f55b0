-- Google Cloud Billing export rows (standard `gcp_billing_export_v1_*` or detailed
-- `gcp_billing_export_resource_v1_*`), written to Cloud Storage by a scheduled `EXPORT DATA`
-- query as Parquet or newline-delimited JSON -> FOCUS 1.2 Cost and Usage.
--
-- Input: the relation `src`, every value AS VARCHAR. Nested records arrive flattened with dotted
-- names (`service.description`, `invoice.month`); a query that aliased them
-- (`service.description AS service_description`) gives underscored names, so both spellings are
-- read (COALESCE; the reader adds the absent spelling as NULL). Repeated records (`labels`,
-- `system_labels`, `credits`) arrive as compact JSON array text.
--
-- One FOCUS row per export row:
--   BilledCost = EffectiveCost = cost + SUM(credits[].amount)  (credits are negative), so
--     SUM(BilledCost) per invoice.month is the invoice total; the credits stay in x_Credits
--     (raw) and x_CreditAmount (their sum). Commitment (CUD) fees are billed monthly as their own
--     rows, so there is no upfront amount to amortize.
--   ContractedCost = price.effective_price x usage.amount_in_pricing_units when the detailed
--     export has the price, else cost (before credits); ListCost = cost_at_list when exported,
--     else cost. Credit-category rows: both = BilledCost.
--   ChargeCategory: cost_type tax -> Tax; adjustment -> Credit for goodwill/SLA credits, else
--     Adjustment (ChargeClass Correction when it corrects earlier charges); rounding_error ->
--     Adjustment; regular -> Usage, commitment fees ("Commitment ..." SKUs) included, as
--     recurring Committed usage (see is_commitment_fee).
--   BillingAccountName = billing_account_id (the export has no name).
--   Units are spelled in FOCUS Unit Format (seconds -> Seconds, gibibyte month -> GiB-Months).
--   BillingPeriodStart = invoice.month (YYYYMM) 00:00 UTC, end = the next month.
--   Tags = labels + system_labels as one flat object (user label keys as written; system label
--     keys already carry Google's prefixes, e.g. "goog-k8s-cluster-name").
WITH n AS (
    SELECT
        src."billing_account_id" AS billing_account_id,
        COALESCE(src."service.id", src."service_id") AS service_id,
        COALESCE(src."service.description", src."service_description") AS service_description,
        COALESCE(src."sku.id", src."sku_id") AS sku_id,
        COALESCE(src."sku.description", src."sku_description") AS sku_description,
        src."usage_start_time" AS usage_start_raw,
        src."usage_end_time" AS usage_end_raw,
        COALESCE(src."project.id", src."project_id") AS project_id,
        COALESCE(src."project.number", src."project_number") AS project_number,
        COALESCE(src."project.name", src."project_name") AS project_name,
        src."labels" AS labels_json,
        src."system_labels" AS system_labels_json,
        COALESCE(src."location.location", src."location_location") AS location,
        COALESCE(src."location.region", src."location_region") AS region,
        COALESCE(src."location.zone", src."location_zone") AS zone,
        COALESCE(src."resource.name", src."resource_name") AS resource_name,
        COALESCE(src."resource.global_name", src."resource_global_name") AS resource_global_name,
        TRY_CAST(TRIM(src."cost") AS DECIMAL(38, 10)) AS cost,
        TRY_CAST(TRIM(src."cost_at_list") AS DECIMAL(38, 10)) AS cost_at_list,
        UPPER(TRIM(src."currency")) AS currency,
        TRY_CAST(TRIM(COALESCE(src."usage.amount", src."usage_amount")) AS DECIMAL(38, 10))
            AS usage_amount,
        -- Units in FOCUS Unit Format ("seconds" -> Seconds, "gibibyte month" -> GiB-Months).
        CASE
            WHEN LOWER(COALESCE(src."usage.unit", src."usage_unit")) IN ('second', 'seconds') THEN 'Seconds'
            WHEN LOWER(COALESCE(src."usage.unit", src."usage_unit")) IN ('hour', 'hours') THEN 'Hours'
            WHEN LOWER(COALESCE(src."usage.unit", src."usage_unit")) IN ('month', 'months') THEN 'Months'
            WHEN LOWER(COALESCE(src."usage.unit", src."usage_unit")) = 'byte-seconds' THEN 'Byte-Seconds'
            WHEN LOWER(COALESCE(src."usage.unit", src."usage_unit")) IN ('byte', 'bytes') THEN 'Bytes'
            WHEN LOWER(COALESCE(src."usage.unit", src."usage_unit")) = 'gibibyte' THEN 'GiB'
            WHEN LOWER(COALESCE(src."usage.unit", src."usage_unit")) = 'gibibyte hour' THEN 'GiB-Hours'
            WHEN LOWER(COALESCE(src."usage.unit", src."usage_unit")) = 'gibibyte day' THEN 'GiB-Days'
            WHEN LOWER(COALESCE(src."usage.unit", src."usage_unit")) = 'gibibyte month' THEN 'GiB-Months'
            WHEN LOWER(COALESCE(src."usage.unit", src."usage_unit")) = 'mebibyte' THEN 'MiB'
            WHEN LOWER(COALESCE(src."usage.unit", src."usage_unit")) = 'tebibyte' THEN 'TiB'
            WHEN LOWER(COALESCE(src."usage.unit", src."usage_unit")) = 'tebibyte month' THEN 'TiB-Months'
            ELSE UPPER(SUBSTRING(COALESCE(src."usage.unit", src."usage_unit"), 1, 1)) || SUBSTRING(COALESCE(src."usage.unit", src."usage_unit"), 2)
        END AS usage_unit,
        TRY_CAST(
            TRIM(COALESCE(src."usage.amount_in_pricing_units", src."usage_amount_in_pricing_units"))
            AS DECIMAL(38, 10)
        ) AS pricing_amount,
        CASE
            WHEN LOWER(COALESCE(src."usage.pricing_unit", src."usage_pricing_unit")) IN ('second', 'seconds') THEN 'Seconds'
            WHEN LOWER(COALESCE(src."usage.pricing_unit", src."usage_pricing_unit")) IN ('hour', 'hours') THEN 'Hours'
            WHEN LOWER(COALESCE(src."usage.pricing_unit", src."usage_pricing_unit")) IN ('month', 'months') THEN 'Months'
            WHEN LOWER(COALESCE(src."usage.pricing_unit", src."usage_pricing_unit")) = 'byte-seconds' THEN 'Byte-Seconds'
            WHEN LOWER(COALESCE(src."usage.pricing_unit", src."usage_pricing_unit")) IN ('byte', 'bytes') THEN 'Bytes'
            WHEN LOWER(COALESCE(src."usage.pricing_unit", src."usage_pricing_unit")) = 'gibibyte' THEN 'GiB'
            WHEN LOWER(COALESCE(src."usage.pricing_unit", src."usage_pricing_unit")) = 'gibibyte hour' THEN 'GiB-Hours'
            WHEN LOWER(COALESCE(src."usage.pricing_unit", src."usage_pricing_unit")) = 'gibibyte day' THEN 'GiB-Days'
            WHEN LOWER(COALESCE(src."usage.pricing_unit", src."usage_pricing_unit")) = 'gibibyte month' THEN 'GiB-Months'
            WHEN LOWER(COALESCE(src."usage.pricing_unit", src."usage_pricing_unit")) = 'mebibyte' THEN 'MiB'
            WHEN LOWER(COALESCE(src."usage.pricing_unit", src."usage_pricing_unit")) = 'tebibyte' THEN 'TiB'
            WHEN LOWER(COALESCE(src."usage.pricing_unit", src."usage_pricing_unit")) = 'tebibyte month' THEN 'TiB-Months'
            ELSE UPPER(SUBSTRING(COALESCE(src."usage.pricing_unit", src."usage_pricing_unit"), 1, 1)) || SUBSTRING(COALESCE(src."usage.pricing_unit", src."usage_pricing_unit"), 2)
        END AS pricing_unit,
        TRY_CAST(
            TRIM(COALESCE(src."price.effective_price", src."price_effective_price")) AS DECIMAL(38, 10)
        ) AS effective_price,
        CASE WHEN TRIM(src."credits") IN ('', '[]') THEN NULL ELSE TRIM(src."credits") END
            AS credits_json,
        COALESCE(src."invoice.month", src."invoice_month") AS invoice_month,
        COALESCE(src."invoice.publisher_type", src."invoice_publisher_type") AS publisher_type,
        LOWER(TRIM(COALESCE(src."cost_type", 'regular'))) AS cost_type,
        UPPER(COALESCE(src."adjustment_info.type", src."adjustment_info_type", '')) AS adjustment_type,
        UPPER(COALESCE(src."adjustment_info.mode", src."adjustment_info_mode", '')) AS adjustment_mode,
        src."transaction_type" AS transaction_type,
        src."seller_name" AS seller_name,
        src."export_time" AS export_time
    FROM src
),

t AS (
    SELECT
        n.*,
        -- credits[].amount, summed from the JSON text. A subquery over UNNEST (not a list
        -- function) so Trino, BigQuery and Spark (EXPLODE) run it too.
        COALESCE(
            (
                SELECT SUM(TRY_CAST(amount AS DECIMAL(38, 10)))
                FROM UNNEST(
                    REGEXP_EXTRACT_ALL(credits_json, '"amount"\s*:\s*(-?[0-9][0-9.eE+-]*)', 1)
                ) AS credit(amount)
            ),
            0
        ) AS credit_amount,
        CASE
            WHEN cost_type = 'tax' THEN 'Tax'
            WHEN cost_type = 'adjustment'
                AND adjustment_type IN ('GOODWILL', 'SALES_BASED_GOODWILL', 'SLA_VIOLATION', 'BALANCE_TRANSFER')
                THEN 'Credit'
            WHEN cost_type IN ('adjustment', 'rounding_error') THEN 'Adjustment'
            ELSE 'Usage'
        END AS charge_category,
        -- Committed use discount fees ("Commitment v1: ..." SKUs) are billed monthly for the
        -- commitment, used or not, like AWS's unused-commitment rows: Usage at the committed
        -- price, recurring. (As Purchase, FOCUS would want EffectiveCost 0, and no usage row
        -- carries that money instead: the discounts arrive as credits.)
        CASE WHEN LOWER(COALESCE(sku_description, '')) LIKE 'commitment%' THEN 1 ELSE 0 END
            AS is_commitment_fee,
        -- An array of {"key":..,"value":..} records as one flat object. Label keys and values are
        -- limited to [a-z0-9_-] and system labels carry no quotes or braces, so plain text
        -- replacement is exact on the compact JSON the export writes.
        CASE
            WHEN TRIM(labels_json) IN ('', '[]') THEN NULL
            ELSE REPLACE(REPLACE(REPLACE(REPLACE(TRIM(labels_json),
                '[{"key":', '{'), '},{"key":', ','), ',"value":', ':'), '}]', '}')
        END AS labels_object,
        CASE
            WHEN TRIM(system_labels_json) IN ('', '[]') THEN NULL
            ELSE REPLACE(REPLACE(REPLACE(REPLACE(TRIM(system_labels_json),
                '[{"key":', '{'), '},{"key":', ','), ',"value":', ':'), '}]', '}')
        END AS system_labels_object,
        CASE
            WHEN REGEXP_MATCHES(TRIM(invoice_month), '^[0-9]{6}$')
                THEN CAST(STRPTIME(TRIM(invoice_month) || '01', '%Y%m%d') AS DATE)
        END AS invoice_day,
        TRY_CAST(
            CASE
                WHEN REGEXP_MATCHES(TRIM(usage_start_raw), '^[0-9]{4}-[0-9]{2}-[0-9]{2}$')
                    THEN TRIM(usage_start_raw) || 'T00:00:00Z'
                WHEN REGEXP_MATCHES(TRIM(usage_start_raw), '(Z|UTC|[+-][0-9]{2}(:?[0-9]{2})?)$')
                    THEN TRIM(usage_start_raw)
                ELSE TRIM(usage_start_raw) || 'Z'
            END AS TIMESTAMPTZ
        ) AS usage_start,
        TRY_CAST(
            CASE
                WHEN REGEXP_MATCHES(TRIM(usage_end_raw), '^[0-9]{4}-[0-9]{2}-[0-9]{2}$')
                    THEN TRIM(usage_end_raw) || 'T00:00:00Z'
                WHEN REGEXP_MATCHES(TRIM(usage_end_raw), '(Z|UTC|[+-][0-9]{2}(:?[0-9]{2})?)$')
                    THEN TRIM(usage_end_raw)
                ELSE TRIM(usage_end_raw) || 'Z'
            END AS TIMESTAMPTZ
        ) AS usage_end,
        CASE
            WHEN LOWER(service_description) = 'compute engine' THEN 'Compute|Virtual Machines'
            WHEN LOWER(service_description) LIKE '%kubernetes engine%' THEN 'Compute|Containers'
            WHEN LOWER(service_description) IN ('cloud run', 'cloud run functions', 'cloud functions', 'app engine')
                THEN 'Compute|Serverless Compute'
            WHEN LOWER(service_description) = 'cloud storage' THEN 'Storage|Object Storage'
            WHEN LOWER(service_description) = 'filestore' THEN 'Storage|File Storage'
            WHEN LOWER(service_description) LIKE 'backup%' THEN 'Storage|Backup Storage'
            WHEN LOWER(service_description) IN ('cloud sql', 'alloydb', 'cloud spanner')
                THEN 'Databases|Relational Databases'
            WHEN LOWER(service_description) IN ('cloud bigtable', 'firestore', 'cloud firestore', 'cloud datastore')
                THEN 'Databases|NoSQL Databases'
            WHEN LOWER(service_description) LIKE '%memorystore%' THEN 'Databases|Caching'
            WHEN LOWER(service_description) LIKE 'bigquery%' THEN 'Databases|Data Warehouses'
            WHEN LOWER(service_description) = 'cloud cdn' THEN 'Networking|Content Delivery'
            WHEN LOWER(service_description) = 'cloud armor' THEN 'Networking|Network Security'
            WHEN LOWER(service_description) IN ('cloud dns', 'cloud load balancing') THEN 'Networking|Network Routing'
            WHEN LOWER(service_description) IN ('cloud vpn', 'cloud interconnect', 'cloud nat')
                THEN 'Networking|Network Connectivity'
            WHEN LOWER(service_description) IN ('networking', 'network service tiers', 'virtual private cloud')
                THEN 'Networking|Network Infrastructure'
            WHEN LOWER(service_description) IN ('cloud dataflow', 'dataflow', 'cloud dataproc', 'dataproc', 'cloud data fusion')
                THEN 'Analytics|Data Processing'
            WHEN LOWER(service_description) LIKE 'looker%' THEN 'Analytics|Business Intelligence'
            WHEN LOWER(service_description) IN ('cloud pub/sub', 'pub/sub') THEN 'Integration|Messaging'
            WHEN LOWER(service_description) IN ('cloud composer', 'workflows', 'cloud scheduler', 'cloud tasks')
                THEN 'Integration|Workflow Orchestration'
            WHEN LOWER(service_description) IN ('apigee', 'api gateway') THEN 'Integration|API Management'
            WHEN LOWER(service_description) LIKE '%gemini%' THEN 'AI and Machine Learning|Generative AI'
            WHEN LOWER(service_description) LIKE 'vertex ai%' THEN 'AI and Machine Learning|AI Platforms'
            WHEN LOWER(service_description) IN ('cloud natural language', 'cloud translation', 'cloud speech api', 'speech-to-text')
                THEN 'AI and Machine Learning|Natural Language Processing'
            WHEN LOWER(service_description) = 'cloud vision api' THEN 'AI and Machine Learning|Other (AI and Machine Learning)'
            WHEN LOWER(service_description) IN ('cloud logging', 'cloud monitoring', 'cloud trace', 'stackdriver logging', 'stackdriver monitoring')
                THEN 'Management and Governance|Observability'
            WHEN LOWER(service_description) LIKE '%support%' THEN 'Management and Governance|Support'
            WHEN LOWER(service_description) IN ('secret manager', 'cloud key management service (kms)')
                THEN 'Security|Secret Management'
            WHEN LOWER(service_description) = 'security command center' THEN 'Security|Threat Detection and Response'
            WHEN LOWER(service_description) IN ('identity platform', 'cloud identity') THEN 'Identity|Identity and Access Management'
            WHEN LOWER(service_description) = 'cloud build' THEN 'Developer Tools|Continuous Integration and Deployment'
            WHEN LOWER(service_description) = 'cloud source repositories' THEN 'Developer Tools|Source Code Management'
            WHEN LOWER(service_description) IN ('artifact registry', 'container registry vulnerability scanning')
                THEN 'Developer Tools|Other (Developer Tools)'
            ELSE 'Other|Other (Other)'
        END AS service_pair
    FROM n
),

c AS (
    SELECT
        t.*,
        cost + credit_amount AS billed_cost,
        CASE
            WHEN charge_category IN ('Usage', 'Purchase') THEN COALESCE(pricing_amount, usage_amount)
        END AS pricing_quantity,
        CASE WHEN charge_category IN ('Usage', 'Purchase') THEN effective_price END AS contracted_unit_price
    FROM t
)

SELECT
    CAST(NULLIF(TRIM(zone), '') AS VARCHAR) AS "AvailabilityZone",
    CAST(billed_cost AS DECIMAL(38, 10)) AS "BilledCost",
    CAST(billing_account_id AS VARCHAR) AS "BillingAccountId",
    -- The export carries no account name; FOCUS wants one, and the id is the name users see
    -- next to it in the console.
    CAST(billing_account_id AS VARCHAR) AS "BillingAccountName",
    CAST('Billing Account' AS VARCHAR) AS "BillingAccountType",
    CAST(currency AS VARCHAR) AS "BillingCurrency",
    CAST(CAST(CAST(invoice_day + INTERVAL 1 MONTH AS DATE) AS VARCHAR) || 'T00:00:00Z' AS TIMESTAMPTZ)
        AS "BillingPeriodEnd",
    CAST(CAST(invoice_day AS VARCHAR) || 'T00:00:00Z' AS TIMESTAMPTZ) AS "BillingPeriodStart",
    CAST(NULL AS VARCHAR) AS "CapacityReservationId",
    CAST(NULL AS VARCHAR) AS "CapacityReservationStatus",
    CAST(charge_category AS VARCHAR) AS "ChargeCategory",
    CAST(
        CASE
            WHEN cost_type = 'adjustment'
                AND (adjustment_type LIKE '%CORRECTION%' OR adjustment_mode LIKE '%CORRECTION%' OR adjustment_mode LIKE '%NEGATION%')
                THEN 'Correction'
        END AS VARCHAR
    ) AS "ChargeClass",
    CAST(COALESCE(sku_description, service_description) AS VARCHAR) AS "ChargeDescription",
    CAST(
        CASE
            WHEN is_commitment_fee = 1 THEN 'Recurring'
            WHEN charge_category IN ('Usage', 'Tax') THEN 'Usage-Based'
            ELSE 'One-Time'
        END AS VARCHAR
    ) AS "ChargeFrequency",
    CAST(usage_end AS TIMESTAMPTZ) AS "ChargePeriodEnd",
    CAST(usage_start AS TIMESTAMPTZ) AS "ChargePeriodStart",
    CAST(NULL AS VARCHAR) AS "CommitmentDiscountCategory",
    CAST(NULL AS VARCHAR) AS "CommitmentDiscountId",
    CAST(NULL AS VARCHAR) AS "CommitmentDiscountName",
    CAST(NULL AS DECIMAL(38, 10)) AS "CommitmentDiscountQuantity",
    CAST(NULL AS VARCHAR) AS "CommitmentDiscountStatus",
    CAST(NULL AS VARCHAR) AS "CommitmentDiscountType",
    CAST(NULL AS VARCHAR) AS "CommitmentDiscountUnit",
    CAST(CASE WHEN charge_category = 'Usage' THEN usage_amount END AS DECIMAL(38, 10)) AS "ConsumedQuantity",
    CAST(CASE WHEN charge_category = 'Usage' THEN usage_unit END AS VARCHAR) AS "ConsumedUnit",
    CAST(
        CASE
            WHEN charge_category = 'Credit' THEN billed_cost
            WHEN contracted_unit_price IS NOT NULL AND pricing_quantity IS NOT NULL
                THEN contracted_unit_price * pricing_quantity
            ELSE cost
        END AS DECIMAL(38, 10)
    ) AS "ContractedCost",
    CAST(contracted_unit_price AS DECIMAL(38, 10)) AS "ContractedUnitPrice",
    CAST(billed_cost AS DECIMAL(38, 10)) AS "EffectiveCost",
    CAST(NULL AS VARCHAR) AS "InvoiceId",
    CAST('Google Cloud' AS VARCHAR) AS "InvoiceIssuerName",
    CAST(
        CASE WHEN charge_category = 'Credit' THEN billed_cost ELSE COALESCE(cost_at_list, cost) END
        AS DECIMAL(38, 10)
    ) AS "ListCost",
    CAST(NULL AS DECIMAL(38, 10)) AS "ListUnitPrice",
    CAST(
        CASE
            WHEN charge_category NOT IN ('Usage', 'Purchase') THEN NULL
            WHEN is_commitment_fee = 1 OR credits_json LIKE '%COMMITTED_USAGE_DISCOUNT%' THEN 'Committed'
            WHEN LOWER(COALESCE(sku_description, '')) LIKE '%spot%'
                OR LOWER(COALESCE(sku_description, '')) LIKE '%preemptible%'
                THEN 'Dynamic'
            ELSE 'Standard'
        END AS VARCHAR
    ) AS "PricingCategory",
    CAST(currency AS VARCHAR) AS "PricingCurrency",
    CAST(contracted_unit_price AS DECIMAL(38, 10)) AS "PricingCurrencyContractedUnitPrice",
    CAST(billed_cost AS DECIMAL(38, 10)) AS "PricingCurrencyEffectiveCost",
    CAST(NULL AS DECIMAL(38, 10)) AS "PricingCurrencyListUnitPrice",
    CAST(pricing_quantity AS DECIMAL(38, 10)) AS "PricingQuantity",
    CAST(
        CASE WHEN pricing_quantity IS NOT NULL THEN COALESCE(pricing_unit, usage_unit) END AS VARCHAR
    ) AS "PricingUnit",
    CAST('Google Cloud' AS VARCHAR) AS "ProviderName",
    CAST(
        CASE
            WHEN UPPER(COALESCE(transaction_type, '')) LIKE 'THIRD_PARTY%'
                OR LOWER(COALESCE(publisher_type, '')) = 'marketplace'
                THEN COALESCE(NULLIF(TRIM(seller_name), ''), 'Google Cloud Marketplace')
            ELSE 'Google Cloud'
        END AS VARCHAR
    ) AS "PublisherName",
    CAST(NULLIF(TRIM(region), '') AS VARCHAR) AS "RegionId",
    CAST(NULLIF(TRIM(region), '') AS VARCHAR) AS "RegionName",
    CAST(COALESCE(NULLIF(resource_global_name, ''), NULLIF(resource_name, '')) AS VARCHAR) AS "ResourceId",
    CAST(
        COALESCE(
            NULLIF(resource_name, ''),
            NULLIF(REGEXP_EXTRACT(resource_global_name, '/([^/]+)$', 1), '')
        ) AS VARCHAR
    ) AS "ResourceName",
    CAST(
        CASE
            WHEN COALESCE(NULLIF(resource_global_name, ''), NULLIF(resource_name, '')) IS NULL THEN NULL
            WHEN REGEXP_MATCHES(COALESCE(resource_global_name, ''), '^//[^/]+/.+/[^/]+/[^/]+$')
                THEN REGEXP_EXTRACT(resource_global_name, '^//([^/]+)/', 1) || '/'
                    || REGEXP_EXTRACT(resource_global_name, '/([^/]+)/[^/]+$', 1)
            ELSE service_description
        END AS VARCHAR
    ) AS "ResourceType",
    CAST(SUBSTRING(service_pair, 1, STRPOS(service_pair, '|') - 1) AS VARCHAR) AS "ServiceCategory",
    CAST(COALESCE(service_description, service_id, 'Unknown') AS VARCHAR) AS "ServiceName",
    CAST(SUBSTRING(service_pair, STRPOS(service_pair, '|') + 1) AS VARCHAR) AS "ServiceSubcategory",
    CAST(CASE WHEN charge_category <> 'Tax' THEN sku_id END AS VARCHAR) AS "SkuId",
    CAST(CASE WHEN charge_category <> 'Tax' THEN sku_description END AS VARCHAR) AS "SkuMeter",
    CAST(NULL AS VARCHAR) AS "SkuPriceDetails",
    CAST(CASE WHEN charge_category <> 'Tax' THEN sku_id END AS VARCHAR) AS "SkuPriceId",
    CAST(project_id AS VARCHAR) AS "SubAccountId",
    CAST(project_name AS VARCHAR) AS "SubAccountName",
    CAST(CASE WHEN project_id IS NOT NULL THEN 'Project' END AS VARCHAR) AS "SubAccountType",
    CAST(
        CASE
            WHEN labels_object IS NULL THEN system_labels_object
            WHEN system_labels_object IS NULL THEN labels_object
            ELSE SUBSTRING(labels_object, 1, LENGTH(labels_object) - 1) || ','
                || SUBSTRING(system_labels_object, 2)
        END AS VARCHAR
    ) AS "Tags",
    CAST(credit_amount AS DECIMAL(38, 10)) AS "x_CreditAmount",
    CAST(credits_json AS VARCHAR) AS "x_Credits",
    CAST(cost_type AS VARCHAR) AS "x_CostType",
    CAST(export_time AS VARCHAR) AS "x_ExportTime",
    CAST(invoice_month AS VARCHAR) AS "x_InvoiceMonth",
    CAST(location AS VARCHAR) AS "x_Location",
    CAST(project_number AS VARCHAR) AS "x_ProjectNumber",
    CAST(service_id AS VARCHAR) AS "x_ServiceId"
FROM c
