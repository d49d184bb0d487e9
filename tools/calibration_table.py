"""The calibration table: reported figures beside the model's estimates.

The reported figures are targets to compare with, never inputs: nothing here
feeds the model. ``python -m tools.calibration_table [SCENARIO]`` runs the scenario
with its own seed and replications and rewrites the table in README.md between
the markers, so the README always shows a real run; a test checks that it does.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sim.report.tables import num
from tools import readme

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "scenarios" / "kazakhstan_2021_22.yaml"
README = ROOT / "README.md"
NAME = "calibration"
START, END = readme.markers(NAME)


@dataclass(frozen=True)
class Reported:
    """A reported figure, its source key in docs/sources.md and the acceptance band."""

    metric: str
    label: str
    value: float
    low: float
    high: float
    source: str
    scale: float = 1.0
    """Divide the model's figure by this for display (MW -> GW)."""
    unit: str = ""
    digits: int = 1
    """Decimals of the model's figures."""
    checked: bool = True
    """Whether the model is judged against the band (False: shown beside it only, as
    for an unverified claim or a definition the source does not use)."""
    role: str = "fitted"
    """What the figure is to the model (:data:`ROLES`)."""


#: What a reported figure is to the flagship: set from it (``input``), met by
#: setting parameters by hand (``fitted``: not evidence that the model is right),
#: or never used to set anything (``held out``: a test of the model).
ROLES = {
    "input": "the model's inputs are set from it",
    "fitted": "parameters were set by hand to meet it (not evidence)",
    "held out": "never used to set a parameter (a test of the model)",
}


REPORTED = (
    Reported("closures_voluntary", "closures, voluntary, by 15 Mar 2022", 55, 45, 65, "M16"),
    Reported("closures_forced", "closures, by force, by 15 Mar 2022", 51, 41, 61, "M16"),
    Reported("criminal_cases", "criminal cases", 25, 15, 35, "M16"),
    Reported("devices_seized", "devices seized", 67_000, 50_000, 85_000, "M16", digits=0),
    # The answer the model gives: the pace was set for the closures above, and
    # the relief follows from it; reported with its verdict, not judged in band.
    Reported("relief_before_after_mw", "relief on 15 Mar 2022, before and after (the verdict's)",
             600, 500, 700, "M17", unit="MW", digits=0, checked=False),
    Reported("relief_accounting_mw", "relief on 15 Mar 2022, accounting",
             600, 500, 700, "M17, note 3", unit="MW", digits=0, checked=False),
    Reported("winter_generation_mw", "deliverable winter generation, Dec-Feb mean",
             15.2, 14.5, 15.8, "P8, P9, 3.1", 1000, "GW", 2),
    Reported("peak_demand_mw", "national peak demand incl. mining",
             16.2, 15.8, 16.6, "P7, P8, P13 (estimate)", 1000, "GW", 2, role="input"),
    # The interim figures of 18-21 February 2022 and the exits: never used.
    Reported("relief_forced_mw@2022-02-21", "illegal farms disconnected by force by 21 Feb 2022",
             202, 152, 252, "M14, M15", unit="MW", digits=0, role="held out"),
    Reported("closures_forced@2022-02-21", "sites disconnected by force by 21 Feb 2022",
             34, 22, 46, "M14 (M15: 13 farms)", role="held out"),
    Reported("licensed_left_share", "share of licensed miners gone abroad by 15 Mar 2022",
             0.333, 0, 1, "M28 (unverified)", digits=2, checked=False, role="held out"),
)  # fmt: skip


@dataclass(frozen=True)
class ReportedDate:
    """A reported date beside the model's distribution of the same date (the
    ``orders`` block of ``summary.json``), with a band of dates."""

    order: str
    """``first_rationing`` or ``first_cutoff``."""
    label: str
    value: str
    low: str
    high: str
    source: str
    role: str = "held out"


DATES = (
    ReportedDate("first_rationing", "first rationing of licensed miners", "2021-10-13",
                 "2021-10-01", "2021-11-30", "E6"),
    ReportedDate("first_cutoff", "first cut-off of licensed miners", "2022-01-24",
                 "2022-01-10", "2022-02-07", "E4 (band: estimate)"),
)  # fmt: skip


def _day(iso: str | None) -> str:
    """``2021-10-13`` as ``13 Oct 2021`` (``never`` as is)."""
    if iso is None or iso == "never":
        return "never"
    return date.fromisoformat(iso[:10]).strftime("%-d %b %Y")


def date_row(r: ReportedDate, orders: dict[str, Any]) -> str:
    """A row of the table for a reported date: the model's median and 5-95 % range."""
    o = orders[r.order]
    median = o["median"]
    inside = "yes" if median != "never" and r.low <= median[:10] <= r.high else "**no**"
    return (
        f"| {r.label} | {_day(r.value)} | {r.source} | {r.role} | {_day(r.low)} to {_day(r.high)} "
        f"| median {_day(median)} | 5-95 %: {_day(o['p05'])} to {_day(o['p95'])} | {inside} |"
    )


def _num(x: float, digits: int | None = None) -> str:
    """Thousands separated; ``digits`` decimals, or as written for reported figures."""
    return f"{x:,g}" if digits is None else num(x, digits)


def table(summary: dict[str, Any]) -> str:
    """Markdown table: reported figure, band, model mean and 95 % interval, verdict."""
    rows = [
        "| figure | reported | source | role | band | model mean | 95 % interval | in band |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in REPORTED:
        e = summary[r.metric]
        m, lo, hi = (e[k] / r.scale for k in ("mean", "ci95_low", "ci95_high"))
        unit = f" {r.unit}" if r.unit else ""
        ok = ("yes" if r.low <= m <= r.high else "**no**") if r.checked else "not checked"
        band = f"{_num(r.low)} to {_num(r.high)}" if r.checked else "-"
        d = r.digits
        rows.append(
            f"| {r.label} | {_num(r.value)}{unit} | {r.source} | {r.role} | {band} "
            f"| {_num(m, d)} | {_num(lo, d)} to {_num(hi, d)} | {ok} |"
        )
    if summary.get("orders"):
        rows += [date_row(r, summary["orders"]) for r in DATES if r.order in summary["orders"]]
    rows.append("")
    rows.append("Roles: " + "; ".join(f"*{k}*: {v}" for k, v in ROLES.items()) + ".")
    t = summary.get("target")
    if t:
        p = t["probability_within"]
        rows.append("")
        rows.append(
            f"Replications: {summary['replications']}, seed {summary['seed']}. "
            f"Probability that relief ({t.get('definition', 'accounting').replace('_', ' and ')}) "
            f"on {t['by'][:10]} lies within {t['relief_mw']:.0f} +- "
            f"{t['tolerance_mw']:.0f} MW: {p['mean']:.2f} (95 % interval {p['ci95_low']:.2f} "
            f"to {p['ci95_high']:.2f}); verdict: **{t['verdict']}**."
        )
    return "\n".join(rows)


def summary_of(path: Path = FLAGSHIP, workers: int | None = None) -> dict[str, Any]:
    """Run a scenario with its own seed and replications; its summary."""
    from sim.experiments.ensemble import run_ensemble
    from sim.scenario.load import load_scenario

    return run_ensemble(load_scenario(path), workers=workers, progress=False).summary()


def replace_block(text: str, block: str) -> str:
    """``text`` with the calibration block replaced by ``block``."""
    return readme.replace_block(text, NAME, block)


def current_block(text: str) -> str:
    """The table now between the calibration markers."""
    return readme.current_block(text, NAME)


def main(argv: list[str] | None = None) -> None:
    """Rewrite README.md's calibration table from a real run."""
    argv = sys.argv[1:] if argv is None else argv
    path = Path(argv[0]) if argv else FLAGSHIP
    block = table(summary_of(path))
    README.write_text(replace_block(README.read_text(encoding="utf-8"), block), encoding="utf-8")
    print(block)


if __name__ == "__main__":
    main()
