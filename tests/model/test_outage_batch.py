"""Outages of a chunk of replications at once (sim/model/outage_batch.py) are
those of one replication at a time (``sample_outages``), to the bit."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from conftest import DATA, EXAMPLE

from sim.model import outage_batch
from sim.model.outages import sample_outages
from sim.model.replication import prepare, streams
from sim.scenario.load import load_scenario

COPT = DATA / "copt_single_zone.yaml"


def _units(path, overrides=()):
    st = prepare(load_scenario(path, list(overrides)))
    return st.units, st.clock.horizon_h


def _with_unrepaired(units):
    """The table with one unit that never fails (infinite MTTF)."""
    mttf = units.mttf_h.copy()
    mttf[0] = np.inf
    return dataclasses.replace(units, mttf_h=mttf)


@pytest.mark.parametrize(
    "case",
    ["copt", "copt-one-never-fails", "copt-two-days", "example"],
)
def test_a_chunk_draws_what_each_replication_draws_alone(case):
    path = EXAMPLE if case == "example" else COPT
    units, horizon = _units(path, ["mining.populations=[]"] if case == "example" else [])
    if case == "copt-one-never-fails":
        units = _with_unrepaired(units)
    if case == "copt-two-days":
        horizon = 48.0
    assert outage_batch.covers(units)
    reps = range(3, 20)
    rep, t, u, up, up0 = outage_batch.sample_chunk(units, horizon, [streams(9, r)["outages"] for r in reps])
    assert up0.shape == (len(reps), units.n)
    assert np.all(np.diff(rep) >= 0)
    for i, r in enumerate(reps):
        alone = sample_outages(units, horizon, streams(9, r)["outages"])
        mine = rep == i
        for got, want in zip((t[mine], u[mine], up[mine], up0[i]), alone, strict=True):
            assert got.dtype.kind == want.dtype.kind
            assert np.array_equal(np.asarray(got), np.asarray(want)), (case, r)
    assert t.size > 0


def test_a_warped_table_is_not_covered():
    units, _ = _units(COPT, ["shocks=[{type: outage_rate, factor: 3.0, start: 2022-01-06}]"])
    assert not outage_batch.covers(units)
