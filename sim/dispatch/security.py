"""The operator's balance with security: scheduled and unscheduled imports,
security limits on links, scheduled exports and operating reserve.

Vectorised over zones and steps (all arrays Z x K, MW). What a zone's node can
draw on, in the order it is used:

- ``scheduled`` imports (contracted flows from outside systems: they flow);
- ``supply``: the zone's own available generation;
- ``headroom``: imports beyond the schedule that may serve any load (today's
  "free" outside links);
- ``extra``: unscheduled imports the operator answers for; they serve only firm
  load, never the operating reserve nor licensed miners.

The priorities, highest first:

1. firm load (ordinary consumers and grey miners) from the node supply, over the
   links within their **security limits** (``limits``);
   then from ``extra``; then, as an emergency, from any supply left over the
   rest of the links' thermal capacity (``caps``); what is still short is
   shed in blocks;
2. the operating **reserve** of each zone, held back from the zone's own
   leftover supply (what it lacks stays short: it is not imported);
3. scheduled exports, from what is left (security limits);
4. licensed miners (interruptible, sources E3) from what is left: the rest of
   their allowed load is curtailed.

With ``curtail_licensed_first=False`` licensed miners are ordinary load in step
1: the shortfall falls on firm and licensed load in proportion to their size.
With none of the optional inputs this is exactly :func:`sim.dispatch.balance.solve_balance`.
"""

from __future__ import annotations

import functools
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
    """The columns ``cols`` (indices) of each array."""
    return [a.take(cols, axis=1) for a in arrays]


def _put(a: np.ndarray, cols: np.ndarray, b: np.ndarray, add: bool = False) -> None:
    """``a[:, cols] = b`` (or ``+=``), row by row: much faster than at once."""
    for z in range(a.shape[0]):
        row = a[z]
        row[cols] = row[cols] + b[z] if add else b[z]


def _short(load: np.ndarray, served: np.ndarray) -> np.ndarray:
    """Indices of the steps at which some zone's load is not all served."""
    return np.flatnonzero((load - served > EPS_MW).any(axis=0))


def _room(up: np.ndarray, down: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What is left of the limits each way with flow ``x`` on the links (an
    emergency flow may already be past a security limit: then none that way)."""
    return np.maximum(up - x, 0.0), np.maximum(down + x, 0.0)


def _trees(net: Network) -> tuple[np.ndarray, ...]:
    """The zones of each tree of more than one zone (transfers stay within a tree)."""
    return _forest(tuple(net.parent.tolist()), net.preorder)[0]


@functools.lru_cache(maxsize=32)
def _forest(
    parent: tuple[int, ...], preorder: tuple[int, ...]
) -> tuple[tuple[np.ndarray, ...], tuple[tuple[int, int, tuple[tuple[int, bool], ...]], ...]]:
    """The trees of more than one zone (:func:`_trees`) and, for every ordered
    pair of zones ``(a, b)`` of one, the links from ``a`` to ``b`` (:func:`_path`):
    worked out once per network."""
    root = np.arange(len(parent))
    for z in preorder:
        if parent[z] >= 0:
            root[z] = root[parent[z]]
    trees = tuple(np.flatnonzero(root == r) for r in np.unique(root) if (root == r).sum() > 1)
    pairs = tuple(
        (int(a), int(b), tuple(_path(parent, int(a), int(b))))
        for tree in trees
        for a in tree
        for b in tree
        if a != b
    )
    return trees, pairs


def _serve(
    net: Network, supply: np.ndarray, load: np.ndarray, up: np.ndarray, down: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`~sim.dispatch.transfer.solve`, with each zone's own supply used
    first and the tree solved only at the steps where a zone still lacks and
    another has some left (the same solution: zones serve themselves first)."""
    local = np.minimum(load, supply)
    left, rest = supply - local, load - local
    x = np.zeros_like(supply)
    need = np.zeros(supply.shape[1], dtype=bool)
    for tree in _trees(net):
        need |= (rest[tree] > EPS_MW).any(axis=0) & (left[tree] > EPS_MW).any(axis=0)
    cols = np.flatnonzero(need)
    if cols.size:
        got, xc, lc = solve(net, *_sub(cols, left, rest, up, down))
        _put(x, cols, xc)
        _put(left, cols, lc)
        _put(local, cols, got, add=True)
    return local, x, left


def _path(parent: tuple[int, ...], a: int, b: int) -> list[tuple[int, bool]]:
    """The links from zone ``a`` to zone ``b`` of one tree (``parent``: each
    zone's parent, -1 for a root), each as (the child zone of the link, whether
    the path goes up it, child to parent)."""

    def up_from(z: int) -> list[int]:
        chain = [z]
        while parent[chain[-1]] >= 0:
            chain.append(parent[chain[-1]])
        return chain

    ua, ub = up_from(a), up_from(b)
    common = next(z for z in ua if z in ub)
    return [(z, True) for z in ua[: ua.index(common)]] + [(z, False) for z in ub[: ub.index(common)]]


def _could_send(
    net: Network, giving: np.ndarray, short: np.ndarray, x: np.ndarray, up: np.ndarray, down: np.ndarray
) -> np.ndarray:
    """Steps at which some ``giving`` zone could send power to a ``short`` zone
    of its tree over what the links have left with flows ``x`` (Z x K each)."""
    out = np.zeros(x.shape[1], dtype=bool)
    for a, b, path in _forest(tuple(net.parent.tolist()), net.preorder)[1]:
        can = giving[a] & short[b]
        for z, going_up in path:
            room = up[z] - x[z] if going_up else down[z] + x[z]
            can &= room > EPS_MW
        out |= can
    return out


def _exports_then_licensed(
    net: Network,
    supply: np.ndarray,
    export: np.ndarray | None,
    lic: np.ndarray,
    up: np.ndarray,
    down: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(exported, licensed served, flow, leftover)``: exports served first, then
    licensed load, from ``supply`` within ``up``/``down``. Solved for both at
    once, and again in order only at the steps where an export falls short (where
    all exports are served, serving them first changes nothing)."""
    if export is None or not export.any():
        served, x, left = _serve(net, supply, lic, up, down)
        return np.zeros_like(supply), served, x, left
    got, x, left = _serve(net, supply, export + lic, up, down)
    exported = np.minimum(export, got)
    served = got - exported
    # The order matters only where an export is short and a zone serving
    # licensed load could send it power over what the links have left.
    cols = np.flatnonzero(_could_send(net, served > EPS_MW, export - exported > EPS_MW, x, up, down))
    if cols.size:
        sup, exp, lc, u, d = _sub(cols, supply, export, lic, up, down)
        e1, x1, l1 = solve(net, sup, exp, u, d)
        s2, x2, l2 = solve(net, l1, lc, np.maximum(u - x1, 0.0), np.maximum(d + x1, 0.0))
        for a, b in ((exported, e1), (served, s2), (x, x1 + x2), (left, l2)):
            _put(a, cols, b)
    return exported, served, x, left


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
    cols = _short(load1, served)
    if extra is not None and cols.size:
        e, s, f, u, d = _sub(cols, extra, load1 - served, x, sec_up, sec_down)
        s2, x2, el = solve(net, e, s, u - f, d + f)
        _put(ex_left, cols, el)
        _put(served, cols, s2, add=True)
        _put(x, cols, x2, add=True)
        cols = _short(load1, served)
    if limits is not None and cols.size:
        # Emergency: the links above their security limits, for firm load only.
        lft, e, s, f, u, d = _sub(cols, left, ex_left, load1 - served, x, up, down)
        s3, x3, rest = solve(net, lft + e, s, u - f, d + f)
        _put(served, cols, s3, add=True)
        _put(x, cols, x3, add=True)
        el = np.minimum(e, rest)  # unscheduled imports are used last
        _put(ex_left, cols, el)
        _put(left, cols, rest - el)
    lost = shed_blocks(load1 - served, load1, block_fraction)
    if block_fraction and extra is None and limits is None:
        # As solve_balance: whole blocks shed more than the shortfall; serve
        # only the rest, so that flows and leftover supply match.
        served, x, left = solve(net, node, load1 - lost, sec_up, sec_down)
    over = np.maximum(served - (load1 - lost), 0.0)  # freed by shedding whole blocks
    if curtail_licensed_first:
        shed, curtailed = lost, zeros.copy()
    else:
        share = np.divide(firm, load1, out=np.zeros_like(load1), where=load1 > 0)
        shed = lost * share
        curtailed = lost - shed
    held = zeros
    if reserve is not None and reserve.any():
        held = np.minimum(reserve, left)
        left = left - held
    lic = allowed if curtail_licensed_first else zeros
    if curtail_licensed_first and block_fraction:
        # The spare part of the last block stays unused: a zone that sheds
        # firm load runs no miners (as solve_balance).
        lic = np.where(shed > EPS_MW, 0.0, allowed)
    exported, served_lic, xl, left = _exports_then_licensed(
        net, left, export, lic, *_room(sec_up, sec_down, x)
    )
    x = x + xl
    if curtail_licensed_first:
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
    # In the order of the fields of Dispatch.
    return Dispatch(x, shed, curtailed, exported, held, own, sched_used, head_used + ex_used)
