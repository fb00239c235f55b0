"""The tag policy compiled for one cloud: what each required key looks like there, and whether
a resource's tags honour it.

Compiled once per (policy, cloud) and reused for every resource of a sweep or a Terraform
plan: spellings, allowed values and patterns are resolved to the cloud's own form up front, so
checking a resource is dictionary look-ups and at most one regex match per key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Literal

from costwarden.models.budget import Provider
from costwarden.policy.tagging import RequiredTag, TaggingSection
from costwarden.tagging.cloud_rules import CLOUD_LIMITS, cloud_key, cloud_value

FindingStatus = Literal[
    "ok",  # the canonical key holds an allowed value
    "missing",  # no spelling of the key is present
    "alias",  # only an alias (or another casing) holds it; ``fix`` is the canonical value
    "unnormalized",  # canonical key, value allowed after normalization (``Dev`` -> ``dev``)
    "invalid",  # present, but no normalization makes it allowed
]


@dataclass(frozen=True, slots=True)
class Finding:
    """One required key on one resource."""

    key: str  # logical (policy) key
    status: FindingStatus
    found_key: str | None = None  # the key as written on the resource
    found_value: str | None = None
    #: The value to write under the canonical key when it is known without inference.
    fix: str | None = None

    @property
    def violation(self) -> bool:
        return self.status != "ok"

    def describe(self) -> str:
        if self.status == "missing":
            return f"{self.key}: missing"
        if self.status == "alias":
            return (
                f"{self.key}: found as {self.found_key}={self.found_value!r}; "
                f"write {self.key}={self.fix!r}"
            )
        if self.status == "unnormalized":
            return f"{self.key}: {self.found_value!r} should be written {self.fix!r}"
        if self.status == "invalid":
            return f"{self.key}: {self.found_value!r} is not an allowed value"
        return f"{self.key}: ok"


class _KeyRule:
    """One required key in one cloud's spelling."""

    __slots__ = ("allowed", "canonical", "key", "normalize", "pattern", "rule", "spellings")

    def __init__(self, key: str, rule: RequiredTag, cloud: Provider) -> None:
        self.key = key
        self.rule = rule
        self.canonical = cloud_key(cloud, key)
        # folded spellings in policy order (the key, then its aliases): the first alias wins
        self.spellings = tuple(
            dict.fromkeys(cloud_key(cloud, s).casefold() for s in (key, *rule.aliases))
        )
        # allowed value (folded) -> its canonical spelling on this cloud
        self.allowed = {
            cloud_value(cloud, v).casefold(): cloud_value(cloud, v) for v in rule.values
        }
        self.normalize = {
            cloud_value(cloud, k).casefold(): cloud_value(cloud, v)
            for k, v in rule.normalize.items()
        }
        pattern = rule.gcp_pattern if cloud == "gcp" and rule.gcp_pattern else rule.pattern
        self.pattern = re.compile(pattern) if pattern else None

    def valid(self, value: str) -> bool:
        if not value.strip():
            return False
        if self.allowed:
            return self.allowed.get(value.casefold()) == value
        if self.pattern is not None:
            return self.pattern.fullmatch(value) is not None
        return True

    def normalized(self, value: str) -> str | None:
        """The allowed spelling of ``value``, or None when nothing makes it allowed."""
        if self.valid(value):
            return value
        candidate = self.normalize.get(value.strip().casefold(), value.strip())
        if self.allowed:
            return self.allowed.get(candidate.casefold())
        return candidate if self.valid(candidate) else None


class CloudTagRules:
    """A ``TaggingSection`` as it applies on one cloud."""

    def __init__(self, section: TaggingSection, cloud: Provider) -> None:
        self.section = section
        self.cloud = cloud
        self.max_tags = CLOUD_LIMITS[cloud].max_tags
        self.keys = tuple(_KeyRule(k, r, cloud) for k, r in section.required.items())
        self.mark_key = cloud_key(cloud, section.mark_key)
        self._by_key = {k.key: k for k in self.keys}

    def applies_to(self, resource_type: str, account: str | None) -> bool:
        """Whether the policy covers a resource of this type in this account.

        ``account`` None means "not known yet" (a Terraform plan): account scoping is skipped.
        """
        s = self.section
        if self.cloud not in s.clouds:
            return False
        if any(fnmatchcase(resource_type, g) for g in s.exclude_types):
            return False
        if not any(fnmatchcase(resource_type, g) for g in s.include_types):
            return False
        return account is None or any(fnmatchcase(account, g) for g in s.accounts)

    def tag_count(self, tags: Mapping[str, str]) -> int:
        """How many of the cloud's ``max_tags`` these tags use: AWS does not count its own
        ``aws:`` tags; Azure tag names are case-insensitive, so two casings are one tag."""
        if self.cloud == "aws":
            return sum(1 for k in tags if not k.lower().startswith("aws:"))
        if self.cloud == "azure":
            return len({k.casefold() for k in tags})
        return len(tags)

    def check(self, tags: Mapping[str, str]) -> list[Finding]:
        """One finding per required key, in policy order."""
        folded: dict[str, list[str]] = {}
        for k in tags:
            folded.setdefault(k.casefold(), []).append(k)
        return [self._finding(rule, tags, folded) for rule in self.keys]

    def violations(self, tags: Mapping[str, str]) -> list[Finding]:
        return [f for f in self.check(tags) if f.violation]

    def accepts(self, key: str, value: str) -> str | None:
        """``value`` (logical, e.g. inferred) as an allowed value of ``key`` here, or None."""
        rule = self._by_key[key]
        return rule.normalized(cloud_value(self.cloud, value))

    def _finding(
        self, rule: _KeyRule, tags: Mapping[str, str], folded: Mapping[str, list[str]]
    ) -> Finding:
        if rule.canonical in tags:
            value = tags[rule.canonical]
            if rule.valid(value):
                return Finding(rule.key, "ok", rule.canonical, value)
            fixed = rule.normalized(value)
            status: FindingStatus = "unnormalized" if fixed is not None else "invalid"
            return Finding(rule.key, status, rule.canonical, value, fixed)
        # Another casing of the canonical key first, then aliases in policy order.
        for spelling in (rule.canonical.casefold(), *rule.spellings):
            for found in folded.get(spelling, ()):
                value = tags[found]
                fixed = rule.normalized(value)
                if fixed is not None:
                    return Finding(rule.key, "alias", found, value, fixed)
                return Finding(rule.key, "invalid", found, value)
        return Finding(rule.key, "missing")
