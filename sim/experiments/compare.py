"""Scenarios side by side, paired differences, and parameter sweeps.

Every scenario of a comparison (and every variant of a sweep) runs with the
same root seed and the same number of replications, so replication ``i`` of
each sees the same random streams (DESIGN.md section 4): common random numbers.
A difference between two scenarios is then estimated per replication, and the
Student-t interval of those paired differences is much tighter than the
difference of two independent intervals.

- :func:`paired_differences`: ``a - b`` per replication for some metrics, with
  the mean and the 95 % interval of the differences;
- :func:`compare` / ``gridshed compare``: the headline metrics of several
  scenarios in one table, their differences from a baseline, and optionally
  each scenario's own counterfactual without the crackdown
  (:func:`without_crackdown`);
- :func:`sweep` / ``gridshed sweep``: every combination of ``--set`` values
  (``KEY=V1,V2,...``) in one long table, and a heatmap of one metric.
"""

from __future__ import annotations

import difflib
import itertools
import json
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import numpy as np
import pandas as pd
import yaml
from matplotlib.figure import Figure

from sim.experiments.ensemble import EnsembleResult, estimate, run_ensemble, wilson
from sim.errors import Problem, ScenarioError
from sim.scenario.load import format_path, load_scenario
from sim.report.runfolder import json_safe, write_atomic
from sim.scenario.schema import Scenario

#: Metrics whose paired differences a comparison reports (national totals).
DIFF_METRICS = ("eue_mwh", "lole_h", "lolf", "peak_shortfall_mw", "relief_mw")
#: Loss-of-load metrics also reported by zone (columns ``metric.Zone``).
ZONE_METRICS = ("eue_mwh", "lole_h", "lolf", "peak_shortfall_mw")
#: Headline metrics of the side-by-side table.
HEADLINE = (
    "relief_mw",
    "closures_voluntary",
    "closures_forced",
    "exits",
    "eue_mwh",
    "lole_h",
    "lolf",
    "peak_shortfall_mw",
)
#: Metrics a sweep heatmap can show; ``probability_within`` needs a target.
SWEEP_METRICS = (
    "probability_within",
    "probability_reached",
    "relief_mw",
    "eue_mwh",
    "lole_h",
    "lolf",
    "peak_shortfall_mw",
)

LABELS = {
    "relief_mw": "relief at target date (MW)",
    "closures_voluntary": "voluntary closures",
    "closures_forced": "forced closures",
    "exits": "exits",
    "eue_mwh": "EUE (MWh)",
    "lole_h": "LOLE (h)",
    "lolf": "LOLF (events)",
    "peak_shortfall_mw": "deepest shortfall (MW)",
    "probability_within": "P(relief within target band)",
    "probability_reached": "P(relief at least target - tolerance)",
}


# ------------------------------------------------------------------ statistics


def paired_differences(
    a: EnsembleResult, b: EnsembleResult, metrics: Sequence[str] = DIFF_METRICS
) -> pd.DataFrame:
    """``a - b`` replication by replication, for each metric.

    Replications are matched on their index, so with the same seed (common
    random numbers) each pair saw the same population, outages and weather.
    With different seeds the pairs are independent and the interval is still
    valid, only wider. Returns one row per metric: ``metric, mean, ci95_low,
    ci95_high, std, n`` (of the differences, Student t), ``mean_a, mean_b``,
    ``common_random_numbers`` (same seed) and ``direction``: ``higher`` or
    ``lower`` when the interval excludes 0 (``a`` above or below ``b``), else
    ``no clear difference``.

    Raises :class:`ValueError` if the runs share no replication or lack a metric.
    """
    ra = a.replications.set_index("replication")
    rb = b.replications.set_index("replication")
    common = ra.index.intersection(rb.index)
    if common.empty:
        raise ValueError("the two runs share no replication index; run them with the same replications")
    missing = [m for m in metrics if m not in ra.columns or m not in rb.columns]
    if missing:
        known = sorted(set(ra.columns) & set(rb.columns))
        raise ValueError(f"unknown metric(s) {missing}; the runs have {known}")
    crn = a.scenario.seed == b.scenario.seed
    rows = []
    for m in metrics:
        xa = ra.loc[common, m].to_numpy(dtype=float)
        xb = rb.loc[common, m].to_numpy(dtype=float)
        e = estimate(xa - xb)
        if e.n > 1 and e.ci95_low > 0:
            direction = "higher"
        elif e.n > 1 and e.ci95_high < 0:
            direction = "lower"
        else:
            direction = "no clear difference"
        rows.append(
            {
                "metric": m,
                "mean": e.mean,
                "ci95_low": e.ci95_low,
                "ci95_high": e.ci95_high,
                "std": e.std,
                "n": e.n,
                "mean_a": float(xa.mean()),
                "mean_b": float(xb.mean()),
                "common_random_numbers": crn,
                "direction": direction,
            }
        )
    return pd.DataFrame(rows)


def summary_row(result: EnsembleResult) -> dict[str, Any]:
    """One flat row of headline metrics: ``metric``, ``metric.ci95_low``,
    ``metric.ci95_high`` for :data:`HEADLINE` and for :data:`ZONE_METRICS` by zone
    (``eue_mwh.North`` ...), plus the target check when the scenario has one:
    ``verdict``, ``probability_within`` (relief inside ``target +- tolerance``,
    as in the run summary) and ``probability_reached`` (relief at least
    ``target - tolerance``: overshooting counts as reaching), each with its
    Wilson 95 % interval."""
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
        hits = float(np.sum(relief >= s["relief_mw"] - s["tolerance_mw"]))
        lo, hi = wilson(hits, result.n)
        row["probability_reached"] = hits / result.n if result.n else math.nan
        row["probability_reached.ci95_low"], row["probability_reached.ci95_high"] = lo, hi
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
    columns, for :data:`DIFF_METRICS` and the zone metrics (empty without a baseline)."""
    crackdown_effect: pd.DataFrame
    """Paired differences (crackdown off) - (scenario), per scenario: positive EUE,
    LOLE, LOLF and shortfall are what the crackdown avoided (empty unless asked)."""
    seed: int
    replications: int
    elapsed_s: dict[str, float] = field(default_factory=dict)
    """Wall-clock seconds of each run."""

    @property
    def target(self) -> dict[str, Any] | None:
        """The target of the first scenario that has one (``relief_mw, tolerance_mw, by``)."""
        for r in [*self.results.values(), *([self.baseline] if self.baseline else [])]:
            t = r.scenario.target
            if t is not None:
                return {"relief_mw": t.relief_mw, "tolerance_mw": t.tolerance_mw, "by": t.by}
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

    # -------------------------------------------------------------- rendering

    def _blocks(self, md: bool) -> list[tuple[str, list[str], list[list[str]]]]:
        """Titled tables (title, header, rows) shared by the terminal and Markdown."""
        zones = list(next(iter(self.results.values())).scenario.zones)
        rows = self.table.to_dict("records")
        t = self.target
        blocks = []
        by = f" by {t['by']:%Y-%m-%d}" if t else ""
        band = f"{t['relief_mw']:.0f}±{t['tolerance_mw']:.0f}" if t else ""
        head = [
            "scenario",
            f"relief{by} (MW) [95% CI]",
            "verdict",
            f"P({band})" if t else "P(target)",
            "closures vol/forced",
            "EUE (MWh) [95% CI]",
            "LOLE (h)",
            "LOLF",
            "deepest shortfall (MW)",
        ]
        body = []
        for r in rows:
            name = r["scenario"] + (" (baseline)" if r["role"] == "baseline" else "")
            body.append(
                [
                    name,
                    _ci(r, "relief_mw"),
                    r.get("verdict", "-") if isinstance(r.get("verdict"), str) else "-",
                    _num(r.get("probability_within", math.nan), 2),
                    f"{_num(r['closures_voluntary'], 0)} / {_num(r['closures_forced'], 0)}",
                    _ci(r, "eue_mwh"),
                    _ci(r, "lole_h", 1) if md else _num(r["lole_h"], 1),
                    _ci(r, "lolf", 1) if md else _num(r["lolf"], 1),
                    _ci(r, "peak_shortfall_mw") if md else _num(r["peak_shortfall_mw"], 0),
                ]
            )
        blocks.append(
            (f"{self.replications} replications each, seed {self.seed} (common random numbers)", head, body)
        )
        head = ["scenario", *[f"EUE {z} (MWh)" for z in zones], *[f"deepest {z} (MW)" for z in zones]]
        body = []
        for r in rows:
            name = r["scenario"] + (" (baseline)" if r["role"] == "baseline" else "")
            cells = [_ci(r, f"eue_mwh.{z}") if md else _num(r.get(f"eue_mwh.{z}"), 0) for z in zones]
            cells += [
                _ci(r, f"peak_shortfall_mw.{z}") if md else _num(r.get(f"peak_shortfall_mw.{z}"), 0)
                for z in zones
            ]
            body.append([name, *cells])
        blocks.append(("Shortfall by zone (mean over replications)", head, body))
        if not self.differences.empty:
            assert self.baseline is not None
            blocks.append(
                (
                    f"Paired differences, scenario - baseline ({self.baseline.scenario.name}): "
                    "mean [95% CI]; * the interval excludes 0",
                    *_diff_block(self.differences, md),
                )
            )
        if not self.crackdown_effect.empty:
            blocks.append(
                (
                    "Crackdown effect, (crackdown off) - (scenario): positive EUE/LOLE/shortfall "
                    "= load shedding the crackdown avoided; mean [95% CI]",
                    *_diff_block(self.crackdown_effect, md),
                )
            )
        return blocks

    def to_text(self) -> str:
        """The tables for the terminal."""
        out = []
        for title, head, body in self._blocks(md=False):
            out += [title, _text_table(head, body), ""]
        return "\n".join(out).rstrip() + "\n"

    def to_markdown(self) -> str:
        """The tables as a Markdown document."""
        names = ", ".join(self.results)
        out = [
            "# Scenario comparison",
            "",
            f"Scenarios: {names}." + (f" Baseline: {self.baseline.scenario.name}." if self.baseline else ""),
            "",
        ]
        for title, head, body in self._blocks(md=True):
            out += [f"## {title}", "", _md_table(head, body), ""]
        return "\n".join(out)

    def figure(self) -> Figure:
        """Relief distributions against the target band, and unserved energy with
        and without the crackdown (each scenario's counterfactual if run, the
        baseline as a reference line)."""
        return comparison_figure(self)

    def write(self, folder: Path, figures: bool = True) -> Path:
        """Write ``folder`` whole (atomically): ``comparison.csv``, ``comparison.md``,
        ``differences.csv``, ``replications.parquet``, ``summary.json`` and (with
        ``figures``) ``comparison.png``."""

        def fill(tmp: Path) -> None:
            self.table.to_csv(tmp / "comparison.csv", index=False)
            (tmp / "comparison.md").write_text(self.to_markdown(), encoding="utf-8")
            diffs = pd.concat(
                [
                    self.differences.assign(kind="vs_baseline"),
                    self.crackdown_effect.assign(kind="crackdown_effect"),
                ],
                ignore_index=True,
            )
            diffs.to_csv(tmp / "differences.csv", index=False)
            self.replication_rows().to_parquet(tmp / "replications.parquet", index=False)
            summaries = {
                "seed": self.seed,
                "replications": self.replications,
                "elapsed_s": self.elapsed_s,
                "scenarios": {n: r.summary() for n, r in self.results.items()},
                "baseline": self.baseline.summary() if self.baseline else None,
                "counterfactuals": {n: r.summary() for n, r in self.counterfactuals.items()},
            }
            (tmp / "summary.json").write_text(
                json.dumps(json_safe(summaries), indent=2) + "\n", encoding="utf-8"
            )
            if figures:
                fig = self.figure()
                fig.savefig(tmp / "comparison.png", dpi=110, bbox_inches="tight")

        return write_atomic(Path(folder), fill)


def _diff_block(df: pd.DataFrame, md: bool) -> tuple[list[str], list[list[str]]]:
    metrics = [m for m in DIFF_METRICS if m in set(df["metric"])]
    head = ["scenario", *[f"Δ {LABELS.get(m, m)}" for m in metrics]]
    body = []
    for name, g in df.groupby("scenario", sort=False):
        g = g.set_index("metric")
        cells = []
        for m in metrics:
            r = g.loc[m]
            star = "*" if r["direction"] != "no clear difference" else ""
            if md:
                cells.append(
                    f"{_num(r['mean'], 1, sign=True)} [{_num(r['ci95_low'], 1, sign=True)}, "
                    f"{_num(r['ci95_high'], 1, sign=True)}]{star}"
                )
            else:
                half = (r["ci95_high"] - r["ci95_low"]) / 2
                cells.append(f"{_num(r['mean'], 1, sign=True)} ±{_num(half, 1)}{star}")
        body.append([str(name), *cells])
    return head, body


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
        t0 = time.perf_counter()
        results[key] = run_ensemble(
            sc, replications=replications, seed=seed, workers=workers, executor=executor, progress=progress
        )
        elapsed[label] = time.perf_counter() - t0
        if report:
            report(f"[{i + 1}/{len(runs)}] {label}: {replications} replications, {elapsed[label]:.1f} s")
    return results, elapsed


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
            metrics = list(DIFF_METRICS) + [
                m for m in zone_metrics if m in r.replications and m in base.replications
            ]
            d = paired_differences(r, base, metrics)
            d.insert(0, "baseline", base.scenario.name)
            d.insert(0, "scenario", name)
            diffs.append(d)
        if name in cfs:
            metrics = list(DIFF_METRICS) + [m for m in zone_metrics if m in r.replications]
            d = paired_differences(cfs[name], r, metrics)
            d.insert(0, "baseline", name)
            d.insert(0, "scenario", name)
            effects.append(d)
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
    )


# ---------------------------------------------------------------------- figures


def _violin(ax, data: list[np.ndarray], ypos: np.ndarray, color: str) -> None:
    """Horizontal violins; a constant sample (no spread) is drawn as a tick."""
    spread = [i for i, d in enumerate(data) if d.size > 1 and np.ptp(d) > 1e-9]
    if spread:
        parts = ax.violinplot(
            [data[i] for i in spread],
            positions=ypos[spread],
            orientation="horizontal",
            widths=0.75,
            showextrema=False,
        )
        for body in parts["bodies"]:
            body.set_facecolor(color)
            body.set_edgecolor(color)
            body.set_alpha(0.35)
    for i, d in enumerate(data):
        if d.size and i not in spread:
            ax.plot([d[0], d[0]], [ypos[i] - 0.3, ypos[i] + 0.3], color=color, lw=2)


def comparison_figure(cmp: Comparison) -> Figure:
    """Two panels, one row per scenario (and the baseline last, in grey): relief
    at the target date (every replication, against the target band) and unserved
    energy (mean and 95 % interval) as specified and, if run, with the crackdown
    switched off (:func:`without_crackdown`)."""
    runs = dict(cmp.results)
    base_key = None
    if cmp.baseline is not None:
        base_key = f"baseline: {cmp.baseline.scenario.name}"
        runs[base_key] = cmp.baseline
    names = list(runs)
    n = len(names)
    colors = ["0.45" if k == base_key else "C0" for k in names]
    fig = Figure(figsize=(13, 2.6 + 0.55 * n), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2, sharey=True)
    ypos = np.arange(n)[::-1].astype(float)
    t = cmp.target
    legend_at = {"loc": "upper center", "bbox_to_anchor": (0.5, -0.12 - 0.5 / (n + 2)), "ncol": 2}

    if t:
        lo, hi = t["relief_mw"] - t["tolerance_mw"], t["relief_mw"] + t["tolerance_mw"]
        ax1.axvspan(
            lo, hi, color="C2", alpha=0.15, label=f"target {t['relief_mw']:.0f} ± {t['tolerance_mw']:.0f} MW"
        )
        ax1.axvline(t["relief_mw"], color="C2", lw=1)
    rng = np.random.default_rng(0)
    for y, k, c in zip(ypos, names, colors, strict=True):
        d = runs[k].replications["relief_mw"].to_numpy(dtype=float)
        _violin(ax1, [d], np.array([y]), c)
        ax1.scatter(d, y + rng.uniform(-0.15, 0.15, d.size), s=4, color=c, alpha=0.5, lw=0)
        e = estimate(d)
        ax1.errorbar(
            e.mean,
            y,
            xerr=[[e.mean - e.ci95_low], [e.ci95_high - e.mean]] if e.n > 1 else None,
            fmt="o",
            color="k",
            ms=4,
            capsize=3,
        )
    ax1.plot([], [], "ok", ms=4, label="mean and 95 % CI")
    ax1.scatter([], [], s=8, color="C0", label="one replication")
    ax1.set_yticks(ypos, names)
    ax1.set_xlabel(f"relief at {t['by']:%d %b %Y} (MW)" if t else "relief at the end (MW)")
    ax1.set_title("Relief from closures and limits on miners, per replication")
    ax1.legend(fontsize="small", **legend_at)
    ax1.grid(axis="x", alpha=0.3)

    def bars(results: dict[str, EnsembleResult], offset: float, color: str | None, label: str) -> list[float]:
        means = []
        for k, y, c in zip(names, ypos, colors, strict=True):
            if k not in results:
                continue
            e = results[k].estimate("eue_mwh")
            means.append(e.mean)
            ax2.barh(y + offset, e.mean, height=0.36, color=color or c, alpha=0.85, label=label)
            if e.n > 1:
                ax2.errorbar(
                    e.mean,
                    y + offset,
                    xerr=[[e.mean - max(e.ci95_low, 0)], [e.ci95_high - e.mean]],
                    color="k",
                    lw=1,
                    capsize=2,
                )
            label = "_nolegend_"
        return means

    if cmp.counterfactuals:
        values = bars(cmp.results, 0.19, "C0", "as specified (with the crackdown)")
        values += bars(cmp.counterfactuals, -0.19, "C3", "crackdown switched off")
    else:
        values = bars(cmp.results, 0.0, "C0", "scenario (mean, 95 % CI)")
    if cmp.baseline is not None and base_key is not None:
        values += bars({base_key: cmp.baseline}, 0.0, "0.45", "baseline")
        ax2.axvline(cmp.baseline.estimate("eue_mwh").mean, color="0.3", ls="--", lw=1)
    positive = [v for v in values if v > 0]
    if positive and max(positive) / max(min(positive), 1e-9) > 50:
        ax2.set_xscale("symlog", linthresh=10.0, linscale=0.3)
        ax2.set_xlim(left=0)
        ax2.set_xlabel("expected unserved energy, EUE (MWh; log scale above 10), mean and 95 % CI")
    else:
        ax2.set_xlabel("expected unserved energy, EUE (MWh), mean and 95 % CI")
    ax2.set_title("Load shed from ordinary consumers")
    ax2.legend(fontsize="small", **legend_at)
    ax2.grid(axis="x", alpha=0.3)
    fig.suptitle(f"Scenario comparison: {cmp.replications} replications each, seed {cmp.seed}")
    return fig


# ------------------------------------------------------------------------ sweep


def split_values(raw: str) -> list[str]:
    """Split ``V1,V2,...`` at top-level commas (not inside ``[]``, ``{}`` or quotes)."""
    out, cur, depth, quote = [], [], 0, ""
    for ch in raw:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append("".join(cur).strip())
            cur = []
            continue
        cur.append(ch)
    out.append("".join(cur).strip())
    return out


def parse_grid(items: Iterable[str]) -> dict[str, list[str]]:
    """``["KEY=V1,V2", ...]`` -> ``{KEY: [V1, V2]}`` in the order given.

    Raises :class:`ScenarioError` for an item without ``=``, an empty key or
    value, a key given twice or a value repeated for a key.
    """
    grid: dict[str, list[str]] = {}
    problems = []
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            problems.append(Problem(f"expected KEY=V1,V2,..., got {item!r}", "--set"))
            continue
        values = split_values(raw)
        if any(v == "" for v in values):
            problems.append(
                Problem(f"empty value in {raw!r} (values are separated by commas)", "--set", key=key)
            )
            continue
        if key in grid:
            problems.append(
                Problem("key given twice; list all its values in one --set KEY=V1,V2", "--set", key=key)
            )
            continue
        dup = sorted({v for v in values if values.count(v) > 1})
        if dup:
            problems.append(Problem(f"value(s) {dup} given more than once", "--set", key=key))
            continue
        grid[key] = values
    if problems:
        raise ScenarioError(problems)
    return grid


def check_key(base: Scenario, key: str) -> Problem | None:
    """A problem if ``key`` (dotted path) names nothing in the resolved scenario."""
    node: Any = base.model_dump(by_alias=True)
    parts = key.split(".")
    for i, part in enumerate(parts):
        where = ".".join(parts[:i]) or "the top level"
        if isinstance(node, dict):
            if part not in node:
                close = difflib.get_close_matches(part, [str(k) for k in node], n=1, cutoff=0.6)
                hint = f"; did you mean '{close[0]}'?" if close else f"; {where} has {sorted(map(str, node))}"
                return Problem(f"unknown key '{part}' in {key}{hint}", "--set", key=key)
            node = node[part]
        elif isinstance(node, list | tuple):
            if not part.isdigit() or int(part) >= len(node):
                return Problem(
                    f"{where} is a list of {len(node)}; '{part}' is not an index in it", "--set", key=key
                )
            node = node[int(part)]
        else:
            return None  # an optional section that is unset here: leave it to validation
    return None


def _parts(key: str) -> tuple[str | int, ...]:
    """``links.0.capacity_mw`` -> ``("links", 0, "capacity_mw")`` (as the loader splits it)."""
    return tuple(int(p) if p.isdigit() else p for p in key.split("."))


def _typed(values: list[str]) -> list[Any]:
    """The values as YAML scalars for the table: all numbers, all booleans, else strings."""
    parsed = []
    for v in values:
        try:
            parsed.append(yaml.safe_load(v))
        except yaml.YAMLError:
            parsed.append(v)
    if all(isinstance(p, bool) for p in parsed):
        return parsed
    if all(isinstance(p, int | float) and not isinstance(p, bool) for p in parsed):
        return parsed if all(isinstance(p, int) for p in parsed) else [float(p) for p in parsed]
    return list(values)


@dataclass
class Sweep:
    """Every combination of the swept values, run with common random numbers."""

    scenario: str
    """Name of the swept scenario."""
    grid: dict[str, list[str]]
    """Values of each key as given."""
    table: pd.DataFrame
    """One row per variant: ``variant``, one column per key, then :func:`summary_row`."""
    replications_table: pd.DataFrame
    """Every variant's replications, with the key columns."""
    seed: int | None
    """The root seed of every variant (None if the sweep varies it)."""
    replications: int | None
    """Replications of every variant (None if the sweep varies them)."""
    target: dict[str, Any] | None
    elapsed_s: float = 0.0

    @property
    def axes(self) -> list[str]:
        """Keys with more than one value (the heatmap's axes and facets)."""
        return [k for k, v in self.grid.items() if len(v) > 1]

    def heatmap(self, metric: str = "probability_within") -> Figure:
        """Heatmap of ``metric`` over the first two swept keys, one panel per
        combination of the others (see :func:`sweep_heatmap`)."""
        return sweep_heatmap(self, metric)

    def to_markdown(self) -> str:
        """The long table as Markdown (means and the target check)."""
        keys = list(self.grid)
        cols = [*keys]
        if "probability_within" in self.table:
            cols += ["probability_within", "verdict"]
        cols += ["relief_mw", "eue_mwh", "lole_h", "lolf", "peak_shortfall_mw"]
        head = [LABELS.get(c, c) for c in cols]
        body = []
        for r in self.table.to_dict("records"):
            cells = []
            for c in cols:
                if c in keys or c == "verdict":
                    cells.append(str(r[c]))
                elif c == "probability_within":
                    cells.append(f"{r[c]:.2f} [{r[c + '.ci95_low']:.2f}, {r[c + '.ci95_high']:.2f}]")
                else:
                    cells.append(_ci(r, c, 1 if c in ("lole_h", "lolf") else 0))
            body.append(cells)
        return (
            f"# Sweep of {self.scenario}\n\n{self.replications or 'Varying'} replications per variant, "
            + (
                f"seed {self.seed} (common random numbers)."
                if self.seed is not None
                else "seeds varying between variants."
            )
            + f"\n\n{_md_table(head, body)}\n"
        )

    def write(self, folder: Path, metric: str = "probability_within", figures: bool = True) -> Path:
        """Write ``folder`` whole: ``sweep.csv``, ``sweep.parquet``, ``sweep.md``,
        ``replications.parquet`` and ``heatmap.png``."""

        def fill(tmp: Path) -> None:
            self.table.to_csv(tmp / "sweep.csv", index=False)
            self.table.to_parquet(tmp / "sweep.parquet", index=False)
            self.replications_table.to_parquet(tmp / "replications.parquet", index=False)
            (tmp / "sweep.md").write_text(self.to_markdown(), encoding="utf-8")
            if figures:
                fig = self.heatmap(metric)
                fig.savefig(tmp / "heatmap.png", dpi=110, bbox_inches="tight")

        return write_atomic(Path(folder), fill)


def load_variants(
    path: str | Path, grid: Mapping[str, Sequence[str]], overrides: Sequence[str] = ()
) -> tuple[Scenario, list[tuple[dict[str, str], Scenario]]]:
    """The base scenario and every variant of the grid, all validated before any runs.

    Raises one :class:`ScenarioError` listing each distinct problem, with the
    ``--set`` key that caused it (and no line number: it is not in a file).
    """
    base = load_scenario(path, overrides)
    problems = [p for p in (check_key(base, k) for k in grid) if p is not None]
    if problems:
        raise ScenarioError(problems)
    variants = []
    seen: dict[str, Problem] = {}
    keys = list(grid)
    for combo in itertools.product(*(grid[k] for k in keys)):
        assign = dict(zip(keys, combo, strict=True))
        try:
            sc = load_scenario(path, [*overrides, *(f"{k}={v}" for k, v in assign.items())])
        except ScenarioError as exc:
            dotted = {format_path(_parts(k)): k for k in assign}
            for p in exc.problems:
                if p.file == "--set":
                    p.line = None
                    if p.key in dotted:
                        k = dotted[p.key]
                        p.message += f" (from --set {k}={assign[k]})"
                seen.setdefault(p.render(), p)
            continue
        variants.append((assign, sc))
    if seen:
        raise ScenarioError(list(seen.values()))
    return base, variants


def sweep(
    path: str | Path,
    grid: Mapping[str, Sequence[str]],
    overrides: Sequence[str] = (),
    replications: int | None = None,
    workers: int | None = None,
    seed: int | None = None,
    executor: str = "process",
    progress: bool | None = False,
    report: Callable[[str], None] | None = None,
) -> Sweep:
    """Run every combination of ``grid`` (``{KEY: [V1, V2, ...]}``, values as YAML)
    on the scenario file ``path`` with common random numbers (the same seed and
    replications for all: by default the scenario's). ``overrides`` are fixed
    ``KEY=VALUE`` settings applied to every variant. Every variant is validated
    before the first one runs (:func:`load_variants`)."""
    base, variants = load_variants(path, grid, overrides)
    return run_variants(base, variants, replications, workers, seed, executor, progress, report)


def run_variants(
    base: Scenario,
    variants: Sequence[tuple[Mapping[str, str], Scenario]],
    replications: int | None = None,
    workers: int | None = None,
    seed: int | None = None,
    executor: str = "process",
    progress: bool | None = False,
    report: Callable[[str], None] | None = None,
) -> Sweep:
    """Run loaded variants (from :func:`load_variants`) with one seed and one
    number of replications: by default each variant's own, which are the same
    for all (common random numbers) unless ``seed`` or ``replications`` is swept."""
    seeds = [sc.seed if seed is None else seed for _, sc in variants]
    reps_n = [sc.replications if replications is None else replications for _, sc in variants]
    keys = list(variants[0][0]) if variants else []
    grid: dict[str, list[str]] = {k: list(dict.fromkeys(a[k] for a, _ in variants)) for k in keys}
    typed = {k: dict(zip(v, _typed(v), strict=True)) for k, v in grid.items()}
    rows, reps = [], []
    t_all = time.perf_counter()
    for i, (assign, sc) in enumerate(variants):
        t0 = time.perf_counter()
        res = run_ensemble(
            sc, replications=reps_n[i], seed=seeds[i], workers=workers, executor=executor, progress=progress
        )
        values = {k: typed[k][v] for k, v in assign.items()}
        rows.append({"variant": i, **values, **summary_row(res)})
        df = res.replications.copy()
        for j, (k, v) in enumerate(values.items()):
            df.insert(j, k, v)
        df.insert(0, "variant", i)
        reps.append(df)
        if report:
            label = " ".join(f"{k}={v}" for k, v in assign.items())
            report(f"[{i + 1}/{len(variants)}] {label}: {time.perf_counter() - t0:.1f} s")
    t = base.target
    return Sweep(
        scenario=base.name,
        grid=grid,
        table=pd.DataFrame(rows),
        replications_table=pd.concat(reps, ignore_index=True) if reps else pd.DataFrame(),
        seed=seeds[0] if len(set(seeds)) == 1 else None,
        replications=reps_n[0] if len(set(reps_n)) == 1 else None,
        target=(
            {"relief_mw": t.relief_mw, "tolerance_mw": t.tolerance_mw, "by": t.by} if t is not None else None
        ),
        elapsed_s=time.perf_counter() - t_all,
    )


def sweep_heatmap(sw: Sweep, metric: str = "probability_within") -> Figure:
    """Heatmap of ``metric``'s mean per variant: the first swept key across, the
    second down, one panel per combination of any further keys; each cell
    annotated with the mean and its 95 % interval, with a colour bar."""
    if metric not in sw.table:
        raise ScenarioError(Problem(f"the sweep has no metric '{metric}'", "--metric"))
    axes = sw.axes
    keys = list(sw.grid)
    xk = axes[0] if axes else None
    yk = axes[1] if len(axes) > 1 else None
    facet_keys = axes[2:]
    facets = list(itertools.product(*(sw.grid[k] for k in facet_keys))) or [()]
    xs = sw.grid[xk] if xk else [""]
    ys = sw.grid[yk] if yk else [""]
    ncol = min(len(facets), 3)
    nrow = math.ceil(len(facets) / ncol)
    w = 1.6 + 1.1 * len(xs)
    h = 1.3 + 0.75 * len(ys)
    fig = Figure(figsize=(max(w * ncol + 1.5, 6.5), h * nrow + 1.2), layout="constrained")
    axs = np.atleast_1d(fig.subplots(nrow, ncol, squeeze=False)).ravel()
    prob = metric.startswith("probability_")
    vmin, vmax = (0.0, 1.0) if prob else (float(sw.table[metric].min()), float(sw.table[metric].max()))
    if vmax <= vmin:
        vmax = vmin + 1.0
    cmap = "viridis" if prob or metric == "relief_mw" else "magma_r"
    text = {k: {raw: str(val) for raw, val in zip(v, _typed(v), strict=True)} for k, v in sw.grid.items()}
    im = None
    for ax, combo in zip(axs, facets, strict=False):
        grid = np.full((len(ys), len(xs)), np.nan)
        ann = [["" for _ in xs] for _ in ys]
        for r in sw.table.to_dict("records"):
            if any(str(r[k]) != text[k][v] for k, v in zip(facet_keys, combo, strict=True)):
                continue
            i = [text[yk][v] for v in ys].index(str(r[yk])) if yk else 0
            j = [text[xk][v] for v in xs].index(str(r[xk])) if xk else 0
            grid[i, j] = r[metric]
            lo, hi = r.get(f"{metric}.ci95_low", math.nan), r.get(f"{metric}.ci95_high", math.nan)
            d = 2 if prob else (1 if abs(r[metric]) < 10 else 0)
            ann[i][j] = f"{_num(r[metric], d)}\n[{_num(lo, d)}, {_num(hi, d)}]"
        im = ax.imshow(grid, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto", origin="lower")
        norm = im.norm
        for i in range(len(ys)):
            for j in range(len(xs)):
                if ann[i][j]:
                    dark = norm(grid[i, j]) < 0.55 if cmap == "viridis" else norm(grid[i, j]) > 0.45
                    ax.text(j, i, ann[i][j], ha="center", va="center", fontsize=8, color="w" if dark else "k")
        ax.set_xticks(range(len(xs)), xs if xk else [])
        ax.set_yticks(range(len(ys)), ys if yk else [])
        ax.set_xlabel(xk or "")
        ax.set_ylabel(yk or "")
        if facet_keys:
            ax.set_title(", ".join(f"{k} = {v}" for k, v in zip(facet_keys, combo, strict=True)), fontsize=9)
    for ax in axs[len(facets) :]:
        ax.set_visible(False)
    t = sw.target
    if prob and t:
        label = "probability (share of replications)"
        if metric == "probability_within":
            what = f"P(relief within {t['relief_mw']:.0f} ± {t['tolerance_mw']:.0f} MW by {t['by']:%d %b %Y})"
        else:
            what = f"P(relief at least {t['relief_mw'] - t['tolerance_mw']:.0f} MW by {t['by']:%d %b %Y})"
    else:
        label = LABELS.get(metric, metric)
        what = f"mean {label}"
    fixed = [f"{k}={sw.grid[k][0]}" for k in keys if len(sw.grid[k]) == 1]
    reps = f"{sw.replications} replications" if sw.replications else "varying replications"
    sub = f"{sw.scenario}, {reps} per cell, " + (f"seed {sw.seed}" if sw.seed is not None else "seeds vary")
    if fixed:
        sub += "; " + ", ".join(fixed)
    ci = "Wilson 95% CI" if prob else "95% CI"
    fig.suptitle(f"{what}\n{sub} (cells: mean [{ci}])", fontsize=11)
    assert im is not None
    cb = fig.colorbar(im, ax=list(axs[: len(facets)]), shrink=0.9)
    cb.set_label(label)
    return fig


# --------------------------------------------------------------------- helpers


def _num(x: Any, digits: int = 0, sign: bool = False) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    return f"{x:+,.{digits}f}" if sign else f"{x:,.{digits}f}"


def _ci(row: Mapping[str, Any], metric: str, digits: int = 0) -> str:
    if metric not in row:
        return "-"
    lo, hi = row.get(f"{metric}.ci95_low"), row.get(f"{metric}.ci95_high")
    return f"{_num(row[metric], digits)} [{_num(lo, digits)}, {_num(hi, digits)}]"


def _text_table(head: list[str], body: list[list[str]]) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(head, *body, strict=True)]
    lines = []
    for r, row in enumerate([head, *body]):
        cells = [
            str(c).ljust(w) if i == 0 else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if r == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _md_table(head: list[str], body: list[list[str]]) -> str:
    def esc(c: str) -> str:
        return str(c).replace("|", "\\|")

    lines = ["| " + " | ".join(esc(h) for h in head) + " |"]
    lines.append("|" + "|".join([" --- "] + [" ---: "] * (len(head) - 1)) + "|")
    lines += ["| " + " | ".join(esc(c) for c in row) + " |" for row in body]
    return "\n".join(lines)


def _echo_err(line: str) -> None:
    click.echo(line, err=True)


# ------------------------------------------------------------------------- CLI

_common = [
    click.option(
        "-n",
        "--replications",
        type=click.IntRange(min=1),
        help="Replications per run (default: the scenario's).",
    ),
    click.option(
        "--seed", type=click.IntRange(min=0), help="Root seed shared by all runs (default: the scenario's)."
    ),
    click.option(
        "-w", "--workers", type=click.IntRange(min=1), help="Local worker processes (default: all cores)."
    ),
    click.option(
        "--out",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("results"),
        show_default=True,
        help="Parent folder of the output folder.",
    ),
    click.option("--executor", type=click.Choice(["process", "dask"]), default="process", show_default=True),
    click.option("-q", "--quiet", is_flag=True, help="No progress and no table."),
]


def _with_common(f: Callable) -> Callable:
    for opt in reversed(_common):
        f = opt(f)
    return f


@click.command("compare")
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--baseline",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Scenario to subtract: paired differences (scenario - baseline) per replication.",
)
@click.option(
    "--counterfactual/--no-counterfactual",
    default=True,
    show_default=True,
    help="Also run each scenario without the crackdown (no campaign, no lasting limits) "
    "and report the load shedding the crackdown avoided.",
)
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a key in every scenario and the baseline, e.g. enforcement.teams=8.",
)
@click.option("--name", default="compare", show_default=True, help="Name of the output folder in --out.")
@click.option("--figures/--no-figures", default=True, show_default=True, help="Write comparison.png.")
@_with_common
def compare_command(
    scenarios: tuple[Path, ...],
    baseline: Path | None,
    counterfactual: bool,
    overrides: tuple[str, ...],
    name: str,
    figures: bool,
    replications: int | None,
    seed: int | None,
    workers: int | None,
    out: Path,
    executor: str,
    quiet: bool,
) -> None:
    """Run SCENARIOS with common random numbers and show them side by side.

    Writes OUT/NAME/ whole: comparison.csv (one row per scenario), comparison.md,
    differences.csv (paired differences), replications.parquet, summary.json and
    comparison.png.
    """
    if not name or "/" in name or name in (".", ".."):
        raise ScenarioError(Problem(f"--name must be a plain folder name, got {name!r}", "--name"))
    loaded, problems, files = [], [], {}
    for path in scenarios:
        try:
            sc = load_scenario(path, overrides)
        except ScenarioError as exc:
            problems += exc.problems
            continue
        if sc.name in files:
            problems.append(
                Problem(
                    f"scenario name '{sc.name}' is also the name of {files[sc.name]}; rows are labelled "
                    "by name, so give each file its own name:",
                    path,
                    key="name",
                )
            )
        files.setdefault(sc.name, path)
        loaded.append(sc)
    base = None
    if baseline is not None:
        try:
            base = load_scenario(baseline, overrides)
        except ScenarioError as exc:
            problems += exc.problems
    if problems:
        raise ScenarioError(problems)
    report = None if quiet else _echo_err
    t0 = time.perf_counter()
    cmp = compare(
        loaded,
        base,
        replications=replications,
        workers=workers,
        seed=seed,
        counterfactual=counterfactual,
        executor=executor,
        progress=None if not quiet else False,
        report=report,
    )
    elapsed = time.perf_counter() - t0
    folder = cmp.write(out / name, figures=figures)
    if not quiet:
        click.echo(cmp.to_text())
        click.echo(f"{len(cmp.elapsed_s)} runs in {elapsed:.1f} s; written to {folder}")


@click.command("sweep")
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--set",
    "settings",
    multiple=True,
    required=True,
    metavar="KEY=V1,V2,...",
    help="A key and the values to sweep (YAML, comma-separated); repeat for more keys: "
    "every combination runs.",
)
@click.option(
    "--metric",
    type=click.Choice(SWEEP_METRICS),
    default="probability_within",
    show_default=True,
    help="What the heatmap shows (probability_within needs the scenario's target).",
)
@click.option("--name", help="Name of the output folder in --out (default: sweep_<scenario name>).")
@click.option("--figures/--no-figures", default=True, show_default=True, help="Write heatmap.png.")
@_with_common
def sweep_command(
    scenario: Path,
    settings: tuple[str, ...],
    metric: str,
    name: str | None,
    figures: bool,
    replications: int | None,
    seed: int | None,
    workers: int | None,
    out: Path,
    executor: str,
    quiet: bool,
) -> None:
    """Run every combination of the --set values on SCENARIO with common random numbers.

    Example: gridshed sweep scenarios/kazakhstan_2021_22.yaml --set enforcement.teams=2,4,8
    --set mining.grey_scale=0.38,1,1.33. Writes OUT/NAME/ whole: sweep.csv and
    sweep.parquet (one row per variant: the keys, then the metrics), sweep.md,
    replications.parquet and heatmap.png.
    """
    grid = parse_grid(settings)
    base, variants = load_variants(scenario, grid)
    if metric.startswith("probability_") and base.target is None:
        raise ScenarioError(
            Problem(
                "the scenario has no target, so there is no probability of reaching it; "
                f"choose another --metric ({', '.join(SWEEP_METRICS[1:])})",
                "--metric",
            )
        )
    if name is not None and (not name or "/" in name or name in (".", "..")):
        raise ScenarioError(Problem(f"--name must be a plain folder name, got {name!r}", "--name"))
    if not quiet:
        _echo_err(f"{len(variants)} variants of {base.name}")
    sw = run_variants(
        base,
        variants,
        replications=replications,
        workers=workers,
        seed=seed,
        executor=executor,
        progress=None if not quiet else False,
        report=None if quiet else _echo_err,
    )
    folder = sw.write(out / (name or f"sweep_{base.name}"), metric=metric, figures=figures)
    if not quiet:
        keys = list(grid)
        cols = [*keys, metric] if metric in sw.table else keys
        extra = [c for c in ("relief_mw", "eue_mwh", "lole_h") if c not in cols]
        view = sw.table[cols + extra]
        click.echo(view.to_string(index=False, float_format=lambda x: f"{x:,.2f}"))
        click.echo(f"\n{len(variants)} variants in {sw.elapsed_s:.1f} s; written to {folder}")
