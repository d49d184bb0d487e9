"""Same scenario and seed, same results: run twice, serially or in processes, with
any number of workers; replication i does not depend on how many there are; two
scenarios that differ only in enforcement share their random inputs (common
random numbers). Also the running moments and chunking the ensemble relies on.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import EXAMPLE
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sim.experiments.ensemble import CHUNK, chunks, run_ensemble
from sim.experiments.precision import Precision
from sim.experiments.result import metric_estimate
from sim.model.replication import prepare, simulate
from sim.results.metrics import evaluate
from sim.results.stats import Moments, estimate
from sim.scenario.load import load_scenario

PARQUETS = ("replications", "timeseries", "events", "facilities")


def run_folder(cli, out, *flags):
    result = cli("run", EXAMPLE, "--out", out, "-n", "12", "--no-figures", "-q", *flags)
    assert result.exit_code == 0, result.output
    return out / "two_zones"


def assert_same_folders(a, b):
    assert json.loads((a / "summary.json").read_text()) == json.loads((b / "summary.json").read_text())
    assert (a / "summary.json").read_text() == (b / "summary.json").read_text()
    assert (a / "scenario.resolved.yaml").read_text() == (b / "scenario.resolved.yaml").read_text()
    for name in PARQUETS:
        pd.testing.assert_frame_equal(
            pd.read_parquet(a / f"{name}.parquet"), pd.read_parquet(b / f"{name}.parquet"), check_exact=True
        )


@pytest.fixture(scope="module")
def serial_folder(tmp_path_factory):
    from click.testing import CliRunner

    from sim.cli import main

    out = tmp_path_factory.mktemp("serial")
    result = CliRunner().invoke(
        main, ["run", str(EXAMPLE), "--out", str(out), "-n", "12", "--no-figures", "-q", "-w", "1"]
    )
    assert result.exit_code == 0, result.output
    return out / "two_zones"


def test_the_same_seed_twice_gives_identical_outputs(cli, tmp_path, serial_folder):
    assert_same_folders(serial_folder, run_folder(cli, tmp_path / "again", "-w", "1"))


def test_one_worker_and_two_workers_give_identical_outputs(cli, tmp_path, serial_folder):
    assert_same_folders(serial_folder, run_folder(cli, tmp_path / "two", "-w", "2"))


def test_another_seed_gives_other_results(cli, tmp_path, serial_folder):
    other = run_folder(cli, tmp_path / "other", "-w", "1", "--seed", "8")
    a = pd.read_parquet(serial_folder / "replications.parquet")
    b = pd.read_parquet(other / "replications.parquet")
    assert not a["eue_mwh"].equals(b["eue_mwh"])
    assert json.loads((other / "summary.json").read_text())["seed"] == 8


@pytest.fixture(scope="module")
def example_static_module():
    return prepare(load_scenario(EXAMPLE))


def test_serial_and_process_ensembles_give_identical_tables(example_static_module):
    sc = example_static_module.scenario
    serial = run_ensemble(sc, replications=25, workers=1, progress=False, static=example_static_module)
    pooled = run_ensemble(sc, replications=25, workers=2, progress=False, static=example_static_module)
    pd.testing.assert_frame_equal(serial.replications, pooled.replications, check_exact=True)
    pd.testing.assert_frame_equal(serial.events, pooled.events, check_exact=True)
    pd.testing.assert_frame_equal(serial.facilities, pooled.facilities, check_exact=True)
    pd.testing.assert_frame_equal(serial.timeseries(), pooled.timeseries(), check_exact=True)
    assert serial.replications["replication"].tolist() == list(range(25))
    assert serial.sim_events == pooled.sim_events


def test_a_replication_does_not_depend_on_how_many_there_are(example_static_module):
    sc = example_static_module.scenario
    few = run_ensemble(sc, replications=7, workers=1, progress=False, static=example_static_module)
    many = run_ensemble(sc, replications=23, workers=1, progress=False, static=example_static_module)
    pd.testing.assert_frame_equal(few.replications, many.replications.iloc[:7], check_exact=True)
    alone = evaluate(example_static_module, simulate(example_static_module, 5)).summary
    assert alone == {k: v for k, v in many.replications.iloc[5].items() if k != "replication"}


def test_precision_mode_adds_replications_until_the_interval_is_narrow_enough(example_static_module):
    sc = example_static_module.scenario
    first = run_ensemble(sc, replications=10, workers=1, progress=False, static=example_static_module)
    e = first.estimate("relief_mw")
    wanted = (e.ci95_high - e.ci95_low) / 2 / 2  # half the half-width of 10 replications
    res = run_ensemble(
        sc, replications=10, workers=1, progress=False, precision_mw=wanted, static=example_static_module
    )
    rel = res.estimate("relief_mw")  # the interval the run reports: half its length is the precision
    assert res.n > 10 and res.n % CHUNK == 0
    assert (rel.ci95_high - rel.ci95_low) / 2 <= wanted
    assert res.scenario.replications == res.n
    again = run_ensemble(
        sc, replications=10, workers=2, progress=False, precision_mw=wanted, static=example_static_module
    )
    pd.testing.assert_frame_equal(res.replications, again.replications, check_exact=True)


def test_precision_targets_any_headline_metric_absolute_or_relative(example_static_module):
    """A relative target on EUE stops at the first chunk boundary where the reported
    interval is narrow enough, and not before."""
    sc = example_static_module.scenario
    target = Precision("eue_mwh", 0.08, relative=True)
    res = run_ensemble(
        sc, replications=10, workers=1, progress=False, precision=[target], static=example_static_module
    )
    assert res.n > 10 and target.met(res.estimate("eue_mwh"))
    previous = 10 if res.n == CHUNK else res.n // 2  # 10, then doubling on chunk boundaries
    earlier = res.replications["eue_mwh"].iloc[:previous]
    assert not target.met(metric_estimate(earlier, "eue_mwh", sc.seed))


def test_scenarios_that_differ_in_enforcement_share_population_outages_and_weather():
    a = load_scenario(EXAMPLE)
    b = load_scenario(
        EXAMPLE,
        [
            "enforcement.teams=6",
            "enforcement.targeting.policy=largest_first",
            "enforcement.outcomes_grey.compliant=0.5",
            "enforcement.outcomes_grey.closed_voluntarily=0.2",
            "enforcement.outcomes_grey.disconnected_by_force=0.3",
        ],
    )
    sa, sb = prepare(a), prepare(b)
    for rep in range(3):
        ra, rb = simulate(sa, rep), simulate(sb, rep)
        for field in ("capacity_mw", "load_mw", "devices", "connect_h", "zone", "licensed"):
            assert np.array_equal(getattr(ra.facilities, field), getattr(rb.facilities, field))
        assert np.array_equal(ra.outage_t, rb.outage_t) and np.array_equal(ra.outage_unit, rb.outage_unit)
        assert np.array_equal(ra.anomaly_c, rb.anomaly_c)
        assert not np.array_equal(ra.events["entity"], rb.events["entity"])  # enforcement differs


# ------------------------------------------------------------------ aggregation


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=40),
    cuts=st.lists(st.integers(0, 40), max_size=5),
)
def test_merged_moments_equal_the_moments_of_all_values(values, cuts):
    x = np.array(values)
    bounds = sorted({0, len(x), *[c for c in cuts if c <= len(x)]})
    total = Moments()
    for a, b in itertools.pairwise(bounds):
        part = Moments()
        for v in x[a:b]:
            part.add(np.array([v, 2 * v]))
        total.merge(part)
    total.merge(Moments())
    assert total.n == len(x)
    assert np.allclose(total.mean, [x.mean(), 2 * x.mean()], atol=1e-9)
    sd = x.std(ddof=1) if len(x) > 1 else 0.0
    assert np.allclose(total.std, [sd, 2 * sd], atol=1e-6)


@given(start=st.integers(0, 100), length=st.integers(0, 100))
def test_chunks_cover_the_range_in_order_on_fixed_boundaries(start, length):
    stop = start + length
    plan = list(chunks(start, stop))
    covered = [i for _, a, b in plan for i in range(a, b)]
    assert covered == list(range(start, stop))
    for idx, a, b in plan:
        assert idx == a // CHUNK and (b - 1) // CHUNK == idx


def test_estimate_is_the_student_t_interval():
    x = np.array([3.0, 5.0, 4.0, 8.0, 6.0])
    e = estimate(x)
    half = stats.t.ppf(0.975, 4) * x.std(ddof=1) / np.sqrt(5)
    assert (e.mean, e.std, e.n) == (5.2, pytest.approx(x.std(ddof=1)), 5)
    assert e.ci95_low == pytest.approx(5.2 - half) and e.ci95_high == pytest.approx(5.2 + half)
    one = estimate(np.array([2.0]))
    assert one.mean == 2.0 and one.std == 0.0 and np.isnan(one.ci95_low)


def test_the_ensemble_time_series_are_the_means_of_the_replications(example_static_module):
    sc = example_static_module.scenario
    res = run_ensemble(
        sc, replications=13, workers=1, progress=False, keep_timeseries=True, static=example_static_module
    )
    shed = np.mean([s["shed_mw"] for s in res.series], axis=0)
    ts = res.timeseries()
    got = ts[(ts["variable"] == "shed_mw") & (ts["zone"] == "South")]["mean"].to_numpy()
    assert np.allclose(got, shed[1])
    relief = np.array([s["relief_mw"] for s in res.series])
    got = ts[ts["variable"] == "relief_mw"]
    assert np.allclose(got["mean"], relief.mean(axis=0))
    assert np.allclose(got["std"], relief.std(axis=0, ddof=1))


def test_the_api_is_pleasant(tmp_path, monkeypatch):
    """``import sim`` gives the public API; a result's repr is one line; a run
    folder can be written to a string path."""
    import sim

    assert sim.__version__ and {"load_scenario", "run_ensemble", "RunData", "write_run"} <= set(dir(sim))
    sc = sim.load_scenario(EXAMPLE, ["replications=2"])
    result = sim.run_ensemble(sc, workers=1, progress=False)
    assert repr(result).count("\n") == 0 and "2 replications" in repr(result)
    monkeypatch.chdir(tmp_path)
    folder = sim.write_run(result, "out", figures=False)
    assert folder == Path("out") / sc.name and (tmp_path / folder / "summary.json").is_file()
