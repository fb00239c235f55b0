"""The dependency rules of DESIGN.md, as tests.

* The pure core (models, normalizers, policy, services, ports) never imports a cloud SDK, the
  FOCUS engine or the Slack SDK: not at import time and not lazily inside a function either.
* Settings and the composition root load no SDK at import time: each adapter's SDK is imported
  only when the settings ask for that adapter.
* A cloud's handler never loads another cloud's SDK, so each function package ships (and cold
  starts) only its own cloud's libraries.

Import checks run in a fresh interpreter, because this test process has long since imported
everything. They compare ``sys.modules`` before and after the import under test: the
interpreter's start-up may already register empty namespace packages (functions-framework's
``*-nspkg.pth`` registers ``google`` and ``google.cloud``), which no code of ours loaded.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "shared" / "costwarden"
FUNCTIONS = REPO / "functions"

AWS_SDKS = ("boto3", "botocore", "aws_lambda_powertools")
AZURE_SDKS = ("azure",)
GCP_SDKS = ("google", "functions_framework", "cloudevents")
# Everything the pure core must do without: every cloud's SDK, DuckDB, the Slack SDK.
CORE_FORBIDDEN = (*AWS_SDKS, *AZURE_SDKS, *GCP_SDKS, "duckdb", "slack_sdk")
# Our own outer layers: the core depends on none of them (dependencies point inward).
CORE_FORBIDDEN_OWN = (
    "costwarden.adapters",
    "costwarden.bootstrap",
    "costwarden.cli",
    "costwarden.local",
)

CORE_MODULES = (
    "costwarden.models",
    "costwarden.normalize.budget",
    "costwarden.policy",
    "costwarden.services.budget_alerts",
    "costwarden.normalize.export",
    "costwarden.services.export_arrival",
    "costwarden.services.cost_digest",
    "costwarden.ports",
    "costwarden.settings",
    "costwarden.bootstrap",
    "costwarden.schedule",
    "costwarden.plan",
    "costwarden.pricing",
    "costwarden.tagging",
    "costwarden.ports_compute",
    "costwarden.ports_tagging",
    "costwarden.normalize.resource_change",
    "costwarden.services.scheduler",
    "costwarden.services.tag_remediation",
    "costwarden.services.tag_reports",
)
CORE_FILES = sorted(
    [
        *(
            path
            for folder in (
                "models",
                "normalize",
                "policy",
                "services",
                "schedule",
                "plan",
                "pricing",
                "tagging",
            )
            for path in (PACKAGE / folder).rglob("*.py")
        ),
        PACKAGE / "ports.py",
        PACKAGE / "ports_compute.py",
        PACKAGE / "ports_tagging.py",
    ]
)

# handler file -> SDKs it must never load (the other clouds')
HANDLERS = {
    FUNCTIONS / "aws" / "budget_alert.py": (*AZURE_SDKS, *GCP_SDKS),
    FUNCTIONS / "aws" / "export_arrival.py": (*AZURE_SDKS, *GCP_SDKS),
    FUNCTIONS / "aws" / "cost_digest.py": (*AZURE_SDKS, *GCP_SDKS),
    FUNCTIONS / "aws" / "tag_remediation.py": (*AZURE_SDKS, *GCP_SDKS),
    FUNCTIONS / "aws" / "tag_sweep.py": (*AZURE_SDKS, *GCP_SDKS),
    FUNCTIONS / "azure" / "function_app.py": (*AWS_SDKS, *GCP_SDKS),
    FUNCTIONS / "gcp" / "main.py": (*AWS_SDKS, *AZURE_SDKS),
}
# ... and one module of its own platform it must load: proof the import really happened.
HANDLER_OWN_SDK = {
    "budget_alert": "aws_lambda_powertools",
    "export_arrival": "aws_lambda_powertools",
    "cost_digest": "aws_lambda_powertools",
    "tag_remediation": "aws_lambda_powertools",
    "tag_sweep": "aws_lambda_powertools",
    "function_app": "azure.functions",
    "main": "functions_framework",
}

_PROBE = textwrap.dedent(
    """
    import importlib, json, sys
    sys.path[:0] = json.loads(sys.argv[2])
    before = {name: getattr(module, "__file__", None) for name, module in sys.modules.items()}
    importlib.import_module(sys.argv[1])
    print(json.dumps({
        "preloaded_with_code": sorted(name for name, file in before.items() if file),
        "loaded": sorted(set(sys.modules) - set(before)),
    }))
    """
)


def _is_under(module: str, roots: tuple[str, ...]) -> bool:
    return any(module == root or module.startswith(f"{root}.") for root in roots)


def _import_in_fresh_interpreter(module: str, *, path: tuple[Path, ...] = ()) -> list[str]:
    """Modules that importing ``module`` loads, in a new interpreter."""
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, module, json.dumps([str(p) for p in path])],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    # The before/after comparison is blind to code loaded before the import under test (a
    # sitecustomize importing boto3, say); make sure there is none to be blind to.
    assert not [m for m in report["preloaded_with_code"] if _is_under(m, CORE_FORBIDDEN)]
    loaded: list[str] = report["loaded"]
    return loaded


def _imported_names(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every absolute import in ``path``, however deeply nested."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
            # "from costwarden import adapters" imports costwarden.adapters
            found.extend((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)
        elif (  # importlib.import_module("boto3") / __import__("boto3")
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and (
                (isinstance(node.func, ast.Name) and node.func.id == "__import__")
                or (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
            )
        ):
            found.append((node.lineno, node.args[0].value))
    return sorted(found)


@pytest.mark.parametrize("module", CORE_MODULES)
def test_importing_the_core_loads_no_cloud_duckdb_or_slack_sdk(module: str) -> None:
    loaded = _import_in_fresh_interpreter(module)

    assert module in loaded  # it really was imported here, not before
    assert [m for m in loaded if _is_under(m, CORE_FORBIDDEN)] == []


def test_the_static_check_sees_the_whole_core() -> None:
    relative = {path.relative_to(PACKAGE).as_posix() for path in CORE_FILES}
    assert {"ports.py", "models/budget.py", "services/budget_alerts.py"} <= relative
    assert any(name.startswith("normalize/budget/") for name in relative)
    assert any(name.startswith("policy/") for name in relative)


@pytest.mark.parametrize("path", CORE_FILES, ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_core_modules_never_import_an_sdk_or_an_outer_layer(path: Path) -> None:
    offending = [
        f"{path.relative_to(REPO)}:{line}: {name}"
        for line, name in _imported_names(path)
        if _is_under(name, CORE_FORBIDDEN) or _is_under(name, CORE_FORBIDDEN_OWN)
    ]

    assert offending == []


@pytest.mark.parametrize("handler", list(HANDLERS), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_handler_never_loads_another_clouds_sdk(handler: Path) -> None:
    loaded = _import_in_fresh_interpreter(handler.stem, path=(handler.parent,))

    assert handler.stem in loaded
    assert HANDLER_OWN_SDK[handler.stem] in loaded
    assert [m for m in loaded if _is_under(m, HANDLERS[handler])] == []
