"""Remediation: what is written, what is never touched, and that doing it twice changes nothing."""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from costwarden.models.budget import Provider
from costwarden.policy.tagging import TaggingSection
from costwarden.tagging.cloud_rules import CLOUD_LIMITS
from costwarden.tagging.remediation import Inferred, remediate
from costwarden.tagging.rules import CloudTagRules

from .conftest import POLICY

SECTION = TaggingSection.model_validate(POLICY)
CREATOR = Inferred("creator", {"Owner": "alice@example.com"}, "arn:aws:iam::1:user/alice")
PARENT = Inferred("parent", {"Environment": "test", "CostCenter": "cc-200"}, "asg web")
DEFAULTS = Inferred("defaults", {"CostCenter": "cc-100", "Environment": "dev"})


def test_inference_follows_the_documented_order() -> None:
    rules = CloudTagRules(SECTION, "aws")
    change = remediate({}, rules=rules, inferred=[CREATOR, PARENT, DEFAULTS])
    assert change.set == {
        "Environment": "test",
        "Owner": "alice@example.com",
        "CostCenter": "cc-200",
    }
    assert change.sources["Owner"].startswith("creator")
    assert change.sources["CostCenter"] == "parent asg web"


def test_a_key_only_infers_from_its_own_sources() -> None:
    # Owner may only come from the creator: a parent's Owner is not a person's identity.
    rules = CloudTagRules(SECTION, "aws")
    change = remediate({}, rules=rules, inferred=[Inferred("parent", {"Owner": "x@example.com"})])
    assert "Owner" not in change.set
    assert "nothing to infer" in change.unresolved["Owner"]


def test_existing_valid_tags_are_never_overwritten() -> None:
    rules = CloudTagRules(SECTION, "aws")
    tags = {"Environment": "prod", "Owner": "bob@example.com", "CostCenter": "cc-999"}
    change = remediate(tags, rules=rules, inferred=[CREATOR, PARENT, DEFAULTS])
    assert change.empty
    assert not change.unresolved


def test_an_invalid_value_is_reported_not_overwritten_unless_the_policy_says_so() -> None:
    tags = {"Environment": "qa"}
    kept = remediate(tags, rules=CloudTagRules(SECTION, "aws"), inferred=[DEFAULTS])
    assert "Environment" not in kept.set
    assert "'qa' is not allowed" in kept.unresolved["Environment"]
    eager = TaggingSection.model_validate({**POLICY, "overwrite_invalid": True})
    replaced = remediate(tags, rules=CloudTagRules(eager, "aws"), inferred=[DEFAULTS])
    assert replaced.set["Environment"] == "dev"


def test_alias_value_moves_to_the_canonical_key_and_alias_stays_unless_told() -> None:
    tags = {"env": "Production"}
    change = remediate(tags, rules=CloudTagRules(SECTION, "aws"))
    assert change.set == {"Environment": "prod"}
    assert change.remove == ()
    tidy = TaggingSection.model_validate({**POLICY, "remove_aliases": True})
    change = remediate(tags, rules=CloudTagRules(tidy, "aws"))
    assert change.remove == ("env",)


def test_google_labels_get_label_safe_values() -> None:
    change = remediate({}, rules=CloudTagRules(SECTION, "gcp"), inferred=[CREATOR, DEFAULTS])
    assert change.set == {
        "environment": "dev",
        "owner": "alice_example_com",
        "costcenter": "cc-100",
    }


def test_the_tag_limit_is_never_exceeded_and_the_rest_is_reported() -> None:
    rules = CloudTagRules(SECTION, "aws")
    tags = {f"k{i}": "v" for i in range(49)}
    change = remediate(tags, rules=rules, inferred=[CREATOR, DEFAULTS])
    assert len(change.applied_to(tags)) == 50
    assert list(change.set) == ["Environment"]
    assert change.unresolved.keys() == {"Owner", "CostCenter"}
    assert "50-tag limit" in change.unresolved["Owner"]


def test_aws_own_tags_do_not_count_towards_the_limit() -> None:
    """CloudFormation and Auto Scaling add ``aws:`` tags; AWS does not count them."""
    rules = CloudTagRules(SECTION, "aws")
    tags = {f"k{i}": "v" for i in range(44)} | {
        "aws:autoscaling:groupName": "web",
        "aws:cloudformation:stack-name": "s",
        "aws:cloudformation:stack-id": "arn:aws:cloudformation:eu-west-1:1:stack/s/x",
        "aws:cloudformation:logical-id": "Web",
        "aws:ec2launchtemplate:id": "lt-1",
        "env": "dev",
    }
    change = remediate(tags, rules=rules, inferred=[CREATOR, DEFAULTS])
    assert change.set == {
        "Environment": "dev",
        "Owner": "alice@example.com",
        "CostCenter": "cc-100",
    }
    assert not change.unresolved


def test_on_azure_another_casing_of_a_key_takes_no_extra_slot() -> None:
    rules = CloudTagRules(SECTION, "azure")
    tags = {f"k{i}": "v" for i in range(49)} | {"environment": "Dev"}
    change = remediate(tags, rules=rules, inferred=[])
    assert change.set == {"Environment": "dev"}
    assert "Environment" not in change.unresolved
    assert rules.tag_count(change.applied_to(tags)) == 50


def test_on_aws_another_casing_of_a_key_is_another_tag() -> None:
    rules = CloudTagRules(SECTION, "aws")
    tags = {f"k{i}": "v" for i in range(49)} | {"environment": "dev"}
    change = remediate(tags, rules=rules, inferred=[])
    assert "50-tag limit" in change.unresolved["Environment"]


def test_the_policy_s_first_alias_wins_when_several_are_present() -> None:
    section = TaggingSection.model_validate(
        {"required": {"Environment": {"aliases": ["stage", "env"], "values": ["dev", "prod"]}}}
    )
    finding = CloudTagRules(section, "aws").check({"env": "dev", "stage": "prod"})[0]
    assert (finding.status, finding.found_key, finding.fix) == ("alias", "stage", "prod")


# --- properties over random tag sets -------------------------------------------------------

_keys = st.sampled_from(
    [
        "Environment",
        "environment",
        "env",
        "ENV",
        "stage",
        "Owner",
        "owner",
        "CostCenter",
        "cost-center",
        "Name",
        "team",
        "x",
    ]
)
_values = st.one_of(
    st.sampled_from(
        [
            "dev",
            "Dev",
            "prod",
            "production",
            "qa",
            "",
            "cc-100",
            "CC-7",
            "a@example.com",
            "alice_example_com",
        ]
    ),
    st.text(alphabet=string.ascii_letters + "@._-", max_size=12),
)
_tag_sets = st.dictionaries(_keys, _values, max_size=8)
_filler = st.integers(min_value=0, max_value=70)
_offers = st.lists(
    st.builds(
        Inferred,
        st.sampled_from(["creator", "parent", "defaults"]),
        st.dictionaries(st.sampled_from(["Environment", "Owner", "CostCenter"]), _values),
    ),
    max_size=3,
)
_clouds = st.sampled_from(["aws", "azure", "gcp"])


@settings(max_examples=300, deadline=None)
@given(tags=_tag_sets, filler=_filler, offers=_offers, cloud=_clouds, tidy=st.booleans())
def test_remediation_is_idempotent_within_limits_and_never_drops_a_valid_tag(
    tags: dict[str, str], filler: int, offers: list[Inferred], cloud: Provider, tidy: bool
) -> None:
    section = TaggingSection.model_validate({**POLICY, "remove_aliases": tidy})
    rules = CloudTagRules(section, cloud)
    limit = CLOUD_LIMITS[cloud].max_tags
    tags = {**tags, **{f"z{i}": "v" for i in range(min(filler, limit - len(tags)))}}
    change = remediate(tags, rules=rules, inferred=offers)
    after = change.applied_to(tags)
    # idempotent: the second pass has nothing left to write
    assert remediate(after, rules=rules, inferred=offers).empty
    # within the cloud's limit (or no worse than it already was), counted as the cloud counts
    assert rules.tag_count(after) <= max(limit, rules.tag_count(tags))
    # a valid tag is never dropped or changed
    for finding in rules.check(tags):
        if finding.status == "ok" and finding.found_key is not None:
            assert after[finding.found_key] == tags[finding.found_key]
    # only aliases are ever removed, and only when asked to
    assert not change.remove or tidy
    # everything written is allowed
    for finding in rules.check(after):
        if finding.found_key in change.set:
            assert finding.status == "ok"
