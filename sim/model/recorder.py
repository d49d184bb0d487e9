"""Flat, append-only event records: columns that become arrays in one call
(and a DataFrame in :func:`sim.results.metrics.events_frame`).

SimPy processes only change state and append here; metrics are computed
afterwards from these records (docs/architecture.md).
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np


class Recorder:
    """Columns of events: time (h), kind, entity id, zone index, MW, and an integer.

    ``mw`` is the signed change of load (facilities) or capacity (units);
    ``count`` carries devices seized; ``flag`` a criminal case (1) or not (0).
    """

    __slots__ = ("count", "entity", "event", "flag", "mw", "t_h", "zone")

    def __init__(self) -> None:
        self.t_h: list[float] = []
        self.event: list[str] = []
        self.entity: list[int] = []
        self.zone: list[int] = []
        self.mw: list[float] = []
        self.count: list[int] = []
        self.flag: list[int] = []

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
        self.t_h.append(t_h)
        self.event.append(event)
        self.entity.append(entity)
        self.zone.append(zone)
        self.mw.append(mw)
        self.count.append(count)
        self.flag.append(flag)

    def arrays(self) -> dict[str, np.ndarray]:
        """The columns as numpy arrays (events as an object array)."""
        return {
            "t_h": np.asarray(self.t_h, dtype=float),
            "event": np.asarray(self.event, dtype=object),
            "entity": np.asarray(self.entity, dtype=np.int64),
            "zone": np.asarray(self.zone, dtype=np.int64),
            "mw": np.asarray(self.mw, dtype=float),
            "count": np.asarray(self.count, dtype=np.int64),
            "flag": np.asarray(self.flag, dtype=np.int64),
        }
