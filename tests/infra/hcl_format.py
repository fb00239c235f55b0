"""``terraform fmt`` in Python, for machines without the terraform binary.

A port of the whitespace rules of HashiCorp's ``hclwrite`` formatter (which ``terraform fmt``
applies): 2-space indentation by net bracket count per line, canonical spaces between tokens,
and vertically aligned ``=`` of consecutive single-line attributes (and of trailing comments).
``format_hcl(text) == text`` is the check; ``python tests/infra/hcl_format.py --write FILE``
rewrites a file. Heredocs are left as they are (none in infra/).

Strings are one token each, interpolations included: our files have no spacing inside
``${...}`` for the formatter to change. A syntax error is the HCL parser's job
(python-hcl2, in tests/infra/test_terraform.py), not this module's.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

_TOKEN = re.compile(
    r"""
    (?P<comment>\#[^\n]*|//[^\n]*|/\*.*?\*/)
  | (?P<heredoc><<-?[A-Za-z_]+)
  | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_-]*)
  | (?P<op>\.\.\.|==|!=|>=|<=|&&|\|\||=>|[{}\[\]()=,.:?+\-*/%<>!])
    """,
    re.VERBOSE | re.DOTALL,
)
_OPEN = {"{", "[", "("}
_CLOSE = {"}", "]", ")"}


@dataclass
class Token:
    kind: str  # ident, number, string, comment, op
    text: str


@dataclass
class Line:
    lead: list[Token] = field(default_factory=list)
    assign: list[Token] = field(default_factory=list)
    comment: list[Token] = field(default_factory=list)
    indent: int = 0
    raw: str | None = None  # inside a heredoc: kept as written


def _string_end(text: str, start: int) -> int:
    """Index just past the closing quote of the string opening at ``start`` (nested ``${}``)."""
    i, depth = start + 1, 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if depth == 0 and ch == '"':
            return i + 1
        if text.startswith(("${", "%{"), i):
            depth += 1
            i += 2
            continue
        if depth and ch == "}":
            depth -= 1
        elif depth and ch == '"':
            i = _string_end(text, i)
            continue
        i += 1
    raise ValueError(f"unterminated string at offset {start}")


def tokenize_line(text: str) -> list[Token]:
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        if text[i] in " \t\r":
            i += 1
            continue
        if text[i] == '"':
            end = _string_end(text, i)
            tokens.append(Token("string", text[i:end]))
            i = end
            continue
        match = _TOKEN.match(text, i)
        if match is None:
            raise ValueError(f"cannot tokenize {text[i:]!r}")
        kind = match.lastgroup or "op"
        tokens.append(Token(kind, match.group()))
        i = match.end()
    return tokens


def _bracket(token: Token) -> int:
    if token.kind != "op":
        return 0
    return 1 if token.text in _OPEN else -1 if token.text in _CLOSE else 0


def _space_after(subject: Token, before: Token | None, after: Token | None) -> bool:
    """hclwrite's spaceAfterToken, for the token kinds above."""
    if after is None:
        return False
    s, a = (
        subject.text if subject.kind == "op" else None,
        after.text if after.kind == "op" else None,
    )
    if subject.kind == "ident" and a == "(":
        return False
    if s == "." or a == ".":
        return False
    if a in (",", "..."):
        return False
    if s == ",":
        return True
    if subject.kind == "ident" and subject.text == "in" and before and before.kind == "ident":
        return True
    if a == "[" and (subject.kind in ("ident", "number") or _bracket(subject) < 0):
        return False
    if s == "!":  # logical not: never a space after it
        return False
    if s == "-":
        if before is None:
            return False
        b = before.text if before.kind == "op" else None
        negation_after = {"(", "{", "[", "=", ":", ",", "?", "+", "*", "/", "%", "-", "==", "!="}
        negation_after |= {">", ">=", "<", "<=", "&&", "||", "!"}
        return b not in negation_after
    if s == "{" or a == "}":
        return not (s == "{" and a == "}")
    if _bracket(subject) > 0:
        return False
    return not _bracket(after) < 0


def _join(tokens: list[Token]) -> str:
    out = ""
    for i, token in enumerate(tokens):
        out += token.text
        before = tokens[i - 1] if i else None
        after = tokens[i + 1] if i + 1 < len(tokens) else None
        if _space_after(token, before, after):
            out += " "
    return out


def _lines(text: str) -> list[Line]:
    lines: list[Line] = []
    heredoc: str | None = None
    for raw in text.split("\n"):
        if heredoc is not None:
            lines.append(Line(raw=raw))
            if raw.strip() == heredoc:
                heredoc = None
            continue
        tokens = tokenize_line(raw)
        line = Line(lead=tokens)
        for token in tokens:
            if token.kind == "heredoc":
                heredoc = token.text.lstrip("<-")
        if len(tokens) > 1 and tokens[-1].kind == "comment":
            line.comment, line.lead = tokens[-1:], tokens[:-1]
        for i, token in enumerate(line.lead):
            if i > 0 and token.kind == "op" and token.text == "=":
                if sum(_bracket(t) for t in line.lead[i:]) == 0:
                    line.assign, line.lead = line.lead[i:], line.lead[:i]
                break
        lines.append(line)
    return lines


def format_hcl(text: str) -> str:
    """``text`` as ``terraform fmt`` would leave it (whitespace only)."""
    lines = _lines(text)
    indents: list[int] = []
    for line in lines:
        if line.raw is not None or not line.lead:
            continue
        net = sum(_bracket(t) for t in line.lead + line.assign)
        if net < 0:
            closed = -net
            while closed > 0 and indents:
                if closed > indents[-1]:
                    closed -= indents.pop()
                elif closed < indents[-1]:
                    indents[-1] -= closed
                    closed = 0
                else:
                    indents.pop()
                    closed = 0
        line.indent = 2 * len(indents)
        if net > 0:
            indents.append(net)
    rendered_lead = [" " * line.indent + _join(line.lead) if line.lead else "" for line in lines]
    assign_col = _align(
        [len(r) if line.assign else None for r, line in zip(rendered_lead, lines, strict=True)]
    )
    body: list[str] = []
    for line, lead, col in zip(lines, rendered_lead, assign_col, strict=True):
        if line.raw is not None:
            body.append(line.raw)
            continue
        text_line = lead
        if line.assign:
            text_line += " " * (col - len(lead) + 1) + _join(line.assign)
        body.append(text_line)
    comment_col = _align(
        [len(b) if line.comment else None for b, line in zip(body, lines, strict=True)]
    )
    for i, (line, col) in enumerate(zip(lines, comment_col, strict=True)):
        if line.comment:
            body[i] += " " * (col - len(body[i]) + 1) + line.comment[0].text
    return "\n".join(body)


def _align(widths: list[int | None]) -> list[int]:
    """For each chain of consecutive non-None widths, the chain's maximum."""
    result = [0] * len(widths)
    start = None
    for i, width in enumerate([*widths, None]):
        if width is not None and start is None:
            start = i
        if width is None and start is not None:
            longest = max(w for w in widths[start:i] if w is not None)
            for j in range(start, i):
                result[j] = longest
            start = None
    return result


def main(argv: list[str]) -> int:
    write = "--write" in argv
    status = 0
    for name in (a for a in argv if a != "--write"):
        path = Path(name)
        text = path.read_text(encoding="utf-8")
        formatted = format_hcl(text)
        if formatted != text:
            status = 1
            print(f"{path}: not formatted")
            if write:
                path.write_text(formatted, encoding="utf-8")
    return status


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
