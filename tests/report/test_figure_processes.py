"""``write_figures`` draws in forked processes: the same files as drawn here,
and a failure in a drawing process reaches the caller."""

from __future__ import annotations

import pytest
from report.figtools import CHEAP

from sim.report import figures as plots

pytest_plugins = ["report.figdata"]


def test_figures_drawn_in_processes_are_those_drawn_here(run, tmp_path, few):
    here = plots.write_figures(run, tmp_path / "serial", workers=1)
    forked = plots.write_figures(run, tmp_path / "forked", workers=2)
    assert [p.name for p in here] == [f"{name}.png" for name in CHEAP]
    assert [p.name for p in forked] == [p.name for p in here]
    for a, b in zip(here, forked, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_drawing_processes_follow_the_cores_and_the_threads():
    assert plots._drawing_processes(1, 7) == 1
    assert plots._drawing_processes(3, 2) == 2
    import threading

    helper = threading.Thread(target=threading.Event().wait, args=(5,), daemon=True)
    worker_stop = threading.Event()
    worker = threading.Thread(target=worker_stop.wait)
    helper.start()
    assert plots._drawing_processes(2, 7) == 2  # a daemon helper does not stop it
    worker.start()
    try:
        assert plots._drawing_processes(2, 7) == 1  # another thread at work does
    finally:
        worker_stop.set()
        worker.join()


def test_a_figure_that_fails_in_a_drawing_process_raises_here(run, tmp_path, monkeypatch, few):
    def broken(run):
        raise ValueError("cannot draw")

    monkeypatch.setitem(plots.FIGURES, "relief_by_kind", broken)
    with pytest.raises(ValueError, match="cannot draw"):
        plots.write_figures(run, tmp_path / "f", workers=2)
