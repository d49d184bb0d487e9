"""The balance with outside links, security limits, reserve and sudden cuts, and
the flow on every link: the glue between a replication's inputs and
:func:`sim.dispatch.security.solve_secure` and :mod:`sim.model.frequency`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.dispatch.runs import Steps, expand_fields
from sim.dispatch.security import Dispatch
from sim.model import frequency, outside
from sim.model.replication import Raw, Static


@dataclass
class LinkFlows:
    """Flows on the links and what the security rules did (per step, MW)."""

    flow: np.ndarray
    """Every link in scenario order (L x T): positive in its ``from -> to``
    direction; for an outside link, imports less exports."""
    imports: np.ndarray
    """Each outside link's imports, scheduled and unscheduled (L_o x T)."""
    unscheduled: np.ndarray
    """Each outside link's imports beyond its schedule (L_o x T)."""
    exports: np.ndarray
    """Each outside link's scheduled exports delivered (L_o x T)."""
    exported: np.ndarray
    """Scheduled exports delivered per zone (Z x T)."""
    reserve: np.ndarray
    """Operating reserve held per zone (Z x T)."""
    dispatched: np.ndarray
    """Each zone's own generation dispatched (Z x T)."""
    up_limit: np.ndarray | None
    """Security limits of each zone's link to its parent (Z x T), if any."""
    down_limit: np.ndarray | None
    collapses: list[frequency.Collapse]
    """What sudden cuts did (under-frequency load shedding, tripped generation)."""


@dataclass
class RunLinkFlows:
    """:class:`LinkFlows` as series constant on runs of steps."""

    flow: Steps
    imports: Steps
    unscheduled: Steps
    exports: Steps
    exported: Steps
    reserve: Steps
    dispatched: Steps
    up_limit: np.ndarray | None
    down_limit: np.ndarray | None
    collapses: list[frequency.Collapse]

    def expand(self) -> LinkFlows:
        """The per-step :class:`LinkFlows`."""
        return LinkFlows(**expand_fields(self, LinkFlows))


Solver = Callable[..., Dispatch]


def solve(
    static: Static,
    raw: Raw,
    gen: np.ndarray,
    firm: np.ndarray,
    allowed: np.ndarray,
    cols: np.ndarray,
    solver: Solver,
) -> tuple[Dispatch, outside.ZoneImports]:
    """Solve the balance at the steps ``cols`` (the first step of each run)."""
    ol = static.outside
    Z, K = gen.shape
    zi = outside.zone_imports(ol, raw.availability, cols, Z)
    op = static.scenario.operator
    reserve = static.reserve[:, None] * np.ones(K) if static.reserve.any() else None
    limits = (static.up_limit, static.down_limit)

    res = solver(
        static.network,
        gen,
        firm,
        allowed,
        (outside.columns(static.up_cap, cols), outside.columns(static.down_cap, cols)),
        scheduled=zi.scheduled if zi.scheduled.any() else None,
        headroom=None if ol.firm_only else zi.room,
        extra=zi.room if ol.firm_only else None,
        export=zi.export if zi.export.any() else None,
        reserve=reserve,
        limits=None if static.up_limit is None else tuple(outside.columns(a, cols) for a in limits),
        block_fraction=op.shed_block_fraction,
        curtail_licensed_first=op.curtail_licensed_first,
    )
    return res, zi


def per_link(static: Static, res: Dispatch, zi: outside.ZoneImports) -> tuple[np.ndarray, ...]:
    """``(flow, imports, unscheduled, exports)``: the flow on every link (L x K)
    and the outside links' parts (L_o x K) of a balance."""
    ol, net = static.outside, static.network
    imports, unsched, exports = outside.link_flows(ol, zi, res.scheduled, res.unscheduled, res.exported)
    flow = np.zeros((len(static.scenario.links), res.flow.shape[1]))
    for z, li in enumerate(net.link):
        if li >= 0:
            flow[li] = res.flow[z] if net.up_is_forward[z] else -res.flow[z]
    flow[ol.index] = imports - exports
    return flow, imports, unsched, exports


def link_flows(
    static: Static,
    res: Dispatch,
    zi: outside.ZoneImports,
    expand: Callable[[np.ndarray], Steps],
    collapses: list[frequency.Collapse],
) -> RunLinkFlows:
    """Flows per link from the balance (``expand``: the solved columns to a
    series on runs of steps)."""
    flow, imports, unsched, exports = per_link(static, res, zi)
    return RunLinkFlows(
        flow=expand(flow),
        imports=expand(imports),
        unscheduled=expand(unsched),
        exports=expand(exports),
        exported=expand(res.exported),
        reserve=expand(res.reserve),
        dispatched=expand(res.generation),
        up_limit=static.up_limit,
        down_limit=static.down_limit,
        collapses=collapses,
    )


def sudden_cuts(
    static: Static,
    raw: Raw,
    gen: np.ndarray,
    firm: np.ndarray,
    allowed: np.ndarray,
    pos: np.ndarray,
    starts: np.ndarray,
    solver: Solver,
) -> list[frequency.Collapse]:
    """What the scenario's sudden cuts do (from the balance of the step before
    each), taking the tripped generation out of ``gen`` (per run, changed in place)."""
    ufls = static.scenario.operator.ufls
    if not static.cuts or ufls is None:
        return []
    before = np.array([pos[c.step - 1] for c in static.cuts])
    at = np.array([pos[c.step] for c in static.cuts])
    res, zi = solve(static, raw, gen[:, before], firm[:, before], allowed[:, before], starts[before], solver)
    flow = per_link(static, res, zi)[0]
    zones = list(static.zones)
    infeed = np.zeros((len(zones), len(static.cuts)))
    for j, cut in enumerate(static.cuts):
        for li in cut.links:
            lk = static.scenario.links[li]
            infeed[zones.index(lk.to), j] += flow[li, j]
            if lk.from_ in static.scenario.zones:
                infeed[zones.index(lk.from_), j] -= flow[li, j]
    load = firm[:, at] + allowed[:, at]
    events = frequency.collapses(static.cuts, ufls, static.clock, infeed, res.reserve, res.generation, load)
    for ev in events:
        runs = slice(pos[ev.step], pos[ev.until])
        gen[ev.zone, runs] = np.maximum(gen[ev.zone, runs] - ev.tripped_mw, 0.0)
    return events


def shed_by_stages(events: list[frequency.Collapse], res: Dispatch, firm: np.ndarray, allowed: np.ndarray,
                   pos: np.ndarray) -> None:  # fmt: skip
    """At the step of each cut, the load the stages shed (in proportion to firm
    and licensed load) where it is more than the balance would shed; licensed
    miners are all off. The zone's own units back down by what is no longer
    served (``res`` changed in place)."""
    for ev in events:
        z, r = ev.zone, pos[ev.step]
        load = firm[z, r] + allowed[z, r]
        shed = max(res.shed[z, r], ev.shed_mw * firm[z, r] / load if load > 0 else 0.0)
        less = (shed - res.shed[z, r]) + (allowed[z, r] - res.curtailed[z, r])
        res.shed[z, r] = shed
        res.curtailed[z, r] = allowed[z, r]
        res.generation[z, r] = max(res.generation[z, r] - less, 0.0)
        res.reserve[z, r] = 0.0
