"""Scenarios side by side, with paired differences against a baseline.

Every scenario of a comparison runs with the same root seed and the same number
of replications, so replication ``i`` of each sees the same random streams
(common random numbers: :func:`sim.model.replication.streams` derives them from
the root seed and the index). A difference between two scenarios is then estimated per
replication (:mod:`sim.results.paired`).

- :func:`paired_differences`: ``a - b`` per replication for some metrics, with
  the mean and the 95 % interval of the differences;
- :func:`compare`: the headline metrics of several scenarios in one table,
  their differences from a baseline, and optionally each scenario's own
  counterfactual without the crackdown (:func:`without_crackdown`);
- :func:`baseline_differences`: one run against a baseline (``gridshed run --baseline``).

Tables, the comparison folder and the figure are drawn by :mod:`sim.report`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sim.errors import Problem, ScenarioError
from sim.experiments.ensemble import run_ensemble
from sim.experiments.result import EnsembleResult
from sim.results.paired import paired_table, share_at_least
from sim.scenario.schema import Scenario
from sim.vocab import DIFFERENCES, HEADLINE, ZONE_METRICS

# ------------------------------------------------------------------ statistics


def paired_differences(
    a: EnsembleResult, b: EnsembleResult, metrics: Sequence[str] = DIFFERENCES
) -> pd.DataFrame:
    """``a - b`` replication by replication, for each metric (:func:`paired_table`).

    Replications are matched on their index, so with the same seed (common
    random numbers) each pair saw the same population, outages and weather.
    Returns one row per metric: ``metric, mean, ci95_low, ci95_high, std, n``
    (of the differences, Student t, in the metric's unit), ``mean_a, mean_b``,
    ``common_random_numbers`` (same seed) and ``direction``: ``higher`` or
    ``lower`` when the interval excludes 0 (``a`` above or below ``b``), else
    ``no clear difference``.

    Raises :class:`ValueError` if the runs share no replication or lack a metric.
    """
    crn = a.scenario.seed == b.scenario.seed
    return paired_table(a.replications, b.replications, metrics, crn)


def summary_row(result: EnsembleResult) -> dict[str, Any]:
    """One flat row of headline metrics: ``metric``, ``metric.ci95_low``,
    ``metric.ci95_high`` for :data:`~sim.vocab.HEADLINE` and for
    :data:`~sim.vocab.ZONE_METRICS` by zone (``eue_mwh.North`` ...), in each
    metric's unit, plus the target check when the scenario has one: ``verdict``,
    ``probability_within`` (relief inside ``target +- tolerance``, as in the run
    summary) and ``probability_reached`` (relief at least ``target - tolerance``:
    overshooting counts as reaching), each with its Wilson 95 % interval."""
    sc = result.scenario
    row: dict[str, Any] = {"scenario": sc.name, "replications": result.n, "seed": sc.seed}
    if sc.target is not None:
        s = result.summary()["target"]
        p = s["probability_within"]
        row.update(
            {
                "target_mw": s["relief_mw"],
                "target_tolerance_mw": s["tolerance_mw"],
                "target_by": s["by"][:10],
                "verdict": s["verdict"],
                "probability_within": p["mean"],
                "probability_within.ci95_low": p["ci95_low"],
                "probability_within.ci95_high": p["ci95_high"],
            }
        )
        relief = result.replications["relief_mw"].to_numpy(dtype=float)
        share = share_at_least(relief, s["relief_mw"] - s["tolerance_mw"])
        (
            row["probability_reached"],
            row["probability_reached.ci95_low"],
            row["probability_reached.ci95_high"],
        ) = share
    names = list(HEADLINE) + [f"{m}.{z}" for m in ZONE_METRICS for z in sc.zones]
    for m in names:
        if m not in result.replications.columns:
            continue
        e = result.estimate(m)
        row[m], row[f"{m}.ci95_low"], row[f"{m}.ci95_high"] = e.mean, e.ci95_low, e.ci95_high
    return row


def without_crackdown(sc: Scenario) -> Scenario:
    """The scenario without the crackdown: no inspection campaign and no lasting
    limit on licensed miners; the operator's emergency orders stay. This is how
    ``scenarios/kazakhstan_2021_22_no_crackdown.yaml`` is built from the flagship."""
    enforcement = sc.enforcement.model_copy(update={"enabled": False})
    orders = tuple(o for o in sc.operator.orders if not o.lasting)
    operator = sc.operator.model_copy(update={"orders": orders})
    return sc.model_copy(
        update={"name": f"{sc.name}.no_crackdown", "enforcement": enforcement, "operator": operator}
    )


def target_of(sc: Scenario) -> dict[str, Any] | None:
    """The scenario's target as ``relief_mw, tolerance_mw`` (MW) and ``by`` (a date), or None."""
    t = sc.target
    if t is None:
        return None
    return {"relief_mw": t.relief_mw, "tolerance_mw": t.tolerance_mw, "by": t.by}


def timed_run(
    sc: Scenario,
    replications: int,
    seed: int,
    workers: int | None,
    executor: str,
    progress: bool | None,
) -> tuple[EnsembleResult, float]:
    """One ensemble (:func:`run_ensemble`) and its wall-clock time in seconds."""
    t0 = time.perf_counter()
    result = run_ensemble(
        sc, replications=replications, seed=seed, workers=workers, executor=executor, progress=progress
    )
    return result, time.perf_counter() - t0


# ------------------------------------------------------------------ comparison


@dataclass
class Comparison:
    """Scenarios run with common random numbers, side by side."""

    results: dict[str, EnsembleResult]
    """Ensembles by scenario name, in the order given."""
    baseline: EnsembleResult | None
    """The baseline ensemble, if any."""
    counterfactuals: dict[str, EnsembleResult]
    """Each scenario without the crackdown (:func:`without_crackdown`), if asked."""
    table: pd.DataFrame
    """One row per scenario (the baseline last, ``role`` = ``baseline``): see :func:`summary_row`."""
    differences: pd.DataFrame
    """Paired differences scenario - baseline: ``scenario, baseline`` + :func:`paired_differences`
    columns, for :data:`~sim.vocab.DIFFERENCES` and the zone metrics (empty without a baseline)."""
    crackdown_effect: pd.DataFrame
    """Paired differences (crackdown off) - (scenario), per scenario: positive EUE,
    LOLE, LOLF and shortfall are what the crackdown avoided (empty unless asked)."""
    seed: int
    replications: int
    elapsed_s: dict[str, float] = field(default_factory=dict)
    enough: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Was it enough? One row per scenario (:func:`enough_table`); empty when no
    scenario has a campaign start."""
    """Wall-clock seconds of each run."""

    @property
    def target(self) -> dict[str, Any] | None:
        """The target of the first scenario that has one (``relief_mw, tolerance_mw, by``)."""
        for r in [*self.results.values(), *([self.baseline] if self.baseline else [])]:
            t = target_of(r.scenario)
            if t is not None:
                return t
        return None

    def replication_rows(self) -> pd.DataFrame:
        """Every run's replications in one table with ``scenario`` and ``role`` columns."""
        frames = []
        for role, runs in (
            ("scenario", self.results),
            ("counterfactual", self.counterfactuals),
            ("baseline", {self.baseline.scenario.name: self.baseline} if self.baseline else {}),
        ):
            for name, r in runs.items():
                df = r.replications.copy()
                df.insert(0, "role", role)
                df.insert(0, "scenario", name)
                frames.append(df)
        return pd.concat(frames, ignore_index=True)


def _run_all(
    runs: list[tuple[tuple[str, str], str, Scenario]],
    replications: int,
    seed: int,
    workers: int | None,
    executor: str,
    progress: bool | None,
    report: Callable[[str], None] | None,
) -> tuple[dict[tuple[str, str], EnsembleResult], dict[str, float]]:
    """Run ``(key, label, scenario)`` triples one after the other (each in parallel)."""
    results, elapsed = {}, {}
    for i, (key, label, sc) in enumerate(runs):
        results[key], elapsed[label] = timed_run(sc, replications, seed, workers, executor, progress)
        if report:
            report(f"[{i + 1}/{len(runs)}] {label}: {replications} replications, {elapsed[label]:.1f} s")
    return results, elapsed


def _check_names(scenarios: Sequence[Scenario]) -> None:
    """Scenario names label the rows: at least one scenario, no name twice."""
    if not scenarios:
        raise ScenarioError(Problem("give at least one scenario to compare"))
    names = [sc.name for sc in scenarios]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ScenarioError(
            Problem(
                f"scenario name(s) {twice} given more than once; rows are labelled by name, "
                "so give each scenario its own name:",
                key="name",
            )
        )


def enough_table(
    results: dict[str, EnsembleResult], counterfactuals: dict[str, EnsembleResult]
) -> pd.DataFrame:
    """Was it enough, per scenario (:meth:`EnsembleResult.enough`): ``scenario``,
    ``probability`` (no firm load shed after the campaign start) with its Wilson
    interval, ``relief_obtained_mw`` and ``relief_needed_mw`` (the deepest
    shortfall after the campaign start without the crackdown, NaN unless the
    scenario's counterfactual was run) with their intervals, and
    ``relief_needed_mw.<zone>`` (means)."""
    rows = []
    for name, r in results.items():
        if "enough" not in r.replications:
            continue
        e = r.enough(counterfactuals.get(name))
        row: dict[str, Any] = {"scenario": name}
        for key in ("probability", "relief_obtained_mw"):
            for stat in ("mean", "ci95_low", "ci95_high"):
                v = e[key]
                row[key if stat == "mean" else f"{key}.{stat}"] = v[stat] if v else float("nan")
        need = e["relief_needed_mw"] or {}
        nat = need.get("national", {})
        for stat in ("mean", "ci95_low", "ci95_high"):
            row["relief_needed_mw" if stat == "mean" else f"relief_needed_mw.{stat}"] = nat.get(
                stat, float("nan")
            )
        for z in r.scenario.zones:
            row[f"relief_needed_mw.{z}"] = need.get(z, {}).get("mean", float("nan"))
        rows.append(row)
    return pd.DataFrame(rows)


def _labelled(d: pd.DataFrame, scenario: str, baseline: str) -> pd.DataFrame:
    d.insert(0, "baseline", baseline)
    d.insert(0, "scenario", scenario)
    return d


def compare(
    scenarios: Sequence[Scenario],
    baseline: Scenario | None = None,
    replications: int | None = None,
    workers: int | None = None,
    seed: int | None = None,
    counterfactual: bool = False,
    executor: str = "process",
    progress: bool | None = False,
    report: Callable[[str], None] | None = None,
) -> Comparison:
    """Run every scenario (and the baseline) with the same seed and replications.

    ``seed`` and ``replications`` default to the baseline's (else the first
    scenario's), so all runs use common random numbers. ``counterfactual``: also
    run each scenario :func:`without_crackdown` and report the paired difference
    as :attr:`Comparison.crackdown_effect`. ``report`` receives one line per run.
    Scenario names must differ (they label the rows).
    """
    _check_names(scenarios)
    ref = baseline if baseline is not None else scenarios[0]
    seed = ref.seed if seed is None else seed
    replications = ref.replications if replications is None else replications
    runs = [(("scenario", sc.name), sc.name, sc) for sc in scenarios]
    if counterfactual:
        runs += [
            (("counterfactual", sc.name), f"{sc.name} without the crackdown", without_crackdown(sc))
            for sc in scenarios
        ]
    if baseline is not None:
        runs.append((("baseline", ""), f"{baseline.name} (baseline)", baseline))
    done, elapsed = _run_all(runs, replications, seed, workers, executor, progress, report)
    results = {sc.name: done["scenario", sc.name] for sc in scenarios}
    cfs = {sc.name: done["counterfactual", sc.name] for sc in scenarios} if counterfactual else {}
    base = done.get(("baseline", ""))
    rows = [{"role": "scenario", **summary_row(r)} for r in results.values()]
    if base is not None:
        rows.append({"role": "baseline", **summary_row(base)})
    table = pd.DataFrame(rows)
    first = ["scenario", "role"]
    table = table[first + [c for c in table.columns if c not in first]]
    zone_metrics = [f"{m}.{z}" for m in ZONE_METRICS for z in scenarios[0].zones]
    diffs, effects = [], []
    for name, r in results.items():
        if base is not None:
            metrics = [
                *DIFFERENCES,
                *(m for m in zone_metrics if m in r.replications and m in base.replications),
            ]
            diffs.append(_labelled(paired_differences(r, base, metrics), name, base.scenario.name))
        if name in cfs:
            metrics = [*DIFFERENCES, *(m for m in zone_metrics if m in r.replications)]
            effects.append(_labelled(paired_differences(cfs[name], r, metrics), name, name))
    return Comparison(
        results=results,
        baseline=base,
        counterfactuals=cfs,
        table=table,
        differences=pd.concat(diffs, ignore_index=True) if diffs else pd.DataFrame(),
        crackdown_effect=pd.concat(effects, ignore_index=True) if effects else pd.DataFrame(),
        seed=seed,
        replications=replications,
        elapsed_s=elapsed,
        enough=enough_table({**results, **({f"{base.scenario.name} (baseline)": base} if base else {})}, cfs),
    )


def baseline_differences(
    result: EnsembleResult, baseline: Scenario, **run: Any
) -> tuple[EnsembleResult, pd.DataFrame]:
    """Run ``baseline`` with ``result``'s seed and replications (common random
    numbers: pairs share population, outages and weather) and return it with
    the paired differences ``result - baseline`` for :data:`~sim.vocab.DIFFERENCES`
    and EUE by zone. ``run``: further arguments of :func:`run_ensemble`."""
    base = run_ensemble(baseline, replications=result.n, seed=result.scenario.seed, **run)
    zones = [f"eue_mwh.{z}" for z in result.scenario.zones if f"eue_mwh.{z}" in base.replications]
    return base, paired_differences(result, base, [*DIFFERENCES, *zones])
