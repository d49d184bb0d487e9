"""``gridshed sweep``: every combination of --set values, with common random numbers."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import click

from sim.cli import options as opt
from sim.errors import Problem, ScenarioError
from sim.scenario.size import LIMITS, combine
from sim.vocab import DIFFERENCES, label
from sim.vocab import metric as metric_info

#: Metrics of the heatmap (:data:`sim.experiments.sweep.SWEEP_METRICS`, not imported
#: here: it needs pandas, and the help must come at once).
SWEEP_METRICS = ("probability_within", "probability_reached", *DIFFERENCES)
#: Estimated seconds to write a sweep folder, and its heatmap (estimate, measured on
#: the 2-core development machine).
WRITE_S, FIGURE_S = 1.0, 2.0

#: Columns printed after the swept keys and the chosen metric.
PRINTED = ("relief_mw", "eue_mwh", "lole_h")
#: Decimals of the chosen metric in the printed table (the others: their own).
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
    bar = runs.bar()
    with bar:
        from sim.cli.progress import replication_s
        from sim.experiments.ensemble import default_workers
        from sim.experiments.sweep import run_variants
        from sim.experiments.variants import load_variants, parse_grid
        from sim.report.sweep_folder import write_sweep

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
        pairs = list(zip(reps, variants, strict=True))
        size = combine(opt.run_size([sc], n, runs.workers) for n, (_, sc) in pairs)
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
        workers = runs.workers or default_workers()
        seconds = sum(n * replication_s(sc.n_steps, len(sc.zones), workers) for n, (_, sc) in pairs)
        bar.plan("simulating", seconds / sum(reps), items=sum(reps), unit="replications")
        bar.plan("writing", WRITE_S + (FIGURE_S if figures else 0.0))
        runner = runs.runner(bar)
        with opt.output_folder(runs.out, name or f"sweep_{base.name}", runs.overwrite, runs.quiet) as target:
            bar.start("simulating")
            if runner["report"]:
                runner["report"](f"{len(variants)} variants of {base.name}")
            sw = run_variants(base, variants, **runner)
            bar.start("writing")
            folder = write_sweep(sw, target, metric=metric, figures=figures)

    def text() -> str:
        return (
            f"{sweep_text(sw, metric)}\n{len(variants)} variants in {bar.elapsed:.1f} s; written to {folder}"
        )

    opt.finish(bar, folder, runs.quiet, text)


def sweep_text(sw: Any, metric: str, width: int | None = None) -> str:
    """The sweep's table for the terminal: the swept keys, ``metric``, then
    :data:`PRINTED`, labelled (:func:`sim.vocab.label`) and fitted to the terminal."""
    from sim.report.tables import num, render

    keys = list(sw.grid)
    cols = [*keys, metric] if metric in sw.table else keys
    cols += [c for c in PRINTED if c not in cols]
    digits = {c: PRINTED_DIGITS if c == metric else metric_info(c).digits for c in cols[len(keys) :]}
    body = [
        [str(r[c]) for c in keys] + [num(r[c], d) for c, d in digits.items()]
        for r in sw.table.to_dict("records")
    ]
    crn = f"seed {sw.seed}" if sw.seed is not None else "seeds varying"
    title = f"Sweep of {sw.scenario}: {sw.replications or 'varying'} replications per variant, {crn}"
    return render([(title, [*keys, *(label(c) for c in cols[len(keys) :])], body)], width)
