"""Load-duration curves (MW against hours at or above, log scale), with the
available supply and the deficit.

With every replication's time series (an ensemble run with
``keep_timeseries=True``), each replication's load is sorted on its own and the
figure shows the fan over replications: quantile bands of the sorted loads,
whose peaks are those of single winters. A run folder holds only the ensemble
mean per step: the figure then sorts the mean load (its peaks are smoothed) and
says so in its title.

Below each load panel, the deficit: load shed sorted from the deepest step down,
averaged over the replications, whose area is the EUE; the mean LOLE is marked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import LogLocator, NullFormatter

from sim.dispatch.balance import EPS_MW
from sim.report.figures.style import (
    GENERATION,
    GREY,
    ORDINARY,
    SHED,
    figure_legend,
    inbound_links_mw,
    panel_title,
    reps_text,
)
from sim.report.rundata import NATIONAL, RunData

#: Quantiles of the fan (outer band, inner band, median).
OUTER = (0.05, 0.95)
INNER = (0.25, 0.75)
#: Quantile of the replications drawn as the bad-winter deficit curve.
BAD_WINTER = 0.95
#: The y axis of a load panel starts this share of the drawn range below the lowest curve.
BASE_SHARE = 0.05
#: Ranks drawn: all of the first DENSE, then LOG_POINTS spaced evenly on the log axis.
DENSE, LOG_POINTS = 200, 300
#: Supply in the hours of rank k is averaged over ranks k / SMOOTH to k * SMOOTH
#: (outages make it jump from one hour to the next).
SMOOTH = 1.25


@dataclass
class Curves:
    """One zone's sorted curves: rows are replications (one row: the ensemble mean)."""

    hours: np.ndarray
    """Hours at or above, per rank."""
    load: np.ndarray
    """Load (ordinary demand + mining after the operator's orders), each row sorted descending."""
    ordinary: np.ndarray
    """Ordinary demand alone, each row sorted descending."""
    supply: np.ndarray
    """Available generation + imports in the hours of each rank of the load."""
    shed: np.ndarray
    """Load shed, each row sorted descending."""
    per_replication: bool
    """Rows are replications (else one row: the ensemble mean)."""


def _window(run: RunData, start: Any, end: Any) -> np.ndarray:
    idx = run.index
    keep = np.ones(len(idx), bool)
    if start is not None:
        keep &= idx >= run.local(start)
    if end is not None:
        keep &= idx < run.local(end)
    if not keep.any():
        raise ValueError(
            f"no steps between {start} and {end}; the run covers {idx[0]:%Y-%m-%d %H:%M} "
            f"to {idx[-1]:%Y-%m-%d %H:%M}"
        )
    return keep


def _variables(run: RunData, zone: str, keep: np.ndarray) -> tuple[dict[str, np.ndarray], bool]:
    """The series needed, ``(rows, steps)``: per replication if kept, else the mean."""
    names = ("demand_mw", "grey_mining_mw", "licensed_mining_mw", "limited_mw", "generation_mw")
    names += ("imports_mw", "shed_mw")
    if run.has_replication_series:
        out = {n: run.replication_series(n, zone) for n in names}
        return {n: a[:, keep] for n, a in out.items() if a is not None}, True
    return {n: run.series(n, zone)["mean"].to_numpy()[None, keep] for n in names}, False


def duration_curves(run: RunData, zone: str = NATIONAL, start: Any = None, end: Any = None) -> Curves:
    """The sorted curves of one zone (``national``: all zones) in a window."""
    keep = _window(run, start, end)
    v, per_rep = _variables(run, zone, keep)
    load = v["demand_mw"] + v["grey_mining_mw"] + v["licensed_mining_mw"] - v["limited_mw"]
    order = np.argsort(-load, axis=1, kind="stable")
    supply = np.take_along_axis(v["generation_mw"] + v["imports_mw"], order, axis=1)
    return Curves(
        hours=np.arange(1, load.shape[1] + 1) * run.step_h,
        load=np.take_along_axis(load, order, axis=1),
        ordinary=-np.sort(-v["demand_mw"], axis=1),
        supply=supply,
        shed=-np.sort(-v["shed_mw"], axis=1),
        per_replication=per_rep,
    )


def drawn_ranks(n: int) -> np.ndarray:
    """Ranks (0-based) drawn of ``n``: every one of the first :data:`DENSE`, then
    about :data:`LOG_POINTS` evenly spaced on the log axis (thousands of points
    at the right end of a log axis only cost drawing time)."""
    log = np.unique(np.geomspace(1, n, LOG_POINTS).round().astype(int)) - 1
    return np.union1d(np.arange(min(n, DENSE)), log)


def smooth_ranks(y: np.ndarray, factor: float = SMOOTH) -> np.ndarray:
    """Mean of ``y`` over the ranks ``k / factor`` to ``k * factor`` around each
    rank ``k`` (1-based): a window of constant width on a log axis."""
    k = np.arange(1, y.size + 1)
    lo = np.clip(np.floor(k / factor).astype(int) - 1, 0, y.size - 1)
    hi = np.clip(np.ceil(k * factor).astype(int), 1, y.size)
    cum = np.concatenate([[0.0], np.cumsum(y)])
    return (cum[hi] - cum[lo]) / (hi - lo)


def _lole(run: RunData, zone: str, c: Curves, whole: bool) -> float:
    """Mean hours with load shed: from the replications table for the whole run,
    else from the replications' series (nan from the ensemble mean alone)."""
    if whole:
        return run.estimate("lole_h", None if zone == NATIONAL else zone)[0]
    if not c.per_replication:
        return math.nan
    return float((c.shed > EPS_MW).sum(axis=1).mean() * run.step_h)


def _load_panel(ax: Axes, run: RunData, zone: str, c: Curves, lole: float, r: np.ndarray) -> None:
    h = c.hours[r]
    if c.per_replication:
        q = np.quantile(c.load[:, r], [*OUTER, *INNER, 0.5], axis=0)
        ax.fill_between(h, q[0], q[1], color=GREY, alpha=0.25, lw=0, label="load, 5-95 % of replications")
        ax.fill_between(h, q[2], q[3], color=GREY, alpha=0.45, lw=0, label="load, 25-75 % of replications")
        ax.plot(h, q[4], color=GREY, lw=1.6, label="load, median replication")
        what = "median"
    else:
        ax.plot(h, c.load[0, r], color=GREY, lw=1.6, label="load, ensemble mean (sorted)")
        what = "ensemble mean"
    ordinary = np.median(c.ordinary[:, r], axis=0)
    ax.plot(h, ordinary, color=ORDINARY, lw=1.4, ls="--", label=f"ordinary demand alone ({what})")
    supply = smooth_ranks(np.median(c.supply, axis=0))[r]
    ax.plot(
        h,
        supply,
        color=GENERATION,
        lw=1.0,
        ls="-.",
        label=f"available generation + imports in those hours ({what}, smoothed)",
    )
    curves = [c.load[:, r].max(axis=0), ordinary, supply]
    links = inbound_links_mw(run, zone) if zone != NATIONAL else 0.0
    if links > 0:
        ax.plot(
            h, supply + links, color=GENERATION, lw=0.8, ls=":", label="+ links from other zones (nominal)"
        )
        curves.append(supply + links)
    if lole > 0:
        ax.axvline(lole, color=SHED, lw=1.0, ls="--", label="LOLE: mean hours with load shed")
    top = max(float(np.max(y)) for y in curves)
    low = min(float(np.min(y)) for y in curves)
    ax.set_ylim(max(0.0, low - BASE_SHARE * (top - low)), top + 0.04 * (top - low))
    ax.set_ylabel("load (MW)")
    ax.grid(alpha=0.3, which="both", lw=0.4)
    ax.tick_params(labelbottom=False)


def _deficit_panel(ax: Axes, c: Curves, lole: float, step_h: float, r: np.ndarray) -> float:
    """Load shed sorted (MW), mean over replications; returns its area, the EUE (MWh)."""
    h = c.hours[r]
    mean = c.shed.mean(axis=0)
    eue = float(mean.sum() * step_h)
    mean = mean[r]
    if mean.max() > EPS_MW:
        label = "load shed, sorted: mean over replications (area = EUE)"
        if not c.per_replication:
            label = "load shed of the ensemble mean, sorted (area = EUE)"
        ax.fill_between(h, 0, mean, color=SHED, alpha=0.6, lw=0, step="post", label=label)
        if c.per_replication:
            bad = np.quantile(c.shed[:, r], BAD_WINTER, axis=0)
            ax.plot(
                h,
                bad,
                color=SHED,
                lw=1.0,
                ls="--",
                drawstyle="steps-post",
                label="load shed, 95th percentile",
            )
        ax.set_ylim(0, float(max(mean.max(), c.shed.max() if c.per_replication else 0)) * 1.1)
    else:
        ax.text(0.5, 0.5, "no load shed in any replication", transform=ax.transAxes, ha="center", va="center")
        ax.set_ylim(0, 1)
    if lole > 0:
        ax.axvline(lole, color=SHED, lw=1.0, ls="--")
    ax.set_ylabel("shed (MW)")
    ax.set_xlabel("hours at or above (h, log scale)")
    ax.grid(alpha=0.3, which="both", lw=0.4)
    return eue


def _heading(run: RunData, zone: str, c: Curves, lole: float, eue: float) -> str:
    peaks = c.load[:, 0]
    if c.per_replication:
        lo, hi = np.quantile(peaks, OUTER)
        peak = f"peak load {np.median(peaks):,.0f} MW (5-95 %: {lo:,.0f} to {hi:,.0f})"
    else:
        peak = f"peak of the mean load {peaks[0]:,.0f} MW"
    loss = f"LOLE {lole:.1f} h, " if not math.isnan(lole) else ""
    return f"{panel_title(zone)}: {peak}\n{loss}EUE {eue:,.0f} MWh"


def load_duration(run: RunData, start: Any = None, end: Any = None) -> Figure:
    """Load-duration curves, national and by zone (MW against hours at or above,
    log scale): the fan of the replications' sorted load (or, without their
    series, the sorted ensemble-mean load), ordinary demand alone, the available
    generation + imports in the hours of each rank (and the nominal links from
    other zones), and below, the load shed sorted (area: EUE) with the LOLE."""
    panels = [NATIONAL, *run.zones]
    ncols = 2 if len(panels) > 1 else 1
    nrows = math.ceil(len(panels) / ncols)
    fig = Figure(figsize=(6.2 * ncols, 4.4 * nrows + 1.6), layout="constrained")
    grid = fig.add_gridspec(2 * nrows, ncols, height_ratios=[3, 1] * nrows)
    whole = start is None and end is None
    load_axes = []
    for k, zone in enumerate(panels):
        r, col = divmod(k, ncols)
        ax = fig.add_subplot(grid[2 * r, col])
        dax = fig.add_subplot(grid[2 * r + 1, col], sharex=ax)
        c = duration_curves(run, zone, start, end)
        lole = _lole(run, zone, c, whole)
        r = drawn_ranks(len(c.hours))
        _load_panel(ax, run, zone, c, lole, r)
        eue = _deficit_panel(dax, c, lole, run.step_h, r)
        ax.set_xscale("log")
        # Few minor ticks, unlabelled: ticks dominate the cost of drawing log axes.
        ax.xaxis.set_minor_locator(LogLocator(subs=(2, 5)))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlim(c.hours[0], c.hours[-1])
        ax.set_title(_heading(run, zone, c, lole, eue), fontsize=9.5, loc="left")
        load_axes += [ax, dax]
    idx = run.index[_window(run, start, end)]
    span = f"{idx[0]:%-d %b %Y} to {idx[-1]:%-d %b %Y}"
    if c.per_replication:
        what = f"fan over {reps_text(run.n)} (each replication's load sorted on its own)"
    else:
        what = (
            f"the ensemble mean of {reps_text(run.n)}, sorted: its peaks are smoothed out\n"
            "(the replications' series were not kept: keep_timeseries=True or --keep-timeseries for the fan)"
        )
    fig.suptitle(f"{run.name}: load-duration curves, {span}\n{what}", fontsize=11)
    figure_legend(fig, load_axes, ncol=3)
    return fig
