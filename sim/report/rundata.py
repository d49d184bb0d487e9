"""What the figures read: the tidy tables of one run and its scenario.

A :class:`RunData` comes from an ensemble in memory (:meth:`RunData.from_result`)
or from a run folder written by ``gridshed run`` (:meth:`RunData.load`). Its
scenario is the frozen :class:`~sim.scenario.schema.Scenario`: dates of orders,
of the inspection campaign and of the relief target are read from it. Times are
local (the scenario's time zone); loads are in MW.

A run folder holds ensemble means of the time series and one row of metrics per
replication. Every replication's time series is there only from an ensemble run
with ``keep_timeseries=True`` (in memory, :attr:`RunData.per_replication`) or
from ``gridshed run --keep-timeseries`` (``replication_timeseries.parquet``,
:attr:`RunData.series_file`, read a series at a time); figures that need it
(load-duration fans, EUE by month per replication) fall back to the ensemble
means without it and say so.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.errors import Problem, ScenarioError
from sim.model.enforcement import scripted_start
from sim.scenario.schema import Order, Scenario

if TYPE_CHECKING:
    from sim.experiments.result import EnsembleResult

#: The resolved scenario in a run folder (every default filled in).
RESOLVED = "scenario.resolved.yaml"
#: Files that make a folder a run folder (written by :mod:`sim.report.runfolder`;
#: README, "What a run writes").
RUN_FILES = (RESOLVED, "summary.json", "timeseries.parquet", "replications.parquet")
#: The Parquet tables of a run folder, in the order of :class:`RunData`'s fields.
TABLES = ("timeseries", "replications", "events", "facilities")
#: Columns of :meth:`RunData.loads` and the time series they sum.
LOAD_SERIES = {
    "ordinary": "demand_mw",
    "grey": "grey_mining_mw",
    "licensed": "licensed_mining_mw",
    "limited": "limited_mw",
    "curtailed": "curtailed_mw",
    "shed": "shed_mw",
    "generation": "generation_mw",
    "imports": "imports_mw",
}
#: Name of the sum over all zones in the time series and in :meth:`RunData.loads`.
NATIONAL = "national"
#: Time series that flags the steps with firm load shed (its mean: the loss-of-load probability).
LOSS_OF_LOAD = "loss_of_load"
#: Environment variable naming the folder of scenario files (see :func:`scenario_file`).
SCENARIOS_ENV = "GRIDSHED_SCENARIOS"


@dataclass
class RunData:
    """The tidy tables of one run and its scenario."""

    scenario: Scenario
    """The resolved scenario (orders, campaign, target: for dates)."""
    summary: dict[str, Any]
    """``summary.json``: estimates with intervals, by zone, the target check."""
    timeseries: pd.DataFrame
    replications: pd.DataFrame
    events: pd.DataFrame
    facilities: pd.DataFrame
    per_replication: list[dict[str, np.ndarray]] = field(default_factory=list, repr=False)
    """Every replication's time series (zones x steps, MW; relief series: steps),
    in replication order; empty unless the ensemble ran with ``keep_timeseries``."""
    series_file: Path | None = None
    """``replication_timeseries.parquet`` of a run folder (``--keep-timeseries``):
    the same series, read from disk a variable at a time when asked for."""

    @classmethod
    def from_result(cls, result: EnsembleResult) -> RunData:
        """From an in-memory ensemble (with its replications' time series if it
        ran with ``keep_timeseries=True``)."""
        return cls(
            result.scenario,
            result.summary(),
            result.timeseries(),
            result.replications,
            result.events,
            result.facilities,
            list(result.series),
            result.series_file,
        )

    @classmethod
    def load(cls, folder: str | Path) -> RunData:
        """From a run folder written by ``gridshed run``.

        Raises :class:`ScenarioError` if ``folder`` is not a run folder, a file of
        it is damaged or its resolved scenario does not validate.
        """
        from sim.experiments.seriesfile import FILE
        from sim.report.readback import read_resolved, read_summary, read_table

        folder = Path(folder)
        check_run_folder(folder)
        series = folder / FILE
        return cls(
            read_resolved(folder / RESOLVED),
            read_summary(folder / "summary.json"),
            *(read_table(folder / f"{name}.parquet") for name in TABLES),
            series_file=series if series.is_file() else None,
        )

    @property
    def name(self) -> str:
        """The scenario's name."""
        return self.scenario.name

    @property
    def zones(self) -> tuple[str, ...]:
        """Names of the zones, in scenario order."""
        return tuple(self.scenario.zones)

    @property
    def timezone(self) -> str:
        """IANA time zone of the local times."""
        return self.scenario.timezone

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

    def prepare(self) -> None:
        """Find what every figure reads (the means by zone and variable, where
        each series' rows are) now rather than at the first figure: once for
        drawing processes forked after."""
        _ = self._means, self._rows

    @property
    def step_h(self) -> float:
        """Balance step, hours."""
        return float(self.scenario.step_h)

    def series(self, variable: str, zone: str = NATIONAL) -> pd.DataFrame:
        """One variable's mean and bands over time, indexed by local time.

        For a zone variable and ``zone="national"``: the sum of the zones' means
        (column ``mean`` only).
        """
        ts, rows = self.timeseries, self._rows
        if zone == NATIONAL and (NATIONAL, variable) not in rows:
            parts = [pos for (_, v), pos in rows.items() if v == variable]
            sel = ts.iloc[np.concatenate(parts)] if parts else ts.iloc[:0]
            return sel.groupby("time")[["mean"]].sum()
        sel = ts.iloc[rows.get((zone, variable), np.empty(0, dtype=np.intp))]
        return sel.set_index("time")[["mean", "std", "ci95_low", "ci95_high"]]

    @cached_property
    def _rows(self) -> dict[tuple[str, str], np.ndarray]:
        """Positions of the rows of each ``(zone, variable)`` in the time series
        (found once: the figures ask for dozens of series)."""
        return self.timeseries.groupby(["zone", "variable"], sort=False).indices

    def loads(self, zone: str = NATIONAL) -> pd.DataFrame:
        """Mean loads of a zone (or ``national``: all zones) per step, MW.

        Columns: ``ordinary`` (ordinary demand), ``grey`` (grey mining),
        ``licensed`` (licensed mining connected, before orders),
        ``licensed_drawn`` (what licensed miners drew), ``held_back`` (licensed
        load held back by orders and curtailment), ``shed``, ``generation``
        (available capacity), ``imports``.
        """
        if zone != NATIONAL:
            self._zone_index(zone)  # refuse an unknown zone
        m = self._means
        zones = list(self.zones) if zone == NATIONAL else [zone]
        out = pd.DataFrame(
            {k: sum(m[(z, v)] for z in zones) for k, v in LOAD_SERIES.items()},
            index=m.index,
        )
        out["held_back"] = (out.pop("limited") + out.pop("curtailed")).clip(lower=0.0)
        out["held_back"] = np.minimum(out["held_back"], out["licensed"])
        out["licensed_drawn"] = (out["licensed"] - out["held_back"]).clip(lower=0.0)
        return out

    def loss_of_load(self, zone: str = NATIONAL) -> pd.Series:
        """Loss-of-load probability per step: the share of replications in which
        ``zone`` sheds firm load (national: any zone). Without the replications'
        time series the national value is the sum over zones, capped at 1 (exact
        when zones do not shed in the same step, an upper bound otherwise)."""
        reps = self.replication_series(LOSS_OF_LOAD, zone)
        if reps is not None:
            return pd.Series(reps.mean(axis=0), index=self.index, name=LOSS_OF_LOAD)
        zones = list(self.zones) if zone == NATIONAL else [zone]
        total = sum(self._means[(z, LOSS_OF_LOAD)] for z in zones)
        return total.clip(upper=1.0).rename(LOSS_OF_LOAD)

    @property
    def has_replication_series(self) -> bool:
        """Whether every replication's time series is at hand (``keep_timeseries``)."""
        return len(self.per_replication) > 0 or self.series_file is not None

    def replication_series(self, variable: str, zone: str = NATIONAL) -> np.ndarray | None:
        """One variable per replication and step, ``(replications, steps)``, or
        None without the replications' time series. ``national``: the sum over
        zones (for ``loss_of_load``: whether any zone sheds)."""
        if not self.per_replication:
            return self._file_series(variable, zone) if self.series_file is not None else None
        first = self.per_replication[0][variable]
        if first.ndim == 1:
            return np.stack([s[variable] for s in self.per_replication])
        if zone != NATIONAL:
            z = self._zone_index(zone)
            return np.stack([s[variable][z] for s in self.per_replication])
        if variable == LOSS_OF_LOAD:
            return np.stack([s[variable].max(axis=0) for s in self.per_replication])
        return np.stack([s[variable].sum(axis=0) for s in self.per_replication])

    def _file_series(self, variable: str, zone: str) -> np.ndarray:
        from sim.report.seriesread import ReplicationSeries

        reps = ReplicationSeries(len(self.index), file=self.series_file)
        if variable in reps.names:  # a national series
            return reps.column(variable)
        if zone != NATIONAL:
            self._zone_index(zone)
            return reps.column(f"{variable}.{zone}")
        total = reps.column(f"{variable}.{self.zones[0]}")
        for z in self.zones[1:]:
            col = reps.column(f"{variable}.{z}")
            total = np.maximum(total, col) if variable == LOSS_OF_LOAD else total + col
        return total

    def _zone_index(self, zone: str) -> int:
        if zone not in self.zones:
            raise ValueError(f"unknown zone {zone!r}; zones: {', '.join(self.zones)}")
        return self.zones.index(zone)

    def months(self) -> pd.Index:
        """The month of every step (first day of the month, local time, no zone)."""
        return pd.Index(self.index.tz_localize(None).to_period("M").to_timestamp(), name="month")

    def eue_by_month(self) -> pd.DataFrame:
        """Expected unserved energy (MWh) by month (rows) and zone (columns): the
        ensemble mean of shed energy in each month, exact from the mean series
        (the months add up to the mean EUE)."""
        shed = pd.DataFrame({z: self._means[(z, "shed_mw")] for z in self.zones}, index=self.index)
        return (shed * self.step_h).groupby(self.months().to_numpy()).sum().rename_axis("month")

    def eue_by_month_per_replication(self, zone: str = NATIONAL) -> pd.DataFrame | None:
        """Unserved energy (MWh) per replication (rows) and month (columns), or
        None without the replications' time series."""
        shed = self.replication_series("shed_mw", zone)
        if shed is None:
            return None
        frame = pd.DataFrame(shed.T * self.step_h, index=self.months().to_numpy())
        out = frame.groupby(level=0).sum().T
        out.columns.name = "month"
        return out.rename_axis("replication")

    def local(self, when: Any) -> pd.Timestamp:
        """A time as a local, time-zone-aware timestamp (naive times are local)."""
        ts = pd.Timestamp(when)
        return ts.tz_localize(self.timezone) if ts.tzinfo is None else ts.tz_convert(self.timezone)

    def milestones(self) -> list[tuple[pd.Timestamp, str]]:
        """Dates worth marking, from the scenario: orders, campaign start, target date."""
        sc = self.scenario
        out = [(self.local(order.start), _order_label(self, order)) for order in sc.operator.orders]
        start = scripted_start(sc)  # the window's start, or its trigger's signal plus delay
        if start is not None:
            begin = self.local(start)
            out.append((begin, f"inspection campaign starts, {begin:%-d %b %Y}"))
        if sc.target is not None:
            by = self.local(sc.target.by)
            out.append((by, f"target date, {by:%-d %b %Y} ({sc.target.relief_mw:.0f} MW)"))
        first, last = self.index[0], self.index[-1]
        return sorted(((t, s) for t, s in out if first <= t <= last), key=lambda x: x[0])

    @property
    def target(self) -> dict[str, Any] | None:
        """The target check as in ``summary.json`` (``relief_mw``, ``tolerance_mw``,
        ``by`` as ISO text, ``probability_within``, ``verdict``), or none.

        Figures take the band and date from ``scenario.target``.
        """
        t = self.summary.get("target")
        if not t and self.scenario.target is not None:
            t = self.scenario.target.model_dump(mode="json")
        return dict(t) if t else None

    def estimate(self, metric: str, zone: str | None = None) -> tuple[float, float, float]:
        """Mean and 95 % interval of a summary metric (``nan`` where unknown)."""
        e = self.summary.get("by_zone", {}).get(zone, {}).get(metric) if zone else self.summary.get(metric)
        if not e:
            return (math.nan, math.nan, math.nan)
        return tuple(num(e.get(k)) for k in ("mean", "ci95_low", "ci95_high"))  # type: ignore[return-value]


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


def scenario_file(name: str = "kazakhstan_2021_22.yaml") -> Path:
    """A scenario file shipped with gridshed, for notebooks and scripts that may
    run from any folder: ``name`` in the folder named by the environment variable
    ``GRIDSHED_SCENARIOS``, else in ``scenarios/`` of the source tree the
    package is installed from (an editable install, ``make run``).

    Raises :class:`ScenarioError` if there is no such file.
    """
    folder = os.environ.get(SCENARIOS_ENV)
    base = Path(folder) if folder else Path(__file__).resolve().parents[2] / "scenarios"
    path = base / name
    if not path.is_file():
        raise ScenarioError(
            Problem(
                f"no scenario file {name!r} in {base}: set {SCENARIOS_ENV} to the folder of the "
                "scenarios, or give the scenario's path",
                path,
            )
        )
    return path


def num(x: Any) -> float:
    """A JSON number, ``nan`` for null."""
    return math.nan if x is None else float(x)


def _order_label(run: RunData, order: Order) -> str:
    start = run.local(order.start)
    text = f"{order.name}, {start:%-d %b %Y}"
    if order.end is not None:
        last = run.local(order.end) - pd.Timedelta(seconds=1)  # end is exclusive
        text = f"{order.name}, {start:%-d %b} - {last:%-d %b %Y}"
    return text
