"""The operator's day-ahead rule: ration and cut off licensed miners from the
margin it forecasts for the coming day.

Part of the scenario schema (:mod:`sim.scenario.schema` gathers every model); one
docstring per field is its reference documentation. Used by ``operator.rule``
(:class:`sim.scenario.grid.Operator`); the model is :mod:`sim.model.operator`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from sim.scenario.base import BIG, Count, Frozen, NonNegative, Number, Probability

#: Hours in a day (the decision hour is one of them).
HOURS_PER_DAY = 24


class OperatorRule(Frozen):
    """Orders limiting licensed miners that the operator decides day by day from
    the grid it sees (``operator.rule``).

    Each day, at ``decision_hour`` of the day before, the operator forecasts every
    zone's margin for each step of the coming day: its available generation (the
    replication's own outages, derating, hydro and wind), the scheduled imports
    less the scheduled exports (and, unless ``operator.unscheduled_imports`` is
    ``firm_only``, the room for unscheduled imports), plus what the links can
    bring from (or must send to) the other zones within their security limits,
    minus the zone's operating reserve and its forecast firm load (ordinary
    demand with the day's weather, plus ``grey_share`` of the grey mining load
    connected). The margin for the day is the lowest over its steps (the
    peak). Licensed miners are rationed to ``licensed_limit`` when it falls
    below ``ration_below_mw``, cut off when firm load would be shed with them at
    the limit (the firm margin: see ``cutoff_below_mw``), and each order is lifted once its
    condition has not held for ``lift_after_days`` days in a row. The rule's
    orders mix with the scripted ``orders``: the stricter wins.
    """

    licensed_limit: Probability = 0.5
    """Share of their load licensed miners may draw while rationed."""
    ration_below_mw: Annotated[Number, Field(ge=-BIG, le=BIG)] = 0.0
    """Ration a zone's licensed miners on a day whose forecast margin (before
    licensed miners) is below this, MW."""
    cutoff_below_mw: Annotated[Number, Field(ge=-BIG, le=BIG)] = 0.0
    """Cut a zone's licensed miners off on a day whose firm margin (what firm
    load can count on: the margin with the reserve, the room for unscheduled
    imports and the links' capacity beyond their security limits), less their
    load at ``licensed_limit``, is below this, MW (0: firm load would otherwise
    be shed)."""
    lift_after_days: Count = 7
    """An order is lifted after its condition has not held for this many decision
    days in a row."""
    decision_hour: Annotated[int, Field(ge=0, lt=HOURS_PER_DAY)] = 18
    """Local hour, on the day before, at which the operator decides the coming day."""
    grey_share: NonNegative = 1.0
    """Share of the grey mining load connected that the operator counts in its
    forecast of firm load (it meters it but cannot tell it apart)."""
    zones: tuple[str, ...] = ()
    """Zones the rule applies to (empty: all)."""
