"""Evaluate tasks in order: in this process, on local processes or on Dask.

Results come back in the order of the tasks whatever the executor and the number
of workers, so everything built on a pool repeats exactly; ``shared`` is sent
once per call (scattered to every worker on Dask).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from typing import Any

from sim.errors import Problem, ScenarioError
from sim.experiments.ensemble import default_workers


class Pool:
    """``map(fn, tasks, shared)`` -> ``[fn(shared, task) for task in tasks]``, maybe in parallel."""

    def __init__(self, executor: str = "process", workers: int | None = None, scheduler: str | None = None):
        self.workers = default_workers() if workers is None else max(1, workers)
        dask = executor == "dask" or scheduler is not None
        self.kind = "dask" if dask else ("serial" if self.workers == 1 else "process")
        self._processes: ProcessPoolExecutor | None = None
        self._client: Any = None
        self._closers: list[Callable[[], Any]] = []
        """What :meth:`close` calls, last started first."""
        if self.kind == "process":
            self._processes = ProcessPoolExecutor(max_workers=self.workers)
            self._closers.append(partial(self._processes.shutdown, cancel_futures=True))
        elif self.kind == "dask":
            self._start_dask(scheduler)

    def _start_dask(self, scheduler: str | None) -> None:
        try:
            from dask.distributed import Client
        except ImportError:
            hint = "install dask.distributed: pip install -e '.[dask]'"
            raise ScenarioError(Problem(hint, "--executor dask")) from None
        cluster = None
        if scheduler is None:
            from sim.experiments.workers import local_cluster

            # The run's local cluster: no stack profiler, slow diagnostics polls.
            cluster = local_cluster(self.workers)
            self._closers.append(cluster.close)
        self._client = Client(scheduler or cluster)
        self._closers.append(self._client.close)
        if scheduler is not None:
            self.workers = max(1, sum(self._client.ncores().values()))

    def map(self, fn: Callable[[Any, Any], Any], tasks: Sequence[Any], shared: Any = None) -> list[Any]:
        """``fn(shared, task)`` for every task, in the tasks' order."""
        if self.kind == "serial":
            return [fn(shared, t) for t in tasks]
        if self.kind == "process":
            assert self._processes is not None
            return list(self._processes.map(partial(fn, shared), tasks))
        remote = self._client.scatter(shared, broadcast=True, hash=False)  # a new key each call
        futures = self._client.map(fn, [remote] * len(tasks), list(tasks), pure=False)
        return self._client.gather(futures)

    def close(self) -> None:
        """Stop the workers."""
        while self._closers:
            self._closers.pop()()

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
