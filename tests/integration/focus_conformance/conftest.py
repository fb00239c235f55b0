"""Fixtures for the FOCUS conformance tests.

``focus_runner``     tools/focus_validator/run.py, imported (it is a script, not a package)
``focus_validator``  the focus-validator installed in .venv-focus-validator by ``./dev test``;
                     skips when it is missing on a developer's machine, fails in CI (CI=true)
``write_focus``      writes typed FOCUS 1.2 Parquet from a few row overrides (hand-built data,
                     independent of costwarden's own schema module, so the two check each other)
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from integration.focus_conformance.conformance_support import (
    CONFORMANT_ROWS,
    WriteFocus,
    import_runner,
    write_focus_parquet,
)


@pytest.fixture(scope="session")
def focus_runner() -> ModuleType:
    return import_runner()


@pytest.fixture(scope="session")
def focus_validator(focus_runner: ModuleType) -> Any:
    try:
        return focus_runner.Installation.locate()
    except focus_runner.ValidatorError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the FOCUS conformance tests: {exc}")
        pytest.skip(str(exc))


@pytest.fixture
def write_focus(tmp_path: Path) -> WriteFocus:
    def write(
        rows: Sequence[Mapping[str, str | None]] = CONFORMANT_ROWS, name: str = "focus", **kw: Any
    ) -> Path:
        return write_focus_parquet(tmp_path / f"{name}.parquet", rows, **kw)

    return write
