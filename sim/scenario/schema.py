"""The scenario schema: every key a scenario file may hold, with units and defaults.

These pydantic models are the reference documentation of the scenario format
(``gridshed schema`` prints them as JSON Schema). They are frozen and reject
unknown keys; :mod:`sim.scenario.load` turns their errors into messages that name the
file, the line and the key.

Conventions: capacities and loads in MW, energy in MWh, durations in hours
unless the name says otherwise (``_days``), times are local wall-clock times in
the scenario's ``timezone``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

#: Winter weekday hourly factors of the daily peak (FACTS 3.4, estimate).
DEFAULT_HOURLY = (
    0.88, 0.86, 0.85, 0.84, 0.84, 0.85, 0.88, 0.92, 0.95, 0.96, 0.96, 0.95,
    0.94, 0.93, 0.93, 0.93, 0.95, 0.98, 1.00, 1.00, 0.99, 0.97, 0.94, 0.91,
)  # fmt: skip
#: Monthly factors of average load relative to December (FACTS 3.4, from L2).
DEFAULT_MONTHLY = (
    0.987, 0.978, 0.907, 0.838, 0.796, 0.786, 0.815, 0.788, 0.800, 0.867, 0.958, 1.000,
)  # fmt: skip

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
Positive = Annotated[float, Field(gt=0.0)]


class Frozen(BaseModel):
    """Base of every scenario model: immutable, unknown keys rejected."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        use_attribute_docstrings=True,
        validate_default=True,
        populate_by_name=True,
    )


class Window(Frozen):
    """A time window in local time, ``start`` inclusive, ``end`` exclusive."""

    start: dt.datetime
    """Start of the window (local time)."""
    end: dt.datetime
    """End of the window (local time), after ``start``."""

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        return self


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
        if len(self.hourly) != 24:
            raise ValueError(f"hourly needs 24 factors, got {len(self.hourly)}")
        if len(self.monthly) != 12:
            raise ValueError(f"monthly needs 12 factors, got {len(self.monthly)}")
        return self


class DemandCsv(Frozen):
    """Demand from a CSV time series: one row per step from ``start``."""

    csv: Path
    """CSV file, relative to the scenario file that names it."""
    column: str = "demand_mw"
    """Column holding the demand in MW."""
    scale: Positive = 1.0
    """Multiplier applied to the column."""


class Zone(Frozen):
    """A balancing area with its ordinary (non-mining) demand."""

    demand: Annotated[
        Annotated[LoadShape, Tag("shape")] | Annotated[DemandCsv, Tag("csv")],
        Discriminator(lambda v: "csv" if "csv" in (v if isinstance(v, dict) else vars(v)) else "shape"),
    ]
    """Either a parametric load shape (``peak_mw`` ...) or a CSV (``csv`` ...)."""
    temperature_sensitivity_mw_per_c: NonNegative = 0.0
    """Extra demand per degree C of cold anomaly (MW/C); warm anomalies lower it."""


class Weather(Frozen):
    """Daily temperature anomaly, common to all zones: an AR(1) process."""

    anomaly_sd_c: NonNegative = 0.0
    """Stationary standard deviation of the daily mean anomaly, C (0: no weather)."""
    persistence: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.7
    """Day-to-day autocorrelation of the anomaly."""


# ----------------------------------------------------------------------- generation


class PlannedOutage(Frozen):
    """Units of a fleet out for maintenance over a window."""

    start: dt.datetime
    """Start (local time)."""
    end: dt.datetime
    """End (local time)."""
    units: Annotated[int, Field(ge=1)] = 1
    """How many units of the fleet are out."""


class Fleet(Frozen):
    """One generating unit, or ``count`` identical ones, with two-state Markov outages."""

    name: str
    """Name, used by shocks to find units."""
    zone: str
    """Zone the units feed."""
    capacity_mw: Positive
    """Capacity of one unit, MW."""
    count: Annotated[int, Field(ge=1)] = 1
    """Number of identical units."""
    mttf_h: Positive | None = None
    """Mean time to failure, hours. Give it, or ``forced_outage_rate``."""
    mttr_h: Positive = 50.0
    """Mean time to repair, hours."""
    forced_outage_rate: Annotated[float, Field(ge=0.0, lt=1.0)] | None = None
    """Long-run unavailability; sets ``mttf_h = mttr_h (1 - FOR) / FOR``."""
    winter_derating: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0
    """Fraction of capacity lost in ``winter_months``."""
    winter_months: tuple[Annotated[int, Field(ge=1, le=12)], ...] = (12, 1, 2)
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
    zone_points: dict[str, tuple[tuple[float, float], ...]] = {}
    """Per zone, reference points (lat, lon); a plant goes to the zone of the nearest."""
    zone_by_name: dict[str, str] = {}
    """Substring of a plant name -> zone; checked before coordinates."""
    types: dict[str, PlantType] = {}
    """Reliability and sizing by plant type; a type missing here uses ``default_type``."""
    default_type: PlantType = Field(default_factory=lambda: PlantType())
    """Parameters for types not listed in ``types``."""
    exclude: tuple[str, ...] = ()
    """Plant names to leave out."""


class PlantType(Frozen):
    """How plants of one type are split into units and how reliable they are."""

    unit_size_mw: Positive = 200.0
    """Target size of one unit; a plant becomes round(capacity / size) units (at least 1)."""
    mttf_h: Positive | None = None
    """Mean time to failure, hours (or ``forced_outage_rate``)."""
    mttr_h: Positive = 50.0
    """Mean time to repair, hours."""
    forced_outage_rate: Annotated[float, Field(ge=0.0, lt=1.0)] | None = 0.08
    """Long-run unavailability of a unit."""
    availability: Annotated[float, Field(gt=0.0, le=1.0)] = 1.0
    """Fraction of installed capacity that is deliverable (age, fuel, heat load)."""
    winter_derating: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0
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

    @property
    def reverse_mw(self) -> float:
        """Capacity from ``to`` to ``from`` in MW."""
        return self.capacity_mw if self.reverse_capacity_mw is None else self.reverse_capacity_mw


# --------------------------------------------------------------------------- mining


class Hardware(Frozen):
    """One class of mining device and its share of the installed devices."""

    name: str
    """Device class, e.g. ``S9``."""
    kw: Positive
    """Power per device, kW."""
    share: Probability
    """Share of devices of this class."""


class SizeDistribution(Frozen):
    """Lognormal facility sizes, given by median and 90th percentile, capped."""

    median_mw: Positive = 3.0
    """Median facility capacity, MW."""
    p90_mw: Positive = 15.0
    """90th percentile, MW (above the median)."""
    cap_mw: Positive = 35.0
    """Largest facility, MW (larger draws are redrawn)."""
    min_mw: NonNegative = 0.1
    """Smallest facility, MW (smaller draws are redrawn)."""

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if not self.min_mw < self.median_mw < self.p90_mw <= self.cap_mw:
            raise ValueError("sizes must satisfy min_mw < median_mw < p90_mw <= cap_mw")
        return self


class Population(Frozen):
    """Mining facilities of one legal status in one zone."""

    zone: str
    """Zone the facilities draw from."""
    legal_status: Literal["licensed", "grey"]
    """``licensed`` (known to the operator, interruptible) or ``grey`` (hidden)."""
    total_mw: Positive | None = None
    """Total capacity, MW: facilities are drawn until it is reached. Or give ``count``."""
    count: Annotated[int, Field(ge=1)] | None = None
    """Number of facilities. Or give ``total_mw``."""
    sizes: SizeDistribution = SizeDistribution()
    """Facility size distribution."""
    utilisation: Probability = 0.95
    """Fraction of capacity drawn while operating."""
    connect: Window | None = None
    """Facilities connect at uniform times in this window (default: already connected)."""

    @model_validator(mode="after")
    def _one_size(self) -> Self:
        if (self.total_mw is None) == (self.count is None):
            raise ValueError("give exactly one of total_mw and count")
        return self


class Mining(Frozen):
    """The mining load: populations of facilities and their hardware."""

    populations: tuple[Population, ...] = ()
    """Populations by zone and legal status."""
    hardware: tuple[Hardware, ...] = (
        Hardware(name="S9", kw=1.35, share=0.40),
        Hardware(name="S17", kw=2.7, share=0.25),
        Hardware(name="S19", kw=3.25, share=0.35),
    )
    """Device mix (FACTS 3.3: M24 to M26); shares must sum to 1."""
    overhead: Annotated[float, Field(ge=1.0)] = 1.07
    """Facility power per device power (cooling, losses)."""
    grey_scale: Positive = 1.0
    """Multiplier on every grey population's ``total_mw`` (for sweeps)."""

    @model_validator(mode="after")
    def _shares(self) -> Self:
        total = sum(h.share for h in self.hardware)
        if self.hardware and abs(total - 1.0) > 1e-6:
            raise ValueError(f"hardware shares must sum to 1, got {total:g}")
        return self


# ---------------------------------------------------------------------- enforcement


class Outcomes(Frozen):
    """Outcome probabilities of an inspection for one legal status."""

    compliant: Probability = 1.0
    """The site passes and keeps operating."""
    closed_voluntarily: Probability = 0.0
    """The owner stops and dismantles."""
    disconnected_by_force: Probability = 0.0
    """The site is cut off from the grid."""

    @model_validator(mode="after")
    def _sum(self) -> Self:
        total = self.compliant + self.closed_voluntarily + self.disconnected_by_force
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"outcome probabilities must sum to 1, got {total:g}")
        return self


class Targeting(Frozen):
    """Which site the agency inspects next."""

    policy: Literal["random", "largest_first", "anomaly", "tipoffs"] = "anomaly"
    """``random``; ``largest_first``; ``anomaly`` (grid-data detection: the chance a
    site is picked grows with its size to the power ``size_exponent``);
    ``tipoffs`` (random, but grey sites ``tipoff_weight`` times as likely)."""
    size_exponent: NonNegative = 1.0
    """Exponent of size in the ``anomaly`` weights."""
    tipoff_weight: Positive = 3.0
    """Weight of grey sites against licensed ones under ``tipoffs``."""
    statuses: tuple[Literal["licensed", "grey"], ...] = ("grey", "licensed")
    """Legal statuses the campaign inspects."""


class Duration(Frozen):
    """A gamma-distributed duration given by its mean and coefficient of variation."""

    mean_days: Positive
    """Mean, days."""
    cv: NonNegative = 0.5
    """Coefficient of variation (0: fixed)."""


class Enforcement(Frozen):
    """The inspection campaign of the enforcement agency."""

    enabled: bool = True
    """Whether the campaign runs at all."""
    teams: Annotated[int, Field(ge=1)] = 4
    """Inspection teams working at once (a SimPy resource)."""
    campaign: Window | None = None
    """When inspections may start (local time)."""
    targeting: Targeting = Targeting()
    """How the next site is chosen."""
    inspection: Duration = Duration(mean_days=2.0)
    """Time a team spends on one site (finding, visiting, deciding)."""
    outcomes_licensed: Outcomes = Outcomes()
    """Outcomes for licensed sites."""
    outcomes_grey: Outcomes = Outcomes(compliant=0.1, closed_voluntarily=0.4, disconnected_by_force=0.5)
    """Outcomes for grey sites."""
    seizure_probability: Probability = 0.5
    """Chance that a forced disconnection seizes the site's devices."""
    criminal_case_probability: Probability = 0.5
    """Chance that a forced disconnection opens a criminal case."""
    reconnection_probability: Probability = 0.0
    """Chance that a site disconnected by force (devices not seized) comes back."""
    reconnection_delay: Duration = Duration(mean_days=30.0)
    """Delay before a disconnected site reconnects."""

    @model_validator(mode="after")
    def _window(self) -> Self:
        if self.enabled and self.campaign is None:
            raise ValueError("an enabled campaign needs a campaign window")
        return self


# ------------------------------------------------------------------------- operator


class Order(Frozen):
    """An operator order limiting licensed miners over a window."""

    name: str
    """What the order is, e.g. ``rationing``."""
    start: dt.datetime
    """Start (local time)."""
    end: dt.datetime | None = None
    """End (local time); none: until the end of the scenario."""
    licensed_limit: Probability
    """Fraction of their load licensed miners may draw (0: cut off)."""
    zones: tuple[str, ...] = ()
    """Zones it applies to (empty: all)."""
    lasting: bool = False
    """Whether the cut counts as lasting relief (a limit, not emergency rationing)."""


class Operator(Frozen):
    """The system operator: balancing, curtailment, shedding and orders."""

    curtail_licensed_first: bool = True
    """Curtail licensed miners before shedding ordinary load (FACTS E3)."""
    shed_block_fraction: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0
    """Load is shed in blocks of this fraction of the zone's load (0: exactly the
    shortfall). Rotating emergency schedules use 0.05 to 0.10 (FACTS 3.5)."""
    orders: tuple[Order, ...] = ()
    """Orders that limit licensed miners."""


# --------------------------------------------------------------------------- shocks


class ShockBase(Frozen):
    start: dt.datetime
    """When the shock begins (local time)."""
    end: dt.datetime | None = None
    """When it ends (local time); none: until the end of the scenario."""


class ColdSnap(ShockBase):
    """Temperature below normal: demand up by each zone's sensitivity."""

    type: Literal["cold_snap"]
    delta_c: float
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
    units: Annotated[int, Field(ge=1)] = 1
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
    """Multiplier on failure rates (2.34: +134 % outage hours, FACTS E2)."""
    zones: tuple[str, ...] = ()
    """Zones affected (empty: all)."""


class MiningWave(ShockBase):
    """A wave of new mining facilities connecting between ``start`` and ``end``."""

    type: Literal["mining_wave"]
    zone: str
    """Zone."""
    legal_status: Literal["licensed", "grey"] = "grey"
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
    legal_status: Literal["licensed", "grey"] = "licensed"
    """Which facilities leave."""


Shock = Annotated[
    ColdSnap | DemandGrowth | UnitTrip | LinkCut | OutageRate | MiningWave | Exodus,
    Field(discriminator="type"),
]


class Target(Frozen):
    """The relief to check against: ``relief_mw`` +- ``tolerance_mw`` by ``by``."""

    relief_mw: Positive = 600.0
    """Reported relief, MW (FACTS M17)."""
    tolerance_mw: Positive = 100.0
    """Half-width of the band counted as "roughly" the target, MW."""
    by: dt.datetime
    """Date of the check (local time)."""


# ------------------------------------------------------------------------- scenario


class Scenario(Frozen):
    """A whole scenario: the grid, its mining loads, enforcement, shortage, target."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+$")]
    """Identifier, used for the output folder (letters, digits, ``_ . -``)."""
    description: str = ""
    """What the scenario is about and where its numbers come from."""
    start: dt.datetime
    """Start of the simulation (local time)."""
    end: dt.datetime
    """End of the simulation (local time), after ``start``."""
    step_h: Positive = 1.0
    """Balance step, hours (0.25: 15 minutes)."""
    timezone: str = "Asia/Almaty"
    """IANA time zone of the local times (Kazakhstan 2021-22: UTC+6)."""
    seed: Annotated[int, Field(ge=0)] = 0
    """Root seed; replications get independent streams spawned from it."""
    replications: Annotated[int, Field(ge=1)] = 100
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

    @property
    def horizon_h(self) -> float:
        """Length of the simulation in hours."""
        return (self.end - self.start).total_seconds() / 3600.0

    @property
    def n_steps(self) -> int:
        """Number of balance steps."""
        return round(self.horizon_h / self.step_h)
