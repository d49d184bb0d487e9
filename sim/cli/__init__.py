"""The ``gridshed`` command line.

Bad input of any kind (scenario files, data files, flags) ends with one message
naming the file, the line, the key and what is expected, and exit status 2.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click

from sim.errors import ScenarioError
from sim.scenario.load import load_scenario

#: Subcommands defined in other modules, imported only when used.
LAZY = {
    "compare": "sim.experiments.compare:compare_command",
    "sweep": "sim.experiments.compare:sweep_command",
    "plot": "sim.report.plots:plot_command",
}


class _Group(click.Group):
    """Turns :class:`ScenarioError` into a message and exit status 2; loads the
    subcommands of :data:`LAZY` on demand."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in LAZY and name not in self.commands:
            import importlib

            module, attr = LAZY[name].split(":")
            try:
                return getattr(importlib.import_module(module), attr)
            except (ImportError, AttributeError):
                return None
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ScenarioError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(2)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="gridshed")
def main() -> None:
    """gridshed: grid shortages, mining loads and load shedding, by Monte Carlo."""


def _fmt(x: float, digits: int = 0) -> str:
    return "-" if x != x else f"{x:,.{digits}f}"


ROWS = (
    ("relief_mw", "relief at target date (MW)", 0),
    ("closures_voluntary", "closures, voluntary", 1),
    ("closures_forced", "closures, by force", 1),
    ("criminal_cases", "criminal cases", 1),
    ("devices_seized", "devices seized", 0),
    ("eue_mwh", "unserved energy EUE (MWh)", 0),
    ("lole_h", "loss of load LOLE (h)", 1),
    ("lolf", "loss-of-load events LOLF", 1),
    ("peak_shortfall_mw", "deepest shortfall (MW)", 0),
)


def result_table(summary: dict[str, Any]) -> str:
    """The short table ``gridshed run`` prints."""
    lines = [f"{'':32} {'mean':>12} {'95% interval':>24}"]
    for key, label, digits in ROWS:
        e = summary.get(key)
        if e is None:
            continue
        ci = f"[{_fmt(e['ci95_low'], digits)}, {_fmt(e['ci95_high'], digits)}]"
        lines.append(f"{label:32} {_fmt(e['mean'], digits):>12} {ci:>24}")
    t = summary.get("target")
    if t:
        p = t["probability_within"]
        lines.append("")
        lines.append(
            f"target {t['relief_mw']:.0f} +- {t['tolerance_mw']:.0f} MW by {t['by'][:10]}: "
            f"{t['verdict'].upper()}; P(relief within band) = {p['mean']:.2f} "
            f"[{p['ci95_low']:.2f}, {p['ci95_high']:.2f}]"
        )
    return "\n".join(lines)


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-n", "--replications", type=click.IntRange(min=1), help="Replications (default: the scenario's)."
)
@click.option("--seed", type=click.IntRange(min=0), help="Root seed (default: the scenario's).")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("results"),
    show_default=True,
    help="Folder for the run folder.",
)
@click.option(
    "-w", "--workers", type=click.IntRange(min=1), help="Local worker processes (default: all cores)."
)
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a scenario key, e.g. enforcement.teams=8.",
)
@click.option("--executor", type=click.Choice(["process", "dask"]), default="process", show_default=True)
@click.option("--scheduler", metavar="ADDRESS", help="Dask scheduler address (implies --executor dask).")
@click.option("--keep-timeseries", is_flag=True, help="Keep every replication's time series in memory.")
@click.option(
    "--precision",
    type=click.FloatRange(min=0, min_open=True),
    metavar="MW",
    help="Add replications until the 95% half-width of relief is at most MW.",
)
@click.option(
    "--baseline",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Another scenario run with the same seed: paired differences (this minus baseline).",
)
@click.option("--figures/--no-figures", default=True, show_default=True, help="Write PNG figures.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no table.")
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
    precision: float | None,
    baseline: Path | None,
    figures: bool,
    quiet: bool,
) -> None:
    """Run SCENARIO's replications and write DIR/<name>/ (see --out)."""
    from sim.experiments.ensemble import run_ensemble
    from sim.report.runfolder import write_run

    sc = load_scenario(scenario, overrides)
    base_sc = load_scenario(baseline, overrides) if baseline is not None else None
    t0 = time.perf_counter()
    result = run_ensemble(
        sc,
        replications=replications,
        seed=seed,
        workers=workers,
        executor=executor,
        scheduler=scheduler,
        progress=None if not quiet else False,
        keep_timeseries=keep_timeseries,
        precision_mw=precision,
    )
    extra = None
    if base_sc is not None:
        from sim.experiments.compare import paired_differences

        # Same seed and replications: pairs share population, outages and weather.
        base = run_ensemble(
            base_sc,
            replications=result.n,
            seed=result.scenario.seed,
            workers=workers,
            executor=executor,
            scheduler=scheduler,
            progress=None if not quiet else False,
        )
        metrics = ["relief_mw", "eue_mwh", "lole_h", "lolf", "peak_shortfall_mw"]
        metrics += [f"eue_mwh.{z}" for z in sc.zones if f"eue_mwh.{z}" in base.replications]
        diff = paired_differences(result, base, metrics)
        extra = {"baseline": baseline_summary(base_sc.name, diff)}
    elapsed = time.perf_counter() - t0
    folder = write_run(result, out, figures=figures, extra=extra)
    if not quiet:
        s = result.summary()
        click.echo(f"{sc.name}: {result.n} replications, seed {result.scenario.seed}, {elapsed:.1f} s")
        click.echo(result_table(s))
        if extra:
            click.echo("")
            click.echo(baseline_table(extra["baseline"]))
        click.echo(f"\nwritten to {folder}")


def baseline_summary(name: str, diff: Any) -> dict[str, Any]:
    """Paired differences as stored in ``summary.json`` under ``baseline``."""
    return {
        "scenario": name,
        "common_random_numbers": bool(diff["common_random_numbers"].all()),
        "difference": {
            r.metric: {
                "mean": r.mean,
                "ci95_low": r.ci95_low,
                "ci95_high": r.ci95_high,
                "this": r.mean_a,
                "baseline": r.mean_b,
                "direction": r.direction,
            }
            for r in diff.itertuples()
        },
    }


def baseline_table(b: dict[str, Any]) -> str:
    """This scenario minus the baseline, per metric, with 95 % intervals."""
    lines = [
        f"paired difference: this minus {b['scenario']} (common random numbers)",
        f"{'':32} {'this':>12} {'baseline':>12} {'difference':>12} {'95% interval':>24}",
    ]
    for metric, d in b["difference"].items():
        ci = f"[{_fmt(d['ci95_low'], 1)}, {_fmt(d['ci95_high'], 1)}]"
        lines.append(
            f"{metric:32} {_fmt(d['this'], 1):>12} {_fmt(d['baseline'], 1):>12} "
            f"{_fmt(d['mean'], 1):>12} {ci:>24}"
        )
    return "\n".join(lines)


@main.command()
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
        sys.exit(2)


@main.command()
def schema() -> None:
    """Print the JSON Schema of scenario files (for editor completion)."""
    from sim.scenario.schema import Scenario

    click.echo(json.dumps(Scenario.model_json_schema(by_alias=True), indent=2))


if __name__ == "__main__":  # pragma: no cover
    main()
