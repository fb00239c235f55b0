"""Reading focus-validator's JUnit report and judging it against the allow-list.

Standard library only, like run.py beside it (which re-exports everything here).
"""

from __future__ import annotations

import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

DEFAULT_ALLOW_LIST = Path(__file__).resolve().parent / "allowlist.toml"


class ValidatorError(Exception):
    """The validator is missing, crashed, or wrote output this wrapper cannot read."""


@dataclass(frozen=True)
class JUnitResult:
    """What the validator's JUnit XML says: totals and the rules that did not pass."""

    tests: int
    failures: int
    errors: int
    skipped: int
    failed: dict[str, str]  # rule id -> message, for <failure>
    errored: dict[str, str]  # rule id -> message, for <error> (missing column, failed dependency)

    @property
    def passed(self) -> int:
        return self.tests - self.failures - self.errors - self.skipped

    @property
    def not_passed(self) -> dict[str, str]:
        return {**self.failed, **self.errored}


def parse_junit(xml_text: str) -> JUnitResult:
    """Parse focus-validator's ``--output-type unittest`` report.

    Shape (2.2.1): ``<testsuites tests= failures= errors= skipped=>`` holding ``<testsuite>``s of
    ``<testcase name="RuleId :: Function">`` with a ``<failure>``, ``<error>`` or ``<skipped>``
    child when the rule did not pass. The totals in the root are cross-checked against the cases.
    """
    try:
        root = ET.fromstring(xml_text)  # noqa: S314 - our own subprocess's output, not untrusted input
    except ET.ParseError as exc:
        raise ValidatorError(f"unreadable JUnit report: {exc}") from exc
    if root.tag != "testsuites":
        raise ValidatorError(f"unexpected JUnit root element <{root.tag}>")
    failed: dict[str, str] = {}
    errored: dict[str, str] = {}
    skipped = cases = 0
    for case in root.iter("testcase"):
        cases += 1
        rule_id = case.get("name", "").split(" :: ", 1)[0].strip()
        if (node := case.find("failure")) is not None:
            failed[rule_id] = node.get("message") or ""
        elif (node := case.find("error")) is not None:
            errored[rule_id] = node.get("message") or ""
        elif case.find("skipped") is not None:
            skipped += 1
    try:
        result = JUnitResult(
            tests=int(root.get("tests", "")),
            failures=int(root.get("failures", "")),
            errors=int(root.get("errors", "")),
            skipped=int(root.get("skipped", "")),
            failed=failed,
            errored=errored,
        )
    except ValueError as exc:
        raise ValidatorError(f"JUnit report without numeric totals: {root.attrib}") from exc
    seen = (cases, len(failed), len(errored), skipped)
    declared = (result.tests, result.failures, result.errors, result.skipped)
    if seen != declared:
        raise ValidatorError(f"JUnit totals {declared} disagree with its test cases {seen}")
    return result


def load_allow_list(path: Path = DEFAULT_ALLOW_LIST) -> dict[str, str]:
    """Rule id -> reason, from a TOML file of ``[RuleId]`` tables with a non-empty ``reason``."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    allowed = {}
    for rule_id, entry in data.items():
        reason = entry.get("reason", "").strip() if isinstance(entry, dict) else ""
        if not reason:
            raise ValidatorError(f"{path}: [{rule_id}] needs a reason")
        allowed[rule_id] = " ".join(reason.split())
    return allowed


@dataclass(frozen=True)
class Verdict:
    """A JUnit result judged against the allow-list."""

    unexpected: dict[str, str]  # rule id -> message: conformance failures to fix
    allowed: dict[str, str]  # rule id -> why it does not count
    allow_listed_but_passed: list[str]  # allow-listed rules this data did not trip

    @property
    def ok(self) -> bool:
        return not self.unexpected


def judge(
    result: JUnitResult, allow_list: Mapping[str, str], children: Mapping[str, Sequence[str]]
) -> Verdict:
    """Split the rules that did not pass into allowed (defects) and unexpected (real failures).

    A rule is allowed when it is allow-listed, or when it is a composite (AND/OR of other rules)
    whose every failing part is allowed: the validator fails ``X-C-000-C`` and the dataset rule
    ``CostAndUsage-D-000-M`` whenever anything below them fails, so they are judged by their parts.
    """
    not_passed = result.not_passed
    memo: dict[str, str | None] = {}

    def excuse(rule_id: str, path: frozenset[str]) -> str | None:
        if rule_id in memo:
            return memo[rule_id]
        reason: str | None = allow_list.get(rule_id)
        if reason is None and rule_id not in path:
            failing_parts = [c for c in children.get(rule_id, ()) if c in not_passed]
            if failing_parts and all(excuse(c, path | {rule_id}) for c in failing_parts):
                reason = "fails only through allow-listed rules: " + ", ".join(failing_parts)
        memo[rule_id] = reason
        return reason

    unexpected, allowed = {}, {}
    for rule_id, message in sorted(not_passed.items()):
        reason = excuse(rule_id, frozenset())
        if reason is None:
            unexpected[rule_id] = message
        else:
            allowed[rule_id] = reason
    idle = sorted(r for r in allow_list if r not in not_passed)
    return Verdict(unexpected=unexpected, allowed=allowed, allow_listed_but_passed=idle)
