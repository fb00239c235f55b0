-- Azure Cost Management cost details (actual OR amortized; EA, MCA and pay-as-you-go column
-- variants) -> FOCUS 1.2 Cost and Usage.
--
-- Input: the relation `src`, every raw column AS VARCHAR under its file name (nulls already NULL,
-- BOM stripped). A column a variant lacks must exist as NULL (the reader adds the columns this
-- mapping references, see sources.py); variants are COALESCEd below:
--   cost      CostInBillingCurrency (MCA, newer EA) | Cost (older EA) | PreTaxCost (PAYG)
--   currency  BillingCurrencyCode | BillingCurrency | Currency
--   ids       SubscriptionId | SubscriptionGuid ; ResourceGroup | ResourceGroupName ;
--             ResourceId | InstanceName ; BenefitId | benefitId (same column, names fold case)
--   dates     Date | UsageDate, and BillingPeriodStartDate/EndDate, written MM/DD/YYYY (EA,
--             also M/D/YYYY), YYYY-MM-DD or ISO date-times (MCA, Parquet)
--
-- Actual vs amortized is not written in the file, so it is detected from the rows (CTE `ds`):
--   * amortized: a row of commitment usage that carries cost (ChargeType Usage with PricingModel
--     Reservation/SavingsPlan and cost <> 0) or an UnusedReservation/UnusedSavingsPlan row --
--     Azure writes both only in amortized data;
--   * actual: otherwise (a file without commitments is identical in both datasets).
--   x_CostDataset says which ("ActualCost", "AmortizedCost", or "Mixed" when commitment
--   purchases -- actual only -- sit next to amortized rows: both datasets were fed in together,
--   which double counts on-demand rows; a run must convert one dataset).
-- Costs per row (cost = the row's cost column):
--   covered commitment usage and unused commitment: BilledCost 0 (paid by the purchase),
--     EffectiveCost = cost (the amortized share in amortized data, 0 in actual data);
--   commitment purchase/refund: BilledCost = cost, EffectiveCost 0 (FOCUS: a purchase that
--     covers future charges has no effective cost; its cost is on the amortized usage rows);
--   everything else: BilledCost = EffectiveCost = cost.
--   => actual data: SUM(BilledCost) = SUM(cost) = the invoice basis, but EffectiveCost lacks the
--      commitments (actual data carries no amortization: convert the amortized export for
--      allocation); amortized data: SUM(EffectiveCost) = SUM(cost), BilledCost lacks commitment
--      purchases (they are only in the actual export).
-- Ids follow Microsoft's own FOCUS export so rows from azure-cost and azure-focus agree:
-- BillingAccountId/SubAccountId are ARM paths, ResourceId and CommitmentDiscountId lower case.
WITH n AS (
    SELECT
        COALESCE(src."CostInBillingCurrency", src."Cost", src."PreTaxCost") AS cost_raw,
        UPPER(TRIM(COALESCE(src."BillingCurrencyCode", src."BillingCurrency", src."Currency")))
            AS currency,
        src."BillingAccountId" AS billing_account_raw,
        src."BillingAccountName" AS billing_account_name_raw,
        src."BillingProfileId" AS billing_profile_id,
        src."BillingProfileName" AS billing_profile_name,
        COALESCE(src."SubscriptionId", src."SubscriptionGuid") AS subscription_id,
        src."SubscriptionName" AS subscription_name,
        COALESCE(src."ResourceGroup", src."ResourceGroupName") AS resource_group,
        COALESCE(src."ResourceId", src."InstanceName") AS resource_id_raw,
        src."ResourceName" AS resource_name_raw,
        COALESCE(src."Date", src."UsageDate") AS date_raw,
        src."BillingPeriodStartDate" AS bp_start_raw,
        src."BillingPeriodEndDate" AS bp_end_raw,
        COALESCE(src."ProductName", src."Product") AS product_name,
        src."ChargeType" AS charge_type,
        LOWER(TRIM(COALESCE(src."ChargeType", ''))) AS charge_type_l,
        LOWER(REPLACE(TRIM(COALESCE(src."PricingModel", '')), ' ', '')) AS pricing_model_l,
        src."PricingModel" AS pricing_model,
        LOWER(TRIM(COALESCE(src."ConsumedService", ''))) AS consumed_service_l,
        src."ConsumedService" AS consumed_service,
        src."MeterCategory" AS meter_category,
        LOWER(TRIM(src."MeterCategory")) AS meter_category_l,
        src."MeterSubCategory" AS meter_subcategory,
        src."MeterName" AS meter_name,
        src."MeterId" AS meter_id,
        src."UnitOfMeasure" AS unit_of_measure,
        src."Frequency" AS frequency,
        COALESCE(src."BenefitId", src."ReservationId") AS benefit_id,
        COALESCE(src."BenefitName", src."ReservationName") AS benefit_name,
        COALESCE(src."ResourceLocation", src."Location") AS location_raw,
        src."AvailabilityZone" AS availability_zone,
        COALESCE(src."ProductId", src."PartNumber") AS sku_id,
        src."PartnerName" AS partner_name,
        src."PublisherName" AS publisher_name_raw,
        src."PublisherType" AS publisher_type,
        src."InvoiceId" AS invoice_id,
        src."Tags" AS tags_raw,
        src."Quantity" AS quantity_raw,
        src."UnitPrice" AS unit_price_raw,
        src."PayGPrice" AS payg_price_raw,
        src."EffectivePrice" AS effective_price_raw,
        src."PricingCurrency" AS pricing_currency_raw,
        src."CostInPricingCurrency" AS cost_in_pricing_currency_raw,
        src."ExchangeRatePricingToBilling" AS exchange_rate_raw,
        src."AccountName" AS account_name,
        src."AccountOwnerId" AS account_owner_id,
        src."CostAllocationRuleName" AS cost_allocation_rule_name,
        src."CostCenter" AS cost_center,
        src."InvoiceSectionId" AS invoice_section_id,
        COALESCE(src."InvoiceSectionName", src."InvoiceSection") AS invoice_section_name,
        src."OfferId" AS offer_id,
        src."PartNumber" AS part_number,
        src."ServiceFamily" AS service_family,
        src."Term" AS term
    FROM src
),

-- Typed values. Dates are days: MM/DD/YYYY (also M/D/YYYY), YYYY-MM-DD[...] or YYYYMMDD.
t AS (
    SELECT
        n.*,
        TRY_CAST(TRIM(cost_raw) AS DECIMAL(38, 10)) AS cost,
        TRY_CAST(TRIM(quantity_raw) AS DECIMAL(38, 10)) AS quantity,
        TRY_CAST(TRIM(unit_price_raw) AS DECIMAL(38, 10)) AS unit_price,
        TRY_CAST(TRIM(payg_price_raw) AS DECIMAL(38, 10)) AS payg_price,
        TRY_CAST(TRIM(effective_price_raw) AS DECIMAL(38, 10)) AS effective_price,
        TRY_CAST(TRIM(cost_in_pricing_currency_raw) AS DECIMAL(38, 10)) AS cost_in_pricing_currency,
        TRY_CAST(TRIM(exchange_rate_raw) AS DECIMAL(38, 10)) AS exchange_rate,
        UPPER(TRIM(pricing_currency_raw)) AS pricing_currency,
        CASE
            WHEN REGEXP_MATCHES(TRIM(date_raw), '^[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}')
                THEN CAST(STRPTIME(REGEXP_EXTRACT(TRIM(date_raw), '^([0-9]{1,2}/[0-9]{1,2}/[0-9]{4})', 1), '%m/%d/%Y') AS DATE)
            WHEN REGEXP_MATCHES(TRIM(date_raw), '^[0-9]{4}-[0-9]{2}-[0-9]{2}')
                THEN CAST(SUBSTRING(TRIM(date_raw), 1, 10) AS DATE)
            WHEN REGEXP_MATCHES(TRIM(date_raw), '^[0-9]{8}$')
                THEN CAST(STRPTIME(TRIM(date_raw), '%Y%m%d') AS DATE)
        END AS usage_day,
        CASE
            WHEN REGEXP_MATCHES(TRIM(bp_start_raw), '^[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}')
                THEN CAST(STRPTIME(REGEXP_EXTRACT(TRIM(bp_start_raw), '^([0-9]{1,2}/[0-9]{1,2}/[0-9]{4})', 1), '%m/%d/%Y') AS DATE)
            WHEN REGEXP_MATCHES(TRIM(bp_start_raw), '^[0-9]{4}-[0-9]{2}-[0-9]{2}')
                THEN CAST(SUBSTRING(TRIM(bp_start_raw), 1, 10) AS DATE)
            WHEN REGEXP_MATCHES(TRIM(bp_start_raw), '^[0-9]{8}$')
                THEN CAST(STRPTIME(TRIM(bp_start_raw), '%Y%m%d') AS DATE)
        END AS bp_start_day,
        CASE
            WHEN REGEXP_MATCHES(TRIM(bp_end_raw), '^[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}')
                THEN CAST(STRPTIME(REGEXP_EXTRACT(TRIM(bp_end_raw), '^([0-9]{1,2}/[0-9]{1,2}/[0-9]{4})', 1), '%m/%d/%Y') AS DATE)
            WHEN REGEXP_MATCHES(TRIM(bp_end_raw), '^[0-9]{4}-[0-9]{2}-[0-9]{2}')
                THEN CAST(SUBSTRING(TRIM(bp_end_raw), 1, 10) AS DATE)
            WHEN REGEXP_MATCHES(TRIM(bp_end_raw), '^[0-9]{8}$')
                THEN CAST(STRPTIME(TRIM(bp_end_raw), '%Y%m%d') AS DATE)
        END AS bp_end_day,
        -- Reservation and savings plan rows: by pricing model, benefit ids or the two resource
        -- providers that sell commitments (the rule Microsoft's own converter uses).
        CASE
            WHEN pricing_model_l IN ('reservation', 'savingsplan')
                OR consumed_service_l IN ('microsoft.capacity', 'microsoft.billingbenefits')
                OR benefit_id IS NOT NULL
                THEN 1
            ELSE 0
        END AS is_commitment,
        CASE
            WHEN LOWER(COALESCE(benefit_id, '')) LIKE '%microsoft.billingbenefits%'
                OR pricing_model_l = 'savingsplan'
                OR charge_type_l = 'unusedsavingsplan'
                THEN 'Savings Plan'
            WHEN benefit_id IS NOT NULL
                OR pricing_model_l = 'reservation'
                OR charge_type_l = 'unusedreservation'
                THEN 'Reservation'
        END AS commitment_type
    FROM n
),

-- Which dataset the rows come from (see the header). Read from src, not from t, so each CTE is
-- used once and the engine streams rows instead of materializing them (a second, cheap scan).
ds AS (
    SELECT
        MAX(
            CASE
                WHEN LOWER(src."ChargeType") IN ('unusedreservation', 'unusedsavingsplan') THEN 1
                WHEN LOWER(src."ChargeType") = 'usage'
                    AND LOWER(REPLACE(src."PricingModel", ' ', '')) IN ('reservation', 'savingsplan')
                    AND TRY_CAST(COALESCE(src."CostInBillingCurrency", src."Cost", src."PreTaxCost") AS DECIMAL(38, 10)) <> 0
                    THEN 1
                ELSE 0
            END
        ) AS has_amortized,
        MAX(
            CASE
                WHEN LOWER(src."ChargeType") IN ('purchase', 'refund')
                    AND (
                        LOWER(REPLACE(src."PricingModel", ' ', '')) IN ('reservation', 'savingsplan')
                        OR LOWER(src."ConsumedService") IN ('microsoft.capacity', 'microsoft.billingbenefits')
                        OR COALESCE(src."BenefitId", src."ReservationId") IS NOT NULL
                    )
                    AND TRY_CAST(COALESCE(src."CostInBillingCurrency", src."Cost", src."PreTaxCost") AS DECIMAL(38, 10)) <> 0
                    THEN 1
                ELSE 0
            END
        ) AS has_commitment_purchase
    FROM src
),

r AS (
    SELECT
        t.*,
        CASE
            WHEN ds.has_amortized = 1 AND ds.has_commitment_purchase = 1 THEN 'Mixed'
            WHEN ds.has_amortized = 1 THEN 'AmortizedCost'
            ELSE 'ActualCost'
        END AS dataset,
        -- MCA quotes prices in the pricing currency; FOCUS unit prices are in the billing one.
        CASE
            WHEN pricing_currency IS NULL OR pricing_currency = currency THEN CAST(1 AS DECIMAL(38, 10))
            ELSE exchange_rate
        END AS price_rate,
        CASE
            WHEN charge_type_l IN ('usage', 'unusedreservation', 'unusedsavingsplan') THEN 'Usage'
            WHEN charge_type_l IN ('purchase', 'refund') THEN 'Purchase'
            WHEN charge_type_l = 'tax' THEN 'Tax'
            WHEN charge_type_l = 'credit' THEN 'Credit'
            ELSE 'Adjustment'
        END AS charge_category,
        -- Usage paid for by a reservation or savings plan, or the unused part of one.
        CASE
            WHEN charge_type_l IN ('unusedreservation', 'unusedsavingsplan') THEN 1
            WHEN charge_type_l = 'usage' AND pricing_model_l IN ('reservation', 'savingsplan')
                THEN 1
            ELSE 0
        END AS is_covered,
        CASE
            WHEN charge_type_l IN ('purchase', 'refund') AND is_commitment = 1 THEN 1 ELSE 0
        END AS is_commitment_purchase,
        -- EA/MCA/PAYG as Microsoft's converter tells them apart: an EA enrollment is its own
        -- billing profile; an MCA billing profile is a separate id.
        CASE
            WHEN billing_profile_id IS NOT NULL AND billing_profile_id = billing_account_raw
                THEN 'EA'
            WHEN billing_profile_id IS NOT NULL AND billing_profile_id <> COALESCE(subscription_id, '')
                THEN 'MCA'
            ELSE 'Other'
        END AS agreement,
        CASE
            WHEN location_raw IS NULL
                OR LOWER(TRIM(location_raw)) IN ('', 'unassigned', 'unknown', 'global', 'all regions', 'n/a')
                THEN NULL
            ELSE LOWER(REPLACE(TRIM(location_raw), ' ', ''))
        END AS region_id,
        -- "10K", "1 Hour", "100 Hours", "10 GB/Month": the leading number (and K/M) is the
        -- block size the price is quoted for; Quantity counts blocks. FOCUS wants one unit
        -- (PricingUnit in its Unit Format), so quantities are multiplied by the block size and
        -- prices divided by it, as Microsoft's own FOCUS export does (x_PricingBlockSize).
        COALESCE(
            TRY_CAST(NULLIF(REGEXP_EXTRACT(TRIM(unit_of_measure), '^([0-9]+(\.[0-9]+)?)', 1), '') AS DECIMAL(38, 10)),
            1
        )
        * CASE
            WHEN REGEXP_MATCHES(TRIM(unit_of_measure), '^[0-9.]+ ?K( |$)') THEN 1000
            WHEN REGEXP_MATCHES(TRIM(unit_of_measure), '^[0-9.]+ ?M( |$)') THEN 1000000
            ELSE 1
        END AS block_size,
        NULLIF(
            TRIM(REGEXP_REPLACE(REGEXP_REPLACE(TRIM(unit_of_measure), '^[0-9.]+ ?[KM]?( |$)', ''), '^[0-9.]+/', '')),
            ''
        ) AS unit_name
    FROM t
    CROSS JOIN ds
),

-- Costs and prices, by the rules in the header.
c AS (
    SELECT
        r.*,
        CASE WHEN is_covered = 1 THEN CAST(0 AS DECIMAL(38, 10)) ELSE cost END AS billed_cost,
        CASE WHEN is_commitment_purchase = 1 THEN CAST(0 AS DECIMAL(38, 10)) ELSE cost END
            AS effective_cost,
        -- EA writes PayGPrice 0 on reservation rows; the negotiated price is then the best
        -- list price known (never below the contracted one).
        CASE
            WHEN charge_category IN ('Usage', 'Purchase') AND charge_type_l <> 'refund'
                THEN CAST(
                    CASE
                        WHEN payg_price IS NULL OR (payg_price = 0 AND unit_price > 0) THEN unit_price
                        ELSE payg_price
                    END / block_size AS DECIMAL(38, 10)
                )
        END AS list_unit_price_pc,
        CASE
            WHEN charge_category IN ('Usage', 'Purchase') AND charge_type_l <> 'refund'
                THEN CAST(unit_price / block_size AS DECIMAL(38, 10))
        END AS contracted_unit_price_pc,
        -- The unit in FOCUS Unit Format: "Hours", "GB-Months", "Units" for a bare count.
        CASE
            WHEN unit_name IS NULL THEN 'Units'
            WHEN LOWER(unit_name) IN ('hour', 'hours', 'hr', 'hrs') THEN 'Hours'
            WHEN LOWER(unit_name) IN ('day', 'days') THEN 'Days'
            WHEN LOWER(unit_name) IN ('month', 'months') THEN 'Months'
            WHEN LOWER(unit_name) IN ('minute', 'minutes') THEN 'Minutes'
            WHEN LOWER(unit_name) IN ('second', 'seconds') THEN 'Seconds'
            WHEN unit_name LIKE '%/Month' THEN REPLACE(unit_name, '/Month', '-Months')
            WHEN unit_name LIKE '%/Day' THEN REPLACE(unit_name, '/Day', '-Days')
            WHEN unit_name LIKE '%/Hour' THEN REPLACE(unit_name, '/Hour', '-Hours')
            ELSE unit_name
        END AS unit,
        -- "ServiceCategory|ServiceSubcategory" of the ServiceName (the meter category; the
        -- resource provider when a row has none), and of nothing else: FOCUS allows one
        -- category per ServiceName, and a "Storage" meter is billed by Microsoft.Compute (disks)
        -- as well as Microsoft.Storage, so classifying by provider split it across two.
        CASE WHEN meter_category_l IS NULL THEN CASE
                WHEN consumed_service_l = 'microsoft.compute' THEN 'Compute|Virtual Machines'
                WHEN consumed_service_l IN ('microsoft.containerservice', 'microsoft.containerinstance', 'microsoft.app')
                    THEN 'Compute|Containers'
                WHEN consumed_service_l = 'microsoft.desktopvirtualization' THEN 'Compute|End User Computing'
                WHEN consumed_service_l IN ('microsoft.classiccompute', 'microsoft.batch', 'microsoft.avs', 'microsoft.servicefabric')
                    THEN 'Compute|Other (Compute)'
                WHEN consumed_service_l IN ('microsoft.web', 'microsoft.signalrservice') THEN 'Web|Application Platforms'
                WHEN consumed_service_l IN ('microsoft.recoveryservices', 'microsoft.dataprotection')
                    THEN 'Storage|Backup Storage'
                WHEN consumed_service_l IN ('microsoft.netapp', 'microsoft.storagesync') THEN 'Storage|File Storage'
                WHEN consumed_service_l = 'microsoft.elasticsan' THEN 'Storage|Block Storage'
                WHEN consumed_service_l IN ('microsoft.storage', 'microsoft.classicstorage') THEN 'Storage|Storage Platforms'
                WHEN consumed_service_l IN ('microsoft.sql', 'microsoft.dbformysql', 'microsoft.dbforpostgresql', 'microsoft.dbformariadb')
                    THEN 'Databases|Relational Databases'
                WHEN consumed_service_l = 'microsoft.documentdb' THEN 'Databases|NoSQL Databases'
                WHEN consumed_service_l = 'microsoft.cache' THEN 'Databases|Caching'
                WHEN consumed_service_l IN ('microsoft.cdn', 'microsoft.frontdoor') THEN 'Networking|Content Delivery'
                WHEN consumed_service_l IN ('microsoft.network', 'microsoft.classicnetwork')
                    THEN 'Networking|Network Infrastructure'
                WHEN consumed_service_l IN ('microsoft.synapse', 'microsoft.kusto', 'microsoft.fabric')
                    THEN 'Analytics|Analytics Platforms'
                WHEN consumed_service_l IN ('microsoft.databricks', 'microsoft.hdinsight', 'microsoft.datalakeanalytics', 'microsoft.datalakestore')
                    THEN 'Analytics|Data Processing'
                WHEN consumed_service_l = 'microsoft.streamanalytics' THEN 'Analytics|Streaming Analytics'
                WHEN consumed_service_l = 'microsoft.powerbidedicated' THEN 'Analytics|Business Intelligence'
                WHEN consumed_service_l = 'microsoft.search' THEN 'Analytics|Search'
                WHEN consumed_service_l IN ('microsoft.servicebus', 'microsoft.eventhub', 'microsoft.eventgrid', 'microsoft.relay', 'microsoft.notificationhubs')
                    THEN 'Integration|Messaging'
                WHEN consumed_service_l IN ('microsoft.logic', 'microsoft.datafactory') THEN 'Integration|Workflow Orchestration'
                WHEN consumed_service_l = 'microsoft.apimanagement' THEN 'Integration|API Management'
                WHEN consumed_service_l = 'microsoft.machinelearningservices' THEN 'AI and Machine Learning|Machine Learning'
                WHEN consumed_service_l = 'microsoft.cognitiveservices' THEN 'AI and Machine Learning|AI Platforms'
                WHEN consumed_service_l = 'microsoft.botservice' THEN 'AI and Machine Learning|Bots'
                WHEN consumed_service_l IN ('microsoft.operationalinsights', 'microsoft.insights', 'microsoft.monitor', 'microsoft.dashboard', 'microsoft.operationsmanagement')
                    THEN 'Management and Governance|Observability'
                WHEN consumed_service_l = 'microsoft.advisor' THEN 'Management and Governance|Architecture'
                WHEN consumed_service_l = 'microsoft.costmanagement' THEN 'Management and Governance|Cost Management'
                WHEN consumed_service_l IN ('microsoft.automation', 'microsoft.portal', 'microsoft.resources')
                    THEN 'Management and Governance|Other (Management and Governance)'
                WHEN consumed_service_l = 'microsoft.keyvault' THEN 'Security|Secret Management'
                WHEN consumed_service_l IN ('microsoft.security', 'microsoft.securityinsights')
                    THEN 'Security|Threat Detection and Response'
                WHEN consumed_service_l IN ('microsoft.aad', 'microsoft.azureactivedirectory', 'microsoft.managedidentity')
                    THEN 'Identity|Identity and Access Management'
                WHEN consumed_service_l IN ('microsoft.devices', 'microsoft.iotcentral') THEN 'Internet of Things|IoT Platforms'
                WHEN consumed_service_l = 'microsoft.digitaltwins' THEN 'Internet of Things|Other (Internet of Things)'
                WHEN consumed_service_l = 'microsoft.devtestlab' THEN 'Developer Tools|Development Environments'
                WHEN consumed_service_l = 'microsoft.visualstudio' THEN 'Developer Tools|Developer Platforms'
                WHEN consumed_service_l = 'microsoft.loadtestservice' THEN 'Developer Tools|Quality Assurance'
                WHEN consumed_service_l IN ('microsoft.containerregistry', 'microsoft.appconfiguration')
                    THEN 'Developer Tools|Other (Developer Tools)'
                WHEN consumed_service_l = 'microsoft.media' THEN 'Media|Media Streaming'
                WHEN consumed_service_l = 'microsoft.communication' THEN 'Media|Other (Media)'
                WHEN consumed_service_l = 'microsoft.migrate' THEN 'Migration|Resource Migration'
                WHEN consumed_service_l = 'microsoft.datamigration' THEN 'Migration|Data Migration'
                ELSE 'Other|Other (Other)'
            END
            WHEN meter_category_l IN ('virtual machines', 'virtual machines licenses', 'specialized compute', 'dedicated host', 'azure dedicated host')
                THEN 'Compute|Virtual Machines'
            WHEN meter_category_l IN ('azure kubernetes service', 'container instances', 'azure container apps', 'azure container service', 'azure red hat openshift')
                THEN 'Compute|Containers'
            WHEN meter_category_l IN ('functions', 'azure functions') THEN 'Compute|Serverless Compute'
            WHEN meter_category_l IN ('azure virtual desktop', 'windows virtual desktop') THEN 'Compute|End User Computing'
            WHEN meter_category_l = 'azure quantum' THEN 'Compute|Quantum Compute'
            WHEN meter_category_l IN ('cloud services', 'batch', 'azure batch', 'azure vmware solution', 'service fabric')
                THEN 'Compute|Other (Compute)'
            WHEN meter_category_l IN ('azure app service', 'app service', 'signalr', 'azure signalr service', 'azure spring apps', 'azure spring cloud', 'azure static web apps')
                THEN 'Web|Application Platforms'
            WHEN meter_category_l = 'backup' THEN 'Storage|Backup Storage'
            WHEN meter_category_l IN ('azure netapp files', 'azure file sync', 'azure managed lustre') THEN 'Storage|File Storage'
            WHEN meter_category_l IN ('azure elastic san', 'elastic san') THEN 'Storage|Block Storage'
            WHEN meter_category_l IN ('data lake store', 'azure data lake storage') THEN 'Storage|Object Storage'
            WHEN meter_category_l IN ('azure data box', 'storsimple', 'azure container storage') THEN 'Storage|Other (Storage)'
            WHEN meter_category_l IN ('sql database', 'sql managed instance', 'azure database for mysql', 'azure database for postgresql', 'azure database for mariadb', 'sql server stretch database')
                THEN 'Databases|Relational Databases'
            WHEN meter_category_l = 'sql data warehouse' THEN 'Databases|Data Warehouses'
            WHEN meter_category_l = 'azure cosmos db' THEN 'Databases|NoSQL Databases'
            WHEN meter_category_l IN ('redis cache', 'azure cache for redis', 'azure managed redis') THEN 'Databases|Caching'
            WHEN meter_category_l = 'bandwidth' THEN 'Networking|Network Connectivity'
            WHEN meter_category_l IN ('vpn gateway', 'expressroute', 'virtual wan', 'nat gateway') THEN 'Networking|Network Connectivity'
            WHEN meter_category_l IN ('virtual network', 'networking', 'ip addresses') THEN 'Networking|Network Infrastructure'
            WHEN meter_category_l IN ('load balancer', 'application gateway') THEN 'Networking|Application Networking'
            WHEN meter_category_l IN ('azure dns', 'dns', 'traffic manager') THEN 'Networking|Network Routing'
            WHEN meter_category_l IN ('azure firewall', 'azure firewall manager', 'azure ddos protection', 'ddos protection', 'azure bastion')
                THEN 'Networking|Network Security'
            WHEN meter_category_l IN ('content delivery network', 'azure cdn', 'azure front door service', 'azure front door')
                THEN 'Networking|Content Delivery'
            WHEN meter_category_l IN ('azure synapse analytics', 'azure data explorer', 'microsoft fabric') THEN 'Analytics|Analytics Platforms'
            WHEN meter_category_l IN ('azure databricks', 'hdinsight', 'data lake analytics') THEN 'Analytics|Data Processing'
            WHEN meter_category_l = 'stream analytics' THEN 'Analytics|Streaming Analytics'
            WHEN meter_category_l IN ('power bi embedded', 'power bi', 'azure analysis services') THEN 'Analytics|Business Intelligence'
            WHEN meter_category_l IN ('azure cognitive search', 'azure ai search', 'search') THEN 'Analytics|Search'
            WHEN meter_category_l IN ('service bus', 'event hubs', 'event grid', 'notification hubs', 'azure relay', 'azure web pubsub')
                THEN 'Integration|Messaging'
            WHEN meter_category_l IN ('logic apps', 'azure data factory v2', 'azure data factory') THEN 'Integration|Workflow Orchestration'
            WHEN meter_category_l = 'api management' THEN 'Integration|API Management'
            WHEN meter_category_l IN ('machine learning', 'azure machine learning', 'machine learning studio', 'machine learning service')
                THEN 'AI and Machine Learning|Machine Learning'
            WHEN meter_category_l IN ('azure openai', 'azure openai service') THEN 'AI and Machine Learning|Generative AI'
            WHEN meter_category_l IN ('cognitive services', 'azure ai services') THEN 'AI and Machine Learning|AI Platforms'
            WHEN meter_category_l IN ('azure bot service', 'bot service') THEN 'AI and Machine Learning|Bots'
            WHEN meter_category_l IN ('log analytics', 'azure monitor', 'insight and analytics', 'application insights', 'network watcher', 'azure managed grafana')
                THEN 'Management and Governance|Observability'
            WHEN meter_category_l = 'azure site recovery' THEN 'Management and Governance|Disaster Recovery'
            WHEN meter_category_l = 'cost management' THEN 'Management and Governance|Cost Management'
            WHEN meter_category_l IN ('support', 'azure support') THEN 'Management and Governance|Support'
            WHEN meter_category_l = 'automation' THEN 'Management and Governance|Other (Management and Governance)'
            WHEN meter_category_l IN ('key vault', 'azure dedicated hsm') THEN 'Security|Secret Management'
            WHEN meter_category_l IN ('microsoft defender for cloud', 'azure defender', 'security center', 'advanced threat protection', 'advanced data security', 'microsoft sentinel', 'sentinel')
                THEN 'Security|Threat Detection and Response'
            WHEN meter_category_l IN ('azure active directory', 'azure active directory b2c', 'azure active directory domain services', 'microsoft entra id', 'microsoft entra external id', 'microsoft entra domain services')
                THEN 'Identity|Identity and Access Management'
            WHEN meter_category_l IN ('iot hub', 'iot central', 'azure iot hub', 'azure iot central', 'azure sphere', 'windows 10 iot core services')
                THEN 'Internet of Things|IoT Platforms'
            WHEN meter_category_l IN ('time series insights', 'azure time series insights') THEN 'Internet of Things|IoT Analytics'
            WHEN meter_category_l = 'azure digital twins' THEN 'Internet of Things|Other (Internet of Things)'
            WHEN meter_category_l IN ('azure lab services', 'azure devtest labs', 'microsoft dev box') THEN 'Developer Tools|Development Environments'
            WHEN meter_category_l IN ('visual studio subscription', 'azure devops', 'visual studio') THEN 'Developer Tools|Developer Platforms'
            WHEN meter_category_l = 'azure load testing' THEN 'Developer Tools|Quality Assurance'
            WHEN meter_category_l IN ('container registry', 'app configuration') THEN 'Developer Tools|Other (Developer Tools)'
            WHEN meter_category_l IN ('media services', 'azure media services') THEN 'Media|Media Streaming'
            WHEN meter_category_l = 'azure communication services' THEN 'Media|Other (Media)'
            WHEN meter_category_l IN ('azure database migration service', 'database migration service') THEN 'Migration|Data Migration'
            WHEN meter_category_l = 'azure migrate' THEN 'Migration|Resource Migration'
            WHEN meter_category_l IN ('azure arc', 'azure stack', 'azure stack hci') THEN 'Multicloud|Multicloud Integration'
            -- A meter category not listed: by the words in its name, still nothing but the name.
            WHEN meter_category_l LIKE '%virtual machine%' THEN 'Compute|Virtual Machines'
            WHEN meter_category_l LIKE '%storage%' THEN 'Storage|Storage Platforms'
            WHEN meter_category_l LIKE '%sql%' OR meter_category_l LIKE '%database%' THEN 'Databases|Relational Databases'
            WHEN meter_category_l LIKE '%cosmos%' THEN 'Databases|NoSQL Databases'
            WHEN meter_category_l LIKE '%redis%' THEN 'Databases|Caching'
            WHEN meter_category_l LIKE '%network%' THEN 'Networking|Other (Networking)'
            ELSE 'Other|Other (Other)'
        END AS service_pair,
        CASE WHEN charge_category <> 'Tax' THEN quantity * block_size END AS pricing_quantity
    FROM r
),

p AS (
    SELECT
        c.*,
        CAST(list_unit_price_pc * price_rate AS DECIMAL(38, 10)) AS list_unit_price,
        CAST(contracted_unit_price_pc * price_rate AS DECIMAL(38, 10)) AS contracted_unit_price
    FROM c
)

SELECT
    CAST(NULLIF(TRIM(availability_zone), '') AS VARCHAR) AS "AvailabilityZone",
    CAST(billed_cost AS DECIMAL(38, 10)) AS "BilledCost",
    CAST(
        CASE agreement
            WHEN 'EA' THEN '/providers/Microsoft.Billing/billingAccounts/' || billing_account_raw
            WHEN 'MCA' THEN '/providers/Microsoft.Billing/billingAccounts/' || billing_account_raw
                || '/billingProfiles/' || billing_profile_id
            ELSE COALESCE(
                '/providers/Microsoft.Billing/billingAccounts/' || billing_account_raw,
                '/subscriptions/' || subscription_id
            )
        END AS VARCHAR
    ) AS "BillingAccountId",
    CAST(
        CASE agreement
            WHEN 'MCA' THEN COALESCE(billing_profile_name, billing_account_name_raw)
            ELSE COALESCE(billing_account_name_raw, subscription_name)
        END AS VARCHAR
    ) AS "BillingAccountName",
    CAST(
        CASE agreement
            WHEN 'EA' THEN 'Billing Account'
            WHEN 'MCA' THEN 'Billing Profile'
            ELSE 'Subscription'
        END AS VARCHAR
    ) AS "BillingAccountType",
    CAST(currency AS VARCHAR) AS "BillingCurrency",
    CAST(
        CAST(
            CASE
                -- Azure writes the last day of the period; an export that already writes the
                -- exclusive end (the 1st of the next month) is taken as is.
                WHEN bp_end_day IS NULL
                    THEN CAST(DATE_TRUNC('month', COALESCE(bp_start_day, usage_day)) + INTERVAL 1 MONTH AS DATE)
                WHEN bp_end_day > bp_start_day AND DAY(bp_end_day) = 1 THEN bp_end_day
                ELSE CAST(bp_end_day + INTERVAL 1 DAY AS DATE)
            END AS VARCHAR
        ) || 'T00:00:00Z' AS TIMESTAMPTZ
    ) AS "BillingPeriodEnd",
    CAST(
        CAST(
            COALESCE(bp_start_day, CAST(DATE_TRUNC('month', usage_day) AS DATE)) AS VARCHAR
        ) || 'T00:00:00Z' AS TIMESTAMPTZ
    ) AS "BillingPeriodStart",
    CAST(NULL AS VARCHAR) AS "CapacityReservationId",
    CAST(NULL AS VARCHAR) AS "CapacityReservationStatus",
    CAST(charge_category AS VARCHAR) AS "ChargeCategory",
    CAST(CASE WHEN charge_type_l = 'refund' THEN 'Correction' END AS VARCHAR) AS "ChargeClass",
    CAST(COALESCE(product_name, meter_name, charge_type) AS VARCHAR) AS "ChargeDescription",
    CAST(
        CASE
            WHEN LOWER(frequency) = 'onetime' THEN 'One-Time'
            WHEN LOWER(frequency) = 'recurring' THEN 'Recurring'
            WHEN LOWER(frequency) = 'usagebased' THEN 'Usage-Based'
            WHEN charge_category = 'Usage' THEN 'Usage-Based'
            ELSE 'One-Time'
        END AS VARCHAR
    ) AS "ChargeFrequency",
    CAST(CAST(CAST(usage_day + INTERVAL 1 DAY AS DATE) AS VARCHAR) || 'T00:00:00Z' AS TIMESTAMPTZ)
        AS "ChargePeriodEnd",
    CAST(CAST(usage_day AS VARCHAR) || 'T00:00:00Z' AS TIMESTAMPTZ) AS "ChargePeriodStart",
    CAST(
        CASE
            WHEN (is_covered = 1 OR is_commitment_purchase = 1) AND commitment_type = 'Savings Plan'
                THEN 'Spend'
            WHEN (is_covered = 1 OR is_commitment_purchase = 1) AND commitment_type = 'Reservation'
                THEN 'Usage'
        END AS VARCHAR
    ) AS "CommitmentDiscountCategory",
    CAST(
        CASE WHEN is_covered = 1 OR is_commitment_purchase = 1 THEN LOWER(benefit_id) END AS VARCHAR
    ) AS "CommitmentDiscountId",
    CAST(CASE WHEN is_covered = 1 OR is_commitment_purchase = 1 THEN benefit_name END AS VARCHAR)
        AS "CommitmentDiscountName",
    CAST(NULL AS DECIMAL(38, 10)) AS "CommitmentDiscountQuantity",
    CAST(
        CASE
            WHEN charge_type_l IN ('unusedreservation', 'unusedsavingsplan') THEN 'Unused'
            WHEN is_covered = 1 AND benefit_id IS NOT NULL THEN 'Used'
        END AS VARCHAR
    ) AS "CommitmentDiscountStatus",
    CAST(
        CASE WHEN is_covered = 1 OR is_commitment_purchase = 1 THEN commitment_type END AS VARCHAR
    ) AS "CommitmentDiscountType",
    CAST(NULL AS VARCHAR) AS "CommitmentDiscountUnit",
    CAST(
        CASE
            WHEN charge_category = 'Usage' AND charge_type_l NOT LIKE 'unused%'
                THEN pricing_quantity
        END AS DECIMAL(38, 10)
    ) AS "ConsumedQuantity",
    CAST(
        CASE
            WHEN charge_category = 'Usage' AND charge_type_l NOT LIKE 'unused%'
                THEN unit
        END AS VARCHAR
    ) AS "ConsumedUnit",
    CAST(
        CASE
            WHEN charge_category IN ('Usage', 'Purchase') AND charge_type_l <> 'refund'
                THEN COALESCE(
                    contracted_unit_price * pricing_quantity,
                    list_unit_price * pricing_quantity,
                    billed_cost
                )
            ELSE billed_cost
        END AS DECIMAL(38, 10)
    ) AS "ContractedCost",
    CAST(contracted_unit_price AS DECIMAL(38, 10)) AS "ContractedUnitPrice",
    CAST(effective_cost AS DECIMAL(38, 10)) AS "EffectiveCost",
    CAST(invoice_id AS VARCHAR) AS "InvoiceId",
    CAST(COALESCE(partner_name, 'Microsoft') AS VARCHAR) AS "InvoiceIssuerName",
    CAST(
        CASE
            WHEN charge_category IN ('Usage', 'Purchase') AND charge_type_l <> 'refund'
                THEN COALESCE(list_unit_price * pricing_quantity, billed_cost)
            ELSE billed_cost
        END AS DECIMAL(38, 10)
    ) AS "ListCost",
    CAST(list_unit_price AS DECIMAL(38, 10)) AS "ListUnitPrice",
    CAST(
        CASE
            WHEN charge_category NOT IN ('Usage', 'Purchase') THEN NULL
            WHEN charge_type_l LIKE 'unused%' OR pricing_model_l IN ('reservation', 'savingsplan')
                THEN 'Committed'
            WHEN pricing_model_l = 'spot' THEN 'Dynamic'
            ELSE 'Standard'
        END AS VARCHAR
    ) AS "PricingCategory",
    CAST(COALESCE(pricing_currency, currency) AS VARCHAR) AS "PricingCurrency",
    CAST(contracted_unit_price_pc AS DECIMAL(38, 10)) AS "PricingCurrencyContractedUnitPrice",
    CAST(
        CASE
            WHEN pricing_currency IS NULL OR pricing_currency = currency THEN effective_cost
            WHEN effective_cost = 0 THEN CAST(0 AS DECIMAL(38, 10))
            ELSE COALESCE(cost_in_pricing_currency, effective_cost / NULLIF(price_rate, 0))
        END AS DECIMAL(38, 10)
    ) AS "PricingCurrencyEffectiveCost",
    CAST(list_unit_price_pc AS DECIMAL(38, 10)) AS "PricingCurrencyListUnitPrice",
    CAST(pricing_quantity AS DECIMAL(38, 10)) AS "PricingQuantity",
    CAST(CASE WHEN charge_category <> 'Tax' THEN unit END AS VARCHAR) AS "PricingUnit",
    CAST('Microsoft' AS VARCHAR) AS "ProviderName",
    CAST(
        CASE
            WHEN LOWER(COALESCE(publisher_type, '')) = 'marketplace'
                THEN COALESCE(NULLIF(TRIM(publisher_name_raw), ''), 'Unknown')
            ELSE 'Microsoft'
        END AS VARCHAR
    ) AS "PublisherName",
    CAST(region_id AS VARCHAR) AS "RegionId",
    CAST(
        CASE region_id
            WHEN 'eastus' THEN 'East US'
            WHEN 'eastus2' THEN 'East US 2'
            WHEN 'centralus' THEN 'Central US'
            WHEN 'northcentralus' THEN 'North Central US'
            WHEN 'southcentralus' THEN 'South Central US'
            WHEN 'westcentralus' THEN 'West Central US'
            WHEN 'westus' THEN 'West US'
            WHEN 'westus2' THEN 'West US 2'
            WHEN 'westus3' THEN 'West US 3'
            WHEN 'canadacentral' THEN 'Canada Central'
            WHEN 'canadaeast' THEN 'Canada East'
            WHEN 'brazilsouth' THEN 'Brazil South'
            WHEN 'northeurope' THEN 'North Europe'
            WHEN 'westeurope' THEN 'West Europe'
            WHEN 'uksouth' THEN 'UK South'
            WHEN 'ukwest' THEN 'UK West'
            WHEN 'francecentral' THEN 'France Central'
            WHEN 'germanywestcentral' THEN 'Germany West Central'
            WHEN 'switzerlandnorth' THEN 'Switzerland North'
            WHEN 'norwayeast' THEN 'Norway East'
            WHEN 'swedencentral' THEN 'Sweden Central'
            WHEN 'polandcentral' THEN 'Poland Central'
            WHEN 'italynorth' THEN 'Italy North'
            WHEN 'eastasia' THEN 'East Asia'
            WHEN 'southeastasia' THEN 'Southeast Asia'
            WHEN 'japaneast' THEN 'Japan East'
            WHEN 'japanwest' THEN 'Japan West'
            WHEN 'koreacentral' THEN 'Korea Central'
            WHEN 'australiaeast' THEN 'Australia East'
            WHEN 'australiasoutheast' THEN 'Australia Southeast'
            WHEN 'centralindia' THEN 'Central India'
            WHEN 'southindia' THEN 'South India'
            WHEN 'uaenorth' THEN 'UAE North'
            WHEN 'southafricanorth' THEN 'South Africa North'
            ELSE TRIM(location_raw)
        END AS VARCHAR
    ) AS "RegionName",
    CAST(LOWER(NULLIF(TRIM(resource_id_raw), '')) AS VARCHAR) AS "ResourceId",
    CAST(
        COALESCE(
            NULLIF(TRIM(resource_name_raw), ''),
            NULLIF(REGEXP_EXTRACT(TRIM(resource_id_raw), '/([^/]+)$', 1), '')
        ) AS VARCHAR
    ) AS "ResourceName",
    CAST(
        CASE
            WHEN NULLIF(TRIM(resource_id_raw), '') IS NULL THEN NULL
            ELSE COALESCE(
                NULLIF(REGEXP_EXTRACT(resource_id_raw, '/providers/([^/]+/[^/]+)', 1), ''),
                consumed_service,
                'Unknown'
            )
        END AS VARCHAR
    ) AS "ResourceType",
    CAST(SUBSTRING(service_pair, 1, STRPOS(service_pair, '|') - 1) AS VARCHAR) AS "ServiceCategory",
    CAST(COALESCE(meter_category, consumed_service, 'Unknown') AS VARCHAR) AS "ServiceName",
    CAST(SUBSTRING(service_pair, STRPOS(service_pair, '|') + 1) AS VARCHAR) AS "ServiceSubcategory",
    CAST(CASE WHEN charge_category <> 'Tax' THEN sku_id END AS VARCHAR) AS "SkuId",
    CAST(CASE WHEN charge_category <> 'Tax' AND sku_id IS NOT NULL THEN meter_name END AS VARCHAR)
        AS "SkuMeter",
    CAST(NULL AS VARCHAR) AS "SkuPriceDetails",
    -- The meter's price for this SKU: one meter is billed under several part numbers (EA), and
    -- FOCUS allows one SkuId per SkuPriceId.
    CAST(
        CASE
            WHEN charge_category = 'Tax' THEN NULL
            WHEN meter_id IS NOT NULL AND sku_id IS NOT NULL THEN sku_id || ':' || meter_id
            ELSE COALESCE(meter_id, sku_id)
        END AS VARCHAR
    ) AS "SkuPriceId",
    CAST('/subscriptions/' || LOWER(subscription_id) AS VARCHAR) AS "SubAccountId",
    CAST(subscription_name AS VARCHAR) AS "SubAccountName",
    CAST(CASE WHEN subscription_id IS NOT NULL THEN 'Subscription' END AS VARCHAR)
        AS "SubAccountType",
    -- EA files write the tags object without its outer braces; put them back.
    CAST(
        CASE
            WHEN NULLIF(TRIM(tags_raw), '') IS NULL THEN NULL
            WHEN SUBSTRING(TRIM(tags_raw), 1, 1) = '{' THEN TRIM(tags_raw)
            ELSE '{' || TRIM(tags_raw) || '}'
        END AS VARCHAR
    ) AS "Tags",
    CAST(account_name AS VARCHAR) AS "x_AccountName",
    CAST(account_owner_id AS VARCHAR) AS "x_AccountOwnerId",
    CAST(billing_account_raw AS VARCHAR) AS "x_BillingAccountId",
    CAST(billing_profile_id AS VARCHAR) AS "x_BillingProfileId",
    CAST(billing_profile_name AS VARCHAR) AS "x_BillingProfileName",
    CAST(charge_type AS VARCHAR) AS "x_ChargeType",
    CAST(cost_allocation_rule_name AS VARCHAR) AS "x_CostAllocationRuleName",
    CAST(cost_center AS VARCHAR) AS "x_CostCenter",
    CAST(dataset AS VARCHAR) AS "x_CostDataset",
    CAST(effective_price * price_rate AS DECIMAL(38, 10)) AS "x_EffectiveUnitPrice",
    CAST(invoice_section_id AS VARCHAR) AS "x_InvoiceSectionId",
    CAST(invoice_section_name AS VARCHAR) AS "x_InvoiceSectionName",
    CAST(CASE WHEN charge_category <> 'Tax' THEN block_size END AS DECIMAL(38, 10)) AS "x_PricingBlockSize",
    CAST(pricing_model AS VARCHAR) AS "x_PricingModel",
    CAST(unit_of_measure AS VARCHAR) AS "x_PricingUnitDescription",
    CAST(publisher_type AS VARCHAR) AS "x_PublisherCategory",
    CAST(resource_group AS VARCHAR) AS "x_ResourceGroupName",
    CAST(meter_category AS VARCHAR) AS "x_SkuMeterCategory",
    CAST(meter_subcategory AS VARCHAR) AS "x_SkuMeterSubcategory",
    CAST(offer_id AS VARCHAR) AS "x_SkuOfferId",
    CAST(part_number AS VARCHAR) AS "x_SkuPartNumber",
    CAST(service_family AS VARCHAR) AS "x_SkuServiceFamily",
    CAST(term AS VARCHAR) AS "x_SkuTerm"
FROM p
