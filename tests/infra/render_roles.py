"""Write the generated IAM statements into the AWS templates.

``python tests/infra/render_roles.py`` (``--check``: only say whether anything would change).

The statements of every function's role in ``infra/aws/template.yaml`` and of the member role
in ``infra/aws/member-role.yaml`` come from ``costwarden.permissions``;
``tests/infra/test_infra_wiring.py`` fails when they differ. This rewrites each role's
``Statement:`` block in place (the rest of the file, comments included, is left alone), so
a change of the declarations is one command.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "shared"))

from costwarden import permissions  # noqa: E402


class _Dumper(yaml.SafeDumper):
    """Block lists indented under their key, as the templates are written."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)

    def ignore_aliases(self, data: Any) -> bool:
        return True  # the same {Ref: AWS::NoValue} many times, never as &id001 / *id001


def render(statements: list[Any], indent: int) -> str:
    text = yaml.dump(
        statements, Dumper=_Dumper, default_flow_style=False, sort_keys=False, width=200
    )
    return "".join(" " * indent + line if line.strip() else line for line in text.splitlines(True))


def replace_statements(template: str, resource: str, statements: list[Any]) -> str:
    """``template`` with the policy statements of ``resource`` (one policy) replaced."""
    start = re.search(rf"^  {resource}:\n", template, re.MULTILINE)
    if start is None:
        raise SystemExit(f"{resource} is not in the template")
    policy = re.compile(r"^ +PolicyDocument:\n", re.MULTILINE).search(template, start.end())
    head = re.compile(r"^( +)Statement:\n", re.MULTILINE).search(
        template, policy.end() if policy else len(template)
    )
    if head is None:
        raise SystemExit(f"{resource} has no policy statements")
    indent = len(head.group(1)) + 2
    end = head.end()
    lines = template[end:].splitlines(True)
    taken = kept = 0  # kept: up to the block's last non-blank line (blank lines stay)
    for line in lines:
        if line.strip() and len(line) - len(line.lstrip(" ")) < indent:
            break
        taken += len(line)
        if line.strip():
            kept = taken
    taken = kept
    return template[:end] + render(statements, indent) + template[end + taken :]


def rendered() -> dict[Path, str]:
    aws = REPO / "infra" / "aws"
    template = (aws / "template.yaml").read_text("utf-8")
    for function in permissions.FUNCTIONS["aws"]:
        role = permissions.aws_logical_name(function) + "Role"
        template = replace_statements(template, role, permissions.aws_role_statements(function))
    member = (aws / "member-role.yaml").read_text("utf-8")
    member = replace_statements(member, "MemberRole", permissions.aws_member_role_statements())
    return {aws / "template.yaml": template, aws / "member-role.yaml": member}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    stale = []
    for path, text in rendered().items():
        if path.read_text("utf-8") != text:
            stale.append(path)
            if not args.check:
                path.write_text(text, "utf-8")
    for path in stale:
        print(("stale: " if args.check else "rewrote: ") + str(path.relative_to(REPO)))
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
