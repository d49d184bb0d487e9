"""Scenario files: read YAML, follow ``extends:``, validate once, freeze.

Every problem becomes a :class:`~sim.errors.Problem` naming the file, the line
and the key path. The loader also remembers where each key came from (file and
line, through ``extends:`` chains) so that errors found after the schema, by
the consistency checks or when reading data files, point at the right line.

Overriding conventions in a file that ``extends:`` another:
- mappings merge key by key, any other value replaces the base's;
- ``key+: [...]`` appends to the base's list ``key`` instead of replacing it.
"""

from __future__ import annotations

import datetime as dt
import difflib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ValidationError

from sim.errors import Problem, ScenarioError
from sim.scenario.schema import Scenario

KeyPath = tuple[str | int, ...]

#: Keys whose string values are paths relative to the file that names them.
PATH_KEYS = frozenset({"csv"})


class _YamlLoader(yaml.SafeLoader):
    """Safe loader that keeps dates as strings (pydantic parses them) and
    rejects duplicate keys."""


_YamlLoader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


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
        return Problem(message, file=file, line=line, key=format_path(path))


def format_path(path: KeyPath) -> str:
    """``zones.North.demand`` / ``links[0].capacity_mw``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


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
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(Problem("file not found", file)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(Problem(f"cannot read the file ({exc})", file)) from None
    try:
        node = yaml.compose(text, Loader=_YamlLoader)
        data = yaml.load(text, Loader=_YamlLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        raise ScenarioError(Problem(f"YAML syntax error: {what}", file, line)) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(Problem(f"YAML error: {exc}", file)) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
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


def apply_overrides(src: Source, overrides: typing.Iterable[str]) -> None:
    """Apply ``KEY.PATH=VALUE`` overrides (values are YAML) in place."""
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise ScenarioError(Problem(f"expected KEY=VALUE, got {item!r}", "--set"))
        try:
            value = yaml.load(raw, Loader=_YamlLoader)
        except yaml.YAMLError as exc:
            what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise ScenarioError(Problem(f"value is not YAML ({what}): {raw!r}", "--set", key=key)) from None
        parts: list[str | int] = [int(p) if p.isdigit() else p for p in key.split(".")]
        node = src.data
        for i, part in enumerate(parts):
            here = tuple(parts[:i])
            last = i == len(parts) - 1
            if isinstance(node, list):
                if not (isinstance(part, int) and part < len(node)):
                    raise ScenarioError(
                        Problem(
                            f"no item {part} to set; the list has {len(node)}",
                            "--set",
                            key=format_path((*here, part)),
                        )
                    )
            elif isinstance(node, dict):
                if part not in node:
                    # A key the file leaves out may be set if the schema has it.
                    model = _model_at(here, src.data)
                    fields = sorted(f.alias or n for n, f in model.model_fields.items()) if model else []
                    if part not in fields:
                        valid = fields or sorted(map(str, node))
                        close = difflib.get_close_matches(str(part), valid, n=1)
                        hint = f"; did you mean '{close[0]}'?" if close else f"; expected one of {valid}"
                        raise ScenarioError(
                            Problem(f"unknown key '{part}'{hint}", "--set", key=format_path((*here, part)))
                        )
                    if not last:
                        node[part] = {}
            else:
                raise ScenarioError(Problem("no such key to set", "--set", key=format_path((*here, part))))
            if last:
                node[part] = value
            else:
                node = node[part]
        src.origins[tuple(parts)] = ("--set", None)


# ------------------------------------------------------------------ schema errors


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


def _model_at(path: KeyPath, data: Any) -> type[BaseModel] | None:
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


def _data_path(loc: tuple, data: Any) -> KeyPath:
    """The part of a pydantic error location that exists in the data."""
    out: list[str | int] = []
    for part in loc:
        in_dict = isinstance(data, dict) and part in data
        in_list = isinstance(data, list) and isinstance(part, int) and part < len(data)
        if in_dict or in_list:
            data = data[part]
            out.append(part)
    return tuple(out)


def _message(err: dict, path: KeyPath, data: dict) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        model = _model_at(path[:-1], data)
        allowed = sorted(f.alias or n for n, f in model.model_fields.items()) if model else []
        msg = f"unknown key '{path[-1]}'"
        close = difflib.get_close_matches(str(path[-1]), allowed, n=1, cutoff=0.6)
        if close:
            msg += f"; did you mean '{close[0]}'?"
        elif allowed:
            msg += f"; allowed keys: {', '.join(allowed)}"
        return msg
    if kind == "missing":
        return "required key is missing"
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if (
        "input" in err
        and kind not in ("model_type", "dict_type")
        and not isinstance(err["input"], (dict, list))
    ):
        msg += f" (got {err['input']!r})"
    return msg


def _schema_problems(src: Source, exc: ValidationError) -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        path = _data_path(loc, src.data)
        if err["type"] == "missing":
            path = (*path, loc[-1]) if loc and loc[-1] not in path[-1:] else path
        problems.append(src.problem(path, _message(err, path, src.data)))
    return problems


# ------------------------------------------------------------ consistency checks


def consistency_problems(sc: Scenario, src: Source) -> list[Problem]:
    """Cross-reference checks the schema cannot express, each with its key path."""
    p: list[Problem] = []
    zones = list(sc.zones)

    def unknown(path: KeyPath, name: str, valid: list[str], what: str) -> None:
        close = difflib.get_close_matches(name, valid, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else f"; expected one of {valid}"
        p.append(src.problem(path, f"unknown {what} '{name}'{hint}"))

    try:
        ZoneInfo(sc.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        p.append(src.problem(("timezone",), f"unknown IANA time zone '{sc.timezone}'"))
    if sc.end <= sc.start:
        p.append(src.problem(("end",), f"end ({sc.end}) must be after start ({sc.start})"))
    else:
        ratio = sc.horizon_h / sc.step_h
        if abs(ratio - round(ratio)) > 1e-6:
            p.append(src.problem(("step_h",), "step_h must divide the time from start to end"))
    if not zones:
        p.append(src.problem(("zones",), "at least one zone is needed"))
    for name in sc.outside:
        if name in sc.zones:
            p.append(src.problem(("outside",), f"'{name}' is both a zone and an outside system"))

    def in_horizon(path: KeyPath, when: dt.datetime) -> None:
        if not sc.start <= when <= sc.end:
            p.append(src.problem(path, f"{when} is outside the scenario ({sc.start} to {sc.end})"))

    for i, fleet in enumerate(sc.generation.units):
        if fleet.zone not in sc.zones:
            unknown(("generation", "units", i, "zone"), fleet.zone, zones, "zone")
    names = [f.name for f in sc.generation.units]
    for i, name in enumerate(names):
        if names.index(name) != i:
            p.append(
                src.problem(
                    ("generation", "units", i, "name"),
                    f"fleet name '{name}' is used twice (shocks find fleets by name)",
                )
            )
    seen_pairs: dict[frozenset, int] = {}
    parent = {z: z for z in zones}

    def root(z: str) -> str:
        while parent[z] != z:
            z = parent[z]
        return z

    link_names = [link.name for link in sc.links]
    for i, link in enumerate(sc.links):
        if link.to not in sc.zones:
            unknown(("links", i, "to"), link.to, zones, "zone")
            continue
        if link.from_ not in sc.zones and link.from_ not in sc.outside:
            unknown(("links", i, "from"), link.from_, zones + list(sc.outside), "zone or outside system")
            continue
        if link.from_ == link.to:
            p.append(src.problem(("links", i), "a link must join two different zones"))
            continue
        if link_names.count(link.name) > 1:
            p.append(src.problem(("links", i, "name"), f"link name '{link.name}' is used twice"))
        if link.from_ in sc.zones:
            pair = frozenset((link.from_, link.to))
            if pair in seen_pairs:
                p.append(
                    src.problem(
                        ("links", i),
                        f"zones {sorted(pair)} are already joined by link {seen_pairs[pair]}; "
                        "give one link with capacities each way",
                    )
                )
                continue
            seen_pairs[pair] = i
            a, b = root(link.from_), root(link.to)
            if a == b:
                p.append(
                    src.problem(
                        ("links", i),
                        "links between zones must not form a loop (the transfer model needs a tree)",
                    )
                )
            parent[a] = b
    for i, pop in enumerate(sc.mining.populations):
        if pop.zone not in sc.zones:
            unknown(("mining", "populations", i, "zone"), pop.zone, zones, "zone")
    for i, order in enumerate(sc.operator.orders):
        for z in order.zones:
            if z not in sc.zones:
                unknown(("operator", "orders", i, "zones"), z, zones, "zone")
        if order.end is not None and order.end <= order.start:
            p.append(src.problem(("operator", "orders", i, "end"), "end must be after start"))
    for i, shock in enumerate(sc.shocks):
        path: KeyPath = ("shocks", i)
        if shock.end is not None and shock.end <= shock.start:
            p.append(src.problem((*path, "end"), "end must be after start"))
        in_horizon((*path, "start"), shock.start)
        for z in getattr(shock, "zones", ()):
            if z not in sc.zones:
                unknown((*path, "zones"), z, zones, "zone")
        zone = getattr(shock, "zone", None)
        if zone is not None and zone not in sc.zones:
            unknown((*path, "zone"), zone, zones, "zone")
        for name in getattr(shock, "links", ()):
            if name not in link_names:
                unknown((*path, "links"), name, link_names, "link")
        fleet_name = getattr(shock, "fleet", None)
        if fleet_name is not None:
            if fleet_name not in names:
                unknown((*path, "fleet"), fleet_name, names, "fleet")
            elif shock.units > sc.generation.units[names.index(fleet_name)].count:
                p.append(src.problem((*path, "units"), f"fleet '{fleet_name}' has fewer units"))
    if sc.target is not None:
        in_horizon(("target", "by"), sc.target.by)
    return p


def load_scenario(
    path: str | Path, overrides: typing.Iterable[str] = (), check_data: bool = True
) -> Scenario:
    """Read, merge, validate and freeze a scenario file.

    ``overrides`` are ``KEY.PATH=VALUE`` strings (``--set``). Plant tables are
    expanded into fleets. Raises :class:`ScenarioError` listing every problem.
    """
    from sim.scenario.plants import expand_plant_tables

    src = load_source(path)
    apply_overrides(src, overrides)
    try:
        sc = Scenario.model_validate(src.data)
    except ValidationError as exc:
        raise ScenarioError(_schema_problems(src, exc)) from None
    sc = expand_plant_tables(sc, src)
    problems = consistency_problems(sc, src)
    if problems:
        raise ScenarioError(problems)
    if check_data:
        from sim.model.demand import check_demand_files

        try:
            check_demand_files(sc, src)
        except ScenarioError as exc:
            raise ScenarioError([_locate_in_scenario(p, sc, src) for p in exc.problems]) from None
    return sc


def _locate_in_scenario(problem: Problem, sc: Scenario, src: Source) -> Problem:
    """A problem with a whole data file (no line in it) is reported at the scenario
    line that names the file, with the file's path in the message."""
    if problem.line is not None:
        return problem
    for name, zone in sc.zones.items():
        csv = getattr(zone.demand, "csv", None)
        if csv is not None and str(csv) == problem.file:
            path = ("zones", name, "demand", "csv")
            return src.problem(path, f"{problem.file}: {problem.message}")
    return problem


def dump_scenario(sc: Scenario) -> str:
    """The fully resolved scenario as YAML (every default filled in)."""
    data = sc.model_dump(mode="json", by_alias=True)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
