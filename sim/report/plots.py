"""Moved: figures to :mod:`sim.report.figures`, the run-folder reader to
:mod:`sim.report.rundata`, ``gridshed plot`` to :mod:`sim.cli.plot`.

Kept only for :mod:`sim.report.runfolder` until it imports from
:mod:`sim.report.figures`; then delete this module.
"""

from __future__ import annotations

from sim.report.figures import RunData, write_figures

__all__ = ["RunData", "write_figures"]
