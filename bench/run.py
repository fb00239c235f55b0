"""Run the benchmarks under bench/ (not part of the test suite).

run.py [RUNS]              cold start of the budget-alert handlers (the default; ~1 minute)
run.py cold [RUNS]         the same
run.py focus [OPTIONS]     billing export -> FOCUS conversion (focus_convert.py --help);
                           e.g. ``run.py focus --rows 1000000 10000000``
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "shared"))

import cold_start
import focus_convert

if __name__ == "__main__":
    args = sys.argv[1:]
    if args and args[0] == "focus":
        focus_convert.main(args[1:])
    elif args and args[0] in ("-h", "--help"):
        print(__doc__)
    else:
        if args and args[0] == "cold":
            args = args[1:]
        cold_start.main(int(args[0]) if args else 15)
