"""``make bench``: speed and memory of gridshed, measured in one run.

Prints a table and writes ``bench/results/results.json``, ``scaling.md`` and
``scaling.png``. Figures are ratios, per-event costs or CPU times measured in
the same run, so they travel between machines better than wall times. Nothing
here is asserted by the test suite.

Prints a table of the issue's targets (value, target, met) and writes them with
every measure to ``results.json`` and a readable ``results.md``.

Measured:
- the whole command as a user waits for it (fresh processes, bytecode cache
  warm): ``run`` of the flagship with 1,000 replications on 2 workers, figures
  included; its fixed cost (``-n 1 --no-figures``); ``validate``; which modules
  of the simulation stack ``--help``, ``schema`` and ``validate`` import (none
  may); the time of ``make test``'s suite (:mod:`startup`);
- the adequacy fast path: CPU ms per sample year of the IEEE RTS-79 (32
  units, 8,736 hourly loads, one core) against a bare numpy Monte Carlo of the
  same system (:mod:`adequacy`);
- 15-minute steps against hourly on the flagship (CPU per replication, and
  where it goes: simulation, balance and metrics, moments);
- a scaling study of the flagship (:mod:`scaling`): horizon, facilities,
  units, step, workers (local processes and a Dask LocalCluster);
- replications per second (2 workers) for the example and the flagship at
  hourly and 15-minute steps;
- the model's cost per discrete event against SimPy's bare event loop;
- speed-up from 1 to 2 workers;
- peak memory (RSS) of a run of 100 and of 3,000 replications;
- time of a 9-variant sweep.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import adequacy
import scaling
import simpy
import startup

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenarios/examples/two_zones.yaml"
FLAGSHIP = ROOT / "scenarios/kazakhstan_2021_22.yaml"
OUT = ROOT / "bench/results"
#: Replications of the long run of the memory measure (against 100).
MEMORY_REPLICATIONS = 3000


def bare_simpy_per_event(n: int = 300_000) -> float:
    """Seconds per event of SimPy's bare loop: one process, ``n`` timeouts."""

    def proc(env: simpy.Environment):
        for _ in range(n):
            yield env.timeout(1.0)

    best = float("inf")
    for _ in range(3):
        env = simpy.Environment()
        env.process(proc(env))
        t = time.perf_counter()
        env.run()
        best = min(best, time.perf_counter() - t)
    return best / n


def model_per_event(path: Path, reps: int = 20, rounds: int = 3) -> dict[str, float]:
    """Seconds per discrete event of the model, serially: the discrete-event part
    (SimPy processes and unit outages) and a whole replication (with the balance
    and metrics). Best of ``rounds``, like the bare loop, since this machine's
    timings drift between runs."""
    from sim.model.operator import run_replication as simulate
    from sim.model.replication import prepare
    from sim.results.metrics import evaluate
    from sim.scenario.load import load_scenario

    static = prepare(load_scenario(path))
    simulate(static, 0)  # warm up
    best_sim = best_all = float("inf")
    for _ in range(rounds):
        events = 0
        t_sim = t_all = 0.0
        for i in range(reps):
            t0 = time.perf_counter()
            raw = simulate(static, i)
            t1 = time.perf_counter()
            evaluate(static, raw)
            t2 = time.perf_counter()
            t_sim += t1 - t0
            t_all += t2 - t0
            events += raw.sim_events + raw.outage_t.size
        best_sim, best_all = min(best_sim, t_sim), min(best_all, t_all)
    return {
        "events_per_replication": events / reps,
        "des_s_per_event": best_sim / events,
        "replication_s_per_event": best_all / events,
        "replication_ms": 1000 * best_all / reps,
    }


def reps_per_second(
    path: Path, reps: int, workers: int, overrides: tuple[str, ...] = (), rounds: int = 2
) -> float:
    """Replications per second of a whole ensemble (pool start-up included), best of ``rounds``."""
    from sim.experiments.ensemble import run_ensemble
    from sim.scenario.load import load_scenario

    sc = load_scenario(path, overrides)
    best = float("inf")
    for _ in range(rounds):
        t = time.perf_counter()
        run_ensemble(sc, replications=reps, workers=workers, progress=False)
        best = min(best, time.perf_counter() - t)
    return reps / best


def peak_memory_mb(path: Path, reps: int) -> float:
    """Peak resident memory (MB) of a run of ``reps`` replications on 2 workers:
    the larger of the parent's high-water mark (``VmHWM``, which, unlike
    ``ru_maxrss``, is not inherited through fork and exec from this process)
    and its workers' (forked from the measured process)."""
    code = (
        "import resource\n"
        "from sim.experiments.ensemble import run_ensemble\n"
        "from sim.scenario.load import load_scenario\n"
        f"r = run_ensemble(load_scenario({str(path)!r}), replications={reps}, workers=2, progress=False)\n"
        "r.summary(); r.timeseries()\n"
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
        "kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "print(max(int(hwm), kids) / 1024)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def sweep_seconds(path: Path, reps: int) -> float | None:
    """Seconds for a 9-variant sweep through the command line (None if unavailable)."""
    gridshed = Path(sys.executable).with_name("gridshed")
    cmd = [
        str(gridshed), "sweep", str(path), "--set", "enforcement.teams=2,4,8",
        "--set", "mining.grey_scale=0.38,1,1.33", "--replications", str(reps), "--out", str(OUT / "sweep"),
    ]  # fmt: skip
    t = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        print(f"sweep failed: {done.stderr.strip()[:300]}", file=sys.stderr)
        return None
    return time.perf_counter() - t


#: The sections of the bench, in the order they run (``--only`` picks some).
SECTIONS = ("startup", "adequacy", "steps", "scaling", "events", "throughput", "memory", "sweep")


def main(only: set[str] | None = None) -> None:
    """Run the bench (``only``: these sections, printed but not written)."""
    OUT.mkdir(parents=True, exist_ok=True)
    flagship = FLAGSHIP if FLAGSHIP.exists() else EXAMPLE
    t0 = time.perf_counter()
    r: dict[str, object] = {
        "machine": f"{platform.processor() or platform.machine()}, Python {platform.python_version()}",
        "cores": len(os.sched_getaffinity(0)),
        "load_average_at_start": os.getloadavg()[0],
    }
    wanted = set(SECTIONS) if only is None else only

    def log(msg: str) -> None:
        print(f"[{time.perf_counter() - t0:6.0f} s] {msg}", flush=True)

    dims: list = []
    if "startup" in wanted:
        log("the whole command, its fixed cost, validate, figures (fresh processes, warm bytecode cache)")
        r.update(startup.measure(log, test_suite=only is None or "suite" in only))
    if "adequacy" in wanted:
        log("adequacy fast path: IEEE RTS-79, gridshed against a bare numpy Monte Carlo")
        r.update(adequacy.cpu_per_year())
    if "steps" in wanted:
        log("15-minute steps against hourly (flagship, one core)")
        for label, ms in scaling.phases(flagship, {"1h": [], "15min": ["step_h=0.25"]}).items():
            for k, v in ms.items():
                r[f"flagship_{label}_{k}_ms"] = v
        r["flagship_15min_vs_hourly_cpu"] = r["flagship_15min_total_ms"] / r["flagship_1h_total_ms"]
    if "scaling" in wanted:
        log("scaling study")
        dims = scaling.study(flagship, log)
    if "scaling" in wanted or "workers" in wanted:
        log("workers: local processes and a Dask LocalCluster")
        workers, extra = scaling.workers_study(flagship, log=log)
        dims.append(workers)
        r.update(extra)
        for d in dims:
            r[f"scaling_exponent_{d.name}"] = d.exponent
    if "events" in wanted:
        log("per-event cost against bare SimPy")
        bare = bare_simpy_per_event()
        r["simpy_bare_us_per_event"] = bare * 1e6
        for name, path in (("example", EXAMPLE), ("flagship", flagship)):
            m = model_per_event(path)
            r[f"{name}_events_per_replication"] = m["events_per_replication"]
            r[f"{name}_des_us_per_event"] = m["des_s_per_event"] * 1e6
            r[f"{name}_des_cost_vs_bare_simpy"] = m["des_s_per_event"] / bare
            r[f"{name}_replication_us_per_event"] = m["replication_s_per_event"] * 1e6
            r[f"{name}_replication_ms"] = m["replication_ms"]
    if "throughput" in wanted:
        log("replications per second")
        r["example_reps_per_s_2_workers"] = reps_per_second(EXAMPLE, 400, 2, rounds=1)
        if "flagship_reps_per_s_2_processes" in r:
            # 1 and 2 workers on the flagship: the runs of the workers study.
            one, two = r["flagship_reps_per_s_1_process"], r["flagship_reps_per_s_2_processes"]
        else:
            one = reps_per_second(flagship, 250, 1, rounds=1)
            two = reps_per_second(flagship, 1000, 2, rounds=1)
        r["flagship_reps_per_s_1_worker"] = one
        r["flagship_reps_per_s_2_workers"] = two
        r["speedup_1_to_2_workers"] = two / one
        quarter = reps_per_second(flagship, 1000, 2, ("step_h=0.25",), rounds=1)
        r["flagship_15min_reps_per_s_2_workers"] = quarter
        r["cost_15min_vs_hourly"] = two / quarter
    if "memory" in wanted:
        log("peak memory")
        m100 = peak_memory_mb(flagship, 100)
        m_many = peak_memory_mb(flagship, MEMORY_REPLICATIONS)
        r["peak_memory_mb_100"] = m100
        r[f"peak_memory_mb_{MEMORY_REPLICATIONS}"] = m_many
        r[f"memory_{MEMORY_REPLICATIONS}_vs_100"] = m_many / m100
    if "sweep" in wanted:
        log("sweep")
        r["sweep_9_variants_s"] = sweep_seconds(flagship, 100)
        r["sweep_replications_per_variant"] = 100
    r["bench_wall_s"] = time.perf_counter() - t0
    r["load_average_at_end"] = os.getloadavg()[0]
    checks = targets(r)
    r["targets"] = {name: {"value": v, "target": t, "met": ok} for name, (v, t, ok) in checks.items()}
    print(f"\n{'measure':45} value")
    for k, v in r.items():
        if k != "targets":
            print(f"{k:45} {v:.4g}" if isinstance(v, float) else f"{k:45} {v}")
    if dims:
        print("\nscaling (flagship):")
        print(scaling.table(dims).to_string(index=False, float_format=lambda x: f"{x:.3g}"))
    print("\ntargets:")
    for name, (_, _, ok) in checks.items():
        print(f"  {'met    ' if ok else 'NOT met'} {name}")
    if only is not None:
        print("\n(--only: nothing written)")
        return
    scaling.write_outputs(dims, OUT)
    (OUT / "results.json").write_text(json.dumps(r, indent=2) + "\n")
    (OUT / "results.md").write_text(report(r, checks), encoding="utf-8")
    print(f"\nwritten to {OUT / 'results.json'}, results.md, scaling.md, scaling.png")


def _fmt(v: object) -> str:
    if isinstance(v, bool) or v is None:
        return str(v)
    if isinstance(v, float):
        return f"{v:.3g}"
    if isinstance(v, list):
        return ", ".join(v) if v else "none"
    return str(v)


def report(r: dict, checks: dict[str, tuple]) -> str:
    """``results.md``: the issue's targets (value, target, met), then every measure."""
    lines = [
        "# gridshed bench results",
        "",
        f"{r['machine']}, {r['cores']} cores; load average {r['load_average_at_start']:.1f} at the start, "
        f"{r['load_average_at_end']:.1f} at the end; the bench took {r['bench_wall_s']:.0f} s.",
        "",
        "## Targets of issue 15",
        "",
        "| measure | value | target | met |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {name} | {_fmt(v)} | {t} | {'yes' if ok else '**no**'} |" for name, (v, t, ok) in checks.items()
    ]
    lines += ["", "## Every measure", "", "| measure | value |", "|---|---|"]
    lines += [f"| {k} | {_fmt(v)} |" for k, v in r.items() if k != "targets"]
    lines += ["", "The scaling study: scaling.md and scaling.png.", ""]
    return "\n".join(lines)


#: The issue's targets: (what, measure's key, target as written, test of the value).
TARGETS: list[tuple[str, str, str, Callable[[Any], bool]]] = [
    *[
        (f"`gridshed {cmd}` imports none of the simulation stack", f"heavy_imports_{key}", "none",
         lambda v: not v)
        for cmd, key in (("--help", "help"), ("schema", "schema"), ("validate", "validate"))
    ],
    ("whole command `run` flagship -n 1000 --workers 2, figures included (s)", "whole_command_s", "<= 10",
     lambda v: v <= 10),
    ("fixed cost: `run` flagship -n 1 --no-figures --workers 2 (s)", "fixed_cost_s", "<= 1.5",
     lambda v: v <= 1.5),
    ("`validate` of the flagship (s)", "validate_s", "<= 0.5", lambda v: v <= 0.5),
    ("RTS-79: CPU ms per sample year (one core)", "rts79_gridshed_cpu_ms_per_year", "<= 2", lambda v: v <= 2),
    ("RTS-79: gridshed against the bare numpy Monte Carlo", "rts79_gridshed_vs_bare_numpy", "<= 1.5",
     lambda v: v <= 1.5),
    ("flagship: 15-minute steps against hourly (CPU per replication)", "flagship_15min_vs_hourly_cpu",
     "<= 1.2", lambda v: v <= 1.2),
    ("Dask LocalCluster (2 workers) against the process pool, 2,000 replications", "dask_vs_process_pool",
     ">= 0.9", lambda v: v >= 0.9),
    ("Dask gives identical results", "dask_identical_results", "True", bool),
    *[
        (f"growth exponent of the cost with {dim}", f"scaling_exponent_{dim}", "<= 1.1", lambda v: v <= 1.1)
        for dim in ("horizon", "facilities", "units")
    ],
    ("`make test` on 2 cores (s)", "make_test_s", "< 180", lambda v: v < 180),
]  # fmt: skip


def targets(r: dict) -> dict[str, tuple[object, str, bool]]:
    """The issue's targets that the measures taken cover: (value, target, met)."""
    return {
        name: (r[key], target, bool(ok(r[key])))
        for name, key, target, ok in TARGETS
        if r.get(key) is not None
    }


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only",
        help=f"comma-separated sections to run and print, nothing written: {', '.join(SECTIONS)} "
        "(and 'suite' for make test's duration within startup, 'workers' for the workers' part of scaling)",
    )
    args = parser.parse_args()
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    main(set(args.only.split(",")) if args.only else None)
