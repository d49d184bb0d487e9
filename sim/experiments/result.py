"""What an ensemble produced: tidy frames, running moments and the summary."""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from sim.model.replication import Static
from sim.results.metrics import LINK_METRICS, LINK_SERIES, RELIEF_SERIES, ZONE_SERIES
from sim.results.orders import orders_block
from sim.results.relief import summary_blocks
from sim.results.stats import Estimate, Moments, estimate, t_quantile, verdict, wilson
from sim.scenario.schema import Scenario
from sim.vocab import DATED, METRICS, ZONE_METRICS
from sim.vocab import metric as metric_info

#: Columns of the replications table not summarised by a mean and interval.
SKIP = frozenset({"replication", *DATED})


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
    series_file: Path | None = None
    """The Parquet file of every replication's time series, when the ensemble
    wrote them there (``series_to``, :mod:`sim.experiments.seriesfile`)."""
    info: dict[str, Any] = field(default_factory=dict)
    """How the ensemble ran: ``started``, ``ended`` (UTC, ISO), ``executor``, ``workers``."""
    _timeseries: pd.DataFrame | None = field(default=None, init=False, repr=False, compare=False)
    _estimates: dict[tuple[str, bytes], Estimate] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    """Estimates made, by metric and the values they were made from (the
    bootstrap is the summary's main cost; the run prints and writes it)."""

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
        values = np.asarray(self.replications[metric].to_numpy(), dtype=float)
        key = (metric, values.tobytes())
        if key not in self._estimates:
            self._estimates[key] = metric_estimate(values, metric, self.scenario.seed)
        return self._estimates[key]

    def _prefetch(self, metrics: list[str]) -> None:
        """Estimate ``metrics`` on two threads (numpy's bootstrap draws and means
        release the interpreter lock): the same estimates, sooner."""
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(2) as pool:
            list(pool.map(self.estimate, metrics))

    def summary(self) -> dict[str, Any]:
        """Headline metrics with intervals, the target check and by-zone losses."""
        sc = self.scenario
        out: dict[str, Any] = {"scenario": sc.name, "seed": sc.seed, "replications": self.n}
        cols = [c for c in self.replications.columns if c not in SKIP and "." not in c]
        self._prefetch([c for c in self.replications.columns if c not in SKIP and c != "within_target"])
        for c in cols:
            if c != "within_target":
                out[c] = self.estimate(c).as_dict()
        out["orders"] = orders_block(sc, self.replications)
        out["by_zone"] = {z: {m: self.estimate(f"{m}.{z}").as_dict() for m in ZONE_METRICS} for z in sc.zones}
        names = self.static.outside.names
        out["by_link"] = {k: {m: self.estimate(f"{m}.{k}").as_dict() for m in LINK_METRICS} for k in names}
        if sc.target is not None:
            t = sc.target
            hits = float(self.replications["within_target"].sum())
            lo, hi = wilson(hits, self.n)
            rel = self.estimate("relief_mw")
            out["target"] = {
                "relief_mw": t.relief_mw,
                "tolerance_mw": t.tolerance_mw,
                "by": _local(t.by, sc.timezone).isoformat(),
                "probability_within": {"mean": hits / self.n, "ci95_low": lo, "ci95_high": hi},
                "verdict": verdict(rel, t.relief_mw, t.tolerance_mw),
                "definition": t.definition,
            }
            out.update(summary_blocks(t, lambda m: self.estimate(m).as_dict()))
        if "enough" in self.replications:
            out["enough"] = self.enough()
        return out

    def enough(self, needed: EnsembleResult | None = None) -> dict[str, Any]:
        """Was the relief enough? The probability that no firm load is shed from
        the campaign's start on (Wilson 95 % interval), the deepest shortfall then
        with the crackdown, and the relief obtained (the verdict's). ``needed``:
        the same scenario without the crackdown, run with common random numbers,
        whose deepest shortfall after the campaign's start (nationally and by
        zone) is the relief that was needed; without it those are null."""
        hits = float(self.replications["enough"].sum())
        lo, hi = wilson(hits, self.n)
        zones = self.scenario.zones

        def deepest(r: EnsembleResult) -> dict[str, Any]:
            return {
                "national": r.estimate("shortfall_after_campaign_mw").as_dict(),
                **{z: r.estimate(f"shortfall_after_campaign_mw.{z}").as_dict() for z in zones},
            }

        return {
            "after": "campaign start",
            "probability": {"mean": hits / self.n, "ci95_low": lo, "ci95_high": hi},
            "shortfall_mw": deepest(self),
            "relief_needed_mw": deepest(needed) if needed is not None else None,
            "relief_obtained_mw": self.estimate("relief_mw").as_dict()
            if "relief_mw" in self.replications
            else None,
        }

    def timeseries(self) -> pd.DataFrame:
        """Per step and zone (``national`` for sums), the ensemble mean and bands.

        Columns: ``time, zone, variable, mean, std, ci95_low, ci95_high`` where
        the interval is that of the mean (Student t) and ``std`` the spread
        between replications. Variables are in MW, except ``loss_of_load``,
        whose mean is the probability that the zone sheds load at that step.
        Links are ``national`` variables named ``<series>.<link>``: ``flow_mw``
        for every link, ``imports_mw`` for outside links
        (:data:`sim.results.metrics.LINK_SERIES`). Built once from one
        concatenation of the moments' arrays.
        """
        if self._timeseries is None:
            self._timeseries = self._build_timeseries()
        return self._timeseries.copy(deep=False)

    def _build_timeseries(self) -> pd.DataFrame:
        idx = self.static.clock.index
        n, T = self.n, len(idx)
        # (zone label, variable label, moment, row of the moment or None)
        blocks: list[tuple[str, str, str, int | None]] = [
            (zone, name, name, z) for name in ZONE_SERIES for z, zone in enumerate(self.static.zones)
        ]
        blocks += [("national", name, name, None) for name in RELIEF_SERIES]
        links = [lk.name for lk in self.scenario.links]
        for name in LINK_SERIES:
            var = name.removeprefix("link_")
            names = links if var == "flow_mw" else self.static.outside.names
            blocks += [("national", f"{var}.{link}", name, j) for j, link in enumerate(names)]
        mean = np.concatenate([_row(self.moments[m].mean, z, T) for _, _, m, z in blocks])
        std = np.concatenate([_row(self.moments[m].std, z, T) for _, _, m, z in blocks])
        half = t_quantile(n) * std / math.sqrt(n) if n > 1 else np.full_like(mean, np.nan)
        return pd.DataFrame(
            {
                "time": idx[np.tile(np.arange(T), len(blocks))],
                "zone": _labels([b[0] for b in blocks], T),
                "variable": _labels([b[1] for b in blocks], T),
                "mean": mean,
                "std": std,
                "ci95_low": mean - half,
                "ci95_high": mean + half,
            },
            copy=False,
        )


def _local(when: Any, tz: str) -> pd.Timestamp:
    """A scenario time (naive: local) as a time-zone-aware timestamp in ``tz``."""
    ts = pd.Timestamp(when)
    return ts.tz_localize(tz) if ts.tzinfo is None else ts.tz_convert(tz)


def metric_estimate(values: Any, metric: str, seed: int) -> Estimate:
    """Mean and interval of ``metric`` over replications ``values``, as
    :meth:`EnsembleResult.estimate` gives it for a run with root seed ``seed``."""
    known = metric.split(".", 1)[0] in METRICS
    non_negative = known and metric_info(metric).non_negative
    draws = [seed, zlib.crc32(metric.encode())]
    return estimate(np.asarray(values, dtype=float), non_negative=non_negative, seed=draws)


def _row(a: Any, z: int | None, n: int) -> np.ndarray:
    """One zone's row of a moment (or the national series), as ``n`` floats."""
    return np.broadcast_to(np.asarray(a if z is None else a[z], dtype=float), (n,))


def _labels(values: list[str], n: int) -> pd.Series:
    """Each of ``values`` repeated ``n`` times, as pandas' default string dtype,
    built from Arrow buffers (no Python string per row)."""
    enc = [v.encode() for v in values]
    lengths = np.repeat(np.array([len(b) for b in enc], dtype=np.int64), n)
    offsets = np.zeros(lengths.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    data = b"".join(b * n for b in enc)
    arr = pa.LargeStringArray.from_buffers(lengths.size, pa.py_buffer(offsets), pa.py_buffer(data))
    return pd.Series(pd.array(arr, dtype=pd.StringDtype("pyarrow", np.nan)), copy=False)
