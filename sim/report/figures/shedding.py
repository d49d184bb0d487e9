"""Loss of load by zone: LOLE (h) and EUE (MWh) with their 95 % intervals."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure

from sim.report.figures.style import reps_text
from sim.report.rundata import RunData
from sim.vocab import label

#: Numbers at or above this are written without decimals above the bars.
WHOLE_FROM = 100
#: Panels: metric and title.
PANELS = (
    ("lole_h", "hours with load shed (loss-of-load expectation)"),
    ("eue_mwh", "energy not served (expected unserved energy)"),
)


def shedding_by_zone(run: RunData) -> Figure:
    """Loss of load by zone and in total: LOLE (h) and EUE (MWh), means with
    95 % confidence intervals (clipped at zero) over the replications."""
    fig = Figure(figsize=(11, 4.5), layout="constrained")
    names = [*run.zones, "total"]
    colours = ["C0"] * len(run.zones) + ["0.35"]
    for ax, (metric, title) in zip(fig.subplots(1, len(PANELS)), PANELS, strict=True):
        est = [run.estimate(metric, z) for z in run.zones] + [run.estimate(metric)]
        mean = np.array([e[0] for e in est])
        lo = np.clip(np.array([e[1] for e in est]), 0, None)
        hi = np.array([e[2] for e in est])
        err = np.vstack([np.nan_to_num(mean - lo), np.nan_to_num(hi - mean)])
        ax.bar(names, mean, color=colours, yerr=err, capsize=5, label=label(metric))
        top = float(np.nanmax(np.fmax(hi, mean))) if np.isfinite(mean).any() else 0.0
        top = top if top > 0 else 1.0
        for k, (m, h) in enumerate(zip(mean, hi, strict=True)):
            y = np.nanmax([m, h, 0.0])
            text = "-" if math.isnan(m) else (f"{m:,.1f}" if m < WHOLE_FROM else f"{m:,.0f}")
            ax.text(k, y + 0.02 * top, text, ha="center", va="bottom", fontsize=8)
        ax.set_ylabel(label(metric))
        ax.set_xlabel("zone")
        ax.set_ylim(0, top * 1.15)
        ax.grid(axis="y", alpha=0.3)
        ax.set_title(title, fontsize=10)
    lo_t, hi_t = run.index[0], run.index[-1]
    fig.suptitle(
        f"{run.name}: load shedding by zone, {lo_t:%-d %b %Y} to {hi_t:%-d %b %Y} "
        f"(mean and 95 % CI of {reps_text(run.n)})"
    )
    return fig
