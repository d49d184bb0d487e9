"""Parameter sweeps: every combination of ``--set`` values, with common random numbers.

Every variant runs with the same root seed and replications (unless the sweep
varies them), so replication ``i`` of each sees the same random streams: the
differences between variants are the effect of the swept keys alone. The
result is one long table (a row per variant); :mod:`sim.report.sweep_folder`
writes it and :mod:`sim.report.figures.heatmap` draws it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.experiments.compare import summary_row, target_of, timed_run
from sim.experiments.variants import load_variants, typed_values
from sim.scenario.schema import Scenario
from sim.vocab import DIFFERENCES

#: Metrics a sweep heatmap can show: the two target probabilities (they need
#: the scenario's target), then the metrics compared between scenarios.
SWEEP_METRICS = ("probability_within", "probability_reached", *DIFFERENCES)


@dataclass
class Sweep:
    """Every combination of the swept values, run with common random numbers."""

    scenario: str
    """Name of the swept scenario."""
    grid: dict[str, list[str]]
    """Values of each key as given."""
    table: pd.DataFrame
    """One row per variant: ``variant``, one column per key, then :func:`summary_row`."""
    replications_table: pd.DataFrame
    """Every variant's replications, with the key columns."""
    seed: int | None
    """The root seed of every variant (None if the sweep varies it)."""
    replications: int | None
    """Replications of every variant (None if the sweep varies them)."""
    target: dict[str, Any] | None
    """The scenario's target: ``relief_mw, tolerance_mw`` (MW) and ``by`` (a date)."""
    elapsed_s: float = 0.0
    """Wall-clock seconds of the whole sweep."""

    @property
    def axes(self) -> list[str]:
        """Keys with more than one value (the heatmap's axes and facets)."""
        return [k for k, v in self.grid.items() if len(v) > 1]


def sweep(
    path: str | Path, grid: Mapping[str, Sequence[str]], overrides: Sequence[str] = (), **run: Any
) -> Sweep:
    """Run every combination of ``grid`` (``{KEY: [V1, V2, ...]}``, values as YAML)
    on the scenario file ``path`` with common random numbers (the same seed and
    replications for all: by default the scenario's). ``overrides`` are fixed
    ``KEY=VALUE`` settings applied to every variant. Every variant is validated
    before the first one runs (:func:`load_variants`). ``run``: the keyword
    arguments of :func:`run_variants` (``replications``, ``workers``, ``seed``,
    ``executor``, ``progress``, ``report``)."""
    base, variants = load_variants(path, grid, overrides)
    return run_variants(base, variants, **run)


def run_variants(
    base: Scenario,
    variants: Sequence[tuple[Mapping[str, str], Scenario]],
    replications: int | None = None,
    workers: int | None = None,
    seed: int | None = None,
    executor: str = "process",
    progress: bool | None = False,
    report: Callable[[str], None] | None = None,
) -> Sweep:
    """Run loaded variants (from :func:`load_variants`) with one seed and one
    number of replications: by default each variant's own, which are the same
    for all (common random numbers) unless ``seed`` or ``replications`` is swept."""
    seeds = [sc.seed if seed is None else seed for _, sc in variants]
    reps_n = [sc.replications if replications is None else replications for _, sc in variants]
    keys = list(variants[0][0]) if variants else []
    grid: dict[str, list[str]] = {k: list(dict.fromkeys(a[k] for a, _ in variants)) for k in keys}
    typed = {k: dict(zip(v, typed_values(v), strict=True)) for k, v in grid.items()}
    rows, reps = [], []
    t_all = time.perf_counter()
    for i, (assign, sc) in enumerate(variants):
        res, seconds = timed_run(sc, reps_n[i], seeds[i], workers, executor, progress)
        values = {k: typed[k][v] for k, v in assign.items()}
        rows.append({"variant": i, **values, **summary_row(res)})
        df = res.replications.copy()
        for j, (k, v) in enumerate(values.items()):
            df.insert(j, k, v)
        df.insert(0, "variant", i)
        reps.append(df)
        if report:
            label = " ".join(f"{k}={v}" for k, v in assign.items())
            report(f"[{i + 1}/{len(variants)}] {label}: {seconds:.1f} s")
    return Sweep(
        scenario=base.name,
        grid=grid,
        table=pd.DataFrame(rows),
        replications_table=pd.concat(reps, ignore_index=True) if reps else pd.DataFrame(),
        seed=seeds[0] if len(set(seeds)) == 1 else None,
        replications=reps_n[0] if len(set(reps_n)) == 1 else None,
        target=target_of(base),
        elapsed_s=time.perf_counter() - t_all,
    )
