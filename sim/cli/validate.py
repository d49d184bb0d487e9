"""``gridshed validate`` (check scenario files) and ``gridshed schema`` (their JSON Schema)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from sim.cli import BAD_INPUT
from sim.cli import options as opt
from sim.errors import ScenarioError


@click.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@opt.overrides(
    "Override a key in every file before checking it, as gridshed run does, e.g. enforcement.teams=8."
)
@opt.replications("Replications to size the run for (default: the scenario's).")
@opt.WORKERS
@opt.ALLOW_LARGE
def validate(
    files: tuple[Path, ...],
    overrides: tuple[str, ...],
    replications: int | None,
    workers: int | None,
    allow_large: bool,
) -> None:
    """Check scenario FILES (after any --set); print one line per file and its run's size.

    A file whose run would exceed the size limits fails, unless --allow-large.
    """
    from sim.scenario.load import load_scenario

    failed = False
    for f in files:
        try:
            sc = load_scenario(f, overrides)
            size = opt.run_size([sc], replications, workers)
            opt.check_size(size, allow_large, f)
        except ScenarioError as exc:
            click.echo(f"error: {exc}", err=True)
            failed = True
            continue
        click.echo(
            f"{f}: ok ({sc.name}, {len(sc.zones)} zones, "
            f"{sum(u.count for u in sc.generation.units)} units, {sc.n_steps} steps)"
        )
        click.echo(f"  size: {size.describe()}")
    if failed:
        sys.exit(BAD_INPUT)


@click.command("schema")
def schema() -> None:
    """Print the JSON Schema of scenario files (for editor completion)."""
    from sim.scenario.jsonschema import scenario_json_schema

    click.echo(json.dumps(scenario_json_schema(), indent=2))
