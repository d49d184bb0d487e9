"""The sweep heatmap: one metric's mean per variant over the swept keys."""

from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

from sim.errors import Problem, ScenarioError
from sim.experiments.variants import typed_values
from sim.report.tables import interval, num
from sim.vocab import label as label_of

if TYPE_CHECKING:
    from sim.experiments.sweep import Sweep

#: Most panels side by side (one panel per combination of the third and further keys).
MAX_COLUMNS = 3
#: Colour-map positions beyond which a cell is dark enough for white text
#: (viridis is dark at its low end, magma_r at its high end).
DARK_BELOW_VIRIDIS = 0.55
DARK_ABOVE_MAGMA = 0.45
#: Means smaller than this (in absolute value) are annotated with one decimal.
ONE_DECIMAL_BELOW = 10
#: Width and height of one cell, and the margins of a panel (inches).
CELL_W, CELL_H, MARGIN_W, MARGIN_H = 1.1, 0.75, 1.6, 1.3


def sweep_heatmap(sw: Sweep, metric: str = "probability_reached") -> Figure:
    """Heatmap of ``metric``'s mean per variant: the first swept key across, the
    second down, one panel per combination of any further keys; each cell
    annotated with the mean and its 95 % interval, with a colour bar.

    The default, ``probability_reached`` (relief at least target - tolerance),
    grows with enforcement; ``probability_within`` (relief inside the band)
    falls again once enforcement overshoots the band, so more teams can look
    worse: ask for it when overshooting matters."""
    if metric not in sw.table:
        raise ScenarioError(Problem(f"the sweep has no metric '{metric}'", "--metric"))
    axes = sw.axes
    keys = list(sw.grid)
    xk = axes[0] if axes else None
    yk = axes[1] if len(axes) > 1 else None
    facet_keys = axes[2:]
    facets = list(itertools.product(*(sw.grid[k] for k in facet_keys))) or [()]
    xs = sw.grid[xk] if xk else [""]
    ys = sw.grid[yk] if yk else [""]
    ncol = min(len(facets), MAX_COLUMNS)
    nrow = math.ceil(len(facets) / ncol)
    w = MARGIN_W + CELL_W * len(xs)
    h = MARGIN_H + CELL_H * len(ys)
    fig = Figure(figsize=(max(w * ncol + 1.5, 6.5), h * nrow + 1.2), layout="constrained")
    axs = np.atleast_1d(fig.subplots(nrow, ncol, squeeze=False)).ravel()
    prob = metric.startswith("probability_")
    vmin, vmax = (0.0, 1.0) if prob else (float(sw.table[metric].min()), float(sw.table[metric].max()))
    if vmax <= vmin:
        vmax = vmin + 1.0
    cmap = "viridis" if prob or metric == "relief_mw" else "magma_r"
    text = {
        k: {raw: str(val) for raw, val in zip(v, typed_values(v), strict=True)} for k, v in sw.grid.items()
    }
    im = None
    for ax, combo in zip(axs, facets, strict=False):
        grid = np.full((len(ys), len(xs)), np.nan)
        ann = [["" for _ in xs] for _ in ys]
        for r in sw.table.to_dict("records"):
            if any(str(r[k]) != text[k][v] for k, v in zip(facet_keys, combo, strict=True)):
                continue
            i = [text[yk][v] for v in ys].index(str(r[yk])) if yk else 0
            j = [text[xk][v] for v in xs].index(str(r[xk])) if xk else 0
            grid[i, j] = r[metric]
            lo, hi = r.get(f"{metric}.ci95_low", math.nan), r.get(f"{metric}.ci95_high", math.nan)
            d = 2 if prob else (1 if abs(r[metric]) < ONE_DECIMAL_BELOW else 0)
            ann[i][j] = f"{num(r[metric], d)}\n{interval(lo, hi, d)}"
        im = ax.imshow(grid, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto", origin="lower")
        norm = im.norm
        for i in range(len(ys)):
            for j in range(len(xs)):
                if ann[i][j]:
                    shade = norm(grid[i, j])
                    dark = shade < DARK_BELOW_VIRIDIS if cmap == "viridis" else shade > DARK_ABOVE_MAGMA
                    ax.text(j, i, ann[i][j], ha="center", va="center", fontsize=8, color="w" if dark else "k")
        ax.set_xticks(range(len(xs)), xs if xk else [])
        ax.set_yticks(range(len(ys)), ys if yk else [])
        ax.set_xlabel(xk or "")
        ax.set_ylabel(yk or "")
        if facet_keys:
            ax.set_title(", ".join(f"{k} = {v}" for k, v in zip(facet_keys, combo, strict=True)), fontsize=9)
    for ax in axs[len(facets) :]:
        ax.set_visible(False)
    t = sw.target
    if prob and t:
        label = "probability (share of replications)"
        if metric == "probability_within":
            what = f"P(relief within {t['relief_mw']:.0f} ± {t['tolerance_mw']:.0f} MW by {t['by']:%d %b %Y})"
        else:
            what = f"P(relief at least {t['relief_mw'] - t['tolerance_mw']:.0f} MW by {t['by']:%d %b %Y})"
    else:
        label = label_of(metric)
        what = f"mean {label}"
    fixed = [f"{k}={sw.grid[k][0]}" for k in keys if len(sw.grid[k]) == 1]
    reps = f"{sw.replications} replications" if sw.replications else "varying replications"
    sub = f"{sw.scenario}, {reps} per cell, " + (f"seed {sw.seed}" if sw.seed is not None else "seeds vary")
    if fixed:
        sub += "; " + ", ".join(fixed)
    ci = "Wilson 95% CI" if prob else "95% CI"
    fig.suptitle(f"{what}\n{sub} (cells: mean [{ci}])", fontsize=11)
    assert im is not None
    cb = fig.colorbar(im, ax=list(axs[: len(facets)]), shrink=0.9)
    cb.set_label(label)
    return fig
