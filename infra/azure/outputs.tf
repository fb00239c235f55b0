output "function_app_name" {
  description = "Publish the packaged folder here (func azure functionapp publish <name> --python)."
  value       = azurerm_function_app_flex_consumption.this.name
}

output "key_vault_name" {
  description = "Store the Slack bot token as the secret slack-bot-token here."
  value       = azurerm_key_vault.this.name
}

output "exports_container" {
  description = "Point Cost Management exports at this storage account and container."
  value       = "${azurerm_storage_account.data.name}/${azurerm_storage_container.data["exports"].name}"
}

output "budget_action_group_id" {
  description = "Add this Action Group to your budgets' alert conditions (after wire_triggers=true)."
  value       = var.wire_triggers ? azurerm_monitor_action_group.budget[0].id : null
}

output "principal_id" {
  description = "The Function App's managed identity."
  value       = azurerm_function_app_flex_consumption.this.identity[0].principal_id
}
