"""The power system in a scenario: zones and their demand, weather, generating
units and plant tables, transmission links, and the system operator.

Part of the scenario schema (:mod:`sim.scenario.schema` gathers every model); one
docstring per field is its reference documentation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import Discriminator, Field, Tag, model_validator

from sim.scenario.base import (
    Count,
    Flag,
    Fraction,
    Frozen,
    LocalTime,
    Month,
    NonNegative,
    Number,
    Positive,
    Probability,
)
from sim.scenario.exchange import Availability, Schedule
from sim.scenario.files import Compression
from sim.scenario.rule import OperatorRule
from sim.scenario.security import ReserveSpec, Ufls
from sim.scenario.supply import PlantUnits, Seasonal

#: Latitude or longitude, degrees.
Coordinate = Annotated[Number, Field(ge=-360.0, le=360.0)]
#: Hours in a day: one hourly factor each.
HOURS_PER_DAY = 24
#: Months in a year: one monthly factor each.
MONTHS_PER_YEAR = 12
#: Winter weekday hourly factors of the daily peak (sources 3.4, estimate).
DEFAULT_HOURLY = (
    0.88, 0.86, 0.85, 0.84, 0.84, 0.85, 0.88, 0.92, 0.95, 0.96, 0.96, 0.95,
    0.94, 0.93, 0.93, 0.93, 0.95, 0.98, 1.00, 1.00, 0.99, 0.97, 0.94, 0.91,
)  # fmt: skip
#: Monthly factors of average load relative to December (sources 3.4, from L2).
DEFAULT_MONTHLY = (
    0.987, 0.978, 0.907, 0.838, 0.796, 0.786, 0.815, 0.788, 0.800, 0.867, 0.958, 1.000,
)  # fmt: skip


# --------------------------------------------------------------------------- zones


class LoadShape(Frozen):
    """Parametric demand: peak x hourly x weekday x monthly factors."""

    peak_mw: Positive
    """Peak of ordinary (non-mining) demand in the reference month, MW."""
    hourly: tuple[Positive, ...] = DEFAULT_HOURLY
    """24 factors of the daily peak, hour 0 to 23 local time."""
    weekend_factor: Positive = 0.96
    """Multiplier on Saturdays and Sundays."""
    monthly: tuple[Positive, ...] = DEFAULT_MONTHLY
    """12 factors, January to December, relative to the reference month."""

    @model_validator(mode="after")
    def _lengths(self) -> Self:
        if len(self.hourly) != HOURS_PER_DAY:
            raise ValueError(f"hourly needs {HOURS_PER_DAY} factors, got {len(self.hourly)}")
        if len(self.monthly) != MONTHS_PER_YEAR:
            raise ValueError(f"monthly needs {MONTHS_PER_YEAR} factors, got {len(self.monthly)}")
        return self


class DemandCsv(Frozen):
    """Demand from a CSV time series: one row per step from ``start``."""

    csv: Path
    """CSV file, relative to the scenario file that names it."""
    column: str = "demand_mw"
    """Column holding the demand in MW."""
    compression: Compression | None = None
    """``gzip``, ``bz2`` or ``xz`` if the file is compressed (none: plain text)."""
    scale: Positive = 1.0
    """Multiplier applied to the column."""


def _demand_kind(value: Any) -> str:
    """``csv`` for a mapping with a ``csv`` key (or a :class:`DemandCsv`), else ``shape``
    (a value that is no mapping then fails as a load shape, with pydantic's message)."""
    return "csv" if isinstance(value, DemandCsv) or (isinstance(value, dict) and "csv" in value) else "shape"


class Zone(Frozen):
    """A balancing area with its ordinary (non-mining) demand."""

    demand: Annotated[
        Annotated[LoadShape, Tag("shape")] | Annotated[DemandCsv, Tag("csv")],
        Discriminator(_demand_kind),
    ]
    """Either a parametric load shape (``peak_mw`` ...) or a CSV (``csv`` ...)."""
    temperature_sensitivity_mw_per_c: Annotated[Number, Field(ge=0.0, le=1e5)] = 0.0
    """Extra demand per degree C of cold anomaly (MW/C); warm anomalies lower it."""


class Weather(Frozen):
    """Daily temperature anomaly, common to all zones: an AR(1) process."""

    anomaly_sd_c: Annotated[Number, Field(ge=0.0, le=50.0)] = 0.0
    """Stationary standard deviation of the daily mean anomaly, C (0: no weather)."""
    persistence: Fraction = 0.7
    """Day-to-day autocorrelation of the anomaly."""


# ----------------------------------------------------------------------- generation


class PlannedOutage(Frozen):
    """Units of a fleet out for maintenance over a window."""

    start: LocalTime
    """Start (local time)."""
    end: LocalTime
    """End (local time)."""
    units: Count = 1
    """How many units of the fleet are out."""


class Fleet(Seasonal):
    """One generating unit, or ``count`` identical ones, with two-state Markov outages."""

    name: str
    """Name, used by shocks to find units."""
    zone: str
    """Zone the units feed."""
    capacity_mw: Positive
    """Capacity of one unit, MW."""
    count: Count = 1
    """Number of identical units."""
    mttf_h: Positive | None = None
    """Mean time to failure, hours. Give it, or ``forced_outage_rate``."""
    mttr_h: Positive = 50.0
    """Mean time to repair, hours."""
    forced_outage_rate: Fraction | None = None
    """Long-run unavailability; sets ``mttf_h = mttr_h (1 - FOR) / FOR``."""
    winter_derating: Fraction = 0.0
    """Fraction of capacity lost in ``winter_months``."""
    winter_months: tuple[Month, ...] = (12, 1, 2)
    """Months in which ``winter_derating`` applies."""
    planned_outages: tuple[PlannedOutage, ...] = ()
    """Maintenance windows."""

    @model_validator(mode="after")
    def _rates(self) -> Self:
        if self.mttf_h is not None and self.forced_outage_rate is not None:
            raise ValueError("give mttf_h or forced_outage_rate, not both")
        return self

    @property
    def mttf(self) -> float:
        """Mean time to failure in hours (inf when the units never fail)."""
        if self.mttf_h is not None:
            return self.mttf_h
        if self.forced_outage_rate:
            return self.mttr_h * (1.0 - self.forced_outage_rate) / self.forced_outage_rate
        return float("inf")


class PlantTable(Frozen):
    """Units from a plant table (CSV), one fleet per plant, placed in zones.

    The table needs a name and a capacity column; a plant is placed in a zone by
    a ``zone`` column, by ``zone_by_name`` (substring of the name) or by the
    nearest of ``zone_points`` (latitude/longitude).
    """

    csv: Path
    """CSV file, relative to the scenario file."""
    compression: Compression | None = None
    """``gzip``, ``bz2`` or ``xz`` if the file is compressed (none: plain text)."""
    name_column: str = "Name"
    """Column with the plant name."""
    capacity_column: str = "Capacity"
    """Column with the installed capacity, MW."""
    type_column: str = "Fueltype"
    """Column with the plant type (keys of ``types``)."""
    zone_column: str | None = None
    """Column with the zone name, if the table has one."""
    lat_column: str = "lat"
    """Latitude column, degrees."""
    lon_column: str = "lon"
    """Longitude column, degrees."""
    # pydantic copies these defaults for each model; ruff cannot tell that Frozen is pydantic.
    zone_points: dict[str, tuple[tuple[Coordinate, Coordinate], ...]] = {}  # noqa: RUF012
    """Per zone, reference points (lat, lon); a plant goes to the zone of the nearest."""
    zone_by_name: dict[str, str] = {}  # noqa: RUF012
    """Substring of a plant name -> zone; checked before coordinates."""
    types: dict[str, PlantType] = {}  # noqa: RUF012
    """Reliability and sizing by plant type; a type missing here uses ``default_type``."""
    default_type: PlantType = Field(default_factory=lambda: PlantType())
    """Parameters for types not listed in ``types``."""
    exclude: tuple[str, ...] = ()
    """Plant names to leave out."""
    plants: dict[str, PlantUnits] = {}  # noqa: RUF012
    """Per plant name, its units where they are known (instead of its type's unit size)."""


class PlantType(Seasonal):
    """How plants of one type are split into units and how reliable they are."""

    unit_size_mw: Annotated[Number, Field(ge=1.0)] = 200.0
    """Target size of one unit; a plant becomes round(capacity / size) units (at least 1)."""
    mttf_h: Positive | None = None
    """Mean time to failure, hours (or ``forced_outage_rate``)."""
    mttr_h: Positive = 50.0
    """Mean time to repair, hours."""
    forced_outage_rate: Fraction | None = 0.08
    """Long-run unavailability of a unit."""
    availability: Annotated[Number, Field(gt=0.0, le=1.0)] = 1.0
    """Fraction of installed capacity that is deliverable (age, fuel, heat load)."""
    winter_derating: Fraction = 0.0
    """Extra fraction lost in winter months."""

    @model_validator(mode="after")
    def _rates(self) -> Self:
        if self.mttf_h is not None and self.forced_outage_rate is not None:
            if "forced_outage_rate" in self.model_fields_set:
                raise ValueError("give mttf_h or forced_outage_rate, not both")
            object.__setattr__(self, "forced_outage_rate", None)
        return self


PlantTable.model_rebuild()


class Generation(Frozen):
    """Generating units, given one by one (fleets) and/or from plant tables."""

    units: tuple[Fleet, ...] = ()
    """Fleets of identical units."""
    plant_tables: tuple[PlantTable, ...] = ()
    """Plant tables expanded into fleets when the scenario is loaded."""
    cold_outage_per_c: NonNegative = 0.0
    """Failure rates of all units rise by this fraction per degree C of cold
    anomaly (0.05: +5 % per C below normal; warm days leave them unchanged)."""


# ---------------------------------------------------------------------------- links


class Link(Frozen):
    """A transmission link between two zones, or between a zone and an outside system."""

    name: str
    """Name, used by shocks."""
    from_: str = Field(alias="from")
    """A zone, or an outside system (a name in ``outside``)."""
    to: str
    """A zone."""
    capacity_mw: NonNegative
    """Transfer capacity from ``from`` to ``to``, MW."""
    reverse_capacity_mw: NonNegative | None = None
    """Capacity from ``to`` to ``from``, MW (default: ``capacity_mw``)."""
    security_limit_mw: NonNegative | None = None
    """Links between zones: the dispatch limit each way (n-1 security), MW, below
    the thermal capacities; only firm load may use the rest, as an emergency
    (none: the capacities)."""
    schedule: Schedule | None = None
    """Outside links: scheduled imports and exports per month (none: no schedule)."""
    unscheduled_mw: NonNegative | None = None
    """Outside links: most that may flow in beyond the schedule, MW (none: up to the capacity)."""
    availability: Availability | None = None
    """Outside links: the share of capacity the outside system can deliver, day by
    day (none: all of it, always)."""

    @property
    def reverse_mw(self) -> float:
        """Capacity from ``to`` to ``from`` in MW."""
        return self.capacity_mw if self.reverse_capacity_mw is None else self.reverse_capacity_mw


# ------------------------------------------------------------------------- operator


class Order(Frozen):
    """An operator order limiting licensed miners over a window."""

    name: str
    """What the order is, e.g. ``rationing``."""
    start: LocalTime
    """Start (local time)."""
    end: LocalTime | None = None
    """End (local time); none: until the end of the scenario."""
    licensed_limit: Probability
    """Fraction of their load licensed miners may draw (0: cut off)."""
    zones: tuple[str, ...] = ()
    """Zones it applies to (empty: all)."""
    lasting: Flag = False
    """Whether the cut counts as lasting relief (a limit, not emergency rationing)."""


class Operator(Frozen):
    """The system operator: balancing, curtailment, shedding and orders."""

    curtail_licensed_first: Flag = True
    """Curtail licensed miners before shedding ordinary load (sources E3)."""
    shed_block_fraction: Fraction = 0.0
    """Load is shed in blocks of this fraction of the zone's load (0: exactly the
    shortfall). Rotating emergency schedules use 0.05 to 0.10 (sources 3.5)."""
    orders: tuple[Order, ...] = ()
    """Scripted orders that limit licensed miners over dated windows."""
    rule: OperatorRule | None = None
    """The day-ahead rule: orders decided from the margin the operator forecasts
    for the coming day, per replication (none: scripted orders only). Mixes with
    ``orders``: the stricter wins."""
    reserve_mw: dict[str, ReserveSpec] = {}  # noqa: RUF012
    """Operating reserve per zone, MW or ``largest_unit`` (the capacity of the
    zone's largest unit): held back from the zone's own supply before licensed
    miners are served; firm load may use it."""
    unscheduled_imports: Literal["any_load", "firm_only"] = "any_load"
    """What imports beyond the schedule may serve: any load, or (the operator
    answers for them) only firm load: not the reserve, nor licensed miners."""
    ufls: Ufls | None = None
    """Under-frequency load shedding when a zone is cut off suddenly (none: the
    cut zone simply balances on its own generation)."""
