"""Colours, labels and the axis helpers shared by the run figures.

Time axes are in the scenario's local time: matplotlib gets naive UTC
``datetime64`` values (:func:`to_x`) and formats them in the local zone
(:func:`time_axis`). Loads are in MW, durations in hours.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.report.rundata import NATIONAL, RunData
from sim.scenario.schema import Target
from sim.vocab import CLOSURES, FacilityState

ORDINARY = "#8fa3b8"
GREY = "#e6550d"
LICENSED = "#756bb1"
SHED = "#d62728"
GENERATION = "#222222"
TARGET = "#2ca02c"
MILESTONE = "#555555"
#: Relief that comes from lasting limits on licensed miners (not a closure).
LIMITS = "limits"
#: Closure events, in report order, with their labels.
CLOSURE_LABELS: dict[FacilityState, str] = dict(
    zip(CLOSURES, ("closed voluntarily", "disconnected by force", "exited the country"), strict=True)
)
#: Colour of each closure kind and of lasting limits.
KIND_COLOURS: dict[str, str] = {
    FacilityState.CLOSED_VOLUNTARILY: "#1b9e77",
    FacilityState.DISCONNECTED_BY_FORCE: "#d95f02",
    FacilityState.EXITED: "#7570b3",
    LIMITS: "#e7298a",
}
#: English month names, January first (``MONTHS[month - 1]``).
MONTHS = tuple(calendar.month_name)[1:]
#: Panel name of the sum over all zones.
NATIONAL_TITLE = "National (all zones)"


# ------------------------------------------------------------------------- text


def reps_text(n: int) -> str:
    """``"1 replication"``, ``"6 replications"``."""
    return f"{n} replication" + ("" if n == 1 else "s")


def ci_text(lo: float, hi: float, fmt: str = ",.0f") -> str:
    """`` [lo, hi]``, or nothing when the interval is unknown (one replication)."""
    return "" if math.isnan(lo) or math.isnan(hi) else f" [{lo:{fmt}}, {hi:{fmt}}]"


def who(run: RunData) -> str:
    """What a mean series is: ``"ensemble mean of N replications"``."""
    return f"ensemble mean of {reps_text(run.n)}"


def panel_title(zone: str) -> str:
    """Title of a zone's panel (``national``: all zones)."""
    return NATIONAL_TITLE if zone == NATIONAL else zone


def _utc_offset(run: RunData) -> str:
    off = run.local(run.index[0] if len(run.index) else dt.datetime(2000, 1, 1)).utcoffset()
    minutes = int(off.total_seconds() // 60) if off is not None else 0
    sign = "+" if minutes >= 0 else "-"
    h, m = divmod(abs(minutes), 60)
    return f"UTC{sign}{h}" + (f":{m:02d}" if m else "")


def time_label(run: RunData) -> str:
    """The label of time axes: local time with its zone and offset."""
    return f"local time ({run.timezone}, {_utc_offset(run)})"


# ------------------------------------------------------------------------- axes


def time_axis(ax: Axes, run: RunData, label: bool = True) -> None:
    """Dates in local time (matplotlib would otherwise format them in UTC)."""
    tz = ZoneInfo(run.timezone)
    locator = mdates.AutoDateLocator(tz=tz, minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    # The offset (bottom right) gives the year; the month is on the ticks already.
    offsets = ["", "%Y", "%Y", "%Y-%b-%d", "%Y-%b-%d", "%Y-%b-%d %H:%M"]
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz=tz, offset_formats=offsets))
    if label:
        ax.set_xlabel(time_label(run))


def window(run: RunData, frame: pd.DataFrame, start: Any, end: Any) -> pd.DataFrame:
    """The rows of ``frame`` from ``start`` (local, inclusive) to ``end`` (exclusive)."""
    if start is not None:
        frame = frame[frame.index >= run.local(start)]
    if end is not None:
        frame = frame[frame.index < run.local(end)]
    if frame.empty:
        raise ValueError(
            f"no steps between {start} and {end}; the run covers {run.index[0]:%Y-%m-%d %H:%M} "
            f"to {run.index[-1]:%Y-%m-%d %H:%M}"
        )
    return frame


def to_x(times: Any) -> np.ndarray:
    """Times as naive UTC ``datetime64`` for matplotlib: much faster than tz-aware
    timestamps, and the same instants (the axis formats them in local time)."""
    idx = pd.DatetimeIndex(times if np.ndim(times) else [times])
    if idx.tz is not None:
        idx = idx.tz_convert("UTC").tz_localize(None)
    out = idx.to_numpy()
    return out if np.ndim(times) else out[0]


def inbound_links_mw(run: RunData, zone: str) -> float:
    """Nominal capacity (MW) of the links that can carry power into ``zone`` from
    other zones (links from outside systems are imports, not counted)."""
    total = 0.0
    for link in run.scenario.links:
        if link.to == zone and link.from_ in run.zones:
            total += link.capacity_mw
        elif link.from_ == zone and link.to in run.zones:
            total += link.reverse_mw
    return total


def target_band(t: Target) -> tuple[float, float, str]:
    """The target band ``relief_mw +- tolerance_mw`` (MW) and its legend label."""
    label = f"target {t.relief_mw:.0f} +- {t.tolerance_mw:.0f} MW"
    return t.relief_mw - t.tolerance_mw, t.relief_mw + t.tolerance_mw, label


def shade_target(ax: Axes, t: Target) -> None:
    """Shade the target band across a relief axis."""
    lo, hi, label = target_band(t)
    ax.axhspan(lo, hi, color=TARGET, alpha=0.12, label=label)


def mark_milestones(ax: Axes, run: RunData, legend: bool = True, lo: Any = None, hi: Any = None) -> None:
    """Numbered dashed lines at the scenario's dates; with ``legend`` the numbers
    are written at the top of ``ax`` and the lines carry ``"1: what, when"``
    labels for the legend."""
    lo = run.index[0] if lo is None else lo
    hi = run.index[-1] if hi is None else hi
    for k, (t, label) in enumerate(run.milestones(), start=1):
        if not lo <= t <= hi:
            continue
        colour = TARGET if label.startswith("target date") else MILESTONE
        ax.axvline(
            to_x(t), color=colour, ls="--", lw=0.9, zorder=3, label=f"{k}: {label}" if legend else None
        )
        if legend:
            ax.annotate(
                str(k),
                xy=(to_x(t), 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(0, -2),
                textcoords="offset points",
                ha="center",
                va="top",
                fontsize=7,
                color=colour,
                bbox={"boxstyle": "circle,pad=0.2", "fc": "white", "ec": colour, "lw": 0.6},
                zorder=6,
            )


def figure_legend(fig: Figure, axes: Iterable[Axes], ncol: int = 4) -> None:
    """One legend below the figure for the artists of ``axes``, each label once."""
    handles, labels = [], []
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    fig.legend(handles, labels, loc="outside lower center", ncol=ncol, fontsize="small", frameon=False)


def finish_time_axes(fig: Figure, ax: Axes, run: RunData, title: str, ylabel: str, ncol: int = 3) -> None:
    """The common end of a one-panel time figure: the scenario's dates, y from
    zero, no x margins, title, y label, local time axis and the legend below."""
    mark_milestones(ax, run)
    ax.set_ylim(bottom=0)
    ax.margins(x=0)
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    time_axis(ax, run)
    figure_legend(fig, [ax], ncol=ncol)


def mean_marker(ax: Axes, when: Any, est: tuple[float, float, float], label: str, **style: Any) -> None:
    """A marker at ``when`` with the 95 % interval of the mean as error bars
    (none when the interval is unknown); nothing when the mean is unknown."""
    mean, lo, hi = est
    if math.isnan(mean):
        return
    yerr = [[mean - lo], [hi - mean]] if not math.isnan(lo) else None
    ax.errorbar([to_x(when)], [mean], yerr=yerr, capsize=4, zorder=5, label=label, **style)
