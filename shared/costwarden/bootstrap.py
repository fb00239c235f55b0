"""Composition root: builds adapters from typed settings, once per warm container.

Handlers call ``budget_alert_deps()``; nothing here runs at import time, and each adapter's SDK
is imported only when the settings ask for that adapter, so an AWS function never imports the
Azure or Google libraries (and need not have them installed).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

from costwarden.errors import ConfigError
from costwarden.policy import Policy, default_policy, load_policy
from costwarden.ports import Clock, CostDrivers, NoCostData, Notifier, StateStore, SystemClock
from costwarden.settings import Settings

if TYPE_CHECKING:
    from costwarden.adapters.focus.published_data import PublishedFocusData
    from costwarden.adapters.slack.notifier import SlackNotifier


@dataclass(frozen=True)
class BudgetAlertDeps:
    """Everything ``process_budget_alert`` needs besides the alert."""

    policy: Policy
    state: StateStore
    notifier: Notifier
    cost_drivers: CostDrivers
    clock: Clock


def build_budget_alert_deps(settings: Settings) -> BudgetAlertDeps:
    return BudgetAlertDeps(
        policy=build_policy(settings),
        state=build_state_store(settings),
        notifier=build_notifier(settings),
        cost_drivers=build_cost_drivers(settings),
        clock=SystemClock(),
    )


def build_policy(settings: Settings) -> Policy:
    if settings.policy_path is None:
        return default_policy()
    return load_policy(settings.policy_path)


def build_state_store(settings: Settings) -> StateStore:
    """Pick the backend from the ``COSTWARDEN_STATE`` URL's scheme."""
    url = urlparse(settings.state)
    if url.scheme == "sqlite":
        from costwarden.adapters.local.sqlite_state import SqliteStateStore

        path = unquote(url.path)
        # sqlite:///relative/path keeps the leading slash off (like SQLAlchemy): ////abs/path.
        path = path[1:] if path.startswith("/") else path
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return SqliteStateStore(path)
    if url.scheme == "dynamodb":
        import boto3

        from costwarden.adapters.aws.dynamodb_state import DynamoDbStateStore

        return DynamoDbStateStore(url.netloc, boto3.client("dynamodb"))
    if url.scheme == "azure-table":
        return _azure_table_store(settings, table_name=url.netloc)
    if url.scheme == "gs":
        from google.cloud import storage

        from costwarden.adapters.gcp.gcs_state import GcsStateStore

        bucket = storage.Client().bucket(url.netloc)
        prefix = url.path.lstrip("/") or "costwarden/state/"
        return GcsStateStore(bucket, prefix=prefix if prefix.endswith("/") else prefix + "/")
    raise ConfigError(f"unsupported state store {settings.state!r}")  # settings validated it


def _azure_table_store(settings: Settings, *, table_name: str) -> StateStore:
    from azure.data.tables import TableServiceClient

    from costwarden.adapters.azure.table_state import AzureTableStateStore

    if settings.azure_table_connection_string is not None:
        service = TableServiceClient.from_connection_string(
            settings.azure_table_connection_string.get_secret_value()
        )
    elif settings.azure_table_endpoint:
        # Managed identity: no storage key in app settings at all.
        from azure.identity import DefaultAzureCredential

        service = TableServiceClient(
            endpoint=settings.azure_table_endpoint, credential=DefaultAzureCredential()
        )
    else:
        raise ConfigError(
            "azure-table state needs COSTWARDEN_AZURE_TABLE_ENDPOINT (managed identity) "
            "or COSTWARDEN_AZURE_TABLE_CONNECTION_STRING"
        )
    return AzureTableStateStore(service.create_table_if_not_exists(table_name))


def build_notifier(settings: Settings) -> SlackNotifier:
    """The Slack notifier every function posts through (budget alerts, digests, schedule and
    tag reports): one client with the retry handlers, per warm container."""
    from costwarden.adapters.slack.notifier import SlackNotifier, build_slack_client

    client = build_slack_client(
        resolve_slack_token(settings),
        base_url=settings.slack_base_url,
        max_retries=settings.slack_max_retries,
    )
    return SlackNotifier(client)


def resolve_slack_token(settings: Settings) -> str:
    """The bot token, from wherever this cloud keeps secrets. Never logged."""
    if settings.slack_token is not None:
        return settings.slack_token.get_secret_value()
    if settings.slack_token_parameter or settings.slack_token_secret:
        from costwarden.adapters.aws.slack_token import slack_token_from_aws

        return slack_token_from_aws(
            parameter=settings.slack_token_parameter, secret=settings.slack_token_secret
        )
    raise ConfigError(
        "no Slack token: set COSTWARDEN_SLACK_TOKEN (Azure Key Vault reference, GCP Secret "
        "Manager env) or COSTWARDEN_SLACK_TOKEN_PARAMETER / COSTWARDEN_SLACK_TOKEN_SECRET (AWS)"
    )


def build_cost_drivers(settings: Settings) -> CostDrivers:
    """Published FOCUS data when a store is configured, else local files, else none."""
    store_url = settings.published_cost_data
    if store_url is not None:
        from costwarden.adapters.focus.published_data import PublishedCostDrivers

        return PublishedCostDrivers(build_published_focus_data(settings, store_url))
    if not settings.cost_data:
        return NoCostData()
    from costwarden.adapters.focus.duckdb_cost_drivers import FocusCostDrivers

    return FocusCostDrivers(settings.cost_data)


def build_published_focus_data(settings: Settings, store_url: str) -> PublishedFocusData:
    """The local cache of what the export functions published at ``store_url``."""
    # bootstrap_exports imports this module: import it here, when a store is configured.
    from costwarden.adapters.focus.published_data import PublishedFocusData
    from costwarden.bootstrap_exports import build_object_store

    store, prefix = build_object_store(store_url, settings)
    return PublishedFocusData(store, prefix, settings.cache_dir)
