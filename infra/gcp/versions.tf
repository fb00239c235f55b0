# costwarden on Google Cloud: Cloud Functions (2nd gen) under one dedicated service account.
# Package first (costwarden package --cloud gcp --output ../../dist/gcp), then terraform apply.
# See docs/deploy-gcp.md.
terraform {
  required_version = ">= 1.5"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 5.40, < 7.0"
    }
    archive = {
      source  = "hashicorp/archive"
      version = ">= 2.4, < 3.0"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}
