"""The balance with outside links, security limits and reserve, and the flow on
every link: the glue between a replication's inputs and
:func:`sim.dispatch.security.solve_secure`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.dispatch.security import Dispatch
from sim.model import outside
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

    def limit(a: np.ndarray | None) -> np.ndarray | None:
        return None if a is None else a[:, cols]

    res = solver(
        static.network,
        gen,
        firm,
        allowed,
        static.up_cap[:, cols],
        static.down_cap[:, cols],
        scheduled=zi.scheduled if zi.scheduled.any() else None,
        headroom=None if ol.firm_only else zi.room,
        extra=zi.room if ol.firm_only else None,
        export=zi.export if zi.export.any() else None,
        reserve=reserve,
        up_limit=limit(static.up_limit),
        down_limit=limit(static.down_limit),
        block_fraction=op.shed_block_fraction,
        curtail_licensed_first=op.curtail_licensed_first,
    )
    return res, zi


def link_flows(
    static: Static, res: Dispatch, zi: outside.ZoneImports, expand: Callable[[np.ndarray], np.ndarray]
) -> LinkFlows:
    """Flows per link from the balance (``expand``: runs to steps)."""
    ol, net = static.outside, static.network
    imports, unsched, exports = outside.link_flows(ol, zi, res.scheduled, res.unscheduled, res.exported)
    K = res.flow.shape[1]
    flow = np.zeros((len(static.scenario.links), K))
    for z, li in enumerate(net.link):
        if li >= 0:
            flow[li] = res.flow[z] if net.up_is_forward[z] else -res.flow[z]
    flow[ol.index] = imports - exports
    return LinkFlows(
        flow=expand(flow),
        imports=expand(imports),
        unscheduled=expand(unsched),
        exports=expand(exports),
        exported=expand(res.exported),
        reserve=expand(res.reserve),
        dispatched=expand(res.generation),
        up_limit=static.up_limit,
        down_limit=static.down_limit,
    )
