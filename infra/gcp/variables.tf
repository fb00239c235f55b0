variable "project_id" {
  description = "The project the functions, topics and buckets live in."
  type        = string
}

variable "region" {
  description = "Region of the functions, buckets and scheduler jobs."
  type        = string
  default     = "europe-west1"
}

variable "name_prefix" {
  description = "Prefix of every resource name (lowercase)."
  type        = string
  default     = "costwarden"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name_prefix))
    error_message = "Use 2 to 21 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "source_dir" {
  description = "The source folder `costwarden package --cloud gcp` built (main.py, requirements.txt)."
  type        = string
  default     = "../../dist/gcp/source"
}

variable "target_projects" {
  description = "Projects the scheduler acts in (the policy's targets.gcp.projects); empty = project_id."
  type        = list(string)
  default     = []
}

variable "dry_run" {
  description = "true: the scheduler plans and reports but never stops or starts (ORed with safety.dry_run)."
  type        = bool
  default     = true
}

variable "policy_path" {
  description = "The policy file inside the source folder (costwarden package --policy puts it at /workspace/policy.yaml); empty = embedded default."
  type        = string
  default     = ""
}

variable "slack_token_version" {
  description = "Secret Manager version of the Slack token to pin (add it before applying)."
  type        = string
  default     = "1"
}

variable "schedule_tick" {
  description = "How often the scheduler reconciles (Cloud Scheduler cron, UTC)."
  type        = string
  default     = "*/15 * * * *"
}

variable "digest_schedules" {
  description = "The daily digest and its catch-up run (Cloud Scheduler cron, UTC)."
  type        = list(string)
  default     = ["0 7 * * *", "0 10 * * *"]
}

variable "tag_remediation" {
  description = "Deploy tag remediation (the policy needs a tagging section listing gcp): tag_remediation on creation audit logs, tag_sweep daily."
  type        = bool
  default     = false
}

variable "tag_sweep_schedule" {
  description = "The daily tag sweep (Cloud Scheduler cron, UTC)."
  type        = string
  default     = "0 6 * * *"
}
