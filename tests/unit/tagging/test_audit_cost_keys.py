"""``tags audit`` matches listed resources to FOCUS ``ResourceId``s: each cloud's billing names a
resource differently from its inventory API, and a miss puts a violating resource's cost under
"not listed here" instead of "missing required tags"."""

from __future__ import annotations

import pytest

from costwarden.adapters.gcp.tagging import BUCKET, INSTANCE, _Ref, resource_id
from costwarden.cli_tags import _cost_key


@pytest.mark.parametrize(
    ("listed", "billed"),
    [
        (
            resource_id("acme-ml", _Ref(INSTANCE, "zones", "europe-west4-a", "trainer-a100")),
            "//compute.googleapis.com/projects/acme-ml/zones/europe-west4-a/instances/trainer-a100",
        ),
        (
            resource_id("acme-ml", _Ref(BUCKET, "", "", "acme-exports")),
            "//storage.googleapis.com/projects/_/buckets/acme-exports",
        ),
        ("arn:aws:s3:::acme-logs", "acme-logs"),
        ("arn:aws-us-gov:s3:::acme-logs", "acme-logs"),
        ("arn:aws:ec2:us-east-1:123456789012:instance/i-0abc", "i-0abc"),
        ("arn:aws:ec2:us-east-1:123456789012:volume/vol-0abc", "vol-0abc"),
        (
            "arn:aws:rds:us-east-1:123456789012:db:orders",
            "arn:aws:rds:us-east-1:123456789012:db:orders",
        ),
        (
            "/subscriptions/S/resourceGroups/RG/providers/Microsoft.Compute/virtualMachines/vm",
            "/subscriptions/s/resourcegroups/rg/providers/microsoft.compute/virtualmachines/vm",
        ),
    ],
)
def test_inventory_ids_match_the_billing_ids_of_the_same_resource(listed: str, billed: str) -> None:
    assert _cost_key(listed) == _cost_key(billed)


def test_an_object_arn_is_not_its_bucket() -> None:
    assert _cost_key("arn:aws:s3:::acme-logs/key") != _cost_key("acme-logs")
