"""The mining load in a scenario and the campaign against it: device mix,
facility sizes, populations by zone and legal status, and the enforcement agency.

Part of the scenario schema (:mod:`sim.scenario.schema` gathers every model); one
docstring per field is its reference documentation.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, StrictBool, StrictInt, model_validator

from sim.scenario import base
from sim.scenario.base import Count, Duration, Frozen, Number, Positive, Probability, Status, Window
from sim.scenario.economics import Economics
from sim.vocab import LegalStatus

#: Most teams an escalation may add.
MAX_TEAMS = 10**6

# --------------------------------------------------------------------------- mining


class Hardware(Frozen):
    """One class of mining device and its share of the installed devices."""

    name: str
    """Device class, e.g. ``S9``."""
    kw: Annotated[Number, Field(ge=0.01)]
    """Power per device, kW."""
    share: Probability
    """Share of devices of this class."""
    j_per_th: Positive | None = None
    """Energy per hash, J/TH (W per TH/s); needed by ``mining.economics``."""


class SizeDistribution(Frozen):
    """Lognormal facility sizes, given by median and 90th percentile, capped."""

    median_mw: Annotated[Number, Field(ge=0.001)] = 3.0
    """Median facility capacity, MW."""
    p90_mw: Positive = 15.0
    """90th percentile, MW (above the median)."""
    cap_mw: Positive = 35.0
    """Largest facility, MW (larger draws are redrawn)."""
    min_mw: Annotated[Number, Field(ge=0.0)] = 0.1
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
    legal_status: Status
    """``licensed`` (known to the operator, interruptible) or ``grey`` (hidden)."""
    total_mw: Positive | None = None
    """Total capacity, MW: facilities are drawn until it is reached. Or give ``count``."""
    count: Count | None = None
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
        Hardware(name="S9", kw=1.35, share=0.40, j_per_th=98.0),
        Hardware(name="S17", kw=2.7, share=0.25, j_per_th=48.0),
        Hardware(name="S19", kw=3.25, share=0.35, j_per_th=32.0),
    )
    """Device mix (sources 3.3: M24 to M26; the S17's 48 J/TH an estimate); shares must sum to 1."""
    overhead: Annotated[Number, Field(ge=1.0, le=10.0)] = 1.07
    """Facility power per device power (cooling, losses)."""
    grey_scale: Positive = 1.0
    """Multiplier on every grey population's ``total_mw`` (for sweeps)."""
    economics: Economics = Economics()
    """Margins, exits abroad and switches to grey mining (off by default)."""

    @model_validator(mode="after")
    def _shares(self) -> Self:
        total = sum(h.share for h in self.hardware)
        if self.hardware and abs(total - 1.0) > base.SUM_TOLERANCE:
            raise ValueError(f"hardware shares must sum to 1, got {total:g}")
        if self.economics.enabled and any(h.j_per_th is None for h in self.hardware):
            raise ValueError("mining.economics needs j_per_th for every hardware class")
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
        if abs(total - 1.0) > base.SUM_TOLERANCE:
            raise ValueError(f"outcome probabilities must sum to 1, got {total:g}")
        return self


class Targeting(Frozen):
    """Which site the agency inspects next."""

    policy: Literal["random", "largest_first", "anomaly", "tipoffs"] = "anomaly"
    """``random``; ``largest_first``; ``anomaly`` (grid-data detection: the chance a
    site is picked grows with its size to the power ``size_exponent``);
    ``tipoffs`` (random, but grey sites ``tipoff_weight`` times as likely)."""
    size_exponent: Annotated[Number, Field(ge=0.0, le=10.0)] = 1.0
    """Exponent of size in the ``anomaly`` weights."""
    tipoff_weight: Positive = 3.0
    """Weight of grey sites against licensed ones under ``tipoffs``."""
    statuses: tuple[Status, ...] = (LegalStatus.GREY, LegalStatus.LICENSED)
    """Legal statuses the campaign inspects."""


class Trigger(Frozen):
    """What starts the campaign: a signal from the grid, then a delay."""

    after: Literal["date", "first_limit", "first_cutoff", "first_shedding"]
    """``date``: the campaign window's start; ``first_limit``: the first time the
    operator limits licensed miners; ``first_cutoff``: the first time it cuts them
    off entirely (limit 0); ``first_shedding``: the first time firm load is shed.
    The times come from the replication's grid signals
    (:class:`sim.model.signals.GridSignals`); a signal that never comes never
    starts the campaign."""
    delay_days: base.NonNegative = 0.0
    """Days from the signal to the first inspection (decision, staffing)."""


class Escalation(Frozen):
    """The campaign's pace after it has run for a while."""

    after_days: base.NonNegative
    """Days after the campaign's start."""
    extra_teams: Annotated[StrictInt, Field(ge=0, le=MAX_TEAMS)] = 0
    """Teams added (they join as soon as the escalation comes)."""
    inspection_factor: Annotated[Number, Field(gt=0.0, le=1.0)] = 1.0
    """Multiplier on the mean time of inspections started from then on."""


class Deterrence(Frozen):
    """Grey sites that stop and leave once the campaign starts, before anyone calls."""

    probability: Probability
    """Chance that a grey site of ``reference_mw`` on the grid at the campaign's
    start leaves (``gone_dark``)."""
    size_exponent: Annotated[Number, Field(ge=-10.0, le=10.0)] = 0.0
    """The chance scales as (capacity / reference_mw) ** size_exponent, capped at
    1 (positive: large sites, more visible in grid data, leave more often)."""
    reference_mw: Positive = 5.0
    """Capacity at which the chance is ``probability``, MW."""
    delay: Duration = Duration(mean_days=7.0, cv=0.5)
    """From the campaign's start to the site's load leaving the grid."""


class Enforcement(Frozen):
    """The inspection campaign of the enforcement agency."""

    enabled: StrictBool = True
    """Whether the campaign runs at all."""
    teams: Count = 4
    """Inspection teams working at once (a SimPy resource)."""
    campaign: Window | None = None
    """When inspections may run (local time). With a ``trigger`` the campaign starts
    at the trigger, but not before this window's start, and stops at its end."""
    trigger: Trigger | None = None
    """What starts the campaign (none: the window's start, a scripted campaign)."""
    escalation: Escalation | None = None
    """A faster pace after a while (none: the same pace throughout)."""
    deterrence: Deterrence | None = None
    """Grey sites leaving when the campaign starts (none: none leave)."""
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
        after = None if self.trigger is None else self.trigger.after
        if self.enabled and self.campaign is None and after in (None, "date"):
            raise ValueError("an enabled campaign needs a campaign window")
        return self
