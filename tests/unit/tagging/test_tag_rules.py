"""Checking tags against the policy on each cloud, and refusing policies a cloud cannot honour."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from costwarden.policy.tagging import TaggingSection
from costwarden.tagging.cloud_rules import label_key, label_value, pattern_problem
from costwarden.tagging.rules import CloudTagRules

from .conftest import POLICY


def statuses(rules: CloudTagRules, tags: dict[str, str]) -> dict[str, str]:
    return {f.key: f.status for f in rules.check(tags)}


def test_valid_tags_are_ok_on_aws(section: TaggingSection) -> None:
    rules = CloudTagRules(section, "aws")
    tags = {"Environment": "prod", "Owner": "alice@example.com", "CostCenter": "CC-123"}
    assert statuses(rules, tags) == {"Environment": "ok", "Owner": "ok", "CostCenter": "ok"}


def test_alias_other_casing_normalization_and_invalid_values_are_told_apart(
    section: TaggingSection,
) -> None:
    rules = CloudTagRules(section, "aws")
    found = {
        f.key: f
        for f in rules.check({"ENV": "Production", "Owner": "bob", "cost-center": "cc-001"})
    }
    assert (found["Environment"].status, found["Environment"].fix) == ("alias", "prod")
    assert found["Environment"].found_key == "ENV"
    assert found["Owner"].status == "invalid"
    assert (found["CostCenter"].status, found["CostCenter"].fix) == ("alias", "cc-001")


def test_canonical_key_with_wrong_case_value_is_unnormalized(section: TaggingSection) -> None:
    rules = CloudTagRules(section, "aws")
    finding = rules.check({"Environment": "Dev"})[0]
    assert (finding.status, finding.fix) == ("unnormalized", "dev")


def test_missing_key_is_missing(section: TaggingSection) -> None:
    rules = CloudTagRules(section, "azure")
    assert statuses(rules, {})["Owner"] == "missing"


def test_gcp_checks_label_spelling_of_keys_and_values(section: TaggingSection) -> None:
    rules = CloudTagRules(section, "gcp")
    labels = {"environment": "prod", "owner": "alice_example_com", "costcenter": "cc-123"}
    assert set(statuses(rules, labels).values()) == {"ok"}
    assert statuses(rules, {"Environment": "prod"})["Environment"] == "alias"


def test_label_mapping_is_the_documented_one() -> None:
    assert label_key("costwarden:schedule") == "costwarden-schedule"
    assert label_key("CostCenter") == "costcenter"
    assert label_value("alice@Example.com") == "alice_example_com"
    assert len(label_value("x" * 100)) == 63


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"required": {"aws:team": {}}}, "the aws: prefix is reserved"),
        ({"required": {"cost/center": {}}}, "Azure tag names cannot contain /"),
        ({"required": {"9lives": {}}}, "label keys must start with a letter"),
        ({"required": {"Env": {}, "env": {}}}, "recognised as both"),
        (
            {"required": {"Owner": {"pattern": r"[a-z]+@example\.com"}}},
            "Google label values cannot contain",
        ),
        ({"required": {"Env": {"values": ["Dev", "dev"]}}}, "differ only in case"),
        ({"required": {"Env": {"values": ["a.b", "a_b"]}}}, "are both 'a_b'"),
        ({"required": {"Env": {"values": ["dev"], "pattern": "x"}}}, "either values or pattern"),
        ({"required": {"Env": {"values": ["dev"], "normalize": {"d": "qa"}}}}, "not an allowed"),
        ({"required": {"Env": {"infer": ["defaults", "creator"]}}}, "documented order"),
        ({"required": {"Env": {"pattern": "("}}}, "not a valid regular expression"),
        ({"required": {f"k{i}": {} for i in range(50)}, "clouds": ["aws"]}, "50-tag limit"),
        ({"required": {"Env": {"aliases": ["x"]}, "Other": {"aliases": ["X"]}}}, "both"),
    ],
)
def test_policies_a_cloud_cannot_honour_are_refused(
    change: dict[str, object], expected: str
) -> None:
    with pytest.raises(ValidationError, match=expected):
        TaggingSection.model_validate(change)


def test_a_policy_limited_to_aws_may_use_patterns_labels_cannot_hold() -> None:
    section = TaggingSection.model_validate(
        {"clouds": ["aws", "azure"], "required": {"Owner": {"pattern": r"[a-z]+@example\.com"}}}
    )
    assert CloudTagRules(section, "aws").check({"Owner": "al@example.com"})[0].status == "ok"


def test_pattern_problem_respects_ignore_case_and_optional_parts() -> None:
    assert pattern_problem("gcp", r"(?i)CC-[0-9]+") is None
    assert pattern_problem("gcp", r"cc(\.x)?-[0-9]+") is None  # the dot is optional
    assert pattern_problem("gcp", r"CC-[0-9]+") is not None
    assert pattern_problem("aws", r"CC@") is None


def test_scope_excludes_types_and_accounts() -> None:
    section = TaggingSection.model_validate(
        {**POLICY, "exclude_types": ["aws_iam_*"], "accounts": ["1111*"]}
    )
    rules = CloudTagRules(section, "aws")
    assert not rules.applies_to("aws_iam_role", None)
    assert rules.applies_to("aws_instance", None)
    assert rules.applies_to("ec2:instance", "111122223333")
    assert not rules.applies_to("ec2:instance", "222233334444")


@pytest.mark.parametrize(
    "pattern",
    [r"[A-Z]{2}-[0-9]{4}", r"x[A-Z]", r"cc-[.@]+", r"(?:[A-Z]|[A-Z])+", r"(?-i:[A-Z])"],
)
def test_a_required_class_no_label_character_matches_is_refused_on_gcp(pattern: str) -> None:
    assert pattern_problem("gcp", pattern) is not None
    with pytest.raises(ValidationError, match="Google label values cannot contain"):
        TaggingSection.model_validate({"required": {"CostCenter": {"pattern": pattern}}})


@pytest.mark.parametrize(
    "pattern",
    [r"(?i)[A-Z]{2}-[0-9]{4}", r"(?i:[A-Z])+", r"[A-Za-z]+", r"[^A-Z]+", r"[\w-]+", r"[A-Z]?x"],
)
def test_classes_some_label_character_matches_are_accepted_on_gcp(pattern: str) -> None:
    assert pattern_problem("gcp", pattern) is None
