"""The ``allocation`` policy section: who owns each cost, how shared costs split, team budgets.

It drives two things: cost allocation over FOCUS data (``costwarden.focus.allocation``) and the
daily Slack digest (``costwarden.services.cost_digest``). Precedence for a cost row:

1. the first ``shared`` rule whose selector matches (file order) makes it a shared cost, split
   between teams by that rule;
2. otherwise the first ``team_tag.keys`` tag present on the row names the team;
3. otherwise ``accounts`` maps the row's account / subscription / project to a team;
4. otherwise the cost is *unallocated*, and reported as such in dollars.

Rules that need the ``teams`` section (every team named here exists) are written over plain data
in ``allocation_problems`` so the loader reports them with line numbers, together with schema
errors, in one pass.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from costwarden.models.budget import Provider
from costwarden.policy.fields import Channel, Glob, TeamName, Text, describe_value, fail
from costwarden.policy.yaml_source import Loc, source_text

SplitMethod = Literal["proportional", "even", "fixed"]
ChargeCategory = Literal["Usage", "Purchase", "Tax", "Credit", "Adjustment"]
ChartPlacement = Literal["channel", "thread", "none"]

HUNDRED = Decimal(100)
_CURRENCY = re.compile(r"[A-Z]{3}")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _number(value: object) -> object:
    """A YAML number as an exact ``Decimal`` of the text written (``33.34`` stays 33.34).

    Floats would make ``33.33 + 33.33 + 33.34`` miss 100 and budgets drift by fractions of a
    cent; the loader keeps each number's source text, so nothing is lost.
    """
    if isinstance(value, bool):
        raise fail("number", f"expected a number, got {describe_value(value)}")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int | float):
        text = (source_text(value) or repr(value)).replace("_", "")
        try:
            number = Decimal(text)
        except InvalidOperation:  # 0x1F, 1:30 and other YAML 1.1 spellings: trust the value
            number = Decimal(str(value))
        if not number.is_finite():
            raise fail("number", f"expected a finite number, got {text}")
        return number
    message = f"expected a number, got {describe_value(value)}"
    if isinstance(value, str) and value.strip().endswith("%"):
        message += f" (write {value.strip().rstrip('%').strip()}, without the %)"
    elif isinstance(value, str):
        message += " (write it unquoted)"
    raise fail("number", message)


def _positive(value: Decimal) -> Decimal:
    if value <= 0:
        raise fail("positive", f"must be more than 0, got {value}")
    return value


Amount = Annotated[Decimal, BeforeValidator(_number), AfterValidator(_positive)]
"""A positive amount of money or a percentage, kept exactly as written."""


def _currency(value: str) -> str:
    if not _CURRENCY.fullmatch(value):
        raise fail("currency", f"{value!r} is not an ISO 4217 code such as USD or EUR")
    return value


Currency = Annotated[Text, AfterValidator(_currency)]


def _unique(values: tuple[str, ...]) -> tuple[str, ...]:
    repeated = sorted({v for v in values if values.count(v) > 1})
    if repeated:
        raise fail("duplicate", f"listed more than once: {', '.join(repeated)}")
    return values


def account_key(account: str) -> str:
    """How an account id is compared: last path segment, lower case, no leading zeros if digits.

    Azure's ``/subscriptions/<GUID>`` equals a bare ``<guid>``; an AWS id that lost its leading
    zero in a spreadsheet still matches (AWS ids have a fixed length, so this merges nothing).
    The SQL in ``costwarden.focus.allocation`` computes the same key for each cost row.
    """
    key = account.strip().rstrip("/").rsplit("/", 1)[-1].lower()
    return (key.lstrip("0") or "0") if key.isdigit() else key


class TeamTag(_Section):
    """Which tag names a cost's team."""

    keys: Annotated[tuple[Text, ...], AfterValidator(_unique)] = Field(
        default=("team",),
        min_length=1,
        description="tag keys tried in order (exact spelling); the first present wins",
    )
    values: dict[Text, TeamName] = Field(
        default_factory=dict,
        description="tag values that name a team differently, e.g. 'Platform Eng': platform",
    )


class TeamNames:
    """How the scheduler and the tag sweep read a resource's team from its tags, alike.

    The keys are ``team_tag``'s (its default without an ``allocation`` section); the first key
    present decides, as in cost allocation. Its value, trimmed and case-folded, names a team
    through ``team_tag.values`` or by the team's own name; anything else names no team.
    """

    def __init__(self, team_tag: TeamTag | None, teams: Iterable[str]) -> None:
        tag = team_tag or TeamTag()
        self.keys: tuple[str, ...] = tag.keys
        by_value = {v.strip().casefold(): t for v, t in tag.values.items()}
        for team in teams:
            by_value.setdefault(team.casefold(), team)
        self._by_value = by_value

    def team(self, values: Iterable[str | None]) -> str | None:
        """The team of the first present value of ``values`` (the keys' values, in order)."""
        for value in values:
            if value is not None:
                return self._by_value.get(value.strip().casefold())
        return None


class AccountMapping(_Section):
    """A fallback owner for untagged costs of one account / subscription / project."""

    account: Text = Field(
        description="SubAccountId: AWS account id, Azure subscription id, Google Cloud project id"
    )
    provider: Provider | None = Field(default=None, description="aws, azure or gcp")
    team: TeamName

    @field_validator("provider")
    @classmethod
    def _aws_account_digits(cls, provider: str | None, info: ValidationInfo) -> str | None:
        account = info.data.get("account")
        if provider == "aws" and account and account.isdigit() and len(account) != 12:
            raise fail(
                "aws_account",
                f"AWS account ids have 12 digits, {account!r} has {len(account)} "
                "(a lost leading zero?)",
            )
        return provider


SELECTORS = ("service", "account", "provider", "charge_category", "tag")


class SharedMatch(_Section):
    """Which costs a shared rule takes. Every selector given must match (AND)."""

    service: Glob | None = Field(default=None, description="glob on ServiceName")
    account: Text | None = Field(default=None, description="exact SubAccountId")
    provider: Provider | None = Field(default=None, description="aws, azure or gcp")
    charge_category: ChargeCategory | None = Field(
        default=None, description="FOCUS ChargeCategory, e.g. Tax"
    )
    tag: dict[Text, Text] | None = Field(
        default=None, description="tags the cost must carry (key: value, value case-insensitive)"
    )

    @model_validator(mode="after")
    def _has_selector(self) -> SharedMatch:
        if all(getattr(self, name) is None for name in SELECTORS) or self.tag == {}:
            raise fail(
                "no_selector",
                "a shared rule needs at least one selector: service, account, provider, "
                "charge_category or tag",
            )
        return self


class SharedRule(_Section):
    """Costs no single team owns (support, networking, tax), split between teams."""

    name: Text = Field(description="shown in reports and digests")
    match: SharedMatch
    split: SplitMethod = Field(
        default="proportional",
        description="proportional to each team's direct cost that day, even, or fixed",
    )
    among: Annotated[tuple[TeamName, ...], AfterValidator(_unique)] = Field(
        default=(), description="teams that share it (default: every team); not with fixed"
    )
    percentages: dict[TeamName, Amount] = Field(
        default_factory=dict, description="split: fixed only; team -> percent, summing to 100"
    )

    @field_validator("percentages")
    @classmethod
    def _sum_to_hundred(cls, percentages: dict[str, Decimal]) -> dict[str, Decimal]:
        total = sum(percentages.values(), Decimal(0))
        if percentages and total != HUNDRED:
            shown = f"{total.normalize():f}"
            raise fail("percent_sum", f"percentages must add up to 100, these add up to {shown}")
        return percentages

    @model_validator(mode="after")
    def _split_fields(self) -> SharedRule:
        if self.split == "fixed" and not self.percentages:
            raise fail(
                "fixed_split", "split: fixed needs percentages (team: percent, summing to 100)"
            )
        if self.split != "fixed" and self.percentages:
            raise fail(
                "fixed_split",
                f"percentages apply to split: fixed only (this rule splits {self.split})",
            )
        if self.split == "fixed" and self.among:
            raise fail("fixed_split", "split: fixed takes its teams from percentages: drop among")
        return self


class DigestSettings(_Section):
    """The daily Slack digest: one per team and one overall."""

    enabled: bool = Field(default=True, description="false: no digests are sent")
    channel: Channel | None = Field(
        default=None, description="the overall digest's channel; unset = slack.default_channel"
    )
    teams: Annotated[tuple[TeamName, ...], AfterValidator(_unique)] | None = Field(
        default=None, description="teams that get a digest (default: every team)"
    )
    overall: bool = Field(default=True, description="also send the overall digest")
    top: int = Field(default=5, ge=1, le=15, description="top services and resources shown")
    history_days: int = Field(default=30, ge=7, le=90, description="days the chart covers")
    chart: ChartPlacement = Field(
        default="channel", description="post the chart in the channel, in the thread, or not"
    )


class AllocationSection(_Section):
    """Cost allocation to teams and the daily digest."""

    currency: Currency = Field(
        default="USD", description="the currency of budgets and digests (ISO 4217)"
    )
    team_tag: TeamTag = Field(default_factory=TeamTag)
    accounts: tuple[AccountMapping, ...] = Field(
        default=(), description="owner of untagged costs by account / subscription / project"
    )
    shared: tuple[SharedRule, ...] = Field(default=(), description="first match wins")
    budgets: dict[TeamName, Amount] = Field(
        default_factory=dict, description="monthly budget per team, in currency"
    )
    overall_budget: Amount | None = Field(
        default=None, description="monthly budget of the overall digest"
    )
    digest: DigestSettings = Field(default_factory=DigestSettings)


def allocation_problems(data: Mapping[str, object], known: Sequence[str]) -> list[tuple[Loc, str]]:
    """Team names that are not teams, repeated accounts and rule names, over plain data.

    Anything not shaped as expected is skipped: schema validation reports it.
    """
    section = data.get("allocation")
    if not isinstance(section, Mapping):
        return []
    base: Loc = ("allocation",)
    team_refs: list[tuple[Loc, object]] = []  # (where, the team named there)
    team_tag = section.get("team_tag")
    if isinstance(team_tag, Mapping) and isinstance(team_tag.get("values"), Mapping):
        team_refs += [((*base, "team_tag", "values", v), t) for v, t in team_tag["values"].items()]
    accounts = _items(section.get("accounts"))
    team_refs += [((*base, "accounts", i, "team"), m.get("team")) for i, m in accounts]
    rules = _items(section.get("shared"))
    for index, rule in rules:
        at: Loc = (*base, "shared", index)
        team_refs += [((*at, "among", k), team) for k, team in _list(rule.get("among"))]
        percentages = rule.get("percentages")
        if isinstance(percentages, Mapping):
            team_refs += [((*at, "percentages", team), team) for team in percentages]
    budgets = section.get("budgets")
    if isinstance(budgets, Mapping):
        team_refs += [((*base, "budgets", team), team) for team in budgets]
    digest = section.get("digest")
    if isinstance(digest, Mapping):
        team_refs += [((*base, "digest", "teams", k), t) for k, t in _list(digest.get("teams"))]

    where = f"known: {', '.join(known)}" if known else "no teams are defined"
    problems: list[tuple[Loc, str]] = [
        (loc, f"unknown team {team!r} ({where})")
        for loc, value in team_refs
        if (team := _text(value)) is not None and team not in known
    ]
    return problems + _repeated_accounts(accounts) + _repeated_rule_names(rules)


def _repeated_accounts(accounts: list[tuple[int, Mapping[str, object]]]) -> list[tuple[Loc, str]]:
    """An account mapped twice: the second mapping could never apply."""
    problems: list[tuple[Loc, str]] = []
    first: dict[str, int] = {}
    for index, mapping in accounts:
        account = _text(mapping.get("account"))
        if account is None or not account.strip():
            continue
        key = account_key(account)
        if key in first:
            problems.append(
                (
                    ("allocation", "accounts", index, "account"),
                    f"account {account!r} is already mapped by allocation.accounts[{first[key]}]",
                )
            )
        else:
            first[key] = index
    return problems


def _repeated_rule_names(rules: list[tuple[int, Mapping[str, object]]]) -> list[tuple[Loc, str]]:
    """Rule names label amounts in reports: two rules with one name would read as one."""
    problems: list[tuple[Loc, str]] = []
    first: dict[str, int] = {}
    for index, rule in rules:
        name = _text(rule.get("name"))
        if name is None:
            continue
        if name in first:
            message = f"rule name {name!r} is already used by allocation.shared[{first[name]}]"
            problems.append((("allocation", "shared", index, "name"), message))
        else:
            first[name] = index
    return problems


def _text(value: object) -> str | None:
    if isinstance(value, str):
        return value
    return source_text(value)


def _list(value: object) -> list[tuple[int, object]]:
    if isinstance(value, Sequence) and not isinstance(value, str):
        return list(enumerate(value))
    return []


def _items(value: object) -> list[tuple[int, Mapping[str, object]]]:
    return [(i, item) for i, item in _list(value) if isinstance(item, Mapping)]
