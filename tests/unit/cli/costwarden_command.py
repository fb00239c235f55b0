"""Run the installed ``costwarden`` command the way a user does: a separate process.

The console script is resolved next to the interpreter running the tests (``.venv/bin``), so the
tests exercise the entry point ``pyproject.toml`` declares rather than an import of ``cli.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
EVENTS = REPO / "events"
MALFORMED = REPO / "tests" / "unit" / "normalize" / "malformed"
# Not .resolve(): the venv's python is a symlink to the base interpreter, whose folder has no
# costwarden script.
COSTWARDEN = Path(sys.executable).parent / "costwarden"


def command_env() -> dict[str, str]:
    """The test's environment without any ``COSTWARDEN_*`` setting from the developer's shell.

    Wide, colourless output: rich wraps at 80 columns when stdout is not a terminal.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("COSTWARDEN_")}
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        env.pop(name, None)
    env.update({"NO_COLOR": "1", "COLUMNS": "200", "PYTHONIOENCODING": "utf-8"})
    return env


def run_costwarden(
    *args: str | Path, cwd: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``costwarden ARGS...`` as a subprocess; never raises on a non-zero exit status."""
    assert COSTWARDEN.exists(), f"{COSTWARDEN} missing: install the project (uv sync)"
    return subprocess.run(
        [str(COSTWARDEN), *map(str, args)],
        cwd=cwd or REPO,
        env=command_env(),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        check=False,
    )
