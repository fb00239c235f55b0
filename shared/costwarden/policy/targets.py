"""The ``targets`` policy section: the accounts, subscriptions and projects the planner fans
out to (``costwarden.policy.scheduling`` re-exports these models).

Each id is checked for the shape its cloud gives it, because a mistyped id is not an error
anywhere else: the planner would just find nothing to schedule there, every night, silently.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict

from costwarden.policy.fields import Text, fail
from costwarden.policy.selector import NonEmpty, Unique

# AWS: account ids are 12 digits; regions look like eu-west-1, us-gov-west-1, cn-north-1;
# IAM role names are 1-64 of [A-Za-z0-9+=,.@_-].
_AWS_ACCOUNT = re.compile(r"\d{12}")
_AWS_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")
_IAM_ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}", re.ASCII)
# Azure: a subscription id is a GUID.
_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
# Google: project ids are 6-30 of [a-z0-9-], starting with a letter, not ending with '-';
# legacy domain-scoped projects are 'example.com:my-project'.
_GCP_PROJECT = re.compile(r"([a-z0-9.-]+\.[a-z]{2,}:)?[a-z][a-z0-9-]{4,28}[a-z0-9]")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _shaped(pattern: re.Pattern[str], code: str, explain: Any) -> AfterValidator:
    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise fail(code, explain(value))
        return value

    return AfterValidator(check)


def _account_message(value: str) -> str:
    if value.isdigit():
        return f"AWS account ids have 12 digits, {value!r} has {len(value)} (a lost leading zero?)"
    return f"{value!r} is not an AWS account id (12 digits)"


def _role_message(value: str) -> str:
    if value.startswith("arn:"):
        return (
            "write the role's name, not its ARN: costwarden assumes "
            "arn:aws:iam::<account>:role/<name> in each account"
        )
    return f"{value!r} is not an IAM role name (1-64 letters, digits and +=,.@_-)"


def _subscription_message(value: str) -> str:
    if value.lower().startswith("/subscriptions/"):
        return f"write the bare subscription id: {value.rstrip('/').rsplit('/', 1)[-1]!r}"
    return f"{value!r} is not an Azure subscription id (a GUID)"


AwsAccount = Annotated[Text, _shaped(_AWS_ACCOUNT, "aws_account", _account_message)]
AwsRegion = Annotated[
    Text,
    _shaped(_AWS_REGION, "aws_region", lambda v: f"{v!r} is not an AWS region (e.g. eu-west-1)"),
]
RoleName = Annotated[Text, _shaped(_IAM_ROLE_NAME, "role_name", _role_message)]
Subscription = Annotated[Text, _shaped(_GUID, "subscription", _subscription_message)]
Project = Annotated[
    Text,
    _shaped(
        _GCP_PROJECT,
        "project",
        lambda v: (
            f"{v!r} is not a Google Cloud project id (6-30 lowercase letters, digits "
            "and '-', starting with a letter; the id, not the project's name or number)"
        ),
    ),
]


class AwsTargets(_Section):
    """AWS accounts x regions.

    Accounts: ``accounts`` listed -> those; ``organizations: true`` -> every active account of
    the organization (narrowed to ``accounts`` when both are given); neither -> the deployment's
    own account. Regions: ``regions``, else the deployment's own region.
    """

    accounts: Annotated[tuple[AwsAccount, ...], Unique] = Field(
        default=(), description="12-digit account ids"
    )
    regions: Annotated[tuple[AwsRegion, ...], Unique] = Field(
        default=(), description="regions scheduled in each account (none: the function's own)"
    )
    role_name: RoleName | None = Field(
        default=None, description="role assumed in each account (none: the function's own)"
    )
    organizations: Annotated[bool, Strict()] = Field(
        default=False, description="every active account of the organization"
    )


class AzureTargets(_Section):
    """Azure subscriptions."""

    subscriptions: Annotated[tuple[Subscription, ...], Unique, NonEmpty]


class GcpTargets(_Section):
    """Google Cloud projects."""

    projects: Annotated[tuple[Project, ...], Unique, NonEmpty]


class TargetsSection(_Section):
    """What the planner fans out to; a cloud left out is not scheduled."""

    aws: AwsTargets | None = None
    azure: AzureTargets | None = None
    gcp: GcpTargets | None = None
