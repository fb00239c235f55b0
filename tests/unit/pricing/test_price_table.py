"""The bundled on-demand price table and the list-price estimator."""

from __future__ import annotations

from decimal import Decimal
from importlib import resources

import pytest

from costwarden.models.resource import Capacity, Resource
from costwarden.pricing import PriceTableEstimator, load_price_table


def resource(cloud: str = "aws", kind: str = "ec2_instance", size: str | None = "m5.large", **kw):  # type: ignore[no-untyped-def]
    return Resource(
        cloud=cloud,  # type: ignore[arg-type]
        account="123456789012",
        region="us-east-1",
        resource_id="i-0abc",
        resource_type=kind,  # type: ignore[arg-type]
        name="web-1",
        state="running",
        size=size,
        **kw,
    )


def test_bundled_table_covers_every_cloud_and_family_the_docs_promise() -> None:
    table = load_price_table()
    sizes = {size for _cloud, size in table}
    assert len(table) >= 60
    for family in ("t3.", "t4g.", "m5.", "m6i.", "m7g.", "c5.", "c6i.", "r5.", "r6i."):
        assert any(s.startswith(family) for s in sizes), family
    for family in ("db.t3.", "db.t4g.", "db.m5.", "db.r5."):
        assert any(s.startswith(family) for s in sizes), family
    for family in ("standard_b", "standard_d2s_v3", "standard_d2s_v5", "standard_e2s_v5"):
        assert any(s.startswith(family) for s in sizes), family
    for family in ("e2-", "n2-standard", "n1-standard"):
        assert any(s.startswith(family) for s in sizes), family
    assert all(Decimal("0.001") < price < Decimal(5) for price in table.values())


def test_bundled_table_says_where_its_prices_come_from_and_that_they_are_estimates() -> None:
    text = resources.files("costwarden.pricing").joinpath("on_demand.csv").read_text("utf-8")
    header = "\n".join(line for line in text.splitlines() if line.startswith("#"))
    assert "ESTIMATES" in header
    assert "us-east-1" in header
    assert "East US" in header
    assert "us-central1" in header
    assert "2025-06" in header


def test_price_of_an_instance_type_is_its_list_price_labelled_price_table() -> None:
    assert PriceTableEstimator().hourly(resource()) == (Decimal("0.096"), "USD", "price_table")


def test_azure_sizes_are_looked_up_case_insensitively() -> None:
    estimator = PriceTableEstimator()
    vm = resource("azure", "azure_vm", "standard_d2s_v3")
    assert estimator.hourly(vm) == (Decimal("0.096"), "USD", "price_table")


def test_rds_classes_and_gce_machine_types_have_prices() -> None:
    estimator = PriceTableEstimator()
    assert estimator.hourly(resource(kind="rds_instance", size="db.t3.medium")) is not None
    assert estimator.hourly(resource("gcp", "gce_instance", "e2-standard-4")) is not None


def test_auto_scaling_group_costs_its_type_times_its_desired_capacity() -> None:
    group = resource(kind="asg", size="t3.large", capacity=Capacity(1, 3, 6))
    price, _, _ = PriceTableEstimator().hourly(group) or (None, None, None)
    assert price == Decimal("0.0832") * 3


def test_auto_scaling_group_without_capacity_has_no_estimate() -> None:
    assert PriceTableEstimator().hourly(resource(kind="asg", size="t3.large")) is None


@pytest.mark.parametrize("size", [None, "x9.mega", ""])
def test_unknown_or_missing_size_has_no_estimate_rather_than_a_guess(size: str | None) -> None:
    assert PriceTableEstimator().hourly(resource(size=size)) is None


def test_custom_table_replaces_the_bundled_one() -> None:
    estimator = PriceTableEstimator({("aws", "m5.large"): Decimal("0.5")})
    assert estimator.hourly(resource()) == (Decimal("0.5"), "USD", "price_table")
    assert estimator.hourly(resource(size="t3.micro")) is None


@pytest.mark.parametrize(
    "text",
    [
        "cloud,size,hourly_usd\naws,m5.large,cheap\n",
        "cloud,size,hourly_usd\naws,,0.1\n",
        "cloud,size,hourly_usd\naws,m5.large,-1\n",
        "cloud,size\naws,m5.large\n",
    ],
)
def test_malformed_table_rows_are_refused_with_the_row_named(text: str) -> None:
    with pytest.raises(ValueError, match="row 2"):
        load_price_table(text)


def test_comment_lines_are_ignored() -> None:
    table = load_price_table("# source: test\ncloud,size,hourly_usd\n# more\naws,m5.large,0.1\n")
    assert table == {("aws", "m5.large"): Decimal("0.1")}
