"""``gridshed run``: one scenario's replications into a run folder."""

from __future__ import annotations

import time
from pathlib import Path

import click

from sim.cli import options as opt
from sim.scenario.load import load_scenario


@click.command("run")
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@opt.replications("Replications (default: the scenario's).")
@opt.seed("Root seed (default: the scenario's).")
@opt.out("Folder for the run folder.")
@opt.WORKERS
@opt.overrides("Override a scenario key, e.g. enforcement.teams=8.")
@opt.EXECUTOR
@opt.SCHEDULER
@click.option(
    "--keep-timeseries",
    is_flag=True,
    help="Write every replication's time series (replication_timeseries.parquet, a chunk at a "
    "time) and their 5/50/95 % quantiles per step; the load-duration figure draws their fan.",
)
@opt.CSV
@click.option(
    "--precision",
    type=click.FloatRange(min=0, min_open=True),
    metavar="MW",
    help="Add replications until the 95% half-width of relief is at most MW.",
)
@opt.baseline("Another scenario run with the same seed: paired differences (this minus baseline).")
@click.option(
    "--counterfactual",
    is_flag=True,
    help="Also run the scenario without the crackdown (common random numbers) as the baseline: "
    "adds the counterfactual relief.",
)
@opt.figures("Write PNG figures.")
@opt.quiet("No progress bar and no table.")
@opt.ALLOW_LARGE
@opt.OVERWRITE
def run(
    scenario: Path,
    replications: int | None,
    seed: int | None,
    out: Path,
    workers: int | None,
    overrides: tuple[str, ...],
    executor: str,
    scheduler: str | None,
    keep_timeseries: bool,
    csv: bool,
    precision: float | None,
    baseline: Path | None,
    counterfactual: bool,
    figures: bool,
    quiet: bool,
    allow_large: bool,
    overwrite: bool,
) -> None:
    """Run SCENARIO's replications and write DIR/<name>/ (see --out)."""
    from sim.experiments.ensemble import run_ensemble
    from sim.report.runfolder import write_run
    from sim.report.tables import baseline_table, result_table

    if counterfactual and baseline is not None:
        raise click.UsageError("give --baseline or --counterfactual, not both")
    sc = load_scenario(scenario, overrides)
    base_sc = load_scenario(baseline, overrides) if baseline is not None else None
    if counterfactual:
        from sim.experiments.compare import without_crackdown

        base_sc = without_crackdown(sc)
    both = [sc] if base_sc is None else [sc, base_sc]
    opt.check_size(opt.run_size(both, replications, workers, keep_timeseries), allow_large, scenario)
    with opt.output_folder(out, sc.name, overwrite) as folder:
        t0 = time.perf_counter()
        shared = {
            "workers": workers,
            "executor": executor,
            "scheduler": scheduler,
            "progress": opt.progress(quiet),
        }
        result = run_ensemble(
            sc,
            replications=replications,
            seed=seed,
            series_to=opt.series_file(folder) if keep_timeseries else None,
            precision_mw=precision,
            **shared,
        )
        extra = None
        if base_sc is not None:
            from sim.experiments.compare import baseline_differences
            from sim.results.paired import baseline_summary

            base_result, diff = baseline_differences(result, base_sc, **shared)
            extra = {"baseline": baseline_summary(base_sc.name, diff)}
            if counterfactual and "enough" in result.replications:
                extra["enough"] = result.enough(base_result)
            if counterfactual and sc.target is not None:
                from sim.results.relief import counterfactual as counterfactual_relief

                extra["relief"] = {
                    **result.summary()["relief"],
                    "counterfactual": counterfactual_relief(diff),
                }
        elapsed = time.perf_counter() - t0
        written = write_run(result, folder, figures=figures, extra=extra, csv=csv)
    if not quiet:
        click.echo(f"{sc.name}: {result.n} replications, seed {result.scenario.seed}, {elapsed:.1f} s")
        click.echo(result_table({**result.summary(), **(extra or {})}))
        if extra:
            click.echo("")
            click.echo(baseline_table(extra["baseline"]))
        click.echo(f"\nwritten to {written}")
