"""Flat, append-only event records: columns that become arrays in one call
(and a DataFrame in :func:`sim.results.metrics.events_frame`).

SimPy processes only change state and append here; metrics are computed
afterwards from these records (docs/architecture.md).
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np


class Recorder:
    """Columns of events: time (h), kind, entity id, zone index, MW, and an integer
    (kept as one row per event, made columns by :meth:`arrays`).

    ``mw`` is the signed change of load (facilities) or capacity (units);
    ``count`` carries devices seized; ``flag`` a criminal case (1) or not (0).
    """

    __slots__ = ("rows",)

    def __init__(self) -> None:
        self.rows: list[tuple[float, StrEnum, int, int, float, int, int]] = []

    def __call__(
        self,
        t_h: float,
        event: StrEnum,
        entity: int,
        zone: int,
        mw: float = 0.0,
        count: int = 0,
        flag: int = 0,
    ) -> None:
        """Append one event."""
        self.rows.append((t_h, event, entity, zone, mw, count, flag))

    def arrays(self) -> dict[str, np.ndarray]:
        """The columns as numpy arrays (events as an object array)."""
        cols = list(zip(*self.rows, strict=True)) if self.rows else [()] * 7
        t_h, event, entity, zone, mw, count, flag = cols
        return {
            "t_h": np.asarray(t_h, dtype=float),
            "event": np.asarray(event, dtype=object),
            "entity": np.asarray(entity, dtype=np.int64),
            "zone": np.asarray(zone, dtype=np.int64),
            "mw": np.asarray(mw, dtype=float),
            "count": np.asarray(count, dtype=np.int64),
            "flag": np.asarray(flag, dtype=np.int64),
        }
