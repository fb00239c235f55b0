"""Tag remediation on AWS: what the inventory (``tagging_inventory.AwsTagInventory``) and the
writer (``tagging_writer.AwsTagWriter``) of one target (account x region) share.

**Listing.** The Resource Groups Tagging API (``GetResources``) returns only resources that are
or once were tagged, and a never-tagged resource is exactly what a tag sweep must find. So the
types whose listing API is cheap are listed *directly*, with their tags in the same answer:
EC2 instances (``DescribeInstances``, 1,000 a page, terminated and shutting-down ones skipped),
EC2 volumes (``DescribeVolumes``), S3 buckets of the target's region (``ListBuckets`` with
``BucketRegion``, ``GetBucketLocation`` only where the answer does not name a bucket's region,
tags from ``GetBucketTagging``, ``NoSuchTagSet`` = no tags), RDS DB instances
(``DescribeDBInstances`` with ``TagList``) and Auto Scaling groups
(``DescribeAutoScalingGroups``, whose tags also answer parent look-ups). ``GetResources``
(paginated) covers the other supported types: EC2 snapshots, RDS clusters, Lambda functions,
DynamoDB tables, so never-tagged ones of *those* are not found by a sweep (their creation
events still are). Results are merged by ARN, the direct listing winning. The directly listed
types are deliberately *not* asked of ``GetResources`` as well: it pages at 100 resources
where ``DescribeInstances`` pages at 1,000 (5,000 tagged instances would cost 50 extra
calls), it returns recently terminated instances, and the direct listing is a superset. Only
the types the policy covers are listed (``type_filter``): a policy scoped to ``ec2:instance``
costs one ``DescribeInstances`` page per 1,000 instances and nothing else. Those answers are
read by ``ec2_slim.slim_instance_listing`` (only the fields costwarden reads) instead of
botocore's full parse: a third of the CPU and half the memory of a 5,000-instance sweep
(bench/README.md).

**Reading** (event path, re-read before write) accepts ARNs and the plain ids CloudTrail
events carry (``i-...``, ``vol-...``, ``snap-...``; any other plain string is an Auto Scaling
group name, as in ``CreateAutoScalingGroup``), in batches (``DescribeInstances`` 1,000 ids a
call; an unknown id fails a whole ``InstanceIds`` call, so that batch is re-read with an
``instance-id`` filter, which ignores unknown ids). Missing resources are left out.

**Parents** (``parents``): ``aws:autoscaling:groupName`` -> the group's tags;
``aws:cloudformation:stack-id`` (or ``-name``) -> the stack's tags; nearest first, each looked
up once per run.

**Writing**, in the largest batches AWS allows (REFERENCE §5), writes with identical tag sets
grouped: EC2 (instances, volumes, snapshots) ``CreateTags`` / ``DeleteTags`` with up to 1,000
ids a call; Auto Scaling groups ``CreateOrUpdateTags`` / ``DeleteTags``; everything else the
tagging API's ``TagResources`` / ``UntagResources`` with up to 20 ARNs a call, whose
``FailedResourcesMap`` gives per-resource failures. Tags are set before aliases are removed,
and an alias is only removed from a resource whose set succeeded. An EC2 batch refused as a
whole (one unknown or malformed id, one resource an IAM condition denies) is narrowed down:
the ids the error names fail, the rest is retried as one batch; when the error names none, the
batch is split in halves until the refused resources stand alone (at most ~2 log2(n) extra
calls per refused resource), so one bad resource fails alone. Throttling and 5xx answers are
retried by botocore (standard mode, ``retry.client_config``) and then fail the batch.

**IAM actions** this module's adapters call (for ``costwarden.permissions``):
``tag:GetResources``, ``tag:TagResources``, ``tag:UntagResources``; ``ec2:DescribeInstances``,
``ec2:DescribeVolumes``, ``ec2:DescribeSnapshots``, ``ec2:CreateTags``, ``ec2:DeleteTags``;
``s3:ListAllMyBuckets``, ``s3:GetBucketLocation``, ``s3:GetBucketTagging``,
``s3:PutBucketTagging`` (``TagResources`` on a bucket); ``rds:DescribeDBInstances``,
``rds:DescribeDBClusters``, ``rds:AddTagsToResource``, ``rds:RemoveTagsFromResource``;
``autoscaling:DescribeAutoScalingGroups``, ``autoscaling:CreateOrUpdateTags``,
``autoscaling:DeleteTags``; ``cloudformation:DescribeStacks``; ``lambda:ListTags``,
``lambda:TagResource``, ``lambda:UntagResource``; ``dynamodb:ListTagsOfResource``,
``dynamodb:TagResource``, ``dynamodb:UntagResource`` (``TagResources`` needs the tagging
permission of each resource's own service as well as ``tag:TagResources``).
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from costwarden.adapters.aws.retry import client_config
from costwarden.errors import ConfigError
from costwarden.ports_compute import Target

if TYPE_CHECKING:
    from boto3.session import Session
    from botocore.config import Config
    from mypy_boto3_autoscaling.client import AutoScalingClient
    from mypy_boto3_autoscaling.type_defs import TagTypeDef

INSTANCE = "ec2:instance"
VOLUME = "ec2:volume"
SNAPSHOT = "ec2:snapshot"
BUCKET = "s3:bucket"
DB = "rds:db"
CLUSTER = "rds:cluster"
FUNCTION = "lambda:function"
TABLE = "dynamodb:table"
GROUP = "autoscaling:autoScalingGroup"
#: Every type the adapters read and write, as policies name them (Resource Groups Tagging API
#: ``service:type`` form).
SUPPORTED_TYPES = (INSTANCE, VOLUME, SNAPSHOT, BUCKET, DB, CLUSTER, FUNCTION, TABLE, GROUP)
#: Listed with their own API (never-tagged ones included).
DIRECT_TYPES = frozenset({INSTANCE, VOLUME, BUCKET, DB, GROUP})
#: Written with EC2's CreateTags / DeleteTags (1,000 ids a call, any mix of these).
EC2_TYPES = frozenset({INSTANCE, VOLUME, SNAPSHOT})

#: CreateTags / DeleteTags: up to 1,000 resource ids a call (REFERENCE §5).
EC2_TAG_BATCH = 1000
#: TagResources / UntagResources: up to 20 ARNs a call.
TAGGING_API_BATCH = 20


class ApiCallCounter:
    """Counts the HTTP requests a set of boto3 clients sends, by ``service:Operation``.

    Hooked on botocore's ``before-send`` event, so a retried call counts once per attempt:
    what the API (and its rate limits) sees. Tests and the benchmark assert batching with it.
    """

    #: Operations that change tags.
    WRITES = frozenset(
        {
            "ec2:CreateTags",
            "ec2:DeleteTags",
            "auto-scaling:CreateOrUpdateTags",
            "auto-scaling:DeleteTags",
            "resource-groups-tagging-api:TagResources",
            "resource-groups-tagging-api:UntagResources",
        }
    )

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-send", self._count)

    def _count(self, event_name: str = "", **_kwargs: Any) -> None:
        # event_name: "before-send.<service-id>.<Operation>"
        service, _, operation = event_name.partition(".")[2].partition(".")
        with self._lock:
            self.calls[f"{service}:{operation}"] += 1

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    @property
    def writes(self) -> int:
        return sum(n for op, n in self.calls.items() if op in self.WRITES)

    def __getitem__(self, operation: str) -> int:
        return self.calls[operation]

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()


class AwsTagClients:
    """The boto3 clients of one target, each created on first use, all counted.

    Created lazily: a policy that covers only EC2 never pays for an S3 or RDS client.
    """

    def __init__(
        self,
        session: Session,
        target: Target,
        *,
        endpoint_url: str | None = None,
        config: Config | None = None,
        counter: ApiCallCounter | None = None,
        setup: Mapping[str, Callable[[Any], None]] | None = None,
    ) -> None:
        """``setup``: service -> what to do to its client once it is created."""
        if target.cloud != "aws":
            raise ConfigError(f"the AWS tag adapters need an AWS target, got {target.label}")
        if not target.region:
            raise ConfigError(f"AWS target {target.label} has no region")
        self.target = target
        self.account = target.account
        self.region: str = target.region
        self.partition = session.get_partition_for_region(target.region)
        self.counter = counter or ApiCallCounter()
        self._session = session
        self._endpoint_url = endpoint_url
        self._config = config or client_config()
        self._clients: dict[str, Any] = {}
        self._setup = dict(setup or {})

    def client(self, service: str) -> Any:
        if service not in self._clients:
            made = self._session.client(
                service,  # type: ignore[call-overload]
                region_name=self.region,
                endpoint_url=self._endpoint_url,
                config=self._config,
            )
            self.counter.attach(made)
            if service in self._setup:
                self._setup[service](made)
            self._clients[service] = made
        return self._clients[service]

    def ec2_arn(self, kind: str, resource_id: str) -> str:
        return f"arn:{self.partition}:ec2:{self.region}:{self.account}:{kind}/{resource_id}"

    def bucket_arn(self, name: str) -> str:
        return f"arn:{self.partition}:s3:::{name}"

    def group_arn(self, name: str, group_id: str = "") -> str:
        # The real ARN holds the group's UUID, which a CloudTrail event does not carry.
        return (
            f"arn:{self.partition}:autoscaling:{self.region}:{self.account}:"
            f"autoScalingGroup:{group_id}:autoScalingGroupName/{name}"
        )


@dataclass(frozen=True, slots=True)
class ResourceRef:
    """An ARN or a plain id from an event, resolved: type, and the id its own API takes."""

    resource_type: str
    #: instance / volume / snapshot id, bucket name, group name, or the ARN itself.
    native: str
    arn: str | None = None
    region: str | None = None
    account: str | None = None


_EC2_PREFIXES = {"i-": INSTANCE, "vol-": VOLUME, "snap-": SNAPSHOT}
_EC2_KINDS = {INSTANCE: "instance", VOLUME: "volume", SNAPSHOT: "snapshot"}


def ec2_kind(resource_type: str) -> str:
    """``ec2:instance`` -> ``instance`` (the ARN's resource kind)."""
    return _EC2_KINDS[resource_type]


def arn_type(arn: str) -> str:
    """The ``service:type`` of an ARN: ``arn:aws:rds:r:a:cluster:x`` -> ``rds:cluster``."""
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return ""
    service, resource = parts[2], parts[5]
    if service == "s3" and "/" not in resource:
        return BUCKET
    kind = re.split(r"[:/]", resource, maxsplit=1)[0]
    return f"{service}:{kind}"


def parse_ref(value: str) -> ResourceRef | None:
    """Resolve an ARN or a plain id; None for something that is neither."""
    if value.startswith("arn:"):
        parts = value.split(":", 5)
        if len(parts) < 6:
            return None
        kind = arn_type(value)
        region, account, resource = parts[3] or None, parts[4] or None, parts[5]
        if kind in EC2_TYPES:
            native = resource.split("/", 1)[-1]
        elif kind == BUCKET:
            native = resource
        elif kind == GROUP:
            native = resource.rsplit("autoScalingGroupName/", 1)[-1]
        else:
            native = value
        return ResourceRef(kind, native, value, region, account)
    for prefix, kind in _EC2_PREFIXES.items():
        if value.startswith(prefix):
            return ResourceRef(kind, value)
    if value and not value.startswith(("arn", "/")) and " " not in value:
        return ResourceRef(GROUP, value)  # CreateAutoScalingGroup events carry the name
    return None


def chunks(items: Sequence[str], size: int) -> list[list[str]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def tag_list(tags: Any) -> dict[str, str]:
    """``[{"Key": k, "Value": v}, ...]`` (EC2, RDS, S3, ASG, CloudFormation) -> ``{k: v}``."""
    out: dict[str, str] = {}
    for tag in tags or ():
        key = tag.get("Key")
        if isinstance(key, str):
            value = tag.get("Value")
            out[key] = value if isinstance(value, str) else ""
    return out


def write_group_tags(
    autoscaling: AutoScalingClient,
    names: Sequence[str],
    tags: Sequence[tuple[str, str]],
    *,
    remove: bool,
) -> None:
    """Set (or delete) ``tags`` on Auto Scaling groups: CreateOrUpdateTags / DeleteTags.

    Here rather than in ``tagging_writer`` so that each module's ``delete_tags`` is one
    service's (permissions are declared per module and call name: EC2's is the writer's).
    """
    entries: list[TagTypeDef] = []
    for name in names:
        for key, value in tags:
            entry: TagTypeDef = {
                "ResourceId": name,
                "ResourceType": "auto-scaling-group",
                "Key": key,
            }
            if not remove:
                # Instances the group launches inherit through the parent look-up (only for
                # keys they miss), not through propagation: the violation mark must not spread.
                entry["Value"] = value
                entry["PropagateAtLaunch"] = False
            entries.append(entry)
    if remove:
        autoscaling.delete_tags(Tags=entries)
    else:
        autoscaling.create_or_update_tags(Tags=entries)


__all__ = [
    "BUCKET",
    "CLUSTER",
    "DB",
    "DIRECT_TYPES",
    "EC2_TAG_BATCH",
    "EC2_TYPES",
    "FUNCTION",
    "GROUP",
    "INSTANCE",
    "SNAPSHOT",
    "SUPPORTED_TYPES",
    "TABLE",
    "TAGGING_API_BATCH",
    "VOLUME",
    "ApiCallCounter",
    "AwsTagClients",
    "ResourceRef",
    "arn_type",
    "chunks",
    "ec2_kind",
    "parse_ref",
    "tag_list",
    "write_group_tags",
]
