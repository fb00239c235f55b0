# Budget webhook deliveries that could not be posted (Slack down, a claim held by a delivery
# that died) wait here: an Action Group retries only ~5 times within ~75 s, the host retries a
# queue message every two minutes (host.json) and then moves it to the poison queue, where it
# can be inspected and re-queued. budget_alert sends (data_roles.budget_queue);
# budget_alert_retry is the trigger. The names are fixed in function_app.py.
resource "azurerm_storage_queue" "budget_retry" {
  name                 = "budget-alert-retry"
  storage_account_name = azurerm_storage_account.data.name
}

resource "azurerm_storage_queue" "budget_retry_poison" {
  name                 = "budget-alert-retry-poison"
  storage_account_name = azurerm_storage_account.data.name
}

# What the Functions host needs for the queue trigger (not costwarden's code): read and
# delete messages, and move a failed one to the poison queue.
locals {
  budget_queue_platform_roles = {
    budget_queue_reader  = { role = "Storage Queue Data Reader", scope = azurerm_storage_queue.budget_retry.resource_manager_id }
    budget_queue_trigger = { role = "Storage Queue Data Message Processor", scope = azurerm_storage_queue.budget_retry.resource_manager_id }
    budget_queue_poison  = { role = "Storage Queue Data Message Sender", scope = azurerm_storage_queue.budget_retry_poison.resource_manager_id }
  }
}

resource "azurerm_role_assignment" "budget_queue" {
  for_each             = local.budget_queue_platform_roles
  scope                = each.value.scope
  role_definition_name = each.value.role
  principal_id         = azurerm_function_app_flex_consumption.this.identity[0].principal_id
}
