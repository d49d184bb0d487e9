"""Sudden cuts: under-frequency load shedding in stages and the generation that
trips with a frequency collapse, on hand-computed cases and end to end in a
small two-zone scenario (sim.model.frequency).
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.model.balance import dispatch
from sim.model.frequency import collapse
from sim.model.replication import prepare, simulate
from sim.scenario.load import load_scenario
from sim.scenario.schema import Ufls

#: Slow stage 10 %, fast stages 20 x 2.5 %, a quarter of running generation trips.
RULES = Ufls(slow_share=0.10, fast_share=0.50, fast_stages=20, trip_share=0.25, return_h=2)


@pytest.mark.parametrize(
    ("infeed", "reserve", "expected"),
    [
        # A surplus or a loss the reserve covers: nothing happens.
        (-200, 0, (0, 0, 0)),
        (150, 200, (0, 0, 0)),
        # 250 - 50 = 200 <= 10 % of 3,000: the slow stage (300) alone, no trip.
        (250, 50, (200, 0, 300)),
        # 1,600 lost: 25 % of the 2,000 running trips (500), so 2,100 must go:
        # 300 slow + 24 fast stages of 75 would be 2,100, but there are only 20.
        # 1,200 lost: 1,700 must go: 300 + 19 x 75 = 1,725.
        (1_200, 0, (1_200, 500, 1_725)),
        # Past the last stage (300 + 20 x 75 = 1,800 < 2,100): blackout.
        (1_600, 0, (1_600, 2_000, 3_000)),
    ],
)
def test_stages_and_trips_by_hand(infeed, reserve, expected):
    got = collapse(RULES, infeed, reserve, running=2_000, load=3_000)
    assert got == pytest.approx(expected)


ISLAND = """\
name: island
start: 2022-01-10
end: 2022-01-12
seed: 1
zones:
  N: {demand: {peak_mw: 1000, hourly: FLAT24, monthly: FLAT12, weekend_factor: 1}}
  S: {demand: {peak_mw: 1000, hourly: FLAT24, monthly: FLAT12, weekend_factor: 1}}
generation:
  units:
    - {name: n, zone: N, capacity_mw: 1500}
    - {name: s, zone: S, capacity_mw: 600}
links:
  - {name: ns, from: N, to: S, capacity_mw: 500}
operator:
  ufls: {slow_share: 0.1, fast_share: 0.5, fast_stages: 20, trip_share: 0.25, return_h: 3}
shocks:
  - {type: link_cut, links: [ns], start: 2022-01-11T10:00, end: 2022-01-11T18:00, sudden: true}
""".replace("FLAT24", str([1.0] * 24)).replace("FLAT12", str([1.0] * 12))


def test_a_zone_cut_off_suddenly_sheds_by_stages_loses_a_share_of_its_units_and_recovers(write):
    """S: load 1,000 (flat), its own 600 MW and 400 from N. At 10:00 the link
    trips: 400 lost, 150 of S's 600 running trip, so 550 must go: 100 slow + 18
    fast stages of 25 = 550. For 3 hours S has 450 MW (sheds 550); then its 600
    (sheds 400) until the link is back at 18:00."""
    st = prepare(load_scenario(write("s.yaml", ISLAND)))
    bal = dispatch(st, simulate(st, 0))
    hour = st.clock.index.hour.to_numpy()
    day = st.clock.index.day.to_numpy()
    s = 1
    (ev,) = bal.links.collapses
    assert (ev.zone, ev.deficit_mw, ev.tripped_mw, ev.shed_mw) == (s, 400, 150, pytest.approx(550))
    on = day == 11
    shed = {h: bal.shed[s, on & (hour == h)][0] for h in (9, 10, 11, 12, 13, 17, 18)}
    assert shed == pytest.approx({9: 0, 10: 550, 11: 550, 12: 550, 13: 400, 17: 400, 18: 0})
    gen = {h: bal.generation[s, on & (hour == h)][0] for h in (9, 10, 12, 13)}
    assert gen == pytest.approx({9: 600, 10: 450, 12: 450, 13: 600})
    # The island balances on its own units: dispatched = served.
    np.testing.assert_allclose(bal.links.dispatched[s, on & (hour == 10)], 450)


def test_a_planned_cut_sheds_only_what_the_island_lacks(write):
    text = ISLAND.replace(", sudden: true", "")
    st = prepare(load_scenario(write("s.yaml", text)))
    bal = dispatch(st, simulate(st, 0))
    assert bal.links.collapses == []
    assert bal.shed[1].max() == pytest.approx(400)


def test_a_sudden_cut_needs_the_ufls_rules(write):
    from sim.errors import ScenarioError

    text = ISLAND.split("  ufls:")[0] + "  shed_block_fraction: 0\n" + ISLAND.split("return_h: 3}\n")[1]
    with pytest.raises(ScenarioError, match=r"shocks\[0\]\.sudden: a sudden cut needs operator\.ufls"):
        load_scenario(write("s.yaml", text))
