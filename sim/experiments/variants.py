"""Parameter grids for sweeps: ``--set KEY=V1,V2,...`` parsing, key checks,
typed values and the variants of a scenario, all validated before any run."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from sim.errors import Problem, ScenarioError
from sim.scenario.load import format_path, load_scenario
from sim.scenario.schema import Scenario
from sim.scenario.source import resolve_key, split_key


def split_values(raw: str) -> list[str]:
    """Split ``V1,V2,...`` at top-level commas (not inside ``[]``, ``{}`` or quotes)."""
    out, cur, depth, quote = [], [], 0, ""
    for ch in raw:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append("".join(cur).strip())
            cur = []
            continue
        cur.append(ch)
    out.append("".join(cur).strip())
    return out


def parse_grid(items: Iterable[str]) -> dict[str, list[str]]:
    """``["KEY=V1,V2", ...]`` -> ``{KEY: [V1, V2]}`` in the order given.

    Raises :class:`ScenarioError` for an item without ``=``, an empty key or
    value, a key given twice or a value repeated for a key.
    """
    grid: dict[str, list[str]] = {}
    problems = []
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            problems.append(Problem(f"expected KEY=V1,V2,..., got {item!r}", "--set"))
            continue
        values = split_values(raw)
        if any(v == "" for v in values):
            problems.append(
                Problem(f"empty value in {raw!r} (values are separated by commas)", "--set", key=key)
            )
            continue
        if key in grid:
            problems.append(
                Problem("key given twice; list all its values in one --set KEY=V1,V2", "--set", key=key)
            )
            continue
        dup = sorted({v for v in values if values.count(v) > 1})
        if dup:
            problems.append(Problem(f"value(s) {dup} given more than once", "--set", key=key))
            continue
        grid[key] = values
    if problems:
        raise ScenarioError(problems)
    return grid


def check_key(base: Scenario, key: str) -> Problem | None:
    """A problem if ``key`` (dotted path) cannot be set in the resolved scenario
    (the same check and message as ``--set``)."""
    return resolve_key(base.model_dump(by_alias=True), key)


def typed_values(values: list[str]) -> list[Any]:
    """The values as YAML scalars for the table: all numbers, all booleans, else strings."""
    parsed = []
    for v in values:
        try:
            parsed.append(yaml.safe_load(v))
        except yaml.YAMLError:
            parsed.append(v)
    if all(isinstance(p, bool) for p in parsed):
        return parsed
    if all(isinstance(p, int | float) and not isinstance(p, bool) for p in parsed):
        return parsed if all(isinstance(p, int) for p in parsed) else [float(p) for p in parsed]
    return list(values)


def load_variants(
    path: str | Path, grid: Mapping[str, Sequence[str]], overrides: Sequence[str] = ()
) -> tuple[Scenario, list[tuple[dict[str, str], Scenario]]]:
    """The base scenario and every variant of the grid, all validated before any runs.

    Raises one :class:`ScenarioError` listing each distinct problem, with the
    ``--set`` key that caused it (and no line number: it is not in a file).
    """
    base = load_scenario(path, overrides)
    problems = [p for p in (check_key(base, k) for k in grid) if p is not None]
    if problems:
        raise ScenarioError(problems)
    variants = []
    seen: dict[str, Problem] = {}
    keys = list(grid)
    for combo in itertools.product(*(grid[k] for k in keys)):
        assign = dict(zip(keys, combo, strict=True))
        try:
            sc = load_scenario(path, [*overrides, *(f"{k}={v}" for k, v in assign.items())])
        except ScenarioError as exc:
            dotted = {format_path(split_key(k)): k for k in assign}
            for p in exc.problems:
                if p.file == "--set":
                    p.line = None
                    if p.key in dotted:
                        k = dotted[p.key]
                        p.message += f" (from --set {k}={assign[k]})"
                seen.setdefault(p.render(), p)
            continue
        variants.append((assign, sc))
    if seen:
        raise ScenarioError(list(seen.values()))
    return base, variants
