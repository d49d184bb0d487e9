"""Demand figures: load over time against available supply, and typical days (MW).

The loads are ensemble means per step (``timeseries.parquet``): ordinary
demand, grey and licensed mining stacked, licensed load held back by orders and
curtailment hatched, against each zone's available generation and imports. The
y axes start near the lowest load, not at zero, so that the mining slice and the
margin to supply can be read. Loss of load is drawn on a second axis: the
expected hours of shedding per day (or, step by step, the loss-of-load
probability: the share of replications shedding), whose sum is the LOLE.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.dispatch.balance import EPS_MW
from sim.report.figures.style import (
    GENERATION,
    GREY,
    LICENSED,
    MONTHS,
    ORDINARY,
    SHED,
    figure_legend,
    inbound_links_mw,
    mark_milestones,
    panel_title,
    reps_text,
    time_axis,
    time_label,
    to_x,
    who,
    window,
)
from sim.report.rundata import NATIONAL, RunData

#: ``freq="auto"`` draws daily means over windows longer than this (an hourly
#: stack over a winter is a solid band).
DAILY_OVER = pd.Timedelta(days=31)
#: ``DatetimeIndex.day_of_week`` of Saturday (Monday is 0).
SATURDAY = 5
#: Hours in a day, and the spacing of the hour ticks of a daily profile.
DAY_H = 24
HOUR_TICK = 3
#: Loads that make up the total drawn from the grid, and with all licensed mining connected.
DRAWN = ["ordinary", "grey", "licensed_drawn"]
CONNECTED = ["ordinary", "grey", "licensed"]
#: The y axis of a demand panel starts this share of the drawn range below the lowest load.
BASE_SHARE = 0.3
#: The loss-of-load line fills at most this share of the panel's height (from the bottom).
LOSS_HEIGHT = 0.35
#: Label of the loss-of-load axes (a second y axis over a demand panel).
LOSS_AXIS = "loss of load"
#: Supply lines: available generation, and with imports.
SUPPLY_STYLE = {
    "generation": ("available generation", "-."),
    "supply": ("available generation + imports", ":"),
}


def _drawn(loads: pd.DataFrame) -> pd.Series:
    """Total load drawn (MW): ordinary demand, grey and licensed mining as drawn."""
    return loads["ordinary"] + loads["grey"] + loads["licensed_drawn"]


def _stack(ax: Axes, loads: pd.DataFrame, x: Any = None, step: bool = False) -> None:
    """Ordinary demand, grey and licensed mining stacked, licensed held back hatched."""
    x = to_x(loads.index) if x is None else x
    kw = {"step": "post"} if step else {}
    ax.stackplot(
        x,
        loads["ordinary"],
        loads["grey"],
        loads["licensed_drawn"],
        labels=["ordinary demand", "grey mining", "licensed mining"],
        colors=[ORDINARY, GREY, LICENSED],
        linewidth=0,
        **kw,
    )
    top = _drawn(loads)
    if loads["held_back"].max() > EPS_MW:
        ax.fill_between(
            x,
            top,
            top + loads["held_back"],
            facecolor="none",
            edgecolor=LICENSED,
            hatch="/////",
            linewidth=0,
            label="licensed mining held back (orders, curtailment)",
            **kw,
        )
    ax.set_ylim(bottom=0)


def _mining_note(ax: Axes, loads: pd.DataFrame) -> str:
    mining = (loads["grey"] + loads["licensed_drawn"]).mean()
    total = _drawn(loads).mean()
    share = 100.0 * mining / total if total > 0 else math.nan
    text = f"mining: {mining:,.0f} MW on average, {share:.1f} % of load"
    ax.text(
        0.005,
        0.03,
        text,
        transform=ax.transAxes,
        fontsize=8,
        va="bottom",
        ha="left",
        bbox={"boxstyle": "round,pad=0.25", "fc": "white", "ec": "none", "alpha": 0.8},
        zorder=5,
    )
    return text


def _loss_title(run: RunData, zone: str | None) -> str:
    lole, lo, hi = run.estimate("lole_h", zone)
    eue = run.estimate("eue_mwh", zone)[0]
    if math.isnan(lole):
        return ""
    ci = f" [{max(lo, 0):.1f}, {hi:.1f}]" if not math.isnan(lo) else ""
    return f"LOLE {lole:.1f} h{ci}, EUE {eue:,.0f} MWh"


def _daily(loads: pd.DataFrame, freq: str | None) -> tuple[pd.DataFrame, np.ndarray, pd.Series | None]:
    """Loads to draw, their x values, and each day's peak of the total (when resampled).

    ``freq="auto"`` takes daily means over windows longer than :data:`DAILY_OVER`
    and keeps steps otherwise.
    """
    span = loads.index[-1] - loads.index[0]
    if freq == "auto":
        freq = "D" if span > DAILY_OVER else None
    if not freq:
        return loads, to_x(loads.index), None
    total = _drawn(loads)
    means = loads.resample(freq).mean().dropna()
    peak = total.resample(freq).max().reindex(means.index)
    half = (means.index[1] - means.index[0]) / 2 if len(means) > 1 else pd.Timedelta(0)
    return means, to_x(means.index + half), peak


def _supply(loads: pd.DataFrame) -> dict[str, pd.Series]:
    """Available generation, and with imports (MW)."""
    return {"generation": loads["generation"], "supply": loads["generation"] + loads["imports"]}


def _loss_line(ax: Axes, run: RunData, zone: str, steps: pd.DatetimeIndex, daily: bool) -> Axes | None:
    """The loss of load on a second axis (none if the zone never sheds): expected
    hours of shedding per day (daily), or the loss-of-load probability per step."""
    lolp = run.loss_of_load(zone).loc[steps[0] : steps[-1]]
    if not (lolp > 0).any():
        return None
    if daily:
        y = lolp.resample("D").sum() * run.step_h
        x = to_x(y.index + pd.Timedelta(hours=12))
        label = "expected hours of shedding per day (right axis)"
        ylabel = "expected shedding per day (h)"
    else:
        y, x = lolp, to_x(lolp.index)
        label = "share of replications shedding (right axis)"
        ylabel = "loss-of-load probability (share of replications)"
    lax = ax.twinx()
    lax.set_label(LOSS_AXIS)
    lax.plot(x, y.to_numpy(), color=SHED, lw=1.1, label=label, drawstyle="steps-mid" if daily else "default")
    lax.set_ylim(0, float(y.max()) / LOSS_HEIGHT)
    lax.set_ylabel(ylabel, color=SHED, fontsize=8)
    lax.tick_params(axis="y", colors=SHED, labelsize=7)
    lax.spines["right"].set_color(SHED)
    return lax


def _demand_panel(
    ax: Axes, run: RunData, zone: str, start: Any, end: Any, freq: str | None, legend: bool
) -> list[Axes]:
    """One zone's panel; returns its axes (with the loss-of-load axis, if any)."""
    hourly = window(run, run.loads(zone), start, end)
    loads, x, peak = _daily(hourly, freq)
    _stack(ax, loads, x=x)
    if peak is not None:
        ax.plot(x, peak, color="0.25", lw=0.8, label="each day's peak hour (total load)")
    supply = _supply(loads)
    for key, (label, ls) in SUPPLY_STYLE.items():
        text = label + (" (daily mean)" if peak is not None else "")
        ax.plot(x, supply[key], color=GENERATION, lw=1.0, ls=ls, label=text, zorder=4)
    mark_milestones(ax, run, legend=legend, lo=hourly.index[0], hi=hourly.index[-1])
    _mining_note(ax, hourly)
    top = max(float(hourly[CONNECTED].sum(axis=1).max()), *(float(v.max()) for v in supply.values()))
    low = min(float(loads["ordinary"].min()), *(float(v.min()) for v in supply.values()))
    ax.set_ylim(max(0.0, low - BASE_SHARE * (top - low)), top + 0.05 * (top - low))
    ax.set_xlim(to_x(hourly.index[0]), to_x(hourly.index[-1] + pd.Timedelta(hours=run.step_h)))
    ax.set_ylabel("load (MW)")
    lax = _loss_line(ax, run, zone, hourly.index, daily=peak is not None)
    return [ax] if lax is None else [ax, lax]


def _resolution(run: RunData, start: Any, end: Any, freq: str | None) -> str:
    hourly = window(run, run.loads(NATIONAL), start, end)
    daily = _daily(hourly, freq)[2] is not None
    what = "areas and supply: daily means of the hourly ensemble mean" if daily else "hourly ensemble mean"
    return f"{what} of {reps_text(run.n)}; y axes do not start at zero"


def _zone_grid(run: RunData) -> tuple[Figure, np.ndarray, list[str]]:
    """A figure with one panel per zone after the national one, two columns;
    panels beyond the zones are hidden."""
    panels = [NATIONAL, *run.zones]
    ncols = 2 if len(panels) > 1 else 1
    nrows = math.ceil(len(panels) / ncols)
    fig = Figure(figsize=(5.5 * ncols, 3.2 * nrows + 0.9), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    return fig, axes, panels


def _panel_heading(run: RunData, zone: str, whole_run: bool) -> str:
    """``Zone: LOLE .., EUE ..; links in up to .. MW``."""
    parts = [_loss_title(run, None if zone == NATIONAL else zone)]
    if parts[0] and whole_run:
        parts[0] += " (whole run)"
    links = inbound_links_mw(run, zone) if zone != NATIONAL else 0.0
    if links > 0:
        parts.append(f"links from other zones up to {links:,.0f} MW")
    text = "; ".join(p for p in parts if p)
    return f"{panel_title(zone)}: {text}" if text else panel_title(zone)


def national_demand(run: RunData, start: Any = None, end: Any = None, freq: str | None = "auto") -> Figure:
    """National load over time (MW): ordinary demand, grey and licensed mining
    stacked, licensed load held back by orders hatched, available generation
    and imports, the expected hours of shedding per day (second axis), and the
    scenario's dates.

    ``start``, ``end``: a window (local time); ``freq``: ``"auto"`` (daily means
    over windows longer than a month), ``"D"``, or None for every step.
    """
    fig = Figure(figsize=(11, 5.5), layout="constrained")
    ax = fig.subplots()
    axes = _demand_panel(ax, run, NATIONAL, start, end, freq, legend=True)
    ax.set_title(
        f"{run.name}: national load and its mining component; {_loss_title(run, None)}\n"
        f"({_resolution(run, start, end, freq)})",
        fontsize=11,
    )
    time_axis(ax, run)
    figure_legend(fig, axes, ncol=3)
    return fig


def demand_curves(
    run: RunData,
    start: Any = None,
    end: Any = None,
    zones: Iterable[str] | None = None,
    freq: str | None = "auto",
) -> Figure:
    """Load over time (MW), national and by zone: ordinary demand, grey and
    licensed mining stacked, licensed load held back hatched, the zone's
    available generation and imports, its expected hours of shedding per day
    (second axis; the share of replications shedding, step by step, in windows
    of a month or less), and the scenario's dates.

    ``start``, ``end``: a window (local time); ``zones``: which zones (default
    all); ``freq``: as for :func:`national_demand`.
    """
    zones = list(run.zones if zones is None else zones)
    panels = [NATIONAL, *zones]
    fig = Figure(figsize=(11, 2.4 * len(panels) + 1.8), layout="constrained")
    axes = fig.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
    every = []
    for ax, zone in zip(axes, panels, strict=True):
        every += _demand_panel(ax, run, zone, start, end, freq, legend=ax is axes[0])
        whole = start is not None or end is not None
        ax.set_title(_panel_heading(run, zone, whole), fontsize=10, loc="left")
        time_axis(ax, run, label=ax is axes[-1])
    fig.suptitle(
        f"{run.name}: demand by zone with its mining component, against available supply\n"
        f"({_resolution(run, start, end, freq)})"
    )
    figure_legend(fig, every, ncol=3)
    return fig


def typical_days(run: RunData, month: int | None = None, day_type: str = "weekday") -> Figure:
    """Mean daily profile (MW by local hour), national and by zone, in one month.

    ``month``: 1-12 (default: the month of highest mean national load);
    ``day_type``: ``weekday``, ``weekend`` or ``all``.
    """
    idx = run.index
    if month is None:
        total = run.loads(NATIONAL)[CONNECTED].sum(axis=1)
        month = int(total.groupby(idx.month).mean().idxmax())
    if not 1 <= month <= len(MONTHS) or not (idx.month == month).any():
        have = sorted(set(idx.month.tolist()))
        raise ValueError(f"month {month} is not in the run; months: {', '.join(map(str, have))}")
    days = {
        "weekday": idx.day_of_week < SATURDAY,
        "weekend": idx.day_of_week >= SATURDAY,
        "all": np.ones(len(idx), bool),
    }
    if day_type not in days:
        raise ValueError(f"day_type must be one of {', '.join(days)}, not {day_type!r}")
    sel = (idx.month == month) & days[day_type]
    years = sorted(set(idx[sel].year.tolist()))
    fig, axes, panels = _zone_grid(run)
    n_days = len(set(idx[sel].normalize()))
    for ax, zone in zip(axes, panels, strict=False):
        loads = run.loads(zone)[sel]
        prof = loads.groupby(loads.index.hour).mean()
        # A closing point at 24 h so the last hour is drawn as a full step.
        prof = pd.concat([prof, prof.iloc[[-1]].set_axis([DAY_H])])
        _stack(ax, prof, x=prof.index.to_numpy(), step=True)
        peak = float(prof[CONNECTED].sum(axis=1).max())
        ax.set_ylim(0, peak * 1.12)
        share = 100 * (prof["grey"] + prof["licensed_drawn"]).iloc[:-1].mean()
        share /= prof[DRAWN].iloc[:-1].sum(axis=1).mean()
        ax.set_title(f"{panel_title(zone)}: mining {share:.1f} % of load", fontsize=10, loc="left")
        ax.set_xlim(0, DAY_H)
        ax.set_xticks(range(0, DAY_H + 1, HOUR_TICK))
        ax.set_xlabel(f"hour of day, {time_label(run)}")
        ax.set_ylabel("mean load (MW)")
    what = {"weekday": "weekday (Mon-Fri)", "weekend": "weekend day", "all": "day"}[day_type]
    fig.suptitle(
        f"{run.name}: typical {what} in {MONTHS[month - 1]} {'/'.join(map(str, years))} "
        f"(mean of {n_days} days, {who(run)})"
    )
    figure_legend(fig, axes[:1], ncol=4)
    return fig
