"""Loss of load by zone: LOLE (h) and EUE (MWh) with their 95 % intervals, EUE
by month, and the distribution of EUE over the replications.

EUE by month is the ensemble mean of the shed energy in each month (exact from
the mean time series); its 95 % interval needs every replication's series
(``keep_timeseries``). The distribution over replications comes from the
replications table: shortfalls are rare and deep, so the mean is far above the
median and a bar with an interval says little about one winter.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullFormatter

from sim.dispatch.balance import EPS_MW
from sim.report.figures.style import reps_text
from sim.report.rundata import RunData
from sim.results.stats import estimate
from sim.vocab import label, metric

#: Numbers at or above this are written without decimals above the bars.
WHOLE_FROM = 100
#: Bar panels: metric and title.
PANELS = (
    ("lole_h", "hours with load shed (loss-of-load expectation)"),
    ("eue_mwh", "energy not served (expected unserved energy)"),
)
#: Colour of the total (all zones).
TOTAL = "0.3"
#: Quantiles of the replications written in the legend of the distribution panel.
QUANTILES = (0.5, 0.95)


def zone_colours(run: RunData) -> dict[str, str]:
    """A colour per zone (matplotlib's cycle), the total in dark grey."""
    return {**{z: f"C{i % 10}" for i, z in enumerate(run.zones)}, "total": TOTAL}


def _bars(ax: Axes, run: RunData, key: str, title: str, colours: dict[str, str]) -> None:
    """Mean and 95 % interval (clipped at zero) of ``key`` by zone and in total."""
    names = [*run.zones, "total"]
    est = [run.estimate(key, z) for z in run.zones] + [run.estimate(key)]
    mean = np.array([e[0] for e in est])
    lo = np.clip(np.array([e[1] for e in est]), 0, None)
    hi = np.array([e[2] for e in est])
    err = np.vstack([np.nan_to_num(mean - lo), np.nan_to_num(hi - mean)])
    ax.bar(names, mean, color=[colours[n] for n in names], yerr=err, capsize=5, label=label(key))
    top = float(np.nanmax(np.fmax(hi, mean))) if np.isfinite(mean).any() else 0.0
    top = top if top > 0 else 1.0
    for k, (m, h) in enumerate(zip(mean, hi, strict=True)):
        y = np.nanmax([m, h, 0.0])
        text = "-" if math.isnan(m) else (f"{m:,.1f}" if m < WHOLE_FROM else f"{m:,.0f}")
        ax.text(k, y + 0.02 * top, text, ha="center", va="bottom", fontsize=8)
    ax.set_ylabel(label(key))
    ax.set_xlabel("zone")
    ax.set_ylim(0, top * 1.15)
    ax.grid(axis="y", alpha=0.3)
    ax.set_title(title, fontsize=10)


def _month_interval(run: RunData) -> tuple[np.ndarray, np.ndarray] | None:
    """95 % interval of the national EUE of each month, from the replications' series."""
    per_rep = run.eue_by_month_per_replication()
    if per_rep is None or len(per_rep) < 2:
        return None
    est = [
        estimate(per_rep[m].to_numpy(), non_negative=True, seed=[run.scenario.seed, i])
        for i, m in enumerate(per_rep)
    ]
    return np.array([e.ci95_low for e in est]), np.array([e.ci95_high for e in est])


def _by_month(ax: Axes, run: RunData, colours: dict[str, str]) -> None:
    """Mean EUE by month stacked by zone; the 95 % interval of each month's total
    when the replications' series are at hand."""
    months = run.eue_by_month()
    x = np.arange(len(months))
    bottom = np.zeros(len(months))
    for zone in run.zones:
        v = months[zone].to_numpy()
        if v.max() > EPS_MW:
            ax.bar(x, v, bottom=bottom, color=colours[zone], label=zone, width=0.7)
        bottom += v
    ci = _month_interval(run) if bottom.max() > EPS_MW else None
    note = "mean over replications"
    if ci is not None:
        lo, hi = ci
        err = np.vstack([np.clip(bottom - lo, 0, None), np.clip(hi - bottom, 0, None)])
        ax.errorbar(
            x, bottom, yerr=err, fmt="none", ecolor="k", capsize=4, lw=1, label="95 % CI of the month's mean"
        )
        note += " and 95 % CI"
    elif bottom.max() > EPS_MW:
        note += "\n(no intervals: the replications' series were not kept)"
    else:
        ax.text(0.5, 0.5, "no load shed in any replication", transform=ax.transAxes, ha="center", va="center")
    total = bottom.sum()
    for k, v in enumerate(bottom):
        if v > 0:
            share = f"\n{100 * v / total:.0f} %" if total > 0 else ""
            top = v if ci is None else max(v, ci[1][k])
            ax.text(k, top, f"{v:,.0f}{share}", ha="center", va="bottom", fontsize=7.5)
    ax.set_xticks(x, [pd.Timestamp(m).strftime("%b\n%Y") for m in months.index], fontsize=8)
    ax.set_xlabel("month (local time)")
    ax.set_ylabel(label("eue_mwh"))
    ax.set_ylim(0, max(1.0, float((ci[1] if ci is not None else bottom).max())) * 1.25)
    ax.set_title(f"EUE by month, {note}", fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize="small", loc="upper right")


def _exceedance(ax: Axes, run: RunData, colours: dict[str, str]) -> None:
    """Share of replications whose EUE is at least x: one curve per zone that
    sheds, and the total when more than one zone does."""
    reps = run.replications
    unit = metric("eue_mwh").unit
    cols = {z: f"eue_mwh.{z}" for z in run.zones if f"eue_mwh.{z}" in reps}
    cols = {z: c for z, c in cols.items() if (reps[c] > EPS_MW).any()}
    if len(cols) != 1:
        cols["total"] = "eue_mwh"
    drawn = False
    for name, col in cols.items():
        v = np.sort(reps[col].to_numpy(dtype=float))
        pos = v[v > EPS_MW]
        if not pos.size:
            continue
        share = 1.0 - np.arange(v.size - pos.size, v.size) / v.size
        q = np.quantile(v, QUANTILES)
        who = f"{name} (all of the shedding)" if len(cols) == 1 else name
        text = (
            f"{who}: P(EUE > 0) = {pos.size / v.size:.2f}, mean {v.mean():,.0f}, "
            f"median {q[0]:,.0f}, 95th pct {q[1]:,.0f} {unit}"
        )
        ax.step(pos, share, where="post", color=colours[name], lw=1.6 if name == "total" else 1.2, label=text)
        ax.axvline(v.mean(), color=colours[name], lw=0.8, ls=":")
        drawn = True
    if drawn:
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.legend(fontsize=7.5, loc="upper right")
    else:
        ax.text(0.5, 0.5, "no load shed in any replication", transform=ax.transAxes, ha="center", va="center")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(f"EUE over the run ({unit}, log scale; dotted: means)")
    ax.set_ylabel("share of replications with at least this EUE")
    ax.set_title(f"distribution over {reps_text(len(reps))}: one winter is not the mean", fontsize=10)
    ax.grid(alpha=0.3, which="both", lw=0.4)


def shedding_by_zone(run: RunData) -> Figure:
    """Loss of load: LOLE (h) and EUE (MWh) by zone and in total (means with 95 %
    intervals, clipped at zero), EUE by month stacked by zone, and the share of
    replications whose EUE is at least a value (zones that shed and the total)."""
    fig = Figure(figsize=(12, 9), layout="constrained")
    (ax_h, ax_e), (ax_m, ax_d) = fig.subplots(2, 2)
    colours = zone_colours(run)
    for ax, (key, title) in zip((ax_h, ax_e), PANELS, strict=True):
        _bars(ax, run, key, title, colours)
    _by_month(ax_m, run, colours)
    _exceedance(ax_d, run, colours)
    lo_t, hi_t = run.index[0], run.index[-1]
    fig.suptitle(
        f"{run.name}: load shedding by zone, {lo_t:%-d %b %Y} to {hi_t:%-d %b %Y} "
        f"({reps_text(run.n)}; bars: mean and 95 % CI)"
    )
    return fig
