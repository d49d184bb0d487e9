"""A comparison of scenarios as tables (terminal, Markdown) and as a folder.

The folder (``gridshed compare``) holds ``comparison.csv`` (one row per
scenario), ``comparison.md``, ``differences.csv`` (paired differences),
``enough.csv`` (was it enough: relief needed and obtained, P(no shedding)),
``replications.parquet`` (wide) and ``replications_long.parquet``
(:mod:`sim.report.tidy`), ``summary.json``, ``manifest.json``
(:mod:`sim.report.manifest`) and ``comparison.png``; it is written whole or not
at all.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from sim.report.manifest import FILE as MANIFEST
from sim.report.manifest import manifest
from sim.report.outfolder import Reservation, write_atomic
from sim.report.runfolder import json_safe, write_json
from sim.report.tables import CRACKDOWN_TITLE, ci, helps, md_table, num, render
from sim.report.tidy import long_replications, without_negative_zeros
from sim.results.paired import Direction
from sim.vocab import DIFFERENCES, label, metric

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sim.experiments.compare import Comparison

#: Resolution of written figures (dots per inch).
DPI = 110
#: Decimals of paired differences in the comparison tables.
DIFF_DIGITS = 1

Block = tuple[str, list[str], list[list[str]]]
"""A titled table: title, header, rows."""


def save_figure(make: Callable[[], Figure], path: Path) -> None:
    """Draw a figure and save it as a PNG at :data:`DPI`, cropped to its content."""
    make().savefig(path, dpi=DPI, bbox_inches="tight")


def _name(row: dict) -> str:
    return row["scenario"] + (" (baseline)" if row["role"] == "baseline" else "")


def _cell(row: dict, key: str, md: bool) -> str:
    """Mean and interval in Markdown, the mean alone on the terminal."""
    d = metric(key).digits
    return ci(row, key, d) if md else num(row.get(key), d)


def _headline(cmp: Comparison, rows: list[dict], md: bool) -> Block:
    t = cmp.target
    by = f" by {t['by']:%Y-%m-%d}" if t else ""
    band = f"{t['relief_mw']:.0f}±{t['tolerance_mw']:.0f}" if t else ""
    head = [
        "scenario",
        f"relief{by} ({metric('relief_mw').unit}) [95% CI]",
        "verdict",
        f"P({band})" if t else "P(target)",
        "closures vol/forced",
        f"{label('eue_mwh')} [95% CI]",
        *(label(k) for k in ("lole_h", "lolf", "peak_shortfall_mw")),
    ]
    body = [
        [
            _name(r),
            ci(r, "relief_mw"),
            r.get("verdict", "-") if isinstance(r.get("verdict"), str) else "-",
            num(r.get("probability_within"), 2),
            f"{num(r['closures_voluntary'], 0)} / {num(r['closures_forced'], 0)}",
            ci(r, "eue_mwh"),
            *(_cell(r, k, md) for k in ("lole_h", "lolf", "peak_shortfall_mw")),
        ]
        for r in rows
    ]
    title = f"{cmp.replications} replications each, seed {cmp.seed} (common random numbers)"
    return title, head, body


def _by_zone(cmp: Comparison, rows: list[dict], md: bool) -> Block:
    zones = list(next(iter(cmp.results.values())).scenario.zones)
    keys = [f"{m}.{z}" for m in ("eue_mwh", "peak_shortfall_mw") for z in zones]
    head = ["scenario", *(label(k) for k in keys)]
    body = [[_name(r), *(_cell(r, k, md) for k in keys)] for r in rows]
    return "Shortfall by zone (mean over replications)", head, body


def _differences(title: str, df: pd.DataFrame, md: bool, crackdown: bool = False) -> Block:
    """Paired differences per scenario: mean and interval (Markdown) or half-width
    (terminal), starred where the interval excludes 0. ``crackdown``: ``df`` is
    (crackdown off) - (scenario), shown as how much the crackdown helps
    (:func:`~sim.report.tables.helps`)."""
    metrics = [m for m in DIFFERENCES if m in set(df["metric"])]
    head = ["scenario", *[(label(m) if crackdown else f"Δ {label(m)}") for m in metrics]]
    body = []
    for name, g in df.groupby("scenario", sort=False):
        g = g.set_index("metric")
        cells = []
        for m in metrics:
            r = g.loc[m]
            star = "*" if r["direction"] != Direction.UNCLEAR else ""
            values = [r["mean"], r["ci95_low"], r["ci95_high"]]
            if crackdown:
                values = [helps(m, -v) for v in values]
            mean = num(values[0], DIFF_DIGITS, sign=True)
            if md:
                lo, hi = (num(v, DIFF_DIGITS, sign=True) for v in sorted(values[1:]))
                cells.append(f"{mean} [{lo}, {hi}]{star}")
            else:
                half = (r["ci95_high"] - r["ci95_low"]) / 2
                cells.append(f"{mean} ±{num(half, DIFF_DIGITS)}{star}")
        body.append([str(name), *cells])
    return title, head, body


def _enough(cmp: Comparison, md: bool) -> Block:
    """Was it enough: relief needed (without the crackdown), obtained, and the
    probability that no firm load is shed after the campaign start."""
    zones = list(next(iter(cmp.results.values())).scenario.zones)
    head = [
        "scenario",
        "relief needed (MW)",
        *(f"needed, {z}" for z in zones),
        "relief obtained (MW)",
        "P(no shedding after campaign start)",
    ]
    body = []
    for r in cmp.enough.to_dict("records"):
        needed = ci(r, "relief_needed_mw", 0) if md else num(r["relief_needed_mw"], 0)
        body.append(
            [
                r["scenario"],
                needed if r["relief_needed_mw"] == r["relief_needed_mw"] else "- (--counterfactual)",
                *(num(r[f"relief_needed_mw.{z}"], 0) for z in zones),
                ci(r, "relief_obtained_mw", 0) if md else num(r["relief_obtained_mw"], 0),
                ci(r, "probability", 2),
            ]
        )
    title = (
        "Was it enough? Relief needed: the deepest firm-load shortfall after the campaign "
        "start without the crackdown; obtained: the verdict's relief"
    )
    return title, head, body


def comparison_blocks(cmp: Comparison, md: bool) -> list[Block]:
    """The tables of a comparison, shared by the terminal (``md`` False: means
    only) and Markdown (means with 95 % intervals)."""
    rows = cmp.table.to_dict("records")
    blocks = [_headline(cmp, rows, md), _by_zone(cmp, rows, md)]
    if not cmp.differences.empty:
        assert cmp.baseline is not None
        title = (
            f"Paired differences, scenario - baseline ({cmp.baseline.scenario.name}): "
            "mean and 95% interval; * the interval excludes 0"
        )
        blocks.append(_differences(title, cmp.differences, md))
    if not cmp.crackdown_effect.empty:
        title = f"{CRACKDOWN_TITLE}: mean and 95% interval; * the interval excludes 0"
        blocks.append(_differences(title, cmp.crackdown_effect, md, crackdown=True))
    if not cmp.enough.empty:
        blocks.append(_enough(cmp, md))
    return blocks


def comparison_text(cmp: Comparison, width: int | None = None) -> str:
    """The tables for the terminal, ``width`` columns wide at most (default: the
    terminal's; :func:`~sim.report.tables.render`)."""
    return render(comparison_blocks(cmp, md=False), width)


def comparison_markdown(cmp: Comparison) -> str:
    """The tables as a Markdown document."""
    names = ", ".join(cmp.results)
    out = [
        "# Scenario comparison",
        "",
        f"Scenarios: {names}." + (f" Baseline: {cmp.baseline.scenario.name}." if cmp.baseline else ""),
        "",
    ]
    for title, head, body in comparison_blocks(cmp, md=True):
        out += [f"## {title}", "", md_table(head, body), ""]
    return "\n".join(out)


def write_comparison(cmp: Comparison, folder: Path | Reservation, figures: bool = True) -> Path:
    """Write ``folder`` whole (atomically): ``comparison.csv``, ``comparison.md``,
    ``differences.csv``, ``enough.csv`` (was it enough, per scenario),
    ``replications.parquet``, ``replications_long.parquet``, ``summary.json``,
    ``manifest.json`` and (with ``figures``) ``comparison.png``. Returns the folder."""
    started = folder.started if isinstance(folder, Reservation) else None

    def fill(tmp: Path) -> None:
        cmp.table.to_csv(tmp / "comparison.csv", index=False)
        (tmp / "comparison.md").write_text(comparison_markdown(cmp), encoding="utf-8")
        diffs = pd.concat(
            [
                cmp.differences.assign(kind="vs_baseline"),
                cmp.crackdown_effect.assign(kind="crackdown_effect"),
            ],
            ignore_index=True,
        )
        diffs.to_csv(tmp / "differences.csv", index=False)
        if not cmp.enough.empty:
            cmp.enough.to_csv(tmp / "enough.csv", index=False)
        reps = without_negative_zeros(cmp.replication_rows())
        reps.to_parquet(tmp / "replications.parquet", index=False)
        long = long_replications(reps, ("scenario", "role", "replication"))
        long.to_parquet(tmp / "replications_long.parquet", index=False)
        summaries = {
            "seed": cmp.seed,
            "replications": cmp.replications,
            "elapsed_s": cmp.elapsed_s,
            "scenarios": {n: r.summary() for n, r in cmp.results.items()},
            "baseline": cmp.baseline.summary() if cmp.baseline else None,
            "counterfactuals": {n: r.summary() for n, r in cmp.counterfactuals.items()},
            "manifest": MANIFEST,
        }
        (tmp / "summary.json").write_text(json.dumps(json_safe(summaries), indent=2) + "\n", encoding="utf-8")
        if figures:
            from sim.report.figures.comparison import comparison_figure

            save_figure(lambda: comparison_figure(cmp), tmp / "comparison.png")
        runs = [*cmp.results.values(), *cmp.counterfactuals.values()]
        runs += [cmp.baseline] if cmp.baseline else []
        info = manifest([r.scenario for r in runs], runs[0].info, started)
        write_json(tmp / MANIFEST, info)

    return write_atomic(folder if isinstance(folder, Reservation) else Path(folder), fill)
