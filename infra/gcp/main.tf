locals {
  apis = [
    "artifactregistry.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "cloudresourcemanager.googleapis.com",
    "cloudscheduler.googleapis.com",
    "compute.googleapis.com",
    "eventarc.googleapis.com",
    "monitoring.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
  ]

  # Every entry point of functions/gcp/main.py and what fires it. Pub/Sub triggers name a topic
  # below; export_arrival fires on objects finalized in the exports bucket; tag_remediation on
  # the Cloud Audit Logs of creation calls (audit_triggers). tagging: deployed only with
  # var.tag_remediation.
  functions = {
    budget_alert     = { trigger = "pubsub", topic = "budget", memory = "512Mi", timeout = 60, tagging = false }
    cost_digest      = { trigger = "pubsub", topic = "digest-tick", memory = "1Gi", timeout = 300, tagging = false }
    schedule_planner = { trigger = "pubsub", topic = "schedule-tick", memory = "256Mi", timeout = 120, tagging = false }
    schedule_worker  = { trigger = "pubsub", topic = "schedule-work", memory = "512Mi", timeout = 300, tagging = false }
    export_arrival   = { trigger = "storage", topic = null, memory = "4Gi", timeout = 540, tagging = false }
    tag_remediation  = { trigger = "audit", topic = null, memory = "512Mi", timeout = 120, tagging = true }
    tag_sweep        = { trigger = "pubsub", topic = "tag-sweep-tick", memory = "1Gi", timeout = 540, tagging = true }
  }
  deployed = { for name, f in local.functions : name => f if var.tag_remediation || !f.tagging }

  # The creation calls tag_remediation hears of: costwarden.normalize.resource_change.gcp's
  # CREATE_METHODS, with the API versions the console and gcloud call (tests/infra checks them).
  # Admin Activity audit logs, always written; one Eventarc trigger per method (a trigger
  # matches one methodName), all delivering to the function's service.
  audit_triggers = {
    instances-insert      = { service = "compute.googleapis.com", method = "v1.compute.instances.insert" }
    instances-insert-beta = { service = "compute.googleapis.com", method = "beta.compute.instances.insert" }
    disks-insert          = { service = "compute.googleapis.com", method = "v1.compute.disks.insert" }
    disks-insert-beta     = { service = "compute.googleapis.com", method = "beta.compute.disks.insert" }
    buckets-create        = { service = "storage.googleapis.com", method = "storage.buckets.create" }
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
  for_each                   = toset(["budget", "digest-tick", "schedule-tick", "schedule-work", "tag-sweep-tick"])
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

resource "google_cloud_scheduler_job" "tag_sweep" {
  count     = var.tag_remediation ? 1 : 0
  name      = "${var.name_prefix}-tag-sweep"
  schedule  = var.tag_sweep_schedule
  time_zone = "UTC"

  # The body is not read: the event's time is the sweep's instant (and names its run).
  pubsub_target {
    topic_name = google_pubsub_topic.topics["tag-sweep-tick"].id
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
  for_each    = local.deployed
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

  # Audit-log functions have no trigger of their own: google_eventarc_trigger.audit below.
  dynamic "event_trigger" {
    for_each = each.value.trigger == "audit" ? [] : [each.value]
    content {
      trigger_region        = var.region
      event_type            = event_trigger.value.trigger == "storage" ? "google.cloud.storage.object.v1.finalized" : "google.cloud.pubsub.topic.v1.messagePublished"
      pubsub_topic          = event_trigger.value.topic == null ? null : google_pubsub_topic.topics[event_trigger.value.topic].id
      retry_policy          = "RETRY_POLICY_RETRY"
      service_account_email = google_service_account.functions.email

      dynamic "event_filters" {
        for_each = event_trigger.value.trigger == "storage" ? [google_storage_bucket.buckets["exports"].name] : []
        content {
          attribute = "bucket"
          value     = event_filters.value
        }
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

# tag_remediation's triggers: creation calls' audit logs, from every region ("global").
resource "google_eventarc_trigger" "audit" {
  for_each        = var.tag_remediation ? local.audit_triggers : {}
  name            = "${var.name_prefix}-tag-${each.key}"
  location        = "global"
  service_account = google_service_account.functions.email

  matching_criteria {
    attribute = "type"
    value     = "google.cloud.audit.log.v1.written"
  }

  matching_criteria {
    attribute = "serviceName"
    value     = each.value.service
  }

  matching_criteria {
    attribute = "methodName"
    value     = each.value.method
  }

  destination {
    cloud_run_service {
      service = google_cloudfunctions2_function.functions["tag_remediation"].service_config[0].service
      region  = var.region
    }
  }

  depends_on = [google_project_iam_member.event_receiver]
}
