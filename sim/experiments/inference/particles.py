"""From values of the unknowns to a scenario and its per-replication rows, and
the checks of a calibration file against its scenario.

A :class:`ParameterMap` holds the scenario as data (its JSON dump, every default
resolved) and sets the unknowns' keys and the derived keys on a copy of the
paths it changes, then validates the result with the scenario schema: the same
rules as ``--set``, at about a millisecond a particle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from sim.errors import KeyPath, Problem, ScenarioError, did_you_mean, format_path
from sim.experiments.inference.expr import Expression
from sim.experiments.inference.priors import Prior, make_prior
from sim.experiments.inference.spec import Calibration
from sim.model.operator import run_replication
from sim.model.replication import prepare
from sim.results.metrics import evaluate
from sim.scenario.load import load_scenario
from sim.scenario.schema import Scenario
from sim.scenario.source import SET, Source, resolve_key, split_key

Row = dict[str, float]
#: Prior quantiles at which every unknown is tried when the file is read (where its
#: bounds are not finite).
EDGES = (0.001, 0.999)


@dataclass(frozen=True)
class Setting:
    """A scenario key that the calibration sets: from an unknown or an expression."""

    key: str
    parts: KeyPath
    unknown: str | None = None
    expression: Expression | None = None


def _set(data: Any, parts: KeyPath, value: Any) -> Any:
    """A copy of ``data`` with ``value`` at ``parts`` (only the containers on the path are copied)."""
    if not parts:
        return value
    head, rest = parts[0], parts[1:]
    if isinstance(data, list):
        out = list(data)
        out[head] = _set(out[head], rest, value)  # type: ignore[index]
        return out
    out = dict(data or {})
    out[head] = _set(out.get(head), rest, value)
    return out


class ParameterMap:
    """Sets a calibration's unknowns in a scenario."""

    def __init__(self, scenario: Scenario, cal: Calibration) -> None:
        self.scenario_ = scenario
        self.data = scenario.model_dump(mode="json", by_alias=True)
        self.priors: dict[str, Prior] = {n: make_prior(n, u) for n, u in cal.unknowns.items()}
        self.names = tuple(cal.unknowns)
        settings = [Setting(u.key, split_key(u.key), unknown=n) for n, u in cal.unknowns.items() if u.key]
        settings += [Setting(k, split_key(k), expression=Expression(str(e))) for k, e in cal.derived.items()]
        self.settings = tuple(settings)

    def values(self, params: Mapping[str, float]) -> dict[str, float | int]:
        """The unknowns as the scenario gets them (integers rounded)."""
        return {n: self.priors[n].value(float(params[n])) for n in self.names}

    def keys(self, params: Mapping[str, float]) -> dict[str, float | int]:
        """Every scenario key the calibration sets, with its value."""
        v = self.values(params)
        out: dict[str, float | int] = {}
        for s in self.settings:
            out[s.key] = v[s.unknown] if s.unknown else s.expression(v)  # type: ignore[misc]
        return out

    def scenario(self, params: Mapping[str, float], seed: int | None = None) -> Scenario:
        """The scenario with the unknowns at ``params`` (raises ValidationError)."""
        data = self.data
        keys = self.keys(params)
        for s in self.settings:
            data = _set(data, s.parts, keys[s.key])
        if seed is not None:
            data = {**data, "seed": int(seed)}
        return Scenario.model_validate(data)

    def rows(self, params: Mapping[str, float], seed: int, replications: int = 1) -> list[Row]:
        """Per-replication rows of the scenario at ``params`` with root seed ``seed``
        (replications ``0 .. replications - 1``: the same seeds give common random numbers)."""
        static = prepare(self.scenario(params, seed))
        return [evaluate(static, run_replication(static, r)).summary for r in range(replications)]

    def medians(self) -> dict[str, float]:
        """Every unknown at its prior median (continuous values)."""
        return {n: float(p.ppf(0.5)) for n, p in self.priors.items()}


Point = tuple[dict[str, float], int, int]
"""``(params, seed, replications)``: one scenario to run."""


def run_points(pmap: ParameterMap, points: list[Point]) -> list[list[Row]]:
    """A pool task: the rows of each point, each row with the unknowns' values; a
    point whose scenario the schema rejects gives no rows."""
    out = []
    for params, seed, replications in points:
        try:
            rows = pmap.rows(params, seed, replications)
        except ValidationError:
            out.append([])
            continue
        values = pmap.values(params)
        out.append([{**values, **r} for r in rows])
    return out


def chunked(points: list[Point], size: int) -> list[list[Point]]:
    """Points cut into pool tasks of ``size``."""
    return [points[i : i + size] for i in range(0, len(points), size)]


# ------------------------------------------------------------ checks at load time


def load_calibrated(path: str | Path, cal: Calibration, src: Source) -> Scenario:
    """The scenario with the calibration's ``set`` applied; its problems located in
    the calibration file where they come from ``set``."""
    try:
        return load_scenario(path, cal.set)
    except ScenarioError as exc:
        for p in exc.problems:
            if p.file == SET:
                i = next((i for i, s in enumerate(cal.set) if p.key.startswith(s.partition("=")[0])), 0)
                p.file, p.line = src.where(("set", i))
                p.key = f"set[{i}]: {p.key}" if p.key else f"set[{i}]"
        raise ScenarioError(exc.problems) from None


def check_against(pmap: ParameterMap, cal: Calibration, src: Source) -> set[str]:
    """Raise :class:`ScenarioError` for keys the scenario lacks, keys set twice,
    prior ranges the scenario rejects and columns the model does not output;
    return the output columns (of one replication at the prior medians)."""
    problems: list[Problem] = []
    seen: dict[str, KeyPath] = {}
    for s in pmap.settings:
        where = ("unknowns", s.unknown, "key") if s.unknown else ("derived", s.key)
        bad = resolve_key(pmap.data, s.parts)
        if bad is not None:
            problems.append(src.problem(where, f"{s.key}: {bad.message}"))
        elif format_path(s.parts) in seen:
            problems.append(src.problem(where, f"{s.key} is set twice (also at {format_path(seen[s.key])})"))
        seen.setdefault(s.key, where)
    if problems:
        raise ScenarioError(problems)
    mid = pmap.medians()
    for name, prior in pmap.priors.items():
        for q, end in zip(EDGES, (0.0, 1.0), strict=True):
            x = float(prior.ppf(end))
            x = x if np.isfinite(x) else float(prior.ppf(q))
            try:
                pmap.scenario({**mid, name: x})
            except ValidationError as exc:
                e = exc.errors()[0]
                where = format_path(tuple(e["loc"]))
                msg = e["msg"].removeprefix("Value error, ")
                text = f"at {prior.value(x):g} the scenario fails: {where}: {msg}"
                problems.append(src.problem(("unknowns", name), text))
                break
    if problems:
        raise ScenarioError(problems)
    columns = set(pmap.rows(mid, pmap.scenario_.seed)[0])
    for section, items in (("observations", enumerate(cal.observations)), ("verdicts", cal.verdicts.items())):
        for i, r in items:
            if r.column not in columns:
                hint = did_you_mean(str(r.column), sorted(columns), "see replications.parquet of a run")
                problems.append(src.problem((section, i, "column"), f"not an output: '{r.column}'{hint}"))
    for name in cal.sensitivity.outputs:
        if name not in columns and name not in cal.verdicts:
            hint = did_you_mean(name, sorted(columns | set(cal.verdicts)), "a column or a verdict")
            problems.append(src.problem(("sensitivity", "outputs"), f"not an output: '{name}'{hint}"))
    if problems:
        raise ScenarioError(problems)
    return columns


def prepare_calibration(
    scenario_path: str | Path, cal: Calibration, src: Source
) -> tuple[ParameterMap, set[str]]:
    """The parameter map of a checked calibration and the model's output columns."""
    pmap = ParameterMap(load_calibrated(scenario_path, cal, src), cal)
    return pmap, check_against(pmap, cal, src)
