"""The whole command as a user waits for it: start-up, fixed cost, figures.

Each command runs in a fresh process, as a user runs it: with the bytecode cache
written and warm (``PYTHONDONTWRITEBYTECODE`` removed from the environment, and
each command run once before it is timed), best of a few runs in wall-clock
seconds, since that is what a user waits for. Also which modules of the
simulation stack the light commands import (none may be), and how long
``make test``'s suite takes.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "scenarios/kazakhstan_2021_22.yaml"
GRIDSHED = [sys.executable, "-m", "sim"]
#: The simulation stack, which ``validate``, ``schema`` and ``--help`` must not import.
HEAVY = ("pandas", "scipy", "matplotlib", "pyarrow", "dask", "distributed", "simpy")
#: Replications of the whole command.
WHOLE_REPLICATIONS = 1000


def user_env() -> dict[str, str]:
    """The environment of a user: bytecode cache written and read."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def timed(args: list[str], rounds: int = 3, warm: bool = True) -> tuple[float, float]:
    """Best wall-clock seconds of ``gridshed ARGS`` over ``rounds`` (after one
    untimed run that writes the bytecode cache, if ``warm``), and the CPU seconds
    (user and system, worker processes included) of that run: on a busy machine
    the wall time grows, the CPU time much less."""
    env = user_env()
    if warm:
        subprocess.run([*GRIDSHED, *args], env=env, cwd=ROOT, capture_output=True, check=True)
    best = (float("inf"), float("inf"))
    for _ in range(rounds):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run([*GRIDSHED, *args], env=env, cwd=ROOT, capture_output=True, check=True)
        wall = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
        best = min(best, (wall, cpu))
    return best


def heavy_imports(args: list[str]) -> list[str]:
    """Modules of :data:`HEAVY` imported by ``gridshed ARGS`` (``-X importtime``)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "sim", *args],
        env=user_env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    names = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    return sorted(n for n in names if n.split(".")[0] in HEAVY)


def suite_s() -> float:
    """Wall-clock seconds of ``make test``'s suite (pytest on 2 workers)."""
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "2", "-m", "not bench and not heavy"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    )
    return time.perf_counter() - t


def measure(log: Callable[[str], None] = print, test_suite: bool = True) -> dict[str, object]:
    """The issue's measures of the whole command, of start-up and of the suite."""
    r: dict[str, object] = {}
    flagship = str(FLAGSHIP)
    for name, args in {
        "help": ["--help"],
        "schema": ["schema"],
        "validate": ["validate", flagship],
    }.items():
        r[f"heavy_imports_{name}"] = heavy_imports(args)
    log(f"  heavy modules imported by --help, schema, validate: {[r[k] for k in r]}")
    r["validate_s"], r["validate_cpu_s"] = timed(["validate", flagship])
    log(f"  validate: {r['validate_s']:.2f} s ({r['validate_cpu_s']:.2f} s CPU)")
    with tempfile.TemporaryDirectory() as tmp:
        base = ["run", flagship, "--workers", "2", "-q", "--overwrite", "--out", tmp]
        r["fixed_cost_s"], r["fixed_cost_cpu_s"] = timed([*base, "-n", "1", "--no-figures"])
        log(f"  fixed cost: {r['fixed_cost_s']:.2f} s ({r['fixed_cost_cpu_s']:.2f} s CPU)")
        n = ["-n", str(WHOLE_REPLICATIONS)]
        r["whole_command_s"], r["whole_command_cpu_s"] = timed([*base, *n], rounds=2, warm=False)
        log(f"  whole command (-n {WHOLE_REPLICATIONS}, figures): {r['whole_command_s']:.2f} s")
        without, without_cpu = timed([*base, *n, "--no-figures"], rounds=1, warm=False)
        r["whole_command_no_figures_s"] = without
        r["figures_s"] = r["whole_command_s"] - without
        r["figures_cpu_s"] = r["whole_command_cpu_s"] - without_cpu
        log(f"  no figures: {without:.2f} s; figures {r['figures_s']:.2f} s ({r['figures_cpu_s']:.2f} CPU)")
        summary = json.loads((Path(tmp) / "kazakhstan_2021_22" / "summary.json").read_text())
        r["whole_command_replications"] = summary.get("replications", WHOLE_REPLICATIONS)
    if test_suite:
        r["make_test_s"] = suite_s()
        log(f"  make test's suite: {r['make_test_s']:.0f} s")
    return r
