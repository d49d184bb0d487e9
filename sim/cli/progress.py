"""One progress bar over a whole command: set-up, simulation, writing, figures.

The bar measures time. Its length is the command's estimated duration and its
filled part the time spent so far; what is left is estimated as the items still
to run (replications, particles) at the rate measured so far, plus the phases
still to come at their estimated durations (:data:`WRITE_S` ...), corrected as
each phase ends. A thread redraws it twice a second, so the clock runs and the
phase shows during steps that report nothing (imports, writing, figures).

It is drawn on standard error with tqdm, only when that is a terminal (unless
``--progress``); lines written while it runs go through :meth:`CommandBar.echo`
so that they do not break it. Without a bar every method does nothing but keep
the clock (:attr:`CommandBar.elapsed` is the whole command's time either way).
"""

from __future__ import annotations

import math
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import click

#: Estimated seconds of set-up: imports, loading the scenario, starting workers
#: (estimate, measured on the 2-core development machine).
SETUP_S = 3.0
#: Estimated seconds of writing a run folder without figures: fixed and per
#: replication (summary intervals, Parquet files; estimate, as above).
WRITE_S, WRITE_PER_REPLICATION_S = 0.3, 0.001
#: Estimated seconds of a run folder's figures: fixed and per replication (estimate, as above).
FIGURES_S, FIGURES_PER_REPLICATION_S = 4.0, 0.004
#: Prior wall time per replication and per step and zone with one worker, until
#: replications have finished (estimate, as above; :func:`replication_s`).
STEP_ZONE_S = 1.6e-6
#: Guess of the simulation's and the writing's seconds, until the scenario is
#: loaded and they can be estimated (estimate).
GUESS_S = 10.0
#: Bounds of :meth:`CommandBar.pace`.
PACE_LIMITS = (0.5, 4.0)
#: Seconds between redraws.
REDRAW_S = 0.5
#: Share of a phase's estimate the bar may fill before the phase ends.
CAP = 0.95


def program_age() -> float:
    """Seconds since this process started, if it is the ``gridshed`` program (so
    that the time a command prints includes the interpreter's start and the
    imports); 0 otherwise (a test runner, a library user) or where unknown."""
    import os

    main = sys.modules.get("__main__")
    as_module = getattr(getattr(main, "__spec__", None), "name", "") == "sim.__main__"
    if not (os.path.basename(sys.argv[0]) == "gridshed" or as_module):
        return 0.0
    try:  # Linux: the process's start in clock ticks after boot, and the time since boot
        with open(f"/proc/{os.getpid()}/stat", encoding="ascii") as f:
            ticks = float(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime", encoding="ascii") as f:
            uptime = float(f.read().split()[0])
        return max(0.0, uptime - ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return 0.0


def replication_s(steps: int, zones: int, workers: int) -> float:
    """Prior estimate of the wall time per replication, before any has finished."""
    return STEP_ZONE_S * steps * max(zones, 1) / max(workers, 1)


def writing_s(replications: int, figures: bool) -> float:
    """Estimated seconds to write a run folder (with its figures if ``figures``)."""
    s = WRITE_S + WRITE_PER_REPLICATION_S * replications
    if figures:
        s += FIGURES_S + FIGURES_PER_REPLICATION_S * replications
    return s


@dataclass
class _Phase:
    name: str
    seconds: float
    """Estimated duration (for counted phases, until items have been counted)."""
    items: int = 0
    unit: str = ""
    prior_per_item: float = 0.0
    """Estimated seconds per item, as planned."""
    note: str = ""
    done: int = 0
    started: float | None = None
    ended: float | None = None


class CommandBar:
    """The bar of one command; see the module's docstring.

    ``enabled``: draw it (None: if standard error is a terminal). Phases are
    announced in order with :meth:`plan`, then entered with :meth:`phase`;
    a counted phase advances with :meth:`advance` (or the function :meth:`counter`).
    """

    @classmethod
    def for_command(cls, enabled: bool | None, guesses: dict[str, float] | None = None) -> CommandBar:
        """A bar in its set-up phase, with a first guess of the phases that follow
        (``{name: seconds}``, default: simulating :data:`GUESS_S`, writing half
        that) until :meth:`plan` replaces it."""
        bar = cls(enabled)
        bar.plan("set-up", SETUP_S)
        for name, seconds in (guesses or {"simulating": GUESS_S, "writing": GUESS_S / 2}).items():
            bar.plan(name, seconds)
        bar.start("set-up")
        return bar

    def __init__(self, enabled: bool | None = None, file: Any = None) -> None:
        self.started = time.perf_counter() - program_age()
        self.file = sys.stderr if file is None else file
        if enabled is None:
            enabled = bool(getattr(self.file, "isatty", lambda: False)())
        self.enabled = enabled
        self.phases: list[_Phase] = []
        self.current: _Phase | None = None
        self._bar: Any = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._shown = 0.0
        if enabled:
            self._open()

    # ------------------------------------------------------------------ plan

    def plan(self, name: str, seconds: float = 0.0, items: int = 0, unit: str = "") -> None:
        """Announce a phase: ``seconds`` its estimated duration; ``items``, if
        given, the count it advances through (``seconds`` is then per item)."""
        with self._lock:
            per = seconds if items else 0.0
            for p in self.phases:
                if p.name == name:
                    p.seconds, p.items, p.unit, p.prior_per_item = seconds * (items or 1), items, unit, per
                    return
            self.phases.append(_Phase(name, seconds * (items or 1), items, unit, per))

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Inside the block, the bar shows phase ``name`` (announced or not)."""
        self.start(name)
        try:
            yield
        finally:
            self.end()

    def start(self, name: str) -> None:
        """Enter phase ``name`` (ending the current one)."""
        self.end()
        now = time.perf_counter()
        with self._lock:
            known = [p for p in self.phases if p.name == name and p.ended is None]
            p = known[0] if known else _Phase(name, 0.0)
            if not known:
                self.phases.append(p)
            p.started = now
            self.current = p
        self.refresh()

    def end(self) -> None:
        """End the current phase."""
        with self._lock:
            if self.current is not None:
                self.current.ended = time.perf_counter()
                self.current = None

    def advance(self, k: int = 1) -> None:
        """``k`` more items of the current phase are done."""
        with self._lock:
            p = self.current
            if p is not None:
                p.done += k
                while p.items and p.done > p.items:  # more than planned (--precision): it doubles
                    p.items *= 2
        self.refresh()

    def note(self, text: str) -> None:
        """Show ``text`` beside the current phase's name (e.g. ``generation 2/5``)."""
        with self._lock:
            if self.current is not None:
                self.current.note = text

    def recount(self, items: int) -> None:
        """The current phase has ``items`` items after all (a run that added replications)."""
        with self._lock:
            if self.current is not None:
                self.current.items = items

    def counter(self) -> Callable[[int], None]:
        """:meth:`advance` as a function (for the runners' ``progress``)."""
        return self.advance

    # ------------------------------------------------------------------ clock

    @property
    def elapsed(self) -> float:
        """Seconds since the command started."""
        return time.perf_counter() - self.started

    def remaining(self) -> float:
        """Estimated seconds left: the current phase's rest, then the phases to come,
        their estimates scaled by the square root of how much slower (or faster)
        than estimated this machine has counted items so far (:meth:`pace`)."""
        now = time.perf_counter()
        # Halfway (geometrically) to the measured pace: simulating uses every core,
        # writing one, so a busy machine slows writing less than simulating.
        pace = math.sqrt(self.pace(now))
        with self._lock:
            left = 0.0
            for p in self.phases:
                if p.ended is not None:
                    continue
                if p is self.current and p.started is not None:
                    spent = now - p.started
                    if p.items and p.done:
                        left += spent / p.done * max(p.items - p.done, 0)
                    else:
                        left += max(p.seconds * pace - spent, (1 - CAP) * p.seconds * pace)
                elif p.started is None:
                    left += p.seconds * pace
            return left

    def pace(self, now: float | None = None) -> float:
        """Measured over estimated time per item in the counted phases so far (1
        before any item), within :data:`PACE_LIMITS`: a busy or slow machine runs
        everything slower than the estimates."""
        now = time.perf_counter() if now is None else now
        measured = estimated = 0.0
        with self._lock:
            for p in self.phases:
                if p.items and p.done and p.started is not None and p.prior_per_item > 0:
                    measured += (p.ended if p.ended is not None else now) - p.started
                    estimated += p.prior_per_item * p.done
        if estimated <= 0:
            return 1.0
        low, high = PACE_LIMITS
        return min(max(measured / estimated, low), high)

    # ------------------------------------------------------------------ drawing

    def _open(self) -> None:
        from tqdm import tqdm

        class _Tqdm(tqdm):  # type: ignore[misc]
            info = ""

            @property
            def format_dict(self) -> dict[str, Any]:
                d = super().format_dict
                d["info"] = self.info
                return d

        self._bar = _Tqdm(
            total=1000,
            file=self.file,
            leave=False,
            dynamic_ncols=True,
            mininterval=0,
            bar_format="{desc} {percentage:3.0f}%|{bar}| {info}",
        )
        self._thread = threading.Thread(target=self._redraw, name="gridshed-progress", daemon=True)
        self._thread.start()

    def _redraw(self) -> None:
        while not self._stop.wait(REDRAW_S):
            self.refresh()

    def refresh(self) -> None:
        """Redraw the bar with the current phase, fill and times."""
        if self._bar is None:
            return
        from tqdm import tqdm

        spent, left = self.elapsed, self.remaining()
        share = spent / (spent + left) if spent + left > 0 else 0.0
        with self._lock:
            p = self.current
            self._shown = max(self._shown, min(share, CAP))  # never goes back; full at close
            desc = (f"{p.name} ({p.note})" if p.note else p.name) if p else ""
            count = f"{p.done:,}/{p.items:,} {p.unit}, " if p is not None and p.items else ""
            bar = self._bar
            if bar is None:
                return
            bar.info = f"{count}{tqdm.format_interval(spent)} elapsed, ~{tqdm.format_interval(left)} left"
            bar.set_description_str(desc, refresh=False)
            bar.n = round(1000 * self._shown)
            bar.refresh()

    def echo(self, line: str) -> None:
        """Write ``line`` to standard error without breaking the bar."""
        if self._bar is None:
            click.echo(line, err=True)
            return
        with self._lock:
            self._bar.clear()
            click.echo(line, err=True)
            self._bar.refresh()

    def close(self) -> None:
        """Remove the bar (the clock keeps running)."""
        self.end()
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        with self._lock:
            bar, self._bar = self._bar, None
        if bar is not None:
            bar.close()

    def __enter__(self) -> CommandBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
