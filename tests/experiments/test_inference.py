"""Inference (issue 13): priors, parameter maps, the seeded ABC-SMC sampler, and
the recovery of known parameters from figures simulated with them."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np
import pytest
from conftest import EXAMPLE
from scipy import integrate

from sim.experiments.inference.calibrate import calibrate, load
from sim.experiments.inference.expr import Expression
from sim.experiments.inference.priors import make_prior
from sim.experiments.inference.spec import Unknown
from sim.scenario.load import load_scenario

#: The truth of the recovery test, set in the example scenario.
TRUTH = {"inspection_days": 1.2, "forced_share": 0.7, "criminal": 0.35}

CALIBRATION = """\
set:
  - target.checkpoints=[2022-02-10]
unknowns:
  inspection_days: {{key: enforcement.inspection.mean_days, prior: lognormal, median: 2, sigma: 0.6,
                    low: 0.4, high: 8}}
  forced_share: {{prior: uniform, low: 0.1, high: 0.9}}
  criminal: {{key: enforcement.criminal_case_probability, prior: uniform, low: 0.05, high: 0.95}}
derived:
  enforcement.outcomes_grey.closed_voluntarily: 0.9 * (1 - forced_share)
  enforcement.outcomes_grey.disconnected_by_force: 0.9 * forced_share
observations:
  - {{label: voluntary closures, column: closures_voluntary, reported: {closures_voluntary:g},
     kind: count, sds: 1}}
  - {{label: forced closures, column: closures_forced, reported: {closures_forced:g}, kind: count, sds: 1}}
  - {{label: criminal cases, column: criminal_cases, reported: {criminal_cases:g}, kind: count, sds: 1}}
held_out:
  - {{label: forced relief by 10 Feb, column: "relief_forced_mw@2022-02-10", reported: {relief_forced:g},
     low: 0, high: 1000}}
  - {{label: a date, reported: 13 Oct 2021}}
verdicts:
  enough: {{label: no shedding after the campaign start, column: lole_after_campaign_h, high: 0}}
inference: {{population: {population}, generations: {generations}, predictive_draws: 60}}
sensitivity: {{samples: 8, replications: 2, outputs: [relief_mw, enough]}}
"""


def simulated_record(tmp_path: Path, population: int = 60, generations: int = 4) -> Path:
    """A calibration file whose records are one replication of the example at TRUTH."""
    sc = load_scenario(
        EXAMPLE,
        [
            "target.checkpoints=[2022-02-10]",
            f"enforcement.inspection.mean_days={TRUTH['inspection_days']}",
            f"enforcement.criminal_case_probability={TRUTH['criminal']}",
            f"enforcement.outcomes_grey.closed_voluntarily={0.9 * (1 - TRUTH['forced_share'])}",
            f"enforcement.outcomes_grey.disconnected_by_force={0.9 * TRUTH['forced_share']}",
            "replications=1",
            "seed=2024",
        ],
    )
    from sim.model.replication import prepare, simulate
    from sim.results.metrics import evaluate

    static = prepare(sc)
    s = evaluate(static, simulate(static, 0)).summary
    path = tmp_path / "calibration.yaml"
    sizes = {"population": population, "generations": generations}
    text = CALIBRATION.format(**s, relief_forced=s["relief_forced_mw@2022-02-10"], **sizes)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def recovery(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("recovery")
    cal = simulated_record(tmp)
    return calibrate(EXAMPLE, cal, tmp / "history.db", executor="process", workers=1, seed=11)


# ---------------------------------------------------------------------- priors


@pytest.mark.parametrize(
    "spec",
    [
        {"prior": "uniform", "low": 1, "high": 3},
        {"prior": "lognormal", "median": 2, "sigma": 0.5, "low": 0.5, "high": 6},
        {"prior": "normal", "mean": 0, "sd": 1, "low": -1, "high": 2},
        {"prior": "beta", "a": 2, "b": 5, "low": 0.2, "high": 0.7},
    ],
    ids=lambda s: s["prior"],
)
def test_truncated_priors_are_densities_whose_quantiles_stay_in_bounds(spec):
    p = make_prior("x", Unknown(**spec))
    mass, _ = integrate.quad(p.pdf, p.low, p.high, limit=200)
    assert mass == pytest.approx(1, abs=1e-6)
    x = p.ppf(np.linspace(0, 1, 101))
    assert np.all(np.diff(x) >= 0) and x.min() >= p.low and x.max() <= p.high
    # the quantile function inverts the distribution function
    for u in (0.1, 0.5, 0.9):
        got, _ = integrate.quad(p.pdf, p.low, float(p.ppf(u)))
        assert got == pytest.approx(u, abs=1e-6)


def test_an_integer_prior_gives_every_integer_the_same_chance():
    p = make_prior("teams", Unknown(prior="integer", low=2, high=5))
    values = [p.value(float(x)) for x in p.ppf(np.random.default_rng(0).random(40_000))]
    counts = np.bincount(values)[2:]
    assert len(counts) == 4 and all(isinstance(v, int) for v in values[:10])
    assert counts / counts.sum() == pytest.approx([0.25] * 4, abs=0.01)


def test_expressions_allow_arithmetic_on_unknowns_only():
    e = Expression("1 - share * (1 - max(a, 0.5)) ** 2")
    assert e.names == ("share", "a")
    assert e({"share": 0.4, "a": 0.2}) == pytest.approx(1 - 0.4 * 0.25)
    for bad in ("__import__('os')", "a.b", "a if a else b", "lambda: 1", "1 +"):
        with pytest.raises(ValueError):
            Expression(bad)


# ---------------------------------------------------------------- parameter maps


def test_the_parameter_map_sets_keys_lists_and_derived_values(tmp_path):
    cal_file = tmp_path / "c.yaml"
    cal_file.write_text(
        textwrap.dedent(
            """\
            unknowns:
              limit: {key: operator.orders.0.licensed_limit, prior: uniform, low: 0.2, high: 0.9}
              teams: {key: enforcement.teams, prior: integer, low: 1, high: 6}
              share: {prior: uniform, low: 0, high: 1}
            derived:
              enforcement.outcomes_grey.closed_voluntarily: 0.9 * (1 - share)
              enforcement.outcomes_grey.disconnected_by_force: 0.9 * share
            observations:
              - {label: x, column: closures_forced, reported: 5, kind: count}
            """
        ),
        encoding="utf-8",
    )
    pmap, _ = load(EXAMPLE, cal_file)
    sc = pmap.scenario({"limit": 0.3, "teams": 3.4, "share": 0.25}, seed=99)
    assert sc.operator.orders[0].licensed_limit == 0.3
    assert sc.enforcement.teams == 3 and sc.seed == 99
    assert sc.enforcement.outcomes_grey.disconnected_by_force == pytest.approx(0.225)
    assert sc.enforcement.outcomes_grey.closed_voluntarily == pytest.approx(0.675)
    # everything else is the scenario's own
    base = load_scenario(EXAMPLE)
    assert sc.generation == base.generation and sc.zones == base.zones


# ------------------------------------------------------------------- inference


def test_known_parameters_are_recovered_and_the_records_checked(recovery):
    """One test (one fixture run, whichever worker runs it): the truth inside the 90 %
    posterior intervals, then the predictive checks of the same run."""
    s = recovery.summary
    for name, truth in TRUTH.items():
        u = s["unknowns"][name]
        assert u["q05"] <= truth <= u["q95"], (name, truth, u)
    # the records inform the pace and the criminal-case rate: their intervals shrink
    assert s["unknowns"]["inspection_days"]["width_ratio"] < 0.8
    assert s["unknowns"]["criminal"]["width_ratio"] < 0.9
    assert s["reached_final_epsilon"]
    # the last population is within every band, as the final epsilon says
    assert (recovery.posterior.particles["distance"] <= 1.0).all()
    fitted = {r["label"]: r for r in s["fitted"]}
    assert all(r["status"] == "checked" for r in fitted.values())
    # the fitted records were reproduced: each lies inside its predictive interval
    assert all(r["inside"] for r in fitted.values())
    held = {r["label"]: r for r in s["held_out"]}
    assert held["a date"]["status"] == "not an output yet"
    draws = recovery.draws["relief_forced_mw@2022-02-10"].to_numpy()
    r = held["forced relief by 10 Feb"]
    assert r["q05"] == pytest.approx(np.quantile(draws, 0.05))
    assert r["inside"] == (r["q05"] <= r["reported"] <= r["q95"])
    v = s["verdicts"]["enough"]
    assert v["probability"] == pytest.approx(np.mean(recovery.draws["lole_after_campaign_h"] == 0))
    assert len(recovery.draws) == 60 and math.isfinite(v["ci95_high"])  # predictive_draws


def test_the_same_seed_gives_the_same_posterior_serially_and_on_processes(tmp_path):
    cal = simulated_record(tmp_path, population=15, generations=2)
    runs = [
        calibrate(EXAMPLE, cal, tmp_path / f"h{w}.db", workers=w, seed=3, draws=10).posterior.particles
        for w in (1, 2)
    ]
    assert runs[0].equals(runs[1])
    other = calibrate(EXAMPLE, cal, tmp_path / "h3.db", workers=1, seed=4, draws=10).posterior.particles
    assert not other.equals(runs[0])


@pytest.mark.slow
def test_dask_gives_the_same_posterior(tmp_path):
    cal = simulated_record(tmp_path, population=15, generations=2)
    serial = calibrate(EXAMPLE, cal, tmp_path / "a.db", workers=1, seed=3, draws=10)
    dask = calibrate(EXAMPLE, cal, tmp_path / "b.db", executor="dask", workers=2, seed=3, draws=10)
    assert dask.posterior.particles.equals(serial.posterior.particles)
    assert dask.draws.equals(serial.draws)
