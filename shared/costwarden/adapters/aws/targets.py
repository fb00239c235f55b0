"""Which AWS accounts and regions the scheduler covers, and sessions inside member accounts.

``AwsTargetDirectory`` turns the policy's ``targets.aws`` section into one ``Target`` per
account x region:

- ``accounts`` listed -> those accounts;
- ``organizations: true`` -> every ACTIVE account of the organization (``ListAccounts``, all
  pages; suspended and closing accounts are left out: their API calls fail). When ``accounts``
  is listed as well, it narrows the organization's accounts to those;
- neither (or no ``targets.aws`` section at all) -> the account the function runs in
  (``GetCallerIdentity``), so a single-account deployment needs no targets section.

Regions come from ``regions``, else the session's region. With ``role_name`` set, each target
carries ``arn:<partition>:iam::<account>:role/<role_name>``; the worker assumes it with
``session_for_target``. Without it, targets have no role and the worker uses its own
credentials (single account, or a role that already reaches every account).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from botocore.exceptions import BotoCoreError, ClientError

from costwarden.adapters.aws.retry import api_error, client_config
from costwarden.errors import ConfigError
from costwarden.ports_compute import Target

if TYPE_CHECKING:
    from boto3.session import Session
    from botocore.config import Config

SESSION_NAME = "costwarden-schedule"
#: ListAccounts' largest page.
_ACCOUNTS_PAGE_SIZE = 20
#: One hour: the default maximum session duration of an IAM role, and four times the longest
#: a Lambda invocation can run.
SESSION_SECONDS = 3600


@runtime_checkable
class AwsTargetsLike(Protocol):
    """The shape of ``costwarden.policy.scheduling.AwsTargets`` this directory reads."""

    @property
    def accounts(self) -> Sequence[str]: ...
    @property
    def regions(self) -> Sequence[str]: ...
    @property
    def role_name(self) -> str | None: ...
    @property
    def organizations(self) -> bool: ...


class TargetsSectionLike(Protocol):
    """The shape of ``costwarden.policy.scheduling.TargetsSection`` (its ``aws`` part)."""

    @property
    def aws(self) -> AwsTargetsLike | None: ...


class AwsTargetDirectory:
    """``TargetDirectory`` for AWS: the policy's accounts or the organization's, x regions."""

    def __init__(
        self,
        session: Session,
        targets_section: TargetsSectionLike | AwsTargetsLike | None,
        *,
        endpoint_url: str | None = None,
        config: Config | None = None,
    ) -> None:
        self._session = session
        # The whole ``targets`` section or just its ``aws`` part: either is accepted.
        self._aws: AwsTargetsLike | None
        if targets_section is None or isinstance(targets_section, AwsTargetsLike):
            self._aws = targets_section
        else:
            self._aws = targets_section.aws
        self._endpoint_url = endpoint_url
        self._config = config or client_config()

    def targets(self) -> list[Target]:
        """Sorted by account then region; raises ``CloudApiError`` if a listing fails."""
        aws = self._aws
        regions = list(aws.regions) if aws and aws.regions else []
        if not regions:
            if not self._session.region_name:
                raise ConfigError("targets.aws.regions is empty and the session has no region")
            regions = [self._session.region_name]
        if aws and aws.organizations:
            accounts = self._organization_accounts()
            if aws.accounts:
                accounts = [a for a in accounts if a in set(aws.accounts)]
        elif aws and aws.accounts:
            accounts = list(aws.accounts)
        else:
            accounts = [self._own_account()]
        role_name = aws.role_name if aws else None
        partition = self._session.get_partition_for_region(regions[0])
        return [
            Target(
                cloud="aws",
                account=account,
                region=region,
                role_arn=f"arn:{partition}:iam::{account}:role/{role_name}" if role_name else None,
            )
            for account in sorted(set(accounts))
            for region in sorted(set(regions))
        ]

    def _organization_accounts(self) -> list[str]:
        client = self._session.client(
            "organizations", endpoint_url=self._endpoint_url, config=self._config
        )
        accounts: list[str] = []
        try:
            pages = client.get_paginator("list_accounts").paginate(
                PaginationConfig={"PageSize": _ACCOUNTS_PAGE_SIZE}
            )
            for page in pages:
                for account in page.get("Accounts", []):
                    # ``State`` replaces the deprecated ``Status``; read whichever is present.
                    state = account.get("State") or account.get("Status")
                    if state == "ACTIVE" and "Id" in account:
                        accounts.append(account["Id"])
        except (ClientError, BotoCoreError) as exc:
            raise api_error("organizations:ListAccounts", "the organization", exc) from exc
        return accounts

    def _own_account(self) -> str:
        client = self._session.client("sts", endpoint_url=self._endpoint_url, config=self._config)
        try:
            return client.get_caller_identity()["Account"]
        except (ClientError, BotoCoreError) as exc:
            raise api_error("sts:GetCallerIdentity", "this function's account", exc) from exc


def assumed_session(
    base_session: Session,
    role_arn: str,
    session_name: str = SESSION_NAME,
    *,
    endpoint_url: str | None = None,
    config: Config | None = None,
    region_name: str | None = None,
) -> Session:
    """A boto3 session holding ``role_arn``'s temporary credentials (STS ``AssumeRole``).

    The session name shows in the member account's CloudTrail as
    ``assumed-role/<role>/costwarden-schedule``, so every stop and start is attributable.
    Credentials last ``SESSION_SECONDS`` and are not refreshed: one worker invocation is far
    shorter. Raises ``CloudApiError`` naming the role when the role cannot be assumed.
    """
    import boto3

    region = region_name or base_session.region_name
    sts = base_session.client(
        "sts", region_name=region, endpoint_url=endpoint_url, config=config or client_config()
    )
    try:
        response = sts.assume_role(
            RoleArn=role_arn, RoleSessionName=session_name, DurationSeconds=SESSION_SECONDS
        )
    except (ClientError, BotoCoreError) as exc:
        raise api_error("sts:AssumeRole", role_arn, exc) from exc
    credentials = response["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=region,
    )


def session_for_target(
    base_session: Session,
    target: Target,
    *,
    endpoint_url: str | None = None,
    config: Config | None = None,
) -> Session:
    """The session to act in ``target`` with: its role assumed, or the base session."""
    if not target.role_arn:
        return base_session
    return assumed_session(
        base_session,
        target.role_arn,
        endpoint_url=endpoint_url,
        config=config,
        region_name=target.region,
    )
