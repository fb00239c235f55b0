"""The ``tagging`` policy section: required tags, their aliases, allowed values, how missing
values are inferred, and what happens to what cannot be inferred.

One policy is written once, in logical keys (``Environment``), and honoured on every cloud
listed in ``tagging.clouds``. Each cloud's limits (``cloud_limits``) are checked at validation
time, so a policy that cannot be honoured somewhere is refused with the reason instead of
failing at 3 a.m. on the first Google label write. The mapping of logical keys and values to
Google labels is ``costwarden.tagging.cloud_rules`` (documented in docs/tagging.md).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from costwarden.models.budget import Provider
from costwarden.policy.fields import Glob, TeamName, Text, fail
from costwarden.policy.yaml_source import Loc
from costwarden.tagging.cloud_rules import (
    CLOUD_LIMITS,
    key_problem,
    label_key,
    label_value,
    pattern_problem,
    value_problem,
)

InferenceSource = Literal["creator", "parent", "defaults"]
#: The documented order; a policy may drop sources but not reorder them (docs/tagging.md).
INFERENCE_ORDER: tuple[InferenceSource, ...] = ("creator", "parent", "defaults")
ALL_CLOUDS: tuple[Provider, ...] = ("aws", "azure", "gcp")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _unique_folded(values: tuple[str, ...]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for value in values:
        folded = value.casefold()
        if folded in seen:
            raise fail("duplicate", f"{value!r} and {seen[folded]!r} differ only in case")
        seen[folded] = value
    return values


def _regex(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise fail("regex", f"not a valid regular expression: {exc}") from None
    return pattern


Regex = Annotated[Text, AfterValidator(_regex)]


class RequiredTag(_Section):
    """One required key: how it may be spelled, what values it may take, how to fix it."""

    aliases: Annotated[tuple[Text, ...], AfterValidator(_unique_folded)] = Field(
        default=(),
        description="other spellings recognised as this key, compared case-insensitively "
        "(the canonical key itself is always recognised in any case)",
    )
    values: tuple[Text, ...] = Field(
        default=(), description="allowed values; a value equal to one ignoring case is normalized"
    )
    pattern: Regex | None = Field(
        default=None, description="allowed values as a regular expression (full match)"
    )
    gcp_pattern: Regex | None = Field(
        default=None,
        description="the pattern Google label values are checked against instead of pattern "
        "(labels are lowercase [a-z0-9_-]; an e-mail pattern cannot match one)",
    )
    normalize: dict[Text, Text] = Field(
        default_factory=dict,
        description="value rewrites applied before checking, e.g. Production: prod",
    )
    infer: tuple[InferenceSource, ...] = Field(
        default=INFERENCE_ORDER,
        description="where a missing value may come from, in this order: creator, parent, "
        "defaults (a subset, same order)",
    )

    @field_validator("values")
    @classmethod
    def _values_unique(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return _unique_folded(values)

    @field_validator("infer")
    @classmethod
    def _documented_order(cls, sources: tuple[InferenceSource, ...]) -> tuple[InferenceSource, ...]:
        if list(sources) != [s for s in INFERENCE_ORDER if s in sources]:
            raise fail(
                "infer_order",
                f"inference sources keep the documented order {', '.join(INFERENCE_ORDER)} "
                "(drop the ones you do not want)",
            )
        return sources

    @model_validator(mode="after")
    def _values_or_pattern(self) -> RequiredTag:
        if self.values and (self.pattern or self.gcp_pattern):
            raise fail("values_and_pattern", "give either values or pattern, not both")
        if self.values:
            allowed = {v.casefold() for v in self.values}
            for source, target in self.normalize.items():
                if target.casefold() not in allowed:
                    raise fail(
                        "normalize_target",
                        f"normalize maps {source!r} to {target!r}, which is not an allowed value",
                    )
        return self


class TagDefault(_Section):
    """Values for resources of matching accounts / subscriptions / projects (last resort)."""

    clouds: tuple[Provider, ...] = Field(default=ALL_CLOUDS, min_length=1)
    accounts: tuple[Glob, ...] = Field(
        default=("*",), description="globs on account id / subscription id / project id"
    )
    tags: dict[Text, Text] = Field(min_length=1)


class ParentSources(_Section):
    """Which parents lend their tags to a child that lacks them."""

    aws: tuple[Literal["autoscaling_group", "cloudformation_stack"], ...] = (
        "autoscaling_group",
        "cloudformation_stack",
    )
    azure: tuple[Literal["resource_group"], ...] = ("resource_group",)
    gcp: tuple[Literal["project"], ...] = ("project",)


class GracePeriod(_Section):
    """What happens to a violation nobody fixed by its deadline (docs/tagging.md)."""

    days: int = Field(default=7, ge=0, le=90, description="from marking to the action")
    action: Literal["notify", "stop"] = Field(
        default="notify",
        description="notify: the team's report escalates the overdue resource; stop: the "
        "sweep also stops it (EC2 instances, Auto Scaling groups, RDS instances, Azure VMs, "
        "GCE instances) through the scheduler's plan/apply path, its protections, dry run and "
        "blast-radius cap; other types are escalated",
    )


class TaggingSection(_Section):
    """Required tags and their remediation, for every cloud in ``clouds``."""

    clouds: tuple[Provider, ...] = Field(
        default=ALL_CLOUDS, min_length=1, description="where this policy must be honoured"
    )
    required: dict[Text, RequiredTag] = Field(min_length=1)
    accounts: tuple[Glob, ...] = Field(
        default=("*",), description="globs on account id / subscription id / project id covered"
    )
    include_types: tuple[Glob, ...] = Field(
        default=("*",),
        description="resource types checked (globs over the cloud's own type names: "
        "'ec2:instance', 'Microsoft.Compute/virtualMachines', "
        "'compute.googleapis.com/Instance', or Terraform's 'aws_instance')",
    )
    exclude_types: tuple[Glob, ...] = Field(
        default=(), description="resource types never checked (globs), e.g. 'aws_iam_*'"
    )
    owner_key: Text | None = Field(
        default=None, description="the required key the creator's identity fills"
    )
    parents: ParentSources = Field(default_factory=ParentSources)
    defaults: tuple[TagDefault, ...] = Field(default=(), description="first match wins")
    overwrite_invalid: bool = Field(
        default=False,
        description="replace a present but invalid value with an inferred one (default: warn)",
    )
    remove_aliases: bool = Field(
        default=False, description="delete an alias key once its value moved to the canonical key"
    )
    mark_key: Text = Field(
        default="costwarden:tag-violation",
        description="tag marking a resource with missing keys and the deadline",
    )
    grace: GracePeriod = Field(default_factory=GracePeriod)
    team: TeamName | None = Field(
        default=None, description="who hears about violations when the resource names no team"
    )

    @field_validator("required")
    @classmethod
    def _keys_distinct(cls, required: dict[str, RequiredTag]) -> dict[str, RequiredTag]:
        spellings: dict[str, str] = {}
        for key, rule in required.items():
            for spelling in (key, *rule.aliases):
                folded = spelling.casefold()
                if folded in spellings and spellings[folded] != key:
                    raise fail(
                        "alias_clash",
                        f"{spelling!r} would be recognised as both {spellings[folded]!r} "
                        f"and {key!r}",
                    )
                spellings[folded] = key
        return required

    @model_validator(mode="after")
    def _honourable_everywhere(self) -> TaggingSection:
        problems = cloud_problems(self)
        if problems:
            raise fail("cloud_limits", "; ".join(problems))
        if self.owner_key is not None and self.owner_key not in self.required:
            raise fail("owner_key", f"owner_key {self.owner_key!r} is not a required key")
        return self


def cloud_problems(section: TaggingSection) -> list[str]:
    """Why the policy cannot be honoured on one of its clouds (empty when it can)."""
    problems: list[str] = []
    keys: list[str] = [*section.required, section.mark_key]
    for default in section.defaults:
        keys += list(default.tags)
    for cloud in section.clouds:
        limit = CLOUD_LIMITS[cloud]
        own = len(section.required) + 1  # + the violation mark
        if own > limit.max_tags:
            problems.append(
                f"{cloud}: {own} keys (required + mark) exceed the {limit.max_tags}-tag limit"
            )
        for key in dict.fromkeys(keys):
            if reason := key_problem(cloud, key):
                problems.append(f"{cloud}: key {key!r}: {reason}")
        problems += _value_problems(cloud, section)
        if cloud == "gcp":
            problems += _label_collisions(section)
    return problems


def _value_problems(cloud: Provider, section: TaggingSection) -> list[str]:
    problems: list[str] = []
    for key, rule in section.required.items():
        for value in (*rule.values, *rule.normalize.values()):
            if reason := value_problem(cloud, value):
                problems.append(f"{cloud}: {key} value {value!r}: {reason}")
        pattern = rule.gcp_pattern if cloud == "gcp" and rule.gcp_pattern else rule.pattern
        if pattern and (reason := pattern_problem(cloud, pattern)):
            fix = " (give gcp_pattern for label values)" if cloud == "gcp" else ""
            problems.append(f"{cloud}: {key} pattern {pattern!r}: {reason}{fix}")
    for default in section.defaults:
        for key, value in default.tags.items():
            if reason := value_problem(cloud, value):
                problems.append(f"{cloud}: default {key}={value!r}: {reason}")
    return problems


def _label_collisions(section: TaggingSection) -> list[str]:
    """Two logical keys (or two allowed values) that become the same Google label."""
    problems: list[str] = []
    seen: dict[str, str] = {}
    for key in section.required:
        label = label_key(key)
        if label in seen:
            problems.append(f"gcp: keys {seen[label]!r} and {key!r} are both label {label!r}")
        seen[label] = key
    for key, rule in section.required.items():
        values: dict[str, str] = {}
        for value in rule.values:
            mapped = label_value(value)
            if mapped in values:
                problems.append(
                    f"gcp: {key} values {values[mapped]!r} and {value!r} are both {mapped!r}"
                )
            values[mapped] = value
    return problems


def tagging_problems(data: Mapping[str, object], known: list[str]) -> list[tuple[Loc, str]]:
    """Cross-section rules over plain data: the team named in ``tagging.team`` exists."""
    section = data.get("tagging")
    if not isinstance(section, Mapping):
        return []
    team = section.get("team")
    if isinstance(team, str) and team not in known:
        where = f"known: {', '.join(known)}" if known else "no teams are defined"
        return [(("tagging", "team"), f"unknown team {team!r} ({where})")]
    return []


def canonical_keys(section: TaggingSection) -> Mapping[str, str]:
    """Every recognised spelling, case-folded, -> its canonical key."""
    out: dict[str, str] = {}
    for key, rule in section.required.items():
        out[key.casefold()] = key
        for alias in rule.aliases:
            out[alias.casefold()] = key
    return out
