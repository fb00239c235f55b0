"""Deployment settings, typed and parsed once at the edge (environment / app settings).

The policy file says *what* costwarden does; these settings say *where* its state, token and
cost data live in one deployment. Every variable is prefixed ``COSTWARDEN_``.

A plain pydantic model fed from ``os.environ`` rather than pydantic-settings: the latter costs
~150 ms of import on a cold start (it loads its cloud secret-store providers), and reading a
dozen prefixed variables needs none of it.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from costwarden.errors import ConfigError

STATE_SCHEMES = ("dynamodb", "azure-table", "gs", "sqlite")
#: where FOCUS Parquet from billing exports is published (``COSTWARDEN_EXPORT_OUTPUT``)
EXPORT_OUTPUT_SCHEMES = ("s3", "gs", "azure-blob", "https", "http", "file")


ENV_PREFIX = "COSTWARDEN_"
# Azure Functions identity-based connection settings (``<connection>__<part>``) of the queue
# trigger's ``connection="COSTWARDEN_QUEUE_CONNECTION"``; any other part stays an unknown setting.
_QUEUE_IDENTITY_PREFIX = "queue_connection__"
_QUEUE_IDENTITY_PARTS = frozenset(
    {"queueserviceuri", "credential", "clientid", "managedidentityresourceid"}
)
#: Variables of the command line's own tools, not of a deployment (``COSTWARDEN_PACKAGE_PIP``:
#: the pip ``costwarden package`` resolves with). A shell that exported one for packaging must
#: still run ``plan`` or ``tags``; a misspelling of them stays an unknown setting.
CLI_ONLY_VARIABLES = frozenset({"package_pip"})


class Settings(BaseModel):
    """``COSTWARDEN_*`` settings shared by every cloud's functions."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    policy_path: Path | None = Field(
        default=None, description="policy YAML; unset = the embedded default policy"
    )
    state: str = Field(
        default="sqlite:///.costwarden/state.sqlite3",
        description=(
            "where dedup state lives: dynamodb://TABLE, azure-table://TABLE, "
            "gs://BUCKET/PREFIX or sqlite:///PATH"
        ),
    )
    # Slack token, by source. AWS reads SSM/Secrets Manager through Powertools Parameters (cached,
    # so a rotated token is picked up); Azure and Google expose their secret store as an env var.
    slack_token: SecretStr | None = None
    slack_token_parameter: str | None = Field(default=None, description="SSM SecureString name")
    slack_token_secret: str | None = Field(default=None, description="Secrets Manager id/ARN")
    slack_base_url: str | None = Field(
        default=None, description="Slack Web API base URL; only the local run overrides it"
    )
    slack_max_retries: int = Field(default=3, ge=0, le=10)
    cost_data: list[str] = Field(
        default_factory=list, description="FOCUS CSV/Parquet paths or globs for cost drivers"
    )
    # Azure: the Action Group webhook URL carries ?token=<this>; Action Groups cannot send headers.
    webhook_token: SecretStr | None = None
    azure_table_connection_string: SecretStr | None = None
    azure_table_endpoint: str | None = Field(
        default=None, description="https://<account>.table.core.windows.net (managed identity)"
    )

    # Billing exports -> FOCUS (functions/*/export_arrival, docs/billing-exports.md).
    export_output: str | None = Field(
        default=None,
        description=(
            "where FOCUS Parquet is published: s3://BUCKET/PREFIX, gs://BUCKET/PREFIX, "
            "azure-blob://CONTAINER/PREFIX, https://ACCOUNT.blob.core.windows.net/CONTAINER/"
            "PREFIX or file:///DIR"
        ),
    )
    export_max_input_mb: int | None = Field(
        default=512,
        ge=1,
        description=(
            "refuse exports whose data files exceed this (MiB, compressed) before downloading "
            "them: convert those on a warehouse (docs/billing-exports.md, sizing)"
        ),
    )
    export_memory_limit: str | None = Field(
        default=None,
        description="DuckDB memory_limit for a conversion, e.g. 1GB (about 60% of the function's)",
    )
    export_lease_seconds: int = Field(
        default=900, ge=60, le=86_400, description="at least the function's timeout"
    )
    export_work_dir: Path | None = Field(
        default=None, description="scratch folder for downloads and Parquet; default: TMPDIR"
    )
    azure_blob_connection_string: SecretStr | None = None
    azure_blob_endpoint: str | None = Field(
        default=None,
        description="https://<account>.blob.core.windows.net for azure-blob:// (managed identity)",
    )

    # Published FOCUS data as the cost data of budget alerts and the daily digest
    # (adapters/focus/published_data.py, docs/cost-digest.md).
    cost_data_store: str | None = Field(
        default=None,
        description=(
            "where the export functions publish FOCUS data, read through its pointers: the "
            "same URLs as export_output; default: export_output unless cost_data names files"
        ),
    )
    cache_dir: Path = Field(
        default_factory=lambda: Path(tempfile.gettempdir()) / "costwarden-cost-data",
        description="local copies of published FOCUS files (one download per published run)",
    )
    # Read by the Azure Functions host (``%COSTWARDEN_DIGEST_SCHEDULE%`` in the timer trigger),
    # not by our code; declared so that load_settings accepts it in the app settings.
    digest_schedule: str | None = Field(
        default=None, description="Azure: NCRONTAB of the cost_digest timer, e.g. 0 0 7 * * *"
    )
    digest_lease_seconds: int = Field(
        default=600, ge=60, le=86_400, description="how long a digest claim is exclusive"
    )

    # Scheduling (issue 3; docs/scheduling.md): the planner fans one work item per target out
    # on a queue, the worker acts on one target per message.
    schedule_queue: str | None = Field(
        default=None,
        description=(
            "where work items go: AWS SQS queue URL, Azure Storage queue name, GCP Pub/Sub "
            "topic projects/PROJECT/topics/TOPIC"
        ),
    )
    # A connection string carries the account key: kept out of reprs and logs. The Azure
    # queue trigger names this same setting as its ``connection``.
    queue_connection: SecretStr | None = Field(
        default=None,
        description=(
            "Azure: storage connection string, or https://<account>.queue.core.windows.net "
            "(managed identity; the trigger reads COSTWARDEN_QUEUE_CONNECTION__queueServiceUri)"
        ),
    )
    dry_run: bool = Field(
        default=False, description="plan and report only; ORed with the policy's safety.dry_run"
    )
    # Read by the Azure Functions host (``%COSTWARDEN_SCHEDULE_TICK%``), like digest_schedule.
    schedule_tick: str | None = Field(
        default=None,
        description="Azure: NCRONTAB of the schedule_planner timer, e.g. 0 */15 * * * *",
    )
    # Read by the Azure Functions host (``%COSTWARDEN_TAG_SWEEP_SCHEDULE%``), like schedule_tick.
    tag_sweep_schedule: str | None = Field(
        default=None,
        description="Azure: NCRONTAB of the tag_sweep timer, e.g. 0 30 5 * * *",
    )
    azure_arm_endpoint: str | None = Field(
        default=None,
        description="Azure Resource Manager base URL; default the public cloud (tests, sovereign)",
    )
    gcp_compute_endpoint: str | None = Field(
        default=None,
        description="Compute Engine API base URL; default compute.googleapis.com (tests, PSC)",
    )
    gcp_pubsub_endpoint: str | None = Field(
        default=None,
        description="Pub/Sub API base URL of the planner's sends; default pubsub.googleapis.com",
    )

    @field_validator("azure_arm_endpoint", "gcp_compute_endpoint", "gcp_pubsub_endpoint")
    @classmethod
    def _http_endpoint(cls, value: str | None) -> str | None:
        if value is None:
            return None
        url = urlparse(value)
        if url.scheme not in ("https", "http") or not url.netloc:
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value.rstrip("/")

    @property
    def published_cost_data(self) -> str | None:
        """The store URL cost data is read from, or None when it comes from local paths."""
        if self.cost_data_store is not None:
            return self.cost_data_store
        if self.cost_data:
            return None  # explicit files win over the implicit default
        return self.export_output

    @field_validator("cost_data_store")
    @classmethod
    def _one_cost_data_source(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("cost_data"):
            raise ValueError(
                "set COSTWARDEN_COST_DATA (local files) or COSTWARDEN_COST_DATA_STORE "
                "(published data), not both"
            )
        return value

    @field_validator("export_output", "cost_data_store")
    @classmethod
    def _known_export_output(cls, value: str | None) -> str | None:
        if value is None:
            return None
        url = urlparse(value)
        if url.scheme not in EXPORT_OUTPUT_SCHEMES or not (url.netloc or url.path.strip("/")):
            raise ValueError(
                f"unknown export output {value!r}; use s3://, gs://, azure-blob://, "
                "https://<account>.blob.core.windows.net/... or file:///"
            )
        return value

    @field_validator("state")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        scheme = urlparse(value).scheme
        if scheme not in STATE_SCHEMES:
            raise ValueError(f"unknown state store {value!r}; use one of {STATE_SCHEMES}")
        return value


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read ``COSTWARDEN_*`` variables, turning every problem into one ``ConfigError``.

    Unknown ``COSTWARDEN_*`` variables are errors too: a misspelt setting silently ignored is
    how a deployment ends up posting to the default channel for a month.
    """
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    queue_service_uri: str | None = None
    for name, raw in env.items():
        if not name.startswith(ENV_PREFIX):
            continue
        field = name[len(ENV_PREFIX) :].lower()
        if field in CLI_ONLY_VARIABLES:
            continue
        if field.startswith(_QUEUE_IDENTITY_PREFIX):
            # An identity-based connection of the Azure queue trigger: the host reads these
            # parts; only the queue service URI concerns our code (the planner's sender).
            part = field[len(_QUEUE_IDENTITY_PREFIX) :]
            if part in _QUEUE_IDENTITY_PARTS:
                if part == "queueserviceuri":
                    queue_service_uri = raw
                continue
        values[field] = _list_value(raw) if field == "cost_data" else raw
    if queue_service_uri is not None:
        values.setdefault("queue_connection", queue_service_uri)
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{ENV_PREFIX}{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from None


def _list_value(raw: str) -> Any:
    """A JSON list (``["a.parquet", "b/*.csv"]``) or one path/glob."""
    text = raw.strip()
    if text.startswith("["):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return raw  # validation then reports "not a list"
    return [text] if text else []
