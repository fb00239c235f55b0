"""Composition root of the scheduled daily-digest functions: the ports ``send_daily_digests`` takes.

Like ``bootstrap``, nothing runs at import time and each SDK is imported only when the settings
ask for it. Handlers call ``build_digest_deps`` once per warm container and pass
``vars(deps)`` to the service.

Cost data, in order:

1. ``COSTWARDEN_COST_DATA_STORE`` — published FOCUS data, read through its pointers into a
   local cache (``COSTWARDEN_CACHE_DIR``);
2. ``COSTWARDEN_COST_DATA`` — local FOCUS Parquet paths or globs (the local run, tests);
3. ``COSTWARDEN_EXPORT_OUTPUT`` — where this deployment's export functions publish.

Without any of them the digest has nothing to report on: a ``ConfigError``, not a silent no-op.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from costwarden.bootstrap import (
    build_policy,
    build_published_focus_data,
    build_state_store,
    resolve_slack_token,
)
from costwarden.errors import ConfigError
from costwarden.policy import Policy
from costwarden.ports import Clock, StateStore, SystemClock
from costwarden.services.cost_digest import AllocatedCostData, DigestNotifier
from costwarden.settings import Settings


@dataclass(frozen=True)
class DigestDeps:
    """Everything ``send_daily_digests`` needs besides the invocation id."""

    policy: Policy
    cost_data: AllocatedCostData
    notifier: DigestNotifier
    clock: Clock
    state: StateStore
    lease: timedelta


def build_digest_deps(settings: Settings) -> DigestDeps:
    return DigestDeps(
        policy=build_policy(settings),
        cost_data=build_allocated_cost_data(settings),
        notifier=build_digest_notifier(settings),
        clock=SystemClock(),
        state=build_state_store(settings),
        lease=timedelta(seconds=settings.digest_lease_seconds),
    )


def build_allocated_cost_data(settings: Settings) -> AllocatedCostData:
    store_url = settings.published_cost_data
    if store_url is not None:
        from costwarden.adapters.focus.published_data import PublishedAllocatedCostData

        return PublishedAllocatedCostData(build_published_focus_data(settings, store_url))
    if settings.cost_data:
        from costwarden.focus.allocation import FocusAllocator

        return FocusAllocator(settings.cost_data)
    raise ConfigError(
        "the daily digest needs cost data: set COSTWARDEN_COST_DATA_STORE (or "
        "COSTWARDEN_EXPORT_OUTPUT) to where the export functions publish FOCUS data, or "
        "COSTWARDEN_COST_DATA to FOCUS Parquet files"
    )


def build_digest_notifier(settings: Settings) -> DigestNotifier:
    from costwarden.adapters.slack.notifier import SlackNotifier, build_slack_client

    client = build_slack_client(
        resolve_slack_token(settings),
        base_url=settings.slack_base_url,
        max_retries=settings.slack_max_retries,
    )
    return SlackNotifier(client, upload_retries=settings.slack_max_retries)
