"""The operator's balance with security: scheduled and unscheduled imports,
security limits on links, scheduled exports and operating reserve.

Vectorised over zones and steps (all arrays Z x K, MW). What a zone's node can
draw on, in the order it is used:

- ``scheduled`` imports (contracted flows from outside systems: they flow);
- ``supply``: the zone's own available generation;
- ``headroom``: imports beyond the schedule that may serve any load (today's
  "free" outside links);
- ``extra``: unscheduled imports the operator answers for; they serve only firm
  load and the operating reserve, never licensed miners.

The priorities, highest first:

1. firm load (ordinary consumers and grey miners) from the node supply, over the
   links within their **security limits** (``limits``);
   then from ``extra``; then, as an emergency, from any supply left over the
   rest of the links' thermal capacity (``caps``); what is still short is
   shed in blocks;
2. scheduled exports, from what is left (security limits);
3. the operating **reserve** of each zone, held back from the zone's own
   leftover supply; what it lacks is restored with ``extra`` (an import that
   lets the zone's own units back down: the flows do not change);
4. licensed miners (interruptible, sources E3) from what is left: the rest of
   their allowed load is curtailed.

With ``curtail_licensed_first=False`` licensed miners are ordinary load in step
1: the shortfall falls on firm and licensed load in proportion to their size.
With none of the optional inputs this is exactly :func:`sim.dispatch.balance.solve_balance`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.dispatch.balance import EPS_MW, shed_blocks
from sim.dispatch.transfer import Network, solve


@dataclass
class Dispatch:
    """The solution of one stretch of steps (all Z x K, MW)."""

    flow: np.ndarray
    """Flow on each zone's link to its parent (positive: towards the parent)."""
    shed: np.ndarray
    """Firm load shed."""
    curtailed: np.ndarray
    """Licensed load curtailed for shortage (before clipping to what is allowed)."""
    exported: np.ndarray
    """Scheduled exports delivered."""
    reserve: np.ndarray
    """Operating reserve held."""
    generation: np.ndarray
    """The zone's own generation dispatched."""
    scheduled: np.ndarray
    """Scheduled imports that flowed."""
    unscheduled: np.ndarray
    """Imports beyond the schedule that flowed (``headroom`` and ``extra`` used)."""


def _sub(cols: np.ndarray, *arrays: np.ndarray) -> list[np.ndarray]:
    return [a[:, cols] for a in arrays]


def _room(up: np.ndarray, down: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What is left of the limits each way with flow ``x`` on the links (an
    emergency flow may already be past a security limit: then none that way)."""
    return np.maximum(up - x, 0.0), np.maximum(down + x, 0.0)


def solve_secure(
    net: Network,
    supply: np.ndarray,
    firm: np.ndarray,
    allowed: np.ndarray,
    caps: tuple[np.ndarray, np.ndarray],
    *,
    scheduled: np.ndarray | None = None,
    headroom: np.ndarray | None = None,
    extra: np.ndarray | None = None,
    export: np.ndarray | None = None,
    reserve: np.ndarray | None = None,
    limits: tuple[np.ndarray, np.ndarray] | None = None,
    block_fraction: float = 0.0,
    curtail_licensed_first: bool = True,
) -> Dispatch:
    """Serve firm load, exports, reserve and licensed load in that order (see the module).

    ``caps`` are the thermal capacities of each zone's link to its parent and
    back (``up``, ``down``); ``limits`` the security limits the same way
    (default: the thermal capacities).
    """
    up, down = caps
    zeros = np.zeros_like(supply)
    sched = zeros if scheduled is None else scheduled
    head = zeros if headroom is None else headroom
    node = supply + sched + head
    sec_up, sec_down = caps if limits is None else limits
    load1 = firm if curtail_licensed_first else firm + allowed
    served, x, left = solve(net, node, load1, sec_up, sec_down)
    ex_left = zeros.copy() if extra is None else extra.copy()
    cols = (load1 - served > EPS_MW).any(axis=0)
    if extra is not None and cols.any():
        e, s, f, u, d = _sub(cols, extra, load1 - served, x, sec_up, sec_down)
        s2, x2, ex_left[:, cols] = solve(net, e, s, u - f, d + f)
        served[:, cols] += s2
        x[:, cols] += x2
        cols = (load1 - served > EPS_MW).any(axis=0)
    if limits is not None and cols.any():
        # Emergency: the links above their security limits, for firm load only.
        lft, e, s, f, u, d = _sub(cols, left, ex_left, load1 - served, x, up, down)
        s3, x3, rest = solve(net, lft + e, s, u - f, d + f)
        served[:, cols] += s3
        x[:, cols] += x3
        ex_left[:, cols] = np.minimum(e, rest)  # unscheduled imports are used last
        left[:, cols] = rest - ex_left[:, cols]
    lost = shed_blocks(load1 - served, load1, block_fraction)
    over = np.maximum(served - (load1 - lost), 0.0)  # freed by shedding whole blocks
    if curtail_licensed_first:
        shed, curtailed = lost, zeros.copy()
    else:
        share = np.divide(firm, load1, out=np.zeros_like(load1), where=load1 > 0)
        shed = lost * share
        curtailed = lost - shed
    exported = zeros
    if export is not None and export.any():
        exported, xe, left = solve(net, left, export, *_room(sec_up, sec_down, x))
        x = x + xe
    held = zeros
    swap = zeros
    if reserve is not None and reserve.any():
        held = np.minimum(reserve, left)
        left = left - held
        if extra is not None:
            running = np.clip(node - left - held - sched, 0.0, supply)  # own units at work
            swap = np.clip(np.minimum(reserve - held, ex_left), 0.0, running)
            ex_left = ex_left - swap
    if curtail_licensed_first:
        served_lic, xl, left = solve(net, left, allowed, *_room(sec_up, sec_down, x))
        x = x + xl
        curtailed = allowed - served_lic
    # Accounting: what the node drew, less what shedding whole blocks freed;
    # scheduled imports first, then the zone's own units, then free headroom.
    drawn = node - left - held
    cut = np.minimum(over, drawn)
    drawn = drawn - cut
    ex_used = zeros if extra is None else extra - ex_left
    ex_used = ex_used - np.minimum(over - cut, ex_used)
    sched_used = np.minimum(sched, drawn)
    own = np.clip(drawn - sched_used, 0.0, supply)
    head_used = drawn - sched_used - own
    return Dispatch(
        flow=x,
        shed=shed,
        curtailed=curtailed,
        exported=exported,
        reserve=held + swap,
        generation=own - swap,
        scheduled=sched_used,
        unscheduled=head_used + ex_used,
    )
