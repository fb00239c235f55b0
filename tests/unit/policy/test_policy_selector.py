"""Selector.matches: every given field must match; tags are looked up the way people type them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from costwarden.models.resource import Resource
from costwarden.policy.scheduling import Selector, tag_value


def resource(**fields: Any) -> Resource:
    defaults: dict[str, Any] = {
        "cloud": "aws",
        "account": "123456789012",
        "region": "eu-west-1",
        "resource_id": "i-0abc",
        "resource_type": "ec2_instance",
        "name": "dev-web-1",
        "state": "running",
        "tags": {},
    }
    return Resource(**{**defaults, **fields})


def selector(**spec: Any) -> Selector:
    return Selector.model_validate(spec)


def test_an_empty_selector_matches_everything() -> None:
    assert selector().matches(resource())
    assert selector().matches(resource(cloud="gcp", resource_type="gce_instance"))


@pytest.mark.parametrize(
    ("spec", "fields", "matched"),
    [
        ({"clouds": ["aws", "azure"]}, {}, True),
        ({"clouds": ["gcp"]}, {}, False),
        ({"resource_types": ["asg", "ec2_instance"]}, {}, True),
        ({"resource_types": ["rds_instance"]}, {}, False),
        ({"accounts": ["1234*"]}, {}, True),
        ({"accounts": ["9*", "12345678901?"]}, {}, True),
        ({"accounts": ["9*"]}, {}, False),
        ({"regions": ["eu-*"]}, {}, True),
        ({"regions": ["us-*"]}, {}, False),
        ({"names": ["dev-*"]}, {}, True),
        ({"names": ["Dev-*"]}, {}, False),  # globs are case-sensitive
        ({"names": ["dev-web-[12]"]}, {}, True),
        ({"names": ["dev-web-[!1]"]}, {}, False),
        ({"names": ["dev"]}, {}, False),  # whole-name match, not a prefix
        ({"names": ["web"]}, {"name": "dev-web-1"}, False),
    ],
)
def test_fields_match_as_documented(
    spec: dict[str, Any], fields: dict[str, Any], matched: bool
) -> None:
    assert selector(**spec).matches(resource(**fields)) is matched


def test_all_fields_given_must_match() -> None:
    both = selector(clouds=["aws"], names=["prod-*"])

    assert not both.matches(resource(name="dev-web-1"))
    assert not both.matches(resource(cloud="azure", name="prod-web-1"))
    assert both.matches(resource(name="prod-web-1"))


@pytest.mark.parametrize(
    ("tags", "matched"),
    [
        ({"Environment": "dev"}, True),
        ({"Environment": "DEV"}, True),  # values are case-insensitive
        ({"environment": "Test"}, True),  # key found ignoring case when not exact
        ({"ENVIRONMENT": "test"}, True),
        ({"Environment": "prod"}, False),
        ({"Env": "dev"}, False),
        ({}, False),
        ({"Environment": "development"}, False),
    ],
)
def test_tag_values_are_compared_ignoring_case(tags: Mapping[str, str], matched: bool) -> None:
    assert selector(tags={"Environment": ["dev", "test"]}).matches(resource(tags=tags)) is matched


def test_an_exact_key_wins_over_one_that_differs_in_case() -> None:
    env = selector(tags={"Environment": ["dev"]})

    assert env.matches(resource(tags={"Environment": "dev", "environment": "prod"}))
    assert not env.matches(resource(tags={"Environment": "prod", "environment": "dev"}))


def test_star_means_the_tag_is_present_with_any_value() -> None:
    present = selector(tags={"costwarden:protected": ["*"]})

    assert present.matches(resource(tags={"costwarden:protected": "anything"}))
    assert present.matches(resource(tags={"costwarden:protected": ""}))
    assert not present.matches(resource(tags={"other": "x"}))


def test_every_tag_given_must_match() -> None:
    two = selector(tags={"Environment": ["dev"], "Team": ["web"]})

    assert two.matches(resource(tags={"Environment": "dev", "team": "Web"}))
    assert not two.matches(resource(tags={"Environment": "dev"}))


def test_google_labels_are_found_under_their_label_spelling() -> None:
    gce = {"cloud": "gcp", "resource_type": "gce_instance", "account": "my-project"}
    scheduled = selector(tags={"costwarden:schedule": ["*"]})
    team = selector(tags={"Team": ["Platform Eng"]})

    assert scheduled.matches(resource(**gce, tags={"costwarden-schedule": "office-hours"}))
    assert team.matches(resource(**gce, tags={"team": "platform-eng"}))
    # The label spelling is a Google convention only: on AWS the key must be the one written.
    assert not scheduled.matches(resource(tags={"costwarden-schedule": "office-hours"}))
    assert not team.matches(resource(tags={"team": "platform-eng"}))


def test_a_single_tag_value_may_be_written_without_a_list() -> None:
    assert selector(tags={"Environment": "dev"}).tags == {"Environment": ("dev",)}


def test_tag_value_reads_a_logical_key_on_each_cloud() -> None:
    assert tag_value(resource(tags={"Costwarden:Schedule": "x"}), "costwarden:schedule") == "x"
    gce = resource(cloud="gcp", tags={"costwarden-schedule": "y"})
    assert tag_value(gce, "costwarden:schedule") == "y"
    assert tag_value(resource(), "costwarden:schedule") is None


def test_selectors_with_the_same_fields_are_equal_and_dump_as_written() -> None:
    a = selector(names=["dev-*"], tags={"Environment": ["dev"]})
    b = selector(names=["dev-*"], tags={"Environment": ["dev"]})

    assert a == b
    assert a.model_dump() == {
        "clouds": None,
        "resource_types": None,
        "accounts": None,
        "regions": None,
        "names": ("dev-*",),
        "tags": {"Environment": ("dev",)},
    }
