"""What to write on a resource to honour the tag policy, and what cannot be known.

Pure and idempotent: ``remediate(tags_after_applying(remediate(tags)))`` changes nothing. The
rules (docs/tagging.md):
- a valid value under the canonical key is never touched;
- a value under an alias or another casing is copied to the canonical key (normalized); the
  alias is removed only with ``remove_aliases``;
- an invalid value is normalized when the policy's normalization makes it allowed; otherwise it
  is kept and reported, and replaced by an inferred value only with ``overwrite_invalid``;
- a missing value is inferred from the sources in the documented order (creator, parent,
  defaults), restricted to the key's own ``infer`` list; the first *allowed* value wins;
- the cloud's tag limit is never exceeded: keys that do not fit are reported, in policy order
  (AWS's own ``aws:`` tags do not count; on Azure another casing of a key is that key).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from costwarden.policy.tagging import InferenceSource
from costwarden.tagging.rules import CloudTagRules, Finding


@dataclass(frozen=True, slots=True)
class Inferred:
    """Values one inference source offers, in logical keys (``{"Owner": "alice@..."}``)."""

    source: InferenceSource
    values: Mapping[str, str]
    #: Where they came from, for the report ("creator arn:aws:iam::...:user/alice").
    origin: str = ""


@dataclass(frozen=True, slots=True)
class TagChange:
    """The remediation for one resource, in the cloud's own key spelling."""

    set: Mapping[str, str] = field(default_factory=dict)
    remove: tuple[str, ...] = ()
    #: logical key -> why it stays a violation (nothing to infer it from, invalid, limit)
    unresolved: Mapping[str, str] = field(default_factory=dict)
    #: logical key -> where the value written came from ("alias env", "creator ...")
    sources: Mapping[str, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.set and not self.remove

    def applied_to(self, tags: Mapping[str, str]) -> dict[str, str]:
        out = {k: v for k, v in tags.items() if k not in self.remove}
        out.update(self.set)
        return out


def remediate(
    tags: Mapping[str, str], *, rules: CloudTagRules, inferred: Sequence[Inferred] = ()
) -> TagChange:
    """The change that brings ``tags`` as close to the policy as can be known."""
    section = rules.section
    to_set: dict[str, str] = {}
    to_remove: list[str] = []
    unresolved: dict[str, str] = {}
    sources: dict[str, str] = {}
    budget = rules.max_tags - rules.tag_count(tags)
    for finding, rule in zip(rules.check(tags), rules.keys, strict=True):
        if finding.status == "ok":
            continue
        canonical_present = finding.found_key == rule.canonical
        value, source = _value_for(
            finding,
            rules,
            inferred,
            may_replace=not canonical_present or section.overwrite_invalid,
        )
        if value is None:
            unresolved[finding.key] = _why_unresolved(finding, inferred)
            continue
        if tags.get(rule.canonical) == value:
            continue
        # On Azure another casing of the key *is* the key: writing the canonical one takes
        # no new slot.
        same_name = (
            rules.cloud == "azure"
            and finding.found_key is not None
            and finding.found_key.casefold() == rule.canonical.casefold()
        )
        if not canonical_present and not same_name:
            if budget <= 0:
                unresolved[finding.key] = f"the {rules.max_tags}-tag limit is reached"
                continue
            budget -= 1
        to_set[rule.canonical] = value
        sources[finding.key] = source
        if (
            finding.status == "alias"
            and section.remove_aliases
            and finding.found_key is not None
            and finding.found_key != rule.canonical
        ):
            to_remove.append(finding.found_key)
            budget += 0 if same_name else 1
    return TagChange(to_set, tuple(to_remove), unresolved, sources)


def _value_for(
    finding: Finding,
    rules: CloudTagRules,
    inferred: Sequence[Inferred],
    *,
    may_replace: bool,
) -> tuple[str | None, str]:
    if finding.fix is not None:  # alias or unnormalized: known without inference
        how = "normalized" if finding.status == "unnormalized" else f"from {finding.found_key}"
        return finding.fix, how
    if finding.status == "invalid" and not may_replace:
        return None, ""  # an invalid value under the canonical key is the owner's to fix
    allowed_sources = rules.section.required[finding.key].infer
    for offer in inferred:
        if offer.source not in allowed_sources or finding.key not in offer.values:
            continue
        value = rules.accepts(finding.key, offer.values[finding.key])
        if value is not None:
            return value, f"{offer.source} {offer.origin}".strip()
    return None, ""


def _why_unresolved(finding: Finding, inferred: Sequence[Inferred]) -> str:
    if finding.status == "invalid":
        return f"{finding.found_value!r} is not allowed and nothing better could be inferred"
    tried = ", ".join(dict.fromkeys(o.source for o in inferred)) or "no source"
    return f"missing; nothing to infer it from (tried: {tried})"
