"""Load a scenario: read its files, validate once, expand plant tables, check, freeze.

Every problem becomes a :class:`~sim.errors.Problem` naming the file, the line
and the key path: :mod:`sim.scenario.source` reads the YAML with the origin of
each key, :mod:`sim.scenario.checks` explains schema errors and cross-checks, and
:func:`locate` is the one place where problems found in data files (demand CSVs,
plant tables) are moved to the line of the scenario file that names them.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from pathlib import Path

import yaml
from pydantic import ValidationError

from sim.errors import KeyPath, Problem, ScenarioError
from sim.scenario.checks import consistency_problems, schema_problems
from sim.scenario.plants import expand_plant_tables
from sim.scenario.readers import read_demand_csv
from sim.scenario.schema import DemandCsv, Scenario
from sim.scenario.security_checks import security_problems
from sim.scenario.source import Source, apply_overrides, format_path, load_source

__all__ = ["check_demand_files", "dump_scenario", "format_path", "load_scenario", "load_source", "locate"]

#: The key of a data file's spec that names the file (``zones.A.demand.csv``).
FILE_KEY = "csv"


def locate(src: Source, spec: KeyPath, problems: list[Problem]) -> list[Problem]:
    """Problems found reading the data file whose spec is at ``spec``, each at its place.

    - a problem with a line lies in the data file: it stays there;
    - a problem with a key of the spec (its ``path``, e.g. ``exclude``) lies in the
      scenario: it moves to that key's line;
    - a problem of the data file as a whole (not found, unreadable, wrong length)
      moves to the line naming the file, with the file's path in front of the
      message unless the message names it already.
    """
    out = []
    for p in problems:
        if p.line is not None:
            out.append(p)
            continue
        message = p.message
        if p.path is None and p.file is not None and p.file not in message:
            message = f"{p.file}: {message}"
        out.append(src.problem((*spec, *(p.path or (FILE_KEY,))), message))
    return out


def check_demand_files(sc: Scenario, src: Source) -> None:
    """Read every demand CSV once to report its problems at load time."""
    problems = []
    for name, zone in sc.zones.items():
        if isinstance(zone.demand, DemandCsv):
            try:
                read_demand_csv(zone.demand, sc.n_steps)
            except ScenarioError as exc:
                problems += locate(src, ("zones", name, "demand"), exc.problems)
    if problems:
        raise ScenarioError(problems)


def load_scenario(path: str | Path, overrides: Iterable[str] = (), check_data: bool = True) -> Scenario:
    """Read, merge, validate and freeze a scenario file.

    ``overrides`` are ``KEY.PATH=VALUE`` strings (``--set``). Plant tables are
    expanded into fleets; ``check_data`` reads the demand CSVs too. Raises
    :class:`ScenarioError` listing every problem.
    """
    src = load_source(path)
    apply_overrides(src, overrides)
    try:
        sc = Scenario.model_validate(src.data)
    except ValidationError as exc:
        raise ScenarioError(schema_problems(src, exc)) from None
    sc = expand_plant_tables(sc, partial(locate, src))
    problems = consistency_problems(sc, src) + security_problems(sc, src)
    if problems:
        raise ScenarioError(problems)
    if check_data:
        check_demand_files(sc, src)
    return sc


def dump_scenario(sc: Scenario) -> str:
    """The fully resolved scenario as YAML (every default filled in)."""
    data = sc.model_dump(mode="json", by_alias=True)
    # libyaml's emitter where PyYAML has it: the same text, a few times faster.
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(data, Dumper=dumper, sort_keys=False, allow_unicode=True, width=100)
