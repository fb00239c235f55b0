"""Load a policy file and report every problem at once as ``file:line: field.path: message``.

Steps: read the text; compose the YAML node tree (syntax errors carry YAML's own line);
report duplicate keys; check ``version`` first (a file for another schema version is not
worth validating field by field); validate with pydantic and map each error's ``loc`` to the
line of the node it names (or of the nearest parent that is written in the file); add the
cross-field problems; sort by line. One run tells the author everything that is wrong.
"""

from __future__ import annotations

import difflib
import functools
import types
import typing
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from costwarden.errors import PolicyError
from costwarden.policy.fields import describe_value
from costwarden.policy.schema import (
    CROSS_FIELD_ERROR,
    PLANNED_SECTIONS,
    Policy,
    cross_field_problems,
    dotted,
    version_problem,
)
from costwarden.policy.yaml_source import Loc, YamlDocument, line_for, read_yaml, source_text

DEFAULT_POLICY_SOURCE = "costwarden/policy/default.yaml"

#: (line, field path, message): sorted, then formatted with the source name.
_Problem = tuple[int, str, str]


def load_policy(path: str | Path) -> Policy:
    """Read and validate a policy file. Raises ``PolicyError`` listing every problem."""
    source = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise PolicyError([f"{source}: (file): no such file"]) from None
    except OSError as exc:
        raise PolicyError([f"{source}: (file): cannot read: {exc.strerror or exc}"]) from None
    try:
        # utf-8-sig: editors on Windows like to start files with a byte-order mark.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        bad = raw[exc.start : exc.start + 1].hex()
        raise PolicyError([f"{source}:{line}: (file): not UTF-8 text (byte 0x{bad})"]) from None
    return load_policy_text(text, source=source)


def load_policy_text(text: str, *, source: str = "<policy>") -> Policy:
    """Validate policy YAML text; ``source`` names it in messages. Raises ``PolicyError``."""
    try:
        doc = read_yaml(text)
    except yaml.MarkedYAMLError as exc:
        raise PolicyError([_yaml_problem(source, exc)]) from None
    except yaml.YAMLError as exc:  # unmarked: rare (e.g. a reader error without position)
        raise PolicyError([f"{source}:1: (yaml): {exc}"]) from None
    except ValueError as exc:  # an unquoted impossible date: PyYAML's constructor raises
        raise PolicyError([_bad_timestamp(source, text, exc)]) from None

    problems = [
        (
            line,
            dotted(loc),
            f"duplicate key: first written on line {first}; YAML would keep only "
            "the last one silently",
        )
        for loc, line, first in doc.duplicates
    ]
    data = doc.data
    if not isinstance(data, Mapping):
        _raise(source, [*problems, _root_problem(doc)])

    def at(loc: Loc, message: str) -> _Problem:
        return (line_for(doc.root, loc), dotted(loc), message)

    if "version" not in data:
        problems.append(at(("version",), "required: start the file with 'version: 1'"))
    elif message := version_problem(data["version"]):
        problems.append(at(("version",), message))
        if isinstance(data["version"], int) and not isinstance(data["version"], bool):
            # Another schema version: field-by-field errors against v1 would be noise.
            _raise(source, problems)

    policy: Policy | None = None
    fallback: list[_Problem] = []
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        problems += [at(loc, _message(err)) for loc, err in _schema_errors(exc)]
        # Belt and braces: if the checks over raw data ever disagree with the model's own,
        # the model's verdict still surfaces instead of an empty PolicyError.
        fallback = [at(tuple(e["loc"]), _message(e)) for e in exc.errors()]
    problems += [at(loc, message) for loc, message in cross_field_problems(data)]
    if problems or policy is None:
        _raise(source, problems or fallback)
    return policy


@functools.cache
def default_policy() -> Policy:
    """The embedded default policy (``default.yaml``), used when no policy file is configured.

    Cached: ``Policy`` is frozen, so every caller can share one instance.
    """
    text = resources.files("costwarden.policy").joinpath("default.yaml").read_text("utf-8")
    return load_policy_text(text, source=DEFAULT_POLICY_SOURCE)


def _raise(source: str, problems: list[_Problem]) -> typing.NoReturn:
    ordered = sorted(set(problems), key=lambda p: (p[0], p[1], p[2]))
    raise PolicyError([f"{source}:{line}: {path}: {message}" for line, path, message in ordered])


def _root_problem(doc: YamlDocument) -> _Problem:
    if doc.data is None:
        message = "the policy is empty: it needs at least 'version: 1' and 'slack.default_channel'"
        return (1, "(root)", message)
    message = (
        f"a policy is a mapping of sections (version, slack, ...), got {describe_value(doc.data)}"
    )
    return (line_for(doc.root, ()), "(root)", message)


def _schema_errors(exc: ValidationError) -> list[tuple[Loc, ErrorDetails]]:
    out: list[tuple[Loc, ErrorDetails]] = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        if err["type"] == CROSS_FIELD_ERROR or loc[:1] == ("version",):
            continue  # reported from the raw data, with better locations
        if loc[-1:] == ("[key]",):
            loc = loc[:-1]  # a mapping key failed: point at the key itself
        out.append((loc, err))
    return out


def _bad_timestamp(source: str, text: str, exc: ValueError) -> str:
    """Where YAML met a date that does not exist (``2026-13-01``, unquoted), and what to do."""
    loader = yaml.SafeLoader(text)
    try:
        stack = [loader.get_single_node()]
        while stack:
            node = stack.pop()
            if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:timestamp":
                try:
                    loader.construct_yaml_timestamp(node)
                except ValueError as bad:
                    return (
                        f"{source}:{node.start_mark.line + 1}: (yaml): {node.value!r} reads as "
                        f"a date but is not one ({bad}); quote it if it is text"
                    )
            elif isinstance(node, yaml.MappingNode):
                stack.extend(item for pair in node.value for item in pair)
            elif isinstance(node, yaml.SequenceNode):
                stack.extend(node.value)
    finally:
        loader.dispose()
    return f"{source}:1: (yaml): {exc}"


def _yaml_problem(source: str, exc: yaml.MarkedYAMLError) -> str:
    mark = exc.problem_mark or exc.context_mark
    line = int(mark.line) + 1 if mark is not None else 1
    message = str(exc.problem or exc.context or "invalid YAML")
    if exc.context and exc.problem:
        message = f"{exc.context}: {exc.problem}"
        started = exc.context_mark
        if started is not None and int(started.line) + 1 != line:
            message += f" (the construct started on line {started.line + 1})"
    if "'\\t'" in message:
        message += "; indent YAML with spaces, not tabs"
    elif "block" in message:
        message += "; check the indentation"
    return f"{source}:{line}: (yaml): {message}"


_REWORDED = {
    "missing": "required field missing",
    "model_type": "expected a mapping, got {value}",
    "model_attributes_type": "expected a mapping, got {value}",
    "dict_type": "expected a mapping, got {value}",
    "tuple_type": "expected a list, got {value}",
    "list_type": "expected a list, got {value}",
    "float_type": "expected a number, got {value}",
    "float_parsing": "expected a number, got {value}",
    "int_type": "expected a whole number, got {value}",
    "int_parsing": "expected a whole number, got {value}",
    "literal_error": "must be one of {expected}, got {shown}",
    "greater_than_equal": "must be {ge:g} or more, got {shown}",
    "greater_than": "must be more than {gt:g}, got {shown}",
    "less_than_equal": "must be {le:g} or less, got {shown}",
    "too_short": "must have at least {min_length} item(s)",
    "bool_type": "expected true or false, got {value}",
    "bool_parsing": "expected true or false, got {value}",
}


def _message(err: ErrorDetails) -> str:
    """pydantic's message, reworded for someone editing YAML rather than calling Python."""
    ctx = err.get("ctx") or {}
    if "message" in ctx:  # our own validators (fields.fail) already speak the user's language
        return str(ctx["message"])
    if err["type"] == "extra_forbidden":
        return _unknown_key(tuple(err["loc"]))
    value = err.get("input")
    template = _REWORDED.get(err["type"])
    if template is None:
        return err["msg"][:1].lower() + err["msg"][1:]
    message = template.format(
        value=describe_value(value), shown=source_text(value) or repr(value), **ctx
    )
    if isinstance(value, str) and value.rstrip().endswith("%"):
        message += f" (write {value.rstrip().rstrip('%').strip()}, without the %)"
    return message


def _unknown_key(loc: Loc) -> str:
    key = source_text(loc[-1]) or str(loc[-1])
    model = _model_at(loc[:-1])
    allowed = sorted(model.model_fields) if model else []
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    if model is Policy:
        if key in PLANNED_SECTIONS:
            return (
                f"section {key!r} is not supported by this costwarden yet (it reads: "
                f"{', '.join(allowed)}); the file is refused rather than leave its rules "
                "unenforced"
            )
        return f"unknown section {key!r} (known: {', '.join(allowed)}){hint}"
    if not allowed:
        return f"unknown field {key!r}"
    return f"unknown field {key!r} (allowed: {', '.join(allowed)}){hint}"


def _model_at(loc: Loc) -> type[BaseModel] | None:
    """The schema model a loc points into, following fields, mapping keys and list indexes."""
    current: Any = Policy
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return None
            current = field.annotation
        elif typing.get_origin(current) in (dict, Mapping):
            current = typing.get_args(current)[1]
        elif typing.get_origin(current) in (tuple, list):
            current = typing.get_args(current)[0]
        else:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    """Strip ``Annotated[...]`` and ``X | None`` down to the type that holds the fields."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation
