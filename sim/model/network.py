"""The grid's topology and what the scenario fixes on it: links as a rooted
forest of zones, link capacities after cuts, import capacity from outside
systems, and the share of licensed mining load the operator's orders allow.
"""

from __future__ import annotations

import numpy as np

from sim.dispatch.transfer import Network
from sim.model.clock import Clock
from sim.scenario.schema import LinkCut, Scenario


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
