"""The comparison figure: relief per replication against the target band and
the relief that was needed, unserved energy, and what the crackdown avoided,
one row per scenario."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.results.stats import estimate
from sim.vocab import label, metric

if TYPE_CHECKING:
    from sim.experiments.compare import Comparison
    from sim.experiments.result import EnsembleResult

#: Seed of the vertical jitter of the replication dots (the figure is reproducible).
JITTER_SEED = 0
#: Largest / smallest positive mean EUE above which the EUE axis turns logarithmic.
LOG_SCALE_RATIO = 50
#: Linear range of that logarithmic axis near zero (MWh).
LINEAR_BELOW_MWH = 10.0
#: A sample with a smaller range (in its unit) is drawn as a tick, not a violin.
NO_SPREAD = 1e-9


def _violin(ax: Axes, data: list[np.ndarray], ypos: np.ndarray, color: str) -> None:
    """Horizontal violins; a constant sample (no spread) is drawn as a tick."""
    spread = [i for i, d in enumerate(data) if d.size > 1 and np.ptp(d) > NO_SPREAD]
    if spread:
        parts = ax.violinplot(
            [data[i] for i in spread],
            positions=ypos[spread],
            orientation="horizontal",
            widths=0.75,
            showextrema=False,
        )
        for body in parts["bodies"]:
            body.set_facecolor(color)
            body.set_edgecolor(color)
            body.set_alpha(0.35)
    for i, d in enumerate(data):
        if d.size and i not in spread:
            ax.plot([d[0], d[0]], [ypos[i] - 0.3, ypos[i] + 0.3], color=color, lw=2)


def comparison_figure(cmp: Comparison) -> Figure:
    """One row per scenario (and the baseline last, in grey), three panels:
    relief at the target date (every replication, against the target band);
    unserved energy as specified (mean and 95 % interval); and, on a linear
    axis, the paired difference of unserved energy with its 95 % interval: what
    the crackdown avoided (with ``counterfactual``: without minus with, see
    :func:`sim.experiments.compare.without_crackdown`), else each scenario
    minus the baseline. Without either, the last panel is left out."""
    runs = dict(cmp.results)
    base_key = None
    if cmp.baseline is not None:
        base_key = f"baseline: {cmp.baseline.scenario.name}"
        runs[base_key] = cmp.baseline
    names = list(runs)
    n = len(names)
    colors = ["0.45" if k == base_key else "C0" for k in names]
    paired = not cmp.crackdown_effect.empty or not cmp.differences.empty
    fig = Figure(figsize=(18 if paired else 13, 2.8 + 0.6 * n), layout="constrained")
    axes = fig.subplots(1, 3 if paired else 2, sharey=True)
    ax1, ax2 = axes[:2]
    ax3 = axes[2] if paired else None
    ypos = np.arange(n)[::-1].astype(float)
    t = cmp.target
    legend_at = {"loc": "upper center", "bbox_to_anchor": (0.5, -0.12 - 0.5 / (n + 2)), "ncol": 2}

    if t:
        lo, hi = t["relief_mw"] - t["tolerance_mw"], t["relief_mw"] + t["tolerance_mw"]
        ax1.axvspan(
            lo, hi, color="C2", alpha=0.15, label=f"target {t['relief_mw']:.0f} ± {t['tolerance_mw']:.0f} MW"
        )
        ax1.axvline(t["relief_mw"], color="C2", lw=1)
    rng = np.random.default_rng(JITTER_SEED)
    for y, k, c in zip(ypos, names, colors, strict=True):
        d = runs[k].replications["relief_mw"].to_numpy(dtype=float)
        _violin(ax1, [d], np.array([y]), c)
        ax1.scatter(d, y + rng.uniform(-0.15, 0.15, d.size), s=4, color=c, alpha=0.5, lw=0)
        e = estimate(d)
        ax1.errorbar(
            e.mean,
            y,
            xerr=[[e.mean - e.ci95_low], [e.ci95_high - e.mean]] if e.n > 1 else None,
            fmt="o",
            color="k",
            ms=4,
            capsize=3,
        )
    _enough(ax1, cmp, names, ypos, base_key)
    ax1.plot([], [], "ok", ms=4, label="mean and 95 % CI")
    ax1.scatter([], [], s=8, color="C0", label="one replication")
    ax1.set_yticks(ypos, names)
    mw = metric("relief_mw").unit
    ax1.set_xlabel(f"relief at {t['by']:%d %b %Y} ({mw})" if t else f"relief at the end ({mw})")
    ax1.set_title("Relief from closures and limits on miners, per replication")
    ax1.legend(fontsize="small", **legend_at)
    ax1.grid(axis="x", alpha=0.3)
    _levels(ax2, cmp, runs, names, ypos, colors)
    if ax3 is not None:
        _differences(ax3, cmp, names, ypos)
    for ax in axes[1:]:
        ax.legend(fontsize="small", **legend_at)
    fig.suptitle(f"Scenario comparison: {cmp.replications} replications each, seed {cmp.seed}")
    return fig


def _enough(ax: Axes, cmp: Comparison, names: list[str], ypos: np.ndarray, base_key: str | None) -> None:
    """Was it enough: the relief needed (the deepest shortfall after the campaign
    start without the crackdown, mean) as a red diamond on the relief axis, and
    the probability that no firm load is shed after the campaign start beside it."""
    if cmp.enough.empty:
        return
    rows = cmp.enough.set_index("scenario")
    shown = False
    for k, y in zip(names, ypos, strict=True):
        key = f"{cmp.baseline.scenario.name} (baseline)" if k == base_key and cmp.baseline else k
        if key not in rows.index:
            continue
        r = rows.loc[key]
        needed = r["relief_needed_mw"]
        if needed == needed:  # not NaN: the counterfactual was run
            ax.plot(needed, y, "D", color="C3", ms=6, mec="k", mew=0.5, zorder=5)
            shown = True
        ax.annotate(
            f"P(enough) {r['probability']:.2f}",
            (1.0, y),
            xycoords=("axes fraction", "data"),
            xytext=(-4, 8),
            textcoords="offset points",
            ha="right",
            fontsize=7.5,
            color="C3",
        )
    if shown:
        ax.plot(
            [],
            [],
            "D",
            color="C3",
            ms=6,
            mec="k",
            mew=0.5,
            label="relief needed (deepest shortfall after the start)",
        )


def _levels(
    ax: Axes,
    cmp: Comparison,
    runs: dict[str, EnsembleResult],
    names: list[str],
    ypos: np.ndarray,
    colors: list,
) -> None:
    """EUE as specified (mean and 95 % interval), one bar per scenario; a
    logarithmic axis when the means span more than :data:`LOG_SCALE_RATIO`."""
    means = []
    for k, y, c in zip(names, ypos, colors, strict=True):
        e = runs[k].estimate("eue_mwh")
        means.append(e.mean)
        ax.barh(y, e.mean, height=0.5, color=c, alpha=0.85)
        if e.n > 1:
            err = [[e.mean - max(e.ci95_low, 0)], [e.ci95_high - e.mean]]
            ax.errorbar(e.mean, y, xerr=err, color="k", lw=1, capsize=2)
    ax.barh([], [], color="C0", alpha=0.85, label="mean and 95 % CI, as specified")
    if cmp.baseline is not None:
        ax.axvline(cmp.baseline.estimate("eue_mwh").mean, color="0.3", ls="--", lw=1, label="baseline's mean")
    positive = [v for v in means if v > 0]
    eue = label("eue_mwh")
    if positive and max(positive) / max(min(positive), NO_SPREAD) > LOG_SCALE_RATIO:
        ax.set_xscale("symlog", linthresh=LINEAR_BELOW_MWH, linscale=0.3)
        ax.set_xlim(left=0)
        eue = f"EUE ({metric('eue_mwh').unit}; log scale above {LINEAR_BELOW_MWH:g})"
    ax.set_xlabel(eue)
    ax.set_title("Load shed from ordinary consumers")
    ax.grid(axis="x", alpha=0.3)


def _difference_rows(cmp: Comparison) -> tuple[pd.DataFrame, str, str, str]:
    """Paired EUE differences by scenario, the panel's title and x label, and
    the column of the mean that a difference is a share of."""
    unit = metric("eue_mwh").unit
    if not cmp.crackdown_effect.empty:
        d = cmp.crackdown_effect
        title = "EUE the crackdown avoided (paired: without minus with)"
        xlabel = f"EUE avoided ({unit}; linear), mean and 95 % CI of the paired differences"
        of = "mean_a"  # without the crackdown
    else:
        d = cmp.differences
        title = "EUE against the baseline (paired: scenario minus baseline)"
        xlabel = f"EUE difference ({unit}; linear), mean and 95 % CI of the paired differences"
        of = "mean_b"  # the baseline
    return d[d["metric"] == "eue_mwh"].set_index("scenario"), title, xlabel, of


def _differences(ax: Axes, cmp: Comparison, names: list[str], ypos: np.ndarray) -> None:
    """The paired difference of EUE per scenario with its 95 % interval, on a
    linear axis, annotated with its share of the EUE it is compared with."""
    d, title, xlabel, of = _difference_rows(cmp)
    colour = "C3" if not cmp.crackdown_effect.empty else "C0"
    ax.axvline(0, color="0.3", lw=1)
    rows = d[d.index.isin(names)]
    mid = (min(0.0, rows["ci95_low"].min()) + max(0.0, rows["ci95_high"].max())) / 2 if len(rows) else 0.0
    for k, y in zip(names, ypos, strict=True):
        if k not in d.index:
            continue
        r = d.loc[k]
        xerr = [[r["mean"] - r["ci95_low"]], [r["ci95_high"] - r["mean"]]] if r["n"] > 1 else None
        ax.errorbar(r["mean"], y, xerr=xerr, fmt="o", color=colour, ms=5, capsize=3)
        ref = r[of]
        share = f" ({100 * r['mean'] / ref:.0f} %)" if ref > 0 else ""
        ax.annotate(
            f"{r['mean']:,.0f} [{r['ci95_low']:,.0f}, {r['ci95_high']:,.0f}]{share}",
            (r["mean"], y),
            xytext=(0, 7),
            textcoords="offset points",
            ha="left" if r["mean"] <= mid else "right",  # inside the panel
            fontsize=7.5,
        )
    ax.errorbar(
        [], [], xerr=[], fmt="o", color=colour, ms=5, capsize=3, label="paired difference, 95 % CI (% of EUE)"
    )
    ax.margins(x=0.15)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
