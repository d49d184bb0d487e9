"""The tree transfer solve is computed in place and without masked divisions for
speed; its results must stay those of the textbook form, to the bit (signed
zeros included), or the golden digests would move. The reference below is the
textbook form: each quantity a fresh array, shares by ``np.divide(where=)``.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.dispatch import transfer
from sim.dispatch.transfer import Network


def reference_solve(
    net: Network, supply: np.ndarray, load: np.ndarray, up: np.ndarray, down: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    Z, T = supply.shape
    offer = np.zeros((Z, T))
    for z in reversed(net.preorder):
        net_z = supply[z] - load[z]
        for c in net.children[z]:
            net_z += offer[c]
        offer[z] = np.clip(net_z, -down[z], up[z]) if net.parent[z] >= 0 else net_z
    served = np.empty((Z, T))
    x = np.zeros((Z, T))
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


def forest(parent: list[int]) -> Network:
    """A network from each zone's parent (parents listed before children)."""
    Z = len(parent)
    kids = tuple(tuple(c for c in range(Z) if parent[c] == z) for z in range(Z))
    link = np.array([z - 1 if p >= 0 else -1 for z, p in enumerate(parent)])
    return Network(np.array(parent), tuple(range(Z)), link, np.ones(Z, dtype=bool), kids)


FORESTS = {
    "pair and island (the flagship's shape)": [-1, 0, -1],
    "chain": [-1, 0, 1, 2],
    "star": [-1, 0, 0, 0],
    "two trees": [-1, 0, 1, 1, -1, 4],
}


def draws(rng: np.random.Generator, shape: tuple[int, int], scale: float) -> np.ndarray:
    """Non-negative MW with many exact zeros, some -0.0 and ties."""
    a = np.round(rng.uniform(0, scale, shape), int(rng.integers(0, 3)))
    a[rng.random(shape) < 0.25] = 0.0
    a[rng.random(shape) < 0.05] = -0.0
    return a


@pytest.mark.parametrize("name", sorted(FORESTS))
def test_solve_is_the_textbook_form_to_the_bit(name: str) -> None:
    net = forest(FORESTS[name])
    Z = net.parent.size
    rng = np.random.default_rng(7)
    for _ in range(150):
        # Short columns too: numpy takes other loops for them (signed zeros).
        shape = (Z, int(rng.choice([1, 2, 3, 7, 9, 33, 130])))
        supply, load = draws(rng, shape, 100), draws(rng, shape, 100)
        if rng.random() < 0.3:  # exact balance in some zones and steps
            load = np.where(rng.random(shape) < 0.5, supply, load)
        up, down = draws(rng, shape, 60), draws(rng, shape, 60)
        got = transfer.solve(net, supply, load, up, down)
        want = reference_solve(net, supply, load, up, down)
        for a, b in zip(got, want, strict=True):
            assert a.tobytes() == b.tobytes()
