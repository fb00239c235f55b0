"""costwarden's FOCUS output passes the FinOps Foundation's focus-validator, for every source.

Each variant in ``source_fixtures.VARIANTS`` (every source with a mapping, in the export formats
and flavours that change what the mapping produces) goes through ``costwarden.focus.convert``
into the partitioned Parquet costwarden publishes, and every written file is validated against
FOCUS 1.2 with ``--applicability-criteria ALL``. Only the rules in
tools/focus_validator/allowlist.toml (validator defects) may fail.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType
from typing import Any

import duckdb
import pytest

from costwarden.focus.convert import ConvertResult, convert
from costwarden.focus.mappings import available_sources
from costwarden.focus.schema import FOCUS_COLUMNS
from integration.focus_conformance.source_fixtures import VARIANTS

pytestmark = pytest.mark.integration

Converted = Callable[[str], ConvertResult]


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> Converted:
    """Variant name -> its conversion, done once per module (both tests below read it)."""
    done: dict[str, ConvertResult] = {}

    def get(variant: str) -> ConvertResult:
        if variant not in done:
            folder = tmp_path_factory.mktemp(variant.replace("/", "-"))
            source, inputs = VARIANTS[variant](folder / "in")
            done[variant] = convert(source, inputs, output=folder / "out")
        return done[variant]

    return get


def test_every_source_with_a_mapping_has_a_conformance_fixture() -> None:
    covered = {name.split("/", 1)[0] for name in VARIANTS}

    assert set(available_sources()) <= covered


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_converted_output_passes_the_focus_validator(
    variant: str, converted: Converted, focus_runner: ModuleType, focus_validator: Any
) -> None:
    result = converted(variant)

    assert result.files, f"{variant}: nothing written"
    # One validator process per billing period file; two at a time (CI has two cores).
    with ThreadPoolExecutor(max_workers=2) as pool:
        reports = list(
            pool.map(lambda f: focus_runner.validate(f, install=focus_validator), result.files)
        )
    failing = [report.explain() for report in reports if not report.ok]
    assert not failing, f"{variant} is not FOCUS 1.2 conformant:\n" + "\n".join(failing)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_converted_output_has_the_focus_column_types(variant: str, converted: Converted) -> None:
    # The validator coerces types while loading (text to numbers and dates), so it cannot see
    # a wrongly typed column; the Parquet schema must carry FOCUS's types itself.
    result = converted(variant)
    expected = {c.name: c.duckdb_type for c in FOCUS_COLUMNS}

    assert result.files
    for path in result.files:
        described = duckdb.sql(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()
        actual = {str(name): str(kind) for name, kind, *_ in described}
        wrong = {
            name: (actual.get(name), kind)
            for name, kind in expected.items()
            if actual.get(name) != kind
        }
        assert not wrong, f"{path}: column (written, FOCUS) types differ: {wrong}"
