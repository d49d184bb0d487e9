"""Relief figures: relief (MW) over time, by kind, and its distribution on the target date.

Relief over time is the ensemble mean per step with the 95 % interval of the
mean and the spread of single replications; relief on the target date comes
from the replications table (every replication) with its 95 % interval.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from sim.report.figures.style import (
    CLOSURE_LABELS,
    KIND_COLOURS,
    LIMITS,
    TARGET,
    ci_text,
    finish_time_axes,
    mean_marker,
    reps_text,
    shade_target,
    target_band,
    to_x,
    who,
)
from sim.report.rundata import NATIONAL, RunData, num
from sim.report.tables import DEFINITIONS
from sim.vocab import FacilityState

#: Two-sided probability of the spread band of single replications (mean +- z sd).
SPREAD_PROBABILITY = 0.95
#: Histogram bins: about twice the square root of the replications, within these bounds.
MIN_BINS, MAX_BINS = 5, 40
#: Relief series by kind (MW), stacked in this order, with their label and colour.
RELIEF_KINDS = {
    "relief_voluntary_mw": (
        CLOSURE_LABELS[FacilityState.CLOSED_VOLUNTARILY],
        KIND_COLOURS[FacilityState.CLOSED_VOLUNTARILY],
    ),
    "relief_forced_mw": (
        f"{CLOSURE_LABELS[FacilityState.DISCONNECTED_BY_FORCE]} (net of reconnections)",
        KIND_COLOURS[FacilityState.DISCONNECTED_BY_FORCE],
    ),
    "relief_exit_mw": (CLOSURE_LABELS[FacilityState.EXITED], KIND_COLOURS[FacilityState.EXITED]),
    "relief_limits_mw": ("lasting limits on licensed miners", KIND_COLOURS[LIMITS]),
}


def relief_over_time(run: RunData) -> Figure:
    """Relief (MW) over time: the ensemble mean, the 95 % interval of the mean,
    the spread of single replications, the target band and date, and the
    scenario's orders and campaign start."""
    z = NormalDist().inv_cdf(0.5 + SPREAD_PROBABILITY / 2)
    fig = Figure(figsize=(11, 6), layout="constrained")
    ax = fig.subplots()
    s = run.series("relief_mw", NATIONAL)
    x = to_x(s.index)
    ax.fill_between(
        x,
        (s["mean"] - z * s["std"]).clip(lower=0),
        s["mean"] + z * s["std"],
        color="C0",
        alpha=0.12,
        lw=0,
        label=f"single replications (mean +- {z:.2f} sd)",
    )
    ax.fill_between(
        x, s["ci95_low"], s["ci95_high"], color="C0", alpha=0.4, lw=0, label="95 % CI of the mean"
    )
    ax.plot(x, s["mean"], color="C0", lw=1.6, label="relief by accounting, ensemble mean")
    t = run.scenario.target
    if t is not None:
        shade_target(ax, t)
        ax.axhline(t.relief_mw, color=TARGET, lw=0.8)
        est = run.estimate("relief_mw")
        by = run.local(t.by)
        ci = ci_text(*est[1:])
        label = f"{verdict_relief(t)} on {by:%-d %b %Y}: mean {est[0]:,.0f} MW" + (
            f", 95 % CI{ci}" if ci else ""
        )
        mean_marker(ax, by, est, label, fmt="o", color="k", ms=4)
    title = f"{run.name}: relief from closures and limits on miners ({reps_text(run.n)})"
    finish_time_axes(fig, ax, run, title, "relief (MW)", ncol=2)
    return fig


def verdict_relief(target: Any) -> str:
    """What the verdict's relief is, for a label: the target's definition (the
    series drawn over time are relief by accounting)."""
    return f"relief, {DEFINITIONS[target.definition]} (the verdict's)"


def relief_by_kind(run: RunData) -> Figure:
    """Mean relief (MW) over time split by kind: voluntary closures, forced
    disconnections (net of reconnections), exits and lasting limits on
    licensed miners; with the target."""
    fig = Figure(figsize=(11, 6), layout="constrained")
    ax = fig.subplots()
    data = {k: run.series(k, NATIONAL)["mean"] for k in RELIEF_KINDS}
    # Leave out kinds that never happen (e.g. no exits) but keep the legend non-empty.
    kinds = {k: v for k, v in RELIEF_KINDS.items() if data[k].abs().max() > 0} or RELIEF_KINDS
    x = to_x(next(iter(data.values())).index)
    t = run.scenario.target
    labels = [v[0] for v in kinds.values()]
    if t is not None:
        by = run.local(t.by)
        labels = [
            f"{text}: {run.estimate(k)[0]:,.0f} MW on {by:%-d %b}"
            for k, text in zip(kinds, labels, strict=True)
        ]
    ax.stackplot(
        x,
        *[data[k].clip(lower=0) for k in kinds],
        labels=labels,
        colors=[v[1] for v in kinds.values()],
        linewidth=0,
    )
    ax.plot(
        x, run.series("relief_mw", NATIONAL)["mean"], color="k", lw=1.0, label="total relief (accounting)"
    )
    if t is not None:
        # Lines, not a translucent band: a band over the stack would muddy its colours.
        lo, hi, text = target_band(t)
        ax.axhline(t.relief_mw, color=TARGET, lw=1.4, label=text)
        for y in (lo, hi):
            ax.axhline(y, color=TARGET, lw=1.0, ls="--")
        est = run.estimate("relief_mw")
        label = f"{verdict_relief(t)} on {by:%-d %b %Y}: mean {est[0]:,.0f} MW" + (
            f", 95 % CI{ci_text(*est[1:])}" if ci_text(*est[1:]) else ""
        )
        mean_marker(ax, by, est, label, fmt="o", color="k", ms=4)
    finish_time_axes(fig, ax, run, f"{run.name}: relief by kind ({who(run)})", "relief (MW)", ncol=2)
    return fig


def relief_distribution(run: RunData) -> Figure:
    """Histogram of relief (MW) on the target date (end of run without a
    target) over all replications, with the mean, its 95 % interval and the
    target band."""
    fig = Figure(figsize=(8, 4.5), layout="constrained")
    ax = fig.subplots()
    values = run.replications["relief_mw"].to_numpy(dtype=float)
    bins = int(np.clip(np.sqrt(values.size) * 2, MIN_BINS, MAX_BINS))
    ax.hist(values, bins=bins, color="C0", edgecolor="white", label="replications", zorder=2)
    t = run.scenario.target
    when = f"on {run.local(t.by):%-d %b %Y}" if t is not None else "at the end of the run"
    if t is not None:
        lo, hi, label = target_band(t)
        ax.axvspan(lo, hi, color=TARGET, alpha=0.15, label=label, zorder=0)
    mean, lo, hi = run.estimate("relief_mw")
    ax.axvline(mean, color="k", lw=1.5, label=f"mean {mean:,.0f} MW", zorder=3)
    if not math.isnan(lo):
        ax.axvspan(
            lo, hi, color="k", alpha=0.25, lw=0, label=f"95 % CI of the mean [{lo:,.0f}, {hi:,.0f}]", zorder=1
        )
    title = f"{run.name}: relief {when}, {reps_text(values.size)}"
    check = run.target or {}
    if t is not None and "probability_within" in check:
        p = check["probability_within"]
        title += (
            f"\nP(within target band) = {num(p['mean']):.2f} "
            f"[{num(p['ci95_low']):.2f}, {num(p['ci95_high']):.2f}]; verdict: {check.get('verdict', '?')}"
        )
    ax.set_title(title)
    ax.set_xlabel(f"relief {when} (MW)")
    ax.set_ylabel("replications")
    ax.legend(loc="upper left", fontsize="small")
    return fig
