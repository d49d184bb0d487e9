"""Invariants that hold in every replication of the example scenario.

Each test walks all the example's replications (sim.model.balance.dispatch, sim.results.metrics.evaluate
with the records kept) and names the replication that breaks the rule.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from conftest import EXAMPLE

from sim.dispatch.balance import EPS_MW
from sim.dispatch.security import solve_secure
from sim.model import balance as model_balance
from sim.model.balance import MAX_RUN_SHARE, dispatch, segments
from sim.model.replication import prepare, simulate
from sim.results.metrics import evaluate
from sim.scenario.load import load_scenario
from sim.vocab import CLOSURES, ON_GRID

TOL = 1e-6  # MW


@pytest.fixture(scope="module")
def runs(example, example_static):
    """(raw, result, balance) of every replication of the example."""
    out = []
    for rep in range(example.replications):
        raw = simulate(example_static, rep)
        res = evaluate(example_static, raw, keep_records=True)
        out.append((raw, res, res.extra["balance"]))
    return out


def test_the_example_exercises_what_the_invariants_are_about(runs):
    """Shedding, curtailment, closures and reconnections all happen somewhere."""
    assert sum(bal.shed.sum() > 0 for _, _, bal in runs) > 0
    assert sum(bal.curtailed.sum() > 0 for _, _, bal in runs) > 0
    kinds = set()
    for _, res, _ in runs:
        kinds |= set(res.events["event"])
    assert {"closed_voluntarily", "disconnected_by_force", "reconnected", "failed"} <= kinds
    assert len(runs) == 50


def test_served_plus_shed_is_the_firm_demand(runs):
    for raw, _, bal in runs:
        firm = bal.demand + bal.grey
        assert np.allclose(bal.served + bal.shed, firm, atol=TOL), raw.replication
        assert (bal.shed >= 0).all() and (bal.shed <= firm + TOL).all(), raw.replication
        assert (bal.demand >= 0).all() and (bal.grey >= 0).all(), raw.replication


def test_curtailment_stays_within_the_licensed_load_the_orders_allow(runs, example_static):
    for raw, _, bal in runs:
        assert np.allclose(bal.allowed, bal.licensed * example_static.allowed), raw.replication
        assert (bal.curtailed >= -TOL).all(), raw.replication
        assert (bal.curtailed <= bal.allowed + TOL).all(), raw.replication
        assert (bal.allowed <= bal.licensed + TOL).all(), raw.replication


def test_the_cut_off_order_allows_no_licensed_load_in_its_window(runs, example, example_static):
    clock = example_static.clock
    (order,) = example.operator.orders
    window = clock.window_mask(order.start, order.end)
    assert window.sum() == 14 * 24
    for raw, res, bal in runs:
        assert (bal.allowed[:, window] == 0).all(), raw.replication
        assert np.allclose(res.zone_series["limited_mw"][:, window], bal.licensed[:, window])
        assert np.allclose(bal.allowed[:, ~window], bal.licensed[:, ~window])


def test_licensed_miners_are_curtailed_before_any_firm_load_is_shed(runs):
    """In a zone that sheds firm load, no licensed load is served."""
    for raw, _, bal in runs:
        shedding = bal.shed > EPS_MW
        served_licensed = bal.allowed - bal.curtailed
        assert (served_licensed[shedding] <= TOL).all(), raw.replication


def test_transfers_stay_within_link_limits(runs, example_static):
    net = example_static.network
    for raw, _, bal in runs:
        assert (bal.flow_up <= bal.up_cap + TOL).all(), raw.replication
        assert (bal.flow_up >= -bal.down_cap - TOL).all(), raw.replication
        assert (bal.flow_up[net.parent < 0] == 0).all(), raw.replication


def test_no_zone_uses_more_than_its_generation_imports_and_net_inflow(runs, example_static):
    net = example_static.network
    Z = len(example_static.zones)
    for raw, _, bal in runs:
        inflow = -bal.flow_up.copy()
        for c in range(Z):
            if net.parent[c] >= 0:
                inflow[net.parent[c]] += bal.flow_up[c]
        used = bal.served + (bal.allowed - bal.curtailed)
        assert (used <= bal.generation + bal.import_cap + inflow + TOL).all(), raw.replication
        assert (bal.imports >= 0).all() and (bal.imports <= bal.import_cap + TOL).all()


def test_imports_cover_exactly_what_generation_cannot(runs, example_static):
    """Imports = consumption plus net export beyond the zone's generation, within
    the import capacity."""
    net = example_static.network
    for raw, _, bal in runs:
        inflow = -bal.flow_up.copy()
        for c in range(len(example_static.zones)):
            if net.parent[c] >= 0:
                inflow[net.parent[c]] += bal.flow_up[c]
        used = bal.served + (bal.allowed - bal.curtailed) - inflow
        expected = np.clip(used - bal.generation, 0.0, bal.import_cap)
        assert np.allclose(bal.imports, expected, atol=TOL), raw.replication
    assert any((bal.imports > 0).any() for _, _, bal in runs)


def test_relief_equals_the_load_of_facilities_the_event_log_shows_closed_at_the_target(
    runs, example, example_static
):
    t_target = example_static.clock.hours(example.target.by)
    for raw, res, _ in runs:
        ev = res.events
        fac = ev[(ev["entity"] == "facility") & (ev["t_h"] <= t_target)]
        last = fac.groupby("id", sort=False)["event"].last()
        load = res.facilities.set_index("facility")["load_mw"]
        s = res.summary
        total = 0.0
        for kind, metric in (
            ("closed_voluntarily", "relief_voluntary_mw"),
            ("disconnected_by_force", "relief_forced_mw"),
            ("exited", "relief_exit_mw"),
        ):
            closed = last.index[last == kind]
            expected = float(load.loc[closed].sum())
            assert s[metric] == pytest.approx(expected, abs=TOL), (raw.replication, kind)
            total += expected
        assert set(last[last.isin(CLOSURES)].index) <= set(load.index)
        assert s["relief_mw"] - s["relief_limits_mw"] == pytest.approx(total, abs=TOL)
        assert s["relief_limits_mw"] == 0  # the example's only order is not lasting


def test_closure_counts_match_the_event_log(runs, example, example_static):
    t_target = example_static.clock.hours(example.target.by)
    for raw, res, _ in runs:
        ev = res.events[res.events["t_h"] <= t_target]
        s = res.summary
        forced = ev[ev["event"] == "disconnected_by_force"]
        assert s["closures_voluntary"] == (ev["event"] == "closed_voluntarily").sum(), raw.replication
        assert s["closures_forced"] == len(forced)
        assert s["inspections"] == (ev["event"] == "inspected").sum()
        assert s["criminal_cases"] == forced["criminal_case"].sum()
        assert s["devices_seized"] == forced["devices_seized"].sum()


def test_mining_load_follows_the_facility_states(runs, example_static):
    """Load on the grid at the last step = facilities on the grid then."""
    clock = example_static.clock
    t_last = (clock.n_steps - 1) * clock.step_h
    for raw, res, bal in runs:
        fac = res.facilities.set_index("facility")
        ev = res.events
        ev = ev[(ev["entity"] == "facility") & (ev["t_h"] <= t_last)]
        state = fac["state"].copy()
        state[:] = np.where(fac["connect_h"] <= 0, "operating", "pending")
        last = ev.groupby("id")["event"].last()
        state.loc[last.index] = last
        on = state.isin(ON_GRID)
        for lic, series in ((True, bal.licensed), (False, bal.grey)):
            sel = on & (fac["legal_status"] == ("licensed" if lic else "grey"))
            expected = fac[sel].groupby("zone")["load_mw"].sum()
            for z, zone in enumerate(example_static.zones):
                assert series[z, -1] == pytest.approx(expected.get(zone, 0.0), abs=TOL), raw.replication


def spells(shed):
    """Number of maximal spells of consecutive steps with load shed."""
    return sum(1 for short, _ in itertools.groupby(shed > EPS_MW) if short)


def test_loss_metrics_are_consistent(runs, example_static):
    step = example_static.clock.step_h
    for _, res, bal in runs:
        s = res.summary
        total = bal.shed.sum(axis=0)
        assert s["eue_mwh"] == pytest.approx(total.sum() * step)
        assert s["lole_h"] == (total > EPS_MW).sum() * step
        assert s["lolf"] == spells(total)
        assert s["peak_shortfall_mw"] == pytest.approx(total.max())
        zones = example_static.zones
        assert s["eue_mwh"] == pytest.approx(sum(s[f"eue_mwh.{z}"] for z in zones))
        assert max(s[f"lole_h.{z}"] for z in zones) <= s["lole_h"] <= sum(s[f"lole_h.{z}"] for z in zones)
        for z, zone in enumerate(zones):
            assert s[f"lolf.{zone}"] == spells(bal.shed[z]), zone


def test_dispatch_is_a_pure_function_of_the_records(example_static):
    raw = simulate(example_static, 3)
    a, b = dispatch(example_static, raw), dispatch(example_static, raw)
    for name in ("served", "shed", "curtailed", "flow_up", "imports"):
        assert np.array_equal(getattr(a, name), getattr(b, name))


def test_a_replication_raises_no_warning_from_any_module():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        static = prepare(load_scenario(EXAMPLE))
        evaluate(static, simulate(static, 0), keep_records=True)


SHOCKS = [
    "shocks=[{type: unit_trip, fleet: north_coal, units: 2, start: '2022-01-20 10:30', end: '2022-01-22'},"
    " {type: link_cut, links: [north_south], start: '2022-02-03 11:45', end: '2022-02-03 16:00'},"
    " {type: outage_rate, factor: 2.0, start: 2022-02-10},"
    " {type: demand_growth, factor: 1.05, zones: [South], start: 2022-02-15}]",
]
#: Flat daily load shapes: hourly steps then only change with the days, the
#: weather and the records, so the runs are far fewer than the steps.
FLAT_DAYS = [f"zones.{z}.demand.hourly=[{', '.join(['1.0'] * 24)}]" for z in ("North", "South")]
#: Balance fields compared between the compressed and the every-step solve.
FIELDS = ("demand", "grey", "licensed", "allowed", "generation", "imports", "served", "shed", "curtailed",
          "flow_up")  # fmt: skip


@pytest.fixture
def solved_columns(monkeypatch):
    """Steps (columns) of every call of the balance solve made by dispatch."""
    seen = []

    def spy(net, supply, *args, **kw):
        seen.append(supply.shape[1])
        return solve_secure(net, supply, *args, **kw)

    monkeypatch.setattr(model_balance, "solve_secure", spy)
    return seen


def assert_same_balance(fast, full):
    for name in FIELDS:
        np.testing.assert_array_equal(getattr(fast, name), getattr(full, name), err_msg=name)


@pytest.mark.parametrize(
    "overrides",
    [
        ["step_h=0.25"],
        ["step_h=0.25", *SHOCKS],
        FLAT_DAYS,
        [*FLAT_DAYS, "operator.shed_block_fraction=0.05", "operator.curtail_licensed_first=false"],
    ],
    ids=["15min", "15min-shocks", "hourly-flat-days", "hourly-flat-days-blocks-no-priority"],
)
def test_balance_per_run_of_identical_steps_equals_every_step(overrides, solved_columns):
    """The balance is solved once per run of steps in which no input changes; it
    must equal solving every step, field by field. Each case has few enough runs
    that the compressed solve is the one taken."""
    st = prepare(load_scenario(EXAMPLE, overrides))
    T = st.clock.n_steps
    shed = curtailed = 0.0
    for rep in range(3):
        raw = simulate(st, rep)
        runs = segments(st, raw).n
        assert runs < MAX_RUN_SHARE * T, (runs, T)
        fast = dispatch(st, raw)
        assert solved_columns[-1] == runs
        full = dispatch(st, raw, compress=False)
        assert solved_columns[-1] == T
        assert_same_balance(fast, full)
        shed += full.shed.sum()
        curtailed += full.curtailed.sum()
    assert shed > 0 and curtailed > 0  # the comparison covers shortages


def test_with_too_many_runs_every_step_is_solved_and_the_balance_is_the_same(monkeypatch, solved_columns):
    """When runs are more than MAX_RUN_SHARE of the steps, dispatch solves every
    step instead (forced here by lowering the share below the example's runs)."""
    monkeypatch.setattr(model_balance, "MAX_RUN_SHARE", 0.5)
    st = prepare(load_scenario(EXAMPLE))
    T = st.clock.n_steps
    for rep in range(2):
        raw = simulate(st, rep)
        runs = segments(st, raw).n
        assert 0.5 * T < runs < T, (runs, T)
        fast = dispatch(st, raw)
        assert solved_columns[-1] == T  # not the runs: the fallback was taken
        assert_same_balance(fast, dispatch(st, raw, compress=False))
