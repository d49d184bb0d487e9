"""Sudden cuts: under-frequency load shedding (UFLS) and the generation that trips
with a frequency collapse (``link_cut`` shocks with ``sudden: true``, the rules
in ``operator.ufls``, :class:`sim.scenario.security.Ufls`).

At the step a sudden cut begins, each zone at an end of a cut link loses the
infeed those links brought it in the step before. Less the reserve it held
then, that is its deficit. A deficit up to the slow stage's share of the load
is met by that stage alone; a larger one takes frequency through the fast
stages: a share of the zone's running generation trips, and the slow stage and
as many fast stages as the deficit (with the tripped generation) needs shed
load; past the last stage the zone blacks out. The tripped units stay out for
``return_h`` hours (or until the cut ends); meanwhile the operator balances the
zone with what is left, restoring load as it can.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.model.clock import Clock
from sim.scenario.schema import LinkCut, Scenario, Ufls


@dataclass(frozen=True)
class SuddenCut:
    """A sudden cut of links, in steps."""

    step: int
    """First step without the links."""
    end: int
    """First step with them back."""
    links: tuple[int, ...]
    """Indices of the cut links in ``scenario.links``."""
    zones: tuple[int, ...]
    """Zones at an end of a cut link."""


@dataclass(frozen=True)
class Collapse:
    """What a sudden cut did to one zone."""

    zone: int
    step: int
    """The step of the cut."""
    until: int
    """First step with the tripped generation back."""
    deficit_mw: float
    """Infeed lost less the reserve held."""
    tripped_mw: float
    """Generation that tripped."""
    shed_mw: float
    """Load shed by the stages (all of it in a blackout)."""


def sudden_cuts(sc: Scenario, clock: Clock) -> tuple[SuddenCut, ...]:
    """The scenario's sudden cuts that begin inside the run."""
    names = [lk.name for lk in sc.links]
    zones = list(sc.zones)
    out = []
    for shock in sc.shocks:
        if not (isinstance(shock, LinkCut) and shock.sudden):
            continue
        k = int(clock.step_of(clock.hours(shock.start)))
        end = clock.n_steps if shock.end is None else int(clock.step_of(clock.hours(shock.end)))
        if not 0 < k < clock.n_steps:
            continue
        links = tuple(names.index(n) for n in shock.links)
        ends = []
        for li in links:
            lk = sc.links[li]
            ends += [lk.to] + ([lk.from_] if lk.from_ in sc.zones else [])
        out.append(SuddenCut(k, max(end, k + 1), links, tuple(dict.fromkeys(zones.index(z) for z in ends))))
    return tuple(out)


def return_steps(ufls: Ufls, clock: Clock) -> int:
    """Steps the tripped generation stays out."""
    return max(1, math.ceil(ufls.return_h / clock.step_h - 1e-9))


def change_steps(cuts: tuple[SuddenCut, ...], ufls: Ufls | None, clock: Clock) -> list[int]:
    """Steps at which the balance's inputs change because of sudden cuts: the step
    after each cut's first (which sheds by stages) and the tripped units' return."""
    if ufls is None:
        return []
    back = return_steps(ufls, clock)
    return [s for c in cuts for s in (c.step + 1, min(c.step + back, c.end)) if s < clock.n_steps]


def collapse(
    ufls: Ufls, infeed: float, reserve: float, running: float, load: float
) -> tuple[float, float, float]:
    """``(deficit, tripped, shed)`` of a zone that loses ``infeed`` MW with
    ``reserve`` MW held, ``running`` MW of its own generation at work and
    ``load`` MW connected (:class:`Collapse`)."""
    deficit = infeed - reserve
    if deficit <= 0 or load <= 0:
        return max(deficit, 0.0), 0.0, 0.0
    slow = ufls.slow_share * load
    if deficit <= slow:
        return deficit, 0.0, slow
    tripped = ufls.trip_share * running
    stage = ufls.fast_share / ufls.fast_stages * load
    n = math.ceil((deficit + tripped - slow) / stage - 1e-9)
    if n > ufls.fast_stages:  # past the last stage: blackout
        return deficit, running, load
    return deficit, tripped, slow + n * stage


def collapses(
    cuts: tuple[SuddenCut, ...],
    ufls: Ufls,
    clock: Clock,
    infeed: np.ndarray,
    reserve: np.ndarray,
    running: np.ndarray,
    load: np.ndarray,
) -> list[Collapse]:
    """What each cut does to each of its zones (all arrays: zones x cuts, the
    state in the step before each cut; ``load`` at the cut's step)."""
    back = return_steps(ufls, clock)
    out = []
    for j, cut in enumerate(cuts):
        for z in cut.zones:
            deficit, tripped, shed = collapse(ufls, infeed[z, j], reserve[z, j], running[z, j], load[z, j])
            if shed > 0:
                out.append(Collapse(z, cut.step, min(cut.step + back, cut.end), deficit, tripped, shed))
    return out
