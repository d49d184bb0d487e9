"""Figures of a calibration: marginal and pairwise posteriors, the held-out
records against the predictive draws, and the sensitivity indices."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.experiments.inference.priors import Prior

POSTERIOR = "#1f77b4"
PRIOR = "#999999"
RECORD = "#d62728"
INDEX_COLOURS = {"S1": "#1f77b4", "ST": "#ff7f0e", "mu_star": "#1f77b4", "sigma": "#ff7f0e"}


def _grid(n: int) -> tuple[int, int]:
    cols = min(4, n)
    return math.ceil(n / cols), cols


def _marginal(ax: Any, x: np.ndarray, w: np.ndarray, prior: Prior) -> None:
    lo, hi = prior.ppf(0.001), prior.ppf(0.999)
    if prior.integer:
        k = np.arange(round(lo + 0.5), round(hi - 0.5) + 1)
        post = np.array([w[x == v].sum() for v in k])
        ax.bar(k, post, width=0.8, color=POSTERIOR, alpha=0.7, label="posterior")
        ax.plot(k, np.full(len(k), 1 / len(k)), "_", color=PRIOR, ms=14, mew=2, label="prior")
        return
    bins = np.linspace(lo, hi, 31)
    ax.hist(x, bins=bins, weights=w, density=True, color=POSTERIOR, alpha=0.7, label="posterior")
    grid = np.linspace(lo, hi, 200)
    ax.plot(grid, [prior.pdf(g) for g in grid], color=PRIOR, lw=1.5, label="prior")


def marginals(
    particles: pd.DataFrame,
    priors: Mapping[str, Prior],
    labels: Mapping[str, str],
    truth: Mapping[str, float] | None = None,
) -> Figure:
    """One panel per unknown: the weighted posterior against the prior (and a known truth)."""
    names = list(priors)
    rows, cols = _grid(len(names))
    fig = Figure(figsize=(3.2 * cols, 2.6 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    w = particles["weight"].to_numpy(dtype=float)
    for ax, n in zip(axes.flat, names, strict=False):
        _marginal(ax, particles[n].to_numpy(dtype=float), w, priors[n])
        if truth and n in truth:
            ax.axvline(truth[n], color=RECORD, lw=1.5, label="truth")
        ax.set_title(labels.get(n) or n, fontsize=9)
        ax.set_yticks([])
    for ax in list(axes.flat)[len(names) :]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7)
    fig.suptitle(f"Posterior of the unknowns ({len(particles)} particles) against their priors")
    return fig


def pairs(particles: pd.DataFrame, names: Sequence[str], labels: Mapping[str, str]) -> Figure:
    """Pairwise posteriors (weighted 2-D histograms) below the diagonal, marginals on it."""
    d = len(names)
    fig = Figure(figsize=(1.9 * d + 1, 1.9 * d + 1), layout="constrained")
    axes = fig.subplots(d, d, squeeze=False)
    w = particles["weight"].to_numpy(dtype=float)
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            ax = axes[i, j]
            if j > i:
                ax.axis("off")
                continue
            y = particles[a].to_numpy(dtype=float)
            if i == j:
                ax.hist(y, bins=20, weights=w, color=POSTERIOR, alpha=0.7)
                ax.set_yticks([])
            else:
                x = particles[b].to_numpy(dtype=float)
                ax.hist2d(x, y, bins=15, weights=w, cmap="Blues")
            ax.tick_params(labelsize=6)
            if i == d - 1:
                ax.set_xlabel(labels.get(b) or b, fontsize=7)
            if j == 0 and i > 0:
                ax.set_ylabel(labels.get(a) or a, fontsize=7)
    fig.suptitle("Pairwise posterior (weighted particles)")
    return fig


def held_out(draws: pd.DataFrame, checks: Sequence[Mapping[str, Any]]) -> Figure | None:
    """Each held-out record against the posterior predictive draws (None: nothing to show)."""
    shown = [c for c in checks if c["status"] == "checked"]
    if not shown:
        return None
    rows, cols = _grid(len(shown))
    fig = Figure(figsize=(3.4 * cols, 2.6 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax, c in zip(axes.flat, shown, strict=False):
        ax.hist(draws[c["column"]].to_numpy(dtype=float), bins=30, color=POSTERIOR, alpha=0.7)
        ax.axvspan(c["q05"], c["q95"], color=POSTERIOR, alpha=0.1, label="90 % interval")
        ax.axvline(float(c["reported"]), color=RECORD, lw=2, label=f"record ({c['source']})")
        ax.set_title(c["label"], fontsize=9)
        ax.set_yticks([])
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(shown) :]:
        ax.axis("off")
    fig.suptitle("Held-out records against the posterior predictive")
    return fig


def indices(table: pd.DataFrame, labels: Mapping[str, str], outputs: Mapping[str, str]) -> Figure:
    """Sensitivity indices with their 95 % intervals, one panel per output."""
    outs = list(dict.fromkeys(table["output"]))
    unknowns = list(dict.fromkeys(table["unknown"]))
    kinds = list(dict.fromkeys(table["index"]))
    fig = Figure(figsize=(4.2 * len(outs), 0.45 * len(unknowns) + 1.6), layout="constrained")
    axes = fig.subplots(1, len(outs), squeeze=False)
    y = np.arange(len(unknowns))
    h = 0.8 / len(kinds)
    for ax, o in zip(axes.flat, outs, strict=True):
        sub = table[table["output"] == o].set_index(["unknown", "index"])
        for k, kind in enumerate(kinds):
            vals = [sub.loc[(u, kind), "value"] for u in unknowns]
            conf = [sub.loc[(u, kind), "conf"] for u in unknowns]
            err = None if all(c != c for c in conf) else np.nan_to_num(conf)
            ax.barh(y + k * h, vals, height=h, xerr=err, color=INDEX_COLOURS.get(kind), label=kind, capsize=2)
        ax.set_yticks(y + h * (len(kinds) - 1) / 2, [labels.get(u) or u for u in unknowns], fontsize=8)
        ax.invert_yaxis()
        ax.axvline(0, color="black", lw=0.5)
        ax.set_title(outputs.get(o, o), fontsize=9)
    axes.flat[0].legend(fontsize=7)
    fig.suptitle("Global sensitivity to the unknowns (95 % bootstrap intervals)")
    return fig
