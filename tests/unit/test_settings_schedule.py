"""The scheduler's ``COSTWARDEN_*`` settings (issue 3): names, parsing and strictness."""

from __future__ import annotations

import pytest

from costwarden.errors import ConfigError
from costwarden.settings import load_settings

AZURITE_QUEUE = (
    "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;"
    "QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;"
)


def test_scheduler_settings_are_read_from_the_environment() -> None:
    settings = load_settings(
        {
            "COSTWARDEN_SCHEDULE_QUEUE": "https://sqs.eu-west-1.amazonaws.com/123456789012/work",
            "COSTWARDEN_QUEUE_CONNECTION": AZURITE_QUEUE,
            "COSTWARDEN_DRY_RUN": "true",
            "COSTWARDEN_SCHEDULE_TICK": "0 */15 * * * *",
            "COSTWARDEN_AZURE_ARM_ENDPOINT": "https://management.usgovcloudapi.net/",
            "COSTWARDEN_GCP_COMPUTE_ENDPOINT": "http://127.0.0.1:8123",
            "COSTWARDEN_GCP_PUBSUB_ENDPOINT": "http://127.0.0.1:8124/",
        }
    )

    assert settings.schedule_queue == "https://sqs.eu-west-1.amazonaws.com/123456789012/work"
    assert settings.queue_connection is not None
    assert settings.queue_connection.get_secret_value() == AZURITE_QUEUE
    assert settings.dry_run is True
    assert settings.schedule_tick == "0 */15 * * * *"
    assert settings.azure_arm_endpoint == "https://management.usgovcloudapi.net"
    assert settings.gcp_compute_endpoint == "http://127.0.0.1:8123"
    assert settings.gcp_pubsub_endpoint == "http://127.0.0.1:8124"


def test_dry_run_is_off_unless_set() -> None:
    assert load_settings({}).dry_run is False


def test_the_queue_connection_string_never_shows_in_a_repr() -> None:
    settings = load_settings({"COSTWARDEN_QUEUE_CONNECTION": AZURITE_QUEUE})

    assert "a2V5" not in repr(settings)


@pytest.mark.parametrize("value", ["maybe", "2"])
def test_an_unreadable_dry_run_is_a_config_error(value: str) -> None:
    with pytest.raises(ConfigError, match="COSTWARDEN_DRY_RUN"):
        load_settings({"COSTWARDEN_DRY_RUN": value})


@pytest.mark.parametrize(
    "name",
    [
        "COSTWARDEN_AZURE_ARM_ENDPOINT",
        "COSTWARDEN_GCP_COMPUTE_ENDPOINT",
        "COSTWARDEN_GCP_PUBSUB_ENDPOINT",
    ],
)
@pytest.mark.parametrize("value", ["management.azure.com", "ftp://host", "https://"])
def test_an_endpoint_override_must_be_an_http_url(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=f"{name}: .*not an http"):
        load_settings({name: value})


def test_the_queue_triggers_identity_based_connection_names_the_queue_service() -> None:
    """Managed identity: the Functions host reads ``<connection>__queueServiceUri``; the
    planner sends to the same account."""
    settings = load_settings(
        {
            "COSTWARDEN_QUEUE_CONNECTION__queueServiceUri": "https://acme.queue.core.windows.net",
            "COSTWARDEN_QUEUE_CONNECTION__credential": "managedidentity",
            "COSTWARDEN_QUEUE_CONNECTION__clientId": "00000000-0000-0000-0000-0000000000aa",
        }
    )

    assert settings.queue_connection is not None
    assert settings.queue_connection.get_secret_value() == "https://acme.queue.core.windows.net"


def test_an_explicit_queue_connection_wins_over_the_identity_based_one() -> None:
    settings = load_settings(
        {
            "COSTWARDEN_QUEUE_CONNECTION": AZURITE_QUEUE,
            "COSTWARDEN_QUEUE_CONNECTION__queueServiceUri": "https://acme.queue.core.windows.net",
        }
    )

    assert settings.queue_connection is not None
    assert settings.queue_connection.get_secret_value() == AZURITE_QUEUE


@pytest.mark.parametrize(
    "name",
    [
        "COSTWARDEN_SCHEDULE_QUEUES",  # misspelt
        "COSTWARDEN_DRYRUN",
        "COSTWARDEN_QUEUE_CONNECTION__tableServiceUri",  # not a queue connection part
    ],
)
def test_unknown_scheduler_variables_stay_errors(name: str) -> None:
    with pytest.raises(ConfigError, match=f"{name.upper()}: Extra inputs are not permitted"):
        load_settings({name: "x"})
