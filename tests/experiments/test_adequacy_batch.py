"""The adequacy batch path (sim/experiments/adequacy_batch.py) runs a chunk of
single-zone adequacy replications at once and gives the same replication rows,
moments of the time series, records and summary as the regular path (one
replication at a time), to the last bit, at the same seed; scenarios it does
not cover take the regular path.
"""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest
from conftest import DATA, EXAMPLE, ROOT

from sim.experiments import adequacy_batch, ensemble
from sim.experiments.ensemble import KEEP_RECORDS, run_chunk, run_ensemble
from sim.model import outage_batch
from sim.model.replication import prepare
from sim.scenario.load import load_scenario

COPT = DATA / "copt_single_zone.yaml"


def _rts79(tmp_path):
    """The bench's IEEE RTS-79 system (32 units, 8,736 hourly loads) as a scenario."""
    spec = importlib.util.spec_from_file_location("rts79", ROOT / "bench" / "rts79.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.write_scenario(tmp_path)


def bits(a) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(a, dtype=float)).view(np.int64)


def assert_same_bits(a, b, what="") -> None:
    assert np.shape(a) == np.shape(b), what
    assert np.array_equal(bits(a), bits(b)), what


def _both(monkeypatch, fn):
    """``fn()`` with the batch path, then with the regular path only; the
    batch path must have run (and the regular one not, the second time)."""
    taken = []

    def spy(*args):
        out = adequacy_batch.run_batch(*args)
        taken.append(out is not None)
        return out

    monkeypatch.setattr(ensemble, "run_batch", spy)
    adequacy_batch._FIRST.clear()
    batch = fn()
    assert taken and all(taken)
    monkeypatch.setattr(adequacy_batch, "ENABLED", False)
    before = len(taken)
    regular = fn()
    assert not any(taken[before:])  # nothing batched the second time
    return batch, regular


def assert_same_ensembles(a, b) -> None:
    ra, rb = a.replications, b.replications
    assert list(ra.columns) == list(rb.columns)
    for col in ra.columns:
        assert_same_bits(ra[col], rb[col], col)
    assert a.moments.keys() == b.moments.keys()
    for name, m in a.moments.items():
        assert m.n == b.moments[name].n, name
        assert_same_bits(m.mean, b.moments[name].mean, name)
        assert_same_bits(m.m2, b.moments[name].m2, name)
    assert a.sim_events == b.sim_events
    assert a.events.equals(b.events) and a.facilities.equals(b.facilities)
    assert json.dumps(a.summary(), default=str) == json.dumps(b.summary(), default=str)


@pytest.mark.parametrize(
    "overrides",
    [[], ["operator.shed_block_fraction=0.05"], ["operator.curtail_licensed_first=false", "seed=5"]],
    ids=["copt", "copt-blocks", "copt-pro-rata"],
)
def test_the_batch_path_gives_the_regular_paths_ensemble_to_the_bit(monkeypatch, overrides):
    sc = load_scenario(COPT, overrides)
    assert adequacy_batch.eligible(prepare(sc))

    def run():
        return run_ensemble(sc, replications=60, seed=11, workers=1, progress=False)

    batch, regular = _both(monkeypatch, run)
    assert batch.replications["lole_h"].sum() > 0  # there is something to compare
    assert_same_ensembles(batch, regular)


def test_the_batch_path_gives_the_regular_paths_chunks_on_the_rts79(monkeypatch, tmp_path):
    st = prepare(load_scenario(_rts79(tmp_path)))
    assert adequacy_batch.eligible(st)
    # Chunk 12 holds a replication short by the slack only (nothing shed), and
    # chunk 0 the replications whose records are kept.
    for index in (0, 12):
        a, b = index * 25, index * 25 + 25
        batch, regular = _both(monkeypatch, lambda a=a, b=b, i=index: run_chunk(st, i, a, b))
        monkeypatch.setattr(adequacy_batch, "ENABLED", True)
        assert [r["replication"] for r in batch.rows] == list(range(a, b))
        for x, y in zip(batch.rows, regular.rows, strict=True):
            assert list(x) == list(y)
            assert_same_bits(list(x.values()), list(y.values()), x["replication"])
        for name, m in batch.moments.items():
            g, h = m.expand(), regular.moments[name].expand()
            assert g.n == h.n == 25
            assert_same_bits(g.mean, h.mean, name)
            assert_same_bits(g.m2, h.m2, name)
        assert batch.sim_events == regular.sim_events
        assert len(batch.events) == len(regular.events) == max(0, min(b, KEEP_RECORDS) - a)
        assert all(x.equals(y) for x, y in zip(batch.events, regular.events, strict=True))
        assert any(r["lole_h"] > 0 for r in batch.rows)


@pytest.mark.parametrize(
    ("path", "overrides"),
    [
        (EXAMPLE, ["mining.populations=[]"]),  # two zones and a link
        (EXAMPLE, []),  # mining
        (COPT, ["weather.anomaly_sd_c=3"]),
        (COPT, ["shocks=[{type: outage_rate, factor: 3.0, start: 2022-01-06}]"]),
        (COPT, ["operator.reserve_mw={Z: 50}"]),
    ],
    ids=["two-zones", "mining", "weather", "shock", "reserve"],
)
def test_scenarios_the_batch_does_not_cover_take_the_regular_path(path, overrides):
    st = prepare(load_scenario(path, overrides))
    assert not adequacy_batch.eligible(st)
    assert adequacy_batch.run_batch(st, 0, 25, KEEP_RECORDS) is None


def test_the_regular_path_can_be_forced(monkeypatch):
    st = prepare(load_scenario(COPT))
    monkeypatch.setattr(adequacy_batch, "ENABLED", False)
    assert adequacy_batch.eligible(st)
    assert adequacy_batch.run_batch(st, 0, 25, KEEP_RECORDS) is None


def test_outages_drawn_one_replication_at_a_time_give_the_same_batch(monkeypatch):
    sc = load_scenario(COPT)

    def run():
        return run_ensemble(sc, replications=30, seed=4, workers=1, progress=False)

    together = run()
    monkeypatch.setattr(outage_batch, "covers", lambda units: False)
    batch, regular = _both(monkeypatch, run)
    assert_same_ensembles(batch, together)
    assert_same_ensembles(batch, regular)
