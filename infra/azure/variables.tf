variable "subscription_id" {
  description = "The subscription the Function App and its storage live in."
  type        = string
}

variable "location" {
  description = "Azure region (one with Flex Consumption)."
  type        = string
  default     = "westeurope"
}

variable "name_prefix" {
  description = "Prefix of every resource name: 3 to 11 lowercase letters or digits (storage account names)."
  type        = string
  default     = "costwarden"

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{2,10}$", var.name_prefix))
    error_message = "Use 3 to 11 lowercase letters or digits, starting with a letter."
  }
}

variable "target_subscription_ids" {
  description = "Subscriptions the scheduler acts in (the policy's targets.azure.subscriptions); empty = subscription_id."
  type        = list(string)
  default     = []
}

variable "dry_run" {
  description = "true: the scheduler plans and reports but never deallocates or starts (ORed with safety.dry_run)."
  type        = bool
  default     = true
}

variable "policy_path" {
  description = "The policy file inside the app folder (costwarden package --policy puts it at /home/site/wwwroot/policy.yaml); empty = embedded default."
  type        = string
  default     = ""
}

variable "schedule_tick" {
  description = "NCRONTAB of the scheduler's tick (UTC, with seconds)."
  type        = string
  default     = "0 */15 * * * *"
}

variable "digest_schedule" {
  description = "NCRONTAB of the daily digest and its catch-up run (UTC, with seconds): 07:00 and 10:00."
  type        = string
  default     = "0 0 7,10 * * *"
}

variable "tag_remediation" {
  description = "Deploy tag remediation (the policy needs a tagging section listing azure): tag_remediation on resource writes, tag_sweep daily."
  type        = bool
  default     = false
}

variable "tag_sweep_schedule" {
  description = "NCRONTAB of the daily tag sweep (UTC, with seconds)."
  type        = string
  default     = "0 0 6 * * *"
}

variable "wire_triggers" {
  description = "Create the Event Grid subscription and the Action Group: needs the code published first (docs/deploy-azure.md)."
  type        = bool
  default     = false
}
