# Event Grid and the Action Group point at functions inside the app: they can only be created
# once the code is published (terraform apply, publish, terraform apply -var wire_triggers=true).

# Cost Management writes each export run's manifest.json last: that blob fires export_arrival.
resource "azurerm_eventgrid_system_topic" "data" {
  count                  = var.wire_triggers ? 1 : 0
  name                   = "${var.name_prefix}-storage-events"
  resource_group_name    = azurerm_resource_group.this.name
  location               = azurerm_resource_group.this.location
  source_arm_resource_id = azurerm_storage_account.data.id
  topic_type             = "Microsoft.Storage.StorageAccounts"

  identity {
    type = "SystemAssigned"
  }
}

resource "azurerm_eventgrid_system_topic_event_subscription" "export_arrival" {
  count                = var.wire_triggers ? 1 : 0
  name                 = "export-arrival"
  system_topic         = azurerm_eventgrid_system_topic.data[0].name
  resource_group_name  = azurerm_resource_group.this.name
  included_event_types = ["Microsoft.Storage.BlobCreated"]

  subject_filter {
    subject_begins_with = "/blobServices/default/containers/${azurerm_storage_container.data["exports"].name}/"
    subject_ends_with   = "/manifest.json"
  }

  azure_function_endpoint {
    function_id = "${azurerm_function_app_flex_consumption.this.id}/functions/export_arrival"
  }

  retry_policy {
    max_delivery_attempts = 30
    event_time_to_live    = 1440
  }

  dead_letter_identity {
    type = "SystemAssigned"
  }

  storage_blob_dead_letter_destination {
    storage_account_id          = azurerm_storage_account.data.id
    storage_blob_container_name = azurerm_storage_container.data["deadletter"].name
  }
}

resource "azurerm_role_assignment" "eventgrid_deadletter" {
  count                = var.wire_triggers ? 1 : 0
  scope                = azurerm_storage_container.data["deadletter"].id
  role_definition_name = "Storage Blob Data Contributor"
  principal_id         = azurerm_eventgrid_system_topic.data[0].identity[0].principal_id
}

# Budgets notify this Action Group; its webhook is the budget_alert function. Action Groups
# cannot send headers, so the function key and the shared secret travel in the query string.
# The Common Alert Schema is on: only it says whether a notification is Actual or Forecasted
# (the legacy body's kind has to be inferred from the spend, docs/budget-alerts.md).
data "azurerm_function_app_host_keys" "this" {
  count               = var.wire_triggers ? 1 : 0
  name                = azurerm_function_app_flex_consumption.this.name
  resource_group_name = azurerm_resource_group.this.name
}

resource "azurerm_monitor_action_group" "budget" {
  count               = var.wire_triggers ? 1 : 0
  name                = "${var.name_prefix}-budget-alert"
  resource_group_name = azurerm_resource_group.this.name
  short_name          = "costwarden"

  webhook_receiver {
    name                    = "costwarden-budget-alert"
    service_uri             = "https://${azurerm_function_app_flex_consumption.this.default_hostname}/api/budget-alert?code=${data.azurerm_function_app_host_keys.this[0].default_function_key}&token=${random_password.webhook_token.result}"
    use_common_alert_schema = true
  }
}

# Tag remediation: every successful resource write in the app's subscription fires
# tag_remediation, except writes of tags themselves (costwarden's own, among others), which
# would otherwise call it back after each of its writes. One system topic per subscription is
# allowed, created in that subscription: other target subscriptions are covered by the daily
# tag_sweep (docs/deploy-azure.md).
resource "azurerm_eventgrid_system_topic" "subscription" {
  count                  = var.wire_triggers && var.tag_remediation ? 1 : 0
  name                   = "${var.name_prefix}-resource-events"
  resource_group_name    = azurerm_resource_group.this.name
  location               = "global"
  source_arm_resource_id = "/subscriptions/${var.subscription_id}"
  topic_type             = "Microsoft.Resources.Subscriptions"

  identity {
    type = "SystemAssigned"
  }
}

resource "azurerm_eventgrid_system_topic_event_subscription" "tag_remediation" {
  count                = var.wire_triggers && var.tag_remediation ? 1 : 0
  name                 = "tag-remediation"
  system_topic         = azurerm_eventgrid_system_topic.subscription[0].name
  resource_group_name  = azurerm_resource_group.this.name
  included_event_types = ["Microsoft.Resources.ResourceWriteSuccess"]

  advanced_filter {
    string_not_in {
      key    = "data.operationName"
      values = ["Microsoft.Resources/tags/write"]
    }
  }

  azure_function_endpoint {
    function_id = "${azurerm_function_app_flex_consumption.this.id}/functions/tag_remediation"
  }

  retry_policy {
    max_delivery_attempts = 30
    event_time_to_live    = 1440
  }

  dead_letter_identity {
    type = "SystemAssigned"
  }

  storage_blob_dead_letter_destination {
    storage_account_id          = azurerm_storage_account.data.id
    storage_blob_container_name = azurerm_storage_container.data["deadletter"].name
  }

  depends_on = [azurerm_role_assignment.resource_events_deadletter]
}

resource "azurerm_role_assignment" "resource_events_deadletter" {
  count                = var.wire_triggers && var.tag_remediation ? 1 : 0
  scope                = azurerm_storage_container.data["deadletter"].id
  role_definition_name = "Storage Blob Data Contributor"
  principal_id         = azurerm_eventgrid_system_topic.subscription[0].identity[0].principal_id
}
