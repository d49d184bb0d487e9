"""The system operator: orders to miners and the balance of every zone.

Balance rule, evaluated for all steps at once with numpy:

1. Each zone's supply is its available generation plus what its outside links
   can import. Zones joined by links form a forest; transfers move surplus to
   zones in deficit within the links' capacities, maximising served load (a
   tree max-flow, bottom-up then top-down). A zone serves its own load before
   exporting; a short parent shares what it can give among its children in
   proportion to their requests.
2. Firm load (ordinary consumers and grey miners, whom the operator cannot tell
   apart) is served first. If short, it is shed in blocks of
   ``shed_block_fraction`` of the zone's firm load (rotating schedules).
3. Licensed miners (interruptible, FACTS E3) get what is left, through what is
   left of the links: the rest of their allowed load is curtailed.

The dispatch has no feedback into the discrete-event processes, so it runs once
after the simulation on the recorded state, never step by step in Python.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model.clock import Clock
from sim.scenario.schema import LinkCut, Scenario


@dataclass(frozen=True)
class Network:
    """Zones as a rooted forest, with the link to each zone's parent."""

    parent: np.ndarray
    """Parent zone index, -1 for a root."""
    preorder: tuple[int, ...]
    """Zones with every parent before its children."""
    link: np.ndarray
    """Index (in ``scenario.links``) of the link to the parent, -1 for a root."""
    up_is_forward: np.ndarray
    """Whether the flow child -> parent is the link's ``from -> to`` direction."""
    children: tuple[tuple[int, ...], ...]
    """Children of each zone."""


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


def solve(
    net: Network, supply: np.ndarray, load: np.ndarray, up: np.ndarray, down: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Serve ``load`` from ``supply`` over the forest (all arrays Z x T, MW).

    ``up[z]``/``down[z]`` are the capacities of the link from zone ``z`` to its
    parent and back. Returns ``(served, flow_up, leftover)``: load served,
    flow on each zone's link to its parent (positive: towards the parent), and
    supply left unused in each zone.
    """
    Z, T = supply.shape
    offer = np.zeros((Z, T))  # bottom-up: >0 surplus offered up, <0 request
    for z in reversed(net.preorder):
        net_z = supply[z] - load[z]
        for c in net.children[z]:
            net_z += offer[c]
        offer[z] = np.clip(net_z, -down[z], up[z]) if net.parent[z] >= 0 else net_z
    served = np.empty((Z, T))
    x = np.zeros((Z, T))  # actual flow to parent
    leftover = np.empty((Z, T))
    for z in net.preorder:
        to_parent = np.maximum(x[z], 0)
        from_parent = np.maximum(-x[z], 0)
        kids = net.children[z]
        if not kids:
            served[z] = np.minimum(load[z], supply[z] + from_parent)
            leftover[z] = supply[z] + from_parent - served[z] - to_parent
            continue
        pos = np.zeros(T)
        req = np.zeros(T)
        for c in kids:
            pos += np.maximum(offer[c], 0)
            req += np.maximum(-offer[c], 0)
        resources = supply[z] + pos + from_parent
        served[z] = np.minimum(load[z], resources)
        granted = np.minimum(req, np.maximum(resources - served[z] - to_parent, 0))
        need = served[z] + granted + to_parent - supply[z] - from_parent
        drawn = np.clip(need, 0, pos)
        g_share = np.divide(granted, req, out=np.zeros(T), where=req > 0)
        d_share = np.divide(drawn, pos, out=np.zeros(T), where=pos > 0)
        for c in kids:
            x[c] = np.where(offer[c] > 0, offer[c] * d_share, offer[c] * g_share)
        leftover[z] = supply[z] + drawn + from_parent - served[z] - granted - to_parent
    return served, x, np.maximum(leftover, 0.0)
