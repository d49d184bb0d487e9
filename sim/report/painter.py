"""A process that draws a run's figures, started before the run.

``gridshed run`` forks a :class:`Painter` before it simulates. While the
replications run, the painter imports matplotlib and the figure modules and
draws a small figure once (fonts, text layout, the mathematical text of log
axes: costs paid once per process), so that none of this waits after the
simulation. When the run is over, :func:`sim.report.runfolder.write_run` sends
it the run's tables (:meth:`Painter.submit`); it draws the figures in
processes forked from itself (:func:`sim.report.figures.write_figures`) while
the run folder's tables are written, and :meth:`Painter.wait` returns their
paths. This module imports no part of the drawing stack: the process that
starts a painter never loads matplotlib.

If the painter cannot be forked (not Linux, or another thread at work) or has
died, the figures are drawn here as without it.
"""

from __future__ import annotations

import atexit
import contextlib
import multiprocessing
import pickle
import signal
import traceback
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.experiments.workers import can_fork

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from sim.report.figures import Drawing
    from sim.report.rundata import RunData

#: Seconds a painter has to exit when closed before it is terminated (and again
#: before it is killed).
CLOSE_TIMEOUT_S = 2
#: The signals that stop a command (blocked while the painter is forked).
STOPS = {signal.SIGINT, signal.SIGTERM}


class Painter:
    """A process forked now that draws a run's figures later (see the module)."""

    def __init__(self, workers: int | None = None) -> None:
        ctx = multiprocessing.get_context("fork")
        self._conn, theirs = ctx.Pipe()
        # Not a daemon: daemons may not fork the drawing processes. Ended at exit
        # if not before (multiprocessing would wait for it).
        self._process = ctx.Process(target=_paint, args=(theirs,), name="gridshed-figures", daemon=False)
        # Forked with SIGINT and SIGTERM blocked: until the painter has its own
        # handlers, this process's would run there (and could raise inside it).
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, STOPS)
        try:
            self._process.start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        theirs.close()
        atexit.register(self.close, at_once=True)
        self._job: tuple[RunData, Path, Mapping[str, float] | None, int | None] | None = None
        self._here: Drawing | None = None
        self.workers = workers

    @classmethod
    def start(cls, workers: int | None = None) -> Painter | None:
        """A painter (drawing in at most ``workers`` processes; default: one per
        core), or None where processes cannot be forked safely."""
        return cls(workers) if can_fork() else None

    def submit(self, run: RunData, folder: Path, reported: Mapping[str, float] | None = None) -> None:
        """Start drawing the figures of ``run`` into ``folder`` (``reported``: as
        for :func:`~sim.report.figures.write_figures`)."""
        self._job = (run, folder, reported, self.workers)
        try:
            self._conn.send(self._job)
        except (OSError, EOFError, ValueError):  # the painter is gone: draw here
            self._draw_here()

    def wait(self) -> list[Path]:
        """The paths of the figures once drawn; a figure that failed raises here."""
        if self._here is None:
            try:
                status, value = self._conn.recv()
            except (OSError, EOFError):  # the painter died: draw here
                self._draw_here()
            else:
                self.close()
                if status == "failed":
                    raise value
                return value
        assert self._here is not None
        return self._here.wait()

    def cancel(self) -> None:
        """Stop drawing now."""
        if self._here is not None:
            self._here.cancel()
        self.close(at_once=True)

    def close(self, at_once: bool = False) -> None:
        """End the painter: at once (``at_once``), else once it has finished."""
        if self._conn.closed:
            return
        atexit.unregister(self.close)
        if not at_once and self._process.is_alive():
            with contextlib.suppress(OSError, ValueError):
                self._conn.send(None)
            self._process.join(CLOSE_TIMEOUT_S)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(CLOSE_TIMEOUT_S)
        if self._process.is_alive():
            self._process.kill()
        self._process.join()
        self._conn.close()

    def _draw_here(self) -> Drawing:
        from sim.report.figures import start_figures

        assert self._job is not None
        run, folder, reported, workers = self._job
        self.close(at_once=True)
        self._here = start_figures(run, folder, reported, workers)
        return self._here


@contextlib.contextmanager
def painting(figures: bool, workers: int | None = None) -> Iterator[Painter | None]:
    """A painter for a run that draws figures (``figures``), ended on leaving;
    None without figures or where it cannot be forked (:meth:`Painter.start`)."""
    painter = Painter.start(workers) if figures else None
    try:
        yield painter
    finally:
        if painter is not None:
            painter.close(at_once=True)


def _paint(conn: Connection) -> None:
    """The painter: get the drawing stack ready, wait for a run, draw its figures,
    send back their paths (or the error), then wait for the end."""
    from sim.experiments.workers import worker_init

    worker_init()  # SIGINT ignored (the command decides), SIGTERM ends it
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOPS)
    from sim.report import figures

    figures.warm_up()
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        run, folder, reported, workers = job
        try:
            reply: tuple[str, Any] = ("done", figures.write_figures(run, folder, reported, workers))
        except BaseException as exc:  # sent back whole, raised there
            reply = ("failed", _portable(exc))
        try:
            conn.send(reply)
        except (OSError, ValueError):
            return


def _portable(exc: BaseException) -> BaseException:
    """``exc`` with its traceback in this process as a note, if it can be sent to
    another process; else a RuntimeError with that traceback."""
    text = "".join(traceback.format_exception(exc))
    try:
        exc.add_note(f"(raised in the figure process)\n{text}")
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"a figure could not be drawn:\n{text}")
    return exc
