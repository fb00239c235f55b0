"""Fixtures for the infrastructure checks.

``infra_tools``  cfn-lint, checkov and python-hcl2, from their own venv (``.venv-infra``, from
                 infra/requirements-checks.txt; ``INFRA_TOOLS_VENV`` names another). A
                 missing tool fails the test: these checks are what "deployable" means.
``repo``         the checkout's root.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
#: What a tool may not reach: any proxied request fails at once, on loopback.
DEAD_PROXY = "http://127.0.0.1:9"


@dataclass(frozen=True)
class InfraTools:
    venv: Path

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    def run(self, tool: str, *args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
        """Run a tool of the venv with no way out of the machine (checkov phones home)."""
        env = {
            **os.environ,
            "HTTPS_PROXY": DEAD_PROXY,
            "HTTP_PROXY": DEAD_PROXY,
            "https_proxy": DEAD_PROXY,
            "http_proxy": DEAD_PROXY,
            "NO_PROXY": "",
            "no_proxy": "",
            "BC_SKIP_MAPPING": "TRUE",
            "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false",
        }
        executable = self.python if tool == "python" else self.venv / "bin" / tool
        return subprocess.run(
            [str(executable), *args], capture_output=True, text=True, cwd=cwd, env=env, check=False
        )


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def infra_tools() -> InfraTools:
    venv = Path(os.environ.get("INFRA_TOOLS_VENV", REPO / ".venv-infra"))
    missing = [
        name for name in ("cfn-lint", "checkov", "python") if not (venv / "bin" / name).exists()
    ]
    if not missing:
        probe = subprocess.run(
            [str(venv / "bin" / "python"), "-c", "import hcl2"], capture_output=True, check=False
        )
        if probe.returncode != 0:
            missing.append("python-hcl2")
    if missing:
        pytest.fail(
            f"the infrastructure checks need {', '.join(missing)} in {venv}: "
            "python3 -m venv .venv-infra && "
            ".venv-infra/bin/pip install -r infra/requirements-checks.txt"
        )
    return InfraTools(venv)
