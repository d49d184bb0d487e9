"""Many replications: seeds, executors, aggregation as results arrive, intervals.

Replications are cut into chunks of :data:`CHUNK` in replication order, whatever
the number of workers; each chunk is reduced to per-replication summary rows
and running moments of the time series, and chunks are merged in their order.
So the same scenario and seed give bit-identical results serially, with any
number of local processes, or on a Dask cluster, and memory does not grow with
the number of replications (unless ``keep_timeseries``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.dispatch.runs import Steps
from sim.experiments.adequacy_batch import run_batch
from sim.experiments.moments import RunMoments, run_moments
from sim.experiments.precision import Precision
from sim.experiments.result import EnsembleResult, metric_estimate
from sim.experiments.seriesfile import SeriesWriter
from sim.experiments.workers import CLOSE_TIMEOUT_S, dask_client, default_workers, stop_pool, worker_init
from sim.model.operator import run_replication
from sim.model.replication import Static, prepare
from sim.results.metrics import LINK_SERIES, RELIEF_SERIES, ZONE_SERIES, ReplicationResult, evaluate
from sim.results.stats import Moments, Sums, estimate, wilson  # noqa: F401  (wilson: until compare moves)
from sim.scenario.schema import Scenario

#: Replications per task; fixed so results do not depend on the worker count.
CHUNK = 25
#: Replications whose events and facilities are kept in full.
KEEP_RECORDS = 5
#: Series whose moments over replications are kept, per step.
SERIES = (*ZONE_SERIES, *RELIEF_SERIES, *LINK_SERIES)


@dataclass
class Chunk:
    """What one task returns."""

    index: int
    rows: list[dict[str, float]]
    moments: dict[str, RunMoments]
    events: list[pd.DataFrame]
    facilities: list[pd.DataFrame]
    series: list[dict[str, np.ndarray]]
    sim_events: int


def run_chunk(static: Static, index: int, start: int, stop: int, keep_series: bool = False) -> Chunk:
    """Run replications ``start .. stop - 1`` and reduce them."""
    rows, events, facilities, kept = [], [], [], []
    runs: dict[str, list[Steps]] = {name: [] for name in SERIES}
    sim_events = 0
    batch = None if keep_series else run_batch(static, start, stop, KEEP_RECORDS)
    if batch is not None:  # an adequacy case, all at once: the same numbers
        rows, events, facilities, sim_events = batch.rows, batch.events, batch.facilities, batch.sim_events
    for rep in range(start, stop) if batch is None else ():
        res = replicate(static, rep, keep_records=rep < KEEP_RECORDS)
        rows.append({"replication": rep, **res.summary})
        for series in (res.zone_series, res.relief_series, res.link_series):
            for name, steps in series.runs.items():
                runs[name].append(steps)
        if res.events is not None:
            events.append(res.events)
            facilities.append(res.facilities)
        if keep_series:
            kept.append({**res.zone_series, **res.relief_series, **res.link_series})
        sim_events += res.sim_events
    if batch is None:
        moments = {name: run_moments(runs[name]) for name in SERIES}
    else:
        moments = {name: RunMoments(*batch.moments[name], static.clock.n_steps) for name in SERIES}
    return Chunk(index, rows, moments, events, facilities, kept, sim_events)


#: The prepared scenario of a local worker process, given once when it starts
#: (inherited through fork) rather than pickled with every chunk.
_WORKER_STATIC: list[Static] = []


def _start_worker(static: Static) -> None:
    worker_init()
    _WORKER_STATIC[:] = [static]


def _run_worker_chunk(index: int, start: int, stop: int, keep_series: bool) -> Chunk:
    return run_chunk(_WORKER_STATIC[0], index, start, stop, keep_series)


def replicate(static: Static, replication: int, keep_records: bool = False) -> ReplicationResult:
    """Simulate and evaluate one replication (with its grid signals: the rule's or the scripted ones)."""
    return evaluate(static, run_replication(static, replication), keep_records=keep_records)


def chunks(start: int, stop: int) -> Iterator[tuple[int, int, int]]:
    """``(index, first, stop)`` of the fixed-size chunks covering ``[start, stop)``."""
    first = start - start % CHUNK
    for a in range(first, stop, CHUNK):
        yield a // CHUNK, max(a, start), min(a + CHUNK, stop)


Progress = Callable[[int], None]


def _progress(total: int, enabled: bool | Progress | None) -> tuple[Progress, Callable[[], None]]:
    if callable(enabled):  # the caller's own bar (the command line's, over the whole command)
        return enabled, (lambda: None)
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
    progress: bool | Progress | None = None,
    keep_timeseries: bool = False,
    precision_mw: float | None = None,
    precision: Sequence[Precision] = (),
    max_replications: int = 100_000,
    static: Static | None = None,
    series_to: str | Path | None = None,
) -> EnsembleResult:
    """Run the scenario's replications and aggregate them.

    ``executor``: ``process`` (local processes, ``workers`` of them, default all
    cores; 1 runs in this process) or ``dask`` (a ``dask.distributed`` cluster
    at ``scheduler``, or a new local one). ``progress``: a bar (True), none
    (False), one if standard error is a terminal (None), or a function called
    with the number of replications each time some finish. ``precision``: keep
    adding replications, doubling up to a chunk boundary, up to
    ``max_replications``, until every target is met (:class:`Precision`: the 95 %
    interval's half-width of a metric, absolute or relative to its mean);
    ``precision_mw`` is ``Precision("relief_mw", precision_mw)``. ``series_to``:
    write every replication's time series to this Parquet file as the chunks are
    merged (one row group per chunk, :mod:`sim.experiments.seriesfile`) instead
    of keeping them in memory.
    """
    started = datetime.now(UTC)
    targets = list(precision)
    if precision_mw is not None:
        targets.append(Precision("relief_mw", precision_mw))
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
    writer = SeriesWriter(Path(series_to), static) if series_to is not None else None
    runner = _Runner(static, workers, executor, scheduler, keep_timeseries, writer)
    try:
        total = sc.replications
        update, close = _progress(total, progress)
        merged = runner.run(0, total, update)
        if targets:
            while total < max_replications:
                if all(_met(t, merged.rows, sc.seed) for t in targets):
                    break
                # Double, ending on a chunk boundary so chunks line up with a fixed run.
                stop = -(-(2 * total) // CHUNK) * CHUNK
                more = min(stop - total, max_replications - total)
                merged.add(runner.run(total, total + more, update))
                total += more
        close()
    except BaseException:  # an error or an interrupt: stop the workers now
        runner.abort()
        raise
    finally:
        runner.shutdown()
        if writer is not None:
            writer.close()
    kind = "dask" if runner.kind == "dask" else "process"  # 1 worker: "process", in this one
    info = {"started": started.isoformat(), "ended": datetime.now(UTC).isoformat()}
    info.update(executor=kind, workers=workers, scheduler=scheduler)
    return EnsembleResult(
        scenario=sc.model_copy(update={"replications": total}),
        static=static,
        replications=pd.DataFrame(merged.rows),
        moments={n: merged.moments[n].expand() if n in merged.moments else Moments() for n in SERIES},
        events=pd.concat(merged.events, ignore_index=True) if merged.events else pd.DataFrame(),
        facilities=pd.concat(merged.facilities, ignore_index=True) if merged.facilities else pd.DataFrame(),
        sim_events=merged.sim_events,
        series=merged.series,
        series_file=writer.path if writer is not None and writer.rows else None,
        info=info,
    )


def _met(target: Precision, rows: list[dict[str, float]], seed: int) -> bool:
    """Whether ``target`` is met by the replications ``rows`` so far."""
    values = [r[target.metric] for r in rows]
    return target.met(metric_estimate(values, target.metric, seed))


@dataclass
class _Merged:
    rows: list[dict[str, float]] = field(default_factory=list)
    moments: dict[str, RunMoments] = field(default_factory=dict)
    events: list[pd.DataFrame] = field(default_factory=list)
    facilities: list[pd.DataFrame] = field(default_factory=list)
    series: list[dict[str, np.ndarray]] = field(default_factory=list)
    sim_events: int = 0

    def add(self, c: Chunk | _Merged) -> None:
        """Append a chunk, or another merged run that follows this one."""
        self.rows += c.rows
        for name, m in c.moments.items():
            self.moments[name] = self.moments[name].merge(m) if name in self.moments else m
        self.events += c.events
        self.facilities += c.facilities
        self.series += c.series
        self.sim_events += c.sim_events


class _Runner:
    """Runs chunks serially, in local processes or on Dask; merges them in order."""

    def __init__(
        self,
        static: Static,
        workers: int,
        executor: str,
        scheduler: str | None,
        keep: bool,
        writer: SeriesWriter | None = None,
    ) -> None:
        self.static, self.workers, self.writer, self.keep = static, workers, writer, keep or bool(writer)
        self.kind = "dask" if (executor == "dask" or scheduler) else ("serial" if workers == 1 else "process")
        self.pool: ProcessPoolExecutor | None = None
        self.client = None
        self.cluster = None
        if self.kind == "process":
            self.pool = ProcessPoolExecutor(workers, initializer=_start_worker, initargs=(static,))
        elif self.kind == "dask":
            self.client, self.cluster = dask_client(scheduler, workers)
            try:
                self.remote_static = self.client.scatter(static, broadcast=True)
            except BaseException:
                self.abort()
                raise

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
                done = pending.pop(plan[want][0])
                if self.writer is not None:  # on disk in order, not in memory
                    self.writer.write(plan[want][1], done.series)
                    done.series = []
                merged.add(done)
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
                self.pool.submit(_run_worker_chunk, i, a, b, self.keep) for i, a, b in islice(todo, window)
            }
            while running:
                done, running = wait(running, return_when=FIRST_COMPLETED)
                for fut in done:
                    take(fut.result())
                for i, a, b in islice(todo, len(done)):
                    running.add(self.pool.submit(_run_worker_chunk, i, a, b, self.keep))
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

    def abort(self) -> None:
        """Stop at once: cancel what is queued and end the worker processes."""
        if self.pool is not None:
            pool, self.pool = self.pool, None
            stop_pool(pool)
        self.shutdown()

    def shutdown(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
        if self.client is not None:
            client, self.client = self.client, None
            client.close(timeout=CLOSE_TIMEOUT_S)
        if self.cluster is not None:
            cluster, self.cluster = self.cluster, None
            cluster.close(timeout=CLOSE_TIMEOUT_S)
