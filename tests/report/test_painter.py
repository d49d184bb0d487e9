"""The painter, forked before a run, draws the same files as drawn here; a figure
that fails there raises here; if it has died the figures are drawn here; a stop
signal right after it is forked ends it by the signal, not by this process's
handler."""

from __future__ import annotations

import os
import signal
import threading

import pytest
from report.figtools import CHEAP

from sim.report import figures as plots
from sim.report.painter import Painter, painting

pytest_plugins = ["report.figdata"]


def test_the_painter_draws_the_files_drawn_here(run, tmp_path, few):
    here = plots.write_figures(run, tmp_path / "here", workers=1)
    with painting(True, workers=2) as painter:
        assert painter is not None
        painter.submit(run, tmp_path / "painted")
        painted = painter.wait()
    assert [p.name for p in painted] == [p.name for p in here] == [f"{n}.png" for n in CHEAP]
    assert [p.parent for p in painted] == [tmp_path / "painted"] * len(CHEAP)
    for a, b in zip(here, painted, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    assert not painter._process.is_alive()


def test_a_figure_that_fails_in_the_painter_raises_here(run, tmp_path, monkeypatch, few):
    def broken(run):
        raise ValueError("cannot draw")

    monkeypatch.setitem(plots.FIGURES, "relief_by_kind", broken)
    with painting(True, workers=1) as painter:
        assert painter is not None
        painter.submit(run, tmp_path / "f")
        with pytest.raises(ValueError, match="cannot draw") as info:
            painter.wait()
    assert any("raised in the figure process" in note for note in info.value.__notes__)


def test_if_the_painter_has_died_the_figures_are_drawn_here(run, tmp_path, few):
    painter = Painter(workers=1)
    painter._process.kill()
    painter._process.join()
    painter.submit(run, tmp_path / "f")
    paths = painter.wait()
    assert [p.name for p in paths] == [f"{n}.png" for n in CHEAP]
    assert all(p.stat().st_size > 0 for p in paths)


def test_no_painter_without_figures_or_with_a_thread_at_work():
    with painting(False) as painter:
        assert painter is None
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait)
    worker.start()
    try:
        assert Painter.start() is None
    finally:
        stop.set()
        worker.join()


def test_a_stop_signal_at_once_ends_the_painter_by_the_signal():
    """The command's SIGTERM handler raises; had the painter run it (forked with
    it, before it has its own), it could raise inside the fork and run on as a
    copy of the command. Here that handler ends a painter with status 77: the
    painter must die of the signal itself."""
    me = os.getpid()

    def handler(signum, frame):
        if os.getpid() != me:
            os._exit(77)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        for _ in range(10):
            painter = Painter()
            painter.close(at_once=True)  # SIGTERM at once
            assert painter._process.exitcode == -signal.SIGTERM
    finally:
        signal.signal(signal.SIGTERM, previous)
