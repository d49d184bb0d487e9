"""The project's vocabulary: facility states, event kinds, legal status, metrics.

Every module that names a state, an event or a metric takes it from here, so a
typo is an ``AttributeError`` at import, never a silent zero in a count.
``StrEnum`` members compare equal to their strings, so records and Parquet
columns keep plain strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class LegalStatus(StrEnum):
    """Whether the operator knows a mining facility (and can curtail it)."""

    LICENSED = "licensed"
    GREY = "grey"


class FacilityState(StrEnum):
    """States of a mining facility's life cycle, as recorded in events."""

    PENDING = "pending"
    """Not yet connected by the end of the run."""
    CONNECTED = "connected"
    OPERATING = "operating"
    INSPECTED = "inspected"
    COMPLIANT = "compliant"
    CLOSED_VOLUNTARILY = "closed_voluntarily"
    DISCONNECTED_BY_FORCE = "disconnected_by_force"
    EXITED = "exited"
    """Left the country in an ``exodus`` shock."""
    RECONNECTED = "reconnected"
    WENT_GREY = "went_grey"
    """A licensed facility that kept mining outside the operator's limits: its load
    moves from the licensed pool (curtailable) to the grey pool (firm)."""
    MOVED_ABROAD = "moved_abroad"
    """Left for another country because its margin stayed too low for too long."""
    GONE_DARK = "gone_dark"
    """A grey facility that stopped and left once the campaign started (deterrence)."""


class UnitEvent(StrEnum):
    """Events of a generating unit."""

    FAILED = "failed"
    REPAIRED = "repaired"


#: Events that take a facility's load off the grid (relief), in report order.
CLOSURES: tuple[FacilityState, ...] = (
    FacilityState.CLOSED_VOLUNTARILY,
    FacilityState.DISCONNECTED_BY_FORCE,
    FacilityState.EXITED,
)
#: Departures that are not the outcome of an inspection: the exodus shock, the
#: economic exits and deterrence. Their relief is reported as "by exit".
EXITS: tuple[FacilityState, ...] = (
    FacilityState.EXITED,
    FacilityState.MOVED_ABROAD,
    FacilityState.GONE_DARK,
)
#: Every event that takes a facility's load off the grid for good (unless reconnected).
DEPARTURES: tuple[FacilityState, ...] = (*CLOSURES[:2], *EXITS)
#: States in which a facility's load is on the grid.
ON_GRID: frozenset[FacilityState] = frozenset(
    {
        FacilityState.OPERATING,
        FacilityState.INSPECTED,
        FacilityState.COMPLIANT,
        FacilityState.RECONNECTED,
        FacilityState.WENT_GREY,
    }
)
#: States in which a facility is operating and may be picked for inspection.
OPERATING: frozenset[FacilityState] = frozenset(
    {FacilityState.OPERATING, FacilityState.RECONNECTED, FacilityState.WENT_GREY}
)


@dataclass(frozen=True)
class Metric:
    """One reported metric: how every table, figure and check names it."""

    key: str
    """Column in ``replications.parquet`` and key in ``summary.json``."""
    label: str
    """Human label, with the unit in brackets where it has one."""
    unit: str
    """Unit (``MW``, ``MWh``, ``h``, ``events``, ``count``, ``1``)."""
    digits: int
    """Decimals shown in tables."""
    per_zone: bool = False
    """Also reported by zone (``key.Zone``)."""
    non_negative: bool = True
    """Cannot be below zero (intervals are clipped at zero)."""
    headline: bool = False
    """Shown in the side-by-side comparison table."""
    difference: bool = False
    """Reported as a paired difference against a baseline."""
    dated: bool = False
    """A time in days from the scenario's start, NaN when it never came:
    summarised by its median and 5-95 % range (``summary.json``'s ``orders``),
    not by a mean."""


_METRICS = (
    # Signed: before and after, relief is negative when mining consumption rose.
    Metric(
        "relief_mw", "relief at target date (MW)", "MW", 0, headline=True, difference=True, non_negative=False
    ),
    Metric("relief_accounting_mw", "relief, accounting (MW)", "MW", 0),
    Metric("relief_before_after_mw", "relief, before and after (MW)", "MW", 0, non_negative=False),
    Metric("mining_at_target_mw", "mining load on the target day (MW)", "MW", 0, difference=True),
    Metric("closures_voluntary", "voluntary closures", "count", 1, headline=True),
    Metric("closures_forced", "forced closures", "count", 1, headline=True),
    Metric("exits", "exits", "count", 1, headline=True),
    # Exits by kind, and licensed sites gone grey (counts by the target date).
    *(
        Metric(key, text, "count", 1)
        for key, text in (
            ("moved_abroad", "moved abroad"),
            ("gone_dark", "gone dark"),
            ("went_grey", "licensed gone grey"),
        )
    ),
    Metric("licensed_left_share", "licensed miners gone, share of count", "1", 2),
    Metric("licensed_left_share_mw", "licensed miners gone, share of MW", "1", 2),
    Metric("first_rationing_day", "first rationing of licensed miners (days from start)", "d", 0, dated=True),
    Metric("first_cutoff_day", "first cut-off of licensed miners (days from start)", "d", 0, dated=True),
    Metric("criminal_cases", "criminal cases", "count", 1),
    Metric("devices_seized", "devices seized", "count", 0),
    Metric("inspections", "inspections", "count", 1),
    Metric("eue_mwh", "EUE (MWh)", "MWh", 0, per_zone=True, headline=True, difference=True),
    Metric("lole_h", "LOLE (h)", "h", 1, per_zone=True, headline=True, difference=True),
    Metric("lolf", "LOLF (events)", "events", 1, per_zone=True, headline=True, difference=True),
    Metric(
        "peak_shortfall_mw", "deepest shortfall (MW)", "MW", 0, per_zone=True, headline=True, difference=True
    ),
    Metric("eue_after_campaign_mwh", "EUE after the campaign start (MWh)", "MWh", 0),
    Metric("lole_after_campaign_h", "LOLE after the campaign start (h)", "h", 1),
    Metric("shortfall_after_campaign_mw", "deepest shortfall after the campaign start (MW)", "MW", 0),
    Metric("enough", "P(no firm load shed after the campaign start)", "1", 2),
    Metric("curtailed_mwh", "licensed mining curtailed (MWh)", "MWh", 0),
    Metric("imports_mwh", "imports (MWh)", "MWh", 0),
    Metric("unscheduled_mwh", "unscheduled imports (MWh)", "MWh", 0),
    Metric("exports_mwh", "scheduled exports delivered (MWh)", "MWh", 0),
    Metric("peak_demand_mw", "national peak demand (MW)", "MW", 0),
    Metric("winter_generation_mw", "deliverable winter generation (MW)", "MW", 0),
    Metric("mining_mw", "mining load at start (MW)", "MW", 0),
    Metric("probability_within", "P(relief within target band)", "1", 2),
    Metric("probability_reached", "P(relief at least target - tolerance)", "1", 2),
)
#: All metrics by key, in report order.
METRICS: dict[str, Metric] = {m.key: m for m in _METRICS}


def metric(key: str) -> Metric:
    """The metric of ``key``; a per-zone key ``eue_mwh.South`` gives ``eue_mwh``."""
    base = key.split(".", 1)[0]
    return METRICS[base]


def label(key: str) -> str:
    """Label of ``key``, with the zone for a per-zone key."""
    base, _, zone = key.partition(".")
    m = METRICS.get(base)
    if m is None:
        return key
    return f"{m.label}, {zone}" if zone else m.label


#: Keys of the headline table, of paired differences, of per-zone loss metrics.
HEADLINE = tuple(m.key for m in _METRICS if m.headline)
DIFFERENCES = tuple(m.key for m in _METRICS if m.difference)
ZONE_METRICS = tuple(m.key for m in _METRICS if m.per_zone)
DATED = tuple(m.key for m in _METRICS if m.dated)
