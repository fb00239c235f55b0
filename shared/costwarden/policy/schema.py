"""The policy schema, version 1: slack, teams, budget routing, cost allocation and scheduling.

Compatibility rule: a later costwarden adds *sections* (schedules, tagging, safety rails) and
*optional* fields to version 1; files that were valid stay valid. Only a change that would make
a valid file mean something else bumps ``version``. Unknown keys are errors everywhere, so a
typo or a section this build does not understand is refused rather than silently ignored: a
policy rule that is not enforced is worse than a policy file that does not load.

Cross-field rules (a route's team exists, no route is unreachable, allocation names only known
teams: ``policy/allocation.py``, a scheduling rule's schedule and team exist:
``policy/scheduling.py``) are written over plain data
(``cross_field_problems``) so the loader can report them alongside schema errors in one pass,
even when other parts of the file are invalid; ``Policy`` re-checks them for policies built in
Python.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from costwarden.models.budget import Provider
from costwarden.policy.allocation import AllocationSection, allocation_problems
from costwarden.policy.fields import (
    Channel,
    Glob,
    Mention,
    TeamName,
    Text,
    describe_value,
    fail,
)
from costwarden.policy.scheduling import (
    SafetySection,
    Schedule,
    ScheduleName,
    SchedulingSection,
    TargetsSection,
    scheduling_problems,
)
from costwarden.policy.tagging import TaggingSection, tagging_problems
from costwarden.policy.yaml_source import Loc, source_text

SUPPORTED_VERSIONS = (1,)
#: Sections later costwarden releases will add; named so an early adopter gets a clear answer.
PLANNED_SECTIONS: tuple[str, ...] = ()
CROSS_FIELD_ERROR = "policy_cross_field"
MATCHERS = ("name", "provider", "scope", "id")

Percent = Annotated[float, Strict(), Field(ge=0)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _unique(values: tuple[str, ...]) -> tuple[str, ...]:
    repeated = sorted({v for v in values if values.count(v) > 1})
    if repeated:
        raise fail("duplicate", f"listed more than once: {', '.join(repeated)}")
    return values


Mentions = Annotated[tuple[Mention, ...], AfterValidator(_unique)]


class SlackSettings(_Section):
    """Where alerts go when no route claims them."""

    default_channel: Channel = Field(
        description="catches every budget no route matches (id C…/G… or '#name')"
    )
    default_mentions: Mentions = Field(
        default=(), description="who to mention in default-channel messages"
    )


class Team(_Section):
    """A team: where its alerts go and who is mentioned in them."""

    slack_channel: Channel | None = Field(
        default=None, description="the team's channel; unset = slack.default_channel"
    )
    mentions: Mentions = Field(default=(), description="ids to @-mention")


class BudgetRoute(_Section):
    """Send the budgets it matches to a team. Every matcher given must match (AND)."""

    name: Glob | None = Field(default=None, description="glob on the budget name")
    provider: Provider | None = Field(default=None, description="aws, azure or gcp")
    scope: Glob | None = Field(
        default=None, description="glob on the account / subscription or scope / billing account"
    )
    id: Text | None = Field(default=None, description="exact budget id")
    team: TeamName = Field(description="the team (a key of teams) that gets the alert")

    @model_validator(mode="after")
    def _has_matcher(self) -> BudgetRoute:
        if all(getattr(self, m) is None for m in MATCHERS):
            raise fail(
                "no_matcher",
                "a route needs at least one matcher (name, provider, scope or id); "
                "use name: '*' to send every remaining budget to one team",
            )
        return self

    @field_validator("scope")
    @classmethod
    def _aws_account_digits(cls, scope: str | None, info: ValidationInfo) -> str | None:
        # An AWS account id that lost its leading zero (a JSON number, a spreadsheet) would
        # never match and the alerts would quietly land in the default channel.
        if info.data.get("provider") == "aws" and scope and scope.isdigit() and len(scope) != 12:
            raise fail(
                "aws_account",
                f"AWS account ids have 12 digits, {scope!r} has {len(scope)} "
                "(a lost leading zero?)",
            )
        return scope

    def describe(self) -> str:
        """The matchers as a reader wrote them, e.g. ``name 'prod-*', provider aws``."""
        parts = []
        for matcher in MATCHERS:
            value = getattr(self, matcher)
            if value is not None:
                parts.append(
                    f"{matcher} {value}" if matcher == "provider" else f"{matcher} {value!r}"
                )
        return ", ".join(parts)


class BudgetsSection(_Section):
    """Budget alert routing."""

    min_threshold_percent: Percent = Field(
        default=0, description="drop alerts whose threshold is below this percent (0 = keep all)"
    )
    routes: tuple[BudgetRoute, ...] = Field(default=(), description="first match wins")


class Policy(_Section):
    """One deployment's policy (version 1)."""

    version: int = Field(description="schema version of the file; this build reads 1")
    slack: SlackSettings
    teams: dict[TeamName, Team] = Field(default_factory=dict)
    budgets: BudgetsSection = Field(default_factory=BudgetsSection)
    allocation: AllocationSection | None = Field(
        default=None, description="cost allocation to teams and the daily digest"
    )
    schedules: dict[ScheduleName, Schedule] = Field(
        default_factory=dict, description="when resources run, by schedule name"
    )
    scheduling: SchedulingSection = Field(
        default_factory=SchedulingSection, description="which resources follow which schedule"
    )
    safety: SafetySection = Field(
        default_factory=SafetySection, description="never acted on; caps per run; dry run"
    )
    targets: TargetsSection = Field(
        default_factory=TargetsSection, description="accounts, subscriptions, projects"
    )
    tagging: TaggingSection | None = Field(
        default=None, description="required tags, their inference and remediation"
    )

    @field_validator("version", mode="before")
    @classmethod
    def _supported_version(cls, value: Any) -> Any:
        message = version_problem(value)
        if message:
            raise fail("version", message)
        return value

    @model_validator(mode="after")
    def _cross_fields(self) -> Policy:
        problems = cross_field_problems(self.model_dump())
        if problems:
            text = "; ".join(f"{dotted(loc)}: {msg}" for loc, msg in problems)
            raise PydanticCustomError(CROSS_FIELD_ERROR, "{message}", {"message": text})
        return self


def version_problem(value: object) -> str | None:
    """Why ``value`` is not a version this build reads, or None when it is."""
    supported = ", ".join(str(v) for v in SUPPORTED_VERSIONS)
    if not isinstance(value, int) or isinstance(value, bool):
        return f"must be the number {supported} (unquoted), got {describe_value(value)}"
    if value in SUPPORTED_VERSIONS:
        return None
    newer = (
        " (written for a newer costwarden? upgrade it)" if value > max(SUPPORTED_VERSIONS) else ""
    )
    shown = source_text(value) or str(value)
    return f"unsupported policy version {shown}{newer}; this costwarden reads version {supported}"


def cross_field_problems(data: object) -> list[tuple[Loc, str]]:
    """Rules spanning sections, over plain data so they run even when other fields are invalid.

    Anything not shaped as expected is skipped here: schema validation reports it.
    """
    if not isinstance(data, Mapping):
        return []
    teams = data.get("teams")
    known = sorted(_text(k) or "" for k in teams) if isinstance(teams, Mapping) else []
    return (
        _route_problems(data, teams, known)
        + allocation_problems(data, known)
        + scheduling_problems(data, known)
        + tagging_problems(data, known)
    )


def _route_problems(
    data: Mapping[str, object], teams: object, known: list[str]
) -> list[tuple[Loc, str]]:
    budgets = data.get("budgets")
    routes = budgets.get("routes") if isinstance(budgets, Mapping) else None
    if not isinstance(routes, Sequence) or isinstance(routes, str):
        return []
    problems: list[tuple[Loc, str]] = []
    earlier: list[tuple[int, Mapping[str, object]]] = []
    for index, route in enumerate(routes):
        if not isinstance(route, Mapping):
            continue
        team = _text(route.get("team"))
        if team is not None and (teams is None or isinstance(teams, Mapping)) and team not in known:
            where = f"known: {', '.join(known)}" if known else "no teams are defined"
            problems.append(
                (("budgets", "routes", index, "team"), f"unknown team {team!r} ({where})")
            )
        for first, prior in earlier:
            if _shadows(prior, route):
                problems.append(
                    (
                        ("budgets", "routes", index),
                        f"unreachable: budgets.routes[{first}] matches every budget this route "
                        "matches and comes first (first match wins)",
                    )
                )
                break
        earlier.append((index, route))
    return problems


def _text(value: object) -> str | None:
    if isinstance(value, str):
        return value
    return source_text(value)


def _shadows(prior: Mapping[str, object], later: Mapping[str, object]) -> bool:
    """True when every budget ``later`` matches is already matched by ``prior``.

    Sound but deliberately incomplete: a matcher shadows only by equality or by ``*`` (glob
    containment in general is not decidable by comparing patterns).
    """
    if not any(_text(prior.get(m)) for m in MATCHERS):
        return False  # an invalid route (no matcher) is reported by the schema, not here
    for matcher in MATCHERS:
        mine = _text(prior.get(matcher))
        if mine is None or (matcher in ("name", "scope") and mine == "*"):
            continue
        theirs = _text(later.get(matcher))
        if theirs is None or theirs.casefold() != mine.casefold():
            return False
    return True


def dotted(loc: Loc) -> str:
    """``('budgets', 'routes', 1, 'team')`` -> ``budgets.routes[1].team``."""
    out = ""
    for part in loc:
        if isinstance(part, int) and not isinstance(part, bool) and source_text(part) is None:
            out += f"[{part}]"
        else:
            text = _text(part) or str(part)
            out += f".{text}" if out else text
    return out or "(root)"
