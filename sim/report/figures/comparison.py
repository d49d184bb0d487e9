"""The comparison figure: relief per replication against the target band, and
unserved energy with and without the crackdown, one row per scenario."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
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
    """Two panels, one row per scenario (and the baseline last, in grey): relief
    at the target date (every replication, against the target band) and unserved
    energy (mean and 95 % interval) as specified and, if run, with the crackdown
    switched off (:func:`sim.experiments.compare.without_crackdown`)."""
    runs = dict(cmp.results)
    base_key = None
    if cmp.baseline is not None:
        base_key = f"baseline: {cmp.baseline.scenario.name}"
        runs[base_key] = cmp.baseline
    names = list(runs)
    n = len(names)
    colors = ["0.45" if k == base_key else "C0" for k in names]
    fig = Figure(figsize=(13, 2.6 + 0.55 * n), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2, sharey=True)
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
    ax1.plot([], [], "ok", ms=4, label="mean and 95 % CI")
    ax1.scatter([], [], s=8, color="C0", label="one replication")
    ax1.set_yticks(ypos, names)
    mw = metric("relief_mw").unit
    ax1.set_xlabel(f"relief at {t['by']:%d %b %Y} ({mw})" if t else f"relief at the end ({mw})")
    ax1.set_title("Relief from closures and limits on miners, per replication")
    ax1.legend(fontsize="small", **legend_at)
    ax1.grid(axis="x", alpha=0.3)

    def bars(
        results: dict[str, EnsembleResult], offset: float, color: str | None, legend: str
    ) -> list[float]:
        means = []
        for k, y, c in zip(names, ypos, colors, strict=True):
            if k not in results:
                continue
            e = results[k].estimate("eue_mwh")
            means.append(e.mean)
            ax2.barh(y + offset, e.mean, height=0.36, color=color or c, alpha=0.85, label=legend)
            if e.n > 1:
                ax2.errorbar(
                    e.mean,
                    y + offset,
                    xerr=[[e.mean - max(e.ci95_low, 0)], [e.ci95_high - e.mean]],
                    color="k",
                    lw=1,
                    capsize=2,
                )
            legend = "_nolegend_"
        return means

    if cmp.counterfactuals:
        values = bars(cmp.results, 0.19, "C0", "as specified (with the crackdown)")
        values += bars(cmp.counterfactuals, -0.19, "C3", "crackdown switched off")
    else:
        values = bars(cmp.results, 0.0, "C0", "scenario (mean, 95 % CI)")
    if cmp.baseline is not None and base_key is not None:
        values += bars({base_key: cmp.baseline}, 0.0, "0.45", "baseline")
        ax2.axvline(cmp.baseline.estimate("eue_mwh").mean, color="0.3", ls="--", lw=1)
    positive = [v for v in values if v > 0]
    if positive and max(positive) / max(min(positive), NO_SPREAD) > LOG_SCALE_RATIO:
        ax2.set_xscale("symlog", linthresh=LINEAR_BELOW_MWH, linscale=0.3)
        ax2.set_xlim(left=0)
        eue = f"EUE ({metric('eue_mwh').unit}; log scale above {LINEAR_BELOW_MWH:g})"
    else:
        eue = label("eue_mwh")
    ax2.set_xlabel(f"expected unserved energy, {eue}, mean and 95 % CI")
    ax2.set_title("Load shed from ordinary consumers")
    ax2.legend(fontsize="small", **legend_at)
    ax2.grid(axis="x", alpha=0.3)
    fig.suptitle(f"Scenario comparison: {cmp.replications} replications each, seed {cmp.seed}")
    return fig
