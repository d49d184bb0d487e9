"""What generating units can give over the year: monthly derating, energy
budgets placed on the peak hours (hydro), seasonal and random capacity factors
(wind), and unit sizes of single plants in a plant table.

Part of the scenario schema (:mod:`sim.scenario.schema` gathers every model); one
docstring per field is its reference documentation. :class:`Seasonal` is shared
by fleets and plant types (:mod:`sim.scenario.grid`).
"""

from __future__ import annotations

from typing import Self

from pydantic import model_validator

from sim.scenario.base import Count, Fraction, Frozen, NonNegative, Positive, Probability

#: Months in a year: one value each, January to December.
MONTHS = 12

Monthly = tuple[Probability, ...]


def _twelve(model: Frozen, *names: str) -> None:
    for name in names:
        values = getattr(model, name)
        if values is not None and len(values) != MONTHS:
            raise ValueError(f"{name} needs {MONTHS} monthly values, got {len(values)}")


class CapacityFactor(Frozen):
    """A variable resource (wind): the share of capacity it gives, by month and
    by day. Each day's factor is ``monthly x exp(sd x e - sd^2 / 2)``, clipped
    to 0..1, with ``e`` a standard normal AR(1) of the given ``persistence``."""

    monthly: Monthly
    """Mean capacity factor in each month, January to December."""
    sd: NonNegative = 0.0
    """Standard deviation of the daily factor's logarithm."""
    persistence: Fraction = 0.5
    """Day-to-day autocorrelation."""

    @model_validator(mode="after")
    def _months(self) -> Self:
        _twelve(self, "monthly")
        return self


class Seasonal(Frozen):
    """Seasonal keys of a fleet or plant type (all off by default)."""

    monthly_derating: Monthly | None = None
    """Fraction of capacity lost in each month, January to December (repairs,
    frozen coal, low water); replaces ``winter_derating`` when given."""
    energy: Monthly | None = None
    """Energy budget (hydro): the month's energy as a share of the capacity
    running all month, January to December. It is placed on the peak hours of
    each day of the zone's load shape."""
    capacity_factor: CapacityFactor | None = None
    """A variable resource's seasonal and random capacity factor (wind)."""

    @model_validator(mode="after")
    def _months(self) -> Self:
        _twelve(self, "monthly_derating", "energy")
        return self


class PlantUnits(Frozen):
    """Units of one plant of a plant table, where they are known."""

    units: Count | None = None
    """Number of units the plant's capacity is split into."""
    unit_size_mw: Positive | None = None
    """Installed size of one unit, MW (the count is capacity / size, rounded)."""
    availability: Probability | None = None
    """Deliverable share of installed capacity, instead of its type's."""

    @model_validator(mode="after")
    def _one(self) -> Self:
        if self.units is not None and self.unit_size_mw is not None:
            raise ValueError("give units or unit_size_mw, not both")
        return self
