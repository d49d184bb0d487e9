"""System security: under-frequency load shedding (UFLS) when a zone is cut off
suddenly, and the operating reserve each zone keeps.

Part of the scenario schema (:mod:`sim.scenario.schema` gathers every model); one
docstring per field is its reference documentation. Used by ``operator.ufls``
and ``operator.reserve_mw`` (:class:`sim.scenario.grid.Operator`).
"""

from __future__ import annotations

from typing import Literal

from sim.scenario.base import Count, Frozen, NonNegative, Positive, Probability

#: A zone's reserve: MW, or the capacity of its largest unit (the n-1 rule).
LARGEST_UNIT = "largest_unit"
ReserveSpec = NonNegative | Literal["largest_unit"]


class Ufls(Frozen):
    """Under-frequency load shedding and the generation that trips with a
    frequency collapse, when a zone loses its infeed suddenly (a ``link_cut``
    shock with ``sudden: true``).

    The zone's deficit is the infeed it loses less the reserve it holds. A
    deficit up to ``slow_share`` of its load is met by the slow stage alone (one
    block of ``slow_share``; frequency settles above the fast stages). A larger
    one takes frequency through the fast stages: ``trip_share`` of the zone's
    running generation trips, and the slow block plus as many fast stages (each
    ``fast_share / fast_stages`` of the load) as the deficit then needs are
    shed; past the last stage the zone blacks out. The tripped units come back
    after ``return_h`` hours (or when the cut ends, if sooner).
    """

    slow_share: Probability = 0.10
    """Load shed by the slow stage (AChR-2 kind), share of the zone's load."""
    fast_share: Probability = 0.50
    """Load shed by all the fast stages together (AChR-1 kind), share of the zone's load."""
    fast_stages: Count = 20
    """Number of fast stages (equal shares)."""
    trip_share: Probability = 0.0
    """Share of the zone's running generation that trips when frequency falls
    through the fast stages."""
    return_h: Positive = 3.0
    """Hours until the tripped generation is back in service."""
