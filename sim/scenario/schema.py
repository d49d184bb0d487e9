"""The scenario schema: every key a scenario file may hold, with units and defaults.

These pydantic models are the reference documentation of the scenario format
(``gridshed schema`` prints them as JSON Schema). They are frozen and reject
unknown keys; :mod:`sim.scenario.checks` turns their errors into messages that name
the file, the line and the key.

The models live by topic: :mod:`~sim.scenario.base` (the frozen base, number types,
windows), :mod:`~sim.scenario.grid` (zones, demand, weather, generation, plant
tables, links, operator), :mod:`~sim.scenario.mining` (mining load, enforcement),
:mod:`~sim.scenario.shocks`; this module holds the whole :class:`Scenario` and
re-exports every model, so ``from sim.scenario.schema import X`` finds them all.

Conventions: capacities and loads in MW, energy in MWh, durations in hours
unless the name says otherwise (``_days``), times are local wall-clock times in
the scenario's ``timezone``.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from sim.scenario.base import (
    Count,
    Frozen,
    LocalTime,
    Name,
    NonNegative,
    Number,
    Positive,
    Probability,
    Status,
    Whole,
    Window,
)
from sim.scenario.economics import Economics, GoingGrey, Leaving, MarketMonth, Tariff
from sim.scenario.exchange import Availability, Schedule
from sim.scenario.grid import (
    DEFAULT_HOURLY,
    DEFAULT_MONTHLY,
    DemandCsv,
    Fleet,
    Generation,
    Link,
    LoadShape,
    Operator,
    Order,
    PlannedOutage,
    PlantTable,
    PlantType,
    Weather,
    Zone,
)
from sim.scenario.mining import (
    Deterrence,
    Duration,
    Enforcement,
    Escalation,
    Hardware,
    Mining,
    Outcomes,
    Population,
    SizeDistribution,
    Targeting,
    Trigger,
)
from sim.scenario.rule import OperatorRule
from sim.scenario.security import Ufls
from sim.scenario.shocks import (
    ColdSnap,
    DemandGrowth,
    Exodus,
    LinkCut,
    MiningWave,
    OutageRate,
    Shock,
    ShockBase,
    UnitTrip,
)
from sim.scenario.supply import CapacityFactor, PlantUnits, Seasonal

__all__ = [
    "DEFAULT_HOURLY",
    "DEFAULT_MONTHLY",
    "Availability",
    "CapacityFactor",
    "ColdSnap",
    "DemandCsv",
    "DemandGrowth",
    "Deterrence",
    "Duration",
    "Economics",
    "Enforcement",
    "Escalation",
    "Exodus",
    "Fleet",
    "Frozen",
    "Generation",
    "GoingGrey",
    "Hardware",
    "Leaving",
    "Link",
    "LinkCut",
    "LoadShape",
    "MarketMonth",
    "Mining",
    "MiningWave",
    "NonNegative",
    "Operator",
    "OperatorRule",
    "Order",
    "OutageRate",
    "Outcomes",
    "PlannedOutage",
    "PlantTable",
    "PlantType",
    "PlantUnits",
    "Population",
    "Positive",
    "Probability",
    "Scenario",
    "Schedule",
    "Seasonal",
    "Shock",
    "ShockBase",
    "SizeDistribution",
    "Status",
    "Target",
    "Targeting",
    "Tariff",
    "Trigger",
    "Ufls",
    "UnitTrip",
    "Weather",
    "Window",
    "Zone",
]


class Target(Frozen):
    """The relief to check against: ``relief_mw`` +- ``tolerance_mw`` by ``by``."""

    relief_mw: Positive = 600.0
    """Reported relief, MW (sources M17)."""
    tolerance_mw: Positive = 100.0
    """Half-width of the band counted as "roughly" the target, MW."""
    by: LocalTime
    """Date of the check (local time)."""
    definition: Literal["accounting", "before_after"] = "accounting"
    """Which relief the check uses (``relief_mw`` in the results). ``accounting``:
    the load of the facilities closed or gone by ``by`` plus the licensed load held
    back by lasting limits, at that time. ``before_after``: the fall in mining
    consumption (grey load plus licensed load drawn, mean over the day) from the
    day of ``reference`` to the day of ``by``, whatever caused it (closures, exits,
    orders starting or ending), as a government reading its meters would measure
    it. Both are always reported; ``gridshed run --counterfactual`` adds a third,
    against the same replications without the crackdown."""
    reference: LocalTime | None = None
    """Day the ``before_after`` relief is measured from (local time; none: the day
    the campaign starts in each replication)."""
    licensed_left_share: Probability | None = None
    """A reported share of licensed miners gone abroad by ``by``, shown beside
    the model's (a claim to compare with, never an input)."""
    first_rationing: LocalTime | None = None
    """A reported date of the operator's first rationing of licensed miners,
    shown beside the model's dates (compared, never an input)."""
    first_cutoff: LocalTime | None = None
    """A reported date of the first cut-off of licensed miners, shown beside the
    model's dates (compared, never an input)."""
    first_rationing_window: tuple[LocalTime, LocalTime] | None = None
    """A window (first and last day, local) for the first rationing: the share
    of replications whose first rationing falls in it is reported."""
    checkpoints: tuple[LocalTime, ...] = ()
    """Further dates (local time) at which relief and closures by kind are reported,
    as columns ``relief_forced_mw@2022-02-21`` ... (held-out checks of a calibration)."""


# ------------------------------------------------------------------------- scenario


class Scenario(Frozen):
    """A whole scenario: the grid, its mining loads, enforcement, shortage, target."""

    name: Name
    """Identifier, used for the output folder: at most 100 letters, digits, ``_ . -``, not
    starting with ``.`` or ``-``."""
    description: str = ""
    """What the scenario is about and where its numbers come from."""
    start: LocalTime
    """Start of the simulation (local time)."""
    end: LocalTime
    """End of the simulation (local time), after ``start``."""
    step_h: Annotated[Number, Field(ge=0.01, le=8784.0)] = 1.0
    """Balance step, hours (0.25: 15 minutes)."""
    timezone: str = "Asia/Almaty"
    """IANA time zone of the local times (Kazakhstan 2021-22: UTC+6)."""
    seed: Whole = 0
    """Root seed; replications get independent streams spawned from it."""
    replications: Count = 100
    """Monte Carlo replications."""
    outside: tuple[str, ...] = ()
    """Outside systems (e.g. ``Russia``) that links may import from."""
    zones: dict[str, Zone]
    """Zones by name."""
    weather: Weather = Weather()
    """Temperature anomaly model."""
    generation: Generation = Generation()
    """Generating units."""
    links: tuple[Link, ...] = ()
    """Transmission links."""
    mining: Mining = Mining()
    """Mining load."""
    enforcement: Enforcement = Enforcement(enabled=False)
    """Inspection campaign."""
    operator: Operator = Operator()
    """System operator."""
    shocks: tuple[Shock, ...] = ()
    """Scheduled shocks."""
    target: Target | None = None
    """Relief target to check (none: no check)."""

    @model_validator(mode="after")
    def _reference(self) -> Self:
        t, e = self.target, self.enforcement
        no_start = e.campaign is None and (e.trigger is None or e.trigger.after == "date")
        if t is not None and t.definition == "before_after" and t.reference is None and no_start:
            raise ValueError(
                "target.definition before_after needs target.reference or a campaign (window or trigger)"
            )
        return self

    @property
    def horizon_h(self) -> float:
        """Length of the simulation in hours."""
        return (self.end - self.start).total_seconds() / 3600.0

    @property
    def n_steps(self) -> int:
        """Number of balance steps."""
        return round(self.horizon_h / self.step_h)
