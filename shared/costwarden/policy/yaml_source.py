"""YAML reading that keeps what a policy validator needs and PyYAML throws away.

PyYAML's ``safe_load`` answers "what data is this?", but a policy loader must also answer
"where was it written?" and "what exactly was typed?":

* **Lines.** We compose the node tree first (every node carries its start mark) and construct
  the data from that same tree, so each validation error can be mapped back to a line.
* **Typed text.** YAML 1.1 reads ``123456789012`` as an int, ``012345670123`` as an *octal* int
  (1402433619!) and ``1:30`` as 90. Account ids, budget names and scopes are text, so every
  implicitly resolved number is constructed as ``SourceInt``/``SourceFloat``: a real number that
  remembers its source text. String-typed policy fields take the source text; number fields use
  the number. Nothing is lost and nobody has to remember to quote account ids.
* **Duplicate keys.** PyYAML silently keeps the last of two equal keys in a mapping; a policy
  with two ``platform:`` teams is a mistake we must report, not resolve.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

#: A path into the data, as pydantic reports it: mapping keys and list indexes.
Loc = tuple[object, ...]

_MERGE_TAG = "tag:yaml.org,2002:merge"


class SourceInt(int):
    """An int read from YAML, remembering the text it was written as (leading zeros and all)."""

    yaml_source: str

    def __new__(cls, value: int, source: str) -> SourceInt:
        obj = super().__new__(cls, value)
        obj.yaml_source = source
        return obj


class SourceFloat(float):
    """A float read from YAML, remembering the text it was written as."""

    yaml_source: str

    def __new__(cls, value: float, source: str) -> SourceFloat:
        obj = super().__new__(cls, value)
        obj.yaml_source = source
        return obj


def source_text(value: object) -> str | None:
    """The text a scalar was written as, when it was read as a number; else None."""
    if isinstance(value, SourceInt | SourceFloat):
        return value.yaml_source
    return None


class _PolicyLoader(yaml.SafeLoader):
    """SafeLoader whose numbers remember their source text (see the module docstring)."""

    def _int(self, node: ScalarNode) -> SourceInt:
        return SourceInt(self.construct_yaml_int(node), str(node.value))

    def _float(self, node: ScalarNode) -> SourceFloat:
        return SourceFloat(self.construct_yaml_float(node), str(node.value))


# add_constructor copies the registry on first use, so SafeLoader itself is left untouched.
_PolicyLoader.add_constructor("tag:yaml.org,2002:int", _PolicyLoader._int)
_PolicyLoader.add_constructor("tag:yaml.org,2002:float", _PolicyLoader._float)


@dataclass(frozen=True)
class YamlDocument:
    """The constructed data, the node tree it came from, and its repeated keys."""

    data: object
    root: Node | None
    #: ``(loc, line, first_line)`` per key repeated within one mapping.
    duplicates: tuple[tuple[Loc, int, int], ...]


def read_yaml(text: str) -> YamlDocument:
    """Compose and construct one YAML document. Raises ``yaml.YAMLError`` (with marks)."""
    loader = _PolicyLoader(text)
    try:
        root = loader.get_single_node()
        # Before constructing: SafeConstructor resolves merge keys (<<) by rewriting the
        # mapping nodes in place, after which merged keys would look like duplicates.
        duplicates = tuple(duplicate_keys(root))
        data = None if root is None else loader.construct_document(root)
    finally:
        loader.dispose()
    return YamlDocument(data=data, root=root, duplicates=duplicates)


def line_of(node: Node) -> int:
    """1-based line where a node starts."""
    return int(node.start_mark.line) + 1


def duplicate_keys(root: Node | None) -> Iterator[tuple[Loc, int, int]]:
    """Yield ``(loc, line, first_line)`` for each key repeated within one mapping.

    Merge keys (``<<``) are exempt: overriding a merged key is what they are for.
    """
    if root is None:
        return
    seen: set[int] = set()  # an alias reuses a node; a recursive anchor would loop forever
    stack: list[tuple[Node, Loc]] = [(root, ())]
    while stack:
        node, loc = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            first: dict[str, int] = {}
            for key, value in node.value:
                if key.tag == _MERGE_TAG or not isinstance(key, ScalarNode):
                    continue
                name = str(key.value)
                if name in first:
                    yield (*loc, name), line_of(key), first[name]
                else:
                    first[name] = line_of(key)
                stack.append((value, (*loc, name)))
        elif isinstance(node, SequenceNode):
            stack.extend((item, (*loc, i)) for i, item in enumerate(node.value))


def key_text(part: object) -> str:
    """How a loc part reads in the file: a number keeps its source text."""
    return source_text(part) or str(part)


def line_for(root: Node | None, loc: Loc) -> int:
    """The line a loc points at, or its nearest existing parent's line.

    A mapping entry's line is its key's (where a reader looks for ``team:``); a list item's is
    the item's own. A missing field (or one brought in by a merge key) falls back to the
    deepest ancestor that is written in the file.
    """
    if root is None:
        return 1
    node: Node = root
    line = line_of(root)
    for part in loc:
        if isinstance(node, MappingNode):
            found = _mapping_entry(node, key_text(part))
            if found is None:
                break
            key, node = found
            line = line_of(key)
        elif isinstance(node, SequenceNode) and isinstance(part, int):
            if not 0 <= part < len(node.value):
                break
            node = node.value[part]
            line = line_of(node)
        else:
            break
    return line


def _mapping_entry(node: MappingNode, name: str) -> tuple[Node, Node] | None:
    # The last equal key wins, as in the constructed data (duplicates are reported anyway).
    match = None
    for key, value in node.value:
        if isinstance(key, ScalarNode) and key.tag != _MERGE_TAG and str(key.value) == name:
            match = (key, value)
    return match
