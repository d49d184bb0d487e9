"""YAML text parsed within budgets: nesting depth and values after alias expansion.

A few hundred bytes of nested aliases (``&a [*b, *b, ...]``) describe billions of
values, and ``&a [*a]`` describes an infinite one; deep nesting overflows the
recursive composer. :func:`parse_yaml` composes the document once, refusing
nesting deeper than :data:`MAX_DEPTH` and more than :data:`MAX_VALUES` values
while it composes (a large file is not read to its end), then measures the
document as it would be once aliases are expanded (without expanding it) and
refuses a recursive alias, more than :data:`MAX_VALUES` values or an expanded
depth over :data:`MAX_DEPTH`; only then are Python objects built.

Dates stay strings (pydantic parses them), duplicate keys are found by the
caller on the node tree.
"""

from __future__ import annotations

from typing import Any

import yaml

from sim.errors import Problem, ScenarioError

#: Deepest nesting of mappings and lists, after alias expansion (the scenario
#: schema needs fewer than 10 levels).
MAX_DEPTH = 64
#: Most values (scalars, mappings and lists, keys included) after alias expansion
#: (the flagship scenario has about 630; composing 20,000 takes a fraction of a second).
MAX_VALUES = 20_000


class _TooDeep(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


class _TooMany(_TooDeep):
    pass


class YamlLoader(yaml.SafeLoader):
    """Safe loader that keeps dates as strings and refuses deep nesting while composing."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._nodes = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:  # type: ignore[override]
        self._depth += 1
        self._nodes += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _TooDeep(self.peek_event().start_mark.line + 1)
            if self._nodes > MAX_VALUES:  # long before the text is read to its end
                raise _TooMany(self.peek_event().start_mark.line + 1)
            return super().compose_node(parent, index)  # type: ignore[misc]
        finally:
            self._depth -= 1


YamlLoader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def measure(root: yaml.Node, file: str) -> tuple[int, int]:
    """``(values, depth)`` of the document once its aliases are expanded.

    Each distinct node is visited once (an alias is the node it names), so the
    cost grows with the text, not with the expansion. Raises
    :class:`ScenarioError` for a recursive alias or a budget exceeded.
    """
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, closing = stack.pop()
        key = id(node)
        if closing:
            kids = _children(node)
            size[key] = 1 + sum(size[id(k)] for k in kids)
            depth[key] = 1 + max((depth[id(k)] for k in kids), default=0)
            line = node.start_mark.line + 1
            if size[key] > MAX_VALUES:
                raise ScenarioError(
                    Problem(
                        f"YAML expands to more than {MAX_VALUES:,} values through aliases "
                        "(*name); write the values out or use fewer aliases",
                        file,
                        line,
                    )
                )
            if depth[key] > MAX_DEPTH:
                raise ScenarioError(
                    Problem(f"YAML nested deeper than {MAX_DEPTH} levels through aliases", file, line)
                )
            continue
        if key in size:
            continue
        if key in depth:  # opened and not closed: this node contains itself
            raise ScenarioError(
                Problem(
                    "YAML alias refers to a node that contains it (a recursive alias)",
                    file,
                    node.start_mark.line + 1,
                )
            )
        depth[key] = -1
        stack.append((node, True))
        stack.extend((k, False) for k in reversed(_children(node)))
    return size[id(root)], depth[id(root)]


def parse_yaml(text: str, file: str) -> tuple[yaml.Node | None, Any]:
    """The node tree (lines of keys) and the data of one YAML document, within budgets.

    Raises :class:`ScenarioError` at the file (and line, where known) for a syntax
    error, characters YAML does not allow, more than one document, nesting deeper
    than :data:`MAX_DEPTH` or more than :data:`MAX_VALUES` values after aliases.
    """
    loader = YamlLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        measure(node, file)
        return node, loader.construct_document(node)
    except _TooMany as exc:
        raise ScenarioError(Problem(f"YAML holds more than {MAX_VALUES:,} values", file, exc.line)) from None
    except _TooDeep as exc:
        raise ScenarioError(Problem(f"YAML nested deeper than {MAX_DEPTH} levels", file, exc.line)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        raise ScenarioError(Problem(f"YAML syntax error: {what}", file, line)) from None
    except yaml.reader.ReaderError as exc:
        char = ord(exc.character) if isinstance(exc.character, str) else exc.character
        raise ScenarioError(Problem(f"not YAML text: character #x{char:04x} is not allowed", file)) from None
    except yaml.YAMLError as exc:  # pragma: no cover - every error PyYAML raises is one of the above
        raise ScenarioError(Problem(f"YAML error: {type(exc).__name__}", file)) from None
    finally:
        loader.dispose()
