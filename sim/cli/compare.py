"""``gridshed compare``: scenarios side by side with common random numbers."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from sim.cli import options as opt
from sim.errors import Problem, ScenarioError

if TYPE_CHECKING:
    from sim.scenario.schema import Scenario

#: Estimated seconds to write a comparison folder, and its figure (estimate,
#: measured on the 2-core development machine).
WRITE_S, FIGURE_S = 1.0, 3.0


def _load_all(
    scenarios: tuple[Path, ...], baseline: Path | None, overrides: tuple[str, ...]
) -> tuple[list[Scenario], Scenario | None]:
    """Load every scenario and the baseline; one :class:`ScenarioError` lists all
    problems, including two files with one scenario name."""
    from sim.scenario.load import load_scenario

    loaded: list[Scenario] = []
    problems: list[Problem] = []
    files: dict[str, Path] = {}
    for path in scenarios:
        try:
            sc = load_scenario(path, overrides)
        except ScenarioError as exc:
            problems += exc.problems
            continue
        if sc.name in files:
            problems.append(
                Problem(
                    f"scenario name '{sc.name}' is also the name of {files[sc.name]}; rows are labelled "
                    "by name, so give each file its own name:",
                    path,
                    key="name",
                )
            )
        files.setdefault(sc.name, path)
        loaded.append(sc)
    base = None
    if baseline is not None:
        try:
            base = load_scenario(baseline, overrides)
        except ScenarioError as exc:
            problems += exc.problems
    if problems:
        raise ScenarioError(problems)
    return loaded, base


@click.command("compare")
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@opt.baseline("Scenario to subtract: paired differences (scenario - baseline) per replication.")
@click.option(
    "--counterfactual/--no-counterfactual",
    default=True,
    show_default=True,
    help="Also run each scenario without the crackdown (no campaign, no lasting limits) "
    "and report the load shedding the crackdown avoided.",
)
@opt.overrides("Override a key in every scenario and the baseline, e.g. enforcement.teams=8.")
@click.option("--name", default="compare", show_default=True, help="Name of the output folder in --out.")
@opt.figures("Write comparison.png.")
@opt.several_runs
def compare_command(
    scenarios: tuple[Path, ...],
    baseline: Path | None,
    counterfactual: bool,
    overrides: tuple[str, ...],
    name: str,
    figures: bool,
    runs: opt.Runs,
) -> None:
    """Run SCENARIOS with common random numbers and show them side by side.

    Writes OUT/NAME/ whole: comparison.csv (one row per scenario), comparison.md,
    differences.csv (paired differences), replications.parquet, summary.json and
    comparison.png.
    """
    bar = runs.bar()
    with bar:
        from sim.cli.progress import replication_s
        from sim.experiments.compare import compare
        from sim.experiments.ensemble import default_workers
        from sim.report.comparison_folder import comparison_text, write_comparison

        opt.check_folder_name(name)
        loaded, base = _load_all(scenarios, baseline, overrides)
        ref = base if base is not None else loaded[0]
        reps = ref.replications if runs.replications is None else runs.replications
        each = loaded * (2 if counterfactual else 1) + ([base] if base is not None else [])
        opt.check_size(opt.run_size(each, reps, runs.workers), runs.allow_large)
        workers = runs.workers or default_workers()
        per = sum(replication_s(sc.n_steps, len(sc.zones), workers) for sc in each) / len(each)
        bar.plan("simulating", per, items=reps * len(each), unit="replications")
        bar.plan("writing", WRITE_S + (FIGURE_S if figures else 0.0))
        with opt.output_folder(runs.out, name, runs.overwrite, runs.quiet) as target:
            bar.start("simulating")
            cmp = compare(loaded, base, counterfactual=counterfactual, **runs.runner(bar))
            bar.start("writing")
            folder = write_comparison(cmp, target, figures=figures)

    def text() -> str:
        return (
            f"{comparison_text(cmp)}\n{len(cmp.elapsed_s)} runs in {bar.elapsed:.1f} s; written to {folder}"
        )

    opt.finish(bar, folder, runs.quiet, text)
