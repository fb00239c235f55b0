"""The mapping registry: every ``mappings/<source>.sql`` shipped in this package.

A mapping is one DuckDB ``SELECT`` over the relation ``src`` producing the FOCUS 1.2 columns (see
``costwarden.focus.sources`` for what ``src`` holds). Files are found with
``importlib.resources``, so a new ``<source>.sql`` is picked up without registering it anywhere,
and an installed wheel works the same as a checkout.

A mapping may start with directive comments that tell the converter about its source. They are
optional: ``sources.SOURCES`` has a default for every known source, and a directive overrides it::

    -- @provider: aws                          partition value: aws, azure or gcp
    -- @requires: lineItem/UnblendedCost, bill/BillingPeriodStartDate
                                               raw columns a file must have (comma-separated)
    -- @billing-period: "bill/BillingPeriodStartDate"
                                               DuckDB expression over src: the row's billing
                                               period start (any date/time text or value)
    -- @invoice-cost: "lineItem/UnblendedCost"  DuckDB expression over src: the row's amount on
                                               the invoice; summed per period for reconciliation

A line ``-- @include _name.sql`` anywhere in a mapping is replaced by that file's text, so
mappings share a lookup table (``_aws_services.sql``) instead of each keeping a copy that drifts.
Files whose name starts with ``_`` are such parts, not mappings. ``MappingFile.sql`` is the text
with every include expanded: what DuckDB runs and what sqlglot transpiles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from costwarden.focus import FocusInputError

_DIRECTIVE = re.compile(r"^--\s*@([a-z][a-z-]*)\s*:\s*(.*?)\s*$")
_INCLUDE = re.compile(r"^[ \t]*--[ \t]*@include[ \t]+(_[a-z0-9_-]+\.sql)[ \t]*$", re.MULTILINE)


@dataclass(frozen=True)
class MappingFile:
    """One mapping: its source name, SQL text and header directives."""

    source: str
    sql: str
    directives: dict[str, str] = field(default_factory=dict)

    @property
    def required_columns(self) -> tuple[str, ...] | None:
        value = self.directives.get("requires")
        if value is None:
            return None
        return tuple(c.strip().strip('"') for c in value.split(",") if c.strip())


def available_sources() -> tuple[str, ...]:
    """Source names that have a mapping, sorted."""
    return tuple(
        sorted(
            entry.name.removesuffix(".sql")
            for entry in resources.files(__package__).iterdir()
            if entry.name.endswith(".sql") and not entry.name.startswith("_") and entry.is_file()
        )
    )


@cache
def load_mapping(source: str) -> MappingFile:
    """The mapping for ``source``; FocusInputError when there is none."""
    if source not in available_sources():
        known = ", ".join(available_sources()) or "none"
        raise FocusInputError(f"no FOCUS mapping for source {source!r} (known: {known})")
    sql = _read(f"{source}.sql")
    sql = _INCLUDE.sub(lambda match: _read(match.group(1)).rstrip("\n"), sql)
    return MappingFile(source=source, sql=sql, directives=_directives(sql))


def _read(name: str) -> str:
    part = resources.files(__package__).joinpath(name)
    if not part.is_file():
        raise FocusInputError(f"mapping part {name} is missing from the package")
    return part.read_text(encoding="utf-8")


def _directives(sql: str) -> dict[str, str]:
    """``-- @name: value`` lines from the comment block before the first statement line."""
    found: dict[str, str] = {}
    for line in sql.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("--"):
            break
        match = _DIRECTIVE.match(stripped)
        if match:
            found[match.group(1)] = match.group(2)
    return found


__all__ = ["MappingFile", "available_sources", "load_mapping"]
