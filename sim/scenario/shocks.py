"""Scheduled shocks: cold snaps, demand growth, unit trips, link cuts, outage
rates, mining waves and exoduses, told apart by their ``type``.

Part of the scenario schema (:mod:`sim.scenario.schema` gathers every model); one
docstring per field is its reference documentation.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from sim.scenario.base import Count, Frozen, LocalTime, Number, Positive, Probability, Status
from sim.scenario.mining import SizeDistribution
from sim.vocab import LegalStatus


class ShockBase(Frozen):
    start: LocalTime
    """When the shock begins (local time)."""
    end: LocalTime | None = None
    """When it ends (local time); none: until the end of the scenario."""


class ColdSnap(ShockBase):
    """Temperature below normal: demand up by each zone's sensitivity."""

    type: Literal["cold_snap"]
    delta_c: Annotated[Number, Field(ge=-100.0, le=100.0)]
    """Change of the daily mean temperature, C (negative: colder)."""


class DemandGrowth(ShockBase):
    """Ordinary demand multiplied by a factor."""

    type: Literal["demand_growth"]
    factor: Positive
    """Multiplier on ordinary demand (1.05: +5 %)."""
    zones: tuple[str, ...] = ()
    """Zones affected (empty: all)."""


class UnitTrip(ShockBase):
    """Units forced out over a window."""

    type: Literal["unit_trip"]
    fleet: str
    """Name of the fleet."""
    units: Count = 1
    """How many of its units trip."""


class LinkCut(ShockBase):
    """A link's capacity cut (0: opened, the zones are separated)."""

    type: Literal["link_cut"]
    links: tuple[str, ...]
    """Names of the links."""
    capacity_factor: Probability = 0.0
    """Remaining fraction of capacity in both directions."""


class OutageRate(ShockBase):
    """Failure rates of units multiplied (more emergency outages)."""

    type: Literal["outage_rate"]
    factor: Positive
    """Multiplier on failure rates (2.34: +134 % outage hours, sources E2)."""
    zones: tuple[str, ...] = ()
    """Zones affected (empty: all)."""


class MiningWave(ShockBase):
    """A wave of new mining facilities connecting between ``start`` and ``end``."""

    type: Literal["mining_wave"]
    zone: str
    """Zone."""
    legal_status: Status = LegalStatus.GREY
    """Legal status of the newcomers."""
    total_mw: Positive
    """Capacity of the wave, MW."""
    sizes: SizeDistribution = SizeDistribution()
    """Sizes."""
    utilisation: Probability = 0.95
    """Fraction of capacity drawn."""


class Exodus(ShockBase):
    """A share of operating miners leave the country between ``start`` and ``end``."""

    type: Literal["exodus"]
    share: Probability
    """Chance that each operating facility of the status leaves."""
    legal_status: Status = LegalStatus.LICENSED
    """Which facilities leave."""


Shock = Annotated[
    ColdSnap | DemandGrowth | UnitTrip | LinkCut | OutageRate | MiningWave | Exodus,
    Field(discriminator="type"),
]
