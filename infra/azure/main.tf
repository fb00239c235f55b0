data "azurerm_client_config" "current" {
}

locals {
  targets = length(var.target_subscription_ids) > 0 ? toset(var.target_subscription_ids) : toset([var.subscription_id])
  # Storage account names: 3-24 lowercase alphanumerics, unique in Azure.
  suffix = substr(sha256("${var.subscription_id}/${var.name_prefix}"), 0, 8)

  app_settings = merge(
    {
      # The Functions host's own storage, by identity (no account key anywhere).
      AzureWebJobsStorage__accountName = azurerm_storage_account.host.name

      COSTWARDEN_STATE                             = "azure-table://${azurerm_storage_table.state.name}"
      COSTWARDEN_AZURE_TABLE_ENDPOINT              = azurerm_storage_account.data.primary_table_endpoint
      COSTWARDEN_EXPORT_OUTPUT                     = "azure-blob://${azurerm_storage_container.data["output"].name}/focus"
      COSTWARDEN_AZURE_BLOB_ENDPOINT               = azurerm_storage_account.data.primary_blob_endpoint
      COSTWARDEN_SCHEDULE_QUEUE                    = azurerm_storage_queue.work.name
      COSTWARDEN_QUEUE_CONNECTION__queueServiceUri = azurerm_storage_account.data.primary_queue_endpoint
      COSTWARDEN_QUEUE_CONNECTION__credential      = "managedidentity"
      COSTWARDEN_SCHEDULE_TICK                     = var.schedule_tick
      COSTWARDEN_DIGEST_SCHEDULE                   = var.digest_schedule
      COSTWARDEN_TAG_SWEEP_SCHEDULE                = var.tag_sweep_schedule
      COSTWARDEN_DRY_RUN                           = tostring(var.dry_run)
      COSTWARDEN_SLACK_TOKEN                       = "@Microsoft.KeyVault(SecretUri=${azurerm_key_vault.this.vault_uri}secrets/slack-bot-token/)"
      COSTWARDEN_WEBHOOK_TOKEN                     = "@Microsoft.KeyVault(SecretUri=${azurerm_key_vault_secret.webhook_token.versionless_id})"
      APPLICATIONINSIGHTS_CONNECTION_STRING        = azurerm_application_insights.this.connection_string
    },
    var.policy_path == "" ? {} : { COSTWARDEN_POLICY_PATH = var.policy_path },
    # Tag remediation is opt-in: off, its two functions are disabled in the app.
    var.tag_remediation ? {} : {
      "AzureWebJobs.tag_remediation.Disabled" = "true"
      "AzureWebJobs.tag_sweep.Disabled"       = "true"
    },
  )
}

resource "azurerm_resource_group" "this" {
  name     = "${var.name_prefix}-rg"
  location = var.location
}

# -- storage: "host" is the Functions runtime's (code package, timer locks), "data" is costwarden's
resource "azurerm_storage_account" "host" {
  #checkov:skip=CKV_AZURE_33:No queues in the host account; the data account's queue logs are on.
  #checkov:skip=CKV_AZURE_206:LRS: the host account holds rebuildable runtime state only.
  #checkov:skip=CKV2_AZURE_1:Microsoft-managed keys; a customer key vault key adds cost and a rotation duty.
  #checkov:skip=CKV2_AZURE_33:No private endpoints: Flex Consumption reaches storage over its public endpoint here; shared keys are off.
  #checkov:skip=CKV2_AZURE_41:No SAS tokens are issued (identity-only access).
  #checkov:skip=CKV_AZURE_59:Public network access stays on for the consumption plan without VNet integration; anonymous access is off.
  #checkov:skip=CKV_AZURE_35:Default-deny needs VNet integration, which the consumption plan here does not use.
  name                            = "${var.name_prefix}host${local.suffix}"
  resource_group_name             = azurerm_resource_group.this.name
  location                        = azurerm_resource_group.this.location
  account_tier                    = "Standard"
  account_replication_type        = "LRS"
  min_tls_version                 = "TLS1_2"
  allow_nested_items_to_be_public = false
  shared_access_key_enabled       = false

  blob_properties {
    delete_retention_policy {
      days = 7
    }
  }
}

resource "azurerm_storage_container" "deployment" {
  #checkov:skip=CKV2_AZURE_21:Blob read logging lives in the account's diagnostic settings.
  name                  = "app-package"
  storage_account_id    = azurerm_storage_account.host.id
  container_access_type = "private"
}

resource "azurerm_storage_account" "data" {
  #checkov:skip=CKV_AZURE_206:LRS: dedup state and republishable FOCUS output; exports are re-run by Cost Management.
  #checkov:skip=CKV2_AZURE_1:Microsoft-managed keys; a customer key vault key adds cost and a rotation duty.
  #checkov:skip=CKV2_AZURE_33:No private endpoints without VNet integration; shared keys are off.
  #checkov:skip=CKV2_AZURE_41:No SAS tokens are issued (identity-only access).
  #checkov:skip=CKV_AZURE_59:Cost Management exports and the consumption plan reach it over the public endpoint; anonymous access is off.
  #checkov:skip=CKV_AZURE_35:Default-deny would shut out Cost Management exports and the consumption plan (no VNet integration).
  name                            = "${var.name_prefix}data${local.suffix}"
  resource_group_name             = azurerm_resource_group.this.name
  location                        = azurerm_resource_group.this.location
  account_tier                    = "Standard"
  account_replication_type        = "LRS"
  min_tls_version                 = "TLS1_2"
  allow_nested_items_to_be_public = false
  shared_access_key_enabled       = false

  blob_properties {
    delete_retention_policy {
      days = 7
    }
  }

  queue_properties {
    logging {
      delete                = true
      read                  = true
      write                 = true
      version               = "1.0"
      retention_policy_days = 10
    }
  }
}

resource "azurerm_storage_table" "state" {
  #checkov:skip=CKV2_AZURE_20:Dedup keys read once per alert or run; read logs would cost more than the table.
  name                 = "costwardenstate"
  storage_account_name = azurerm_storage_account.data.name
}

# The scheduler's work items (one per subscription and tick) and the host's poison queue for
# items that failed five times.
resource "azurerm_storage_queue" "work" {
  name                 = "schedule-work"
  storage_account_name = azurerm_storage_account.data.name
}

resource "azurerm_storage_queue" "poison" {
  name                 = "schedule-work-poison"
  storage_account_name = azurerm_storage_account.data.name
}

# exports: where Cost Management exports write; output: FOCUS Parquet; deadletter: Event Grid.
resource "azurerm_storage_container" "data" {
  #checkov:skip=CKV2_AZURE_21:Blob read logging lives in the account's diagnostic settings.
  for_each              = toset(["exports", "output", "deadletter"])
  name                  = each.key
  storage_account_id    = azurerm_storage_account.data.id
  container_access_type = "private"
}

# -- secrets: the Slack token (value set by hand) and the Action Group's shared secret
resource "azurerm_key_vault" "this" {
  #checkov:skip=CKV_AZURE_109:The Function App reads references over the public endpoint (no VNet integration); RBAC guards every secret.
  #checkov:skip=CKV_AZURE_189:Key Vault references resolve over the public endpoint without VNet integration; RBAC guards it.
  #checkov:skip=CKV2_AZURE_32:No private endpoint without VNet integration.
  name                       = "${var.name_prefix}-kv-${local.suffix}"
  resource_group_name        = azurerm_resource_group.this.name
  location                   = azurerm_resource_group.this.location
  tenant_id                  = data.azurerm_client_config.current.tenant_id
  sku_name                   = "standard"
  rbac_authorization_enabled = true
  purge_protection_enabled   = true
  soft_delete_retention_days = 7
}

resource "random_password" "webhook_token" {
  length  = 40
  special = false
}

resource "azurerm_key_vault_secret" "webhook_token" {
  name            = "webhook-token"
  value           = random_password.webhook_token.result
  key_vault_id    = azurerm_key_vault.this.id
  content_type    = "text/plain"
  expiration_date = "2099-12-31T00:00:00Z"
  depends_on      = [azurerm_role_assignment.deployer_secrets]
}

# -- the Function App ----------------------------------------------------------------------------
resource "azurerm_log_analytics_workspace" "this" {
  name                = "${var.name_prefix}-logs"
  resource_group_name = azurerm_resource_group.this.name
  location            = azurerm_resource_group.this.location
  sku                 = "PerGB2018"
  retention_in_days   = 30
}

resource "azurerm_application_insights" "this" {
  name                = "${var.name_prefix}-insights"
  resource_group_name = azurerm_resource_group.this.name
  location            = azurerm_resource_group.this.location
  workspace_id        = azurerm_log_analytics_workspace.this.id
  application_type    = "other"
}

resource "azurerm_service_plan" "this" {
  #checkov:skip=CKV_AZURE_225:Flex Consumption scales from zero per trigger; triggers retry, there is no standing instance to make zone redundant.
  #checkov:skip=CKV_AZURE_212:See CKV_AZURE_225: no always-ready instances are needed for triggered functions.
  name                = "${var.name_prefix}-plan"
  resource_group_name = azurerm_resource_group.this.name
  location            = azurerm_resource_group.this.location
  os_type             = "Linux"
  sku_name            = "FC1"
}

resource "azurerm_function_app_flex_consumption" "this" {
  name                        = "${var.name_prefix}-${local.suffix}"
  resource_group_name         = azurerm_resource_group.this.name
  location                    = azurerm_resource_group.this.location
  service_plan_id             = azurerm_service_plan.this.id
  runtime_name                = "python"
  runtime_version             = "3.12"
  storage_container_type      = "blobContainer"
  storage_container_endpoint  = "${azurerm_storage_account.host.primary_blob_endpoint}${azurerm_storage_container.deployment.name}"
  storage_authentication_type = "SystemAssignedIdentity"
  maximum_instance_count      = 40
  instance_memory_in_mb       = 2048
  https_only                  = true
  app_settings                = local.app_settings

  identity {
    type = "SystemAssigned"
  }

  site_config {
    minimum_tls_version = "1.2"
  }
}
