"""The benchmark's synthetic exports (bench/gen_cur.py) convert: a bench whose inputs the
converter refuses measures nothing. It did once: every row named the same product while the
product codes varied, which the one-ServiceCategory-per-ServiceName check rightly refuses."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from costwarden.focus.convert import convert

GEN_CUR = Path(__file__).resolve().parents[3] / "bench" / "gen_cur.py"


@pytest.fixture(scope="module")
def gen_cur() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_cur", GEN_CUR)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("kind", ["aws-cur-legacy", "aws-cur2"])
@pytest.mark.parametrize("fmt", ["csv", "csv.gz", "parquet"])
def test_the_benchmark_inputs_convert_and_reconcile(
    gen_cur: ModuleType, kind: str, fmt: str, tmp_path: Path
) -> None:
    source = gen_cur.generate(tmp_path, kind, 2_000, fmt)

    result = convert(kind, [source], output=tmp_path / "out")

    assert result.checks.ok, result.checks.summary()
    [period] = result.periods
    assert period.rows >= 2_000 * 0.95  # the negation lines are left out, unused rows added
    assert period.billed_cost == period.source_total
