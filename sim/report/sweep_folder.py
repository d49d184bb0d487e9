"""A parameter sweep as a Markdown table and as a folder.

The folder (``gridshed sweep``) holds ``sweep.csv`` and ``sweep.parquet`` (one
row per variant: the keys, then the metrics), ``sweep.md``,
``replications.parquet`` (wide) and ``replications_long.parquet``
(:mod:`sim.report.tidy`), ``manifest.json`` (:mod:`sim.report.manifest`) and
``heatmap.png``; it is written whole or not at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sim.report.comparison_folder import save_figure
from sim.report.manifest import FILE as MANIFEST
from sim.report.manifest import manifest
from sim.report.outfolder import Reservation, write_atomic
from sim.report.runfolder import write_json
from sim.report.tables import ci, md_table
from sim.report.tidy import long_replications, without_negative_zeros
from sim.vocab import DIFFERENCES, METRICS, label

if TYPE_CHECKING:
    from sim.experiments.sweep import Sweep


def sweep_markdown(sw: Sweep) -> str:
    """The long table as Markdown: the swept keys, the target check (if the
    scenario has a target) and the means with 95 % intervals of the metrics
    compared between scenarios, in their units."""
    keys = list(sw.grid)
    metrics = [*(["probability_within", "verdict"] if "probability_within" in sw.table else []), *DIFFERENCES]
    head = [*keys, *(label(c) for c in metrics)]
    body = []
    for r in sw.table.to_dict("records"):
        cells = [str(r[k]) for k in keys]
        cells += [str(r[c]) if c == "verdict" else ci(r, c, METRICS[c].digits) for c in metrics]
        body.append(cells)
    crn = (
        f"seed {sw.seed} (common random numbers)."
        if sw.seed is not None
        else "seeds varying between variants."
    )
    return (
        f"# Sweep of {sw.scenario}\n\n{sw.replications or 'Varying'} replications per variant, "
        f"{crn}\n\n{md_table(head, body)}\n"
    )


def write_sweep(
    sw: Sweep, folder: Path | Reservation, metric: str = "probability_reached", figures: bool = True
) -> Path:
    """Write ``folder`` whole: ``sweep.csv``, ``sweep.parquet``, ``sweep.md``,
    ``replications.parquet`` and (with ``figures``) ``heatmap.png`` of ``metric``
    (see :func:`sim.report.figures.heatmap.sweep_heatmap`), ``replications_long.parquet``
    and ``manifest.json``. Returns the folder."""
    started = folder.started if isinstance(folder, Reservation) else None

    def fill(tmp: Path) -> None:
        sw.table.to_csv(tmp / "sweep.csv", index=False)
        sw.table.to_parquet(tmp / "sweep.parquet", index=False)
        reps = without_negative_zeros(sw.replications_table)
        reps.to_parquet(tmp / "replications.parquet", index=False)
        ids = ("variant", *sw.grid, "replication")
        long_replications(reps, ids).to_parquet(tmp / "replications_long.parquet", index=False)
        (tmp / "sweep.md").write_text(sweep_markdown(sw), encoding="utf-8")
        if figures:
            from sim.report.figures.heatmap import sweep_heatmap

            save_figure(lambda: sweep_heatmap(sw, metric), tmp / "heatmap.png")
        info = manifest([], {}, started, seed=sw.seed, replications=sw.replications, name=sw.scenario)
        write_json(tmp / MANIFEST, info)

    return write_atomic(folder if isinstance(folder, Reservation) else Path(folder), fill)
