locals {
  # What the scheduler's code needs in each target subscription: generated from
  # shared/costwarden/permissions.py (python -m costwarden.permissions --cloud azure, "compute");
  # tests/infra fails when they differ. Tags are written through the Tags API (merge), so the
  # role never needs Microsoft.Compute/virtualMachines/write. The tag sweep's
  # tagging.grace.action: stop deallocates overdue VMs with these too (one identity for all).
  scheduler_actions = [
    "Microsoft.Compute/virtualMachines/deallocate/action",
    "Microsoft.Compute/virtualMachines/instanceView/read",
    "Microsoft.Compute/virtualMachines/read",
    "Microsoft.Compute/virtualMachines/start/action",
    "Microsoft.Insights/metrics/read",
    "Microsoft.Resources/tags/write",
  ]

  # What tag remediation needs in each target subscription (permissions.py, "tagged"): the
  # listings and the Tags API. Tags are read and merged at the tags scope, so no resource type's
  # own read or write: the role can change tags and nothing else. ARM has no condition on the
  # tag names a write sets (the policy's keys cannot be enforced here, unlike AWS).
  tagger_actions = [
    "Microsoft.Resources/subscriptions/resourceGroups/read",
    "Microsoft.Resources/subscriptions/resourceGroups/resources/read",
    "Microsoft.Resources/subscriptions/resources/read",
    "Microsoft.Resources/tags/read",
    "Microsoft.Resources/tags/write",
  ]
  tag_targets = var.tag_remediation ? local.targets : toset([])

  # Data access, one built-in role per resource at that resource's scope (not the account's).
  # tests/infra checks each covers what the code does there and that none is broader than this.
  data_roles = {
    state          = { role = "Storage Table Data Contributor", scope = azurerm_storage_table.state.resource_manager_id }
    export         = { role = "Storage Blob Data Reader", scope = azurerm_storage_container.data["exports"].id }
    output         = { role = "Storage Blob Data Contributor", scope = azurerm_storage_container.data["output"].id }
    schedule_queue = { role = "Storage Queue Data Message Sender", scope = azurerm_storage_queue.work.resource_manager_id }
    budget_queue   = { role = "Storage Queue Data Message Sender", scope = azurerm_storage_queue.budget_retry.resource_manager_id }
  }

  # What the Functions host itself needs for its triggers (not costwarden's code).
  platform_roles = {
    host_storage  = { role = "Storage Blob Data Owner", scope = azurerm_storage_account.host.id }
    queue_reader  = { role = "Storage Queue Data Reader", scope = azurerm_storage_queue.work.resource_manager_id }
    queue_trigger = { role = "Storage Queue Data Message Processor", scope = azurerm_storage_queue.work.resource_manager_id }
    poison_queue  = { role = "Storage Queue Data Message Sender", scope = azurerm_storage_queue.poison.resource_manager_id }
    slack_token   = { role = "Key Vault Secrets User", scope = azurerm_key_vault.this.id }
  }
}

# Not "Virtual Machine Contributor" (which can resize, delete disks, run commands): exactly the
# actions above. No tag condition: policies select VMs by name, region and rules as well as
# tags; safety.protected is enforced by the planner.
resource "azurerm_role_definition" "scheduler" {
  for_each    = local.targets
  name        = "${var.name_prefix}-scheduler-${local.suffix}"
  scope       = "/subscriptions/${each.value}"
  description = "costwarden scheduler: list, deallocate, start and tag VMs; read CPU metrics."

  permissions {
    actions = local.scheduler_actions
  }

  assignable_scopes = ["/subscriptions/${each.value}"]
}

resource "azurerm_role_assignment" "scheduler" {
  for_each           = local.targets
  scope              = "/subscriptions/${each.value}"
  role_definition_id = azurerm_role_definition.scheduler[each.value].role_definition_resource_id
  principal_id       = azurerm_function_app_flex_consumption.this.identity[0].principal_id
}

# Narrower than the built-in Tag Contributor (which adds Microsoft.Resources/deployments/*,
# tags/delete, alert rules and support tickets): the listings and the tags, exactly what tag
# remediation's code declares.
resource "azurerm_role_definition" "tagger" {
  for_each    = local.tag_targets
  name        = "${var.name_prefix}-tagger-${local.suffix}"
  scope       = "/subscriptions/${each.value}"
  description = "costwarden tag remediation: list resources and resource groups, read and merge tags."

  permissions {
    actions = local.tagger_actions
  }

  assignable_scopes = ["/subscriptions/${each.value}"]
}

resource "azurerm_role_assignment" "tagger" {
  for_each           = local.tag_targets
  scope              = "/subscriptions/${each.value}"
  role_definition_id = azurerm_role_definition.tagger[each.value].role_definition_resource_id
  principal_id       = azurerm_function_app_flex_consumption.this.identity[0].principal_id
}

resource "azurerm_role_assignment" "data" {
  for_each             = merge(local.data_roles, local.platform_roles)
  scope                = each.value.scope
  role_definition_name = each.value.role
  principal_id         = azurerm_function_app_flex_consumption.this.identity[0].principal_id
}

# Whoever runs terraform writes the webhook secret (and, by hand, the Slack token).
resource "azurerm_role_assignment" "deployer_secrets" {
  scope                = azurerm_key_vault.this.id
  role_definition_name = "Key Vault Secrets Officer"
  principal_id         = data.azurerm_client_config.current.object_id
}
