#!/usr/bin/env python3
"""Run the FinOps Foundation's focus-validator on FOCUS files and judge its verdict.

    python tools/focus_validator/run.py FILE [FILE ...] [--junit-dir DIR] [--no-allow-list]

Each FILE (Parquet or CSV) is validated on its own against FOCUS 1.2 with
``--applicability-criteria ALL``; the summary is printed as JSON. Exit status: 0 when every file
passes apart from the rules in ``allowlist.toml`` (documented validator defects), 1 when some rule
failed outside it, 2 when the validator could not run at all.

Why a wrapper rather than calling ``focus-validator`` directly:
- it exits 0 even when rules fail, so the verdict has to be read from its JUnit XML;
- it needs Python >= 3.12 (and numpy<2), so it lives in its own venv, ``.venv-focus-validator``,
  which ``./dev`` creates from ``requirements.txt`` beside this file;
- it reads ``focus_validator/rules/currency_codes.csv`` relative to the *working directory* and
  writes ``focus_validator_detailed.log`` there, so it runs in a scratch directory laid out for it;
- FOCUS 1.3 rules are fetched from the network; 1.2 ships with the package. ``--block-download``
  plus a dead proxy make sure a run never leaves the machine;
- a defective rule also fails every composite rule above it (up to ``CostAndUsage-D-000-M``), so
  allow-listing has to follow the rule tree or one defect would hide every other failure.

This file uses only the standard library so it runs under any Python >= 3.11: the repository's
venv imports it in tests, and it starts the validator's own interpreter as a subprocess.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# verdict.py sits beside this script, which runs by path (python tools/focus_validator/run.py,
# or imported by file location in tests), never as part of a package.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from verdict import (
    DEFAULT_ALLOW_LIST,
    JUnitResult,
    ValidatorError,
    Verdict,
    judge,
    load_allow_list,
    parse_junit,
)

__all__ = [
    "DEFAULT_ALLOW_LIST",
    "Installation",
    "JUnitResult",
    "Report",
    "ValidatorError",
    "Verdict",
    "judge",
    "load_allow_list",
    "main",
    "parse_junit",
    "run_console",
    "run_junit",
    "validate",
]

FOCUS_VERSION = "1.2"
VALIDATOR_VERSION = "2.2.1"  # keep in step with requirements.txt
HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
# A port nothing listens on: any HTTP(S) request the validator tries fails at once, on loopback.
_DEAD_PROXY = "http://127.0.0.1:9"
_CONSOLE_FAIL = re.compile(r"^❌ (?P<rule>\S+): FAIL\s+\(violations=(?P<n>\d+), msg=(?P<msg>.*)\)$")

EXIT_PASSED, EXIT_FAILED, EXIT_CANNOT_RUN = 0, 1, 2


def default_venv() -> Path:
    """Where ``./dev`` installs the validator (override with FOCUS_VALIDATOR_VENV)."""
    return Path(os.environ.get("FOCUS_VALIDATOR_VENV") or REPO_ROOT / ".venv-focus-validator")


# -- the installation ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Installation:
    """A focus-validator installed in its own venv."""

    venv: Path
    executable: Path  # the venv's `focus-validator` console script
    package_dir: Path  # .../site-packages/focus_validator (rules, currency codes)
    version: str

    @classmethod
    def locate(cls, venv: Path | None = None) -> Installation:
        venv = (venv or default_venv()).absolute()
        executable = venv / "bin" / "focus-validator"
        python = venv / "bin" / "python"
        if not executable.exists() or not python.exists():
            raise ValidatorError(
                f"focus-validator is not installed in {venv}; `./dev test` installs it "
                f"(Python 3.12 venv from {HERE / 'requirements.txt'})"
            )
        probe = (
            "import importlib.metadata as m, json, pathlib, focus_validator as f;"
            "print(json.dumps([str(pathlib.Path(f.__file__).parent),"
            " m.version('focus-validator')]))"
        )
        done = subprocess.run(  # noqa: S603 - fixed argv, our own venv's interpreter
            [str(python), "-c", probe],
            capture_output=True,
            text=True,
            env=_child_env(),
            check=False,
            timeout=120,
        )
        if done.returncode != 0:
            raise ValidatorError(f"cannot import focus_validator in {venv}:\n{done.stderr[-2000:]}")
        package_dir, version = json.loads(done.stdout)
        if version != VALIDATOR_VERSION:
            # allowlist.toml was checked against one version; another may fix or add defects.
            raise ValidatorError(
                f"{venv} has focus-validator {version}, not {VALIDATOR_VERSION} as pinned in "
                f"{HERE / 'requirements.txt'}; `./dev test` re-installs it"
            )
        return cls(venv=venv, executable=executable, package_dir=Path(package_dir), version=version)

    def model_file(self) -> Path:
        """The rules model the validator picks for FOCUS_VERSION: the highest 1.2.x it ships."""
        candidates = sorted(
            (self.package_dir / "rules").glob(f"model-{FOCUS_VERSION}*.json"),
            key=lambda p: tuple(int(x) for x in p.stem.removeprefix("model-").split(".")),
        )
        if not candidates:
            raise ValidatorError(f"no FOCUS {FOCUS_VERSION} rules model in {self.package_dir}")
        return candidates[-1]

    def rule_children(self) -> dict[str, tuple[str, ...]]:
        """Composite rule id -> the rule ids its requirement is built from (AND/OR items)."""
        model = json.loads(self.model_file().read_text(encoding="utf-8"))
        children = {}
        for rule_id, rule in model["ModelRules"].items():
            requirement = rule.get("ValidationCriteria", {}).get("Requirement")
            if parts := tuple(dict.fromkeys(_referenced_rules(requirement))):
                children[rule_id] = parts
        return children

    def rule_ids(self) -> set[str]:
        model = json.loads(self.model_file().read_text(encoding="utf-8"))
        return set(model["ModelRules"])


def _referenced_rules(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if node.get("CheckFunction") == "CheckModelRule" and "ModelRuleId" in node:
            yield node["ModelRuleId"]
        for value in node.values():
            yield from _referenced_rules(value)
    elif isinstance(node, list):
        for item in node:
            yield from _referenced_rules(item)


def _child_env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        # The repository's venv must not leak into the validator's interpreter.
        if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP"}
    }
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        env[name] = env[name.lower()] = _DEAD_PROXY
    env["NO_PROXY"] = env["no_proxy"] = ""
    env["PYTHONNOUSERSITE"] = "1"
    return env


# -- running it ---------------------------------------------------------------------------------
def _workdir(install: Installation) -> tempfile.TemporaryDirectory[str]:
    """A scratch working directory holding the one file the validator opens relative to it."""
    tmp = tempfile.TemporaryDirectory(prefix="focus-validator-")
    rules = Path(tmp.name) / "focus_validator" / "rules"
    rules.mkdir(parents=True)
    codes = "currency_codes.csv"
    shutil.copyfile(install.package_dir / "rules" / codes, rules / codes)
    return tmp


def _invoke(
    install: Installation, data_file: Path, extra: Sequence[str], cwd: str, timeout: float
) -> subprocess.CompletedProcess[str]:
    argv = [
        str(install.executable),
        "--data-file",
        str(data_file),
        "--validate-version",
        FOCUS_VERSION,
        "--applicability-criteria",
        "ALL",
        "--block-download",
        *extra,
    ]
    try:
        return subprocess.run(  # noqa: S603 - fixed argv, our own venv's console script
            argv,
            cwd=cwd,
            capture_output=True,
            text=True,
            env=_child_env(),
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ValidatorError(f"focus-validator ran over {timeout:.0f}s on {data_file}") from exc


def _log_tail(cwd: str) -> str:
    log = Path(cwd) / "focus_validator_detailed.log"
    return log.read_text(encoding="utf-8", errors="replace")[-3000:] if log.exists() else ""


def run_junit(install: Installation, data_file: Path, *, timeout: float = 600) -> str:
    """Validate one file; return the JUnit XML the validator wrote (its only reliable verdict)."""
    data_file = data_file.absolute()
    if not data_file.is_file():
        raise ValidatorError(f"{data_file}: no such file")
    with _workdir(install) as cwd:
        junit = Path(cwd) / "junit.xml"
        done = _invoke(
            install,
            data_file,
            ["--output-type", "unittest", "--output-destination", str(junit)],
            cwd,
            timeout,
        )
        if done.returncode != 0 or not junit.exists():
            raise ValidatorError(
                f"focus-validator failed on {data_file} (exit {done.returncode}):\n"
                f"{(done.stderr or done.stdout)[-3000:]}\n{_log_tail(cwd)}"
            )
        return junit.read_text(encoding="utf-8")


def run_console(install: Installation, data_file: Path, *, timeout: float = 600) -> dict[str, str]:
    """Rule id -> "violations=N: message; e.g. Column='value'" for failed rules.

    The JUnit report names a failed rule but not what went wrong; the console report says how
    many rows broke it, why, and (``--show-violations``) up to two offending values. Used only
    to explain failures, never to decide them.
    """
    with _workdir(install) as cwd:
        done = _invoke(install, data_file.absolute(), ["--show-violations"], cwd, timeout)
    found: dict[str, str] = {}
    samples: dict[str, list[str]] = {}
    current = None  # the rule whose block of the "--- Failures ---" section is being read
    for raw in done.stdout.splitlines():
        line = raw.strip()
        if m := _CONSOLE_FAIL.match(line):
            found[m["rule"]] = f"violations={m['n']}: {m['msg']}"
        elif raw.startswith("- ") and ":" in line:
            current = line[2:].split(":", 1)[0]
        elif current and raw.startswith("    ") and "=" in line and line != "Sample violations:":
            samples.setdefault(current, []).append(line)
    for rule, values in samples.items():
        if rule in found:
            found[rule] += "; e.g. " + ", ".join(dict.fromkeys(values))
    return found


# -- one call for callers -----------------------------------------------------------------------
@dataclass(frozen=True)
class Report:
    """The validator's verdict on one file, judged against the allow-list."""

    data_file: Path
    validator_version: str
    focus_version: str
    result: JUnitResult
    verdict: Verdict
    details: dict[str, str] = field(default_factory=dict)  # rule id -> violations and message

    @property
    def ok(self) -> bool:
        return self.verdict.ok

    def to_dict(self) -> dict[str, Any]:
        return {
            "data_file": str(self.data_file),
            "validator": f"focus-validator {self.validator_version}",
            "focus_version": self.focus_version,
            "applicability_criteria": "ALL",
            "ok": self.ok,
            "tests": self.result.tests,
            "passed": self.result.passed,
            "failures": self.result.failures,
            "errors": self.result.errors,
            "skipped": self.result.skipped,
            "failed_rules": sorted(self.result.not_passed),
            "unexpected": {
                rule: self.details.get(rule, message)
                for rule, message in self.verdict.unexpected.items()
            },
            "allowed": self.verdict.allowed,
            "allow_listed_but_passed": self.verdict.allow_listed_but_passed,
        }

    def explain(self) -> str:
        """A few lines for a test failure or a terminal: what failed and why."""
        r = self.result
        lines = [
            f"{self.data_file}: focus-validator {self.validator_version},"
            f" FOCUS {self.focus_version} - {r.tests} rules, {r.passed} passed,"
            f" {r.failures} failed, {r.errors} errored, {r.skipped} skipped;"
            f" {len(self.verdict.allowed)} allow-listed",
        ]
        for rule, message in self.verdict.unexpected.items():
            lines.append(f"  FAILED {rule}: {self.details.get(rule) or message}")
        return "\n".join(lines)


def validate(
    data_file: Path,
    *,
    install: Installation | None = None,
    allow_list: Mapping[str, str] | None = None,
    details: bool = True,
    junit_out: Path | None = None,
    timeout: float = 600,
) -> Report:
    """Validate one FOCUS file (Parquet or CSV) and judge the result.

    ``details`` runs the validator a second time, in console mode, only when some rule failed
    outside the allow-list, to say how many rows broke it and why (about 2 s more).
    """
    install = install or Installation.locate()
    allow = load_allow_list() if allow_list is None else dict(allow_list)
    unknown = sorted(set(allow) - install.rule_ids())
    if unknown:
        raise ValidatorError(f"allow-list names rules the validator does not have: {unknown}")
    xml_text = run_junit(install, data_file, timeout=timeout)
    if junit_out is not None:
        junit_out.parent.mkdir(parents=True, exist_ok=True)
        junit_out.write_text(xml_text, encoding="utf-8")
    result = parse_junit(xml_text)
    verdict = judge(result, allow, install.rule_children())
    explained = {}
    if details and not verdict.ok:
        explained = run_console(install, data_file, timeout=timeout)
    return Report(
        data_file=data_file,
        validator_version=install.version,
        focus_version=FOCUS_VERSION,
        result=result,
        verdict=verdict,
        details=explained,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path, help="FOCUS Parquet or CSV files")
    parser.add_argument(
        "--venv", type=Path, help="the validator's venv (default: .venv-focus-validator)"
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--allow-list", type=Path, default=DEFAULT_ALLOW_LIST)
    group.add_argument("--no-allow-list", action="store_true", help="count every failing rule")
    parser.add_argument("--junit-dir", type=Path, help="also keep each JUnit report here")
    parser.add_argument("--no-details", action="store_true", help="skip the console re-run")
    args = parser.parse_args(argv)
    try:
        install = Installation.locate(args.venv)
        allow = {} if args.no_allow_list else load_allow_list(args.allow_list)
        reports = [
            validate(
                path,
                install=install,
                allow_list=allow,
                details=not args.no_details,
                junit_out=args.junit_dir / f"{i:03d}-{path.stem}.xml" if args.junit_dir else None,
            )
            for i, path in enumerate(args.files)
        ]
    except (ValidatorError, OSError, tomllib.TOMLDecodeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    print(json.dumps([r.to_dict() for r in reports], indent=2))
    for report in reports:
        print(report.explain(), file=sys.stderr)
    return EXIT_PASSED if all(r.ok for r in reports) else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
