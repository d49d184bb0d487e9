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
    "Drawing",
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
    "start_figures",
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
    "load_duration",
    "demand_curves",
    "shedding_by_zone",
    "closures",
    "relief_by_kind",
    "relief",
    "relief_distribution",
)
#: What a drawing process draws from (set in it by :func:`_share`, when it starts).
_SHARED: dict[str, Any] = {}


def _share(run: RunData, reported: Mapping[str, float] | None) -> None:
    """Initializer of the drawing processes: the run they draw (inherited through
    fork, not copied)."""
    from sim.experiments.workers import worker_init

    worker_init()
    _SHARED.update(run=run, reported=reported)


def _write_one(name: str, path: Path, run: RunData | None = None, reported: Any = None) -> Path:
    """Draw figure ``name`` of ``run`` (in a drawing process: of the shared run)
    and save it at ``path``."""
    if run is None:
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
    from sim.experiments.workers import can_fork, default_workers

    if not can_fork():
        return 1
    return max(1, min(n, default_workers() if workers is None else workers))


class Drawing:
    """Figures being drawn (:func:`start_figures`): in processes forked from this
    one, which run while this one goes on; or here, when waited for."""

    def __init__(self, run: RunData, folder: Path, reported: Mapping[str, float] | None, processes: int):
        folder.mkdir(parents=True, exist_ok=True)
        self.run, self.reported = run, reported
        names = sorted(FIGURES, key=lambda n: COST_ORDER.index(n) if n in COST_ORDER else len(COST_ORDER))
        self.paths = {name: folder / f"{name}.png" for name in names}
        self.order = [folder / f"{name}.png" for name in FIGURES]
        self.pool = None
        self.futures: list[Any] = []
        if processes > 1:
            run.prepare()  # found once, before the processes fork
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            ctx = multiprocessing.get_context("fork")
            self.pool = ProcessPoolExecutor(processes, ctx, initializer=_share, initargs=(run, reported))
            try:
                self.futures = [self.pool.submit(_write_one, name, path) for name, path in self.paths.items()]
            except BaseException:
                self.cancel()
                raise

    def wait(self) -> list[Path]:
        """Wait for the figures (draw them here if no process does); their paths
        in the order of :data:`FIGURES`. A figure that fails raises here."""
        if self.pool is None:
            for name, path in self.paths.items():
                _write_one(name, path, self.run, self.reported)
            return self.order
        try:
            for fut in self.futures:
                fut.result()
        except BaseException:
            self.cancel()
            raise
        self.pool.shutdown()
        self.pool = None
        return self.order

    def cancel(self) -> None:
        """Stop drawing now (the files drawn so far stay)."""
        from sim.experiments.workers import stop_pool

        if self.pool is not None:
            pool, self.pool = self.pool, None
            stop_pool(pool)


def warm_up() -> None:
    """Draw a small figure once (fonts, text layout, dates, the mathematical text of
    log axes): what the first figure of a process pays, paid before it is needed."""
    import io

    import matplotlib.dates as mdates
    import numpy as np

    fig = Figure(figsize=(4, 2), layout="constrained")
    ax, log = fig.subplots(1, 2)
    days = np.arange("2021-10-01", "2021-10-05", dtype="datetime64[D]")
    ax.stackplot(days, [1, 3, 2, 4], labels=["a"], hatch="//")
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.twinx().plot(days, [0.1, 0.2, 0.1, 0.0], label="b")
    log.errorbar([1.0, 10.0, 100.0], [1.0, 2.0, 3.0], yerr=0.1, label="c")
    log.set_xscale("log")
    ax.set_title("warm up", loc="left")
    fig.suptitle("warm up")
    fig.legend(loc="outside lower center")
    fig.savefig(io.BytesIO(), format="png", dpi=DPI)


def start_figures(
    run: RunData,
    folder: Path,
    reported: Mapping[str, float] | None = None,
    workers: int | None = None,
) -> Drawing:
    """Start drawing the main figures as PNG into ``folder``, in parallel
    processes forked from this one (``workers``: at most that many; default:
    one per core), which share ``run`` as it is, without copying it, and draw
    while this process goes on (writes the other files of a run). ``reported``:
    as for :func:`write_figures`."""
    return Drawing(run, folder, reported or None, _drawing_processes(workers, len(FIGURES)))


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
    return start_figures(run, folder, reported, workers).wait()
