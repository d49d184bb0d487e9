"""What the units can give over the year: monthly derating, hydro energy budgets
placed on the peak hours, wind's seasonal and random capacity factor.

Units are grouped into *supply classes*: the units of one zone that share their
seasonal keys. The outage record gives each class's capacity in service
(:func:`sim.model.generation.available_capacity`, with the classes in place of
the zones), which is multiplied by the class's factor at each step:

- ``1 - derating`` of the month (``monthly_derating``, or ``winter_derating``
  in its ``winter_months``);
- for an energy budget (hydro): the share of capacity that places the month's
  energy on the peak hours of each day of the zone's load shape (water-filling:
  output ``min(ceiling, max(0, demand - level) / capacity)`` with the day's
  level set so that the day gets its share of the month's energy);
- for a capacity factor (wind): the day's random factor, drawn per replication.

A scenario with none of these keys keeps the plain path (one class per zone
and the winter switch), so its results do not change.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from sim.model import generation
from sim.model.clock import Clock
from sim.model.processes import ar1, n_days
from sim.scenario.schema import CapacityFactor, Fleet, Scenario

#: Bisection steps of the water-filling level (the error halves each step).
FILL_ITERATIONS = 60


@dataclass(frozen=True)
class SupplyClasses:
    """Units grouped by zone and seasonal keys (P classes)."""

    units: generation.UnitTable
    """The units with their class in place of their zone, and no derating."""
    zone: np.ndarray
    """Zone of each class (P,)."""
    factor: np.ndarray
    """Share of the capacity in service each class can give per step (P x T)."""
    variable: tuple[tuple[int, CapacityFactor], ...]
    """Classes with a random capacity factor, and its process."""
    to_zones: np.ndarray
    """Z x P: 1 where a class is in a zone (sums the classes into zones)."""


def monthly_derating(fleet: Fleet) -> tuple[float, ...]:
    """The fleet's derating in each month, January to December."""
    if fleet.monthly_derating is not None:
        return tuple(fleet.monthly_derating)
    return tuple(fleet.winter_derating if m in fleet.winter_months else 0.0 for m in range(1, 13))


def is_seasonal(sc: Scenario) -> bool:
    """Whether any fleet uses a key of :class:`sim.scenario.supply.Seasonal`."""
    return any(
        f.monthly_derating is not None or f.energy is not None or f.capacity_factor is not None
        for f in sc.generation.units
    )


def fill_peaks(demand: np.ndarray, clock: Clock, budget: np.ndarray, ceiling: np.ndarray) -> np.ndarray:
    """Water-filling of each day (all arrays per step): the share of capacity
    ``f = min(ceiling, max(0, demand - level) / peak)`` with each day's level set
    so that the day's mean of ``f`` is its ``budget`` (the day's mean of the
    budget; all of ``ceiling`` if the budget reaches it)."""
    days = clock.day
    n = n_days(clock)
    count = np.bincount(days, minlength=n)
    want = np.bincount(days, weights=budget, minlength=n) / count
    scale = max(float(demand.max()), 1e-9)
    d = demand / scale
    lo = np.full(n, d.min() - 1.0)  # level below every demand: f = ceiling
    hi = np.full(n, d.max())  # level at the top: f = 0
    for _ in range(FILL_ITERATIONS):
        mid = (lo + hi) / 2
        f = np.minimum(ceiling, np.maximum(d - mid[days], 0.0) * scale)
        got = np.bincount(days, weights=f, minlength=n) / count
        more = got > want  # too much energy: raise the level
        lo = np.where(more, mid, lo)
        hi = np.where(more, hi, mid)
    return np.minimum(ceiling, np.maximum(d - hi[days], 0.0) * scale)


def supply_classes(
    sc: Scenario, clock: Clock, units: generation.UnitTable, demand: np.ndarray
) -> SupplyClasses | None:
    """The supply classes of a scenario (``demand``: each zone's load shape, Z x
    T); none if no fleet has a seasonal key."""
    if not is_seasonal(sc):
        return None
    fleets = sc.generation.units
    keys: list[tuple] = []
    fleet_class = []
    for f, z in zip(fleets, [list(sc.zones).index(f.zone) for f in fleets], strict=True):
        key = (z, monthly_derating(f), f.energy, f.capacity_factor)
        if key not in keys:
            keys.append(key)
        fleet_class.append(keys.index(key))
    cls = np.asarray(fleet_class, dtype=np.int64)[units.fleet]
    P, T = len(keys), clock.n_steps
    factor = np.ones((P, T))
    month = clock.month - 1
    variable = []
    for p, (z, derating, energy, cf) in enumerate(keys):
        ceiling = 1.0 - np.asarray(derating)[month]
        if energy is not None:
            peak = units.capacity_mw[cls == p].sum()
            budget = np.asarray(energy)[month] * np.ones(T)
            factor[p] = fill_peaks(demand[z] / max(peak, 1e-9), clock, budget, ceiling)
        else:
            factor[p] = ceiling
        if cf is not None:
            variable.append((p, cf))
    single = np.zeros((1, 12), dtype=bool)
    plain = replace(
        units,
        zone=cls,
        derating=np.zeros(units.n),
        winter=np.zeros((units.n, 12), dtype=bool),
        patterns=single,
        group=np.zeros(units.n, dtype=np.int64),
    )
    zone = np.array([k[0] for k in keys], dtype=np.int64)
    to_zones = (np.arange(len(sc.zones))[:, None] == zone[None, :]).astype(float)
    return SupplyClasses(plain, zone, factor, tuple(variable), to_zones)


def draw_variable(sup: SupplyClasses | None, clock: Clock, rng: np.random.Generator) -> np.ndarray:
    """Each random class's capacity factor per step (W x T):
    ``monthly x exp(sd x e - sd^2 / 2)``, clipped to 0..1, with one AR(1) ``e``
    per distinct capacity factor, in class order: the zones' plants of one type
    share the weather (one country-wide wind)."""
    if sup is None or not sup.variable:
        return np.zeros((0, clock.n_steps))
    days = n_days(clock)
    out = np.empty((len(sup.variable), clock.n_steps))
    month = clock.month - 1
    drawn: dict[CapacityFactor, np.ndarray] = {}
    for i, (_, cf) in enumerate(sup.variable):
        if cf not in drawn:
            spread = np.exp(cf.sd * ar1(rng, days, cf.persistence) - cf.sd**2 / 2)[clock.day]
            drawn[cf] = np.minimum(np.asarray(cf.monthly)[month] * spread, 1.0)
        out[i] = drawn[cf]
    return out


def available(
    units: generation.UnitTable,
    sup: SupplyClasses | None,
    variable: np.ndarray,
    clock: Clock,
    n_zones: int,
    outages: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    pos: np.ndarray,
    starts: np.ndarray,
) -> np.ndarray:
    """Available capacity per zone at each run of steps (Z x n, MW): the units in
    service (``outages``: the record of their changes), derated, with hydro's
    energy and wind's factor (``outages``: :func:`sim.model.outages.sample_outages`,
    the changes and each unit's state at time 0)."""
    if sup is None:
        return generation.available_capacity(units, clock, n_zones, *outages, pos=pos, starts=starts)
    P, n = sup.zone.size, starts.size
    if sup.units.held_out:
        level = generation.available_capacity(sup.units, clock, P, *outages, pos=pos, starts=starts)
    else:  # no unit held out: the capacity in service of each class from its changes
        t, u, up, up0 = outages
        cap, cls = sup.units.capacity_mw, sup.units.zone
        delta = np.bincount(
            cls[u] * (n + 1) + pos[clock.step_of(t)], np.where(up, cap[u], -cap[u]), minlength=P * (n + 1)
        ).reshape(P, n + 1)
        delta[:, 0] += np.bincount(cls, cap * up0, minlength=P)
        level = np.cumsum(delta, axis=1)[:, :n]
    every = starts.size == clock.n_steps  # then ``starts`` are all the steps
    level *= sup.factor if every else sup.factor[:, starts]
    for i, (p, _) in enumerate(sup.variable):
        level[p] *= variable[i] if every else variable[i, starts]
    return sup.to_zones @ level
