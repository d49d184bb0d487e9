"""The balance rule of one stretch of steps, vectorised over zones and steps.

1. Each zone's supply is its available generation plus what its outside links
   can import; transfers move surplus to zones in deficit (:mod:`.transfer`).
2. Firm load (ordinary consumers and grey miners, whom the operator cannot tell
   apart) is served first. If short, it is shed in blocks of a fraction of the
   zone's firm load (rotating emergency schedules).
3. Licensed miners (interruptible, sources E3) get what is left, through what is
   left of the links: the rest of their allowed load is curtailed.

With ``curtail_licensed_first=False`` licensed miners are ordinary load: the
shortfall falls on firm and licensed load in proportion to their size.
"""

from __future__ import annotations

import numpy as np

from sim.dispatch.transfer import Network, solve

#: Shed below this (MW) counts as none: guards against round-off.
EPS_MW = 1e-6
#: Slack when rounding a shortfall up to whole blocks, so that a shortfall of
#: exactly k blocks (up to round-off) is k blocks, not k + 1.
BLOCK_ROUNDING = 1e-9


def solve_balance(
    net: Network,
    supply: np.ndarray,
    firm: np.ndarray,
    allowed: np.ndarray,
    up: np.ndarray,
    down: np.ndarray,
    block_fraction: float = 0.0,
    curtail_licensed_first: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Serve firm and licensed load from ``supply`` (all Z x K arrays, MW).

    Returns ``(flow_up, shed, curtailed, leftover)``: flow on each zone's link
    to its parent (positive towards the parent), firm load shed, licensed load
    curtailed for shortage (before clipping to what is allowed) and supply left
    unused.
    """
    if curtail_licensed_first:
        served, x, left = solve(net, supply, firm, up, down)
        shed = shed_blocks(firm - served, firm, block_fraction)
        runnable = allowed
        if block_fraction:
            # Whole blocks shed more than the shortfall: serve only the rest, so
            # that flows and leftover supply match. The spare part of the last
            # block stays unused: a zone that sheds firm load runs no miners.
            _, x, left = solve(net, supply, firm - shed, up, down)
            runnable = np.where(shed > EPS_MW, 0.0, allowed)
        served_lic, x2, left = solve(net, left, runnable, up - x, down + x)
        return x + x2, shed, allowed - served_lic, left
    total = firm + allowed
    served_all, flow, left = solve(net, supply, total, up, down)
    lost = shed_blocks(total - served_all, total, block_fraction)
    if block_fraction:
        _, flow, left = solve(net, supply, total - lost, up, down)
    share = np.divide(firm, total, out=np.zeros_like(total), where=total > 0)
    shed = lost * share
    return flow, shed, lost - shed, left


def shed_blocks(short: np.ndarray, load: np.ndarray, fraction: float) -> np.ndarray:
    """Shed ``short`` rounded up to whole blocks of ``fraction`` of ``load``
    (``fraction`` 0: exactly ``short``), never more than ``load``."""
    short = np.where(short > EPS_MW, short, 0.0)
    if fraction == 0:
        return short
    size = fraction * load
    with np.errstate(invalid="ignore", divide="ignore"):
        n = np.where(size > 0, np.ceil(short / size - BLOCK_ROUNDING), 0.0)
    return np.minimum(n * size, load)
