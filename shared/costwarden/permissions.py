"""The cloud permissions costwarden needs, declared next to nothing but facts about the code.

In the spirit of Cloud Custodian's per-action ``permissions``: every SDK call a module can make
is declared with the permissions it needs (``SDK_CALLS``, in ``costwarden.permission_calls``),
and every deployed function names the modules it reaches and the deployment resource each acts
on (``FUNCTIONS``, in ``costwarden.permission_uses``). The grants of a function are derived from
the two; the infrastructure's IAM policies and roles are generated from them (AWS:
``costwarden.permissions_aws``; ``python -m costwarden.permissions --cloud aws`` prints them,
``python tests/infra/render_roles.py`` writes them into the templates) and tests hold the
templates to exactly that. This module is the entry point and re-exports all of it:

- ``tests/infra/test_permissions.py`` reads the adapters' source for SDK calls and fails on a
  call that is not declared here or a declaration that no longer matches a call; for AWS it
  also checks each call's IAM action against botocore's service model;
- ``tests/infra/test_infra_wiring.py`` compares the SAM template's policies, the Azure custom
  role and the Google custom roles with what this module generates.

Two choices here are judgement, not fact:

- **No tag condition on stop/start.** The scheduler selects resources by the policy's selectors
  (names, regions, accounts, rules without tags), so an ``aws:ResourceTag`` allow-condition
  would silently refuse legitimate work. Instead (1) a *deny* refuses every mutating action on
  resources tagged ``Environment`` = one of the protected values (the IAM twin of the policy's
  default ``safety.protected``), and (2) tag writes are limited to costwarden's own keys
  (``aws:TagKeys``), so the role can never rewrite anyone else's tags.
- **Tag remediation's writes are limited to the policy's keys** (``aws:TagKeys`` against the
  template parameter ``TagRemediationKeys``, which ``--tag-keys policy.yaml`` prints: every
  required key, its aliases and the violation mark). The keys live in the policy file, not in
  the code, so they are a deployment parameter, not a declaration. Where IAM cannot hold a
  write to keys it is said at the condition (``AWS_TAGGING_CONDITIONS``). Tag remediation is
  not covered by the protected-environment deny: tagging a production resource changes
  nothing it runs, and the deny on the scheduler's own tag writes is narrowed to its own keys
  so that both can share a member role.
- Reads that IAM cannot scope (``ec2:DescribeInstances``, ``cloudwatch:GetMetricData``,
  ``organizations:ListAccounts``, ``tag:GetResources``, X-Ray) are granted on ``*``; no action
  is ever ``*``.

Azure RBAC and Google IAM have no condition on the tag *keys* a write sets: there the tag
functions' role is tag read/write plus the listings, nothing else (no resource write).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from costwarden.permission_calls import _BLOB, _TABLE, SDK_CALLS, Call
from costwarden.permission_uses import (
    CLOUDS,
    FUNCTIONS,
    TAG_FUNCTIONS,
    Cloud,
    Use,
    is_read,
    needs,
    resource_needs,
)
from costwarden.permissions_aws import (
    AWS_ACTION_CONDITIONS,
    AWS_ARNS,
    AWS_PLATFORM,
    AWS_RESOURCE_CONDITIONS,
    AWS_STATEMENT_CONDITIONS,
    AWS_TAGGING_CONDITIONS,
    MEMBER_TAGGING_CONDITION,
    PROTECTED_TAG_KEY,
    TAG_KEYS_PARAMETER,
    aws_logical_name,
    aws_member_role_statements,
    aws_role_statements,
    tag_remediation_keys,
)

__all__ = [
    "AWS_ACTION_CONDITIONS",
    "AWS_ARNS",
    "AWS_PLATFORM",
    "AWS_RESOURCE_CONDITIONS",
    "AWS_STATEMENT_CONDITIONS",
    "AWS_TAGGING_CONDITIONS",
    "AZURE_BUILTIN_ROLES",
    "CLOUDS",
    "FUNCTIONS",
    "GCP_PREDEFINED_ROLES",
    "MEMBER_TAGGING_CONDITION",
    "PROTECTED_TAG_KEY",
    "SDK_CALLS",
    "TAG_FUNCTIONS",
    "TAG_KEYS_PARAMETER",
    "Call",
    "Cloud",
    "Use",
    "aws_logical_name",
    "aws_member_role_statements",
    "aws_role_statements",
    "generated",
    "is_read",
    "main",
    "needs",
    "resource_needs",
    "tag_remediation_keys",
]


# -- Azure and Google: one identity per deployment, roles per resource ----------------------------
#: Built-in Azure roles assigned at one resource's scope, and the data actions each grants
#: (Microsoft's definitions): the declared needs must fall inside them.
AZURE_BUILTIN_ROLES: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "state": (
        "Storage Table Data Contributor",
        tuple(_TABLE + a for a in ("read", "write", "delete"))
        + tuple(
            _TABLE + "entities/" + a
            for a in ("read", "write", "delete", "add/action", "update/action")
        ),
    ),
    "export": ("Storage Blob Data Reader", (_BLOB + "read",)),
    "output": (
        "Storage Blob Data Contributor",
        tuple(_BLOB + a for a in ("read", "write", "delete", "add/action", "move/action")),
    ),
    "schedule_queue": (
        "Storage Queue Data Message Sender",
        ("Microsoft.Storage/storageAccounts/queueServices/queues/messages/add/action",),
    ),
    "budget_queue": (
        "Storage Queue Data Message Sender",
        ("Microsoft.Storage/storageAccounts/queueServices/queues/messages/add/action",),
    ),
}
#: Google predefined roles granted on one resource, with the permissions they contain.
GCP_PREDEFINED_ROLES: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "schedule_queue": ("roles/pubsub.publisher", ("pubsub.topics.publish",)),
}


def generated(cloud: Cloud) -> dict[str, Any]:
    """Everything the infrastructure of ``cloud`` must grant, as one JSON-able document."""
    if cloud == "aws":
        roles = {aws_logical_name(f) + "Role": aws_role_statements(f) for f in FUNCTIONS["aws"]}
        return {"roles": roles, "member_role": aws_member_role_statements()}
    resources = sorted({use.resource for uses in FUNCTIONS[cloud].values() for use in uses})
    return {resource: resource_needs(cloud, resource) for resource in resources}


def main(argv: list[str] | None = None) -> int:
    """``python -m costwarden.permissions --cloud aws``: print the generated grants (JSON);
    ``--tag-keys policy.yaml``: the ``TagRemediationKeys`` value for that policy."""
    import argparse

    from costwarden.policy import load_policy

    parser = argparse.ArgumentParser(prog="python -m costwarden.permissions")
    parser.add_argument("--cloud", choices=CLOUDS)
    parser.add_argument("--tag-keys", type=Path, metavar="POLICY", help="print TagRemediationKeys")
    args = parser.parse_args(argv)
    if args.tag_keys is not None:
        section = load_policy(args.tag_keys).tagging
        if section is None:
            parser.error(f"{args.tag_keys} has no tagging section")
        print(",".join(tag_remediation_keys(section)))
        return 0
    if args.cloud is None:
        parser.error("give --cloud or --tag-keys")
    print(json.dumps(generated(args.cloud), indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":  # pragma: no cover - a developer's tool
    raise SystemExit(main())
