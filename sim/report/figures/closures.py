"""Closures of mining facilities by kind (count) over time, with reported counts.

Lines come from the events of the replications whose events were kept (the
first few: ``events.parquet``); markers on the target date come from the
replications table (every replication) with their 95 % intervals.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.report.figures.style import (
    CLOSURE_LABELS,
    KIND_COLOURS,
    ci_text,
    figure_legend,
    mark_milestones,
    mean_marker,
    reps_text,
    time_axis,
    to_x,
)
from sim.report.rundata import RunData
from sim.vocab import FacilityState

#: Metric (column of the replications table) counting each closure kind.
CLOSURE_METRICS: dict[FacilityState, str] = {
    FacilityState.CLOSED_VOLUNTARILY: "closures_voluntary",
    FacilityState.DISCONNECTED_BY_FORCE: "closures_forced",
    FacilityState.EXITED: "exits",
}
#: Short names accepted for ``reported=`` keys: the metric names and these.
KIND_ALIASES: dict[str, FacilityState] = {
    "voluntary": FacilityState.CLOSED_VOLUNTARILY,
    CLOSURE_METRICS[FacilityState.CLOSED_VOLUNTARILY]: FacilityState.CLOSED_VOLUNTARILY,
    "forced": FacilityState.DISCONNECTED_BY_FORCE,
    CLOSURE_METRICS[FacilityState.DISCONNECTED_BY_FORCE]: FacilityState.DISCONNECTED_BY_FORCE,
    CLOSURE_METRICS[FacilityState.EXITED]: FacilityState.EXITED,
}
#: ``start="auto"``: the window begins this long before the campaign or the first closure.
LEAD_IN = pd.Timedelta(days=7)
#: The markers on the target date are set this far apart, kind by kind, so their bars do not overlap.
MARKER_GAP = pd.Timedelta(hours=18)


def normalise_reported(reported: Mapping[str, float] | None) -> dict[str, float]:
    """Reported closure counts keyed by closure kind (aliases resolved).

    Raises :class:`ValueError` for an unknown kind.
    """
    out: dict[str, float] = {}
    for key, value in (reported or {}).items():
        kind = KIND_ALIASES.get(key, key)
        if kind not in CLOSURE_LABELS:
            names = ", ".join([*CLOSURE_LABELS, *KIND_ALIASES])
            raise ValueError(f"unknown closure kind {key!r} in reported; use one of: {names}")
        out[kind] = float(value)
    return out


def _reps(kept: list[int]) -> str:
    if kept == list(range(kept[0], kept[0] + len(kept))):
        return f"{kept[0]}-{kept[-1]}" if len(kept) > 1 else f"{kept[0]}"
    return ", ".join(map(str, kept))


def _first_shown(run: RunData, events: pd.DataFrame, start: Any) -> pd.Timestamp:
    """Left edge of the time axis (see :func:`closures_over_time`); ``events``:
    the closure events of the kept replications."""
    grid = run.index
    if start is None:
        return grid[0]
    if start != "auto":
        return run.local(start)
    firsts = [t for t, label in run.milestones() if label.startswith("inspection campaign")]
    if len(events):
        firsts.append(run.local(pd.Timestamp(events["time"].min())))
    return max(grid[0], min(firsts) - LEAD_IN) if firsts else grid[0]


def closures_over_time(
    run: RunData, reported: Mapping[str, float] | None = None, start: Any = "auto", end: Any = None
) -> Figure:
    """Cumulative closures by kind (count) over time.

    Lines: the mean over the replications whose events were kept (the first
    few: ``events.parquet``) and each of them thinly; markers: mean and 95 %
    interval on the target date over all replications (replications table).
    ``reported``: reference counts to draw, e.g. ``{"closed_voluntarily": 55,
    "disconnected_by_force": 51}`` (also ``voluntary``, ``forced``, ``exits``).
    ``start``: ``"auto"`` begins a week before the campaign or the first
    closure, None at the start of the run.
    """
    ref = normalise_reported(reported)
    fig = Figure(figsize=(11, 6.5), layout="constrained")
    ax = fig.subplots()
    grid = run.index
    ev = run.events
    kept = sorted(ev["replication"].unique().tolist()) if len(ev) else []
    if kept:
        ev = ev[ev["event"].isin(list(CLOSURE_LABELS))]
        ev_ns = pd.to_datetime(ev["time"]).dt.tz_convert("UTC").dt.as_unit("ns").astype("int64").to_numpy()
    grid_ns = grid.as_unit("ns").asi8
    gx = to_x(grid)
    t = run.scenario.target
    when = run.local(t.by) if t is not None else grid[-1]
    for i, (kind, label) in enumerate(CLOSURE_LABELS.items()):
        colour = KIND_COLOURS[kind]
        est = run.estimate(CLOSURE_METRICS[kind])
        seen = kept and bool((ev["event"] == kind).any())
        if not (seen or kind in ref or (est[0] > 0)):
            continue  # e.g. no exits in this scenario: no line to draw
        if kept:
            curves = []
            for rep in kept:
                sel = ((ev["event"] == kind) & (ev["replication"] == rep)).to_numpy()
                curves.append(np.searchsorted(np.sort(ev_ns[sel]), grid_ns, side="right"))
                ax.step(gx, curves[-1], where="post", color=colour, lw=0.5, alpha=0.35)
            ax.step(
                gx,
                np.mean(curves, axis=0),
                where="post",
                color=colour,
                lw=2,
                label=f"{label}: mean of replications {_reps(kept)} (thin lines: each)",
            )
        if kind in ref:
            ax.axhline(ref[kind], color=colour, ls=":", lw=1.5, label=f"{label}: reported {ref[kind]:,.0f}")
        text = f"{label} by {when:%-d %b}, all {reps_text(run.n)}: {est[0]:.1f}{ci_text(*est[1:], '.1f')}"
        mean_marker(ax, when + MARKER_GAP * (i - 1), est, text, fmt="D", ms=5, color=colour, mec="k")
    lo_t = _first_shown(run, ev, start)
    hi_t = grid[-1] if end is None else run.local(end)
    mark_milestones(ax, run, lo=lo_t, hi=hi_t)
    if not kept:
        ax.text(0.5, 0.5, "no events recorded in this run", transform=ax.transAxes, ha="center")
    ax.set_ylim(bottom=0)
    ax.set_xlim(to_x(lo_t), to_x(hi_t))
    note = (
        f"lines: events are kept for the first {len(kept)} of {reps_text(run.n)} only; "
        "markers: all replications"
    )
    ax.set_title(f"{run.name}: closures of mining facilities by kind\n{note}", fontsize=10)
    ax.set_ylabel("closures, cumulative (count)")
    time_axis(ax, run)
    figure_legend(fig, [ax], ncol=2)
    return fig
