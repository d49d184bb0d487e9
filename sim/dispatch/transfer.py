"""Transfers over a forest of zones: serve each zone's load from supply anywhere
in its connected group, within the links' capacities.

A tree max-flow, bottom-up then top-down, vectorised over steps: a zone serves
its own load before exporting; a short parent shares what it can give among its
children in proportion to their requests. Pure numpy: it knows nothing of
scenarios or replications, so the replication's operator can call it for any
stretch of steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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
    offer = np.empty((Z, T))  # bottom-up: >0 surplus offered up, <0 request
    for z in reversed(net.preorder):
        net_z = np.subtract(supply[z], load[z], out=offer[z])
        for c in net.children[z]:
            net_z += offer[c]
        if net.parent[z] >= 0:
            offer[z] = np.clip(net_z, -down[z], up[z])
    served = np.empty((Z, T))
    x = np.zeros((Z, T))  # actual flow to parent
    leftover = np.empty((Z, T))
    # The same operations, in the same order, as the textbook form, so that
    # results are the same to the bit (signed zeros included: minimum, maximum
    # and clip are never computed in place, where numpy may take another
    # loop); only sums are written in place and shares divided without a mask.
    for z in net.preorder:
        to_parent = np.maximum(x[z], 0)
        from_parent = np.maximum(-x[z], 0)
        kids = net.children[z]
        if not kids:
            have = supply[z] + from_parent
            served[z] = np.minimum(load[z], have)
            np.subtract(have, served[z], out=leftover[z])
            leftover[z] -= to_parent
            continue
        pos = np.zeros(T)
        req = np.zeros(T)
        for c in kids:
            pos += np.maximum(offer[c], 0)
            req += np.maximum(-offer[c], 0)
        resources = supply[z] + pos + from_parent
        got = served[z] = np.minimum(load[z], resources)
        granted = np.minimum(req, np.maximum(resources - got - to_parent, 0))
        need = got + granted + to_parent - supply[z] - from_parent
        drawn = np.clip(need, 0, pos)
        with np.errstate(divide="ignore", invalid="ignore"):
            g_share = granted / req
            d_share = drawn / pos
        g_share[~(req > 0)] = 0.0
        d_share[~(pos > 0)] = 0.0
        for c in kids:
            np.multiply(offer[c], np.where(offer[c] > 0, d_share, g_share), out=x[c])
        leftover[z] = supply[z] + drawn + from_parent - got - granted - to_parent
    return served, x, np.maximum(leftover, 0.0)
