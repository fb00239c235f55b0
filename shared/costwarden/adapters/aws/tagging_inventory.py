"""``TagInventory`` for one AWS target: list, re-read and find the parents of taggable
resources. Why it lists some types directly and others through the Resource Groups Tagging
API, and the IAM actions it needs: ``costwarden.adapters.aws.tagging``.

Every failed listing or read raises ``CloudApiError`` after botocore's retries: a throttled
sweep must never look like a compliant (or empty) estate.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from costwarden.adapters.aws.ec2_slim import slim_instance_listing
from costwarden.adapters.aws.retry import api_error, error_code
from costwarden.adapters.aws.tagging import (
    BUCKET,
    CLUSTER,
    DB,
    DIRECT_TYPES,
    FUNCTION,
    GROUP,
    INSTANCE,
    SNAPSHOT,
    SUPPORTED_TYPES,
    TABLE,
    VOLUME,
    ApiCallCounter,
    AwsTagClients,
    ResourceRef,
    arn_type,
    chunks,
    parse_ref,
    tag_list,
)
from costwarden.ports_compute import Target
from costwarden.ports_tagging import ParentTags, TaggedResource

if TYPE_CHECKING:
    from boto3.session import Session
    from botocore.config import Config

GROUP_TAG = "aws:autoscaling:groupName"
STACK_ID_TAG = "aws:cloudformation:stack-id"
STACK_NAME_TAG = "aws:cloudformation:stack-name"
ParentKind = str  # "autoscaling_group" | "cloudformation_stack"
PARENT_KINDS: tuple[ParentKind, ...] = ("autoscaling_group", "cloudformation_stack")

#: Listed instances: terminated and shutting-down ones are gone for tagging purposes.
_LIVE_STATES = ["pending", "running", "stopping", "stopped"]
#: DescribeInstances / DescribeVolumes: largest page; InstanceIds: up to 1,000 a call.
_EC2_PAGE = 1000
#: EC2 filter values per filter (the fallback read of a batch with unknown ids).
_FILTER_VALUES = 200
#: DescribeAutoScalingGroups names per call; GetResources ARNs per call / page size.
_GROUP_NAMES = 100
_TAGGING_PAGE = 100
_RDS_FILTER_VALUES = 100


class AwsTagInventory:
    """Taggable resources of one AWS account x region, with their tags and their parents'."""

    def __init__(
        self,
        session: Session,
        target: Target,
        *,
        endpoint_url: str | None = None,
        config: Config | None = None,
        counter: ApiCallCounter | None = None,
        type_filter: Callable[[str], bool] | None = None,
        parent_kinds: Collection[ParentKind] = PARENT_KINDS,
    ) -> None:
        """``type_filter``: which resource types to list (the policy's include/exclude
        types); ``parent_kinds``: the policy's ``parents.aws``."""
        self._aws = AwsTagClients(
            session,
            target,
            endpoint_url=endpoint_url,
            config=config,
            counter=counter,
            setup={"ec2": slim_instance_listing},
        )
        self.counter = self._aws.counter
        self._wanted = type_filter or (lambda _type: True)
        self._parent_kinds = frozenset(parent_kinds)
        self._where = f"{target.account}/{target.region}"
        self._groups: dict[str, ParentTags | None] = {}
        self._stacks: dict[str, ParentTags | None] = {}

    # -- TagInventory --------------------------------------------------------------------------
    def list_resources(self) -> list[TaggedResource]:
        """Every taggable resource of the types the policy covers (see ``tagging``)."""
        types = [t for t in SUPPORTED_TYPES if self._wanted(t)]
        found: dict[str, TaggedResource] = {}
        via_api = [t for t in types if t not in DIRECT_TYPES]
        if via_api:
            for resource in self._get_resources(ResourceTypeFilters=via_api):
                found[resource.resource_id] = resource
        listers: dict[str, Callable[[], Iterator[TaggedResource]]] = {
            INSTANCE: self._list_instances,
            VOLUME: self._list_volumes,
            BUCKET: self._list_buckets,
            DB: self._list_databases,
            GROUP: self._list_groups,
        }
        for kind in types:
            if kind in listers:
                for resource in listers[kind]():
                    found[resource.resource_id] = resource  # the direct listing wins
        return list(found.values())

    def read(self, resource_ids: Sequence[str]) -> list[TaggedResource]:
        """Fresh copies of these resources (ARNs or plain ids); missing ones are left out."""
        by_type: dict[str, list[ResourceRef]] = {}
        for value in dict.fromkeys(resource_ids):
            ref = parse_ref(value)
            if ref is not None and self._in_target(ref):
                by_type.setdefault(ref.resource_type, []).append(ref)
        out: list[TaggedResource] = []
        for kind, refs in by_type.items():
            natives = [r.native for r in refs]
            if kind in (INSTANCE, VOLUME, SNAPSHOT):
                out += self._read_ec2(kind, natives)
            elif kind == BUCKET:
                out += self._read_buckets(natives)
            elif kind in (DB, CLUSTER):
                out += self._read_rds(kind, natives)
            elif kind == GROUP:
                out += self._describe_groups(natives)
            else:
                out += self._read_by_arn(natives)
        return out

    def parents(self, resource: TaggedResource) -> list[ParentTags]:
        """The Auto Scaling group, then the CloudFormation stack; each looked up once a run."""
        found: list[ParentTags] = []
        group = resource.tags.get(GROUP_TAG)
        if group and "autoscaling_group" in self._parent_kinds:
            if group not in self._groups:
                self._describe_groups([group])
                self._groups.setdefault(group, None)  # gone: do not ask again
            if (parent := self._groups[group]) is not None:
                found.append(parent)
        stack = resource.tags.get(STACK_ID_TAG) or resource.tags.get(STACK_NAME_TAG)
        if stack and "cloudformation_stack" in self._parent_kinds:
            if stack not in self._stacks:
                self._stacks[stack] = self._describe_stack(stack)
            if (parent := self._stacks[stack]) is not None:
                found.append(parent)
        return found

    # -- listing -------------------------------------------------------------------------------
    def _resource(
        self, kind: str, arn: str, tags: dict[str, str], name: str = ""
    ) -> TaggedResource:
        a = self._aws
        return TaggedResource("aws", a.account, a.region, arn, kind, tags, name or arn)

    def _instance(self, instance: Any) -> TaggedResource | None:
        if instance.get("State", {}).get("Name") not in _LIVE_STATES:
            return None
        tags = tag_list(instance.get("Tags"))
        instance_id = str(instance["InstanceId"])
        arn = self._aws.ec2_arn("instance", instance_id)
        return self._resource(INSTANCE, arn, tags, tags.get("Name") or instance_id)

    def _volume(self, volume: Any) -> TaggedResource:
        tags = tag_list(volume.get("Tags"))
        volume_id = str(volume["VolumeId"])
        arn = self._aws.ec2_arn("volume", volume_id)
        return self._resource(VOLUME, arn, tags, tags.get("Name") or volume_id)

    def _snapshot(self, snapshot: Any) -> TaggedResource:
        tags = tag_list(snapshot.get("Tags"))
        snapshot_id = str(snapshot["SnapshotId"])
        arn = self._aws.ec2_arn("snapshot", snapshot_id)
        return self._resource(SNAPSHOT, arn, tags, tags.get("Name") or snapshot_id)

    def _list_instances(self) -> Iterator[TaggedResource]:
        ec2 = self._aws.client("ec2")
        pages = ec2.get_paginator("describe_instances").paginate(
            # Terminated instances linger for an hour: filtered server-side.
            Filters=[{"Name": "instance-state-name", "Values": _LIVE_STATES}],
            PaginationConfig={"PageSize": _EC2_PAGE},
        )
        for page in self._pages("ec2:DescribeInstances", pages):
            for reservation in page.get("Reservations", []):
                for instance in reservation.get("Instances", []):
                    if (resource := self._instance(instance)) is not None:
                        yield resource

    def _list_volumes(self) -> Iterator[TaggedResource]:
        ec2 = self._aws.client("ec2")
        pages = ec2.get_paginator("describe_volumes").paginate(
            PaginationConfig={"PageSize": _EC2_PAGE}
        )
        for page in self._pages("ec2:DescribeVolumes", pages):
            for volume in page.get("Volumes", []):
                yield self._volume(volume)

    def _list_buckets(self) -> Iterator[TaggedResource]:
        s3 = self._aws.client("s3")
        try:
            # Filtered by region server-side; answers from AWS name each bucket's region too,
            # an endpoint that does neither is asked per bucket (GetBucketLocation).
            buckets = s3.list_buckets(BucketRegion=self._aws.region).get("Buckets", [])
        except (ClientError, BotoCoreError) as exc:
            raise api_error("s3:ListBuckets", self._where, exc) from exc
        for bucket in buckets:
            name = str(bucket["Name"])
            region = bucket.get("BucketRegion") or self._bucket_region(name)
            if region == self._aws.region:
                tags = self._bucket_tags(name)
                if tags is not None:
                    yield self._resource(BUCKET, self._aws.bucket_arn(name), tags, name)

    def _list_databases(self) -> Iterator[TaggedResource]:
        rds = self._aws.client("rds")
        pages = rds.get_paginator("describe_db_instances").paginate()
        for page in self._pages("rds:DescribeDBInstances", pages):
            for db in page.get("DBInstances", []):
                yield self._resource(
                    DB,
                    str(db["DBInstanceArn"]),
                    tag_list(db.get("TagList")),
                    db["DBInstanceIdentifier"],
                )

    def _list_groups(self) -> Iterator[TaggedResource]:
        autoscaling = self._aws.client("autoscaling")
        pages = autoscaling.get_paginator("describe_auto_scaling_groups").paginate(
            PaginationConfig={"PageSize": _GROUP_NAMES}
        )
        for page in self._pages("autoscaling:DescribeAutoScalingGroups", pages):
            for group in page.get("AutoScalingGroups", []):
                yield self._group(group)

    def _group(self, group: Any) -> TaggedResource:
        name = str(group["AutoScalingGroupName"])
        tags = tag_list(group.get("Tags"))
        self._groups[name] = ParentTags("autoscaling_group", name, tags)
        arn = str(group.get("AutoScalingGroupARN") or self._aws.group_arn(name))
        return self._resource(GROUP, arn, tags, name)

    def _get_resources(self, **query: Any) -> Iterator[TaggedResource]:
        tagging = self._aws.client("resourcegroupstaggingapi")
        if "ResourceARNList" not in query:
            query["ResourcesPerPage"] = _TAGGING_PAGE
        pages = tagging.get_paginator("get_resources").paginate(**query)
        for page in self._pages("tag:GetResources", pages):
            for mapping in page.get("ResourceTagMappingList", []):
                arn = str(mapping["ResourceARN"])
                yield self._resource(arn_type(arn), arn, tag_list(mapping.get("Tags")))

    def _pages(self, operation: str, pages: Any) -> Iterator[Any]:
        try:
            yield from pages
        except (ClientError, BotoCoreError) as exc:
            raise api_error(operation, self._where, exc) from exc

    # -- reading -------------------------------------------------------------------------------
    def _in_target(self, ref: ResourceRef) -> bool:
        a = self._aws
        return ref.region in (None, a.region) and ref.account in (None, a.account)

    def _read_ec2(self, kind: str, ids: list[str]) -> list[TaggedResource]:
        ec2 = self._aws.client("ec2")
        # Spelled as calls (not bound methods) so the permission scan sees them.
        describe: dict[str, tuple[str, Callable[..., Any], str, str]] = {
            INSTANCE: (
                "ec2:DescribeInstances",
                lambda **q: ec2.describe_instances(**q),  # noqa: PLW0108
                "InstanceIds",
                "instance-id",
            ),
            VOLUME: (
                "ec2:DescribeVolumes",
                lambda **q: ec2.describe_volumes(**q),  # noqa: PLW0108
                "VolumeIds",
                "volume-id",
            ),
            # Filtering snapshots by id without an owner would search every public snapshot.
            SNAPSHOT: (
                "ec2:DescribeSnapshots",
                lambda **q: ec2.describe_snapshots(OwnerIds=["self"], **q),
                "SnapshotIds",
                "snapshot-id",
            ),
        }
        operation, call, key, filter_name = describe[kind]
        make = {INSTANCE: self._instance, VOLUME: self._volume, SNAPSHOT: self._snapshot}[kind]
        found: list[Any] = []
        for batch in chunks(ids, _EC2_PAGE):
            try:
                found += _items(call(**{key: batch}))
            except ClientError as exc:
                # One unknown or malformed id fails the whole call; a filter ignores them.
                if not error_code(exc).startswith(("Invalid", "Malformed")):
                    raise api_error(operation, self._where, exc) from exc
                for part in chunks(batch, _FILTER_VALUES):
                    query = {"Filters": [{"Name": filter_name, "Values": part}]}
                    found += self._call(operation, partial(call, **query))
            except BotoCoreError as exc:
                raise api_error(operation, self._where, exc) from exc
        return [r for item in found if (r := make(item)) is not None]

    def _read_buckets(self, names: list[str]) -> list[TaggedResource]:
        out: list[TaggedResource] = []
        for name in names:
            if self._bucket_region(name) != self._aws.region:
                continue  # gone, or another region's (read there)
            tags = self._bucket_tags(name)
            if tags is not None:
                out.append(self._resource(BUCKET, self._aws.bucket_arn(name), tags, name))
        return out

    def _read_rds(self, kind: str, arns: list[str]) -> list[TaggedResource]:
        rds = self._aws.client("rds")
        operation, describe, filter_name, arn_key, name_key = {
            DB: (
                "rds:DescribeDBInstances",
                lambda **q: rds.describe_db_instances(**q),  # noqa: PLW0108
                "db-instance-id",  # takes identifiers and ARNs
                "DBInstanceArn",
                "DBInstanceIdentifier",
            ),
            CLUSTER: (
                "rds:DescribeDBClusters",
                lambda **q: rds.describe_db_clusters(**q),  # noqa: PLW0108
                "db-cluster-id",
                "DBClusterArn",
                "DBClusterIdentifier",
            ),
        }[kind]
        out: list[TaggedResource] = []
        for batch in chunks(arns, _RDS_FILTER_VALUES):
            query = {"Filters": [{"Name": filter_name, "Values": batch}]}
            for db in self._call(operation, partial(describe, **query)):
                tags = tag_list(db.get("TagList"))
                out.append(self._resource(kind, str(db[arn_key]), tags, str(db[name_key])))
        return out

    def _describe_groups(self, names: list[str]) -> list[TaggedResource]:
        autoscaling = self._aws.client("autoscaling")
        out: list[TaggedResource] = []
        for batch in chunks(names, _GROUP_NAMES):
            groups = self._call(
                "autoscaling:DescribeAutoScalingGroups",
                lambda: autoscaling.describe_auto_scaling_groups(
                    AutoScalingGroupNames=batch  # noqa: B023
                ),
            )
            out += [self._group(group) for group in groups]
        return out

    def _read_by_arn(self, arns: list[str]) -> list[TaggedResource]:
        """Lambda functions and DynamoDB tables by their own tag reads (a never-tagged one
        is not in ``GetResources``); anything else through ``GetResources``."""
        out: list[TaggedResource] = []
        rest: list[str] = []
        for arn in arns:
            kind = arn_type(arn)
            if kind not in (FUNCTION, TABLE):
                rest.append(arn)
                continue
            try:
                if kind == FUNCTION:
                    tags = dict(self._aws.client("lambda").list_tags(Resource=arn)["Tags"])
                else:
                    dynamodb = self._aws.client("dynamodb")
                    answer = dynamodb.list_tags_of_resource(ResourceArn=arn)
                    tags = tag_list(answer.get("Tags"))
            except ClientError as exc:
                if error_code(exc) == "ResourceNotFoundException":
                    continue
                raise api_error(f"{kind} tags", self._where, exc) from exc
            except BotoCoreError as exc:
                raise api_error(f"{kind} tags", self._where, exc) from exc
            out.append(self._resource(kind, arn, tags, arn.rsplit(":", 1)[-1].split("/")[-1]))
        for batch in chunks(rest, _TAGGING_PAGE):
            out += self._get_resources(ResourceARNList=batch)
        return out

    # -- parents and buckets -------------------------------------------------------------------
    def _describe_stack(self, stack: str) -> ParentTags | None:
        cloudformation = self._aws.client("cloudformation")
        try:
            stacks = cloudformation.describe_stacks(StackName=stack).get("Stacks", [])
        except ClientError as exc:
            if error_code(exc) == "ValidationError":  # "Stack with id ... does not exist"
                return None
            raise api_error("cloudformation:DescribeStacks", self._where, exc) from exc
        except BotoCoreError as exc:
            raise api_error("cloudformation:DescribeStacks", self._where, exc) from exc
        if not stacks:
            return None
        tags = tag_list(stacks[0].get("Tags"))
        return ParentTags("cloudformation_stack", str(stacks[0].get("StackName", stack)), tags)

    def _bucket_region(self, name: str) -> str | None:
        s3 = self._aws.client("s3")
        try:
            location = s3.get_bucket_location(Bucket=name).get("LocationConstraint")
        except ClientError as exc:
            if error_code(exc) in ("NoSuchBucket", "404"):
                return None
            raise api_error("s3:GetBucketLocation", name, exc) from exc
        except BotoCoreError as exc:
            raise api_error("s3:GetBucketLocation", name, exc) from exc
        # us-east-1 answers no constraint; "EU" is the legacy name of eu-west-1.
        if not location:
            return "us-east-1"
        return "eu-west-1" if location == "EU" else str(location)

    def _bucket_tags(self, name: str) -> dict[str, str] | None:
        """The bucket's tags; None when the bucket is gone."""
        s3 = self._aws.client("s3")
        try:
            return tag_list(s3.get_bucket_tagging(Bucket=name).get("TagSet"))
        except ClientError as exc:
            code = error_code(exc)
            if code == "NoSuchTagSet":
                return {}
            if code == "NoSuchBucket":
                return None
            raise api_error("s3:GetBucketTagging", name, exc) from exc
        except BotoCoreError as exc:
            raise api_error("s3:GetBucketTagging", name, exc) from exc

    def _call(self, operation: str, fetch: Callable[[], Any]) -> list[Any]:
        """``fetch()``'s resources; a failure raises ``CloudApiError`` naming ``operation``.

        Callers pass a lambda spelling the SDK call out, so the permission scan sees it."""
        try:
            return _items(fetch())
        except (ClientError, BotoCoreError) as exc:
            raise api_error(operation, self._where, exc) from exc


def _items(answer: Any) -> list[Any]:
    """The resources of a describe answer, whatever its list is called."""
    if "Reservations" in answer:
        return [i for r in answer["Reservations"] for i in r.get("Instances", [])]
    for key in ("Volumes", "Snapshots", "DBInstances", "DBClusters", "AutoScalingGroups"):
        if key in answer:
            return list(answer[key])
    return []
