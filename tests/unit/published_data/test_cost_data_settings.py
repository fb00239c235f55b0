"""Which cost data a deployment reads: a store URL, local files, or the export output."""

from __future__ import annotations

from pathlib import Path

import pytest

from costwarden.adapters.focus.published_data import PublishedCostDrivers
from costwarden.bootstrap import build_cost_drivers
from costwarden.bootstrap_digest import build_allocated_cost_data
from costwarden.errors import ConfigError
from costwarden.ports import NoCostData
from costwarden.settings import load_settings


def test_the_export_output_is_the_default_cost_data_store() -> None:
    settings = load_settings({"COSTWARDEN_EXPORT_OUTPUT": "s3://acme-focus/focus"})

    assert settings.published_cost_data == "s3://acme-focus/focus"


def test_an_explicit_store_wins_and_local_files_win_over_the_default() -> None:
    explicit = load_settings(
        {
            "COSTWARDEN_EXPORT_OUTPUT": "s3://acme-focus/focus",
            "COSTWARDEN_COST_DATA_STORE": "gs://other/focus",
        }
    )
    local = load_settings(
        {"COSTWARDEN_EXPORT_OUTPUT": "s3://acme-focus/focus", "COSTWARDEN_COST_DATA": "a.parquet"}
    )

    assert explicit.published_cost_data == "gs://other/focus"
    assert local.published_cost_data is None


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"COSTWARDEN_COST_DATA": "a.parquet", "COSTWARDEN_COST_DATA_STORE": "s3://b/p"},
            "not both",
        ),
        ({"COSTWARDEN_COST_DATA_STORE": "ftp://b/p"}, "COSTWARDEN_COST_DATA_STORE"),
    ],
)
def test_conflicting_or_unknown_cost_data_settings_are_refused(
    env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(env)


def test_a_file_store_gives_budget_alerts_published_drivers(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "COSTWARDEN_COST_DATA_STORE": (tmp_path / "focus").as_uri(),
            "COSTWARDEN_CACHE_DIR": str(tmp_path / "cache"),
        }
    )

    drivers = build_cost_drivers(settings)

    assert isinstance(drivers, PublishedCostDrivers)
    assert drivers.data.root.parent == tmp_path / "cache"
    assert isinstance(build_cost_drivers(load_settings({})), NoCostData)


def test_the_digest_without_any_cost_data_refuses_to_start() -> None:
    with pytest.raises(ConfigError, match="the daily digest needs cost data"):
        build_allocated_cost_data(load_settings({}))
