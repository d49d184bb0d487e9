"""``gridshed plot``: the figures of a run, comparison or sweep folder, drawn again into it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import click

from sim.cli.sweep import SWEEP_METRICS
from sim.errors import Problem, ScenarioError


def parse_reported(values: tuple[str, ...]) -> dict[str, float]:
    """``("KIND=COUNT", ...)`` -> reference closure counts by closure kind.

    Raises :class:`ScenarioError` for an item that is not ``KIND=COUNT`` or an unknown kind.
    """
    from sim.report.figures import normalise_reported

    out = {}
    for v in values:
        key, sep, count = v.partition("=")
        try:
            if not sep:
                raise ValueError
            out[key.strip()] = float(count)
        except ValueError:
            raise ScenarioError(
                Problem(f"--reported needs KIND=COUNT, e.g. closed_voluntarily=55, not {v!r}")
            ) from None
    try:
        return normalise_reported(out)
    except ValueError as exc:
        raise ScenarioError(Problem(f"--reported: {exc}")) from None


@click.command("plot")
@click.argument("run_dir", type=click.Path(file_okay=True, path_type=Path))
@click.option(
    "--reported",
    multiple=True,
    metavar="KIND=COUNT",
    help="Run folders: reported closures drawn as reference lines, e.g. --reported closed_voluntarily=55 "
    "--reported disconnected_by_force=51.",
)
@click.option(
    "--metric",
    type=click.Choice(SWEEP_METRICS),
    help="Sweep folders: what the heatmap shows (default: probability_reached if the scenario has a "
    "target, else relief_mw).",
)
def plot_command(run_dir: Path, reported: tuple[str, ...], metric: str | None) -> None:
    """Draw the figures of a folder written by run, compare or sweep, into it.

    A run folder gets RUN_DIR/figures/, a comparison folder comparison.png, a
    sweep folder heatmap.png; each path written is printed.
    """
    ref = parse_reported(reported)
    kind = "run"
    try:
        if (run_dir / "comparison.csv").is_file():
            kind = "comparison"
            paths = [replot_comparison(run_dir)]
        elif (run_dir / "sweep.parquet").is_file():
            kind = "sweep"
            paths = [replot_sweep(run_dir, metric)]
        else:
            from sim.report.figures import RunData, write_figures

            run = RunData.load(run_dir)
            paths = write_figures(run, run_dir / "figures", reported=ref)
    except (KeyError, ValueError, TypeError, IndexError, AttributeError, OSError) as exc:
        # The files read, but their content is not what gridshed writes (edited, mixed up).
        raise ScenarioError(
            Problem(
                f"damaged {kind} folder: its tables do not hold what gridshed writes ({type(exc).__name__})",
                run_dir,
            )
        ) from None
    for path in paths:
        click.echo(str(path))


@dataclass
class _Ran:
    """What the comparison figure needs of a run, read back from a comparison folder."""

    scenario: SimpleNamespace
    replications: Any

    @property
    def n(self) -> int:
        return len(self.replications)

    def estimate(self, metric: str) -> Any:
        from sim.experiments.result import metric_estimate

        return metric_estimate(self.replications[metric].to_numpy(), metric, self.scenario.seed)


def _target(t: dict[str, Any] | None) -> SimpleNamespace | None:
    """A summary's target as the scenario's (``relief_mw``, ``tolerance_mw``, ``by`` a datetime)."""
    if not t:
        return None
    return SimpleNamespace(relief_mw=t["relief_mw"], tolerance_mw=t["tolerance_mw"], by=_datetime(t["by"]))


def _datetime(text: str) -> datetime:
    return datetime.fromisoformat(str(text))


def replot_comparison(folder: Path) -> Path:
    """Draw ``folder/comparison.png`` again from the files of a comparison folder."""
    import json

    import pandas as pd

    from sim.experiments.compare import Comparison
    from sim.report.comparison_folder import save_figure
    from sim.report.figures.comparison import comparison_figure

    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    reps = pd.read_parquet(folder / "replications.parquet")
    seed = summary["seed"]

    def ran(name: str, role: str, s: dict[str, Any]) -> _Ran:
        rows = reps[(reps["scenario"] == name) & (reps["role"] == role)].drop(columns=["scenario", "role"])
        sc = SimpleNamespace(name=name, seed=seed, target=_target(s.get("target")))
        return _Ran(sc, rows.reset_index(drop=True))

    results = {n: ran(n, "scenario", s) for n, s in summary["scenarios"].items()}
    cfs = {n: ran(n, "counterfactual", s) for n, s in summary["counterfactuals"].items()}
    b = summary.get("baseline")
    base = ran(b["scenario"], "baseline", b) if b else None
    diffs = pd.read_csv(folder / "differences.csv")
    kind = diffs.pop("kind") if "kind" in diffs else pd.Series(dtype=str)
    cmp = Comparison(
        results=results,  # type: ignore[arg-type]
        baseline=base,  # type: ignore[arg-type]
        counterfactuals=cfs,  # type: ignore[arg-type]
        table=pd.read_csv(folder / "comparison.csv"),
        differences=diffs[kind == "vs_baseline"].reset_index(drop=True),
        crackdown_effect=diffs[kind == "crackdown_effect"].reset_index(drop=True),
        seed=seed,
        replications=summary["replications"],
    )
    path = folder / "comparison.png"
    save_figure(lambda: comparison_figure(cmp), path)
    return path


def replot_sweep(folder: Path, metric: str | None) -> Path:
    """Draw ``folder/heatmap.png`` of ``metric`` again from a sweep folder."""
    import pandas as pd

    from sim.experiments.sweep import Sweep
    from sim.report.comparison_folder import save_figure
    from sim.report.figures.heatmap import sweep_heatmap

    table = pd.read_parquet(folder / "sweep.parquet")
    cols = list(table.columns)
    keys = cols[cols.index("variant") + 1 : cols.index("scenario")]
    grid = {k: list(dict.fromkeys(str(v) for v in table[k])) for k in keys}
    target = None
    if "target_mw" in table:
        r = table.iloc[0]
        target = {
            "relief_mw": r["target_mw"],
            "tolerance_mw": r["target_tolerance_mw"],
            "by": _datetime(r["target_by"]),
        }

    def single(col: str) -> Any:
        values = table[col].unique()
        return values[0].item() if len(values) == 1 else None

    sw = Sweep(
        scenario=str(table["scenario"].iloc[0]),
        grid=grid,
        table=table,
        replications_table=pd.DataFrame(),
        seed=single("seed"),
        replications=single("replications"),
        target=target,
    )
    if metric is None:
        metric = "probability_reached" if "probability_reached" in table else "relief_mw"
    path = folder / "heatmap.png"
    save_figure(lambda: sweep_heatmap(sw, metric), path)
    return path
