"""The balance rule of sim.dispatch.balance on hand-computed cases: licensed
miners curtailed first, or sharing the shortfall with firm load in proportion,
and shedding in whole blocks; then block shedding end to end through a scenario.

Every expected number below is worked out by hand in the test's comments.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import EXAMPLE

from sim.dispatch.balance import EPS_MW, shed_blocks, solve_balance
from sim.dispatch.transfer import Network
from sim.model.balance import dispatch
from sim.model.replication import prepare, simulate
from sim.scenario.load import load_scenario

#: One isolated zone.
ONE = Network(
    parent=np.array([-1]),
    preorder=(0,),
    link=np.array([-1]),
    up_is_forward=np.array([False]),
    children=((),),
)
#: Zone 0 (A) the parent of zone 1 (B), over link 0.
TWO = Network(
    parent=np.array([-1, 0]),
    preorder=(0, 1),
    link=np.array([-1, 0]),
    up_is_forward=np.array([False, True]),
    children=((1,), ()),
)


def cols(*rows):
    """Z x K array from one tuple (or number) per zone."""
    return np.array([np.atleast_1d(r) for r in rows], dtype=float)


def balance(net, supply, firm, allowed, cap=0.0, **kw):
    """``solve_balance`` with every link at ``cap`` MW both ways."""
    supply, firm, allowed = cols(*supply), cols(*firm), cols(*allowed)
    up = np.where(net.parent[:, None] >= 0, cap, 0.0) * np.ones_like(supply)
    return solve_balance(net, supply, firm, allowed, up, up.copy(), **kw)


# ------------------------------------------------------------ who bears a shortfall


def test_licensed_miners_are_curtailed_before_firm_load_is_shed():
    """A: supply 200, firm 150, licensed 40; B: no supply, firm 60, licensed 20;
    link 30 MW. Firm first: A serves its 150 and sends 30 to B, which sheds 30.
    Licensed next: A has 20 left for its own 40; the link is full, B gets none."""
    flow, shed, curtailed, left = balance(TWO, (200, 0), (150, 60), (40, 20), cap=30)
    assert flow[:, 0].tolist() == [0.0, -30.0]
    assert shed[:, 0].tolist() == [0.0, 30.0]
    assert curtailed[:, 0].tolist() == [20.0, 20.0]
    assert left[:, 0].tolist() == [0.0, 0.0]


def test_without_priority_the_shortfall_is_shared_in_proportion_to_firm_and_licensed_load():
    """One zone, supply 90, firm 80, licensed 40: 30 MW short of 120, shared 80:40
    -> shed 20, curtailed 10. (With priority: shed 0, curtailed 30.)"""
    _, shed, curtailed, left = balance(ONE, (90,), (80,), (40,), curtail_licensed_first=False)
    assert shed[0, 0] == pytest.approx(20.0, abs=1e-12)
    assert curtailed[0, 0] == pytest.approx(10.0, abs=1e-12)
    assert left[0, 0] == 0.0
    _, shed, curtailed, _ = balance(ONE, (90,), (80,), (40,), curtail_licensed_first=True)
    assert (shed[0, 0], curtailed[0, 0]) == (0.0, 30.0)


def test_without_priority_shares_follow_each_zone_own_mix_across_a_link():
    """Step 1: A supply 100, firm 60, licensed 20 (serves its 80, 20 spare); B no
    supply, firm 30, licensed 30; link 15. B gets 15 of its 60 and loses 45,
    split 30:30 -> shed 22.5, curtailed 22.5; A keeps 5 unused.
    Step 2: no load anywhere: nothing shed or curtailed (no 0 / 0)."""
    flow, shed, curtailed, left = balance(
        TWO, ((100, 10), (0, 0)), ((60, 0), (30, 0)), ((20, 0), (30, 0)), cap=15, curtail_licensed_first=False
    )
    assert flow.tolist() == [[0.0, 0.0], [-15.0, 0.0]]
    assert shed.tolist() == [[0.0, 0.0], [22.5, 0.0]]
    assert curtailed.tolist() == [[0.0, 0.0], [22.5, 0.0]]
    assert left.tolist() == [[5.0, 10.0], [0.0, 0.0]]
    # The same grid with priority: B sheds 15 of firm load and all 30 licensed go.
    _, shed, curtailed, _ = balance(TWO, ((100, 10), (0, 0)), ((60, 0), (30, 0)), ((20, 0), (30, 0)), cap=15)
    assert shed[:, 0].tolist() == [0.0, 15.0]
    assert curtailed[:, 0].tolist() == [0.0, 30.0]


# ---------------------------------------------------------------------- blocks


def test_a_shortfall_is_rounded_up_to_whole_blocks():
    """Blocks of 10 % of a 100 MW load are 10 MW: 25 -> 30, 30.001 -> 40, 0.5 -> 10."""
    out = shed_blocks(np.array([25.0, 30.001, 0.5, 95.0]), np.full(4, 100.0), 0.1)
    assert out == pytest.approx([30.0, 40.0, 10.0, 100.0], rel=1e-12)


def test_a_shortfall_of_exactly_k_blocks_is_k_blocks_despite_round_off():
    """3 blocks of 10 MW; 0.1 + 0.2 (= 0.30000000000000004) of blocks of 0.1 MW;
    70 - 49 = 21 of blocks of 7.000000000000001 MW: 3 blocks each, not 4."""
    short = np.array([30.0, 0.1 + 0.2, 70.0 - 49.0])
    load = np.array([100.0, 1.0, 70.0])
    out = shed_blocks(short, load, 0.1)
    assert np.rint(out / (0.1 * load)).tolist() == [3.0, 3.0, 3.0]
    assert out == pytest.approx([30.0, 0.3, 21.0], rel=1e-12)


def test_blocks_never_shed_more_than_the_load():
    """Blocks of 30 MW of a 100 MW load: 61 -> 90, but 99 -> 100 (not 120), 100 -> 100."""
    out = shed_blocks(np.array([61.0, 99.0, 100.0]), np.full(3, 100.0), 0.3)
    assert out == pytest.approx([90.0, 100.0, 100.0], rel=1e-12)


def test_no_block_is_shed_for_round_off_or_without_load():
    short = np.array([0.0, EPS_MW / 2, -1e-3, 5.0])
    load = np.array([100.0, 100.0, 100.0, 0.0])
    assert shed_blocks(short, load, 0.1).tolist() == [0.0, 0.0, 0.0, 0.0]
    # Fraction 0: exactly the shortfall, round-off still dropped.
    assert shed_blocks(short, load, 0.0).tolist() == [0.0, 0.0, 0.0, 5.0]


def test_the_balance_sheds_whole_blocks_of_the_zone_firm_load():
    """Supply 75, firm 100, licensed 20, blocks of 10 %.
    Priority: 25 short of firm -> 3 blocks of 10 = 30; licensed all curtailed.
    Supply 70: exactly 3 blocks short -> 30, not 40.
    No priority: 45 short of 120 -> 4 blocks of 12 = 48, split 100:20 -> 40 and 8."""
    _, shed, curtailed, _ = balance(ONE, (75,), (100,), (20,), block_fraction=0.1)
    assert (shed[0, 0], curtailed[0, 0]) == pytest.approx((30.0, 20.0), rel=1e-12)
    _, shed, _, _ = balance(ONE, (70,), (100,), (20,), block_fraction=0.1)
    assert shed[0, 0] == pytest.approx(30.0, rel=1e-12)
    _, shed, curtailed, _ = balance(
        ONE, (75,), (100,), (20,), block_fraction=0.1, curtail_licensed_first=False
    )
    assert (shed[0, 0], curtailed[0, 0]) == pytest.approx((40.0, 8.0), rel=1e-12)


def test_block_shedding_in_a_scenario_sheds_whole_blocks_at_every_step():
    """The example with blocks of 5 % of each zone's firm load: at every step and
    zone, shed is a whole number of blocks, at least the exact shortfall (the
    same replication with no blocks) and less than one block above it."""
    fraction = 0.05
    blocky = prepare(load_scenario(EXAMPLE, [f"operator.shed_block_fraction={fraction}"]))
    exact = prepare(load_scenario(EXAMPLE))
    shedding = 0
    for rep in range(4):
        raw = simulate(blocky, rep)
        bal, ref = dispatch(blocky, raw), dispatch(exact, raw)
        assert np.array_equal(bal.demand + bal.grey, ref.demand + ref.grey)
        block = fraction * (bal.demand + bal.grey)
        assert (block > 0).all()
        k = bal.shed / block
        assert np.allclose(k, np.rint(k), rtol=0, atol=1e-9), rep
        assert (bal.shed >= ref.shed - 1e-9).all(), rep
        assert (bal.shed < ref.shed + block + 1e-9).all(), rep
        assert ((bal.shed > EPS_MW) == (ref.shed > EPS_MW)).all(), rep
        shedding += int((bal.shed > EPS_MW).sum())
        # Rounding up sheds more than the shortfall somewhere (the test is not vacuous).
        assert (bal.shed > ref.shed + 1e-6).any(), rep
    assert shedding > 100


@pytest.mark.parametrize("first", [True, False])
def test_block_shedding_keeps_every_zone_balanced(first: bool) -> None:
    """Load dropped by rounding up to whole blocks is not drawn from anywhere:
    in every zone and step, supply used (generation and imports) plus inflow
    equals firm and licensed load served, and imports are only what the zone's
    generation cannot cover."""
    sets = ["operator.shed_block_fraction=0.05", f"operator.curtail_licensed_first={str(first).lower()}"]
    static = prepare(load_scenario(EXAMPLE, sets))
    net = static.network
    for rep in range(6):
        bal = dispatch(static, simulate(static, rep))
        inflow = -bal.flow_up
        for z, kids in enumerate(net.children):
            for c in kids:
                inflow[z] = inflow[z] + bal.flow_up[c]
        used = bal.served + (bal.allowed - bal.curtailed) - inflow
        assert np.allclose(bal.imports, np.clip(used - bal.generation, 0.0, None), atol=1e-6), rep
        assert (used <= bal.generation + bal.import_cap + 1e-6).all(), rep
