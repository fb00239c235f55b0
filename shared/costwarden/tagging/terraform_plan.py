"""The tag policy, shifted left: check the resources a Terraform plan would create or change.

Input is ``terraform show -json PLANFILE`` (OpenTofu writes the same shape). Tags are read from
``change.after``: ``tags_all`` for AWS (it includes the provider's ``default_tags``), ``tags``
for azurerm, ``terraform_labels`` then ``labels`` for google (provider 5+ puts provider
``default_labels`` in ``terraform_labels``). Resources with no such attribute are not taggable
and are skipped; tags Terraform only knows after apply (``after_unknown``) are reported as
unknown rather than guessed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from costwarden.errors import TerraformPlanError
from costwarden.models.budget import Provider
from costwarden.policy.tagging import TaggingSection
from costwarden.tagging.rules import CloudTagRules, Finding

_PROVIDERS: dict[str, Provider] = {
    "aws": "aws",
    "azurerm": "azure",
    "google": "gcp",
    "google-beta": "gcp",
}
_TAG_ATTRIBUTES: dict[Provider, tuple[str, ...]] = {
    "aws": ("tags_all", "tags"),
    "azure": ("tags",),
    "gcp": ("terraform_labels", "labels"),
}
_CHECKED_ACTIONS = frozenset({"create", "update"})


@dataclass(frozen=True, slots=True)
class PlannedResource:
    """One managed resource a plan creates or updates, with its tags after apply."""

    address: str
    resource_type: str
    cloud: Provider
    #: None when Terraform only knows the tags after apply.
    tags: Mapping[str, str] | None
    #: Keys whose *values* are only known after apply (e.g. interpolated from another resource).
    unknown_keys: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class PlanFinding:
    resource: PlannedResource
    findings: tuple[Finding, ...]  # violations only; empty with ``unknown`` set
    unknown: bool = False


def read_plan(path: str | Path) -> list[PlannedResource]:
    """Parse a plan file; anything that is not one raises ``TerraformPlanError``."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise TerraformPlanError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise TerraformPlanError(f"{path}: not JSON ({exc})") from None
    return parse_plan(data, source=str(path))


def parse_plan(data: object, *, source: str = "<plan>") -> list[PlannedResource]:
    if not isinstance(data, dict) or "format_version" not in data:
        raise TerraformPlanError(
            f"{source}: not a Terraform plan: expected the output of "
            "'terraform show -json PLANFILE' (no format_version)"
        )
    changes = data.get("resource_changes", [])
    if not isinstance(changes, list):
        raise TerraformPlanError(f"{source}: resource_changes is not a list")
    out: list[PlannedResource] = []
    for index, change in enumerate(changes):
        resource = _planned(change, f"{source}: resource_changes[{index}]")
        if resource is not None:
            out.append(resource)
    return out


def _planned(change: object, where: str) -> PlannedResource | None:
    if not isinstance(change, dict):
        raise TerraformPlanError(f"{where}: expected an object")
    if change.get("mode", "managed") != "managed":
        return None
    address, rtype = change.get("address"), change.get("type")
    body = change.get("change")
    if not isinstance(address, str) or not isinstance(rtype, str) or not isinstance(body, dict):
        raise TerraformPlanError(f"{where}: needs address, type and change")
    actions = body.get("actions")
    if not isinstance(actions, list) or not _CHECKED_ACTIONS & set(actions):
        return None  # no-op, read, delete
    provider = str(change.get("provider_name", "")).rsplit("/", 1)[-1]
    cloud = _PROVIDERS.get(provider)
    if cloud is None:
        return None  # not a cloud this policy speaks about (random, null, kubernetes, ...)
    after = body.get("after") or {}
    unknown = body.get("after_unknown") or {}
    if not isinstance(after, dict) or not isinstance(unknown, dict):
        raise TerraformPlanError(f"{where} ({address}): change.after must be an object")
    for attribute in _TAG_ATTRIBUTES[cloud]:
        pending = unknown.get(attribute)
        if pending is True:
            return PlannedResource(address, rtype, cloud, None)
        if attribute in after or isinstance(pending, dict):
            tags = _tags(after.get(attribute), where, address)
            later = frozenset(k for k, v in (pending or {}).items() if v is True)
            # Present, value unknown: the key is there, so it is not "missing".
            tags.update(dict.fromkeys(later - tags.keys(), ""))
            return PlannedResource(address, rtype, cloud, tags, later)
    return None  # not taggable


def _tags(value: Any, where: str, address: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise TerraformPlanError(f"{where} ({address}): tags must map strings to strings")
    return dict(value)


def in_scope(
    resources: Sequence[PlannedResource], section: TaggingSection
) -> list[PlannedResource]:
    """The resources the policy covers (its clouds and types), in plan order: what is checked."""
    rules = {cloud: CloudTagRules(section, cloud) for cloud in section.clouds}
    return [
        r
        for r in resources
        if r.cloud in rules and rules[r.cloud].applies_to(r.resource_type, None)
    ]


def check_plan(resources: Sequence[PlannedResource], section: TaggingSection) -> list[PlanFinding]:
    """Violations of the tag policy, per resource in scope, in plan order."""
    rules = {cloud: CloudTagRules(section, cloud) for cloud in section.clouds}
    out: list[PlanFinding] = []
    for resource in in_scope(resources, section):
        cloud_rules = rules[resource.cloud]
        if resource.tags is None:
            out.append(PlanFinding(resource, (), unknown=True))
            continue
        violations = tuple(
            v
            for v in cloud_rules.violations(resource.tags)
            if v.found_key is None or v.found_key not in resource.unknown_keys
        )
        if violations:
            out.append(PlanFinding(resource, violations))
    return out
