"""Every cloud SDK call costwarden's code can make, with the permissions it needs.

The facts half of ``costwarden.permissions`` (which explains the whole): one entry per module
and call name as written in the code. ``tests/infra/test_permissions.py`` scans the adapters'
source and fails on a call not declared here or a declaration no call matches any more.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Call:
    """One SDK call: the permissions it needs and the kind of resource they apply to.

    ``needs`` is empty for calls that send no request (a client factory) or need no permission
    (``sts:GetCallerIdentity``). ``deployed=False`` marks calls only tests and local runs make
    (creating the state table): the functions are never granted them.
    """

    needs: tuple[str, ...]
    on: str = "any"
    deployed: bool = True
    #: permission -> the kind of resource it applies to, where that is not ``on`` (one call
    #: authorized on several kinds: the tagging API's ``TagResources``).
    kinds: Mapping[str, str] = field(default_factory=dict)


_LOCAL = Call((), deployed=False)
_NONE = Call(())

_AWS = "costwarden.adapters.aws."
_AZ = "costwarden.adapters.azure."
_GCP = "costwarden.adapters.gcp."
_BLOB = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/"
_TABLE = "Microsoft.Storage/storageAccounts/tableServices/tables/"
_VM = "Microsoft.Compute/virtualMachines/"
_RG = "Microsoft.Resources/subscriptions/resourceGroups/"

#: module -> SDK call (as written in the code) -> what it needs.
SDK_CALLS: Mapping[str, Mapping[str, Call]] = {
    # -- AWS (IAM actions; checked against botocore's operations) ------------------------------
    _AWS + "dynamodb_state": {
        "get_item": Call(("dynamodb:GetItem",), "table"),
        "put_item": Call(("dynamodb:PutItem",), "table"),
        "delete_item": Call(("dynamodb:DeleteItem",), "table"),
        # create_state_table(): tests and local runs; deployments create the table.
        "create_table": _LOCAL,
        "describe_table": _LOCAL,
        "describe_time_to_live": _LOCAL,
        "update_time_to_live": _LOCAL,
    },
    _AWS + "s3_store": {
        "list_objects_v2": Call(("s3:ListBucket",), "bucket"),
        # HeadObject is authorized as s3:GetObject.
        "head_object": Call(("s3:GetObject",), "object"),
        "get_object": Call(("s3:GetObject",), "object"),
        "download_file": Call(("s3:GetObject",), "object"),
        # Managed upload: multipart above 8 MiB, aborted on failure.
        "upload_file": Call(("s3:PutObject", "s3:AbortMultipartUpload"), "object"),
        "put_object": Call(("s3:PutObject",), "object"),
        "delete_object": Call(("s3:DeleteObject",), "object"),
    },
    _AWS + "slack_token": {
        "parameters.get_parameter": Call(("ssm:GetParameter",), "parameter"),
        "parameters.get_secret": Call(("secretsmanager:GetSecretValue",), "secret"),
    },
    _AWS + "sqs_queue": {
        # Batch sends are authorized as sqs:SendMessage.
        "send_message_batch": Call(("sqs:SendMessage",), "queue"),
    },
    _AWS + "targets": {
        "list_accounts": Call(("organizations:ListAccounts",)),
        "assume_role": Call(("sts:AssumeRole",), "role"),
        "get_caller_identity": _NONE,  # always allowed, needs no permission
    },
    _AWS + "ec2_instances": {
        "describe_instances": Call(("ec2:DescribeInstances",)),
        "stop_instances": Call(("ec2:StopInstances",), "instance"),
        "start_instances": Call(("ec2:StartInstances",), "instance"),
        "create_tags": Call(("ec2:CreateTags",), "instance"),
    },
    _AWS + "asg_groups": {
        "describe_auto_scaling_groups": Call(("autoscaling:DescribeAutoScalingGroups",)),
        "update_auto_scaling_group": Call(("autoscaling:UpdateAutoScalingGroup",), "asg"),
        "create_or_update_tags": Call(("autoscaling:CreateOrUpdateTags",), "asg"),
        "delete_tags": Call(("autoscaling:DeleteTags",), "asg"),
    },
    _AWS + "rds_instances": {
        "describe_db_instances": Call(("rds:DescribeDBInstances",), "db"),
        "stop_db_instance": Call(("rds:StopDBInstance",), "db"),
        "start_db_instance": Call(("rds:StartDBInstance",), "db"),
        "add_tags_to_resource": Call(("rds:AddTagsToResource",), "db"),
    },
    _AWS + "cloudwatch_metrics": {
        "get_metric_data": Call(("cloudwatch:GetMetricData",)),
    },
    # Tag remediation (issue 4): the IAM actions each adapter module's calls need.
    _AWS + "tagging": {
        # write_group_tags(): the writer's Auto Scaling tag calls.
        "create_or_update_tags": Call(("autoscaling:CreateOrUpdateTags",), "asg"),
        "delete_tags": Call(("autoscaling:DeleteTags",), "asg"),
    },
    _AWS + "tagging_inventory": {
        "describe_instances": Call(("ec2:DescribeInstances",)),
        "describe_volumes": Call(("ec2:DescribeVolumes",)),
        "describe_snapshots": Call(("ec2:DescribeSnapshots",)),
        # ListBuckets is authorized as s3:ListAllMyBuckets (account-wide, no resource).
        "list_buckets": Call(("s3:ListAllMyBuckets",)),
        "get_bucket_location": Call(("s3:GetBucketLocation",), "bucket"),
        "get_bucket_tagging": Call(("s3:GetBucketTagging",), "bucket"),
        # The tagging API has no resource-level permissions.
        "get_resources": Call(("tag:GetResources",)),
        "describe_db_instances": Call(("rds:DescribeDBInstances",), "db"),
        "describe_db_clusters": Call(("rds:DescribeDBClusters",), "cluster"),
        "describe_auto_scaling_groups": Call(("autoscaling:DescribeAutoScalingGroups",)),
        "describe_stacks": Call(("cloudformation:DescribeStacks",), "stack"),
        "list_tags": Call(("lambda:ListTags",), "function"),
        "list_tags_of_resource": Call(("dynamodb:ListTagsOfResource",), "table"),
    },
    _AWS + "tagging_writer": {
        "create_tags": Call(("ec2:CreateTags",), "ec2"),
        "delete_tags": Call(("ec2:DeleteTags",), "ec2"),
        # TagResources / UntagResources also need the tagging permission of each resource's
        # own service (S3 buckets: the bucket's whole tag set is read and put back).
        "tag_resources": Call(
            (
                "tag:TagResources",
                "s3:PutBucketTagging",
                "rds:AddTagsToResource",
                "lambda:TagResource",
                "dynamodb:TagResource",
            ),
            kinds={
                "s3:PutBucketTagging": "bucket",
                "rds:AddTagsToResource": "rds",
                "lambda:TagResource": "function",
                "dynamodb:TagResource": "table",
            },
        ),
        "untag_resources": Call(
            (
                "tag:UntagResources",
                "s3:PutBucketTagging",
                "rds:RemoveTagsFromResource",
                "lambda:UntagResource",
                "dynamodb:UntagResource",
            ),
            kinds={
                "s3:PutBucketTagging": "bucket",
                "rds:RemoveTagsFromResource": "rds",
                "lambda:UntagResource": "function",
                "dynamodb:UntagResource": "table",
            },
        ),
    },
    # -- Azure (RBAC actions and data actions) ---------------------------------------------------
    _AZ + "table_state": {
        "create_entity": Call((_TABLE + "entities/add/action",), "table"),
        "get_entity": Call((_TABLE + "entities/read",), "table"),
        "update_entity": Call(
            (_TABLE + "entities/update/action", _TABLE + "entities/write"), "table"
        ),
        "delete_entity": Call((_TABLE + "entities/delete",), "table"),
    },
    _AZ + "blob_store": {
        "list_blobs": Call((_BLOB + "read",), "container"),
        "get_blob_client": _NONE,  # a client for one blob: no request
        "get_blob_properties": Call((_BLOB + "read",), "container"),
        "download_blob": Call((_BLOB + "read",), "container"),
        "readall": _NONE,  # reads the download started above
        "readinto": _NONE,
        "upload_blob": Call((_BLOB + "write", _BLOB + "add/action"), "container"),
        "get": _NONE,  # the upload's response, a dict
        "delete_blob": Call((_BLOB + "delete",), "container"),
    },
    _AZ + "queue_work": {
        "send_message": Call(
            ("Microsoft.Storage/storageAccounts/queueServices/queues/messages/add/action",), "queue"
        ),
        "close": _NONE,
    },
    _AZ + "vm_compute": {
        # list_all with the instance view status of each VM, and one VM's instance view.
        "list_all": Call((_VM + "read",)),
        "instance_view": Call((_VM + "instanceView/read",)),
        "begin_deallocate": Call((_VM + "deallocate/action",)),
        "begin_start": Call((_VM + "start/action",)),
        "done": _NONE,  # polling the operation started above
        "wait": _NONE,
        "result": _NONE,
        # PATCH .../providers/Microsoft.Resources/tags/default (Merge): tag write, not VM write.
        "send_request": Call(("Microsoft.Resources/tags/write",)),
        "close": _NONE,
    },
    _AZ + "monitor_metrics": {
        "query_resources": Call(("Microsoft.Insights/metrics/read",)),
        "close": _NONE,
    },
    _AZ + "tagging": {
        # resource_groups.list and resources.list (the sweep's listing).
        "list": Call((_RG + "read", "Microsoft.Resources/subscriptions/resources/read")),
        "get": Call((_RG + "read",)),  # resource_groups.get: a parent, or a group re-read
        "list_by_resource_group": Call((_RG + "resources/read",)),
        # The Tags API: one action for every resource type, never the type's own write.
        "get_at_scope": Call(("Microsoft.Resources/tags/read",)),
        "begin_update_at_scope": Call(("Microsoft.Resources/tags/write",)),
        "result": _NONE,  # the update's poller
        "close": _NONE,
    },
    # -- Google Cloud (IAM permissions) ----------------------------------------------------------
    _GCP + "gcs_state": {
        "blob": _NONE,  # a handle: no request
        "download_as_bytes": Call(("storage.objects.get",), "bucket"),
        # Replacing an existing generation also needs delete on the object.
        "upload_from_string": Call(("storage.objects.create", "storage.objects.delete"), "bucket"),
        "delete": Call(("storage.objects.delete",), "bucket"),
    },
    _GCP + "gcs_store": {
        "blob": _NONE,
        "list_blobs": Call(("storage.objects.list",), "bucket"),
        "get_blob": Call(("storage.objects.get",), "bucket"),
        "download_as_bytes": Call(("storage.objects.get",), "bucket"),
        "download_to_filename": Call(("storage.objects.get",), "bucket"),
        "upload_from_string": Call(("storage.objects.create", "storage.objects.delete"), "bucket"),
        "upload_from_filename": Call(
            ("storage.objects.create", "storage.objects.delete"), "bucket"
        ),
        "delete": Call(("storage.objects.delete",), "bucket"),
    },
    _GCP + "pubsub_queue": {
        "publish": Call(("pubsub.topics.publish",), "topic"),
        "result": _NONE,  # the publish future
    },
    _GCP + "gce_compute": {
        "aggregated_list": Call(("compute.instances.list",)),
        # instances.get (re-read after a fingerprint conflict) and zoneOperations.get (polling)
        "get": Call(("compute.instances.get", "compute.zoneOperations.get")),
        "result": Call(("compute.zoneOperations.get",)),
        "stop_unary": Call(("compute.instances.stop",)),
        "start_unary": Call(("compute.instances.start",)),
        "resume_unary": Call(("compute.instances.resume",)),
        "set_labels_unary": Call(("compute.instances.setLabels",)),
    },
    _GCP + "cloud_monitoring": {
        "list_time_series": Call(("monitoring.timeSeries.list",)),
    },
    _GCP + "tagging": {
        # instances / disks aggregatedList; get and setLabels of instances, zonal and regional
        # disks (regional disks are authorized with the compute.disks permissions).
        "aggregated_list": Call(("compute.instances.list", "compute.disks.list")),
        "get": Call(("compute.instances.get", "compute.disks.get")),
        "set_labels_unary": Call(("compute.instances.setLabels", "compute.disks.setLabels")),
        "list_buckets": Call(("storage.buckets.list",)),
        "get_bucket": Call(("storage.buckets.get",)),
        "bucket": _NONE,  # a handle (and the clients' own bucket() converter)
        "patch": Call(("storage.buckets.update",)),  # labels only, metageneration-conditional
        "get_project": Call(("resourcemanager.projects.get",)),  # the parent's labels
    },
    # -- composition roots -----------------------------------------------------------------------
    "costwarden.bootstrap": {
        "bucket": _NONE,  # storage.Client().bucket(name): a handle
        # Azure state: the table is created on first use (the template creates it too).
        "create_table_if_not_exists": Call((_TABLE.rstrip("/") + "/write",), "table"),
    },
    "costwarden.bootstrap_exports": {
        "bucket": _NONE,
        "get_container_client": _NONE,
    },
}
