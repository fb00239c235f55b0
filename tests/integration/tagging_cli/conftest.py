"""The scheduling functions' AWS estate fixtures (member accounts behind an assumed role, state
table, Slack), reused: the tag commands reach accounts the same way."""

from integration.scheduling_functions.conftest import aws, function_env, slack

__all__ = ["aws", "function_env", "slack"]
