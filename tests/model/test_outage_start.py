"""A unit that starts on forced outage is out from the first step, even if it is
not repaired before the end (issue #10: such a unit counted as available for the
whole run, because its initial state was rebuilt from its first change).

One 100 MW unit with FOR 0.5 and MTTR = MTTF = 10,000 h over 10 hourly steps
against 50 MW: load is shed exactly in the steps that start with the unit down.
The unit is in its stationary state at every time, so E[LOLE] = 10 h x FOR = 5 h
exactly; the run is all shortage with probability FOR x exp(-10 h / MTTR).
"""

from __future__ import annotations

import math

import numpy as np
from conftest import Z99, binomial_ok, mean_ci

from sim.experiments.ensemble import run_ensemble
from sim.model.generation import unit_table
from sim.model.outages import by_time, sample_outages
from sim.model.replication import prepare
from sim.scenario.schema import Scenario

FOR, MTTR_H, HOURS, N = 0.5, 10_000.0, 10, 600
FLAT = {"hourly": [1] * 24, "monthly": [1] * 12, "weekend_factor": 1}
UNIT = {"name": "u", "zone": "A", "capacity_mw": 100, "forced_outage_rate": FOR, "mttr_h": MTTR_H}

ONE_UNIT = Scenario.model_validate(
    {
        "name": "one_unit",
        "start": "2022-01-01",
        "end": "2022-01-01T10:00",
        "seed": 20,
        "replications": N,
        "zones": {"A": {"demand": {"peak_mw": 50, **FLAT}}},
        "generation": {"units": [UNIT]},
    }
)


def test_the_sampler_returns_the_initial_state_of_a_unit_with_no_change():
    static = prepare(ONE_UNIT)
    units = unit_table(ONE_UNIT, static.clock)
    rng = np.random.default_rng(3)
    starts_down = 0
    for _ in range(200):
        t, _, _, up0 = sample_outages(units, HOURS, rng)
        if t.size == 0:  # no change in the run: the initial state holds throughout
            starts_down += int(not up0[0])
    assert starts_down > 50  # about half of the runs start down and stay down


def test_lole_of_one_unit_that_may_start_down_is_exact_in_expectation():
    result = run_ensemble(ONE_UNIT, workers=1, progress=False)
    lole = result.replications["lole_h"].to_numpy()
    expected = HOURS * FOR  # stationary at every step start
    lo, hi = mean_ci(lole, z=Z99)
    assert lo <= expected <= hi, (lo, hi)
    assert hi - lo < 1.2
    all_down = FOR * math.exp(-HOURS / MTTR_H)
    assert binomial_ok(int((lole == HOURS).sum()), N, all_down)


def test_outages_are_ordered_as_by_a_stable_sort_with_or_without_ties():
    """Changes are ordered by time as a stable sort orders them: ties (whole
    hours drawn on purpose) keep the order in which they were drawn."""
    rng = np.random.default_rng(5)
    for times in (rng.uniform(0, 5000, 3000), rng.integers(0, 50, 3000).astype(float), np.zeros(0)):
        np.testing.assert_array_equal(by_time(times), np.argsort(times, kind="stable"))
