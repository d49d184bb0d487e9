"""How the cost of a replication grows: a scaling study of the flagship.

Each dimension is varied by scenario overrides, everything else as in the
flagship: the horizon (1 month, 7 months, 2 years), the number of mining
facilities (x1, x10, x100: the populations cut into smaller facilities of the
same total load), the number of generating units (x1, x10, x100: smaller units
of the same capacity), the step (1 h, 30 min, 15 min) and the workers (1 and 2
processes, and a Dask LocalCluster of 2 workers, on the same replications,
which must give identical results). Cost is CPU milliseconds per replication
on one core (``run_ensemble`` in this process, the scenario prepared
beforehand); throughput is replications per wall-clock second. Each dimension
gets a growth exponent fitted by least squares on log-log axes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from sim.experiments.ensemble import CHUNK, chunks, run_chunk, run_ensemble
from sim.model.replication import prepare
from sim.scenario.load import load_scenario

#: Largest growth exponent of the cost per replication the issue asks for.
TARGET_EXPONENT = 1.1
#: CPU seconds each cost measure aims to take (per round).
BUDGET_S = 1.0


@dataclass
class Dimension:
    """One dimension of the study: sizes, costs and the fitted exponent."""

    name: str
    unit: str
    labels: list[str] = field(default_factory=list)
    sizes: list[float] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    measure: str = "CPU ms per replication"

    @property
    def exponent(self) -> float:
        """Slope of log(value) against log(size), least squares."""
        return float(np.polyfit(np.log(self.sizes), np.log(self.values), 1)[0])


def _chunks_cpu_s(static, n: int) -> float:
    """CPU seconds per replication of replications ``CHUNK .. CHUNK + n - 1`` in
    chunks, as an ensemble runs them (past those whose records are kept)."""
    t = time.process_time()
    for i, a, b in chunks(CHUNK, CHUNK + n):
        run_chunk(static, i, a, b)
    return (time.process_time() - t) / n


def cpu_ms_per_replication(path: Path, variants: dict[str, list[str]], rounds: int = 2) -> dict[str, tuple]:
    """CPU ms per replication on one core of each variant (overrides by label)
    and the replications timed, enough to fill about :data:`BUDGET_S`: the
    variants in turns, best of ``rounds``, so that a drift of the machine's
    speed hits them alike."""
    statics = {label: prepare(load_scenario(path, ov)) for label, ov in variants.items()}
    reps = {label: int(np.clip(BUDGET_S / _chunks_cpu_s(st, 3), 6, 300)) for label, st in statics.items()}
    best = dict.fromkeys(statics, float("inf"))
    for _ in range(rounds):
        for label, st in statics.items():
            best[label] = min(best[label], _chunks_cpu_s(st, reps[label]))
    return {label: (1000 * best[label], reps[label], statics[label]) for label in statics}


def _fleets(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def unit_overrides(path: Path, k: int) -> list[str]:
    """Units ``k`` times smaller (plant tables' unit sizes, at least 1 MW; fleets'
    capacities) and so about ``k`` times as many, with the same capacity."""
    gen = _fleets(path)["generation"]
    out = []
    for i, table in enumerate(gen.get("plant_tables", [])):
        for name, t in table["types"].items():
            # Not below 1 MW (the schema's floor): the fit uses the units' real count.
            out.append(
                f"generation.plant_tables.{i}.types.{name}.unit_size_mw={max(1.0, t['unit_size_mw'] / k)}"
            )
    for i, f in enumerate(gen.get("units", [])):
        out += [f"generation.units.{i}.count={f.get('count', 1) * k}"]
        out += [f"generation.units.{i}.capacity_mw={f['capacity_mw'] / k}"]
    return out


def facility_overrides(path: Path, k: int) -> list[str]:
    """Facilities ``k`` times smaller and so about ``k`` times as many, with the
    same total load (each population keeps its total MW)."""
    out = []
    for i, p in enumerate(_fleets(path)["mining"]["populations"]):
        sizes = {"median_mw": 3.0, "p90_mw": 15.0, "cap_mw": 35.0, "min_mw": 0.1, **p.get("sizes", {})}
        out += [f"mining.populations.{i}.sizes.{key}={v / k}" for key, v in sizes.items()]
    return out


def study(flagship: Path, log: Callable[[str], None] = print) -> list[Dimension]:
    """The cost dimensions of the study (workers are measured apart)."""
    from sim.model.operator import run_replication as simulate

    dims = []
    plans = [
        (
            Dimension("horizon", "steps"),
            {"1 month": ["end=2021-11-01", "target=null"], "7 months": [], "2 years": ["end=2023-10-01"]},
            lambda st: st.clock.n_steps,
        ),
        (
            Dimension("facilities", "mining facilities"),
            {f"x{k}": facility_overrides(flagship, k) for k in (1, 10, 100)},
            lambda st: np.mean([simulate(st, r).facilities.n for r in range(3)]),
        ),
        (
            Dimension("units", "generating units"),
            {f"x{k}": unit_overrides(flagship, k) for k in (1, 10, 100)},
            lambda st: st.units.n,
        ),
        (
            Dimension("step", "steps"),
            {"1 h": ["step_h=1"], "30 min": ["step_h=0.5"], "15 min": ["step_h=0.25"]},
            lambda st: st.clock.n_steps,
        ),
    ]
    for dim, variants, size in plans:
        for label, (cost, reps, static) in cpu_ms_per_replication(flagship, variants).items():
            dim.labels.append(label)
            dim.sizes.append(float(size(static)))
            dim.values.append(cost)
            log(f"  {dim.name} {label} ({dim.sizes[-1]:,.0f} {dim.unit}): {cost:.2f} ms/replication ({reps})")
        dims.append(dim)
    return dims


def same_results(a, b) -> bool:
    """Whether two ensembles hold the same numbers, to the bit."""
    if not a.replications.equals(b.replications):
        return False
    return all(
        np.array_equal(np.asarray(a.moments[k].mean), np.asarray(b.moments[k].mean))
        and np.array_equal(np.asarray(a.moments[k].m2), np.asarray(b.moments[k].m2))
        for k in a.moments
    )


def workers_study(
    flagship: Path, reps: int = 2000, log: Callable[[str], None] = print
) -> tuple[Dimension, dict]:
    """Replications per second on 1 and 2 local processes and on a Dask
    LocalCluster of 2 workers, the same replications.

    Each executor is timed without its start-up: the cluster is started (as
    ``--executor dask`` starts it, its workers importing gridshed) before the
    clock starts, as the local processes are forked from this process, which
    has imported it (the fork, a few ms, is timed). Timed for both: connecting,
    sending the prepared scenario to the workers, running, gathering and
    merging the chunks, letting the workers go. The pool and the cluster run
    twice each, in the order pool, cluster, cluster, pool, and each one's rate
    is over its two runs, so that a drift of this shared machine's load
    between the runs hits them alike; the cluster is up only for its runs.
    """
    from sim.experiments.workers import local_cluster

    sc = load_scenario(flagship)
    static = prepare(sc)
    runs, spent = {}, {"2 processes": 0.0, "dask": 0.0}

    def timed(label: str, **kw) -> float:
        t = time.perf_counter()
        runs[label] = run_ensemble(sc, progress=False, static=static, **kw)
        return time.perf_counter() - t

    rate = {"1 process": reps // 4 / timed("1 process", replications=reps // 4, workers=1)}
    log(f"  1 process: {rate['1 process']:.1f} replications/s ({reps // 4} replications)")
    spent["2 processes"] += timed("2 processes", replications=reps, workers=2)
    t = time.perf_counter()
    with local_cluster(2) as cluster:
        start = time.perf_counter() - t
        for _ in range(2):
            spent["dask"] += timed("dask", replications=reps, scheduler=cluster.scheduler_address)
    spent["2 processes"] += timed("2 processes", replications=reps, workers=2)
    rate.update({label: 2 * reps / s for label, s in spent.items()})
    log(f"  2 processes: {rate['2 processes']:.1f} replications/s (2 x {reps} replications)")
    log(f"  Dask LocalCluster (2 workers): {rate['dask']:.1f} replications/s (+{start:.1f} s to start it)")
    dim = Dimension("workers", "workers", ["1", "2"], [1, 2], [rate["1 process"], rate["2 processes"]])
    dim.measure = "replications per second"
    extra = {
        "workers_replications": reps,
        "flagship_reps_per_s_1_process": rate["1 process"],
        "flagship_reps_per_s_2_processes": rate["2 processes"],
        "flagship_reps_per_s_dask_2_workers": rate["dask"],
        "dask_vs_process_pool": rate["dask"] / rate["2 processes"],
        "dask_cluster_start_s": start,
        "workers_timing": "each executor without its start-up (the Dask cluster started, its workers "
        "importing gridshed, before the clock; the local processes forked within it, a few ms); "
        "2 runs each, pool, cluster, cluster, pool",
        "dask_identical_results": same_results(runs["dask"], runs["2 processes"])
        and runs["1 process"].replications.equals(runs["2 processes"].replications.iloc[: reps // 4]),
    }
    return dim, extra


def write_outputs(dims: list[Dimension], out: Path) -> None:
    """``scaling.md`` (a table) and ``scaling.png`` (log-log panels with the fits)."""
    lines = [
        "# Scaling of gridshed (flagship scenario)",
        "",
        f"Growth exponents fitted by least squares on log-log axes; target <= {TARGET_EXPONENT} for costs.",
        "",
        "| dimension | size | measure | value | exponent | target met |",
        "|---|---|---|---|---|---|",
    ]
    for d in dims:
        cost = d.name != "workers"
        met = ("yes" if d.exponent <= TARGET_EXPONENT else "no") if cost else "(throughput)"
        for i, (label, size, value) in enumerate(zip(d.labels, d.sizes, d.values, strict=True)):
            head = f"{d.exponent:.2f}" if i == 0 else ""
            lines.append(
                f"| {d.name if i == 0 else ''} | {label} ({size:,.0f} {d.unit}) | {d.measure} "
                f"| {value:.2f} | {head} | {met if i == 0 else ''} |"
            )
    (out / "scaling.md").write_text("\n".join(lines) + "\n", encoding="utf-8")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(dims), figsize=(3.2 * len(dims), 3.2), constrained_layout=True)
    for ax, d in zip(np.atleast_1d(axes), dims, strict=True):
        x, y = np.array(d.sizes, dtype=float), np.array(d.values)
        slope, icept = np.polyfit(np.log(x), np.log(y), 1)
        grid = np.geomspace(x.min(), x.max(), 50)
        ax.loglog(x, y, "o", color="k")
        ax.loglog(grid, np.exp(icept) * grid**slope, "-", color="tab:blue", label=f"exponent {slope:.2f}")
        ax.set_xlabel(d.unit)
        ax.set_ylabel(d.measure)
        ax.set_title(d.name)
        ax.legend(fontsize=8)
    fig.savefig(out / "scaling.png", dpi=120)
    plt.close(fig)


def phases(path: Path, variants: dict[str, list[str]], reps: int = 100, rounds: int = 3) -> dict:
    """CPU ms per replication of each phase of an ensemble on one core, for
    each variant (taken in turns, best of ``rounds``): simulation, balance and
    metrics, moments of the series, and the rest."""
    from sim.experiments import ensemble

    spent: dict[str, float] = {}
    real = {name: getattr(ensemble, name) for name in ("run_replication", "evaluate", "run_moments")}

    def timed(name: str) -> Callable:
        def call(*args, **kwargs):
            t = time.process_time()
            out = real[name](*args, **kwargs)
            spent[name] = spent.get(name, 0.0) + time.process_time() - t
            return out

        return call

    statics = {label: prepare(load_scenario(path, ov)) for label, ov in variants.items()}
    best: dict[str, dict[str, float]] = {}
    try:
        for name in real:
            setattr(ensemble, name, timed(name))
        for _ in range(rounds):
            for label, static in statics.items():
                spent.clear()
                total = _chunks_cpu_s(static, reps) * reps
                if label not in best or total < best[label]["total"]:
                    best[label] = {"total": total, **spent}
    finally:
        for name, f in real.items():
            setattr(ensemble, name, f)
    out = {}
    for label, b in best.items():
        ms = {k: 1000 * v / reps for k, v in b.items()}
        ms["other"] = ms["total"] - ms["run_replication"] - ms["evaluate"] - ms["run_moments"]
        out[label] = ms
    return out


def table(dims: list[Dimension]) -> pd.DataFrame:
    """The study as a tidy frame (for the printed table)."""
    rows = [
        {"dimension": d.name, "size": f"{lab} ({s:,.0f})", "value": v, "exponent": d.exponent}
        for d in dims
        for lab, s, v in zip(d.labels, d.sizes, d.values, strict=True)
    ]
    return pd.DataFrame(rows)
