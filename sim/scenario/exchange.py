"""Outside systems: what a link from a neighbouring system can deliver, and when.

Part of the scenario schema (:mod:`sim.scenario.schema` gathers every model); one
docstring per field is its reference documentation. Used by the outside links'
keys ``schedule`` and ``availability`` (:class:`sim.scenario.grid.Link`).
"""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, model_validator

from sim.scenario.base import Fraction, Frozen, NonNegative, Number, Probability

#: Months in a year: one value each, January to December.
MONTHS = 12
#: No scheduled flow in any month.
NO_FLOW = (0.0,) * MONTHS


class Schedule(Frozen):
    """Scheduled (contracted) flows over an outside link, energy per calendar month.

    A month's energy flows at a flat rate over the month (GWh x 1000 / hours of
    that month, MW). Scheduled imports flow whatever the balance (the zone's own
    units back down); scheduled exports are an obligation served after firm load
    and before the reserve and licensed miners.
    """

    import_gwh: tuple[NonNegative, ...] = NO_FLOW
    """Scheduled imports into the zone, GWh per month, January to December."""
    export_gwh: tuple[NonNegative, ...] = NO_FLOW
    """Scheduled exports out of the zone, GWh per month, January to December."""

    @model_validator(mode="after")
    def _twelve(self) -> Self:
        for name in ("import_gwh", "export_gwh"):
            if len(getattr(self, name)) != MONTHS:
                raise ValueError(f"{name} needs {MONTHS} monthly values, got {len(getattr(self, name))}")
        return self


class Availability(Frozen):
    """Share of an outside link's capacity the outside system can deliver.

    A daily process: ``a = clip(mean + sd x z, 0, 1)`` where ``z`` is standard
    normal, ``z = c x anomaly / anomaly_sd + sqrt(1 - c^2) x e`` with ``c`` the
    ``cold_correlation``, ``anomaly`` the daily temperature anomaly (negative:
    colder than normal) and ``e`` an AR(1) of unit variance with the given
    ``persistence``: with ``c > 0`` the neighbour has less to give when it is cold.
    """

    mean: Probability = 1.0
    """Mean share of the capacity available (before clipping to 0..1)."""
    sd: NonNegative = 0.0
    """Standard deviation of the daily share."""
    persistence: Fraction = 0.7
    """Day-to-day autocorrelation of the link's own part."""
    cold_correlation: Annotated[Number, Field(ge=-1.0, le=1.0)] = 0.0
    """How far the share follows the weather: its correlation with the temperature
    anomaly, so that with ``c > 0`` less is available when it is colder than normal."""
