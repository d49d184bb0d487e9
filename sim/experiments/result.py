"""What an ensemble produced: tidy frames, running moments and the summary."""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.model.replication import Static
from sim.results.metrics import RELIEF_SERIES, ZONE_SERIES
from sim.results.relief import summary_blocks
from sim.results.stats import Estimate, Moments, estimate, t_quantile, verdict, wilson
from sim.scenario.schema import Scenario
from sim.vocab import METRICS, ZONE_METRICS
from sim.vocab import metric as metric_info


@dataclass
class EnsembleResult:
    """Everything an ensemble produced, as tidy DataFrames and a summary."""

    scenario: Scenario
    static: Static
    replications: pd.DataFrame
    """One row per replication, one column per metric."""
    moments: dict[str, Moments]
    events: pd.DataFrame
    facilities: pd.DataFrame
    sim_events: int
    series: list[dict[str, np.ndarray]] = field(default_factory=list)
    """Full time series per replication, only with ``keep_timeseries``."""

    @property
    def n(self) -> int:
        """Number of replications."""
        return len(self.replications)

    def __repr__(self) -> str:
        sc = self.scenario
        return (
            f"<EnsembleResult {sc.name!r}: {self.n} replications, seed {sc.seed}, "
            f"{len(self.static.zones)} zones x {self.static.clock.n_steps} steps>"
        )

    def estimate(self, metric: str) -> Estimate:
        """Mean and interval of one metric (a bootstrap interval that stays in
        range for metrics that cannot be negative, seeded from the scenario's
        seed and the metric's name so that it repeats)."""
        known = metric.split(".", 1)[0] in METRICS
        non_negative = known and metric_info(metric).non_negative
        seed = [self.scenario.seed, zlib.crc32(metric.encode())]
        return estimate(self.replications[metric].to_numpy(), non_negative=non_negative, seed=seed)

    def summary(self) -> dict[str, Any]:
        """Headline metrics with intervals, the target check and by-zone losses."""
        sc = self.scenario
        out: dict[str, Any] = {"scenario": sc.name, "seed": sc.seed, "replications": self.n}
        cols = [c for c in self.replications.columns if c != "replication" and "." not in c]
        for c in cols:
            if c != "within_target":
                out[c] = self.estimate(c).as_dict()
        out["by_zone"] = {z: {m: self.estimate(f"{m}.{z}").as_dict() for m in ZONE_METRICS} for z in sc.zones}
        if sc.target is not None:
            t = sc.target
            hits = float(self.replications["within_target"].sum())
            lo, hi = wilson(hits, self.n)
            rel = self.estimate("relief_mw")
            out["target"] = {
                "relief_mw": t.relief_mw,
                "tolerance_mw": t.tolerance_mw,
                "by": t.by.isoformat(),
                "probability_within": {"mean": hits / self.n, "ci95_low": lo, "ci95_high": hi},
                "verdict": verdict(rel, t.relief_mw, t.tolerance_mw),
                "definition": t.definition,
            }
            out.update(summary_blocks(t, lambda m: self.estimate(m).as_dict()))
        return out

    def timeseries(self) -> pd.DataFrame:
        """Per step and zone (``national`` for sums), the ensemble mean and bands.

        Columns: ``time, zone, variable, mean, std, ci95_low, ci95_high`` where
        the interval is that of the mean (Student t) and ``std`` the spread
        between replications. Variables are in MW, except ``loss_of_load``,
        whose mean is the probability that the zone sheds load at that step.
        """
        idx = self.static.clock.index
        n = self.n
        tq = t_quantile(n)
        frames = []
        for name in ZONE_SERIES:
            m = self.moments[name]
            for z, zone in enumerate(self.static.zones):
                frames.append(_series_frame(idx, zone, name, m.mean[z], m.std[z], tq, n))
        for name in RELIEF_SERIES:
            m = self.moments[name]
            frames.append(_series_frame(idx, "national", name, m.mean, m.std, tq, n))
        return pd.concat(frames, ignore_index=True)


def _series_frame(idx: pd.DatetimeIndex, zone: str, name: str, mean, std, tq: float, n: int) -> pd.DataFrame:
    half = tq * std / math.sqrt(n) if n > 1 else np.full_like(mean, np.nan)
    return pd.DataFrame(
        {
            "time": idx,
            "zone": zone,
            "variable": name,
            "mean": mean,
            "std": std,
            "ci95_low": mean - half,
            "ci95_high": mean + half,
        }
    )
