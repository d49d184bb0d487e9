"""How big a run of a scenario is, estimated before anything runs.

A valid scenario can still be too big to run: a step of a minute over a winter,
a century of hours, a billion replications, ten million facilities, units that
fail every microsecond. :func:`estimate` sizes a run from the scenario alone
(steps, zones, replications, units, expected facilities and events, memory) in
microseconds, and :meth:`Size.problems` says which of the :data:`LIMITS` it
exceeds; the command line refuses such a run unless ``--allow-large`` is given.

The memory model counts the arrays a run holds (per-replication series, running
moments, the time-series table of the result) with round per-element costs; it
is meant to be right within a factor of about two.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sim.scenario.schema import MiningWave, OutageRate, Scenario
from sim.vocab import LegalStatus

#: Bytes of a float.
F8 = 8
#: Per-zone series a replication keeps, and national ones (sim.results.metrics).
ZONE_SERIES, NATIONAL_SERIES = 10, 5
#: Arrays of zones x steps a worker holds while it simulates one replication
#: (series, balance inputs and intermediates, the shared static arrays).
WORKER_ARRAYS_PER_ZONE = 40
#: Bytes per row of the long time-series table (time, zone, variable, four numbers).
TIMESERIES_ROW_BYTES = 80
#: Bytes of one replication's row of headline metrics (a dict of about 40 floats).
ROW_BYTES = 4096
#: Bytes per facility and per event record in a worker.
FACILITY_BYTES, EVENT_BYTES = 200, 100
#: Events of one facility's life (connection, inspection, closure, reconnection).
EVENTS_PER_FACILITY = 4
#: Memory of the interpreter and libraries in each process.
BASE_BYTES = 250 * 2**20
GB = 2**30


@dataclass(frozen=True)
class Limits:
    """What a run may need without ``--allow-large``."""

    steps: int = 250_000
    """Balance steps (28 years of hourly steps)."""
    work: float = 2e9
    """Steps x zones x replications, over all runs of a command."""
    facilities: float = 1e6
    """Expected mining facilities in one replication."""
    events: float = 1e7
    """Expected events (unit outages, facility changes) in one replication."""
    memory_gb: float = 4.0
    """Estimated peak memory, GB."""
    runs: int = 1000
    """Runs of one command (variants of a sweep, scenarios of a comparison)."""


LIMITS = Limits()


@dataclass(frozen=True)
class Size:
    """The estimated size of a run (or of several, :func:`combine`)."""

    steps: int
    zones: int
    replications: int
    units: int
    facilities: float
    """Expected facilities per replication."""
    events: float
    """Expected events per replication."""
    worker_bytes: float
    """Estimated peak memory of one worker process."""
    main_bytes: float
    """Estimated peak memory of the main process (results), besides its workers."""
    workers: int = 1
    runs: int = 1
    work: float = 0.0
    """Steps x zones x replications (of all runs)."""

    @property
    def memory_bytes(self) -> float:
        """Estimated peak memory of the whole run, all processes."""
        return self.main_bytes + self.workers * self.worker_bytes

    def describe(self) -> str:
        """One line: ``5,088 steps x 3 zones x 100 replications, 270 units, ...``."""
        runs = f"{self.runs:,} runs of up to " if self.runs > 1 else ""
        return (
            f"{runs}{self.steps:,} steps x {self.zones} zones x {self.replications:,} replications, "
            f"{self.units:,} units, about {_round(self.facilities)} facilities and {_round(self.events)} "
            f"events per replication, about {self.memory_bytes / GB:.2g} GB with {self.workers} "
            f"worker{'s' if self.workers > 1 else ''}"
        )

    def problems(self, limits: Limits = LIMITS) -> list[str]:
        """What exceeds ``limits``, one sentence each (empty: the run may go ahead)."""
        out = []
        if self.runs > limits.runs:
            out.append(f"{self.runs:,} runs (limit {limits.runs:,})")
        if self.steps > limits.steps:
            out.append(
                f"{self.steps:,} steps (limit {limits.steps:,}; make step_h longer or the run shorter)"
            )
        if self.work > limits.work:
            out.append(f"{self.work:.3g} steps x zones x replications (limit {limits.work:.3g})")
        if self.facilities > limits.facilities:
            out.append(f"about {_round(self.facilities)} facilities (limit {limits.facilities:.3g})")
        if self.events > limits.events:
            out.append(f"about {_round(self.events)} events per replication (limit {limits.events:.3g})")
        if self.memory_bytes > limits.memory_gb * GB:
            out.append(f"about {self.memory_bytes / GB:.3g} GB of memory (limit {limits.memory_gb:g} GB)")
        return out


def _round(x: float) -> str:
    return f"{x:,.0f}" if x < 1e7 else f"{x:.3g}"


def expected_facilities(sc: Scenario) -> float:
    """Expected mining facilities of one replication (counted at their median size,
    which overstates the count of a right-skewed population a little)."""
    m = sc.mining
    n = 0.0
    for pop in m.populations:
        grey = m.grey_scale if pop.legal_status == LegalStatus.GREY else 1.0
        n += pop.count * grey if pop.count is not None else (pop.total_mw or 0.0) * grey / pop.sizes.median_mw
    n += sum(s.total_mw / s.sizes.median_mw for s in sc.shocks if isinstance(s, MiningWave))
    return n


def expected_unit_events(sc: Scenario) -> float:
    """Expected failures and repairs of all units in one replication (with the largest
    outage-rate factor of any shock applied throughout: an upper bound)."""
    factor = max([1.0, *(s.factor for s in sc.shocks if isinstance(s, OutageRate))])
    total = 0.0
    for f in sc.generation.units:
        if f.mttf != float("inf"):
            total += f.count * (1.0 + 2.0 * sc.horizon_h / (f.mttf / factor + f.mttr_h))
    return total


def estimate(
    sc: Scenario, replications: int | None = None, workers: int = 1, keep_timeseries: bool = False
) -> Size:
    """The size of a run of ``sc`` (``replications`` default: the scenario's)."""
    reps = sc.replications if replications is None else replications
    steps, zones = sc.n_steps, len(sc.zones)
    facilities = expected_facilities(sc)
    events = expected_unit_events(sc) + EVENTS_PER_FACILITY * facilities
    series = steps * (zones * ZONE_SERIES + NATIONAL_SERIES) * F8
    worker = (
        BASE_BYTES
        + steps * (zones * WORKER_ARRAYS_PER_ZONE + 2 * NATIONAL_SERIES) * F8
        + facilities * FACILITY_BYTES
        + events * EVENT_BYTES
    )
    main = (
        BASE_BYTES
        + 3 * series  # running moments
        + steps * (zones + 1) * (ZONE_SERIES + NATIONAL_SERIES) * TIMESERIES_ROW_BYTES
        + reps * ROW_BYTES
        + (reps * series if keep_timeseries else 0)
    )
    units = sum(f.count for f in sc.generation.units)
    return Size(steps, zones, reps, units, facilities, events, worker, main, workers, 1, steps * zones * reps)


def combine(sizes: Iterable[Size]) -> Size:
    """Several runs one after the other: the largest of each per-run figure, the
    total work and the number of runs."""
    sizes = list(sizes)
    return Size(
        steps=max(s.steps for s in sizes),
        zones=max(s.zones for s in sizes),
        replications=max(s.replications for s in sizes),
        units=max(s.units for s in sizes),
        facilities=max(s.facilities for s in sizes),
        events=max(s.events for s in sizes),
        worker_bytes=max(s.worker_bytes for s in sizes),
        main_bytes=max(s.main_bytes for s in sizes),
        workers=max(s.workers for s in sizes),
        runs=sum(s.runs for s in sizes),
        work=sum(s.work for s in sizes),
    )
