"""Paths and loaders for the handler end-to-end tests (importable; fixtures live in conftest)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

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


def deployment_env(monkeypatch: pytest.MonkeyPatch, slack_base_url: str) -> None:
    """What every cloud's deployment of the scheduling and tag functions sets, minus where
    their state, queue and policy live: no COSTWARDEN_* setting of the machine leaks in."""
    for name in list(os.environ):
        if name.startswith("COSTWARDEN_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("COSTWARDEN_SLACK_TOKEN", SLACK_TOKEN)
    monkeypatch.setenv("COSTWARDEN_SLACK_BASE_URL", slack_base_url)
    monkeypatch.setenv("COSTWARDEN_SLACK_MAX_RETRIES", "1")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "1")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "costwarden-test")


def use_policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> Path:
    """Write ``text`` as the functions' policy file and point COSTWARDEN_POLICY_PATH at it."""
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    monkeypatch.setenv("COSTWARDEN_POLICY_PATH", str(path))
    return path
