"""``gridshed validate`` (check scenario files) and ``gridshed schema`` (their JSON Schema)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from sim.cli import BAD_INPUT
from sim.errors import ScenarioError
from sim.scenario.load import load_scenario


@click.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
def validate(files: tuple[Path, ...]) -> None:
    """Check scenario FILES; print one line per file."""
    failed = False
    for f in files:
        try:
            sc = load_scenario(f)
        except ScenarioError as exc:
            click.echo(f"error: {exc}", err=True)
            failed = True
            continue
        click.echo(
            f"{f}: ok ({sc.name}, {len(sc.zones)} zones, "
            f"{sum(u.count for u in sc.generation.units)} units, {sc.n_steps} steps)"
        )
    if failed:
        sys.exit(BAD_INPUT)


@click.command("schema")
def schema() -> None:
    """Print the JSON Schema of scenario files (for editor completion)."""
    from sim.scenario.jsonschema import scenario_json_schema

    click.echo(json.dumps(scenario_json_schema(), indent=2))
