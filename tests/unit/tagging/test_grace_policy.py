"""``tagging.grace``: the actions a policy may name, and a typed error for any other."""

from __future__ import annotations

import pytest

from costwarden.errors import PolicyError
from costwarden.policy import load_policy_text

BASE = """\
version: 1
slack: {default_channel: "#finops"}
tagging:
  clouds: [aws]
  required: {Owner: {}}
  grace: {days: 3, action: ACTION}
"""


@pytest.mark.parametrize("action", ["notify", "stop"])
def test_notify_and_stop_are_accepted(action: str) -> None:
    policy = load_policy_text(BASE.replace("ACTION", action))
    assert policy.tagging is not None
    assert policy.tagging.grace.action == action
    assert policy.tagging.grace.days == 3


def test_the_default_action_is_notify() -> None:
    policy = load_policy_text(BASE.replace("  grace: {days: 3, action: ACTION}\n", ""))
    assert policy.tagging is not None
    assert policy.tagging.grace.action == "notify"


def test_an_unknown_action_is_a_policy_error_at_its_line() -> None:
    with pytest.raises(PolicyError) as raised:
        load_policy_text(BASE.replace("ACTION", "terminate"), source="policy.yaml")
    [problem] = raised.value.problems
    assert problem.startswith("policy.yaml:6: tagging.grace.action:")
    assert "'notify' or 'stop'" in problem
