"""Many replications: seeds, executors, aggregation as results arrive, intervals.

Replications are cut into chunks of :data:`CHUNK` in replication order, whatever
the number of workers; each chunk is reduced to per-replication summary rows
and running moments of the time series, and chunks are merged in their order.
So the same scenario and seed give bit-identical results serially, with any
number of local processes, or on a Dask cluster, and memory does not grow with
the number of replications (unless ``keep_timeseries``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments.result import EnsembleResult
from sim.model.openloop import open_loop_signals
from sim.model.replication import Static, prepare, simulate
from sim.results.metrics import RELIEF_SERIES, ZONE_SERIES, ReplicationResult, evaluate
from sim.results.stats import Moments, Sums, estimate, wilson  # noqa: F401  (wilson: until compare moves)
from sim.scenario.schema import Scenario

#: Replications per task; fixed so results do not depend on the worker count.
CHUNK = 25
#: Replications whose events and facilities are kept in full.
KEEP_RECORDS = 5


@dataclass
class Chunk:
    """What one task returns."""

    index: int
    rows: list[dict[str, float]]
    moments: dict[str, Moments]
    events: list[pd.DataFrame]
    facilities: list[pd.DataFrame]
    series: list[dict[str, np.ndarray]]
    sim_events: int


def run_chunk(static: Static, index: int, start: int, stop: int, keep_series: bool = False) -> Chunk:
    """Run replications ``start .. stop - 1`` and reduce them."""
    rows, events, facilities, kept = [], [], [], []
    sums = {name: Sums() for name in (*ZONE_SERIES, *RELIEF_SERIES)}
    sim_events = 0
    for rep in range(start, stop):
        res = replicate(static, rep, keep_records=rep < KEEP_RECORDS)
        rows.append({"replication": rep, **res.summary})
        for name, arr in res.zone_series.items():
            sums[name].add(arr)
        for name, arr in res.relief_series.items():
            sums[name].add(arr)
        if res.events is not None:
            events.append(res.events)
            facilities.append(res.facilities)
        if keep_series:
            kept.append({**res.zone_series, **res.relief_series})
        sim_events += res.sim_events
    moments = {name: acc.moments() for name, acc in sums.items()}
    return Chunk(index, rows, moments, events, facilities, kept, sim_events)


def replicate(static: Static, replication: int, keep_records: bool = False) -> ReplicationResult:
    """Simulate and evaluate one replication (with its open-loop grid signals)."""
    raw = simulate(static, replication, open_loop_signals(static, replication))
    return evaluate(static, raw, keep_records=keep_records)


def chunks(start: int, stop: int) -> Iterator[tuple[int, int, int]]:
    """``(index, first, stop)`` of the fixed-size chunks covering ``[start, stop)``."""
    first = start - start % CHUNK
    for a in range(first, stop, CHUNK):
        yield a // CHUNK, max(a, start), min(a + CHUNK, stop)


def default_workers() -> int:
    """All the cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


Progress = Callable[[int], None]


def _progress(total: int, enabled: bool | None) -> tuple[Progress, Callable[[], None]]:
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return (lambda n: None), (lambda: None)
    from tqdm.auto import tqdm

    bar = tqdm(total=total, unit="rep", desc="replications", leave=False)
    return bar.update, bar.close


def run_ensemble(
    scenario: Scenario,
    replications: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    executor: str = "process",
    scheduler: str | None = None,
    progress: bool | None = None,
    keep_timeseries: bool = False,
    precision_mw: float | None = None,
    max_replications: int = 100_000,
    static: Static | None = None,
) -> EnsembleResult:
    """Run the scenario's replications and aggregate them.

    ``executor``: ``process`` (local processes, ``workers`` of them, default all
    cores; 1 runs in this process) or ``dask`` (a ``dask.distributed`` cluster
    at ``scheduler``, or a new local one). ``precision_mw``: keep adding
    replications, a batch at a time, until the 95 % interval of mean relief is
    at most that wide on each side.
    """
    updates: dict[str, Any] = {}
    if replications is not None:
        updates["replications"] = replications
    if seed is not None:
        updates["seed"] = seed
    sc = scenario.model_copy(update=updates) if updates else scenario
    static = prepare(sc) if static is None else static
    if static.scenario is not sc:
        static = Static(**{**static.__dict__, "scenario": sc})
    workers = default_workers() if workers is None else max(1, workers)
    runner = _Runner(static, workers, executor, scheduler, keep_timeseries)
    try:
        total = sc.replications
        update, close = _progress(total, progress)
        merged = runner.run(0, total, update)
        if precision_mw is not None:
            while total < max_replications:
                rel = estimate(np.array([r["relief_mw"] for r in merged.rows]))
                if rel.n > 1 and (rel.ci95_high - rel.mean) <= precision_mw:
                    break
                # Double, ending on a chunk boundary so chunks line up with a fixed run.
                stop = -(-(2 * total) // CHUNK) * CHUNK
                more = min(stop - total, max_replications - total)
                merged.add(runner.run(total, total + more, update))
                total += more
        close()
    finally:
        runner.shutdown()
    return EnsembleResult(
        scenario=sc.model_copy(update={"replications": total}),
        static=static,
        replications=pd.DataFrame(merged.rows),
        moments=merged.moments,
        events=pd.concat(merged.events, ignore_index=True) if merged.events else pd.DataFrame(),
        facilities=pd.concat(merged.facilities, ignore_index=True) if merged.facilities else pd.DataFrame(),
        sim_events=merged.sim_events,
        series=merged.series,
    )


@dataclass
class _Merged:
    rows: list[dict[str, float]] = field(default_factory=list)
    moments: dict[str, Moments] = field(
        default_factory=lambda: {n: Moments() for n in (*ZONE_SERIES, *RELIEF_SERIES)}
    )
    events: list[pd.DataFrame] = field(default_factory=list)
    facilities: list[pd.DataFrame] = field(default_factory=list)
    series: list[dict[str, np.ndarray]] = field(default_factory=list)
    sim_events: int = 0

    def add(self, c: Chunk | _Merged) -> None:
        """Append a chunk, or another merged run that follows this one."""
        self.rows += c.rows
        for name, m in c.moments.items():
            self.moments[name].merge(m)
        self.events += c.events
        self.facilities += c.facilities
        self.series += c.series
        self.sim_events += c.sim_events


class _Runner:
    """Runs chunks serially, in local processes or on Dask; merges them in order."""

    def __init__(
        self, static: Static, workers: int, executor: str, scheduler: str | None, keep: bool
    ) -> None:
        self.static, self.workers, self.keep = static, workers, keep
        self.kind = "dask" if (executor == "dask" or scheduler) else ("serial" if workers == 1 else "process")
        self.pool: ProcessPoolExecutor | None = None
        self.client = None
        self.cluster = None
        if self.kind == "process":
            self.pool = ProcessPoolExecutor(max_workers=workers)
        elif self.kind == "dask":
            try:
                from dask.distributed import Client, LocalCluster
            except ImportError:
                from sim.errors import Problem, ScenarioError

                raise ScenarioError(
                    Problem(
                        "needs dask.distributed: install it with `pip install -e '.[dask]'` "
                        "(make test installs it too)",
                        "--executor dask",
                    )
                ) from None

            if scheduler:
                self.client = Client(scheduler)
            else:
                self.cluster = LocalCluster(
                    n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
                )
                self.client = Client(self.cluster)
            self.remote_static = self.client.scatter(static, broadcast=True)

    def run(self, start: int, stop: int, update: Progress) -> _Merged:
        merged = _Merged()
        pending: dict[int, Chunk] = {}
        plan = list(chunks(start, stop))
        want = 0

        def take(chunk: Chunk) -> None:
            nonlocal want
            pending[chunk.index] = chunk
            update(len(chunk.rows))
            while want < len(plan) and plan[want][0] in pending:
                merged.add(pending.pop(plan[want][0]))
                want += 1

        if self.kind == "serial":
            for idx, a, b in plan:
                take(run_chunk(self.static, idx, a, b, self.keep))
            return merged
        # At most `window` chunks in flight: finished chunks are merged and
        # dropped at once, so memory does not grow with the replications.
        window = 2 * self.workers
        todo = iter(plan)
        if self.kind == "process":
            from concurrent.futures import FIRST_COMPLETED, wait

            assert self.pool is not None
            running = {
                self.pool.submit(run_chunk, self.static, i, a, b, self.keep)
                for i, a, b in islice(todo, window)
            }
            while running:
                done, running = wait(running, return_when=FIRST_COMPLETED)
                for fut in done:
                    take(fut.result())
                for i, a, b in islice(todo, len(done)):
                    running.add(self.pool.submit(run_chunk, self.static, i, a, b, self.keep))
        else:
            from dask.distributed import as_completed as dask_completed

            def submit(i: int, a: int, b: int) -> Any:
                return self.client.submit(run_chunk, self.remote_static, i, a, b, self.keep, pure=False)

            stream = dask_completed([submit(*job) for job in islice(todo, window)])
            for fut in stream:
                take(fut.result())
                fut.release()
                for job in islice(todo, 1):
                    stream.add(submit(*job))
        return merged

    def shutdown(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()
