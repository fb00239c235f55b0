locals {
  apis = [
    "artifactregistry.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "cloudscheduler.googleapis.com",
    "compute.googleapis.com",
    "eventarc.googleapis.com",
    "monitoring.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
  ]

  # Every entry point of functions/gcp/main.py and what fires it. Pub/Sub triggers name a topic
  # below; export_arrival fires on objects finalized in the exports bucket.
  functions = {
    budget_alert     = { topic = "budget", memory = "512Mi", timeout = 60 }
    cost_digest      = { topic = "digest-tick", memory = "1Gi", timeout = 300 }
    schedule_planner = { topic = "schedule-tick", memory = "256Mi", timeout = 120 }
    schedule_worker  = { topic = "schedule-work", memory = "512Mi", timeout = 300 }
    export_arrival   = { topic = null, memory = "4Gi", timeout = 540 }
  }

  environment = merge(
    {
      COSTWARDEN_STATE          = "gs://${google_storage_bucket.buckets["state"].name}/costwarden/state/"
      COSTWARDEN_EXPORT_OUTPUT  = "gs://${google_storage_bucket.buckets["output"].name}/focus"
      COSTWARDEN_SCHEDULE_QUEUE = google_pubsub_topic.topics["schedule-work"].id
      COSTWARDEN_DRY_RUN        = tostring(var.dry_run)
      COSTWARDEN_CACHE_DIR      = "/tmp/costwarden-cost-data"
      LOG_EXECUTION_ID          = "true"
    },
    var.policy_path == "" ? {} : { COSTWARDEN_POLICY_PATH = var.policy_path },
  )
}

resource "google_project_service" "apis" {
  for_each           = toset(local.apis)
  service            = each.value
  disable_on_destroy = false
}

resource "google_service_account" "functions" {
  account_id   = "${var.name_prefix}-functions"
  display_name = "costwarden functions"
  description  = "Runs costwarden's functions and receives their events; nothing else."
}

# -- buckets: function source, dedup state, billing exports (BigQuery EXPORT DATA), FOCUS output
resource "google_storage_bucket" "buckets" {
  #checkov:skip=CKV_GCP_62:Access logs would need another bucket; data access is in Cloud Audit Logs.
  for_each                    = toset(["source", "state", "exports", "output"])
  name                        = "${var.name_prefix}-${each.key}-${var.project_id}"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false

  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      num_newer_versions = 1
      with_state         = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }
}

# -- topics: budget notifications, the ticks Cloud Scheduler publishes, the scheduler's work items
resource "google_pubsub_topic" "topics" {
  #checkov:skip=CKV_GCP_83:Messages are ticks, budget amounts and work items; Google-managed encryption at rest applies.
  for_each                   = toset(["budget", "digest-tick", "schedule-tick", "schedule-work"])
  name                       = "${var.name_prefix}-${each.key}"
  message_retention_duration = "86400s"
  depends_on                 = [google_project_service.apis]
}

resource "google_cloud_scheduler_job" "digest" {
  count     = length(var.digest_schedules)
  name      = "${var.name_prefix}-digest-${count.index}"
  schedule  = var.digest_schedules[count.index]
  time_zone = "UTC"

  pubsub_target {
    topic_name = google_pubsub_topic.topics["digest-tick"].id
    data       = base64encode("{}")
  }
}

resource "google_cloud_scheduler_job" "schedule_tick" {
  name      = "${var.name_prefix}-schedule-tick"
  schedule  = var.schedule_tick
  time_zone = "UTC"

  # The body is not read: the event's time is the instant the workers reconcile for.
  pubsub_target {
    topic_name = google_pubsub_topic.topics["schedule-tick"].id
    data       = base64encode("{}")
  }
}

# -- the Slack token: the secret is created here, its value added by hand (docs/deploy-gcp.md)
resource "google_secret_manager_secret" "slack_token" {
  #checkov:skip=CKV2_GCP_8:Google-managed encryption; a CMEK key ring costs more than one token.
  secret_id = "${var.name_prefix}-slack-bot-token"

  replication {
    auto {}
  }

  depends_on = [google_project_service.apis]
}

# -- code ------------------------------------------------------------------------------------------
data "archive_file" "source" {
  type        = "zip"
  source_dir  = var.source_dir
  output_path = "${path.module}/.build/costwarden-gcp-source.zip"
}

resource "google_storage_bucket_object" "source" {
  name   = "source/costwarden-${data.archive_file.source.output_sha256}.zip"
  bucket = google_storage_bucket.buckets["source"].name
  source = data.archive_file.source.output_path
}

resource "google_cloudfunctions2_function" "functions" {
  for_each    = local.functions
  name        = "${var.name_prefix}-${replace(each.key, "_", "-")}"
  location    = var.region
  description = "costwarden ${each.key}"

  build_config {
    runtime     = "python312"
    entry_point = each.key
    source {
      storage_source {
        bucket = google_storage_bucket_object.source.bucket
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    available_memory               = each.value.memory
    timeout_seconds                = each.value.timeout
    max_instance_count             = 10
    ingress_settings               = "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision = true
    service_account_email          = google_service_account.functions.email
    environment_variables          = local.environment

    secret_environment_variables {
      key        = "COSTWARDEN_SLACK_TOKEN"
      project_id = var.project_id
      secret     = google_secret_manager_secret.slack_token.secret_id
      version    = var.slack_token_version
    }
  }

  event_trigger {
    trigger_region        = var.region
    event_type            = each.value.topic == null ? "google.cloud.storage.object.v1.finalized" : "google.cloud.pubsub.topic.v1.messagePublished"
    pubsub_topic          = each.value.topic == null ? null : google_pubsub_topic.topics[each.value.topic].id
    retry_policy          = "RETRY_POLICY_RETRY"
    service_account_email = google_service_account.functions.email

    dynamic "event_filters" {
      for_each = each.value.topic == null ? [google_storage_bucket.buckets["exports"].name] : []
      content {
        attribute = "bucket"
        value     = event_filters.value
      }
    }
  }

  depends_on = [
    google_project_service.apis,
    google_project_iam_member.event_receiver,
    google_project_iam_member.gcs_publishes_events,
    google_secret_manager_secret_iam_member.slack_token,
  ]
}
