"""Outside systems and flows on every link: monthly schedules, the availability
process of an outside link (against its exact mean, spread, autocorrelation and
correlation with the weather), and, in every step of a small scenario with every
security option on, flows within every limit and every zone in balance; the
per-link outputs add up to the summary.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import ROOT, Z99

from sim.model import outside
from sim.model.operator import run_replication
from sim.model.replication import prepare, simulate
from sim.results.metrics import evaluate
from sim.scenario.load import load_scenario

TOL = 1e-6

#: Three zones, two outside systems, every option of the issue on.
GRID = """\
name: grid
start: 2022-01-01
end: 2022-03-01
seed: 3
replications: 4
outside: [Russia, CentralAsia]
weather: {anomaly_sd_c: 4.0, persistence: 0.7}
zones:
  N: {demand: {peak_mw: 1000}, temperature_sensitivity_mw_per_c: 10}
  S: {demand: {peak_mw: 700}, temperature_sensitivity_mw_per_c: 5}
  W: {demand: {peak_mw: 300}}
generation:
  units:
    - {name: n, zone: N, capacity_mw: 150, count: 8, forced_outage_rate: 0.1, mttr_h: 30}
    - {name: s, zone: S, capacity_mw: 100, count: 4, forced_outage_rate: 0.1, mttr_h: 30}
    - {name: w, zone: W, capacity_mw: 100, count: 3, forced_outage_rate: 0.1, mttr_h: 30}
links:
  - {name: ns, from: N, to: S, capacity_mw: 380, security_limit_mw: 300}
  - name: rn
    from: Russia
    to: N
    capacity_mw: 250
    unscheduled_mw: 150
    schedule:
      import_gwh: [60, 50, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
      export_gwh: [20, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    availability: {mean: 0.8, sd: 0.2, persistence: 0.6, cold_correlation: 0.5}
  - {name: rw, from: Russia, to: W, capacity_mw: 60}
  - name: cs
    from: CentralAsia
    to: S
    capacity_mw: 100
    unscheduled_mw: 0
    schedule: {export_gwh: [15, 40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]}
mining:
  populations:
    - {zone: N, legal_status: licensed, total_mw: 120}
    - {zone: S, legal_status: licensed, total_mw: 30}
operator:
  shed_block_fraction: 0.05
  reserve_mw: {N: largest_unit, S: 40}
  unscheduled_imports: firm_only
"""


def test_a_monthly_schedule_flows_flat_over_each_calendar_month(write):
    """317.2 GWh in November (30 days) is 440.56 MW; 167.1 GWh in December (31
    days) 224.60 MW (the Z11 figures of docs/sources.md)."""
    sc = load_scenario(write("s.yaml", GRID))
    static = prepare(sc)
    mw = outside.monthly_mw((0,) * 10 + (317.2, 167.1), static.clock)
    assert mw.max() == 0  # January and February
    from sim.model.clock import Clock

    clock = Clock(sc.start.replace(year=2021, month=11), sc.timezone, 1.0, 61 * 24)
    mw = outside.monthly_mw((0,) * 10 + (317.2, 167.1), clock)
    assert mw[0] == pytest.approx(317_200 / 720) and mw[-1] == pytest.approx(167_100 / 744)


def test_availability_has_its_mean_spread_autocorrelation_and_correlation_with_the_weather(write):
    """Over 6,000 days: the share's mean 0.5 and sd 0.08 (never clipped at 5 sd),
    lag-1 autocorrelation c^2 phi_w + (1 - c^2) phi_l and correlation c with the
    temperature anomaly (c = 0.6, phi_w = 0.7, phi_l = 0.3)."""
    text = GRID.replace("end: 2022-03-01", "end: 2038-06-01").replace(
        "{mean: 0.8, sd: 0.2, persistence: 0.6, cold_correlation: 0.5}",
        "{mean: 0.5, sd: 0.08, persistence: 0.3, cold_correlation: 0.6}",
    )
    sc = load_scenario(write("s.yaml", text))
    static = prepare(sc)
    raw = simulate(static, 0)
    first = np.flatnonzero(np.diff(static.clock.day, prepend=-1) != 0)
    a = raw.availability[0, first]
    w = raw.anomaly_c[first]
    n, c, pw, pl = a.size, 0.6, 0.7, 0.3
    z = (a - 0.5) / 0.08
    # Variance of the mean of the mixed AR(1): sum of each part's long-run variance.
    long_run = c**2 * (1 + pw) / (1 - pw) + (1 - c**2) * (1 + pl) / (1 - pl)
    assert abs(z.mean()) <= Z99 * math.sqrt(long_run / n)
    assert z.std() == pytest.approx(1.0, abs=0.06)
    assert np.corrcoef(z[1:], z[:-1])[0, 1] == pytest.approx(c**2 * pw + (1 - c**2) * pl, abs=0.05)
    assert np.corrcoef(z, w)[0, 1] == pytest.approx(c, abs=0.05)


def check_flows(static, raw, res) -> tuple[float, float, float]:
    """Every limit and every zone's balance in every step of one replication;
    returns (firm shed, curtailed, steps past a security limit)."""
    from sim.model import network

    sc, ol, zones = static.scenario, static.outside, list(static.zones)
    fwd, back = network.link_capacity(sc, static.clock)
    bal = res.extra["balance"]
    lf = bal.links
    flow = lf.flow
    # Every link within its thermal capacity; a link between zones past its
    # security limit only to serve firm load: the zone it feeds serves no
    # licensed miners then.
    assert (flow <= fwd + TOL).all() and (flow >= -back - TOL).all()
    served_lic = bal.allowed - bal.curtailed
    emergencies = 0
    for li, link in enumerate(sc.links):
        if link.security_limit_mw is None:
            continue
        over = flow[li] > link.security_limit_mw + TOL
        under = flow[li] < -link.security_limit_mw - TOL
        emergencies += over.sum() + under.sum()
        assert served_lic[zones.index(link.to), over].max(initial=0) <= TOL
        assert served_lic[zones.index(link.from_), under].max(initial=0) <= TOL
    # Outside links: imports within what the neighbour can give, exports within
    # the schedule; the flow is their difference.
    cap = ol.capacity * raw.availability
    assert (lf.imports >= -TOL).all() and (lf.imports <= cap + TOL).all()
    assert (lf.unscheduled <= np.minimum(ol.unscheduled[:, None], cap) + TOL).all()
    assert (lf.exports >= -TOL).all() and (lf.exports <= ol.scheduled_out + TOL).all()
    np.testing.assert_allclose(flow[ol.index], lf.imports - lf.exports, atol=TOL)
    # Every zone: own generation + net inflow over all its links = load served.
    inflow = np.zeros_like(bal.served)
    for li, link in enumerate(sc.links):
        inflow[zones.index(link.to)] += flow[li]
        if link.from_ in sc.zones:
            inflow[zones.index(link.from_)] -= flow[li]
    np.testing.assert_allclose(lf.dispatched + inflow, bal.served + served_lic, atol=TOL)
    assert (lf.dispatched >= -TOL).all() and (lf.dispatched <= bal.generation + TOL).all()
    assert (lf.reserve >= -TOL).all() and (lf.reserve <= static.reserve[:, None] + TOL).all()
    # Summary per outside link = its series over the run.
    h = static.clock.step_h
    for j, name in enumerate(ol.names):
        assert res.summary[f"imports_mwh.{name}"] == pytest.approx(lf.imports[j].sum() * h)
        assert res.summary[f"exports_mwh.{name}"] == pytest.approx(lf.exports[j].sum() * h)
    assert res.summary["imports_mwh"] == pytest.approx(lf.imports.sum() * h)
    return bal.shed.sum(), bal.curtailed.sum(), emergencies


def test_flows_respect_every_limit_and_every_zone_balances_in_every_step(write):
    sc = load_scenario(write("s.yaml", GRID))
    static = prepare(sc)
    totals = np.zeros(3)
    for rep in range(sc.replications):
        raw = simulate(static, rep)
        totals += check_flows(static, raw, evaluate(static, raw, keep_records=True))
    # The scenario exercises what the checks are about.
    assert (totals > 0).all(), totals
    assert static.reserve.tolist() == [150.0, 40.0, 0.0]


@pytest.mark.parametrize("path", ["kazakhstan_2021_22.yaml", "shortages/south_islanding.yaml"])
def test_the_flagships_flows_respect_every_limit_and_balance_every_zone(path):
    """Also in the 25 January islanding, whose first hour sheds by stages."""
    static = prepare(load_scenario(ROOT / "scenarios" / path))
    totals = np.zeros(3)
    for rep in range(3):
        raw = run_replication(static, rep)
        totals += check_flows(static, raw, evaluate(static, raw, keep_records=True))
    assert (totals > 0).all(), totals
