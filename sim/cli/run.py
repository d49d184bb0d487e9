"""``gridshed run``: one scenario's replications into a run folder."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from sim.cli import options as opt
from sim.vocab import HEADLINE

if TYPE_CHECKING:
    from sim.experiments.precision import Precision
    from sim.experiments.result import EnsembleResult


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
    multiple=True,
    metavar="METRIC=VALUE[%]",
    help="Add replications (doubling, up to 100,000) until the 95% interval of a headline metric "
    "is at most VALUE either side of the mean, in the metric's unit (eue_mwh=50) or in % of the "
    f"mean (eue_mwh=5%); repeat for several metrics. METRIC: {', '.join(HEADLINE)}. "
    "A bare VALUE is relief_mw=VALUE.",
)
@opt.baseline("Another scenario run with the same seed: paired differences (this minus baseline).")
@click.option(
    "--counterfactual",
    is_flag=True,
    help="Also run the scenario without the crackdown (common random numbers) as the baseline: "
    "adds the counterfactual relief, and a table of how much the crackdown helps (positive = it helps).",
)
@opt.figures("Write PNG figures.")
@opt.quiet()
@opt.PROGRESS
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
    precision: tuple[str, ...],
    baseline: Path | None,
    counterfactual: bool,
    figures: bool,
    quiet: bool,
    progress: bool | None,
    allow_large: bool,
    overwrite: bool,
) -> None:
    """Run SCENARIO's replications and write DIR/<name>/ (see --out)."""
    if counterfactual and baseline is not None:
        raise click.UsageError("give --baseline or --counterfactual, not both")
    bar = opt.command_bar(quiet, progress)
    with bar, contextlib.ExitStack() as stack:
        from sim.cli.progress import replication_s, writing_s
        from sim.experiments.ensemble import default_workers, run_ensemble
        from sim.experiments.precision import parse_precision
        from sim.report.painter import painting
        from sim.report.runfolder import write_run
        from sim.scenario.load import load_scenario

        # Forked before the run: it gets matplotlib ready while the replications run.
        painter = stack.enter_context(painting(figures, workers))
        targets = [parse_precision(p) for p in precision]
        sc = load_scenario(scenario, overrides)
        base_sc = load_scenario(baseline, overrides) if baseline is not None else None
        if counterfactual:
            from sim.experiments.compare import without_crackdown

            base_sc = without_crackdown(sc)
        both = [sc] if base_sc is None else [sc, base_sc]
        opt.check_size(opt.run_size(both, replications, workers, keep_timeseries), allow_large, scenario)
        n = sc.replications if replications is None else replications
        per = replication_s(sc.n_steps, len(sc.zones), workers or default_workers())
        bar.plan("simulating", per, items=n * len(both), unit="replications")
        bar.plan("writing", writing_s(n, figures))
        with opt.output_folder(out, sc.name, overwrite, quiet) as folder:
            bar.start("simulating")
            shared = {
                "workers": workers,
                "executor": executor,
                "scheduler": scheduler,
                "progress": bar.counter(),
            }
            result = run_ensemble(
                sc,
                replications=replications,
                seed=seed,
                series_to=opt.series_file(folder) if keep_timeseries else None,
                precision=targets,
                **shared,
            )
            bar.recount(result.n * len(both))
            extra = None
            if base_sc is not None:
                extra = _baseline(result, base_sc, counterfactual, shared)
            bar.start("writing")
            written = write_run(result, folder, figures=figures, extra=extra, csv=csv, painter=painter)
        if not quiet:  # the table (its estimates kept from the summary written), under the bar
            table, warnings = _report(result, extra, counterfactual, targets)
    if not quiet:
        for warning in warnings:
            click.echo(f"warning: {warning}", err=True)

    def text() -> str:
        sc = result.scenario
        head = f"{sc.name}: {result.n:,} replications, seed {sc.seed}, {bar.elapsed:.1f} s"
        return f"{head}\n{table}\n\nwritten to {written}"

    opt.finish(bar, written, quiet, text)


def _baseline(
    result: EnsembleResult, base_sc: Any, counterfactual: bool, shared: dict[str, Any]
) -> dict[str, Any]:
    """Run the baseline with the result's seed and replications: the summary's extra blocks."""
    from sim.experiments.compare import baseline_differences
    from sim.results.paired import baseline_summary

    base_result, diff = baseline_differences(result, base_sc, **shared)
    extra: dict[str, Any] = {"baseline": baseline_summary(base_sc.name, diff)}
    if counterfactual and "enough" in result.replications:
        extra["enough"] = result.enough(base_result)
    if counterfactual and result.scenario.target is not None:
        from sim.results.relief import counterfactual as counterfactual_relief

        extra["relief"] = {**result.summary()["relief"], "counterfactual": counterfactual_relief(diff)}
    return extra


def _report(
    result: EnsembleResult, extra: dict[str, Any] | None, counterfactual: bool, targets: list[Precision]
) -> tuple[str, list[str]]:
    """What the run prints: its table and the baseline's; and its warnings about
    loose intervals or unmet precision (for standard error)."""
    from sim.report.tables import baseline_block, render, result_table

    summary = result.summary()
    table = result_table({**summary, **(extra or {})}).rstrip("\n")
    if extra:
        table += "\n\n" + render([baseline_block(extra["baseline"], crackdown=counterfactual)]).rstrip("\n")
    return table, precision_warnings(result, summary, targets)


def precision_warnings(
    result: EnsembleResult, summary: dict[str, Any], targets: list[Precision]
) -> list[str]:
    """One line if a headline metric's 95 % interval is wider than
    :data:`~sim.experiments.precision.LOOSE` of its mean either side; one per
    precision target the run did not meet (it stopped at the cap)."""
    from sim.experiments.precision import LOOSE, relative_half_width
    from sim.results.stats import Estimate
    from sim.vocab import HEADLINE, label

    out = []
    loose = []
    for key in HEADLINE:
        if key not in summary:
            continue
        rel = relative_half_width(Estimate(**summary[key]))
        if rel > LOOSE:
            loose.append((key, rel))
    if loose:
        shown = ", ".join(
            f"{label(k)} ±{100 * r:.0f}%" if r < 10 else f"{label(k)} (mean ~0)" for k, r in loose
        )
        key = loose[0][0]
        out.append(
            f"95% intervals wider than {100 * LOOSE:.0f}% of the mean: {shown}; "
            f"add replications (-n, or --precision {key}={100 * LOOSE:.0f}%)"
        )
    for t in targets:
        if not t.met(result.estimate(t.metric)):
            out.append(f"--precision {t} not reached with {result.n:,} replications (the cap)")
    return out
