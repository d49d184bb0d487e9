"""Closures of mining facilities by kind (count) over time, with reported counts.

Lines come from the events of the replications whose events were kept (the
first few: ``events.parquet``); markers on the target date come from the
replications table (every replication): the mean with its 95 % interval and
the range of 90 % of the replications. The counts reported by 15 March 2022
(:data:`REPORTED`) are drawn whenever the scenario's target is that date.
"""

from __future__ import annotations

import datetime as dt
import math
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
#: Figures reported by a date, by metric (columns of the replications table):
#: the Financial Monitoring Agency on 15 March 2022 (docs/sources.md, M16), the
#: date of the flagship's relief target. The one place the figures and the
#: notebooks read these numbers from.
REPORTED: dict[dt.date, dict[str, float]] = {
    dt.date(2022, 3, 15): {
        "closures_voluntary": 55,
        "closures_forced": 51,
        "criminal_cases": 25,
        "devices_seized": 67_000,
    },
}
#: Share of replications inside the range drawn on the target date (5 % to 95 %).
RANGE = (0.05, 0.95)
#: Short names of the closure kinds (tick labels).
SHORT: dict[FacilityState, str] = {
    FacilityState.CLOSED_VOLUNTARILY: "voluntary",
    FacilityState.DISCONNECTED_BY_FORCE: "forced",
    FacilityState.EXITED: "exited",
}
#: Seed of the horizontal jitter of the replication dots (the figure is reproducible).
JITTER_SEED = 0
#: ``start="auto"``: the window begins this long before the campaign or the first closure.
LEAD_IN = pd.Timedelta(days=7)


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


def reported_figures(run: RunData) -> dict[str, float]:
    """The figures of :data:`REPORTED` on the date of the scenario's relief
    target (by metric), if any were reported that day."""
    t = run.scenario.target
    return dict(REPORTED.get(run.local(t.by).date(), {})) if t is not None else {}


def reported_closures(run: RunData) -> dict[FacilityState, float]:
    """The reported closure counts that belong to the run, by closure kind
    (:func:`reported_figures`)."""
    figures = reported_figures(run)
    return {kind: figures[m] for kind, m in CLOSURE_METRICS.items() if m in figures}


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


def _on_the_date(ax: Any, run: RunData, kinds: list[FacilityState], ref: dict, when: pd.Timestamp) -> None:
    """Counts on the target date over all replications, kind by kind: each
    replication (dots), the range of 90 % of them (bar), the mean with its 95 %
    interval (diamond) and the reported count (star)."""
    rng = np.random.default_rng(JITTER_SEED)
    spread = f"{100 * (RANGE[1] - RANGE[0]):.0f} % of replications"
    for i, kind in enumerate(kinds):
        colour, label = KIND_COLOURS[kind], CLOSURE_LABELS[kind]
        values = run.replications[CLOSURE_METRICS[kind]].to_numpy(dtype=float)
        ax.scatter(i + rng.uniform(-0.25, 0.25, values.size), values, s=5, color=colour, alpha=0.35, lw=0)
        if values.size > 1:
            lo, hi = np.quantile(values, RANGE)
            ax.vlines(i, lo, hi, color=colour, lw=8, alpha=0.35, label=f"{label}: {spread}")
        est = run.estimate(CLOSURE_METRICS[kind])
        text = f"{label}, all {reps_text(run.n)}: mean {est[0]:.1f}{ci_text(*est[1:], '.1f')}"
        yerr = None if math.isnan(est[1]) else [[est[0] - est[1]], [est[2] - est[0]]]
        ax.errorbar([i], [est[0]], yerr=yerr, fmt="D", ms=6, color=colour, mec="k", capsize=4, label=text)
        if kind in ref:
            ax.plot(
                [i + 0.3], [ref[kind]], marker="*", ms=14, color=colour, mec="k", ls="none",
                label=f"{label}: reported {ref[kind]:,.0f} by {when:%-d %b %Y}",
            )  # fmt: skip
    ax.set_xticks(range(len(kinds)), [SHORT[k] for k in kinds])
    ax.set_xlim(-0.6, len(kinds) - 0.4)
    ax.set_xlabel(f"by {when:%-d %b %Y} (kind)")
    ax.set_title(f"on {when:%-d %b %Y}", fontsize=10)
    ax.grid(axis="y", alpha=0.3)


def closures_over_time(
    run: RunData, reported: Mapping[str, float] | None = None, start: Any = "auto", end: Any = None
) -> Figure:
    """Cumulative closures by kind (count) over time, and their distribution on
    the target date.

    Left, lines: the mean over the replications whose events were kept (the
    first few: ``events.parquet``) and each of them thinly. Right, on the target
    date (end of run without a target), over all replications (replications
    table): each replication, the range of 90 % of them, the mean with its 95 %
    interval, and the reported counts (stars). ``reported``: reference counts,
    e.g. ``{"closed_voluntarily": 55, "disconnected_by_force": 51}`` (also
    ``voluntary``, ``forced``, ``exits``); None: those of :data:`REPORTED` for
    the scenario's target date (:func:`reported_closures`); ``{}``: none.
    ``start``: ``"auto"`` begins a week before the campaign or the first
    closure, None at the start of the run.
    """
    ref = reported_closures(run) if reported is None else normalise_reported(reported)
    fig = Figure(figsize=(12, 6.5), layout="constrained")
    ax, dax = fig.subplots(1, 2, sharey=True, width_ratios=[4, 1])
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
    kinds = []
    for kind, label in CLOSURE_LABELS.items():
        colour = KIND_COLOURS[kind]
        seen = kept and bool((ev["event"] == kind).any())
        if not (seen or kind in ref or run.estimate(CLOSURE_METRICS[kind])[0] > 0):
            continue  # e.g. no exits in this scenario: nothing to draw
        kinds.append(kind)
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
            ax.axhline(ref[kind], color=colour, ls=":", lw=1.0)
    _on_the_date(dax, run, kinds, ref, when)
    lo_t = _first_shown(run, ev, start)
    hi_t = grid[-1] if end is None else run.local(end)
    mark_milestones(ax, run, lo=lo_t, hi=hi_t)
    if not kept:
        ax.text(0.5, 0.5, "no events recorded in this run", transform=ax.transAxes, ha="center")
    ax.set_ylim(bottom=0)
    ax.set_xlim(to_x(lo_t), to_x(hi_t))
    ax.set_title(
        f"lines: the first {len(kept)} of {reps_text(run.n)} (events are kept for those only)"
        + ("; dotted: reported counts" if ref else ""),
        fontsize=10,
    )
    ax.set_ylabel("closures, cumulative (count)")
    time_axis(ax, run)
    fig.suptitle(f"{run.name}: closures of mining facilities by kind")
    figure_legend(fig, [ax, dax], ncol=2)
    return fig
