"""Google Cloud adapters (google-cloud-*). Installed with the ``gcp`` extra; the core never
imports them."""

from costwarden.adapters.gcp.gcs_state import GcsStateStore

__all__ = ["GcsStateStore"]
