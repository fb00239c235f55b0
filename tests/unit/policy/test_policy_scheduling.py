"""The schedules, scheduling, safety and targets sections: what loads, and every refusal as
``file:line: field: message``."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from textwrap import dedent

import pytest
from pydantic import ValidationError

from costwarden.errors import PolicyError
from costwarden.policy import Policy, load_policy, load_policy_text
from costwarden.policy.scheduling import (
    LAST_ACTION_TAG,
    SAVED_CAPACITY_TAG,
    Selector,
    cloud_tag_key,
)

ROOT = Path(__file__).resolve().parents[3]
HEAD = 'version: 1\nslack: {default_channel: "#a"}\nteams: {platform: {}}\n'  # lines 1-3


def load(body: str) -> Policy:
    return load_policy_text(HEAD + dedent(body), source="policy.yaml")


def problems_of(body: str) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        load(body)
    return caught.value.problems


FULL = """\
schedules:
  office-hours:
    timezone: Europe/Berlin
    periods:
      - days: [Mon-Fri]
        start: 8:30
        stop: 19:00
      - days: [sat#1, fri#l]
        stop: "13:00"
    holidays:
      country: DE
      subdivision: Bayern
      dates: [2026-12-24, "2026-12-31"]
    enforce: true
    description: Munich office
scheduling:
  tag_key: "Schedule"
  rules:
    - name: dev
      schedule: office-hours
      match: {clouds: [aws], tags: {Environment: dev}}
      hibernate: true
      team: platform
  idle:
    - {name: idle-dev, match: {}, cpu_below_percent: 2.5}
safety:
  protected: []
  max_actions_per_run: 10
  dry_run: true
targets:
  aws: {organizations: true, regions: [eu-west-1], role_name: costwarden-member}
  azure: {subscriptions: ["0A1B2C3D-0000-0000-0000-000000000000"]}
  gcp: {projects: [my-dev-project, "example.com:legacy-app"]}
"""


def test_the_new_sections_load_with_their_values_normalized() -> None:
    policy = load(FULL)

    office = policy.schedules["office-hours"]
    assert office.timezone == "Europe/Berlin"
    assert office.periods[0].days == ("mon-fri",)
    assert (office.periods[0].start, office.periods[0].stop) == ("08:30", "19:00")
    assert office.periods[1].days == ("sat#1", "fri#L")
    assert (office.periods[1].start, office.periods[1].stop) == (None, "13:00")
    assert office.holidays is not None
    assert office.holidays.subdivision == "Bayern"
    assert office.holidays.dates == (date(2026, 12, 24), date(2026, 12, 31))
    assert office.enforce is True
    rule = policy.scheduling.rules[0]
    assert (rule.name, rule.schedule, rule.hibernate, rule.team) == (
        "dev",
        "office-hours",
        True,
        "platform",
    )
    assert rule.match.tags == {"Environment": ("dev",)}
    assert policy.scheduling.tag_key == "Schedule"
    assert policy.scheduling.idle[0].window_hours == 24
    assert policy.scheduling.idle[0].min_coverage_percent == 80
    assert policy.safety.protected == ()
    assert (policy.safety.max_actions_per_run, policy.safety.dry_run) == (10, True)
    assert policy.targets.aws is not None
    assert policy.targets.aws.organizations is True
    assert policy.targets.gcp is not None
    assert policy.targets.gcp.projects == ("my-dev-project", "example.com:legacy-app")


def test_without_the_sections_the_defaults_apply() -> None:
    policy = load("")

    assert policy.schedules == {}
    assert policy.scheduling.tag_key == "costwarden:schedule"
    assert policy.scheduling.opt_out_value == "none"
    assert policy.scheduling.override_tag_key == "costwarden:keep-running-until"
    assert policy.scheduling.warning_minutes == 30
    assert policy.scheduling.rules == ()
    assert policy.safety.protected == (Selector(tags={"Environment": ("prod", "production")}),)
    assert (policy.safety.max_actions_per_run, policy.safety.max_fleet_percent) == (100, 50)
    assert policy.safety.dry_run is False
    assert (policy.targets.aws, policy.targets.azure, policy.targets.gcp) == (None, None, None)


def test_the_example_policy_has_working_schedules() -> None:
    policy = load_policy(ROOT / "policy.example.yaml")

    assert set(policy.schedules) >= {"office-hours", "us-batch-nights", "evening-stop"}
    assert {r.schedule for r in policy.scheduling.rules} <= set(policy.schedules)
    assert policy.safety.protected
    assert policy.targets.aws is not None


def test_the_constants_of_the_tags_costwarden_writes() -> None:
    assert LAST_ACTION_TAG == "costwarden:last-action"
    assert SAVED_CAPACITY_TAG == "costwarden:saved-capacity"


@pytest.mark.parametrize(
    ("cloud", "key", "stored"),
    [
        ("aws", "costwarden:schedule", "costwarden:schedule"),
        ("azure", "CostCenter", "CostCenter"),
        ("gcp", "costwarden:schedule", "costwarden-schedule"),
        ("gcp", "costwarden:keep-running-until", "costwarden-keep-running-until"),
        ("gcp", "Cost Center.Team", "cost-center-team"),
        ("gcp", "k" * 70, "k" * 63),
    ],
)
def test_cloud_tag_key_maps_logical_keys_to_each_clouds_spelling(
    cloud: str, key: str, stored: str
) -> None:
    assert cloud_tag_key(cloud, key) == stored  # type: ignore[arg-type]


# Every refusal: (policy body from line 4, the problems expected).
BAD = [
    pytest.param(
        "schedules:\n  x:\n    timezone: EST\n    periods: [{days: [mon], start: '08:00'}]\n",
        [
            "policy.yaml:6: schedules.x.timezone: 'EST' is an abbreviation, not a time zone "
            "(abbreviations are ambiguous and ignore daylight saving): write the place's "
            "Area/City name, e.g. 'America/New_York' or 'America/Toronto'"
        ],
        id="abbreviation",
    ),
    pytest.param(
        "schedules:\n  x:\n    timezone: US/Eastern\n    periods: [{days: [mon], stop: '08:00'}]\n",
        [
            "policy.yaml:6: schedules.x.timezone: 'US/Eastern' is a legacy alias in the tz "
            "database: write 'America/New_York'"
        ],
        id="legacy-alias",
    ),
    pytest.param(
        "schedules:\n  x:\n    timezone: Europe/Munich\n"
        "    periods: [{days: [mon], stop: '08:00'}]\n",
        [
            "policy.yaml:6: schedules.x.timezone: unknown time zone 'Europe/Munich'; did you "
            "mean 'Europe/Zurich' or 'Europe/Monaco'?"
        ],
        id="unknown-zone",
    ),
    pytest.param(
        "schedules:\n  x:\n    periods: [{days: [mon], stop: '08:00'}]\n",
        ["policy.yaml:5: schedules.x.timezone: required field missing"],
        id="no-zone-no-fallback",
    ),
    pytest.param(
        """\
        schedules:
          x:
            timezone: UTC
            periods:
              - {days: [monday, mon#6], start: "24:00", stop: "8"}
              - {days: [sun]}
              - {days: [sun], start: "10:00", stop: "10:00"}
              - {days: mon-fri, start: "10:00"}
              - {days: [], start: "10:00"}
        """,
        [
            "policy.yaml:8: schedules.x.periods[0].days[0]: 'monday' is not a day token: days "
            "are written mon..sun (did you mean mon?)",
            "policy.yaml:8: schedules.x.periods[0].days[1]: 'mon#6': after '#' write 1 to 5 "
            "(the nth mon of the month) or L (the last mon of the month)",
            "policy.yaml:8: schedules.x.periods[0].start: 24:00 is not a time of day: to stop "
            "at midnight write '00:00' (a stop earlier than the start runs past midnight)",
            "policy.yaml:8: schedules.x.periods[0].stop: '8' is not a time of day: write HH:MM "
            "(24-hour clock), e.g. '08:00'",
            "policy.yaml:9: schedules.x.periods[1]: a period needs start, stop or both",
            "policy.yaml:10: schedules.x.periods[2]: start and stop are both 10:00: a period "
            "needs two different times (to run all day, leave stop out)",
            "policy.yaml:11: schedules.x.periods[3].days: expected a list of days, got "
            "'mon-fri': write [mon-fri]",
            "policy.yaml:12: schedules.x.periods[4].days: must not be empty: list at least one",
        ],
        id="periods",
    ),
    pytest.param(
        "schedules:\n  x: {timezone: UTC, periods: []}\n  Office: {timezone: UTC, periods: []}\n",
        [
            "policy.yaml:5: schedules.x.periods: must not be empty: list at least one",
            "policy.yaml:6: schedules.Office: invalid schedule name 'Office': use lowercase "
            "letters, digits, '-' and '_' (at most 63, starting with a letter or digit)",
            "policy.yaml:6: schedules.Office.periods: must not be empty: list at least one",
        ],
        id="schedule-names",
    ),
    pytest.param(
        """\
        schedules:
          a:
            timezone: UTC
            periods: [{days: [mon], stop: "18:00"}]
            holidays: {country: de, subdivision: XX}
          b:
            timezone: UTC
            periods: [{days: [mon], stop: "18:00"}]
            holidays:
              country: DE
              subdivision: XX
              dates: ["24.12.2026", 2026-12-24 10:00:00, "2026-02-30"]
          c:
            timezone: UTC
            periods: [{days: [mon], stop: "18:00"}]
            holidays: {subdivision: BY}
          d:
            timezone: UTC
            periods: [{days: [mon], stop: "18:00"}]
            holidays: {country: Germany, dates: [2026-12-24, 2026-12-24]}
          e:
            timezone: UTC
            periods: [{days: [mon], stop: "18:00"}]
            holidays: {}
        """,
        [
            "policy.yaml:8: schedules.a.holidays.country: country codes are uppercase: write 'DE'",
            "policy.yaml:14: schedules.b.holidays.subdivision: 'XX' is not a subdivision of DE "
            "(known: BB, BE, BW, BY, HB, HE, HH, MV, NI, NW, RP, SH, SL, SN, ST, TH)",
            "policy.yaml:15: schedules.b.holidays.dates[0]: expected a date written YYYY-MM-DD, "
            "got the text '24.12.2026'",
            "policy.yaml:15: schedules.b.holidays.dates[1]: expected a date written YYYY-MM-DD, "
            "got the date 2026-12-24T10:00:00",
            "policy.yaml:15: schedules.b.holidays.dates[2]: '2026-02-30' is not a date of the "
            "calendar",
            "policy.yaml:19: schedules.c.holidays: subdivision needs a country",
            "policy.yaml:23: schedules.d.holidays.country: 'Germany' is not a country the "
            "holidays calendar knows (write an ISO 3166 code such as DE, US or GB)",
            "policy.yaml:23: schedules.d.holidays.dates: listed more than once: 2026-12-24",
            "policy.yaml:27: schedules.e.holidays: holidays need a country, dates, or both",
        ],
        id="holidays",
    ),
    pytest.param(
        """\
        schedules:
          office: {timezone: UTC, periods: [{days: [mon-fri], start: "08:00", stop: "18:00"}]}
        scheduling:
          rules:
            - {name: dev, schedule: ofice, match: {}, team: platfrom}
            - {name: dev, schedule: office, match: {}}
            - {name: tag, schedule: office, match: {}}
            - {name: Dev, schedule: office, match: {}}
            - {name: no-match, schedule: office}
          idle:
            - {name: dev, match: {}, cpu_below_percent: 5, team: web}
        """,
        [
            "policy.yaml:8: scheduling.rules[0].schedule: unknown schedule 'ofice' (known: office)",
            "policy.yaml:8: scheduling.rules[0].team: unknown team 'platfrom' (known: platform)",
            "policy.yaml:9: scheduling.rules[1].name: rule name 'dev' is already used by "
            "scheduling.rules[0]",
            "policy.yaml:10: scheduling.rules[2].name: 'tag' is reserved: it reports schedules "
            "named by a tag",
            "policy.yaml:11: scheduling.rules[3].name: invalid rule name 'Dev': use lowercase "
            "letters, digits, '-' and '_' (at most 63, starting with a letter or digit)",
            "policy.yaml:12: scheduling.rules[4].match: required field missing",
            "policy.yaml:14: scheduling.idle[0].name: rule name 'dev' is already used by "
            "scheduling.rules[0]",
            "policy.yaml:14: scheduling.idle[0].team: unknown team 'web' (known: platform)",
        ],
        id="rules",
    ),
    pytest.param(
        "scheduling:\n  rules:\n    - {name: dev, schedule: office, match: {}}\n",
        [
            "policy.yaml:6: scheduling.rules[0].schedule: unknown schedule 'office' (no "
            "schedules are defined)"
        ],
        id="no-schedules",
    ),
    pytest.param(
        """\
        safety:
          protected:
            - clouds: [aws, amazon]
            - resource_types: [ec2]
            - names: []
            - tags: {Environment: [prod, "*"]}
            - accounts: ["1234[5"]
            - tag: {Environment: prod}
            - tags: {}
        """,
        [
            "policy.yaml:6: safety.protected[0].clouds[1]: must be one of 'aws', 'azure' or "
            "'gcp', got 'amazon'",
            "policy.yaml:7: safety.protected[1].resource_types[0]: must be one of "
            "'ec2_instance', 'asg', 'rds_instance', 'azure_vm' or 'gce_instance', got 'ec2'",
            "policy.yaml:8: safety.protected[2].names: must not be empty: list at least one",
            "policy.yaml:9: safety.protected[3].tags.Environment: '*' means any value (the tag "
            "is present): write it alone",
            "policy.yaml:10: safety.protected[4].accounts[0]: pattern '1234[5' has an unclosed "
            "'[' at position 5: close it, or write '[[]' to match a literal '['",
            "policy.yaml:11: safety.protected[5].tag: unknown field 'tag' (allowed: accounts, "
            "clouds, names, regions, resource_types, tags); did you mean 'tags'?",
            "policy.yaml:12: safety.protected[6].tags: must not be empty: list at least one",
        ],
        id="selectors",
    ),
    pytest.param(
        """\
        scheduling:
          tag_key: "aws:schedule"
          override_tag_key: "keep/running"
          opt_out_value: "never ever"
          warning_minutes: -1
          idle:
            - {name: a, match: {}, cpu_below_percent: 0, window_hours: 337,
               min_coverage_percent: 101}
            - {name: b, match: {}, cpu_below_percent: "5%"}
        safety:
          max_actions_per_run: 0
          max_fleet_percent: 150
          dry_run: "yes"
        """,
        [
            "policy.yaml:5: scheduling.tag_key: AWS reserves tag keys starting with 'aws:'",
            "policy.yaml:6: scheduling.override_tag_key: Azure tag names may not contain /",
            "policy.yaml:7: scheduling.opt_out_value: 'never ever' cannot be a Google label "
            "value: use letters, digits, '_' and '-' (at most 63)",
            "policy.yaml:8: scheduling.warning_minutes: must be 0 or more, got -1",
            "policy.yaml:10: scheduling.idle[0].cpu_below_percent: must be more than 0, got 0",
            "policy.yaml:10: scheduling.idle[0].window_hours: must be 336 or less, got 337",
            "policy.yaml:11: scheduling.idle[0].min_coverage_percent: must be 100 or less, got 101",
            "policy.yaml:12: scheduling.idle[1].cpu_below_percent: expected a number, got the "
            "text '5%' (write 5, without the %)",
            "policy.yaml:14: safety.max_actions_per_run: must be 1 or more, got 0",
            "policy.yaml:15: safety.max_fleet_percent: must be 100 or less, got 150",
            "policy.yaml:16: safety.dry_run: expected true or false, got the text 'yes'",
        ],
        id="scheduling-and-safety-fields",
    ),
    pytest.param(
        'scheduling:\n  tag_key: "Costwarden:Last-Action"\n',
        [
            "policy.yaml:4: scheduling: tag_key 'Costwarden:Last-Action' is the same tag as "
            "'costwarden:last-action' (on Google Cloud both are the label "
            "'costwarden-last-action')"
        ],
        id="tag-key-clash",
    ),
    pytest.param(
        """\
        targets:
          aws:
            accounts: [12345678901, "123456789012"]
            regions: [eu-west, EU-WEST-1]
            role_name: "arn:aws:iam::123456789012:role/costwarden"
            organizations: yes please
          azure:
            subscriptions: ["/subscriptions/00000000-0000-0000-0000-000000000000", nope]
          gcp:
            projects: ["My Project", "123456789012", []]
          oci: {}
        """,
        [
            "policy.yaml:6: targets.aws.accounts[0]: AWS account ids have 12 digits, "
            "'12345678901' has 11 (a lost leading zero?)",
            "policy.yaml:7: targets.aws.regions[0]: 'eu-west' is not an AWS region "
            "(e.g. eu-west-1)",
            "policy.yaml:7: targets.aws.regions[1]: 'EU-WEST-1' is not an AWS region "
            "(e.g. eu-west-1)",
            "policy.yaml:8: targets.aws.role_name: write the role's name, not its ARN: "
            "costwarden assumes arn:aws:iam::<account>:role/<name> in each account",
            "policy.yaml:9: targets.aws.organizations: expected true or false, got the text "
            "'yes please'",
            "policy.yaml:11: targets.azure.subscriptions[0]: write the bare subscription id: "
            "'00000000-0000-0000-0000-000000000000'",
            "policy.yaml:11: targets.azure.subscriptions[1]: 'nope' is not an Azure "
            "subscription id (a GUID)",
            "policy.yaml:13: targets.gcp.projects[0]: 'My Project' is not a Google Cloud "
            "project id (6-30 lowercase letters, digits and '-', starting with a letter; the "
            "id, not the project's name or number)",
            "policy.yaml:13: targets.gcp.projects[1]: '123456789012' is not a Google Cloud "
            "project id (6-30 lowercase letters, digits and '-', starting with a letter; the "
            "id, not the project's name or number)",
            "policy.yaml:13: targets.gcp.projects[2]: expected text, got a list",
            "policy.yaml:14: targets.oci: unknown field 'oci' (allowed: aws, azure, gcp)",
        ],
        id="targets",
    ),
    pytest.param(
        """\
        targets:
          aws: {accounts: ["012345678901", 012345678901], regions: [eu-west-1, eu-west-1]}
          gcp: {projects: []}
        """,
        [
            "policy.yaml:5: targets.aws.accounts: listed more than once: 012345678901",
            "policy.yaml:5: targets.aws.regions: listed more than once: eu-west-1",
            "policy.yaml:6: targets.gcp.projects: must not be empty: list at least one",
        ],
        id="targets-repeated-and-empty",
    ),
    pytest.param(
        "schedules:\n  x:\n    timezone: UTC\n    enforce: yes\n"
        "    holidays: {dates: [2026-02-30]}\n",
        [
            "policy.yaml:8: (yaml): '2026-02-30' reads as a date but is not one (day is out of "
            "range for month); quote it if it is text"
        ],
        id="impossible-unquoted-date",
    ),
]


@pytest.mark.parametrize(("body", "expected"), BAD)
def test_bad_input_is_reported_with_file_line_and_field(body: str, expected: list[str]) -> None:
    assert problems_of(body) == expected


def test_a_policy_built_in_python_is_held_to_the_scheduling_cross_field_rules() -> None:
    data = {
        "version": 1,
        "slack": {"default_channel": "#a"},
        "scheduling": {"rules": [{"name": "dev", "schedule": "ghost", "match": {}}]},
    }

    with pytest.raises(ValidationError, match=r"unknown schedule 'ghost' \(no schedules"):
        Policy.model_validate(data)
