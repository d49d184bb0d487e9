"""``gridshed sweep``: every combination of --set values, with common random numbers."""

from __future__ import annotations

import math
from functools import partial
from pathlib import Path

import click

from sim.cli import options as opt
from sim.errors import Problem, ScenarioError
from sim.experiments.sweep import SWEEP_METRICS
from sim.scenario.size import LIMITS, combine
from sim.vocab import DIFFERENCES

#: Columns printed after the swept keys and the chosen metric.
PRINTED = ("relief_mw", "eue_mwh", "lole_h")
#: Decimals of the printed table.
PRINTED_DIGITS = 2


@click.command("sweep")
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--set",
    "settings",
    multiple=True,
    required=True,
    metavar="KEY=V1,V2,...",
    help="A key and the values to sweep (YAML, comma-separated); repeat for more keys: "
    "every combination runs.",
)
@click.option(
    "--metric",
    type=click.Choice(SWEEP_METRICS),
    default="probability_reached",
    show_default=True,
    help="What the heatmap shows: probability_reached (relief at least target - tolerance, grows "
    "with enforcement), probability_within (inside the band; falls again past it); both need the "
    "scenario's target.",
)
@click.option("--name", help="Name of the output folder in --out (default: sweep_<scenario name>).")
@opt.figures("Write heatmap.png.")
@opt.several_runs
def sweep_command(
    scenario: Path, settings: tuple[str, ...], metric: str, name: str | None, figures: bool, runs: opt.Runs
) -> None:
    """Run every combination of the --set values on SCENARIO with common random numbers.

    Example: gridshed sweep scenarios/kazakhstan_2021_22.yaml --set enforcement.teams=2,4,8
    --set mining.grey_scale=0.38,1,1.33. Writes OUT/NAME/ whole: sweep.csv and
    sweep.parquet (one row per variant: the keys, then the metrics), sweep.md,
    replications.parquet and heatmap.png.
    """
    from sim.experiments.sweep import run_variants
    from sim.experiments.variants import load_variants, parse_grid
    from sim.report.sweep_folder import write_sweep
    from sim.report.tables import num

    grid = parse_grid(settings)
    n_variants = math.prod(len(v) for v in grid.values())
    if n_variants > LIMITS.runs and not runs.allow_large:
        raise ScenarioError(
            Problem(
                f"too large to run: {n_variants:,} variants (limit {LIMITS.runs:,}); "
                "give --allow-large to run them anyway",
                "--set",
            )
        )
    base, variants = load_variants(scenario, grid)
    reps = [sc.replications if runs.replications is None else runs.replications for _, sc in variants]
    size = combine(opt.run_size([sc], n, runs.workers) for n, (_, sc) in zip(reps, variants, strict=True))
    opt.check_size(size, runs.allow_large, scenario)
    if metric.startswith("probability_") and base.target is None:
        raise ScenarioError(
            Problem(
                "the scenario has no target, so there is no probability of reaching it; "
                f"choose another --metric ({', '.join(DIFFERENCES)})",
                "--metric",
            )
        )
    if name is not None:
        opt.check_folder_name(name)
    runner = runs.runner()
    with opt.output_folder(runs.out, name or f"sweep_{base.name}", runs.overwrite) as target:
        if runner["report"]:
            runner["report"](f"{len(variants)} variants of {base.name}")
        sw = run_variants(base, variants, **runner)
        folder = write_sweep(sw, target, metric=metric, figures=figures)
    if not runs.quiet:
        keys = list(grid)
        cols = [*keys, metric] if metric in sw.table else keys
        view = sw.table[cols + [c for c in PRINTED if c not in cols]]
        click.echo(view.to_string(index=False, float_format=partial(num, digits=PRINTED_DIGITS)))
        click.echo(f"\n{len(variants)} variants in {sw.elapsed_s:.1f} s; written to {folder}")
