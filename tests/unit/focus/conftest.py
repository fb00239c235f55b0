"""Helpers that write small FOCUS files for the DuckDB cost-drivers tests."""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pytest

# The columns the adapter reads, in FOCUS spelling; a few defaults keep each test's rows short.
DEFAULTS: dict[str, str] = {
    "ProviderName": "AWS",
    "BillingAccountId": "999999999999",
    "SubAccountId": "123456789012",
    "BillingCurrency": "USD",
    "ChargePeriodStart": "2026-11-03T00:00:00Z",
    "ChargePeriodEnd": "2026-11-04T00:00:00Z",
    "ChargeCategory": "Usage",
    "BilledCost": "0",
    "EffectiveCost": "0",
    "ServiceName": "Amazon Elastic Compute Cloud",
    "ResourceId": "",
    "ResourceName": "",
}

WriteFocus = Callable[..., Path]


def write_focus_csv(
    path: Path, rows: Sequence[Mapping[str, str]], *, drop: Sequence[str] = ()
) -> Path:
    """A FOCUS CSV with DEFAULTS filled in and the ``drop`` columns left out."""
    columns = [c for c in DEFAULTS if c not in drop]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({**DEFAULTS, **row})
    return path


@pytest.fixture
def write_focus(tmp_path: Path) -> WriteFocus:
    def write(
        rows: Sequence[Mapping[str, str]], *, name: str = "focus.csv", drop: Sequence[str] = ()
    ) -> Path:
        return write_focus_csv(tmp_path / name, rows, drop=drop)

    return write
