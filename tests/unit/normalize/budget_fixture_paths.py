"""Paths and the fixed receipt time shared by the budget-normalizer tests."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]
EVENTS = REPO / "events"
MALFORMED = Path(__file__).resolve().parent / "malformed"
BUDGET_CLOUDS = ("aws", "azure", "gcp")

# Azure's legacy payload carries no timestamp: its period comes from when the function got it.
# Every paired fixture is normalized as if received at this instant.
RECEIVED_AT = datetime(2025, 5, 21, 6, 15, tzinfo=UTC)


def load_event(relative: str) -> Any:
    """A sample event under ``events/`` as decoded JSON."""
    return json.loads((EVENTS / relative).read_text(encoding="utf-8"))
