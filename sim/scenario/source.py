"""Scenario files as raw data: read YAML, follow ``extends:``, apply ``--set``.

The :class:`Source` remembers where each key came from (file and line, through
``extends:`` chains) so that problems found later, by the schema, the consistency
checks or when reading data files, point at the right line.

Overriding conventions in a file that ``extends:`` another:
- mappings merge key by key, any other value replaces the base's;
- ``key+: [...]`` appends to the base's list ``key`` instead of replacing it.

``--set KEY.PATH=VALUE`` overrides name keys by dots (``links.0.capacity_mw``);
:func:`resolve_key` is the one check that such a key exists (sweeps use it too).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from sim.errors import KeyPath, Problem, ScenarioError, did_you_mean, format_path
from sim.scenario.files import MAX_YAML_BYTES, read_bytes
from sim.scenario.schema import Scenario
from sim.scenario.yamlsafe import parse_yaml

__all__ = [
    "KeyPath",
    "Source",
    "apply_overrides",
    "format_path",
    "load_source",
    "model_at",
    "read_yaml",
    "resolve_key",
    "schema_keys",
    "split_key",
]

#: Keys whose string values are paths relative to the file that names them.
PATH_KEYS = frozenset({"csv"})
#: Where problems with ``--set`` values are reported (they are in no file).
SET = "--set"


@dataclass
class Source:
    """Raw data of a scenario with the origin (file, line) of every key."""

    data: dict[str, Any]
    origins: dict[KeyPath, tuple[str, int | None]] = field(default_factory=dict)
    """File and line of every key; ``()`` is the top mapping (its first key)."""
    files: list[str] = field(default_factory=list)

    def where(self, path: KeyPath) -> tuple[str | None, int | None]:
        """File and line of the deepest known prefix of ``path``."""
        for n in range(len(path), -1, -1):
            if path[:n] in self.origins:
                return self.origins[path[:n]]
        return (self.files[-1] if self.files else None), None

    def problem(self, path: KeyPath, message: str) -> Problem:
        """A problem located at ``path``."""
        file, line = self.where(path)
        return Problem(message, file=file, line=line, key=path)


def _positions(node: yaml.Node, file: str, path: KeyPath, out: dict) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                raise ScenarioError(
                    Problem(
                        "duplicate key (each key may appear once in a mapping)",
                        file,
                        key_node.start_mark.line + 1,
                        format_path((*path, key)),
                    )
                )
            seen.add(key)
            out[(*path, key)] = (file, key_node.start_mark.line + 1)
            _positions(value_node, file, (*path, key), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out[(*path, i)] = (file, item.start_mark.line + 1)
            _positions(item, file, (*path, i), out)


def read_yaml(path: Path) -> Source:
    """Read one YAML file (no ``extends:``) with the line of every key."""
    file = str(path)
    raw = read_bytes(path, "scenario file", MAX_YAML_BYTES, missing="file not found")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(Problem(f"not UTF-8 text (byte {exc.start} cannot be decoded)", file)) from None
    node, data = parse_yaml(text, file)
    if data is None:
        data = {}
    if not isinstance(data, dict):  # its content is not quoted: it may be any file
        raise ScenarioError(Problem("a scenario file must be a mapping of keys", file, 1))
    origins: dict[KeyPath, tuple[str, int | None]] = {(): (file, node.start_mark.line + 1 if node else 1)}
    _positions(node, file, (), origins)
    _resolve_paths(data, path.parent)
    return Source(data, origins, [file])


def _resolve_paths(data: Any, base: Path) -> None:
    if isinstance(data, dict):
        for key, value in data.items():
            if key in PATH_KEYS and isinstance(value, str):
                data[key] = str((base / value).resolve())
            else:
                _resolve_paths(value, base)
    elif isinstance(data, list):
        for item in data:
            _resolve_paths(item, base)


def _merge(base: Source, over: Source, path: KeyPath = ()) -> None:
    """Deep-merge ``over`` into ``base`` in place, origins included."""
    b = _get(base.data, path)
    o = _get(over.data, path)
    for key, value in o.items():
        if isinstance(key, str) and key.endswith("+"):
            name = key[:-1]
            old = b.get(name, [])
            if not isinstance(value, list) or not isinstance(old, list):
                raise ScenarioError(over.problem((*path, key), "'key+' appends a list to a list"))
            for i in range(len(value)):
                _copy_origins(over, (*path, key, i), base, (*path, name, len(old) + i))
            b[name] = old + value
            continue
        if isinstance(value, dict) and isinstance(b.get(key), dict):
            base.origins[(*path, key)] = over.origins.get((*path, key), ("", 0))
            _merge(base, over, (*path, key))
            continue
        for k in [k for k in base.origins if k[: len(path) + 1] == (*path, key)]:
            del base.origins[k]
        _copy_origins(over, (*path, key), base, (*path, key))
        b[key] = value


def _copy_origins(src: Source, src_path: KeyPath, dst: Source, dst_path: KeyPath) -> None:
    n = len(src_path)
    for k, v in src.origins.items():
        if k[:n] == src_path:
            dst.origins[dst_path + k[n:]] = v


def _get(data: Any, path: KeyPath) -> Any:
    for part in path:
        data = data[part]
    return data


def load_source(path: str | Path, _chain: tuple[Path, ...] = ()) -> Source:
    """Read a scenario file and the files it ``extends:``, merged."""
    path = Path(path).resolve() if _chain else Path(path)
    real = path.resolve()
    src = read_yaml(path)
    parent = src.data.pop("extends", None)
    if parent is None:
        return src
    if not isinstance(parent, str):
        raise ScenarioError(src.problem(("extends",), "expected the path of a scenario file"))
    parent_path = (real.parent / parent).resolve()
    if not parent_path.exists():
        raise ScenarioError(src.problem(("extends",), f"file not found: {parent_path}"))
    if parent_path in (*_chain, real):
        cycle = " -> ".join(p.name for p in (*_chain, real, parent_path))
        raise ScenarioError(
            src.problem(("extends",), f"files extend each other in a cycle ({cycle}); remove one extends:")
        )
    base = load_source(parent_path, (*_chain, real))
    _merge(base, src)
    base.origins[()] = src.origins[()]
    base.files.append(src.files[-1])
    return base


def split_key(key: str) -> KeyPath:
    """``links.0.capacity_mw`` -> ``("links", 0, "capacity_mw")``: digits are list indices."""
    return tuple(int(p) if p.isdigit() else p for p in key.split("."))


def resolve_key(data: Any, key: str | KeyPath) -> Problem | None:
    """A problem if the dotted ``key`` cannot be set in the scenario ``data``, else None.

    ``data`` is a scenario's raw data or its dump (``model_dump(by_alias=True)``,
    whose sequences are tuples); a key that the data leaves out (or sets to null)
    may be set where the schema has it. The problem is reported at ``--set`` with
    the key path up to the part that is wrong: an unknown key (with a did-you-mean
    hint), an index past a list's end, a key below a plain value.
    """
    parts = split_key(key) if isinstance(key, str) else key
    node = data
    for i, part in enumerate(parts):
        here, at = parts[:i], parts[: i + 1]
        if node is None and model_at(here, data) is not None:
            node = {}  # a section left out: its keys are the schema's
        if isinstance(node, list | tuple):
            if not (isinstance(part, int) and part < len(node)):
                return Problem(f"no item {part} to set; the list has {len(node)}", SET, key=at)
            node = node[part]
        elif isinstance(node, dict):
            if part not in node:
                valid = schema_keys(model_at(here, data)) or sorted(map(str, node))
                if part not in valid:
                    hint = did_you_mean(str(part), valid, f"expected one of {valid}")
                    return Problem(f"unknown key '{part}'{hint}", SET, key=at)
            node = node.get(part)
        else:
            return Problem("no such key to set", SET, key=at)
    return None


def apply_overrides(src: Source, overrides: Iterable[str]) -> None:
    """Apply ``KEY.PATH=VALUE`` overrides (values are YAML) in place."""
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise ScenarioError(Problem(f"expected KEY=VALUE, got {item!r}", SET))
        try:
            _, value = parse_yaml(raw, SET)
        except ScenarioError as exc:
            what = exc.problems[0].message.removeprefix("YAML syntax error: ")
            raise ScenarioError(Problem(f"value is not YAML ({what}): {raw!r}", SET, key=key)) from None
        parts = split_key(key)
        problem = resolve_key(src.data, parts)
        if problem is not None:
            raise ScenarioError(problem)
        node = src.data
        for part in parts[:-1]:
            if isinstance(node, dict) and node.get(part) is None:
                node[part] = {}  # a section the file leaves out
            node = node[part]
        node[parts[-1]] = value
        src.origins[parts] = (SET, None)


# ------------------------------------------------------------ the schema at a key


def _unwrap(tp: Any, value: Any) -> Any:
    """Strip Annotated/Optional; pick a union member by the data's ``type``/``csv``."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(tp) if a is not type(None)]
            models = [_unwrap(m, value) for m in members]
            models = [m for m in models if isinstance(m, type) and issubclass(m, BaseModel)]
            if isinstance(value, dict):
                for m in models:
                    t = m.model_fields.get("type")
                    if t is not None and value.get("type") in typing.get_args(t.annotation):
                        return m
                for m in models:
                    if set(value) & set(m.model_fields) - {"type"}:
                        return m
            return models[0] if models else (members[0] if members else tp)
        return tp


def model_at(path: KeyPath, data: Any) -> type[BaseModel] | None:
    """The schema model of the mapping at ``path`` in scenario ``data`` (None: not a model)."""
    tp: Any = Scenario
    for part in path:
        tp = _unwrap(tp, data)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            fields = {f.alias or n: f for n, f in tp.model_fields.items()}
            if part not in fields:
                return None
            tp = fields[part].annotation
        else:
            args = typing.get_args(tp)
            tp = args[-1] if args else Any
            if typing.get_origin(tp) is None and tp is Ellipsis:
                tp = args[0]
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            data = None
    tp = _unwrap(tp, data)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def schema_keys(model: type[BaseModel] | None) -> list[str]:
    """The keys a scenario may give in a mapping of type ``model``, sorted."""
    return sorted(f.alias or n for n, f in model.model_fields.items()) if model else []
