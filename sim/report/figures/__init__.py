"""Figures from a run, in memory or from a run folder (Agg-safe, matplotlib only).

Every figure function takes a :class:`~sim.report.rundata.RunData` and returns
a :class:`matplotlib.figure.Figure` built without pyplot, so they work in any
process (workers, servers, tests) and never open a window. Time axes are in the
scenario's local time; dates of orders, of the inspection campaign and of the
relief target are read from the scenario, never written here.

The time series of a run are ensemble means per step (``timeseries.parquet``);
figures built on them (demand curves, typical days) show mean loads, and the
loss-of-load probability per step. Load-duration fans and the intervals of EUE
by month need every replication's series (an ensemble run with
``keep_timeseries=True``); without them these figures fall back to the ensemble
mean and say so. Per-replication numbers (relief on the target date, closures,
LOLE, EUE) come from the replications table and carry their 95 % confidence
intervals.

By topic: :mod:`.demand`, :mod:`.duration`, :mod:`.relief`, :mod:`.closures`,
:mod:`.shedding`, :mod:`.comparison`, :mod:`.heatmap`; colours and shared axis
helpers in :mod:`.style`. Notebooks use ``from sim.report import figures as plots``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from sim.dispatch.balance import EPS_MW as SHED_EPS_MW
from sim.report.figures.closures import (
    KIND_ALIASES,
    REPORTED,
    closures_over_time,
    normalise_reported,
    reported_closures,
    reported_figures,
)
from sim.report.figures.demand import demand_curves, national_demand, typical_days
from sim.report.figures.duration import duration_curves, load_duration
from sim.report.figures.relief import relief_by_kind, relief_distribution, relief_over_time
from sim.report.figures.shedding import shedding_by_zone
from sim.report.figures.style import CLOSURE_LABELS, KIND_COLOURS, time_label
from sim.report.rundata import RunData, check_run_folder

__all__ = [
    "ALL_FIGURES",
    "CLOSURE_LABELS",
    "DPI",
    "FIGURES",
    "KIND_ALIASES",
    "KIND_COLOURS",
    "REPORTED",
    "SHED_EPS_MW",
    "RunData",
    "check_run_folder",
    "closures_over_time",
    "demand_curves",
    "duration_curves",
    "load_duration",
    "national_demand",
    "normalise_reported",
    "relief_by_kind",
    "relief_distribution",
    "relief_over_time",
    "reported_closures",
    "reported_figures",
    "shedding_by_zone",
    "time_label",
    "typical_days",
    "write_figures",
]

#: Resolution of the PNG files written (dots per inch).
DPI = 110
#: Every run figure, by short name.
ALL_FIGURES: dict[str, Callable[..., Figure]] = {
    "national_demand": national_demand,
    "demand_curves": demand_curves,
    "typical_days": typical_days,
    "load_duration": load_duration,
    "relief": relief_over_time,
    "relief_by_kind": relief_by_kind,
    "relief_distribution": relief_distribution,
    "closures": closures_over_time,
    "shedding_by_zone": shedding_by_zone,
}
#: The figures ``gridshed run`` and ``gridshed plot`` write, by file name: what a
#: person looks at first. (The national panel heads ``demand_curves``; typical
#: days need a month chosen, see the notebooks.)
FIGURES: dict[str, Callable[..., Figure]] = {
    name: ALL_FIGURES[name]
    for name in (
        "demand_curves",
        "load_duration",
        "relief",
        "relief_by_kind",
        "relief_distribution",
        "closures",
        "shedding_by_zone",
    )
}


#: The figures of :data:`FIGURES`, costliest first (CPU to draw and save the
#: flagship's): the order in which parallel processes take them.
COST_ORDER = (
    "demand_curves",
    "load_duration",
    "relief",
    "shedding_by_zone",
    "closures",
    "relief_by_kind",
    "relief_distribution",
)
#: What the drawing processes draw from (set before they fork).
_SHARED: dict[str, Any] = {}


def _write_one(name: str, path: Path) -> Path:
    """Draw figure ``name`` of the shared run and save it at ``path``."""
    run, reported = _SHARED["run"], _SHARED["reported"]
    make = FIGURES[name]
    fig = make(run, reported=reported) if make is closures_over_time else make(run)
    fig.savefig(path, dpi=DPI)
    return path


def _drawing_processes(workers: int | None, n: int) -> int:
    """How many processes to draw ``n`` figures in: one per core the run may use
    (``workers``: at most that many), where processes can be forked safely: on
    Linux, and with no other thread at work but daemon helpers (a progress bar's
    monitor, a test runner's), none of whose locks the drawing takes."""
    import multiprocessing
    import threading

    from sim.experiments.workers import default_workers

    main = threading.main_thread()
    busy = [t for t in threading.enumerate() if t is not main and not t.daemon]
    if "fork" not in multiprocessing.get_all_start_methods() or busy:
        return 1
    return max(1, min(n, default_workers() if workers is None else workers))


def write_figures(
    run: RunData,
    folder: Path,
    reported: Mapping[str, float] | None = None,
    workers: int | None = None,
) -> list[Path]:
    """Write the main figures as PNG into ``folder``; return their paths.

    ``reported``: reference closure counts for the closures figure; none or
    empty: the counts reported by the scenario's target date, if any
    (:data:`~sim.report.figures.closures.REPORTED`). The figures are drawn in
    parallel processes forked from this one (``workers``: at most that many;
    default: one per core), which share ``run`` as it is, without copying it.
    """
    folder.mkdir(parents=True, exist_ok=True)
    names = sorted(FIGURES, key=lambda n: COST_ORDER.index(n) if n in COST_ORDER else len(COST_ORDER))
    paths = {name: folder / f"{name}.png" for name in names}
    _SHARED.update(run=run, reported=reported or None)
    try:
        processes = _drawing_processes(workers, len(names))
        if processes == 1:
            for name in names:
                _write_one(name, paths[name])
        else:
            _write_in_processes(names, paths, processes)
    finally:
        _SHARED.clear()
    return [paths[name] for name in FIGURES]


def _write_in_processes(names: list[str], paths: dict[str, Path], processes: int) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from sim.experiments.workers import stop_pool, worker_init

    pool = ProcessPoolExecutor(processes, multiprocessing.get_context("fork"), initializer=worker_init)
    try:
        for fut in [pool.submit(_write_one, name, paths[name]) for name in names]:
            fut.result()
    except BaseException:
        stop_pool(pool)
        raise
    pool.shutdown()
