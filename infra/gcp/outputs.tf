output "budget_topic" {
  description = "Connect your Cloud Billing budgets' Pub/Sub notifications to this topic."
  value       = google_pubsub_topic.topics["budget"].id
}

output "exports_bucket" {
  description = "Where the scheduled BigQuery EXPORT DATA writes (docs/billing-exports.md)."
  value       = google_storage_bucket.buckets["exports"].name
}

output "output_bucket" {
  description = "Where FOCUS Parquet is published (under focus/)."
  value       = google_storage_bucket.buckets["output"].name
}

output "service_account" {
  description = "The identity of every costwarden function."
  value       = google_service_account.functions.email
}

output "slack_token_secret" {
  description = "Add the Slack bot token as a version of this secret."
  value       = google_secret_manager_secret.slack_token.id
}
