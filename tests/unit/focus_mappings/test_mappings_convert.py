"""Each mapping through the whole conversion: read, map, row checks, reconciliation, partitions."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from costwarden.focus import FocusNoRowsError, FocusReconciliationError
from costwarden.focus.checks import check_path
from costwarden.focus.convert import convert
from unit.focus_mappings import test_aws_cur2_mapping as cur2
from unit.focus_mappings import test_azure_cost_mapping as azure
from unit.focus_mappings import test_focus_exports_mapping as exports
from unit.focus_mappings import test_gcp_billing_mapping as gcp
from unit.focus_mappings.writers import write_csv, write_ndjson, write_parquet

Case = tuple[str, Callable[[Path], list[Path]], str, dict[str, Decimal]]

CASES: dict[str, Case] = {
    "aws-cur2 gzip csv": (
        "aws-cur2",
        lambda d: [write_csv(d / "cur2.csv.gz", cur2.cur2_rows(), gzipped=True)],
        "aws",
        {"2026-09": Decimal(-2), "2026-10": Decimal("454.373")},
    ),
    "azure-cost EA actual csv": (
        "azure-cost",
        lambda d: [write_csv(d / "ea.csv", azure.ea_actual_rows(), bom=True)],
        "azure",
        {"2026-08": Decimal(7), "2026-09": Decimal("267.525")},
    ),
    "azure-cost MCA parquet": (
        "azure-cost",
        lambda d: [write_parquet(d / "mca.parquet", azure.mca_rows(), types=azure.MCA_TYPES)],
        "azure",
        {"2026-09": Decimal("6.7004")},
    ),
    "gcp-billing ndjson": (
        "gcp-billing",
        lambda d: [write_ndjson(d / "gcp.json", gcp.gcp_records())],
        "gcp",
        {"2026-09": Decimal("1.75"), "2026-10": Decimal("22.75")},
    ),
    "aws-focus csv": (
        "aws-focus",
        lambda d: [write_csv(d / "focus.csv", exports.aws_rows())],
        "aws",
        {"2026-09": Decimal(3), "2026-10": Decimal("1.75")},
    ),
    "azure-focus csv": (
        "azure-focus",
        lambda d: [write_csv(d / "focuscost.csv", exports.azure_rows(), bom=True)],
        "azure",
        {"2026-09": Decimal("312.42")},
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_conversion_passes_checks_and_reconciles_per_period(case: str, tmp_path: Path) -> None:
    source, make, provider, billed = CASES[case]
    result = convert(source, make(tmp_path / "in"), output=tmp_path / "out")
    assert result.checks.ok, result.checks.summary()
    assert result.billed_cost_by_period == billed
    written = sorted(str(f.relative_to(tmp_path / "out")) for f in result.files)
    assert written == [
        f"provider={provider}/billing_period={period}/part-0.parquet" for period in sorted(billed)
    ]


def test_a_providers_focus_export_keeps_its_own_classification_as_a_warning(
    tmp_path: Path,
) -> None:
    """AWS's FOCUS data gives EC2 usage "Compute" and its volumes "Storage" (the FinOps
    Foundation's FOCUS 1.0 sample does). With x_ServiceCode the mapping reclassifies by product
    code; without it the provider's values pass through, reported but not refused."""
    rows = [
        exports.focus10(BilledCost="1", EffectiveCost="1", ListCost="1", ContractedCost="1"),
        exports.focus10(
            BilledCost="2",
            EffectiveCost="2",
            ListCost="2",
            ContractedCost="2",
            ServiceCategory="Storage",
        ),
    ]
    result = convert("aws-focus", [write_csv(tmp_path / "f.csv", rows)], output=tmp_path / "o")

    assert result.checks.ok
    (warning,) = [r for r in result.checks.warnings if r.rule.id == "ServiceName.one-category"]
    assert warning.failing == 2
    assert result.periods[0].billed_cost == 3
    # Only the conversion of a provider's export relaxes it: checked as FOCUS data, it fails.
    assert "ServiceName.one-category" in {r.rule.id for r in check_path(result.files[0]).errors}


def test_rows_the_mapping_drops_that_carry_a_cost_are_refused_not_an_empty_export(
    tmp_path: Path,
) -> None:
    # CUR 2.0 leaves SavingsPlanNegation lines out (FOCUS bills covered usage at 0). A file of
    # nothing else writes no rows, yet it bills -1: an empty period would lose that silently,
    # while a header-only file (nothing billed) is an empty export.
    negation = [cur2.line("SavingsPlanNegation", "-1.00")]
    with pytest.raises(FocusReconciliationError, match="vs source total -1"):
        convert("aws-cur2", [write_csv(tmp_path / "neg.csv", negation)], output=tmp_path / "o")
    header_only = write_csv(tmp_path / "empty.csv", negation[:0], columns=list(negation[0]))
    with pytest.raises(FocusNoRowsError):
        convert("aws-cur2", [header_only], output=tmp_path / "o")
