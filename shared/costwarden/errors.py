"""Typed errors. Every failure a user can cause has a named class and a message that says what.

Handlers and the CLI catch ``CostwardenError`` and turn it into a clean exit or a platform
error; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class CostwardenError(Exception):
    """Base of every error costwarden raises on purpose."""


class PayloadError(CostwardenError):
    """A trigger payload is malformed: not JSON, a field missing, a value of the wrong shape."""


class UnrecognisedPayloadError(PayloadError):
    """A payload is well-formed but is not a shape costwarden knows (nor the forced provider's)."""


class PolicyError(CostwardenError):
    """The policy file is invalid. ``problems`` lists each one as ``file:line: field: message``."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid policy:\n  " + "\n  ".join(problems))


class ConfigError(CostwardenError):
    """The deployment's settings (environment, app settings) are missing or inconsistent."""


class UnauthorizedError(CostwardenError):
    """A webhook request did not carry the configured shared secret."""


class AlertInProgressError(CostwardenError):
    """Another invocation holds the claim for this alert; the platform should redeliver later."""


class NotificationError(CostwardenError):
    """Slack (or another notifier) did not accept the message after its retries."""


class StateStoreError(CostwardenError):
    """The state store failed in a way that is not a lost race (e.g. throttled past retries)."""


class WorkItemError(PayloadError):
    """A schedule work item (queue message) that is not one: dropped, nothing acted on."""


class CloudApiError(CostwardenError):
    """A cloud API call failed after the SDK's retries (throttling, 5xx, access denied).

    Raised by inventory and metrics adapters: a listing that failed must never look like an
    empty estate (Cloud Custodian's silent empty result on throttled describes).
    """


class TerraformPlanError(PayloadError):
    """A file that is not the JSON of ``terraform show -json PLANFILE``."""
