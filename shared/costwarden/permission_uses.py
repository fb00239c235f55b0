"""What each deployed function reaches: modules, the calls it makes there, and the deployment
resource it acts on. With ``costwarden.permission_calls`` this gives each function's grants
(``needs``); ``costwarden.permissions`` explains the whole.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from costwarden.permission_calls import _AWS, _AZ, _GCP, SDK_CALLS

Cloud = Literal["aws", "azure", "gcp"]
CLOUDS: tuple[Cloud, ...] = ("aws", "azure", "gcp")


@dataclass(frozen=True)
class Use:
    """A function reaches ``module`` and acts with ``calls`` (all deployed ones if empty) on
    the deployment resource ``resource``."""

    module: str
    resource: str
    calls: tuple[str, ...] = ()


_S3_READ = ("list_objects_v2", "head_object", "get_object", "download_file")
_BLOB_READ: tuple[str, ...] = ("list_blobs", "get_blob_client", "get_blob_properties")
_BLOB_READ += ("download_blob", "readall", "readinto")
_GCS_READ = ("list_blobs", "get_blob", "download_as_bytes", "download_to_filename", "blob")


def _uses(state: str, store: str, store_read: tuple[str, ...]) -> dict[str, tuple[Use, ...]]:
    """The three cost/alert functions, the same shape on every cloud."""
    published = Use(store, "output", store_read)
    return {
        "budget_alert": (Use(state, "state"), published),
        "export_arrival": (
            Use(state, "state"),
            Use(store, "export", store_read),
            Use(store, "output"),
        ),
        "cost_digest": (Use(state, "state"), published),
    }


_AWS_USES = _uses(_AWS + "dynamodb_state", _AWS + "s3_store", _S3_READ)
_AZ_USES = _uses(_AZ + "table_state", _AZ + "blob_store", _BLOB_READ)
_GCP_USES = _uses(_GCP + "gcs_state", _GCP + "gcs_store", _GCS_READ)
_AZ_TABLE = Use("costwarden.bootstrap", "state", ("create_table_if_not_exists",))
_SLACK = (Use(_AWS + "slack_token", "slack_token"),)
#: What the event path's re-read and parent look-ups call: all but the sweep's ListBuckets.
_AWS_INVENTORY_READS = tuple(
    call for call in SDK_CALLS[_AWS + "tagging_inventory"] if call != "list_buckets"
)


#: ``tagging.grace.action: stop`` (services.tag_grace): the sweep lists the scheduler's compute
#: resources and stops the overdue ones through its adapters: re-read, stop (or scale to zero),
#: last-action tag. Never a start, and the event path never stops anything.
_AWS_GRACE_STOP = (
    Use(_AWS + "ec2_instances", "compute", ("describe_instances", "stop_instances", "create_tags")),
    Use(
        _AWS + "asg_groups",
        "compute",
        ("describe_auto_scaling_groups", "update_auto_scaling_group", "create_or_update_tags"),
    ),
    Use(
        _AWS + "rds_instances",
        "compute",
        ("describe_db_instances", "stop_db_instance", "add_tags_to_resource"),
    ),
)
_AZ_GRACE_STOP = (
    Use(
        _AZ + "vm_compute",
        "compute",
        (
            *("list_all", "instance_view", "begin_deallocate", "done", "wait", "result"),
            *("send_request", "close"),
        ),
    ),
)
_GCP_GRACE_STOP = (
    Use(
        _GCP + "gce_compute",
        "compute",
        ("aggregated_list", "get", "result", "stop_unary", "set_labels_unary"),
    ),
)


def _aws_tagging(*, sweep: bool) -> tuple[Use, ...]:
    """The tag functions act on "tagged": any taggable resource of a target, through the tag
    APIs. The event path re-reads what an event created; the sweep also lists (``ListBuckets``)
    and finds the organization's accounts, and stops overdue resources (``_AWS_GRACE_STOP``)."""
    uses: tuple[Use, ...] = (
        Use(_AWS + "dynamodb_state", "state"),
        *_SLACK,
        Use(_AWS + "targets", "member_roles", ("assume_role",)),
        Use(_AWS + "tagging", "tagged"),
        Use(_AWS + "tagging_inventory", "tagged", () if sweep else _AWS_INVENTORY_READS),
        Use(_AWS + "tagging_writer", "tagged"),
    )
    if sweep:
        uses += (Use(_AWS + "targets", "organization", ("list_accounts", "get_caller_identity")),)
        uses += _AWS_GRACE_STOP
    return uses


def _gcp_tagging(*, sweep: bool) -> tuple[Use, ...]:
    listing = ("aggregated_list", "list_buckets") if sweep else ()
    calls = (*listing, "get", "set_labels_unary", "get_bucket", "bucket", "patch", "get_project")
    uses = (Use(_GCP + "gcs_state", "state"), Use(_GCP + "tagging", "tagged", calls))
    return uses + _GCP_GRACE_STOP if sweep else uses


def _azure_tagging(*, sweep: bool) -> tuple[Use, ...]:
    listing = ("list",) if sweep else ()
    calls = (*listing, "get", "list_by_resource_group", "get_at_scope", "begin_update_at_scope")
    uses = (
        Use(_AZ + "table_state", "state"),
        _AZ_TABLE,
        Use(_AZ + "tagging", "tagged", (*calls, "result", "close")),
    )
    return uses + _AZ_GRACE_STOP if sweep else uses


#: cloud -> function (as named in functions/) -> what it reaches.
FUNCTIONS: Mapping[Cloud, Mapping[str, tuple[Use, ...]]] = {
    "aws": {
        "budget_alert": _AWS_USES["budget_alert"] + _SLACK,
        "export_arrival": _AWS_USES["export_arrival"],
        "cost_digest": _AWS_USES["cost_digest"] + _SLACK,
        "schedule_planner": (
            Use(_AWS + "sqs_queue", "schedule_queue"),
            Use(_AWS + "targets", "organization", ("list_accounts", "get_caller_identity")),
        ),
        "schedule_worker": (
            *_AWS_USES["cost_digest"],
            *_SLACK,
            Use(_AWS + "targets", "member_roles", ("assume_role",)),
            Use(_AWS + "ec2_instances", "compute"),
            Use(_AWS + "asg_groups", "compute"),
            Use(_AWS + "rds_instances", "compute"),
            Use(_AWS + "cloudwatch_metrics", "compute"),
        ),
        "tag_remediation": _aws_tagging(sweep=False),
        "tag_sweep": _aws_tagging(sweep=True),
    },
    "azure": {
        # The webhook hands what it could not post to a Storage queue; its trigger posts.
        "budget_alert": (
            *_AZ_USES["budget_alert"],
            _AZ_TABLE,
            Use(_AZ + "queue_work", "budget_queue"),
        ),
        "budget_alert_retry": (*_AZ_USES["budget_alert"], _AZ_TABLE),
        "export_arrival": (*_AZ_USES["export_arrival"], _AZ_TABLE),
        "cost_digest": (*_AZ_USES["cost_digest"], _AZ_TABLE),
        "schedule_planner": (Use(_AZ + "queue_work", "schedule_queue"),),
        "schedule_worker": (
            *_AZ_USES["cost_digest"],
            _AZ_TABLE,
            Use(_AZ + "vm_compute", "compute"),
            Use(_AZ + "monitor_metrics", "compute"),
        ),
        "tag_remediation": _azure_tagging(sweep=False),
        "tag_sweep": _azure_tagging(sweep=True),
    },
    "gcp": {
        "budget_alert": _GCP_USES["budget_alert"],
        "export_arrival": _GCP_USES["export_arrival"],
        "cost_digest": _GCP_USES["cost_digest"],
        "schedule_planner": (Use(_GCP + "pubsub_queue", "schedule_queue"),),
        "schedule_worker": (
            *_GCP_USES["cost_digest"],
            Use(_GCP + "gce_compute", "compute"),
            Use(_GCP + "cloud_monitoring", "compute"),
        ),
        "tag_remediation": _gcp_tagging(sweep=False),
        "tag_sweep": _gcp_tagging(sweep=True),
    },
}
#: The tag-remediation functions (issue 4), on every cloud.
TAG_FUNCTIONS = ("tag_remediation", "tag_sweep")


def needs(cloud: Cloud, function: str) -> dict[tuple[str, str], set[str]]:
    """(deployment resource, resource kind) -> the permissions ``function`` needs there."""
    grants: dict[tuple[str, str], set[str]] = {}
    for use in FUNCTIONS[cloud][function]:
        calls = SDK_CALLS[use.module]
        for name in use.calls or tuple(calls):
            call = calls[name]
            if call.deployed:
                for permission in call.needs:
                    kind = call.kinds.get(permission, call.on)
                    grants.setdefault((use.resource, kind), set()).add(permission)
    return grants


def resource_needs(cloud: Cloud, resource: str) -> list[str]:
    """Every permission any function of ``cloud`` needs on ``resource``, sorted.

    Azure and Google run all functions under one identity, so their roles are per resource.
    """
    found: set[str] = set()
    for function in FUNCTIONS[cloud]:
        for (name, _kind), permissions in needs(cloud, function).items():
            if name == resource:
                found |= permissions
    return sorted(found)


def is_read(action: str) -> bool:
    """Describe/Get/List/read actions change nothing."""
    verb = action.split(":", 1)[-1]
    return verb.startswith(("Describe", "Get", "List")) or action.endswith(("/read", ".list"))
