locals {
  # What the code needs, per resource: generated from shared/costwarden/permissions.py
  # (python -m costwarden.permissions --cloud gcp); tests/infra fails when they differ.
  # schedule_queue needs only pubsub.topics.publish: roles/pubsub.publisher on that topic.
  permissions = {
    compute = [
      "compute.instances.get",
      "compute.instances.list",
      "compute.instances.resume",
      "compute.instances.setLabels",
      "compute.instances.start",
      "compute.instances.stop",
      "compute.zoneOperations.get",
      "monitoring.timeSeries.list",
    ]
    export = [
      "storage.objects.get",
      "storage.objects.list",
    ]
    output = [
      "storage.objects.create",
      "storage.objects.delete",
      "storage.objects.get",
      "storage.objects.list",
    ]
    state = [
      "storage.objects.create",
      "storage.objects.delete",
      "storage.objects.get",
    ]
    tagged = [
      "compute.disks.get",
      "compute.disks.list",
      "compute.disks.setLabels",
      "compute.instances.get",
      "compute.instances.list",
      "compute.instances.setLabels",
      "resourcemanager.projects.get",
      "storage.buckets.get",
      "storage.buckets.list",
      "storage.buckets.update",
    ]
  }

  target_projects = length(var.target_projects) > 0 ? toset(var.target_projects) : toset([var.project_id])
}

# The scheduler's role, created in every target project (a project's custom role can only be
# granted inside that project). No label condition: the policy selects instances by name,
# zone and rules as well as labels; safety.protected is enforced by the planner. The tag
# sweep's tagging.grace.action: stop stops overdue instances with it too (one service account).
resource "google_project_iam_custom_role" "scheduler" {
  for_each    = local.target_projects
  project     = each.value
  role_id     = "${replace(var.name_prefix, "-", "_")}_scheduler"
  title       = "costwarden scheduler"
  description = "List, stop, start and label Compute Engine instances; read their CPU metrics."
  permissions = local.permissions.compute
}

resource "google_project_iam_member" "scheduler" {
  for_each = local.target_projects
  project  = each.value
  role     = google_project_iam_custom_role.scheduler[each.value].id
  member   = "serviceAccount:${google_service_account.functions.email}"
}

# Tag remediation's role in every target project: list, read and label instances, disks and
# buckets, read the project's labels. setLabels / buckets.update write labels and nothing else
# of a resource; IAM conditions cannot restrict which label keys a write sets.
resource "google_project_iam_custom_role" "tagger" {
  for_each    = var.tag_remediation ? local.target_projects : toset([])
  project     = each.value
  role_id     = "${replace(var.name_prefix, "-", "_")}_tagger"
  title       = "costwarden tag remediation"
  description = "List and label Compute Engine instances and disks and Cloud Storage buckets; read project labels."
  permissions = local.permissions.tagged
}

resource "google_project_iam_member" "tagger" {
  for_each = var.tag_remediation ? local.target_projects : toset([])
  project  = each.value
  role     = google_project_iam_custom_role.tagger[each.value].id
  member   = "serviceAccount:${google_service_account.functions.email}"
}

# Object access per bucket, each role exactly what the code does there.
resource "google_project_iam_custom_role" "objects" {
  for_each    = toset(["export", "output", "state"])
  project     = var.project_id
  role_id     = "${replace(var.name_prefix, "-", "_")}_${each.key}_objects"
  title       = "costwarden ${each.key} objects"
  description = "What costwarden's functions do with the objects of its ${each.key} bucket."
  permissions = local.permissions[each.key]
}

resource "google_storage_bucket_iam_member" "objects" {
  for_each = {
    export = google_storage_bucket.buckets["exports"].name
    output = google_storage_bucket.buckets["output"].name
    state  = google_storage_bucket.buckets["state"].name
  }
  bucket = each.value
  role   = google_project_iam_custom_role.objects[each.key].id
  member = "serviceAccount:${google_service_account.functions.email}"
}

resource "google_pubsub_topic_iam_member" "publish_work" {
  topic  = google_pubsub_topic.topics["schedule-work"].id
  role   = "roles/pubsub.publisher"
  member = "serviceAccount:${google_service_account.functions.email}"
}

resource "google_secret_manager_secret_iam_member" "slack_token" {
  secret_id = google_secret_manager_secret.slack_token.id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.functions.email}"
}

# Triggers: Eventarc delivers as the same service account, which must be allowed to receive
# events and to invoke each function's Cloud Run service.
resource "google_project_iam_member" "event_receiver" {
  project = var.project_id
  role    = "roles/eventarc.eventReceiver"
  member  = "serviceAccount:${google_service_account.functions.email}"
}

resource "google_cloud_run_service_iam_member" "invoker" {
  for_each = google_cloudfunctions2_function.functions
  location = var.region
  service  = each.value.service_config[0].service
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.functions.email}"
}

# Cloud Storage publishes the finalize events through Pub/Sub as its service agent.
data "google_storage_project_service_account" "gcs" {
}

resource "google_project_iam_member" "gcs_publishes_events" {
  project = var.project_id
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${data.google_storage_project_service_account.gcs.email_address}"
}

# Cloud Billing budgets publish their notifications as this Google-managed account.
resource "google_pubsub_topic_iam_member" "budgets_publish" {
  topic  = google_pubsub_topic.topics["budget"].id
  role   = "roles/pubsub.publisher"
  member = "serviceAccount:billing-budget-alert@system.gserviceaccount.com"
}
