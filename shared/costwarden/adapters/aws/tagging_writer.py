"""``TagWriter`` for one AWS target: tags written in the largest batches each API allows.

Writes with identical tag sets share calls: EC2 ``CreateTags`` takes 1,000 ids, the tagging
API's ``TagResources`` 20 ARNs. A sweep's writes are mostly alike (the same default cost
centre, the same violation mark with the same deadline), so 1,250 instances missing one tag
cost two calls, where a tool tagging 25 at a time makes fifty. Batching rules, the isolation
of a refused batch and the IAM actions: ``costwarden.adapters.aws.tagging``.

One outcome per write, in the order given; nothing raises for one resource.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from costwarden.adapters.aws.retry import describe_error, error_code
from costwarden.adapters.aws.tagging import (
    EC2_TAG_BATCH,
    EC2_TYPES,
    GROUP,
    TAGGING_API_BATCH,
    ApiCallCounter,
    AwsTagClients,
    chunks,
    parse_ref,
    write_group_tags,
)
from costwarden.ports_compute import Target
from costwarden.ports_tagging import TagOutcome, TagWrite

if TYPE_CHECKING:
    from boto3.session import Session
    from botocore.config import Config

#: Error codes that say nothing about one resource: retried by botocore, then fail the batch.
_NOT_PER_RESOURCE = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "SlowDown",
        "RequestThrottled",
        "InternalError",
        "InternalFailure",
        "ServiceUnavailable",
        "Unavailable",
    }
)
_TOKEN = re.compile(r"[A-Za-z0-9_.:/@+=-]+")
#: Auto Scaling groups per CreateOrUpdateTags / DeleteTags call (each tag is one entry).
_GROUPS_PER_CALL = 20
_Api = str  # "ec2" | "autoscaling" | "tagging"
_TagSet = tuple[tuple[str, str], ...]


class AwsTagWriter:
    """Writes tags on the resources of one AWS account x region."""

    def __init__(
        self,
        session: Session,
        target: Target,
        *,
        endpoint_url: str | None = None,
        config: Config | None = None,
        counter: ApiCallCounter | None = None,
    ) -> None:
        self._aws = AwsTagClients(
            session, target, endpoint_url=endpoint_url, config=config, counter=counter
        )
        self.counter = self._aws.counter

    def write(self, writes: Sequence[TagWrite]) -> list[TagOutcome]:
        """Set, then remove (an alias goes only once its value is under the canonical key)."""
        failed: dict[int, str] = {}
        addressed: dict[int, tuple[_Api, str]] = {}
        for index, write in enumerate(writes):
            where = self._address(write)
            if isinstance(where, str):
                failed[index] = where
            else:
                addressed[index] = where
        sets = {i: w.set for i, w in enumerate(writes) if i in addressed and w.set}
        failed.update(self._apply(addressed, sets, remove=False))
        removes = {
            i: dict.fromkeys(w.remove, "")
            for i, w in enumerate(writes)
            if i in addressed and w.remove and i not in failed
        }
        failed.update(self._apply(addressed, removes, remove=True))
        return [
            TagOutcome(w, "failed", failed[i]) if i in failed else TagOutcome(w, "done")
            for i, w in enumerate(writes)
        ]

    def _address(self, write: TagWrite) -> tuple[_Api, str] | str:
        """(API, id it takes), or why this write cannot be made in this target."""
        resource, aws = write.resource, self._aws
        if (resource.cloud, resource.account, resource.region) != ("aws", aws.account, aws.region):
            return f"{resource.resource_id} is not in target {aws.target.label}"
        ref = parse_ref(resource.resource_id)
        if ref is None:
            return f"{resource.resource_id!r} is neither an ARN nor an EC2 id"
        if ref.resource_type in EC2_TYPES:
            return "ec2", ref.native
        if ref.resource_type == GROUP:
            return "autoscaling", ref.native
        if ref.arn is None:
            return f"{resource.resource_id!r} needs an ARN"
        return "tagging", ref.arn

    def _apply(
        self,
        addressed: Mapping[int, tuple[_Api, str]],
        changes: Mapping[int, Mapping[str, str]],
        *,
        remove: bool,
    ) -> dict[int, str]:
        """Group by (API, identical tags), call in batches; index -> failure message."""
        groups: dict[tuple[_Api, _TagSet], dict[str, list[int]]] = {}
        for index, change in changes.items():
            api, native = addressed[index]
            key = (api, tuple(sorted(change.items())))
            groups.setdefault(key, {}).setdefault(native, []).append(index)
        failed: dict[int, str] = {}
        for (api, tags), by_id in groups.items():
            size = {"ec2": EC2_TAG_BATCH, "autoscaling": _GROUPS_PER_CALL}.get(
                api, TAGGING_API_BATCH
            )
            call = partial(self._call, api, tags, remove)
            for batch in chunks(list(by_id), size):
                for native, message in isolate_failures(batch, call).items():
                    for index in by_id.get(native, ()):
                        failed[index] = message
        return failed

    def _call(self, api: _Api, tags: _TagSet, remove: bool, batch: list[str]) -> dict[str, str]:
        """One API call; raises when refused as a whole, else per-resource failures."""
        if api == "ec2":
            ec2 = self._aws.client("ec2")
            if remove:
                ec2.delete_tags(Resources=batch, Tags=[{"Key": k} for k, _ in tags])
            else:
                ec2.create_tags(Resources=batch, Tags=[{"Key": k, "Value": v} for k, v in tags])
            return {}
        if api == "autoscaling":
            write_group_tags(self._aws.client("autoscaling"), batch, tags, remove=remove)
            return {}
        tagging = self._aws.client("resourcegroupstaggingapi")
        if remove:
            answer = tagging.untag_resources(ResourceARNList=batch, TagKeys=[k for k, _ in tags])
        else:
            answer = tagging.tag_resources(ResourceARNList=batch, Tags=dict(tags))
        return _failed_resources(answer.get("FailedResourcesMap"))


def _failed_resources(failed: Any) -> dict[str, str]:
    """``FailedResourcesMap`` -> ARN -> ``ErrorCode: message``."""
    out: dict[str, str] = {}
    for arn, info in (failed or {}).items():
        code = str(info.get("ErrorCode") or "Failed")
        message = str(info.get("ErrorMessage") or "").strip()
        out[str(arn)] = f"{code}: {message}" if message else code
    return out


def per_resource(exc: ClientError) -> bool:
    """Whether a refused batch call may be about some of its resources only."""
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 400
    return error_code(exc) not in _NOT_PER_RESOURCE and int(status) < 500


def isolate_failures(
    ids: Sequence[str], call: Callable[[list[str]], dict[str, str]]
) -> dict[str, str]:
    """Run ``call`` on ``ids``; id -> failure message for those that failed.

    ``call`` returns per-resource failures it was told about (``FailedResourcesMap``) and
    raises when the batch was refused as a whole. Then the ids the error message names fail
    and the others are retried together; if it names none, the batch is split in halves.
    """
    batch = list(ids)
    if not batch:
        return {}
    try:
        return call(batch)
    except BotoCoreError as exc:
        message = describe_error(exc)
        return dict.fromkeys(batch, message)
    except ClientError as exc:
        message = f"{exc.operation_name} failed: {describe_error(exc)}"
        if len(batch) == 1 or not per_resource(exc):
            return dict.fromkeys(batch, message)
        named = set(_TOKEN.findall(str(exc.response.get("Error", {}).get("Message") or "")))
        named &= set(batch)
        if named:
            failures = dict.fromkeys(sorted(named), message)
            failures.update(isolate_failures([i for i in batch if i not in named], call))
            return failures
        middle = len(batch) // 2
        return {
            **isolate_failures(batch[:middle], call),
            **isolate_failures(batch[middle:], call),
        }
