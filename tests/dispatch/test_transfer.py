"""The system operator: the tree transfer solve against linear programming, the
network, link capacities, imports and orders.

The differential tests follow PyPSA's test_pf_against_pandapower: the same
random small grids are solved by sim.dispatch.transfer.solve and by an independent
formulation (scipy.optimize.linprog max-flow in the links' own directions).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from sim.dispatch import transfer
from sim.dispatch.balance import solve_balance
from sim.model import network
from sim.model.clock import Clock
from sim.model.replication import prepare, simulate
from sim.results.metrics import evaluate
from sim.scenario.load import load_scenario
from sim.scenario.schema import DEFAULT_HOURLY, DEFAULT_MONTHLY, Scenario

TOL = 1e-6


def scenario(zones, links, **extra):
    """A Scenario with constant-demand zones and the given links."""
    return Scenario.model_validate(
        {
            "name": "t",
            "start": "2022-01-01",
            "end": "2022-01-02",
            "zones": {z: {"demand": {"peak_mw": 100}} for z in zones},
            "links": links,
            **extra,
        }
    )


def capacities(sc, net):
    """``up``/``down`` of each zone's link to its parent, as :func:`sim.model.replication.prepare`
    builds them (one column)."""
    Z = len(sc.zones)
    up, down = np.zeros(Z), np.zeros(Z)
    for z in range(Z):
        li = net.link[z]
        if li >= 0:
            fwd, back = sc.links[li].capacity_mw, sc.links[li].reverse_mw
            up[z], down[z] = (fwd, back) if net.up_is_forward[z] else (back, fwd)
    return up, down


def link_flows(sc, net, flow_up):
    """Flow on each link in its own direction (positive: ``from -> to``), from the
    flows of zones to their parents."""
    f = np.zeros((len(sc.links), flow_up.shape[1]))
    for z, li in enumerate(net.link):
        if li >= 0:
            f[li] = flow_up[z] if net.up_is_forward[z] else -flow_up[z]
    return f


def lp_max_served(sc, supply, loads, caps_scale=(1.0,)):
    """Lexicographic max of served load by linear programming, one column.

    ``loads``: a list of load vectors in priority order (firm, then licensed).
    Variables: served of each load class per zone, then the flow of each link in
    its ``from -> to`` direction within ``[-reverse, capacity]``. Returns the
    optimal total served of each class.
    """
    zones = list(sc.zones)
    Z, L, K = len(zones), len(sc.links), len(loads)
    n = K * Z + L
    a_ub = np.zeros((Z, n))
    for z in range(Z):
        for k in range(K):
            a_ub[z, k * Z + z] = 1.0
    for li, link in enumerate(sc.links):
        a_ub[zones.index(link.to), K * Z + li] -= 1.0  # inflow
        a_ub[zones.index(link.from_), K * Z + li] += 1.0  # outflow
    bounds = [(0.0, float(loads[k][z])) for k in range(K) for z in range(Z)]
    bounds += [(-link.reverse_mw, link.capacity_mw) for link in sc.links]
    fixed_rows, fixed_rhs, optimum = [], [], []
    for k in range(K):
        c = np.zeros(n)
        c[k * Z : (k + 1) * Z] = -1.0
        res = linprog(
            c,
            A_ub=np.vstack([a_ub, *fixed_rows]) if fixed_rows else a_ub,
            b_ub=np.concatenate([supply, fixed_rhs]) if fixed_rows else supply,
            bounds=bounds,
            method="highs",
        )
        assert res.status == 0, res.message
        optimum.append(-res.fun)
        row = np.zeros(n)
        row[k * Z : (k + 1) * Z] = -1.0
        fixed_rows.append(row[None, :])
        fixed_rhs.append(res.fun + 1e-7)  # keep class k at its optimum: -sum <= -best
    return optimum


@st.composite
def forests(draw):
    """A random forest of 1 to 6 zones, some joined to an outside system, with
    random supplies, loads and capacities (integers, so ties and zeros occur)."""
    n = draw(st.integers(1, 6))
    zones = [f"Z{i}" for i in range(n)]
    links = []
    for i in range(1, n):
        j = draw(st.integers(-1, i - 1))  # -1: no link, a new tree
        if j < 0:
            continue
        a, b = (zones[i], zones[j]) if draw(st.booleans()) else (zones[j], zones[i])
        links.append(
            {
                "name": f"l{i}",
                "from": a,
                "to": b,
                "capacity_mw": draw(st.integers(0, 60)),
                "reverse_capacity_mw": draw(st.integers(0, 60)),
            }
        )
    T = draw(st.integers(1, 3))
    cols = st.lists(st.integers(0, 100), min_size=n, max_size=n)
    supply = np.array([draw(cols) for _ in range(T)], dtype=float).T
    firm = np.array([draw(cols) for _ in range(T)], dtype=float).T
    licensed = np.array([draw(cols) for _ in range(T)], dtype=float).T / 4
    return scenario(zones, links), supply, firm, licensed


def check_within_links(sc, net, flow_up):
    """Flows within each link's capacities, in the link's own direction."""
    f = link_flows(sc, net, flow_up)
    for li, link in enumerate(sc.links):
        assert (f[li] <= link.capacity_mw + TOL).all()
        assert (f[li] >= -link.reverse_mw - TOL).all()


def check_solution(sc, net, supply, load, up, down, served, flow_up, leftover):
    Z = len(sc.zones)
    assert (served >= -TOL).all() and (served <= load + TOL).all()
    assert (leftover >= 0).all()
    assert (flow_up <= up + TOL).all() and (flow_up >= -down - TOL).all()
    # Conservation in every zone: supply + inflow = served + outflow + leftover.
    net_in = -flow_up.copy()
    for c in range(Z):
        if net.parent[c] >= 0:
            net_in[net.parent[c]] += flow_up[c]
    assert np.allclose(supply + net_in, served + leftover, atol=1e-6)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(forests())
def test_solve_serves_as_much_as_a_linear_program_max_flow(case):
    sc, supply, firm, _ = case
    net = network.build_network(sc)
    up1, down1 = capacities(sc, net)
    T = supply.shape[1]
    up, down = np.repeat(up1[:, None], T, 1), np.repeat(down1[:, None], T, 1)
    served, flow_up, leftover = transfer.solve(net, supply, firm, up, down)
    check_solution(sc, net, supply, firm, up, down, served, flow_up, leftover)
    check_within_links(sc, net, flow_up)
    for t in range(T):
        (best,) = lp_max_served(sc, supply[:, t], [firm[:, t]])
        assert served[:, t].sum() == pytest.approx(best, abs=1e-6), t


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(forests())
def test_the_balance_serves_firm_then_licensed_load_as_a_lexicographic_linear_program(case):
    """Firm load first, then licensed miners on what is left: solve_balance serves
    the most firm load any flow within the links can, and then the most licensed
    load possible without serving less firm load (two linear programs in turn)."""
    sc, supply, firm, licensed = case
    net = network.build_network(sc)
    up1, down1 = capacities(sc, net)
    T = supply.shape[1]
    up, down = np.repeat(up1[:, None], T, 1), np.repeat(down1[:, None], T, 1)
    flow, shed, curtailed, left = solve_balance(net, supply, firm, licensed, up, down)
    assert (shed >= 0).all() and (shed <= firm + TOL).all()
    assert (curtailed >= -TOL).all() and (curtailed <= licensed + TOL).all()
    served_firm, served_lic = firm - shed, licensed - curtailed
    check_solution(sc, net, supply, firm + licensed, up, down, served_firm + served_lic, flow, left)
    check_within_links(sc, net, flow)
    for t in range(T):
        best_firm, best_lic = lp_max_served(sc, supply[:, t], [firm[:, t], licensed[:, t]])
        assert served_firm[:, t].sum() == pytest.approx(best_firm, abs=1e-5)
        assert served_lic[:, t].sum() == pytest.approx(best_lic, abs=1e-5)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(forests())
def test_without_priority_the_balance_serves_the_most_load_and_shares_the_loss_in_proportion(case):
    """``curtail_licensed_first: false``: the total served is the linear program's
    maximum of firm plus licensed load, and in each zone firm and licensed load
    lose the same fraction of themselves."""
    sc, supply, firm, licensed = case
    net = network.build_network(sc)
    up1, down1 = capacities(sc, net)
    T = supply.shape[1]
    up, down = np.repeat(up1[:, None], T, 1), np.repeat(down1[:, None], T, 1)
    flow, shed, curtailed, left = solve_balance(
        net, supply, firm, licensed, up, down, curtail_licensed_first=False
    )
    total = firm + licensed
    check_solution(sc, net, supply, total, up, down, total - shed - curtailed, flow, left)
    check_within_links(sc, net, flow)
    # shed / firm == curtailed / licensed, written without dividing.
    assert np.allclose(shed * licensed, curtailed * firm, atol=1e-6)
    assert (shed <= firm + TOL).all() and (curtailed <= licensed + TOL).all()
    for t in range(T):
        (best,) = lp_max_served(sc, supply[:, t], [total[:, t]])
        assert (total - shed - curtailed)[:, t].sum() == pytest.approx(best, abs=1e-5)


# ---------------------------------------------------------------- worked examples


def one_link(capacity, reverse=None):
    link = {"name": "ab", "from": "A", "to": "B", "capacity_mw": capacity}
    if reverse is not None:
        link["reverse_capacity_mw"] = reverse
    sc = scenario(["A", "B"], [link])
    net = network.build_network(sc)
    up, down = capacities(sc, net)
    return net, up[:, None], down[:, None]


def test_a_surplus_zone_helps_its_neighbour_up_to_the_link_capacity():
    net, up, down = one_link(30)
    supply = np.array([[200.0], [50.0]])
    load = np.array([[100.0], [100.0]])
    served, flow, left = transfer.solve(net, supply, load, up, down)
    assert served[:, 0].tolist() == [100.0, 80.0]
    assert flow[1, 0] == -30.0  # B receives 30 MW from its parent A
    assert left[:, 0].tolist() == [70.0, 0.0]


def test_the_reverse_capacity_limits_flow_against_the_link_direction():
    net, up, down = one_link(100, reverse=10)
    supply = np.array([[0.0], [300.0]])
    load = np.array([[50.0], [100.0]])
    served, _, left = transfer.solve(net, supply, load, up, down)
    assert served[:, 0].tolist() == [10.0, 100.0]  # B -> A is against A -> B
    assert left[1, 0] == 190.0


def test_a_zone_serves_its_own_load_before_exporting():
    net, up, down = one_link(100)
    supply = np.array([[60.0], [0.0]])
    load = np.array([[50.0], [50.0]])
    served, _, _ = transfer.solve(net, supply, load, up, down)
    assert served[:, 0].tolist() == [50.0, 10.0]


def test_power_crosses_a_middle_zone_on_a_chain():
    sc = scenario(
        ["A", "B", "C"],
        [
            {"name": "ab", "from": "A", "to": "B", "capacity_mw": 40},
            {"name": "bc", "from": "B", "to": "C", "capacity_mw": 25},
        ],
    )
    net = network.build_network(sc)
    up, down = capacities(sc, net)
    supply = np.array([[100.0], [50.0], [0.0]])
    load = np.array([[10.0], [50.0], [80.0]])
    served, flow, _ = transfer.solve(net, supply, load, up[:, None], down[:, None])
    assert served[:, 0].tolist() == [10.0, 50.0, 25.0]
    assert link_flows(sc, net, flow)[:, 0].tolist() == [25.0, 25.0]


def test_a_short_parent_shares_what_it_can_give_in_proportion_to_requests():
    sc = scenario(
        ["P", "C1", "C2"],
        [
            {"name": "p1", "from": "P", "to": "C1", "capacity_mw": 100},
            {"name": "p2", "from": "P", "to": "C2", "capacity_mw": 100},
        ],
    )
    net = network.build_network(sc)
    up, down = capacities(sc, net)
    supply = np.array([[90.0], [0.0], [0.0]])
    load = np.array([[30.0], [20.0], [60.0]])
    served, _, left = transfer.solve(net, supply, load, up[:, None], down[:, None])
    assert served[:, 0] == pytest.approx([30.0, 15.0, 45.0])
    assert left[:, 0] == pytest.approx([0.0, 0.0, 0.0])


# ----------------------------------------------------------------------- network


def test_the_network_roots_each_group_at_its_first_zone_and_lists_parents_first():
    sc = scenario(
        ["A", "B", "C", "D", "E"],
        [
            {"name": "cb", "from": "C", "to": "B", "capacity_mw": 1},
            {"name": "ab", "from": "A", "to": "B", "capacity_mw": 1},
            {"name": "ed", "from": "E", "to": "D", "capacity_mw": 1},
        ],
    )
    net = network.build_network(sc)
    assert net.parent.tolist() == [-1, 0, 1, -1, 3]
    assert net.link.tolist() == [-1, 1, 0, -1, 2]
    # B's link to its parent A is ab (A -> B): flowing up is against it.
    assert net.up_is_forward.tolist() == [False, False, True, False, True]
    pos = {z: i for i, z in enumerate(net.preorder)}
    assert sorted(net.preorder) == [0, 1, 2, 3, 4]
    assert all(pos[net.parent[z]] < pos[z] for z in range(5) if net.parent[z] >= 0)


def test_links_from_outside_systems_are_imports_not_tree_edges():
    sc = scenario(
        ["A", "B"],
        [
            {"name": "ru", "from": "Russia", "to": "A", "capacity_mw": 80},
            {"name": "ca", "from": "Asia", "to": "A", "capacity_mw": 20},
        ],
        outside=["Russia", "Asia"],
    )
    net = network.build_network(sc)
    assert net.parent.tolist() == [-1, -1]
    clock = Clock(sc.start, sc.timezone, sc.step_h, sc.n_steps)
    fwd, _back = network.link_capacity(sc, clock)
    imports = network.import_capacity(sc, fwd)
    assert imports.shape == (2, 24)
    assert (imports[0] == 100).all() and (imports[1] == 0).all()


def test_a_link_cut_scales_both_directions_inside_its_window_only():
    sc = scenario(
        ["A", "B"],
        [{"name": "ab", "from": "A", "to": "B", "capacity_mw": 100, "reverse_capacity_mw": 40}],
        shocks=[
            {
                "type": "link_cut",
                "links": ["ab"],
                "start": "2022-01-01T06:00",
                "end": "2022-01-01T10:00",
                "capacity_factor": 0.25,
            }
        ],
    )
    clock = Clock(sc.start, sc.timezone, sc.step_h, sc.n_steps)
    fwd, back = network.link_capacity(sc, clock)
    inside = np.zeros(24, bool)
    inside[6:10] = True
    assert (fwd[0, inside] == 25).all() and (back[0, inside] == 10).all()
    assert (fwd[0, ~inside] == 100).all() and (back[0, ~inside] == 40).all()


def test_overlapping_orders_take_the_strictest_limit_and_only_lasting_ones_count_as_relief():
    sc = scenario(
        ["A", "B"],
        [],
        operator={
            "orders": [
                {
                    "name": "half",
                    "start": "2022-01-01T00:00",
                    "end": "2022-01-01T12:00",
                    "licensed_limit": 0.5,
                },
                {
                    "name": "cap",
                    "start": "2022-01-01T06:00",
                    "licensed_limit": 0.2,
                    "zones": ["B"],
                    "lasting": True,
                },
            ]
        },
    )
    clock = Clock(sc.start, sc.timezone, sc.step_h, sc.n_steps)
    allowed, lasting = network.limit_factors(sc, clock)
    expect_a = np.where(np.arange(24) < 12, 0.5, 1.0)
    expect_b = np.where(np.arange(24) < 6, 0.5, 0.2)
    assert allowed[0].tolist() == expect_a.tolist()
    assert allowed[1].tolist() == pytest.approx(expect_b.tolist())
    assert (lasting[0] == 1).all()
    assert lasting[1].tolist() == np.where(np.arange(24) < 6, 1.0, 0.2).tolist()


def test_a_scenario_without_links_sheds_what_its_own_generation_cannot_serve(write):
    """One zone, one 80 MW unit that never fails, on Saturday 1 January: demand
    100 x hourly x 0.987 (January) x 0.96 (weekend) is above 80 MW except at 03:00
    and 04:00 (factor 0.84: 79.6 MW), so 22 hours are short, in 2 spells."""
    path = write(
        "no_links.yaml",
        """\
        name: no_links
        start: 2022-01-01
        end: 2022-01-02
        zones:
          A: {demand: {peak_mw: 100}}
        generation:
          units:
            - {name: u, zone: A, capacity_mw: 80}
        """,
    )
    static = prepare(load_scenario(path))
    res = evaluate(static, simulate(static, 0))
    demand = 100 * np.array(DEFAULT_HOURLY) * DEFAULT_MONTHLY[0] * 0.96
    short = np.maximum(demand - 80, 0.0)
    s = res.summary
    assert (s["lole_h"], s["lolf"]) == (22, 2)
    assert s["eue_mwh"] == pytest.approx(short.sum(), rel=1e-12)
    assert s["peak_shortfall_mw"] == pytest.approx(100 * 0.987 * 0.96 - 80, rel=1e-12)
