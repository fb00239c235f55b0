"""The ``schedules``, ``scheduling``, ``safety`` and ``targets`` policy sections.

``schedules`` say when resources should run (periods in a time zone, holidays); ``scheduling``
says which resources follow which schedule (a resource's own tag first, then rules) and which
sit idle long enough to stop; ``safety`` lists what is never touched and caps each run;
``targets`` lists the accounts, subscriptions and projects the planner fans out to. Semantics:
``docs/policy.md``; the engine is ``costwarden.schedule``.

Rules spanning sections (a rule's schedule and team exist, rule names are unique) are written
over plain data in ``scheduling_problems`` so the loader reports them with line numbers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    ValidationInfo,
    field_validator,
    model_validator,
)

from costwarden.policy.fields import TeamName, Text, describe_value, fail
from costwarden.policy.selector import NonEmpty, Selector, Unique, tag_value
from costwarden.policy.targets import AwsTargets, AzureTargets, GcpTargets, TargetsSection
from costwarden.policy.yaml_source import Loc, source_text
from costwarden.schedule.calendar import country_problem, subdivision_problem
from costwarden.schedule.days import format_clock_time, normalize_token, parse_clock_time
from costwarden.schedule.tags import cloud_tag_key, gcp_label
from costwarden.schedule.zones import zone_problem

#: Tags costwarden writes (logical keys; ``cloud_tag_key`` gives each cloud's spelling).
LAST_ACTION_TAG = "costwarden:last-action"
SAVED_CAPACITY_TAG = "costwarden:saved-capacity"
#: ``PlannedAction.rule`` of a resource whose own tag named its schedule.
TAG_RULE = "tag"

_IDENTIFIER = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
_LABEL_VALUE = re.compile(r"[a-z0-9_-]{1,63}")
# Azure tag names may not contain these; AWS reserves the 'aws:' prefix and 128 characters.
_AZURE_FORBIDDEN = set("<>%&\\?/")
_AWS_TAG_KEY_MAX = 128

StrictBool = Annotated[bool, Strict()]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _identifier(what: str) -> Any:
    def check(value: str) -> str:
        if not _IDENTIFIER.fullmatch(value):
            raise fail(
                "identifier",
                f"invalid {what} {value!r}: use lowercase letters, digits, '-' and '_' (at "
                "most 63, starting with a letter or digit)",
            )
        return value

    return AfterValidator(check)


def _rule_name(value: str) -> str:
    if value == TAG_RULE:
        raise fail("reserved", f"{TAG_RULE!r} is reserved: it reports schedules named by a tag")
    return value


ScheduleName = Annotated[Text, _identifier("schedule name")]
"""Lowercase, so the name can be written as a tag value and a Google label value."""
RuleName = Annotated[Text, _identifier("rule name"), AfterValidator(_rule_name)]


def _validated(check: Any, code: str) -> AfterValidator:
    """An AfterValidator from a ``problem(value) -> str | None`` function."""

    def run(value: str) -> str:
        problem = check(value)
        if problem:
            raise fail(code, problem)
        return value

    return AfterValidator(run)


def _day_token(value: str) -> str:
    try:
        return normalize_token(value)
    except ValueError as exc:
        raise fail("day", str(exc)) from None


def _clock_time(value: str) -> str:
    try:
        return format_clock_time(parse_clock_time(value))
    except ValueError as exc:
        raise fail("time", str(exc)) from None


def _a_list(what: str) -> Any:
    def check(value: object) -> object:
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            shown = source_text(value) or str(value)
            raise fail("list_type", f"expected a list of {what}, got {value!r}: write [{shown}]")
        return value

    return BeforeValidator(check)


def _holiday_date(value: object) -> object:
    # YAML reads an unquoted 2026-12-24 as a date; a quoted one is text. Both are fine;
    # a timestamp or any other spelling is not a day.
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise fail("date", f"{value!r} is not a date of the calendar") from None
    raise fail("date", f"expected a date written YYYY-MM-DD, got {describe_value(value)}")


DayToken = Annotated[Text, AfterValidator(_day_token)]
ClockTime = Annotated[Text, AfterValidator(_clock_time)]
TimeZone = Annotated[Text, _validated(zone_problem, "timezone")]
HolidayDate = Annotated[date, BeforeValidator(_holiday_date)]


class Period(_Section):
    """Running from ``start`` to ``stop`` (local) on each of ``days``; one side may be left out."""

    days: Annotated[tuple[DayToken, ...], _a_list("days"), NonEmpty, Unique] = Field(
        description="mon..sun, ranges (mon-fri), nth weekday (mon#1), last (fri#L)"
    )
    start: ClockTime | None = Field(default=None, description="HH:MM local: start / keep running")
    stop: ClockTime | None = Field(default=None, description="HH:MM local: stop")

    @model_validator(mode="after")
    def _one_side_at_least(self) -> Period:
        if self.start is None and self.stop is None:
            raise fail("period", "a period needs start, stop or both")
        if self.start == self.stop:
            raise fail(
                "period",
                f"start and stop are both {self.start}: a period needs two different times "
                "(to run all day, leave stop out)",
            )
        return self


class HolidayCalendar(_Section):
    """Days the schedule keeps resources stopped all (local) day."""

    country: Annotated[Text, _validated(country_problem, "country")] | None = Field(
        default=None, description="public holidays of this country (ISO code, e.g. DE)"
    )
    subdivision: Text | None = Field(default=None, description="state / province, e.g. BY")
    dates: Annotated[tuple[HolidayDate, ...], Unique] = Field(
        default=(), description="extra dates, YYYY-MM-DD"
    )

    @field_validator("subdivision")
    @classmethod
    def _known_subdivision(cls, value: str | None, info: ValidationInfo) -> str | None:
        country = info.data.get("country")
        if value is not None and country is not None:
            problem = subdivision_problem(country, value)
            if problem:
                raise fail("subdivision", problem)
        return value

    @model_validator(mode="after")
    def _something(self) -> HolidayCalendar:
        if self.subdivision is not None and self.country is None:
            raise fail("holidays", "subdivision needs a country")
        if self.country is None and not self.dates:
            raise fail("holidays", "holidays need a country, dates, or both")
        return self


class Schedule(_Section):
    """When resources following this schedule run, in one time zone."""

    timezone: TimeZone = Field(description="IANA Area/City name, or UTC")
    periods: Annotated[tuple[Period, ...], NonEmpty]
    holidays: HolidayCalendar | None = None
    enforce: StrictBool = Field(
        default=False, description="true: manual starts outside the periods are stopped too"
    )
    description: Text | None = None


class ScheduleRule(_Section):
    """Resources matching ``match`` follow ``schedule`` (unless their own tag names one)."""

    name: RuleName
    schedule: ScheduleName = Field(description="a key of schedules")
    match: Selector
    hibernate: StrictBool = Field(
        default=False, description="hibernate EC2 instances launched with hibernation"
    )
    team: TeamName | None = Field(default=None, description="report to this team if untagged")


class IdleRule(_Section):
    """Running resources whose CPU stayed below a threshold for a whole window are stopped."""

    name: RuleName
    match: Selector
    cpu_below_percent: Annotated[float, Strict(), Field(gt=0, le=100)]
    window_hours: Annotated[int, Strict(), Field(ge=1, le=336)] = 24
    min_coverage_percent: Annotated[float, Strict(), Field(gt=0, le=100)] = 80
    team: TeamName | None = None


def _tag_key_problem(key: str) -> str | None:
    if key.lower().startswith("aws:"):
        return "AWS reserves tag keys starting with 'aws:'"
    if len(key) > _AWS_TAG_KEY_MAX:
        return f"at most {_AWS_TAG_KEY_MAX} characters (AWS), got {len(key)}"
    bad = sorted(set(key) & _AZURE_FORBIDDEN)
    if bad:
        return f"Azure tag names may not contain {' '.join(bad)}"
    if not key[0].isascii() or not key[0].isalpha():
        return "start with a letter (Google label keys must)"
    return None


def _label_value_problem(value: str) -> str | None:
    if _LABEL_VALUE.fullmatch(value.lower()):
        return None
    return (
        f"{value!r} cannot be a Google label value: use letters, digits, '_' and '-' (at most 63)"
    )


TagKey = Annotated[Text, _validated(_tag_key_problem, "tag_key")]


class SchedulingSection(_Section):
    """Which resources follow which schedule, and which are stopped when idle."""

    tag_key: TagKey = Field(default="costwarden:schedule", description="names a schedule")
    opt_out_value: Annotated[Text, _validated(_label_value_problem, "opt_out")] = Field(
        default="none", description="tag value: never schedule this resource"
    )
    override_tag_key: TagKey = Field(
        default="costwarden:keep-running-until", description="value: when the exemption ends"
    )
    warning_minutes: Annotated[int, Strict(), Field(ge=0, le=1440)] = Field(
        default=30, description="warn this long before a stop (0: no warnings)"
    )
    rules: tuple[ScheduleRule, ...] = Field(default=(), description="first match wins")
    idle: tuple[IdleRule, ...] = Field(default=(), description="first match wins")

    @model_validator(mode="after")
    def _distinct_keys(self) -> SchedulingSection:
        # Compared as Google labels: two keys that differ only there would share one label.
        seen = {gcp_label(LAST_ACTION_TAG): LAST_ACTION_TAG}
        seen[gcp_label(SAVED_CAPACITY_TAG)] = SAVED_CAPACITY_TAG
        for field in ("tag_key", "override_tag_key"):
            key = getattr(self, field)
            other = seen.get(gcp_label(key))
            if other is not None:
                raise fail(
                    "tag_key",
                    f"{field} {key!r} is the same tag as {other!r} (on Google Cloud both "
                    f"are the label {gcp_label(key)!r})",
                )
            seen[gcp_label(key)] = key
        return self


def _default_protected() -> tuple[Selector, ...]:
    return (Selector(tags={"Environment": ("prod", "production")}),)


class SafetySection(_Section):
    """What is never acted on, and how much one run may do."""

    protected: tuple[Selector, ...] = Field(
        default_factory=_default_protected,
        description="never acted on, whatever their tags say",
    )
    max_actions_per_run: Annotated[int, Strict(), Field(ge=1)] = Field(
        default=100, description="more planned actions block the whole plan"
    )
    max_fleet_percent: Annotated[float, Strict(), Field(gt=0, le=100)] = Field(
        default=50, description="more stops than this share of the fleet block the plan"
    )
    dry_run: StrictBool = Field(default=False, description="plan and report only")


def scheduling_problems(data: Mapping[str, object], teams: Sequence[str]) -> list[tuple[Loc, str]]:
    """Unknown schedules and teams, repeated rule names, over plain data (with locations).

    Anything not shaped as expected is skipped: schema validation reports it.
    """
    section = data.get("scheduling")
    if not isinstance(section, Mapping):
        return []
    schedules = data.get("schedules")
    known = sorted(_text(k) or "" for k in schedules) if isinstance(schedules, Mapping) else []
    problems: list[tuple[Loc, str]] = []
    first: dict[str, Loc] = {}
    for part in ("rules", "idle"):
        for index, rule in _items(section.get(part)):
            at: Loc = ("scheduling", part, index)
            schedule = _text(rule.get("schedule"))
            if part == "rules" and schedule is not None and schedule not in known:
                where = f"known: {', '.join(known)}" if known else "no schedules are defined"
                problems.append(((*at, "schedule"), f"unknown schedule {schedule!r} ({where})"))
            team = _text(rule.get("team"))
            if team is not None and team not in teams:
                where = f"known: {', '.join(teams)}" if teams else "no teams are defined"
                problems.append(((*at, "team"), f"unknown team {team!r} ({where})"))
            name = _text(rule.get("name"))
            if name is None:
                continue
            if name in first:
                earlier = first[name]
                message = f"rule name {name!r} is already used by scheduling.{earlier[1]}"
                problems.append(((*at, "name"), f"{message}[{earlier[2]}]"))
            else:
                first[name] = at
    return problems


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else source_text(value)


def _items(value: object) -> list[tuple[int, Mapping[str, object]]]:
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [(i, item) for i, item in enumerate(value) if isinstance(item, Mapping)]
    return []


__all__ = [
    "LAST_ACTION_TAG",
    "SAVED_CAPACITY_TAG",
    "TAG_RULE",
    "AwsTargets",
    "AzureTargets",
    "GcpTargets",
    "HolidayCalendar",
    "IdleRule",
    "Period",
    "SafetySection",
    "Schedule",
    "ScheduleName",
    "ScheduleRule",
    "SchedulingSection",
    "Selector",
    "TargetsSection",
    "cloud_tag_key",
    "scheduling_problems",
    "tag_value",
]
