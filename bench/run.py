"""Run every benchmark under bench/ (not part of the test suite)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import cold_start

if __name__ == "__main__":
    cold_start.main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
