"""What the figures read: the tidy tables of one run and its scenario.

A :class:`RunData` comes from an ensemble in memory (:meth:`RunData.from_result`)
or from a run folder written by ``gridshed run`` (:meth:`RunData.load`). Its
scenario is the frozen :class:`~sim.scenario.schema.Scenario`: dates of orders,
of the inspection campaign and of the relief target are read from it. Times are
local (the scenario's time zone); loads are in MW.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
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
#: Files that make a folder a run folder (written by :mod:`sim.report.runfolder`).
RUN_FILES = (RESOLVED, "summary.json", "timeseries.parquet", "replications.parquet")
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

    @classmethod
    def from_result(cls, result: EnsembleResult) -> RunData:
        """From an in-memory ensemble."""
        return cls(
            result.scenario,
            result.summary(),
            result.timeseries(),
            result.replications,
            result.events,
            result.facilities,
        )

    @classmethod
    def load(cls, folder: str | Path) -> RunData:
        """From a run folder written by ``gridshed run``.

        Raises :class:`ScenarioError` if ``folder`` is not a run folder or its
        resolved scenario does not validate.
        """
        import yaml
        from pydantic import ValidationError

        folder = Path(folder)
        check_run_folder(folder)
        resolved = folder / RESOLVED
        try:
            scenario = Scenario.model_validate(yaml.safe_load(resolved.read_text(encoding="utf-8")))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(map(str, first["loc"]))
            raise ScenarioError(
                Problem(f"not a resolved scenario of this version: {where}: {first['msg']}", resolved)
            ) from None

        def table(name: str) -> pd.DataFrame:
            path = folder / f"{name}.parquet"
            return pd.read_parquet(path) if path.exists() else pd.DataFrame()

        return cls(
            scenario,
            json.loads((folder / "summary.json").read_text(encoding="utf-8")),
            table("timeseries"),
            table("replications"),
            table("events"),
            table("facilities"),
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

    @property
    def step_h(self) -> float:
        """Balance step, hours."""
        return float(self.scenario.step_h)

    def series(self, variable: str, zone: str = NATIONAL) -> pd.DataFrame:
        """One variable's mean and bands over time, indexed by local time.

        For a zone variable and ``zone="national"``: the sum of the zones' means
        (column ``mean`` only).
        """
        ts = self.timeseries
        if zone == NATIONAL and variable not in ts.loc[ts.zone == NATIONAL, "variable"].unique():
            sel = ts[ts.variable == variable]
            return sel.groupby("time")[["mean"]].sum()
        sel = ts[(ts.variable == variable) & (ts.zone == zone)]
        return sel.set_index("time")[["mean", "std", "ci95_low", "ci95_high"]]

    def loads(self, zone: str = NATIONAL) -> pd.DataFrame:
        """Mean loads of a zone (or ``national``: all zones) per step, MW.

        Columns: ``ordinary`` (ordinary demand), ``grey`` (grey mining),
        ``licensed`` (licensed mining connected, before orders),
        ``licensed_drawn`` (what licensed miners drew), ``held_back`` (licensed
        load held back by orders and curtailment), ``shed``, ``generation``
        (available capacity), ``imports``.
        """
        m = self._means
        zones = list(self.zones) if zone == NATIONAL else [zone]
        if zone != NATIONAL and zone not in self.zones:
            raise ValueError(f"unknown zone {zone!r}; zones: {', '.join(self.zones)}")
        out = pd.DataFrame(
            {k: sum(m[(z, v)] for z in zones) for k, v in LOAD_SERIES.items()},
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
