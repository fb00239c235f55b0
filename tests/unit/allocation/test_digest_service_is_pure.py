"""The digest service is core: importing it loads no DuckDB, Slack SDK, matplotlib or cloud SDK.

(The repository-wide static check in ``tests/unit/test_architecture.py`` reads every file under
``services/``; this one proves it at run time, in a fresh interpreter, for the digest modules.)
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

FORBIDDEN = ("duckdb", "slack_sdk", "matplotlib", "boto3", "azure", "google", "costwarden.adapters")
PROBE = (
    "import importlib, json, sys; before = set(sys.modules); "
    "importlib.import_module(sys.argv[1]); print(json.dumps(sorted(set(sys.modules) - before)))"
)


@pytest.mark.parametrize(
    "module",
    ["costwarden.services.cost_digest", "costwarden.models.digest", "costwarden.policy.allocation"],
)
def test_importing_the_digest_core_loads_no_engine_or_sdk(module: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, module], capture_output=True, text=True, check=True
    )
    loaded = json.loads(result.stdout)

    assert module in loaded
    assert [m for m in loaded if m.split(".")[0] in FORBIDDEN or m.startswith(FORBIDDEN)] == []
