"""``AwsTagWriter`` against moto: the largest batches AWS allows, one outcome per write, and a
bad resource failing alone."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from costwarden.ports_tagging import TaggedResource, TagWrite
from integration.tagging_aws.conftest import REGION, AwsAccount
from integration.tagging_aws.estate import create_bucket, create_db, run_instances
from throttle_proxy import ThrottleProxy

pytestmark = pytest.mark.integration


def resource(aws: AwsAccount, rid: str, kind: str = "ec2:instance") -> TaggedResource:
    return TaggedResource("aws", aws.account, REGION, rid, kind)


def instance(aws: AwsAccount, instance_id: str) -> TaggedResource:
    return resource(aws, aws.arn("instance", instance_id))


def instance_tags(aws: AwsAccount, instance_ids: list[str]) -> dict[str, dict[str, str]]:
    answer = aws.client("ec2").describe_instances(InstanceIds=instance_ids)
    return {
        i["InstanceId"]: {t["Key"]: t["Value"] for t in i.get("Tags", [])}
        for r in answer["Reservations"]
        for i in r["Instances"]
    }


def bucket_tags(aws: AwsAccount, name: str) -> dict[str, str]:
    try:
        tag_set = aws.client("s3").get_bucket_tagging(Bucket=name)["TagSet"]
    except aws.client("s3").exceptions.ClientError:
        return {}
    return {t["Key"]: t["Value"] for t in tag_set}


def test_create_tags_carries_a_thousand_instances_with_the_same_tags(aws: AwsAccount) -> None:
    sizes: list[int] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        sizes.append(len(params["Resources"]))

    # Session-level hooks reach the clients the adapter creates from the session.
    aws.session.events.register("provide-client-params.ec2.CreateTags", record)
    ec2 = aws.client("ec2")
    same = run_instances(ec2, count=501) + run_instances(ec2, count=500)
    other = run_instances(ec2, count=2)
    writes = [TagWrite(instance(aws, i), {"CostCenter": "cc-100"}) for i in same]
    writes += [TagWrite(instance(aws, i), {"Owner": "a@example.com"}) for i in other]

    outcomes = aws.writer().write(writes)

    assert [o.status for o in outcomes] == ["done"] * 1003
    assert [o.write for o in outcomes] == writes, "one outcome per write, in order"
    assert sorted(sizes) == [1, 2, 1000], "1,001 alike in 2 calls, the other set in 1"
    assert aws.counter["ec2:CreateTags"] == 3
    pages = aws.client("ec2").get_paginator("describe_tags")
    found = pages.paginate(Filters=[{"Name": "key", "Values": ["CostCenter"]}])
    assert {t["ResourceId"] for page in found for t in page["Tags"]} == set(same)


def test_tag_resources_carries_twenty_arns_of_any_service(aws: AwsAccount) -> None:
    buckets = [create_bucket(aws) for _ in range(30)]
    dbs = [create_db(aws.client("rds"), f"db-{n}") for n in range(15)]
    writes = [
        TagWrite(resource(aws, f"arn:aws:s3:::{b}", "s3:bucket"), {"Team": "data"}) for b in buckets
    ]
    writes += [TagWrite(resource(aws, arn, "rds:db"), {"Team": "data"}) for arn in dbs]

    outcomes = aws.writer().write(writes)

    assert {o.status for o in outcomes} == {"done"}
    assert aws.counter["resource-groups-tagging-api:TagResources"] == 3, "45 ARNs, 20 a call"
    assert all(bucket_tags(aws, b) == {"Team": "data"} for b in buckets)
    rds = aws.client("rds")
    for arn in dbs:
        assert rds.list_tags_for_resource(ResourceName=arn)["TagList"] == [
            {"Key": "Team", "Value": "data"}
        ]


def test_one_bad_id_fails_alone_and_the_rest_of_its_batch_is_tagged(aws: AwsAccount) -> None:
    good = run_instances(aws.client("ec2"), count=3)
    bad = aws.arn("instance", "bogus")
    writes = [TagWrite(instance(aws, i), {"Owner": "a@example.com"}) for i in good]
    writes.insert(1, TagWrite(resource(aws, bad), {"Owner": "a@example.com"}))

    outcomes = aws.writer().write(writes)

    assert [o.status for o in outcomes] == ["done", "failed", "done", "done"]
    assert "InvalidID" in outcomes[1].message
    assert all(t == {"Owner": "a@example.com"} for t in instance_tags(aws, good).values())
    # The refusal named the bad id: it was dropped and the rest retried as one batch.
    assert aws.counter["ec2:CreateTags"] == 2


def test_a_refusal_that_names_no_resource_is_narrowed_down_by_halves(aws: AwsAccount) -> None:
    instances = run_instances(aws.client("ec2"), count=8)
    writes = [TagWrite(instance(aws, i), {"Owner": "a@example.com"}) for i in instances]
    with ThrottleProxy(aws.endpoint, rate=0.0) as proxy:
        # An IAM deny on one resource refuses the whole call and names nobody: the first
        # four calls (8, 4, 2 and 1 ids) are refused, so the first instance fails alone.
        proxy.fail_next("CreateTags", code="UnauthorizedOperation", times=4)
        outcomes = aws.writer(proxy.url).write(writes)

    assert [o.status for o in outcomes] == ["failed"] + ["done"] * 7
    assert "UnauthorizedOperation" in outcomes[0].message
    tags = instance_tags(aws, instances)
    assert tags[instances[0]] == {}
    assert all(tags[i] == {"Owner": "a@example.com"} for i in instances[1:])
    assert aws.counter["ec2:CreateTags"] == 7  # 8, 4, 2, 1, 1, 2, 4


def test_aliases_are_removed_only_where_the_canonical_key_was_written(aws: AwsAccount) -> None:
    [instance] = run_instances(aws.client("ec2"), env="dev")
    kept, moved = create_bucket(aws, env="dev"), create_bucket(aws, env="dev")
    writes = [
        TagWrite(resource(aws, aws.arn("instance", instance)), {"Environment": "dev"}, ("env",)),
        TagWrite(
            resource(aws, f"arn:aws:s3:::{kept}", "s3:bucket"), {"Environment": "dev"}, ("env",)
        ),
    ]
    with ThrottleProxy(aws.endpoint, rate=0.0) as proxy:
        proxy.fail_next("TagResources", code="AccessDeniedException")
        outcomes = aws.writer(proxy.url).write(writes)
        later = aws.writer(proxy.url).write(
            [
                TagWrite(
                    resource(aws, f"arn:aws:s3:::{moved}", "s3:bucket"),
                    {"Environment": "dev"},
                    ("env",),
                )
            ]
        )

    assert [o.status for o in outcomes] == ["done", "failed"]
    assert instance_tags(aws, [instance])[instance] == {"Environment": "dev"}
    assert bucket_tags(aws, kept) == {"env": "dev"}, "set failed: the alias must stay"
    assert proxy.forwarded("UntagResources") == 1, "only for the bucket whose set succeeded"
    assert [o.status for o in later] == ["done"]
    assert bucket_tags(aws, moved) == {"Environment": "dev"}


def test_writes_outside_the_target_fail_without_a_call(aws: AwsAccount) -> None:
    elsewhere = TaggedResource("aws", "999999999999", REGION, "arn:aws:s3:::x", "s3:bucket")
    other_region = TaggedResource("aws", aws.account, "us-east-1", "i-0abc", "ec2:instance")
    outcomes = aws.writer().write(
        [TagWrite(elsewhere, {"Owner": "x"}), TagWrite(other_region, {"Owner": "x"})]
    )
    assert [o.status for o in outcomes] == ["failed", "failed"]
    assert "not in target" in outcomes[0].message
    assert aws.counter.total == 0


def test_throttled_writes_still_land(aws: AwsAccount) -> None:
    instances = run_instances(aws.client("ec2"), count=4)
    buckets = [create_bucket(aws) for _ in range(3)]
    writes = [TagWrite(instance(aws, i), {"Owner": "a@example.com"}) for i in instances]
    writes += [
        TagWrite(resource(aws, f"arn:aws:s3:::{b}", "s3:bucket"), {"Owner": "a@example.com"})
        for b in buckets
    ]
    with ThrottleProxy(aws.endpoint, rate=0.0) as proxy:
        proxy.fail_next("CreateTags", code="RequestLimitExceeded", times=2)
        proxy.fail_next("TagResources", code="ThrottlingException")
        outcomes = aws.writer(proxy.url).write(writes)
        assert proxy.injected() == 3
    assert {o.status for o in outcomes} == {"done"}
    assert aws.counter["ec2:CreateTags"] == 3, "botocore retried; the batch was not split"
    assert all(t == {"Owner": "a@example.com"} for t in instance_tags(aws, instances).values())
    assert all(bucket_tags(aws, b) == {"Owner": "a@example.com"} for b in buckets)


@settings(
    max_examples=12,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # each example costs moto calls
    suppress_health_check=[HealthCheck.function_scoped_fixture],  # one account, many examples
)
@given(
    bad_instances=st.sets(st.integers(0, 5)),
    bad_buckets=st.sets(st.integers(0, 3)),
    value=st.from_regex(r"[a-z]{6}", fullmatch=True),
)
def test_exactly_the_bad_resources_fail_whatever_their_place_in_the_batch(
    aws: AwsAccount, bad_instances: set[int], bad_buckets: set[int], value: str
) -> None:
    if "fleet" not in aws.kept:
        aws.kept["fleet"] = (
            run_instances(aws.client("ec2"), count=6),
            [create_bucket(aws) for _ in range(4)],
        )
    instances, buckets = aws.kept["fleet"]
    aws.counter.reset()
    writes, bad = [], set()
    for n, instance_id in enumerate(instances):
        # A malformed id: CreateTags refuses the batch and names it.
        rid = aws.arn("instance", f"bogus-{n}" if n in bad_instances else instance_id)
        writes.append(TagWrite(resource(aws, rid), {"Owner": value}))
    for n, name in enumerate(buckets):
        # A bucket that does not exist: moto refuses the whole TagResources call, naming none.
        arn = f"arn:aws:s3:::{name}-gone" if n in bad_buckets else f"arn:aws:s3:::{name}"
        writes.append(TagWrite(resource(aws, arn, "s3:bucket"), {"Owner": value}))
        if n in bad_buckets:
            bad.add(arn)
    bad |= {aws.arn("instance", f"bogus-{n}") for n in bad_instances}

    outcomes = aws.writer().write(writes)

    assert {o.write.resource.resource_id for o in outcomes if o.status == "failed"} == bad
    tags = instance_tags(aws, instances)
    for n, instance_id in enumerate(instances):
        if n not in bad_instances:
            assert tags[instance_id]["Owner"] == value
    for n, name in enumerate(buckets):
        if n not in bad_buckets:
            assert bucket_tags(aws, name)["Owner"] == value
    # Each refusal names one bad id, which is dropped before the retry; unnamed refusals
    # are split in halves: at most ~2 log2(n) calls per bad resource.
    assert aws.counter["ec2:CreateTags"] <= 1 + len(bad_instances)
    assert aws.counter["resource-groups-tagging-api:TagResources"] <= 1 + 4 * len(bad_buckets)
