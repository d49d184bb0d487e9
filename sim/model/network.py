"""The grid's topology and what the scenario fixes on it: links as a rooted
forest of zones, link capacities after cuts and their security limits, import
capacity from outside systems, the share of licensed mining load the operator's
orders allow, and the operating reserve of each zone.
"""

from __future__ import annotations

import numpy as np

from sim.dispatch.transfer import Network
from sim.model.clock import Clock
from sim.scenario.schema import LinkCut, Scenario
from sim.scenario.security import LARGEST_UNIT


def build_network(sc: Scenario) -> Network:
    """Root each connected group of zones at its first zone, in scenario order."""
    zones = list(sc.zones)
    adj: dict[int, list[tuple[int, int]]] = {z: [] for z in range(len(zones))}
    for li, link in enumerate(sc.links):
        if link.from_ in sc.zones:
            a, b = zones.index(link.from_), zones.index(link.to)
            adj[a].append((b, li))
            adj[b].append((a, li))
    parent = np.full(len(zones), -1)
    via = np.full(len(zones), -1)
    fwd = np.zeros(len(zones), dtype=bool)
    order: list[int] = []
    seen: set[int] = set()
    for root in range(len(zones)):
        if root in seen:
            continue
        stack = [root]
        seen.add(root)
        while stack:
            z = stack.pop()
            order.append(z)
            for nb, li in adj[z]:
                if nb not in seen:
                    seen.add(nb)
                    parent[nb], via[nb] = z, li
                    fwd[nb] = zones.index(sc.links[li].from_) == nb
                    stack.append(nb)
    children = tuple(tuple(c for c in order if parent[c] == z) for z in range(len(zones)))
    return Network(parent, tuple(order), via, fwd, children)


def link_capacity(sc: Scenario, clock: Clock) -> tuple[np.ndarray, np.ndarray]:
    """Capacity of every link in each direction per step (L x T each, MW), after cuts."""
    n, T = len(sc.links), clock.n_steps
    fwd = np.repeat(np.array([[lk.capacity_mw] for lk in sc.links]).reshape(n, 1), T, axis=1)
    back = np.repeat(np.array([[lk.reverse_mw] for lk in sc.links]).reshape(n, 1), T, axis=1)
    names = [lk.name for lk in sc.links]
    for shock in sc.shocks:
        if isinstance(shock, LinkCut):
            mask = clock.window_mask(shock.start, shock.end)
            for name in shock.links:
                li = names.index(name)
                fwd[li, mask] *= shock.capacity_factor
                back[li, mask] *= shock.capacity_factor
    return fwd.astype(float), back.astype(float)


def security_limits(sc: Scenario, fwd: np.ndarray, back: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Dispatch limits of every link each way per step (L x T, MW): the security
    limit within the capacity after cuts; none if no link has a security limit."""
    limits = np.array([np.inf if lk.security_limit_mw is None else lk.security_limit_mw for lk in sc.links])
    if np.isinf(limits).all():
        return None
    return np.minimum(fwd, limits[:, None]), np.minimum(back, limits[:, None])


def zone_capacities(net: Network, fwd: np.ndarray, back: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Capacity of each zone's link to its parent, towards the parent and back
    (Z x T each), from the links' capacities each way (L x T)."""
    Z, T = len(net.parent), fwd.shape[1]
    up, down = np.zeros((Z, T)), np.zeros((Z, T))
    for z in range(Z):
        li = net.link[z]
        if li >= 0:
            a, b = (fwd[li], back[li]) if net.up_is_forward[z] else (back[li], fwd[li])
            up[z], down[z] = a, b
    return up, down


def import_capacity(sc: Scenario, fwd: np.ndarray) -> np.ndarray:
    """What outside systems can deliver into each zone per step (Z x T, MW)."""
    zones = list(sc.zones)
    out = np.zeros((len(zones), fwd.shape[1]))
    for li, link in enumerate(sc.links):
        if link.from_ not in sc.zones:
            out[zones.index(link.to)] += fwd[li]
    return out


def limit_factors(sc: Scenario, clock: Clock) -> tuple[np.ndarray, np.ndarray]:
    """Fraction of licensed mining load allowed per zone and step by orders (all
    orders, and lasting ones only). Overlapping orders: the strictest wins."""
    zones = list(sc.zones)
    allowed = np.ones((len(zones), clock.n_steps))
    lasting = np.ones((len(zones), clock.n_steps))
    for order in sc.operator.orders:
        mask = clock.window_mask(order.start, order.end)
        rows = [zones.index(z) for z in order.zones] if order.zones else range(len(zones))
        for z in rows:
            allowed[z, mask] = np.minimum(allowed[z, mask], order.licensed_limit)
            if order.lasting:
                lasting[z, mask] = np.minimum(lasting[z, mask], order.licensed_limit)
    return allowed, lasting


def reserve_requirement(sc: Scenario, unit_zone: np.ndarray, unit_mw: np.ndarray) -> np.ndarray:
    """Operating reserve each zone holds (Z, MW): as given, or the capacity of its
    largest unit (``unit_zone``, ``unit_mw``: every unit's zone and capacity)."""
    zones = list(sc.zones)
    out = np.zeros(len(zones))
    for name, spec in sc.operator.reserve_mw.items():
        z = zones.index(name)
        if spec == LARGEST_UNIT:
            mine = unit_mw[unit_zone == z]
            out[z] = float(mine.max()) if mine.size else 0.0
        else:
            out[z] = float(spec)
    return out
