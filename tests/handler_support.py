"""Paths and loaders for the handler end-to-end tests (importable; fixtures live in conftest)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
FUNCTIONS = REPO / "functions"
EVENTS = REPO / "events"
MALFORMED = REPO / "tests" / "unit" / "normalize" / "malformed"
SLACK_TOKEN = "xoxb-test-token"


def sample_events(cloud: str) -> list[Path]:
    return sorted(p for p in (EVENTS / cloud).glob("budget_*.json") if ".expected" not in p.name)


def expected(path: Path) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(path.with_suffix(".expected.json").read_text())
    return data


def malformed(prefix: str) -> list[Path]:
    return sorted(MALFORMED.glob(f"{prefix}_*.json"))


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data
