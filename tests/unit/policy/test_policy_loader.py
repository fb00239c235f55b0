"""The loader reports every problem at once, each as ``file:line: field.path: message``."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest
from pydantic import ValidationError

from costwarden.errors import PolicyError
from costwarden.policy import Policy, load_policy, load_policy_text

VALID = """\
version: 1
slack:
  default_channel: "#finops-alerts"
teams:
  platform:
    slack_channel: "C0123456789"
    mentions: ["S0PLATFORM1", "U0ALICE001", "here"]
  data:
    slack_channel: "#data-costs"
budgets:
  routes:
    - name: "prod-*"
      team: platform
"""


def problems_of(text: str) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        load_policy_text(dedent(text), source="policy.yaml")
    return caught.value.problems


def test_a_valid_policy_loads_with_its_fields() -> None:
    policy = load_policy_text(VALID, source="policy.yaml")

    assert policy.version == 1
    assert policy.slack.default_channel == "#finops-alerts"
    assert policy.teams["platform"].mentions == ("S0PLATFORM1", "U0ALICE001", "here")
    assert policy.teams["data"].slack_channel == "#data-costs"
    assert policy.budgets.routes[0].team == "platform"
    assert policy.budgets.min_threshold_percent == 0


def test_every_problem_is_listed_at_once_with_its_line_and_field() -> None:
    problems = problems_of(
        """\
        version: 1
        slack:
          default_channel: "finops alerts"
        teams:
          platform:
            slack_channel: "C0123456789"
            mentions: ["@alice", "here"]
          data:
            channel: "#data-costs"
        budgets:
          min_threshold_percent: -5
          routes:
            - name: "prod-*"
              team: platfrom
            - provider: amazon
              team: data
            - team: data
        """
    )

    assert problems == [
        "policy.yaml:3: slack.default_channel: 'finops alerts' is not a Slack channel: use the "
        "channel id (C… or G…, from the channel's details) or '#name' (quoted)",
        "policy.yaml:7: teams.platform.mentions[0]: '@alice' is not a Slack id: mentions need a "
        "member id (U…/W…, from the profile's ⋮ menu → Copy member ID), a user-group id (S…) or "
        "'here'/'channel'",
        "policy.yaml:9: teams.data.channel: unknown field 'channel' (allowed: mentions, "
        "slack_channel); did you mean 'slack_channel'?",
        "policy.yaml:11: budgets.min_threshold_percent: must be 0 or more, got -5",
        "policy.yaml:14: budgets.routes[0].team: unknown team 'platfrom' (known: data, platform)",
        "policy.yaml:15: budgets.routes[1].provider: must be one of 'aws', 'azure' or 'gcp', "
        "got 'amazon'",
        "policy.yaml:17: budgets.routes[2]: a route needs at least one matcher (name, provider, "
        "scope or id); use name: '*' to send every remaining budget to one team",
    ]


def test_policy_error_message_lists_the_problems_one_per_line() -> None:
    with pytest.raises(PolicyError) as caught:
        load_policy_text("version: 1\nslack: {}\n", source="p.yaml")

    assert str(caught.value) == (
        "invalid policy:\n  p.yaml:2: slack.default_channel: required field missing"
    )


def test_a_missing_field_points_at_its_parent_line() -> None:
    problems = problems_of(
        """\
        # comment lines count too
        version: 1
        slack:
          default_channel: "#a"
        teams:
          platform:
            slack_channel: "#b"
        budgets:
          routes:
            - name: "x"
        """
    )

    assert problems == ["policy.yaml:10: budgets.routes[0].team: required field missing"]


def test_duplicate_keys_are_errors_not_silently_the_last_one() -> None:
    problems = problems_of(
        """\
        version: 1
        slack:
          default_channel: "#a"
          default_channel: "#b"
        teams:
          platform: {}
          platform: {slack_channel: "#c"}
        """
    )

    assert problems == [
        "policy.yaml:4: slack.default_channel: duplicate key: first written on line 3; YAML "
        "would keep only the last one silently",
        "policy.yaml:7: teams.platform: duplicate key: first written on line 6; YAML would keep "
        "only the last one silently",
    ]


def test_keys_overriding_a_merge_are_not_duplicates() -> None:
    policy = load_policy_text(
        dedent(
            """\
            version: 1
            slack: {default_channel: "#a"}
            teams:
              platform: &base {slack_channel: "#b", mentions: [here]}
              data:
                <<: *base
                slack_channel: "#c"
            """
        )
    )

    assert policy.teams["data"].slack_channel == "#c"
    assert policy.teams["data"].mentions == ("here",)


def test_a_missing_version_is_reported_with_the_other_problems() -> None:
    problems = problems_of(
        """\
        slack:
          default_channel: 42
        """
    )

    assert problems == [
        "policy.yaml:1: version: required: start the file with 'version: 1'",
        "policy.yaml:2: slack.default_channel: '42' is neither a channel id (C…/G…) nor a #name: "
        "write '#42' (quoted: YAML reads an unquoted # as a comment) or, better, the channel id",
    ]


def test_an_unknown_version_is_the_only_problem_reported() -> None:
    problems = problems_of(
        """\
        slack: {}
        version: 2
        schedules: {}
        """
    )

    assert problems == [
        "policy.yaml:2: version: unsupported policy version 2 (written for a newer costwarden? "
        "upgrade it); this costwarden reads version 1"
    ]


@pytest.mark.parametrize(
    ("written", "shown"),
    [("'1'", "the text '1'"), ("true", "the boolean true"), ("1.0", "the number 1.0")],
)
def test_a_version_that_is_not_the_number_1_is_rejected(written: str, shown: str) -> None:
    problems = problems_of(f'version: {written}\nslack: {{default_channel: "#a"}}\n')

    assert problems == [f"policy.yaml:1: version: must be the number 1 (unquoted), got {shown}"]


def test_a_tagging_section_without_required_keys_is_refused_with_its_line() -> None:
    problems = problems_of(VALID + "tagging:\n  required: {}\n")

    assert problems == ["policy.yaml:15: tagging.required: must have at least 1 item(s)"]


def test_a_tagging_team_must_exist() -> None:
    problems = problems_of(VALID + "tagging:\n  required: {Owner: {}}\n  team: nobody\n")

    assert len(problems) == 1
    assert problems[0].startswith("policy.yaml:16: tagging.team: unknown team 'nobody'")


def test_an_unknown_section_suggests_the_closest_known_one() -> None:
    problems = problems_of(VALID + "budget: {}\n")

    assert problems == [
        "policy.yaml:14: budget: unknown section 'budget' (known: allocation, budgets, safety, "
        "schedules, scheduling, slack, tagging, targets, teams, version); did you mean 'budgets'?"
    ]


def test_account_ids_keep_leading_zeros_and_octal_looking_digits_when_unquoted() -> None:
    # YAML 1.1 reads 012345670123 as the octal int 1402433619 and 123456789012 as an int.
    policy = load_policy_text(
        dedent(
            """\
            version: 1
            slack: {default_channel: "#a"}
            teams: {platform: {}}
            budgets:
              routes:
                - {provider: aws, scope: 012345670123, team: platform}
                - {provider: aws, scope: 123456789012, team: platform}
                - {provider: aws, scope: 012345678901, team: platform}
            """
        )
    )

    assert [r.scope for r in policy.budgets.routes] == [
        "012345670123",
        "123456789012",
        "012345678901",
    ]


def test_an_aws_account_id_of_the_wrong_length_is_rejected() -> None:
    problems = problems_of(
        """\
        version: 1
        slack: {default_channel: "#a"}
        teams: {platform: {}}
        budgets:
          routes:
            - {provider: aws, scope: "12345678901", team: platform}
        """
    )

    assert problems == [
        "policy.yaml:6: budgets.routes[0].scope: AWS account ids have 12 digits, '12345678901' "
        "has 11 (a lost leading zero?)"
    ]


def test_yaml_booleans_in_text_fields_explain_the_yaml_trap() -> None:
    problems = problems_of(
        """\
        version: 1
        slack: {default_channel: "#a"}
        teams:
          platform:
            mentions: [here, no]
        """
    )

    assert problems == [
        "policy.yaml:5: teams.platform.mentions[1]: expected text, got the boolean false (YAML "
        "reads unquoted yes/no/on/off/true/false as booleans): quote the value"
    ]


@pytest.mark.parametrize(
    ("channel", "message"),
    [
        ("#Platform", "Slack channel names are lowercase: write '#platform'"),
        ("c0123456789", "Slack ids are uppercase: write 'C0123456789'"),
        ("platform costs", "'platform costs' is not a Slack channel"),
    ],
)
def test_malformed_channels_are_explained(channel: str, message: str) -> None:
    problems = problems_of(f'version: 1\nslack: {{default_channel: "{channel}"}}\n')

    assert len(problems) == 1
    assert problems[0].startswith(f"policy.yaml:2: slack.default_channel: {message}")


@pytest.mark.parametrize(
    ("mention", "message"),
    [
        ("@here", "write 'here', without '@'"),
        ("<@U0ALICE001>", "'<@U0ALICE001>' is not a Slack id"),
        ("@U0ALICE001", "write the bare id 'U0ALICE001', without '@'"),
        ("everyone", "'everyone' is not supported: use 'channel' or 'here'"),
        ("u0alice001", "Slack ids are uppercase: write 'U0ALICE001'"),
        ("alice", "'alice' is not a Slack id"),
    ],
)
def test_malformed_mentions_are_explained(mention: str, message: str) -> None:
    problems = problems_of(
        f'version: 1\nslack: {{default_channel: "#a", default_mentions: ["{mention}"]}}\n'
    )

    assert len(problems) == 1
    assert problems[0].startswith(f"policy.yaml:2: slack.default_mentions[0]: {message}")


def test_repeated_mentions_are_rejected() -> None:
    problems = problems_of(
        'version: 1\nslack: {default_channel: "#a"}\nteams:\n  web: {mentions: [here, here]}\n'
    )

    assert problems == ["policy.yaml:4: teams.web.mentions: listed more than once: here"]


def test_team_names_must_be_lowercase_identifiers() -> None:
    problems = problems_of('version: 1\nslack: {default_channel: "#a"}\nteams:\n  Platform: {}\n')

    assert problems == [
        "policy.yaml:4: teams.Platform: invalid team name 'Platform': use lowercase letters, "
        "digits, '-' and '_' (at most 63, starting with a letter or digit)"
    ]


def test_a_glob_with_an_unclosed_bracket_is_rejected() -> None:
    problems = problems_of(
        """\
        version: 1
        slack: {default_channel: "#a"}
        teams: {web: {}}
        budgets:
          routes:
            - {name: "prod-[12", team: web}
            - {name: "[]]-[!]]", team: web}
        """
    )

    assert problems == [
        "policy.yaml:6: budgets.routes[0].name: pattern 'prod-[12' has an unclosed '[' at "
        "position 6: close it, or write '[[]' to match a literal '['"
    ]


def test_a_route_shadowed_by_an_earlier_one_is_unreachable() -> None:
    problems = problems_of(
        """\
        version: 1
        slack: {default_channel: "#a"}
        teams: {web: {}, data: {}}
        budgets:
          routes:
            - {provider: gcp, name: "*", team: web}
            - {provider: gcp, name: "analytics-*", team: data}
            - {provider: aws, name: "Prod-*", team: web}
            - {provider: aws, name: "prod-*", scope: "123456789012", team: data}
            - {provider: aws, name: "prod-db", team: data}
        """
    )

    assert problems == [
        "policy.yaml:7: budgets.routes[1]: unreachable: budgets.routes[0] matches every budget "
        "this route matches and comes first (first match wins)",
        "policy.yaml:9: budgets.routes[3]: unreachable: budgets.routes[2] matches every budget "
        "this route matches and comes first (first match wins)",
    ]


def test_wrong_container_types_are_named_in_yaml_terms() -> None:
    problems = problems_of(
        """\
        version: 1
        slack:
        teams: [platform]
        budgets:
          min_threshold_percent: 80%
          routes: {name: x}
        """
    )

    assert problems == [
        "policy.yaml:2: slack: expected a mapping, got nothing (null)",
        "policy.yaml:3: teams: expected a mapping, got a list",
        "policy.yaml:5: budgets.min_threshold_percent: expected a number, got the text '80%' "
        "(write 80, without the %)",
        "policy.yaml:6: budgets.routes: expected a list, got a mapping",
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "",
            "policy.yaml:1: (root): the policy is empty: it needs at least 'version: 1' and "
            "'slack.default_channel'",
        ),
        (
            "# only a comment\n",
            "policy.yaml:1: (root): the policy is empty: it needs at least 'version: 1' and "
            "'slack.default_channel'",
        ),
        (
            "\n- version: 1\n",
            "policy.yaml:2: (root): a policy is a mapping of sections (version, slack, ...), "
            "got a list",
        ),
    ],
)
def test_an_empty_or_non_mapping_document_is_rejected(text: str, problem: str) -> None:
    assert problems_of(text) == [problem]


def test_bad_yaml_syntax_reports_the_line_yaml_gives() -> None:
    problems = problems_of(
        """\
        version: 1
        slack:
          default_channel: "#a"
        teams: {platform: {}
        budgets: {}
        """
    )

    assert problems == [
        "policy.yaml:5: (yaml): while parsing a flow mapping: expected ',' or '}', but got "
        "'<scalar>' (the construct started on line 4)"
    ]


def test_tabs_in_indentation_get_a_hint() -> None:
    problems = problems_of('version: 1\nslack:\n\tdefault_channel: "#a"\n')

    assert problems == [
        "policy.yaml:3: (yaml): while scanning for the next token: found character '\\t' that "
        "cannot start any token; indent YAML with spaces, not tabs"
    ]


def test_unknown_yaml_tags_are_rejected_with_their_line() -> None:
    problems = problems_of("version: 1\nslack:\n  default_channel: !Ref Channel\n")

    assert problems == [
        "policy.yaml:3: (yaml): could not determine a constructor for the tag '!Ref'"
    ]


def test_load_policy_names_the_file_as_given(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("version: 1\nslack: {}\n", encoding="utf-8")

    with pytest.raises(PolicyError) as caught:
        load_policy(path)

    assert caught.value.problems == [f"{path}:2: slack.default_channel: required field missing"]


def test_load_policy_accepts_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + VALID.encode())

    assert load_policy(str(path)).version == 1


def test_a_missing_file_is_a_policy_error(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"

    with pytest.raises(PolicyError) as caught:
        load_policy(path)

    assert caught.value.problems == [f"{path}: (file): no such file"]


def test_a_file_that_is_not_utf8_is_a_policy_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("version: 1\n# caf\xe9\n".encode("latin-1"))

    with pytest.raises(PolicyError) as caught:
        load_policy(path)

    assert caught.value.problems == [f"{path}:2: (file): not UTF-8 text (byte 0xe9)"]


def test_a_policy_built_in_python_is_held_to_the_cross_field_rules() -> None:
    data = {
        "version": 1,
        "slack": {"default_channel": "#a"},
        "budgets": {"routes": [{"name": "x", "team": "ghost"}]},
    }

    with pytest.raises(ValidationError, match=r"unknown team 'ghost' \(no teams are defined\)"):
        Policy.model_validate(data)
