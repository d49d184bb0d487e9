"""Worker processes and Dask clusters: started quiet, stopped at once when asked.

- Local worker processes ignore SIGINT (a Ctrl-C at the terminal reaches the
  whole process group: the main process alone decides to stop), die on SIGTERM
  without a traceback, and on Linux are sent SIGTERM if the main process dies,
  so they are never orphaned. :func:`stop_pool` ends them at once.
- A Dask scheduler is connected to within :data:`CONNECT_TIMEOUT_S`, and a bad
  address or an unreachable scheduler is one :class:`ScenarioError` naming it.
  Dask's own logging (heartbeats, shutdown notices) is silenced, in this process
  and in the worker processes it starts.
- A local Dask cluster (:func:`local_cluster`) is set up for long CPU-bound
  tasks: its workers import the simulation when they start (as forked local
  processes inherit it) and run without Dask's diagnostics that compete with
  the replications for the two cores (:data:`LOCAL_CLUSTER_CONFIG`).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
import warnings
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from sim.errors import Problem, ScenarioError

#: Seconds to connect to a Dask scheduler.
CONNECT_TIMEOUT_S = 10
#: Seconds to close a Dask client or cluster.
CLOSE_TIMEOUT_S = 5
#: Seconds a terminated worker process has to exit before it is killed.
JOIN_TIMEOUT_S = 2
#: ``prctl`` option: the signal a process gets when its parent dies (Linux).
PR_SET_PDEATHSIG = 1
#: Warning filter for the multiprocessing resource tracker's exit notice.
TRACKER_NOISE = "ignore::UserWarning:multiprocessing.resource_tracker"
#: Dask settings of the local clusters gridshed starts. Each worker process has
#: one thread running replications and an event loop. By default the loop
#: samples the running task's stack every 10 ms for the dashboard's profile
#: (holding the interpreter lock; the deeper SimPy's stack, the dearer); every
#: process checks its event loop's latency every 20 ms and polls the system
#: every 0.5 s; memory is polled every 0.1 s (a chunk's memory grows slowly:
#: once a second still stops a runaway). The cluster's dashboard is on a random
#: port nobody is told of, so this is CPU taken from the replications for
#: nothing. Measured on the flagship (2 workers, 2 cores): besides the
#: replications' own 15 ms, Dask spent 2.0 ms of CPU per replication by default
#: and spends 1.2-1.4 with these settings (local processes: 0.4). Workers of a
#: cluster started elsewhere (``--scheduler``) keep their own settings; they
#: take these from their environment (``DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False``,
#: ``DASK_DISTRIBUTED__ADMIN__TICK__INTERVAL=1s``, ...) and import gridshed
#: first with ``dask worker ADDRESS --preload sim.experiments.ensemble``.
LOCAL_CLUSTER_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.worker.memory.monitor-interval": "1s",
}
#: Module local Dask workers import when they start, before any task.
WORKER_PRELOAD = "sim.experiments.ensemble"
#: Loggers of Dask and the libraries under it.
DASK_LOGGERS = ("distributed", "dask", "tornado", "asyncio", "bokeh")


def can_fork() -> bool:
    """Whether a process can be forked safely here: on Linux (fork), with no other
    thread at work but daemon helpers (a progress bar's redraw, a test runner's),
    none of whose locks a forked process takes."""
    main = threading.main_thread()
    busy = [t for t in threading.enumerate() if t is not main and not t.daemon]
    return "fork" in multiprocessing.get_all_start_methods() and not busy


def default_workers() -> int:
    """All the cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def worker_init() -> None:
    """Initializer of local worker processes (see the module's docstring)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel the pool's queued tasks and end its worker processes now."""
    terminate = getattr(pool, "terminate_workers", None)  # Python 3.14
    if terminate is not None:
        terminate()
        return
    # Before 3.14 the pool's processes are only reachable through its attribute.
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        with contextlib.suppress(OSError, ValueError):
            p.terminate()
    for p in procs:
        with contextlib.suppress(OSError, ValueError, AssertionError):
            p.join(JOIN_TIMEOUT_S)
            if p.is_alive():
                p.kill()
                p.join(JOIN_TIMEOUT_S)


def quiet_dask() -> None:
    """Silence Dask's logging here and in the processes it starts (by environment)."""
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "critical")
    # The resource tracker (a process of its own) warns at exit about semaphores of
    # Dask's processes ended by an interrupt: shutdown noise, not a problem.
    if TRACKER_NOISE not in os.environ.get("PYTHONWARNINGS", ""):
        os.environ["PYTHONWARNINGS"] = ",".join(
            filter(None, [os.environ.get("PYTHONWARNINGS"), TRACKER_NOISE])
        )
    os.environ.setdefault("DASK_DISTRIBUTED__ADMIN__TICK__LIMIT", "3600s")
    for name in DASK_LOGGERS:
        logging.getLogger(name).setLevel(logging.CRITICAL)
    with contextlib.suppress(ImportError):
        import dask

        dask.config.set({"logging.distributed": "critical", "distributed.admin.tick.limit": "3600s"})


def check_address(address: str) -> None:
    """Raise ValueError unless ``address`` looks like a scheduler address (at once,
    where Dask would retry until its timeout)."""
    from distributed.comm.addressing import parse_address, parse_host_port
    from distributed.comm.registry import get_backend

    scheme, loc = parse_address(address)
    get_backend(scheme)  # ValueError: unknown scheme
    if scheme in ("tcp", "tls"):
        parse_host_port(loc)


def dask_client(scheduler: str | None, workers: int) -> tuple[Any, Any]:
    """A Dask client of the scheduler at ``scheduler``, or of a new local cluster of
    ``workers`` processes: ``(client, cluster or None)``.

    Raises :class:`ScenarioError` if dask.distributed is missing, the address is
    not one, or the scheduler cannot be reached within :data:`CONNECT_TIMEOUT_S`.
    """
    quiet_dask()
    try:
        from dask.distributed import Client
    except ImportError:
        raise ScenarioError(
            Problem(
                "needs dask.distributed: install it with `pip install -e '.[dask]'` "
                "(make test installs it too)",
                "--executor dask",
            )
        ) from None
    if not scheduler:
        cluster = local_cluster(workers)
        try:
            return Client(cluster), cluster
        except BaseException:
            cluster.close(timeout=CLOSE_TIMEOUT_S)
            raise
    try:
        check_address(scheduler)
        return Client(scheduler, timeout=CONNECT_TIMEOUT_S), None
    except (ValueError, TypeError) as exc:
        problem = f"not a Dask scheduler address ({exc}); give one such as tcp://HOST:8786"
    except (OSError, TimeoutError) as exc:
        problem = f"cannot reach the Dask scheduler within {CONNECT_TIMEOUT_S} s ({type(exc).__name__})"
    raise ScenarioError(Problem(f"{scheduler}: {problem}", "--scheduler"))


def local_cluster(workers: int) -> Any:
    """A new Dask LocalCluster of ``workers`` processes of one thread each, set
    up for replications (see :data:`LOCAL_CLUSTER_CONFIG`): the ``dask`` executor's
    cluster when no scheduler is given, and the bench's."""
    import dask
    from dask.distributed import LocalCluster

    quiet_dask()
    # Read when the cluster's scheduler and nannies are made; the nannies hand
    # it on to the worker processes they start.
    with dask.config.set(LOCAL_CLUSTER_CONFIG), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. "Port 8787 is already in use"
        return LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            preload=[WORKER_PRELOAD],
        )
