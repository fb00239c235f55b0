"""Real billing files nobody here wrote, converted and validated — when they are on the machine.

The public, anonymised samples (legacy CUR from the FinOps Foundation's focus_converters, Azure
EA cost details from focus_converters and Microsoft's finops-toolkit, the FinOps Foundation's
FOCUS 1.0 sample) are not part of this repository and are never copied into it. Set
``COSTWARDEN_PUBLIC_SAMPLES`` to the folder that holds them; without it, the folder
``shared/data`` beside the checkout is used if it exists, and otherwise these tests skip. Each
export file must convert with our checks passing, reconcile to the cent, and pass the
focus-validator apart from its documented defects. They found that a ServiceName had two
categories in the Azure mapping and that a MeterId under several part numbers gave one
SkuPriceId several SkuIds: both FOCUS 1.2 MUSTs our generated fixtures missed.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType
from typing import Any

import duckdb
import pytest

from costwarden.focus.convert import ConvertResult, convert

pytestmark = pytest.mark.integration

SAMPLES = {
    "aws-legacy-cur-sample.csv": "aws-cur-legacy",
    "azure-ea-sample.csv": "azure-cost",
    "azure-ea-actual-small.csv": "azure-cost",
    "azure-ea-amortized-small.csv": "azure-cost",
}


def _sample(name: str) -> Path:
    """The public sample ``name``; the test skips when it is not on this machine."""
    configured = os.environ.get("COSTWARDEN_PUBLIC_SAMPLES")
    folder = (
        Path(configured)
        if configured
        else Path(__file__).resolve().parents[3].parent / "shared" / "data"
    )
    if not (folder / name).is_file():
        pytest.skip(f"public sample {name} is not on this machine (COSTWARDEN_PUBLIC_SAMPLES)")
    return folder / name


def _assert_converted(result: ConvertResult) -> None:
    assert result.checks.ok, result.checks.summary()
    assert result.rows > 0
    for period in result.periods:
        assert abs(period.billed_cost - period.source_total) <= 0.01


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_a_public_sample_converts_reconciles_and_conforms(
    name: str, tmp_path: Path, focus_runner: ModuleType, focus_validator: Any
) -> None:
    result = convert(SAMPLES[name], [_sample(name)], output=tmp_path / "focus.parquet")

    _assert_converted(result)
    report = focus_runner.validate(result.output, install=focus_validator)
    assert report.ok, report.explain()


@pytest.mark.parametrize(
    ("provider", "source"), [("AWS", "aws-focus"), ("Microsoft", "azure-focus")]
)
def test_a_providers_rows_of_the_focus_sample_convert_and_reconcile(
    provider: str, source: str, tmp_path: Path
) -> None:
    # The FinOps Foundation's FOCUS 1.0 sample mixes providers (and Oracle writes
    # 'Usage-based'); each provider's rows are what its FOCUS export holds, minus the x_
    # columns. AWS's give EC2 two categories: without x_ServiceCode that stays a warning.
    sample = _sample("focus-1.0-sample.csv")
    rows = tmp_path / f"{provider}.csv"
    duckdb.sql(
        f"COPY (SELECT * EXCLUDE (Id) FROM read_csv('{sample}', all_varchar = true) "
        f"WHERE ProviderName = '{provider}') TO '{rows}' (HEADER)"
    )

    result = convert(source, [rows], output=tmp_path / "focus.parquet")

    _assert_converted(result)
