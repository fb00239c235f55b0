"""Resource selectors of the scheduling and safety sections, compiled once and matched fast.

A selector is data in the policy (``clouds``, ``resource_types``, ``accounts``, ``regions``,
``names``, ``tags``; every field given must match) and a matcher at run time: the planner calls
``Selector.matches`` for every resource of every target, 100,000s per run, so the globs become
one compiled regular expression per field and the tag values casefolded sets.

Tag lookup (``tag_value``): the key as written, then (Google) its label spelling, then any key
equal ignoring case; values compare case-insensitively; ``['*']`` means "the key is present".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import translate
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from costwarden.models.budget import Provider
from costwarden.models.resource import Resource, ResourceType
from costwarden.policy.fields import Glob, Text, fail
from costwarden.schedule.tags import find_tag, gcp_label


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def unique(values: tuple[Any, ...]) -> tuple[Any, ...]:
    """Refuse repeated list items (a repeated item is a copy-paste slip, never intended)."""
    repeated = sorted({str(v) for v in values if values.count(v) > 1})
    if repeated:
        raise fail("duplicate", f"listed more than once: {', '.join(repeated)}")
    return values


def _non_empty(value: object) -> object:
    # Checked on the input: pydantic's min_length counts items *after* validation, so one bad
    # item in a one-item list would also be reported as "too short".
    if isinstance(value, list | tuple | dict) and not value:
        raise fail("too_short", "must not be empty: list at least one")
    return value


Unique = AfterValidator(unique)
NonEmpty = BeforeValidator(_non_empty)


Patterns = Annotated[tuple[Glob, ...], NonEmpty, Unique]


def _tag_values(value: object) -> object:
    return (
        [value] if isinstance(value, str | int | float) and not isinstance(value, bool) else value
    )


def _any_alone(values: tuple[str, ...]) -> tuple[str, ...]:
    if "*" in values and len(values) > 1:
        raise fail("tag_any", "'*' means any value (the tag is present): write it alone")
    return values


TagValues = Annotated[
    tuple[Text, ...],
    BeforeValidator(_tag_values),
    NonEmpty,
    Unique,
    AfterValidator(_any_alone),
]


@dataclass(frozen=True, slots=True)
class _CompiledSelector:
    clouds: frozenset[str] | None
    types: frozenset[str] | None
    accounts: re.Pattern[str] | None
    regions: re.Pattern[str] | None
    names: re.Pattern[str] | None
    #: (key, allowed values casefolded, Google-label spellings); None = any value.
    tags: tuple[tuple[str, frozenset[str] | None, frozenset[str] | None], ...]


def _globs(patterns: tuple[str, ...] | None) -> re.Pattern[str] | None:
    if patterns is None:
        return None
    return re.compile("|".join(f"(?:{translate(p)})" for p in patterns))


class Selector(_Section):
    """Which resources a rule or protection applies to: every field given must match (AND)."""

    clouds: Annotated[tuple[Provider, ...], NonEmpty, Unique] | None = None
    resource_types: Annotated[tuple[ResourceType, ...], NonEmpty, Unique] | None = None
    accounts: Patterns | None = Field(default=None, description="globs, case-sensitive")
    regions: Patterns | None = Field(default=None, description="globs, case-sensitive")
    names: Patterns | None = Field(default=None, description="globs, case-sensitive")
    tags: Annotated[dict[Text, TagValues], NonEmpty] | None = Field(
        default=None, description="key -> allowed values (case-insensitive); ['*'] = present"
    )
    # A plain instance attribute, not a pydantic private one: read 100,000s of times a run,
    # and pydantic's private-attribute access is several times slower.
    _compiled: ClassVar[_CompiledSelector]

    def model_post_init(self, context: Any, /) -> None:
        # Compiled once: matches() runs for every resource of every target, 100,000s a run.
        tags = tuple(
            (
                key,
                None if values == ("*",) else frozenset(v.casefold() for v in values),
                None if values == ("*",) else frozenset(gcp_label(v) for v in values),
            )
            for key, values in (self.tags or {}).items()
        )
        compiled = _CompiledSelector(
            clouds=None if self.clouds is None else frozenset(self.clouds),
            types=None if self.resource_types is None else frozenset(self.resource_types),
            accounts=_globs(self.accounts),
            regions=_globs(self.regions),
            names=_globs(self.names),
            tags=tags,
        )
        object.__setattr__(self, "_compiled", compiled)

    def matches(self, resource: Resource) -> bool:
        """True when every field given matches ``resource`` (an empty selector: always)."""
        c = self._compiled
        if not (
            (c.clouds is None or resource.cloud in c.clouds)
            and (c.types is None or resource.resource_type in c.types)
            and (c.accounts is None or c.accounts.match(resource.account) is not None)
            and (c.regions is None or c.regions.match(resource.region) is not None)
            and (c.names is None or c.names.match(resource.name) is not None)
        ):
            return False
        for key, allowed, labels in c.tags:
            value = find_tag(resource.tags, resource.cloud, key)
            if value is None:
                return False
            if allowed is None or value.casefold() in allowed:
                continue
            # Google label values are lowercase [a-z0-9_-]: 'Platform Eng' is stored as
            # 'platform-eng'.
            if not (resource.cloud == "gcp" and labels is not None and value in labels):
                return False
        return True


def tag_value(resource: Resource, key: str) -> str | None:
    """The value of the logical tag ``key`` on ``resource`` (see ``Selector`` for the lookup)."""
    return find_tag(resource.tags, resource.cloud, key)
