"""Figures from a run, in memory or from a run folder (Agg-safe, matplotlib only).

Every function takes a :class:`RunData` and returns a :class:`matplotlib.figure.Figure`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from sim.ensemble import EnsembleResult


@dataclass
class RunData:
    """What the figures need: the tidy tables of one run."""

    name: str
    zones: tuple[str, ...]
    timezone: str
    summary: dict[str, Any]
    timeseries: pd.DataFrame
    replications: pd.DataFrame
    events: pd.DataFrame
    facilities: pd.DataFrame

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
        )

    @classmethod
    def load(cls, folder: str | Path) -> RunData:
        """From a run folder written by ``gridshed run``."""
        import yaml

        folder = Path(folder)
        sc = yaml.safe_load((folder / "scenario.resolved.yaml").read_text(encoding="utf-8"))
        return cls(
            sc["name"],
            tuple(sc["zones"]),
            sc["timezone"],
            json.loads((folder / "summary.json").read_text(encoding="utf-8")),
            pd.read_parquet(folder / "timeseries.parquet"),
            pd.read_parquet(folder / "replications.parquet"),
            pd.read_parquet(folder / "events.parquet"),
            pd.read_parquet(folder / "facilities.parquet"),
        )

    def series(self, variable: str, zone: str = "national") -> pd.DataFrame:
        """One variable's mean and bands over time, indexed by local time."""
        ts = self.timeseries
        if zone == "national" and variable not in set(ts.loc[ts.zone == "national", "variable"]):
            sel = ts[ts.variable == variable]
            df = sel.groupby("time")[["mean"]].sum()
            return df
        sel = ts[(ts.variable == variable) & (ts.zone == zone)]
        return sel.set_index("time")[["mean", "std", "ci95_low", "ci95_high"]]


def relief_over_time(run: RunData) -> Figure:
    """Relief (MW) over time with its 95 % band, against the target and its date."""
    fig = Figure(figsize=(9, 4.5))
    ax = fig.subplots()
    s = run.series("relief_mw")
    ax.plot(s.index, s["mean"], color="C0", label="relief, ensemble mean")
    ax.fill_between(
        s.index,
        s["mean"] - 1.96 * s["std"],
        s["mean"] + 1.96 * s["std"],
        color="C0",
        alpha=0.2,
        label="95 % of replications",
    )
    t = run.summary.get("target")
    if t:
        ax.axhspan(
            t["relief_mw"] - t["tolerance_mw"],
            t["relief_mw"] + t["tolerance_mw"],
            color="C2",
            alpha=0.15,
            label=f"target {t['relief_mw']:.0f} +- {t['tolerance_mw']:.0f} MW",
        )
        ax.axvline(
            pd.Timestamp(t["by"]).tz_localize(run.timezone),
            color="C2",
            ls="--",
            label=f"target date {t['by'][:10]}",
        )
    ax.set_title(f"{run.name}: relief from closures and limits on miners")
    ax.set_ylabel("relief (MW)")
    ax.set_xlabel(f"local time ({run.timezone})")
    ax.legend(loc="upper left", fontsize="small")
    fig.autofmt_xdate()
    return fig


FIGURES = {"relief": relief_over_time}


def write_figures(run: RunData, folder: Path) -> list[Path]:
    """Write the main figures as PNG into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, make in FIGURES.items():
        fig = make(run)
        path = folder / f"{name}.png"
        fig.savefig(path, dpi=110, bbox_inches="tight")
        paths.append(path)
    return paths
