"""Figures from a run, in memory or from a run folder (Agg-safe, matplotlib only).

Every figure function takes a :class:`RunData` and returns a
:class:`matplotlib.figure.Figure` built without pyplot, so they work in any
process (workers, servers, tests) and never open a window. Time axes are in the
scenario's local time; dates of orders, of the inspection campaign and of the
relief target are read from the scenario, never written here.

The time series of a run are ensemble means per step (``timeseries.parquet``);
figures built on them (demand curves, typical days, load-duration curves) show
mean loads. Hours of shedding are the steps where the mean shed is above zero,
that is, where at least one replication shed load. Per-replication numbers
(relief on the target date, closures, LOLE, EUE) come from the replications
table and carry their 95 % confidence intervals.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import click
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.errors import Problem, ScenarioError

if TYPE_CHECKING:
    from sim.experiments.ensemble import EnsembleResult

#: Mean shed below this (MW) counts as none.
SHED_EPS_MW = 1e-6
#: Files that make a folder a run folder (DESIGN.md section 6).
RUN_FILES = ("scenario.resolved.yaml", "summary.json", "timeseries.parquet", "replications.parquet")
#: Closure events counted by :func:`closures_over_time`, with their labels.
CLOSURE_KINDS = {
    "closed_voluntarily": "closed voluntarily",
    "disconnected_by_force": "disconnected by force",
    "exited": "exited the country",
}
#: Short names accepted for ``reported=`` keys.
KIND_ALIASES = {
    "voluntary": "closed_voluntarily",
    "closures_voluntary": "closed_voluntarily",
    "forced": "disconnected_by_force",
    "closures_forced": "disconnected_by_force",
    "exits": "exited",
}

ORDINARY = "#8fa3b8"
GREY = "#e6550d"
LICENSED = "#756bb1"
SHED = "#d62728"
GENERATION = "#222222"
KIND_COLOURS = {
    "closed_voluntarily": "#1b9e77",
    "disconnected_by_force": "#d95f02",
    "exited": "#7570b3",
    "limits": "#e7298a",
}
TARGET = "#2ca02c"
MILESTONE = "#555555"
MONTHS = tuple(calendar.month_name)[1:]


# ----------------------------------------------------------------------------- data


@dataclass
class RunData:
    """What the figures need: the tidy tables of one run and its scenario."""

    name: str
    zones: tuple[str, ...]
    timezone: str
    summary: dict[str, Any]
    timeseries: pd.DataFrame
    replications: pd.DataFrame
    events: pd.DataFrame
    facilities: pd.DataFrame
    scenario: dict[str, Any] = field(default_factory=dict)
    """The resolved scenario as plain data (orders, campaign, target: for dates)."""

    @classmethod
    def from_result(cls, result: EnsembleResult) -> RunData:
        """From an in-memory ensemble."""
        sc = result.scenario
        return cls(
            sc.name,
            tuple(sc.zones),
            sc.timezone,
            result.summary(),
            result.timeseries(),
            result.replications,
            result.events,
            result.facilities,
            sc.model_dump(mode="json", by_alias=True),
        )

    @classmethod
    def load(cls, folder: str | Path) -> RunData:
        """From a run folder written by ``gridshed run``.

        Raises :class:`ScenarioError` if ``folder`` is not a run folder.
        """
        import yaml

        folder = Path(folder)
        check_run_folder(folder)
        sc = yaml.safe_load((folder / "scenario.resolved.yaml").read_text(encoding="utf-8"))

        def table(name: str) -> pd.DataFrame:
            path = folder / f"{name}.parquet"
            return pd.read_parquet(path) if path.exists() else pd.DataFrame()

        return cls(
            sc["name"],
            tuple(sc["zones"]),
            sc["timezone"],
            json.loads((folder / "summary.json").read_text(encoding="utf-8")),
            table("timeseries"),
            table("replications"),
            table("events"),
            table("facilities"),
            sc,
        )

    @property
    def n(self) -> int:
        """Number of replications."""
        return int(self.summary.get("replications") or len(self.replications))

    @cached_property
    def _means(self) -> pd.DataFrame:
        """Ensemble means, one column per (zone, variable), indexed by local time."""
        return self.timeseries.pivot(index="time", columns=["zone", "variable"], values="mean")

    @property
    def index(self) -> pd.DatetimeIndex:
        """Local time of every step."""
        return self._means.index

    @property
    def step_h(self) -> float:
        """Balance step, hours."""
        step = self.scenario.get("step_h")
        if step:
            return float(step)
        idx = self.index
        return (idx[1] - idx[0]).total_seconds() / 3600.0 if len(idx) > 1 else 1.0

    def series(self, variable: str, zone: str = "national") -> pd.DataFrame:
        """One variable's mean and bands over time, indexed by local time.

        For a zone variable and ``zone="national"``: the sum of the zones' means
        (column ``mean`` only).
        """
        ts = self.timeseries
        if zone == "national" and variable not in ts.loc[ts.zone == "national", "variable"].unique():
            sel = ts[ts.variable == variable]
            return sel.groupby("time")[["mean"]].sum()
        sel = ts[(ts.variable == variable) & (ts.zone == zone)]
        return sel.set_index("time")[["mean", "std", "ci95_low", "ci95_high"]]

    def loads(self, zone: str = "national") -> pd.DataFrame:
        """Mean loads of a zone (or ``national``: all zones) per step, MW.

        Columns: ``ordinary`` (ordinary demand), ``grey`` (grey mining),
        ``licensed`` (licensed mining connected, before orders),
        ``licensed_drawn`` (what licensed miners drew), ``held_back`` (licensed
        load held back by orders and curtailment), ``shed``, ``generation``
        (available capacity), ``imports``.
        """
        m = self._means
        names = {
            "ordinary": "demand_mw",
            "grey": "grey_mining_mw",
            "licensed": "licensed_mining_mw",
            "limited": "limited_mw",
            "curtailed": "curtailed_mw",
            "shed": "shed_mw",
            "generation": "generation_mw",
            "imports": "imports_mw",
        }
        zones = list(self.zones) if zone == "national" else [zone]
        if zone != "national" and zone not in self.zones:
            raise ValueError(f"unknown zone {zone!r}; zones: {', '.join(self.zones)}")
        out = pd.DataFrame(
            {k: sum(m[(z, v)] for z in zones) for k, v in names.items()},
            index=m.index,
        )
        out["held_back"] = (out.pop("limited") + out.pop("curtailed")).clip(lower=0.0)
        out["held_back"] = np.minimum(out["held_back"], out["licensed"])
        out["licensed_drawn"] = (out["licensed"] - out["held_back"]).clip(lower=0.0)
        return out

    def local(self, when: Any) -> pd.Timestamp:
        """A time as a local, time-zone-aware timestamp (naive times are local)."""
        ts = pd.Timestamp(when)
        return ts.tz_localize(self.timezone) if ts.tzinfo is None else ts.tz_convert(self.timezone)

    def milestones(self) -> list[tuple[pd.Timestamp, str]]:
        """Dates worth marking, from the scenario: orders, campaign start, target date."""
        sc = self.scenario
        out: list[tuple[pd.Timestamp, str]] = []
        for order in (sc.get("operator") or {}).get("orders") or ():
            out.append((self.local(order["start"]), _order_label(self, order)))
        enf = sc.get("enforcement") or {}
        if enf.get("enabled") and enf.get("campaign"):
            begin = self.local(enf["campaign"]["start"])
            out.append((begin, f"inspection campaign starts, {begin:%-d %b %Y}"))
        target = self.target
        if target:
            by = self.local(target["by"])
            out.append((by, f"target date, {by:%-d %b %Y} ({target['relief_mw']:.0f} MW)"))
        first, last = self.index[0], self.index[-1]
        return sorted(((t, s) for t, s in out if first <= t <= last), key=lambda x: x[0])

    @property
    def target(self) -> dict[str, Any] | None:
        """The relief target (``relief_mw``, ``tolerance_mw``, ``by``) or none."""
        t = self.summary.get("target") or self.scenario.get("target")
        return dict(t) if t else None

    def estimate(self, metric: str, zone: str | None = None) -> tuple[float, float, float]:
        """Mean and 95 % interval of a summary metric (``nan`` where unknown)."""
        e = self.summary.get("by_zone", {}).get(zone, {}).get(metric) if zone else self.summary.get(metric)
        if not e:
            return (math.nan, math.nan, math.nan)
        return tuple(_num(e.get(k)) for k in ("mean", "ci95_low", "ci95_high"))  # type: ignore[return-value]


def check_run_folder(folder: Path) -> None:
    """Raise :class:`ScenarioError` unless ``folder`` is a run folder."""
    if not folder.is_dir():
        raise ScenarioError(
            Problem("not a run folder: no such folder (give DIR/<scenario name>/ from gridshed run)", folder)
        )
    missing = [f for f in RUN_FILES if not (folder / f).is_file()]
    if not missing:
        return
    hint = ""
    inside = sorted(p.name for p in folder.iterdir() if p.is_dir() and (p / "summary.json").is_file())
    if inside:
        hint = f"; did you mean {', '.join(str(folder / p) for p in inside)}?"
    raise ScenarioError(
        Problem(
            f"not a run folder: missing {', '.join(missing)} "
            f"(give DIR/<scenario name>/ written by gridshed run){hint}",
            folder,
        )
    )


def _num(x: Any) -> float:
    return math.nan if x is None else float(x)


def _order_label(run: RunData, order: Mapping[str, Any]) -> str:
    start = run.local(order["start"])
    text = f"{order['name']}, {start:%-d %b %Y}"
    if order.get("end"):
        last = run.local(order["end"]) - pd.Timedelta(seconds=1)  # end is exclusive
        text = f"{order['name']}, {start:%-d %b} - {last:%-d %b %Y}"
    return text


# --------------------------------------------------------------------------- helpers


def _utc_offset(run: RunData) -> str:
    off = run.local(run.index[0] if len(run.index) else dt.datetime(2000, 1, 1)).utcoffset()
    minutes = int(off.total_seconds() // 60) if off is not None else 0
    sign = "+" if minutes >= 0 else "-"
    h, m = divmod(abs(minutes), 60)
    return f"UTC{sign}{h}" + (f":{m:02d}" if m else "")


def time_label(run: RunData) -> str:
    """The label of time axes: local time with its zone and offset."""
    return f"local time ({run.timezone}, {_utc_offset(run)})"


def _time_axis(ax: Axes, run: RunData, label: bool = True) -> None:
    """Dates in local time (matplotlib would otherwise format them in UTC)."""
    tz = ZoneInfo(run.timezone)
    locator = mdates.AutoDateLocator(tz=tz, minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    # The offset (bottom right) gives the year; the month is on the ticks already.
    offsets = ["", "%Y", "%Y", "%Y-%b-%d", "%Y-%b-%d", "%Y-%b-%d %H:%M"]
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz=tz, offset_formats=offsets))
    if label:
        ax.set_xlabel(time_label(run))


def _window(run: RunData, frame: pd.DataFrame, start: Any, end: Any) -> pd.DataFrame:
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


def _x(times: Any) -> np.ndarray:
    """Times as naive UTC ``datetime64`` for matplotlib: much faster than tz-aware
    timestamps, and the same instants (the axis formats them in local time)."""
    idx = pd.DatetimeIndex(times if np.ndim(times) else [times])
    if idx.tz is not None:
        idx = idx.tz_convert("UTC").tz_localize(None)
    out = idx.to_numpy()
    return out if np.ndim(times) else out[0]


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """``(first, stop)`` of each run of True values."""
    m = np.concatenate([[False], np.asarray(mask, bool), [False]])
    edges = np.flatnonzero(m[1:] != m[:-1])
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _shade_shedding(ax: Axes, run: RunData, shed: pd.Series) -> float:
    """Shade the steps with load shed; return their number of hours."""
    mask = shed.to_numpy() > SHED_EPS_MW
    step = pd.Timedelta(hours=run.step_h)
    idx = shed.index
    hours = float(mask.sum() * run.step_h)
    for k, (a, b) in enumerate(_runs(mask)):
        ax.axvspan(
            _x(idx[a]),
            _x(idx[b - 1] + step),
            color=SHED,
            alpha=0.4,
            lw=0.6,
            label=f"load shed in some replication ({hours:,.0f} h)" if k == 0 else None,
            zorder=2.5,
        )
    return hours


def _target_band(ax: Axes, t: dict[str, Any]) -> None:
    """Shade the target band ``relief_mw +- tolerance_mw``."""
    ax.axhspan(
        t["relief_mw"] - t["tolerance_mw"],
        t["relief_mw"] + t["tolerance_mw"],
        color=TARGET,
        alpha=0.12,
        label=f"target {t['relief_mw']:.0f} +- {t['tolerance_mw']:.0f} MW",
    )


def _mark_milestones(ax: Axes, run: RunData, legend: bool = True, lo: Any = None, hi: Any = None) -> None:
    """Numbered dashed lines at the scenario's dates; with ``legend`` the numbers
    are written at the top of ``ax`` and the lines carry ``"1: what, when"``
    labels for the legend."""
    lo = run.index[0] if lo is None else lo
    hi = run.index[-1] if hi is None else hi
    for k, (t, label) in enumerate(run.milestones(), start=1):
        if not lo <= t <= hi:
            continue
        colour = TARGET if label.startswith("target date") else MILESTONE
        ax.axvline(_x(t), color=colour, ls="--", lw=0.9, zorder=3, label=f"{k}: {label}" if legend else None)
        if legend:
            ax.annotate(
                str(k),
                xy=(_x(t), 1.0),
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


def _stack(ax: Axes, loads: pd.DataFrame, x: Any = None, step: bool = False) -> None:
    """Ordinary demand, grey and licensed mining stacked, licensed held back hatched."""
    x = _x(loads.index) if x is None else x
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
    top = loads["ordinary"] + loads["grey"] + loads["licensed_drawn"]
    if loads["held_back"].max() > SHED_EPS_MW:
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
    total = (loads["ordinary"] + loads["grey"] + loads["licensed_drawn"]).mean()
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


def _figure_legend(fig: Figure, axes: Iterable[Axes], ncol: int = 4) -> None:
    handles, labels, seen = [], [], set()
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            key = lab.split(" (")[0] if lab.startswith("load shed") else lab
            if key not in seen:
                seen.add(key)
                handles.append(h)
                labels.append(lab.split(" (")[0] + " (hours shaded)" if lab.startswith("load shed") else lab)
    fig.legend(handles, labels, loc="outside lower center", ncol=ncol, fontsize="small", frameon=False)


def _reps_text(n: int) -> str:
    return f"{n} replication" + ("" if n == 1 else "s")


def _ci_text(lo: float, hi: float, fmt: str = ",.0f") -> str:
    """`` [lo, hi]``, or nothing when the interval is unknown (one replication)."""
    return "" if math.isnan(lo) or math.isnan(hi) else f" [{lo:{fmt}}, {hi:{fmt}}]"


def _who(run: RunData) -> str:
    return f"ensemble mean of {_reps_text(run.n)}"


# ------------------------------------------------------------------------ figures


def _daily(loads: pd.DataFrame, freq: str | None) -> tuple[pd.DataFrame, np.ndarray, pd.Series | None]:
    """Loads to draw, their x values, and each day's peak of the total (when resampled).

    ``freq="auto"`` takes daily means over windows longer than 31 days (an
    hourly stack over a winter is a solid band) and keeps steps otherwise.
    """
    span = loads.index[-1] - loads.index[0]
    if freq == "auto":
        freq = "D" if span > pd.Timedelta(days=31) else None
    if not freq:
        return loads, _x(loads.index), None
    total = loads["ordinary"] + loads["grey"] + loads["licensed_drawn"]
    means = loads.resample(freq).mean().dropna()
    peak = total.resample(freq).max().reindex(means.index)
    half = (means.index[1] - means.index[0]) / 2 if len(means) > 1 else pd.Timedelta(0)
    return means, _x(means.index + half), peak


def _demand_panel(
    ax: Axes, run: RunData, zone: str, start: Any, end: Any, freq: str | None, legend: bool
) -> pd.DataFrame:
    hourly = _window(run, run.loads(zone), start, end)
    loads, x, peak = _daily(hourly, freq)
    _stack(ax, loads, x=x)
    if peak is not None:
        ax.plot(x, peak, color="0.25", lw=0.8, label="each day's peak hour (total load)")
    if zone == "national":
        label = "available generation" + (" (daily mean)" if peak is not None else "")
        ax.plot(x, loads["generation"], color=GENERATION, lw=1.0, ls="-.", label=label)
    _shade_shedding(ax, run, hourly["shed"])
    _mark_milestones(ax, run, legend=legend, lo=hourly.index[0], hi=hourly.index[-1])
    _mining_note(ax, hourly)
    top = float(hourly[["ordinary", "grey", "licensed"]].sum(axis=1).max())
    if zone == "national":
        top = max(top, float(loads["generation"].max()))
    ax.set_ylim(0, top * 1.1)
    ax.set_xlim(_x(hourly.index[0]), _x(hourly.index[-1] + pd.Timedelta(hours=run.step_h)))
    ax.set_ylabel("load (MW)")
    return loads if peak is not None else hourly


def _resolution(run: RunData, start: Any, end: Any, freq: str | None) -> str:
    hourly = _window(run, run.loads("national"), start, end)
    daily = _daily(hourly, freq)[2] is not None
    return "areas: daily means of the hourly ensemble mean" if daily else "hourly ensemble mean"


def national_demand(run: RunData, start: Any = None, end: Any = None, freq: str | None = "auto") -> Figure:
    """National load over time (MW): ordinary demand, grey and licensed mining
    stacked, licensed load held back by orders hatched, available generation,
    hours with load shed shaded, and the scenario's dates.

    ``start``, ``end``: a window (local time); ``freq``: ``"auto"`` (daily means
    over windows longer than a month), ``"D"``, or None for every step.
    """
    fig = Figure(figsize=(11, 5.5), layout="constrained")
    ax = fig.subplots()
    _demand_panel(ax, run, "national", start, end, freq, legend=True)
    ax.set_title(
        f"{run.name}: national load and its mining component\n"
        f"{_resolution(run, start, end, freq)} of {_reps_text(run.n)}; {_loss_title(run, None)}",
        fontsize=11,
    )
    _time_axis(ax, run)
    _figure_legend(fig, [ax], ncol=3)
    return fig


def demand_curves(
    run: RunData,
    start: Any = None,
    end: Any = None,
    zones: Iterable[str] | None = None,
    freq: str | None = "auto",
) -> Figure:
    """Load over time (MW), national and by zone: ordinary demand, grey and
    licensed mining stacked, licensed load held back hatched, hours with load
    shed shaded (in that zone), and the scenario's dates.

    ``start``, ``end``: a window (local time); ``zones``: which zones (default
    all); ``freq``: as for :func:`national_demand`.
    """
    zones = list(run.zones if zones is None else zones)
    panels = ["national", *zones]
    fig = Figure(figsize=(11, 2.2 * len(panels) + 1.6), layout="constrained")
    axes = fig.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
    for ax, zone in zip(axes, panels, strict=True):
        _demand_panel(ax, run, zone, start, end, freq, legend=ax is axes[0])
        name = "National (all zones)" if zone == "national" else zone
        loss = _loss_title(run, None if zone == "national" else zone)
        if loss and (start is not None or end is not None):
            loss = f"{loss} (whole run)"
        ax.set_title(f"{name}: {loss}" if loss else name, fontsize=10, loc="left")
        _time_axis(ax, run, label=ax is axes[-1])
    fig.suptitle(
        f"{run.name}: demand by zone with its mining component\n"
        f"({_resolution(run, start, end, freq)} of {_reps_text(run.n)})"
    )
    _figure_legend(fig, axes, ncol=3)
    return fig


def typical_days(run: RunData, month: int | None = None, day_type: str = "weekday") -> Figure:
    """Mean daily profile (MW by local hour), national and by zone, in one month.

    ``month``: 1-12 (default: the month of highest mean national load);
    ``day_type``: ``weekday``, ``weekend`` or ``all``.
    """
    idx = run.index
    if month is None:
        total = run.loads("national")[["ordinary", "grey", "licensed"]].sum(axis=1)
        month = int(total.groupby(idx.month).mean().idxmax())
    if not 1 <= month <= 12 or not (idx.month == month).any():
        have = sorted(set(idx.month.tolist()))
        raise ValueError(f"month {month} is not in the run; months: {', '.join(map(str, have))}")
    days = {"weekday": idx.day_of_week < 5, "weekend": idx.day_of_week >= 5, "all": np.ones(len(idx), bool)}
    if day_type not in days:
        raise ValueError(f"day_type must be one of {', '.join(days)}, not {day_type!r}")
    sel = (idx.month == month) & days[day_type]
    years = sorted(set(idx[sel].year.tolist()))
    panels = ["national", *run.zones]
    ncols = 2 if len(panels) > 1 else 1
    nrows = math.ceil(len(panels) / ncols)
    fig = Figure(figsize=(5.5 * ncols, 3.2 * nrows + 0.9), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    n_days = len(set(idx[sel].normalize()))
    for ax, zone in zip(axes, panels, strict=False):
        loads = run.loads(zone)[sel]
        prof = loads.groupby(loads.index.hour).mean()
        # A closing point at 24 h so the last hour is drawn as a full step.
        prof = pd.concat([prof, prof.iloc[[-1]].set_axis([24])])
        _stack(ax, prof, x=prof.index.to_numpy(), step=True)
        peak = float(prof[["ordinary", "grey", "licensed"]].sum(axis=1).max())
        ax.set_ylim(0, peak * 1.12)
        share = 100 * (prof["grey"] + prof["licensed_drawn"]).iloc[:-1].mean()
        share /= prof[["ordinary", "grey", "licensed_drawn"]].iloc[:-1].sum(axis=1).mean()
        name = "National (all zones)" if zone == "national" else zone
        ax.set_title(f"{name}: mining {share:.1f} % of load", fontsize=10, loc="left")
        ax.set_xlim(0, 24)
        ax.set_xticks(range(0, 25, 3))
        ax.set_xlabel(f"hour of day, {time_label(run)}")
        ax.set_ylabel("mean load (MW)")
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    what = {"weekday": "weekday (Mon-Fri)", "weekend": "weekend day", "all": "day"}[day_type]
    fig.suptitle(
        f"{run.name}: typical {what} in {MONTHS[month - 1]} {'/'.join(map(str, years))} "
        f"(mean of {n_days} days, {_who(run)})"
    )
    _figure_legend(fig, axes[:1], ncol=4)
    return fig


def load_duration(run: RunData, start: Any = None, end: Any = None) -> Figure:
    """Load-duration curves (MW against hours at or above), national and by
    zone: ordinary demand alone, with mining as drawn, and with all mining
    connected (before the operator's orders)."""
    panels = ["national", *run.zones]
    ncols = 2 if len(panels) > 1 else 1
    nrows = math.ceil(len(panels) / ncols)
    fig = Figure(figsize=(5.5 * ncols, 3.2 * nrows + 0.9), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, zone in zip(axes, panels, strict=False):
        loads = _window(run, run.loads(zone), start, end)
        hours = np.arange(1, len(loads) + 1) * run.step_h
        curves = {
            "ordinary demand only": loads["ordinary"],
            "with mining as drawn": loads["ordinary"] + loads["grey"] + loads["licensed_drawn"],
            "with all mining connected (no orders)": loads["ordinary"] + loads["grey"] + loads["licensed"],
        }
        styles = [(ORDINARY, "-", 2.0), (GREY, "-", 1.4), (LICENSED, "--", 1.2)]
        for (label, s), (colour, ls, lw) in zip(curves.items(), styles, strict=True):
            ax.plot(hours, np.sort(s.to_numpy())[::-1], color=colour, ls=ls, lw=lw, label=label)
        shed_h = float((loads["shed"].to_numpy() > SHED_EPS_MW).sum() * run.step_h)
        name = "National (all zones)" if zone == "national" else zone
        peak_gap = curves["with mining as drawn"].max() - curves["ordinary demand only"].max()
        ax.set_title(
            f"{name}: mining adds {peak_gap:,.0f} MW at the peak; {shed_h:,.0f} h with shedding",
            fontsize=10,
            loc="left",
        )
        ax.set_xlabel("hours at or above the load (h)")
        ax.set_ylabel("load (MW)")
        ax.set_xlim(0, hours[-1])
        ax.grid(alpha=0.3)
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    lo, hi = run.index[0] if start is None else run.local(start), run.index[-1] if end is None else end
    fig.suptitle(
        f"{run.name}: load-duration curves, {pd.Timestamp(lo):%-d %b %Y} to "
        f"{run.local(hi):%-d %b %Y} ({_who(run)})"
    )
    _figure_legend(fig, axes[:1], ncol=3)
    return fig


def relief_over_time(run: RunData) -> Figure:
    """Relief (MW) over time: the ensemble mean, the 95 % interval of the mean,
    the spread of single replications, the target band and date, and the
    scenario's orders and campaign start."""
    fig = Figure(figsize=(11, 6), layout="constrained")
    ax = fig.subplots()
    s = run.series("relief_mw", "national")
    spread_lo = (s["mean"] - 1.96 * s["std"]).clip(lower=0)
    x = _x(s.index)
    ax.fill_between(
        x,
        spread_lo,
        s["mean"] + 1.96 * s["std"],
        color="C0",
        alpha=0.12,
        lw=0,
        label="single replications (mean +- 1.96 sd)",
    )
    ax.fill_between(
        x, s["ci95_low"], s["ci95_high"], color="C0", alpha=0.4, lw=0, label="95 % CI of the mean"
    )
    ax.plot(x, s["mean"], color="C0", lw=1.6, label="relief, ensemble mean")
    t = run.target
    if t:
        _target_band(ax, t)
        ax.axhline(t["relief_mw"], color=TARGET, lw=0.8)
        mean, lo, hi = run.estimate("relief_mw")
        by = run.local(t["by"])
        if not math.isnan(mean):
            ax.errorbar(
                [_x(by)],
                [mean],
                yerr=[[mean - lo], [hi - mean]] if not math.isnan(lo) else None,
                fmt="o",
                color="k",
                capsize=4,
                ms=4,
                zorder=5,
                label=f"relief on {by:%-d %b %Y}: mean {mean:,.0f} MW"
                + (f", 95 % CI{_ci_text(lo, hi)}" if _ci_text(lo, hi) else ""),
            )
    _mark_milestones(ax, run)
    ax.set_ylim(bottom=0)
    ax.margins(x=0)
    ax.set_title(f"{run.name}: relief from closures and limits on miners ({_reps_text(run.n)})")
    ax.set_ylabel("relief (MW)")
    _time_axis(ax, run)
    _figure_legend(fig, [ax], ncol=3)
    return fig


def relief_by_kind(run: RunData) -> Figure:
    """Mean relief (MW) over time split by kind: voluntary closures, forced
    disconnections (net of reconnections), exits and lasting limits on
    licensed miners; with the target."""
    fig = Figure(figsize=(11, 6), layout="constrained")
    ax = fig.subplots()
    kinds = {
        "relief_voluntary_mw": ("closed voluntarily", KIND_COLOURS["closed_voluntarily"]),
        "relief_forced_mw": (
            "disconnected by force (net of reconnections)",
            KIND_COLOURS["disconnected_by_force"],
        ),
        "relief_exit_mw": ("exited the country", KIND_COLOURS["exited"]),
        "relief_limits_mw": ("lasting limits on licensed miners", KIND_COLOURS["limits"]),
    }
    data = {k: run.series(k, "national")["mean"] for k in kinds}
    # Leave out kinds that never happen (e.g. no exits) but keep the legend non-empty.
    kinds = {k: v for k, v in kinds.items() if data[k].abs().max() > 0} or kinds
    x = _x(next(iter(data.values())).index)
    ax.stackplot(
        x,
        *[data[k].clip(lower=0) for k in kinds],
        labels=[v[0] for v in kinds.values()],
        colors=[v[1] for v in kinds.values()],
        alpha=0.85,
        linewidth=0,
    )
    ax.plot(x, run.series("relief_mw", "national")["mean"], color="k", lw=1.0, label="total relief")
    t = run.target
    if t:
        _target_band(ax, t)
    _mark_milestones(ax, run)
    ax.set_ylim(bottom=0)
    ax.margins(x=0)
    ax.set_title(f"{run.name}: relief by kind ({_who(run)})")
    ax.set_ylabel("relief (MW)")
    _time_axis(ax, run)
    _figure_legend(fig, [ax], ncol=3)
    return fig


def relief_distribution(run: RunData) -> Figure:
    """Histogram of relief (MW) on the target date (end of run without a
    target) over all replications, with the mean, its 95 % interval and the
    target band."""
    fig = Figure(figsize=(8, 4.5), layout="constrained")
    ax = fig.subplots()
    values = run.replications["relief_mw"].to_numpy(dtype=float)
    bins = int(np.clip(np.sqrt(values.size) * 2, 5, 40))
    ax.hist(values, bins=bins, color="C0", edgecolor="white", label="replications", zorder=2)
    t = run.target
    when = f"on {run.local(t['by']):%-d %b %Y}" if t else "at the end of the run"
    if t:
        ax.axvspan(
            t["relief_mw"] - t["tolerance_mw"],
            t["relief_mw"] + t["tolerance_mw"],
            color=TARGET,
            alpha=0.15,
            label=f"target {t['relief_mw']:.0f} +- {t['tolerance_mw']:.0f} MW",
            zorder=0,
        )
    mean, lo, hi = run.estimate("relief_mw")
    ax.axvline(mean, color="k", lw=1.5, label=f"mean {mean:,.0f} MW", zorder=3)
    if not math.isnan(lo):
        ax.axvspan(
            lo, hi, color="k", alpha=0.25, lw=0, label=f"95 % CI of the mean [{lo:,.0f}, {hi:,.0f}]", zorder=1
        )
    title = f"{run.name}: relief {when}, {_reps_text(values.size)}"
    if t and "probability_within" in t:
        p = t["probability_within"]
        title += (
            f"\nP(within target band) = {_num(p['mean']):.2f} "
            f"[{_num(p['ci95_low']):.2f}, {_num(p['ci95_high']):.2f}]; verdict: {t.get('verdict', '?')}"
        )
    ax.set_title(title)
    ax.set_xlabel(f"relief {when} (MW)")
    ax.set_ylabel("replications")
    ax.legend(loc="upper left", fontsize="small")
    return fig


def _normalise_reported(reported: Mapping[str, float] | None) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, value in (reported or {}).items():
        kind = KIND_ALIASES.get(key, key)
        if kind not in CLOSURE_KINDS:
            names = ", ".join([*CLOSURE_KINDS, *KIND_ALIASES])
            raise ValueError(f"unknown closure kind {key!r} in reported; use one of: {names}")
        out[kind] = float(value)
    return out


def closures_over_time(
    run: RunData, reported: Mapping[str, float] | None = None, start: Any = "auto", end: Any = None
) -> Figure:
    """Cumulative closures by kind (count) over time.

    Lines: the mean over the replications whose events were kept (the first
    few: ``events.parquet``) and each of them thinly; markers: mean and 95 %
    interval on the target date over all replications (replications table).
    ``reported``: reference counts to draw, e.g. ``{"closed_voluntarily": 55,
    "disconnected_by_force": 51}`` (also ``voluntary``, ``forced``, ``exits``).
    ``start``: ``"auto"`` begins a week before the campaign or the first
    closure, None at the start of the run.
    """
    ref = _normalise_reported(reported)
    fig = Figure(figsize=(11, 6.5), layout="constrained")
    ax = fig.subplots()
    grid = run.index
    ev = run.events
    kept = sorted(ev["replication"].unique().tolist()) if len(ev) else []
    if kept:
        ev = ev[ev["event"].isin(list(CLOSURE_KINDS))]
        ev_ns = pd.to_datetime(ev["time"]).dt.tz_convert("UTC").dt.as_unit("ns").astype("int64").to_numpy()
    grid_ns = grid.as_unit("ns").asi8
    gx = _x(grid)
    columns = {"closed_voluntarily": "closures_voluntary", "disconnected_by_force": "closures_forced"}
    columns["exited"] = "exits"
    t = run.target
    when = run.local(t["by"]) if t else grid[-1]
    for i, (kind, label) in enumerate(CLOSURE_KINDS.items()):
        colour = KIND_COLOURS[kind]
        mean, lo, hi = run.estimate(columns[kind])
        seen = kept and bool((ev["event"] == kind).any())
        if not (seen or kind in ref or (mean > 0)):
            continue  # e.g. no exits in this scenario: no line to draw
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
            ax.axhline(ref[kind], color=colour, ls=":", lw=1.5, label=f"{label}: reported {ref[kind]:,.0f}")
        if not math.isnan(mean):
            ax.errorbar(
                [_x(when + pd.Timedelta(hours=18 * (i - 1)))],
                [mean],
                yerr=[[mean - lo], [hi - mean]] if not math.isnan(lo) else None,
                fmt="D",
                ms=5,
                capsize=4,
                color=colour,
                mec="k",
                zorder=5,
                label=f"{label} by {when:%-d %b}, all {_reps_text(run.n)}: "
                f"{mean:.1f}{_ci_text(lo, hi, '.1f')}",
            )
    lo_t = grid[0]
    if start == "auto":
        firsts = [t for t, label in run.milestones() if label.startswith("inspection campaign")]
        if kept and len(ev):
            firsts.append(run.local(pd.Timestamp(ev["time"].min())))
        if firsts:
            lo_t = max(grid[0], min(firsts) - pd.Timedelta(days=7))
    elif start is not None:
        lo_t = run.local(start)
    hi_t = grid[-1] if end is None else run.local(end)
    _mark_milestones(ax, run, lo=lo_t, hi=hi_t)
    if not kept:
        ax.text(0.5, 0.5, "no events recorded in this run", transform=ax.transAxes, ha="center")
    ax.set_ylim(bottom=0)
    ax.set_xlim(_x(lo_t), _x(hi_t))
    note = (
        f"lines: events are kept for the first {len(kept)} of {_reps_text(run.n)} only; "
        "markers: all replications"
    )
    ax.set_title(f"{run.name}: closures of mining facilities by kind\n{note}", fontsize=10)
    ax.set_ylabel("closures, cumulative (count)")
    _time_axis(ax, run)
    _figure_legend(fig, [ax], ncol=2)
    return fig


def _reps(kept: list[int]) -> str:
    if kept == list(range(kept[0], kept[0] + len(kept))):
        return f"{kept[0]}-{kept[-1]}" if len(kept) > 1 else f"{kept[0]}"
    return ", ".join(map(str, kept))


def shedding_by_zone(run: RunData) -> Figure:
    """Loss of load by zone and in total: LOLE (h) and EUE (MWh), means with
    95 % confidence intervals (clipped at zero) over the replications."""
    fig = Figure(figsize=(11, 4.5), layout="constrained")
    ax_h, ax_e = fig.subplots(1, 2)
    names = [*run.zones, "total"]
    colours = ["C0"] * len(run.zones) + ["0.35"]
    for ax, metric, label in ((ax_h, "lole_h", "LOLE (h)"), (ax_e, "eue_mwh", "EUE (MWh)")):
        est = [run.estimate(metric, z) for z in run.zones] + [run.estimate(metric)]
        mean = np.array([e[0] for e in est])
        lo = np.clip(np.array([e[1] for e in est]), 0, None)
        hi = np.array([e[2] for e in est])
        err = np.vstack([np.nan_to_num(mean - lo), np.nan_to_num(hi - mean)])
        ax.bar(names, mean, color=colours, yerr=err, capsize=5, label=label)
        top = float(np.nanmax(np.fmax(hi, mean))) if np.isfinite(mean).any() else 0.0
        top = top if top > 0 else 1.0
        for k, (m, h) in enumerate(zip(mean, hi, strict=True)):
            y = np.nanmax([m, h, 0.0])
            text = "-" if math.isnan(m) else (f"{m:,.1f}" if m < 100 else f"{m:,.0f}")
            ax.text(k, y + 0.02 * top, text, ha="center", va="bottom", fontsize=8)
        ax.set_ylabel(label)
        ax.set_xlabel("zone")
        ax.set_ylim(0, top * 1.15)
        ax.grid(axis="y", alpha=0.3)
    ax_h.set_title("hours with load shed (loss-of-load expectation)", fontsize=10)
    ax_e.set_title("energy not served (expected unserved energy)", fontsize=10)
    lo_t, hi_t = run.index[0], run.index[-1]
    fig.suptitle(
        f"{run.name}: load shedding by zone, {lo_t:%-d %b %Y} to {hi_t:%-d %b %Y} "
        f"(mean and 95 % CI of {_reps_text(run.n)})"
    )
    return fig


#: Every figure of this module, by short name.
ALL_FIGURES: dict[str, Callable[..., Figure]] = {
    "national_demand": national_demand,
    "demand_curves": demand_curves,
    "typical_days": typical_days,
    "load_duration": load_duration,
    "relief": relief_over_time,
    "relief_by_kind": relief_by_kind,
    "relief_distribution": relief_distribution,
    "closures": closures_over_time,
    "shedding_by_zone": shedding_by_zone,
}
#: The figures ``gridshed run`` and ``gridshed plot`` write, by file name: what a
#: person looks at first. (The national panel heads ``demand_curves``; typical
#: days need a month chosen, see the notebooks.)
FIGURES: dict[str, Callable[..., Figure]] = {
    name: ALL_FIGURES[name]
    for name in (
        "demand_curves",
        "load_duration",
        "relief",
        "relief_by_kind",
        "relief_distribution",
        "closures",
        "shedding_by_zone",
    )
}


def write_figures(run: RunData, folder: Path, reported: Mapping[str, float] | None = None) -> list[Path]:
    """Write the main figures as PNG into ``folder``; return their paths.

    ``reported``: reference closure counts for the closures figure.
    """
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, make in FIGURES.items():
        fig = make(run, reported=reported) if make is closures_over_time else make(run)
        path = folder / f"{name}.png"
        fig.savefig(path, dpi=110)
        paths.append(path)
    return paths


def _parse_reported(values: tuple[str, ...]) -> dict[str, float]:
    out = {}
    for v in values:
        key, sep, num = v.partition("=")
        try:
            if not sep:
                raise ValueError
            out[key.strip()] = float(num)
        except ValueError:
            raise ScenarioError(
                Problem(f"--reported needs KIND=COUNT, e.g. closed_voluntarily=55, not {v!r}")
            ) from None
    try:
        return _normalise_reported(out)
    except ValueError as exc:
        raise ScenarioError(Problem(f"--reported: {exc}")) from None


@click.command("plot")
@click.argument("run_dir", type=click.Path(file_okay=True, path_type=Path))
@click.option(
    "--reported",
    multiple=True,
    metavar="KIND=COUNT",
    help="Reported closures drawn as reference lines, e.g. --reported closed_voluntarily=55 "
    "--reported disconnected_by_force=51.",
)
def plot_command(run_dir: Path, reported: tuple[str, ...]) -> None:
    """Write the figures of the run folder RUN_DIR into RUN_DIR/figures/."""
    ref = _parse_reported(reported)
    run = RunData.load(run_dir)
    for path in write_figures(run, run_dir / "figures", reported=ref):
        click.echo(str(path))
