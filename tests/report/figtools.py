"""Helpers of the figure tests: read a figure back (axes, labels, lines)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
from conftest import ROOT
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from sim.report.figures.demand import LOSS_AXIS

FLAGSHIP = ROOT / "scenarios" / "kazakhstan_2021_22.yaml"
#: Two cheap figures, for tests about the drawing processes rather than drawing
#: (the ``few`` fixture of :mod:`report.figdata` cuts FIGURES to them).
CHEAP = ("relief_by_kind", "relief_distribution")
TIME_LABEL = "local time (Asia/Almaty, UTC+6)"


def labels(ax: Axes) -> list[str]:
    """Legend labels of the artists of ``ax``."""
    return ax.get_legend_handles_labels()[1]


def fig_labels(fig: Figure) -> list[str]:
    """Labels of the figure-level legend."""
    assert fig.legends, "the figure has no legend"
    return [t.get_text() for t in fig.legends[0].get_texts()]


def visible(fig: Figure) -> list[Axes]:
    """The figure's visible axes, without the loss-of-load axes drawn over the demand panels."""
    return [ax for ax in fig.axes if ax.get_visible() and ax.get_label() != LOSS_AXIS]


def twin_of(ax: Axes) -> Axes | None:
    """The loss-of-load axis drawn over ``ax``, if any."""
    box = ax.get_position().bounds
    twins = [o for o in ax.figure.axes if o.get_label() == LOSS_AXIS and o.get_position().bounds == box]
    assert len(twins) <= 1
    return twins[0] if twins else None


def render(fig: Figure) -> Figure:
    """Draw with Agg (catches errors that only show when drawing)."""
    FigureCanvasAgg(fig).draw()
    return fig


def line(ax: Axes, label: str):
    """The one line of ``ax`` with this label."""
    (found,) = [ln for ln in ax.get_lines() if ln.get_label() == label]
    return found


def sorted_rows(a: np.ndarray) -> np.ndarray:
    """Each row sorted from the highest value down."""
    return -np.sort(-a, axis=1)
