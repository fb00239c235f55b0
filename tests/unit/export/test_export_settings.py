"""``COSTWARDEN_EXPORT_*`` settings and the stores the composition root builds from them."""

from __future__ import annotations

from pathlib import Path

import pytest

from costwarden.bootstrap_exports import build_export_arrival_deps, build_object_store
from costwarden.errors import ConfigError
from costwarden.settings import load_settings

AZURITE = (
    "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
    "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"
    "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;"
)


def test_export_settings_are_read_from_the_environment(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "COSTWARDEN_EXPORT_OUTPUT": "s3://acme-focus/focus",
            "COSTWARDEN_EXPORT_MAX_INPUT_MB": "256",
            "COSTWARDEN_EXPORT_MEMORY_LIMIT": "1800MB",
            "COSTWARDEN_EXPORT_LEASE_SECONDS": "960",
            "COSTWARDEN_EXPORT_WORK_DIR": str(tmp_path),
        }
    )

    assert settings.export_output == "s3://acme-focus/focus"
    assert settings.export_max_input_mb == 256
    assert settings.export_memory_limit == "1800MB"
    assert settings.export_lease_seconds == 960
    assert settings.export_work_dir == tmp_path


@pytest.mark.parametrize("url", ["ftp://host/x", "focus/out", "s3://", "azure://c/p"])
def test_an_unknown_export_output_is_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError, match=r"COSTWARDEN_EXPORT_OUTPUT: .*unknown export output"):
        load_settings({"COSTWARDEN_EXPORT_OUTPUT": url})


def test_the_functions_refuse_to_start_without_an_output() -> None:
    with pytest.raises(ConfigError, match="needs COSTWARDEN_EXPORT_OUTPUT"):
        build_export_arrival_deps(load_settings({}))


def test_a_file_url_is_a_local_folder(tmp_path: Path) -> None:
    store, prefix = build_object_store((tmp_path / "out").as_uri(), load_settings({}))

    assert store.location == (tmp_path / "out").as_uri()
    assert prefix == ""


def test_an_s3_url_names_the_bucket_and_the_prefix() -> None:
    store, prefix = build_object_store("s3://acme-focus/focus/v1/", load_settings({}))

    assert store.location == "s3://acme-focus"
    assert prefix == "focus/v1"


@pytest.mark.parametrize(
    ("url", "location", "prefix"),
    [
        ("azure-blob://focus/data", "http://127.0.0.1:10000/devstoreaccount1/focus", "data"),
        (
            "http://127.0.0.1:10000/devstoreaccount1/focus/data/v1",
            "http://127.0.0.1:10000/devstoreaccount1/focus",
            "data/v1",
        ),
    ],
)
def test_azure_urls_name_the_container_and_the_prefix(url: str, location: str, prefix: str) -> None:
    settings = load_settings({"COSTWARDEN_AZURE_BLOB_CONNECTION_STRING": AZURITE})

    store, got_prefix = build_object_store(url, settings)

    assert (store.location, got_prefix) == (location, prefix)


def test_a_connection_string_for_another_account_than_the_events_is_refused() -> None:
    settings = load_settings({"COSTWARDEN_AZURE_BLOB_CONNECTION_STRING": AZURITE})

    with pytest.raises(ConfigError, match="in storage account 'acmecostexports' but"):
        build_object_store("https://acmecostexports.blob.core.windows.net/c/p", settings)


def test_azure_blob_without_an_endpoint_or_a_connection_string_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="COSTWARDEN_AZURE_BLOB_ENDPOINT"):
        build_object_store("azure-blob://focus/data", load_settings({}))
