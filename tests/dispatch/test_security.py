"""The balance with security (sim.dispatch.security.solve_secure) on hand-computed
cases: security limits that only firm load may pass, unscheduled imports that
serve firm load but never the reserve nor licensed miners, scheduled exports,
the reserve held before licensed miners; its identity with the plain balance
rule when no option is given; and the energy balance of every zone on random
inputs.

Every expected number below is worked out by hand in the test's comments.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_balance import ONE, TWO, cols

from sim.dispatch.balance import solve_balance
from sim.dispatch.security import solve_secure

TOL = 1e-6


def two(supply, firm, allowed, thermal, limit=None, **kw):
    """A (zone 0) is the parent of B (zone 1); the link is ``thermal`` MW each way,
    with security limit ``limit``."""
    s, f, a = cols(*supply), cols(*firm), cols(*allowed)
    up = np.array([[0.0], [thermal]]) * np.ones_like(s)
    lim = None if limit is None else np.array([[0.0], [limit]]) * np.ones_like(s)
    return solve_secure(TWO, s, f, a, (up, up.copy()), limits=None if lim is None else (lim, lim), **kw)


def test_firm_load_may_pass_a_security_limit_up_to_the_thermal_capacity_but_licensed_load_may_not():
    """North-South: A has 10,000 MW, firm 7,000, licensed 500; B has 2,000, firm
    3,900, licensed 30; the link 2,100 MW thermal, 1,800 secure. B's firm load
    needs 1,900 from A: 1,800 within the limit, the last 100 as an emergency.
    A's licensed miners are served from A's leftover (1,100 MW, no link needed);
    B's cannot be, since the link is past its limit."""
    d = two((10_000, 2_000), (7_000, 3_900), (500, 30), thermal=2_100, limit=1_800)
    assert d.flow[:, 0].tolist() == [0.0, -1_900.0]
    assert d.shed[:, 0].tolist() == [0.0, 0.0]
    assert d.curtailed[:, 0].tolist() == [0.0, 30.0]
    assert d.generation[:, 0].tolist() == [9_400.0, 2_000.0]


def test_firm_load_is_shed_when_no_supply_is_left_to_send():
    """As above, A with 8,800 MW: after its own firm load A has 1,800 left, which
    the link carries within its limit; the emergency finds nothing more to send,
    so B sheds 100 and A's licensed miners get nothing."""
    d = two((8_800, 2_000), (7_000, 3_900), (500, 30), thermal=2_100, limit=1_800)
    assert d.flow[:, 0].tolist() == [0.0, -1_800.0]
    assert d.shed[:, 0].tolist() == [0.0, 100.0]
    assert d.curtailed[:, 0].tolist() == [500.0, 30.0]


def test_unscheduled_imports_serve_firm_load_never_the_reserve_nor_licensed_miners():
    """One zone: 900 MW of its own, firm 1,000, licensed 100, 300 MW of
    unscheduled room. Firm takes 900 + 100 imported; the licensed 100 are
    curtailed although 200 MW of room is left. With a reserve of 150: nothing of
    the zone's own is left to hold, and none is imported to hold it."""
    s, f, a, e = cols(900), cols(1_000), cols(100), cols(300)
    z = np.zeros((1, 1))
    d = solve_secure(ONE, s, f, a, (z, z), extra=e)
    assert (d.shed[0, 0], d.curtailed[0, 0], d.unscheduled[0, 0], d.generation[0, 0]) == (0, 100, 100, 900)
    d = solve_secure(ONE, s, f, a, (z, z), extra=e, reserve=cols(150))
    assert (d.reserve[0, 0], d.unscheduled[0, 0], d.generation[0, 0], d.curtailed[0, 0]) == (0, 100, 900, 100)


def test_free_headroom_serves_any_load_after_the_zones_own_units():
    """The same zone with the 300 MW as free headroom (today's outside links):
    firm and licensed load are both served; 200 MW flow in, used last."""
    z = np.zeros((1, 1))
    d = solve_secure(ONE, cols(900), cols(1_000), cols(100), (z, z), headroom=cols(300))
    assert (d.curtailed[0, 0], d.unscheduled[0, 0], d.generation[0, 0]) == (0, 200, 900)


def test_scheduled_exports_come_after_firm_load_and_the_reserve_and_before_licensed_miners():
    """One zone: 1,000 MW, firm 700, reserve 150, exports 200, licensed 100.
    Firm 700, the reserve 150, then only 150 is left for the exports (50 short)
    and licensed miners are curtailed. A scheduled import of 120 flows first and
    leaves the zone's own units 120 less to do: the exports are then served and
    licensed miners get 70."""
    z = np.zeros((1, 1))
    kw = {"export": cols(200), "reserve": cols(150)}
    d = solve_secure(ONE, cols(1_000), cols(700), cols(100), (z, z), **kw)
    assert (d.reserve[0, 0], d.exported[0, 0], d.curtailed[0, 0], d.generation[0, 0]) == (150, 150, 100, 850)
    d = solve_secure(ONE, cols(1_000), cols(700), cols(100), (z, z), scheduled=cols(120), **kw)
    assert (d.exported[0, 0], d.curtailed[0, 0], d.scheduled[0, 0], d.generation[0, 0]) == (200, 30, 120, 850)


def test_another_zones_exports_come_before_a_zones_own_licensed_miners():
    """A has 100 MW left after its firm load and 60 of licensed miners; B owes
    80 of exports and has nothing: B's exports get 80 over the link, A's miners
    the last 20 (a zone serving its own load first would give them 60)."""
    d = two((900, 0), (800, 0), (60, 0), thermal=500, export=cols(0, 80))
    assert d.exported[:, 0].tolist() == [0.0, 80.0]
    assert d.curtailed[:, 0].tolist() == [40.0, 0.0]
    assert d.flow[:, 0].tolist() == [0.0, -80.0]


def test_firm_load_uses_the_reserve_before_it_is_shed():
    """One zone: 1,000 MW, firm 950, reserve 150: firm is served in full and only
    50 is held (the reserve is for firm load, not against it)."""
    z = np.zeros((1, 1))
    d = solve_secure(ONE, cols(1_000), cols(950), cols(0), (z, z), reserve=cols(150))
    assert (d.shed[0, 0], d.reserve[0, 0]) == (0, 50)


@pytest.mark.parametrize("priority", [True, False])
@pytest.mark.parametrize("block", [0.0, 0.05])
def test_with_no_option_it_is_the_plain_balance_rule(priority, block):
    rng = np.random.default_rng(11)
    for _ in range(20):
        s, f, a = (rng.integers(0, 100, (2, 6)).astype(float) for _ in range(3))
        up, down = (np.vstack([np.zeros(6), rng.integers(0, 60, 6)]).astype(float) for _ in range(2))
        flow, shed, curt, _ = solve_balance(TWO, s, f, a, up, down, block, priority)
        d = solve_secure(TWO, s, f, a, (up, down), block_fraction=block, curtail_licensed_first=priority)
        np.testing.assert_array_equal(d.flow, flow)
        np.testing.assert_array_equal(d.shed, shed)
        np.testing.assert_array_equal(d.curtailed, curt)


def test_every_zone_balances_and_every_limit_holds_on_random_inputs():
    """Own generation dispatched + imports - exports + inflow = firm served +
    licensed served, in each zone and step, with every option on; flows within
    the thermal capacities, imports within what the outside links offer."""
    rng = np.random.default_rng(5)
    K = 200
    for block in (0.0, 0.05):
        s = rng.integers(0, 1_000, (2, K)).astype(float)
        f = rng.integers(0, 1_200, (2, K)).astype(float)
        a = rng.integers(0, 200, (2, K)).astype(float)
        sched, room, export, res = (rng.integers(0, 150, (2, K)).astype(float) for _ in range(4))
        up, down = (np.vstack([np.zeros(K), rng.integers(0, 600, K)]).astype(float) for _ in range(2))
        lim_up, lim_down = up * rng.uniform(0.5, 1, K), down * rng.uniform(0.5, 1, K)
        d = solve_secure(
            TWO, s, f, a, (up, down), scheduled=sched, extra=room, export=export, reserve=res,
            limits=(lim_up, lim_down), block_fraction=block,
        )  # fmt: skip
        inflow = np.vstack([d.flow[1], -d.flow[1]])
        used = (f - d.shed) + (a - d.curtailed) + d.exported
        np.testing.assert_allclose(d.generation + d.scheduled + d.unscheduled + inflow, used, atol=TOL)
        assert (d.flow <= up + TOL).all() and (d.flow >= -down - TOL).all()
        assert (d.generation >= -TOL).all() and (d.generation + d.reserve <= s + d.unscheduled + TOL).all()
        assert (d.scheduled <= sched + TOL).all() and (d.unscheduled <= room + TOL).all()
        assert (d.reserve <= res + TOL).all() and (d.exported <= export + TOL).all()
        # Licensed miners are served only where firm load is not shed, and never
        # over a link past its security limit towards them.
        lic = a - d.curtailed
        assert (lic[d.shed > TOL] <= TOL).all()
