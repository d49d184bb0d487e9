"""Does the flagship's grid run short when history says it did?

``python -m tools.history [-n N] [--seed S] [--readme]`` prints the history
table, the records of the winter beside the model, from real runs (the
flagship's own seed unless given; 100 replications by default), and with
``--readme`` writes it into README.md between the ``history`` markers (a test
checks that the README matches such a run). Its rows come from three runs:

1. **autumn shortage**: with the operator's orders removed (:data:`GRID_ALONE`),
   per month from 13 October 2021 (the day the
   rationing of licensed miners began, E6): how many days the operator had to
   curtail licensed miners for shortage, the share of replications in which it
   did so on more than half the days, the energy curtailed, and the days with
   firm load shed;
2. **imports from Russia** and **generation at the winter peak** (the flagship
   as it is): per month, the scheduled
   exchange (an input, Z17), the unscheduled imports (an outcome of the
   balance) and their sum against the gross imports of the statistics (Z11);
3. **the islanding of 25 January 2022** (``scenarios/shortages/south_islanding.yaml``):
   the South's generation kept and load shed at its worst hour against E8.

1. **autumn shortage**: with the operator's scripted orders removed
   (``operator.orders=[]``, ``operator.rule=null``), per month from 13 October 2021 (the day the
   rationing of licensed miners began, E6): how many days the operator had to
   curtail licensed miners for shortage, the share of replications in which it
   did so on more than half the days, the energy curtailed, and the days with
   firm load shed;

Nothing here feeds the model: the statistics are only compared with.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from tools import readme

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "scenarios" / "kazakhstan_2021_22.yaml"
ISLANDING = ROOT / "scenarios" / "shortages" / "south_islanding.yaml"
#: Overrides that leave the grid alone: no scripted orders, no day-ahead rule.
GRID_ALONE = ["operator.orders=[]", "operator.rule=null"]
#: Replications of the README's history table.
N = 100
#: The README block.
NAME = "history"
#: The day the rationing of licensed miners began (E6): the table starts there.
FROM = "2021-10-13"
#: Gross imports from Russia, GWh (Z11; Oct 2021, Feb-Apr 2022: Z17).
RUSSIA_GWH = {
    "2021-10": 155.2,
    "2021-11": 317.2,
    "2021-12": 167.1,
    "2022-01": 186.1,
    "2022-02": 117.5,
    "2022-03": 89.4,
    "2022-04": 92.2,
}
#: MW below which nothing counts as curtailed or shed (round-off).
EPS_MW = 1e-6


def balances(path: Path, overrides: Iterable[str], replications: int, seed: int | None):
    """``(static, [balance of each replication])`` of a scenario."""
    from sim.model.balance import dispatch
    from sim.model.operator import run_replication
    from sim.model.replication import prepare
    from sim.scenario.load import load_scenario

    sc = load_scenario(path, overrides=list(overrides))
    if seed is not None:
        sc = sc.model_copy(update={"seed": seed})
    static = prepare(sc)
    return static, [dispatch(static, run_replication(static, rep)) for rep in range(replications)]


def shortage_table(static, bals) -> pd.DataFrame:
    """Per month from :data:`FROM`: days, mean days with curtailment for
    shortage, the share of replications curtailing on more than half the days,
    curtailed GWh and days with firm load shed (means over replications)."""
    idx = static.clock.index
    keep = idx >= pd.Timestamp(FROM, tz=idx.tz)
    day = idx.normalize()[keep]
    month = idx.strftime("%Y-%m")[keep]
    rows = []
    for rep, b in enumerate(bals):
        frame = pd.DataFrame(
            {
                "month": month,
                "day": day,
                "curtailed": b.curtailed.sum(axis=0)[keep],
                "shed": b.shed.sum(axis=0)[keep],
            }
        )
        days = frame.groupby(["month", "day"]).agg(curtailed=("curtailed", "max"), shed=("shed", "max"),
                                                  gwh=("curtailed", "sum"))  # fmt: skip
        per = days.groupby("month").agg(
            days=("curtailed", "size"),
            curtail_days=("curtailed", lambda s: int((s > EPS_MW).sum())),
            shed_days=("shed", lambda s: int((s > EPS_MW).sum())),
            gwh=("gwh", lambda s: s.sum() * static.clock.step_h / 1000),
        )
        per["replication"] = rep
        rows.append(per.reset_index())
    a = pd.concat(rows)
    a["most"] = a.curtail_days > a.days / 2
    out = a.groupby("month").agg(
        days=("days", "first"),
        curtail_days=("curtail_days", "mean"),
        share_most_days=("most", "mean"),
        curtailed_gwh=("gwh", "mean"),
        shed_days=("shed_days", "mean"),
    )
    return out


def imports_table(static, bals) -> pd.DataFrame:
    """Per month: Russia's scheduled and unscheduled imports (means over
    replications, GWh), their sum, the statistics and the difference in %."""
    ol = static.outside
    russia = [j for j, s in enumerate(ol.system) if s == "Russia"]
    month = static.clock.index.strftime("%Y-%m")
    h = static.clock.step_h / 1000
    total = np.mean([b.links.imports[russia].sum(axis=0) for b in bals], axis=0) * h
    unsched = np.mean([b.links.unscheduled[russia].sum(axis=0) for b in bals], axis=0) * h
    frame = pd.DataFrame({"month": month, "imports_gwh": total, "unscheduled_gwh": unsched})
    out = frame.groupby("month").sum()
    out.insert(0, "scheduled_gwh", out.imports_gwh - out.unscheduled_gwh)
    out["statistics_gwh"] = pd.Series(RUSSIA_GWH)
    out["difference_pct"] = 100 * (out.imports_gwh / out.statistics_gwh - 1)
    return out


def markdown(df: pd.DataFrame, digits: int = 1) -> str:
    """A Markdown table of a frame indexed by month."""
    head = ["month", *df.columns]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for month, row in df.iterrows():
        cells = [f"{v:,.{digits}f}" if isinstance(v, float) else str(v) for v in row]
        lines.append("| " + " | ".join([str(month), *cells]) + " |")
    return "\n".join(lines)


@dataclass(frozen=True)
class Row:
    """One record of the winter beside the model."""

    record: str
    reported: str
    source: str
    role: str
    """``input``, ``fitted`` (a parameter was set with it in view: not evidence)
    or ``held out`` (a test of the model)."""
    band: str
    model: str
    inside: bool


def _pct(x: float) -> str:
    return f"{100 * x:.0f} %"


def shortage_rows(table: pd.DataFrame) -> list[Row]:
    """Months in which the grid alone would curtail licensed miners."""
    rows = []
    for month, row in table.loc["2021-10":"2022-02"].iterrows():
        label = pd.Period(month).strftime("%b %Y") + (" (from the 13th)" if month == "2021-10" else "")
        autumn = month in ("2021-10", "2021-11")
        rows.append(
            Row(
                f"grid alone curtails licensed miners on most days, {label}",
                "rationing from 13 Oct 2021" if month == "2021-10" else "rationing or cut-off in force",
                "E6" if month < "2022-01" else "E4, E5, E6",
                "fitted (derating)" if autumn else "held out",
                "in >= 50 % of replications",
                f"{_pct(row.share_most_days)} ({row.curtail_days:.1f} of {int(row.days)} days)",
                bool(row.share_most_days >= 0.5),
            )
        )
    return rows


def import_rows(table: pd.DataFrame) -> list[Row]:
    """Gross imports from Russia, November to January, against Z11."""
    rows = []
    for month in ("2021-11", "2021-12", "2022-01"):
        r = table.loc[month]
        rows.append(
            Row(
                f"imports from Russia, {pd.Period(month).strftime('%b %Y')} (GWh)",
                f"{r.statistics_gwh:,.0f}",
                "Z11",
                "fitted (derating)" if month == "2021-11" else "held out",
                f"{0.6 * r.statistics_gwh:,.0f} to {1.4 * r.statistics_gwh:,.0f}",
                f"{r.imports_gwh:,.0f} ({r.scheduled_gwh:,.0f} scheduled, an input: Z17)",
                bool(abs(r.difference_pct) <= 40),
            )
        )
    return rows


def peak_generation(static, bals) -> float:
    """Mean over replications of the generation dispatched at the hour of the
    national peak load in December to February (MW)."""
    idx = static.clock.index
    winter = np.asarray(idx.month.isin([12, 1, 2]))
    out = []
    for b in bals:
        load = (b.served + b.shed).sum(axis=0)
        k = int(np.argmax(np.where(winter, load, -np.inf)))
        out.append(float(b.links.dispatched[:, k].sum()))
    return float(np.mean(out))


def islanding(static, bals) -> tuple[np.ndarray, np.ndarray]:
    """The South's shed load at its worst hour of 25 January 2022 and its
    available generation then, per replication (MW)."""
    idx = static.clock.index
    day = np.asarray(
        (idx >= pd.Timestamp("2022-01-25", tz=idx.tz)) & (idx < pd.Timestamp("2022-01-26", tz=idx.tz))
    )
    south = static.zones.index("South")
    worst, kept = [], []
    for b in bals:
        shed = b.shed[south, day]
        k = int(np.argmax(shed))
        worst.append(shed[k])
        kept.append(b.generation[south, day][k])
    return np.array(worst), np.array(kept)


def history_rows(replications: int = N, seed: int | None = None) -> list[Row]:
    """Every row of the history table, from three real runs."""
    static, bals = balances(FLAGSHIP, GRID_ALONE, replications, seed)
    rows = shortage_rows(shortage_table(static, bals))
    static, bals = balances(FLAGSHIP, [], replications, seed)
    rows += import_rows(imports_table(static, bals))
    gen = peak_generation(static, bals)
    rows.append(
        Row(
            "generation at the winter peak (MW)",
            "15,203 and 15,107 (Dec 2022, 2023)",
            "P8, P9",
            "fitted",
            "14,500 to 15,800",
            f"{gen:,.0f}",
            bool(14_500 <= gen <= 15_800),
        )
    )
    static, bals = balances(ISLANDING, [], replications, seed)
    worst, kept = islanding(static, bals)
    hour = "at the worst hour of 25 Jan 2022 (MW)"
    for label, values, reported, role, lo, hi in (
        (f"South's generation kept {hour}", kept, "about 1,500", "fitted (trip share)", 1300, 1700),
        (f"South's load shed {hour}", worst, "about 1,800", "held out", 1500, 2100),
    ):
        q25, q50, q75 = np.percentile(values, [25, 50, 75])
        model = f"median {q50:,.0f} ({q25:,.0f} to {q75:,.0f})"
        rows.append(Row(label, reported, "E8", role, f"{lo:,} to {hi:,}", model, bool(lo <= q50 <= hi)))
    return rows


def history_block(rows: list[Row], replications: int, seed: int) -> str:
    """The README's history table."""
    lines = [
        "| record | reported | source | role | band | model | inside |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        inside = "yes" if r.inside else "**no**"
        lines.append(
            f"| {r.record} | {r.reported} | {r.source} | {r.role} | {r.band} | {r.model} | {inside} |"
        )
    lines += [
        "",
        f"Replications: {replications} of each run, seed {seed}; `python -m tools.history --readme`. "
        "Model figures are means over replications (medians and interquartile ranges for the "
        'islanding); "grid alone" removes the operator\'s orders. *fitted*: an estimate was set '
        "with the record in view (not evidence); *held out*: never used to set anything.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line: print the history table (and the monthly detail with ``--detail``)."""
    p = argparse.ArgumentParser(prog="python -m tools.history", description=__doc__.splitlines()[0])
    p.add_argument("-n", "--replications", type=int, default=N)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--readme", action="store_true", help="write the table into README.md")
    p.add_argument("--detail", action="store_true", help="also print the monthly tables")
    args = p.parse_args(argv)
    from sim.scenario.load import load_scenario

    seed = args.seed if args.seed is not None else load_scenario(FLAGSHIP).seed
    block = history_block(history_rows(args.replications, args.seed), args.replications, seed)
    print(block)
    if args.readme:
        readme.rewrite(NAME, block)
    if args.detail:
        static, bals = balances(FLAGSHIP, GRID_ALONE, args.replications, args.seed)
        print(f"\nLicensed miners curtailed for shortage, grid alone ({args.replications} replications):\n")
        print(markdown(shortage_table(static, bals), 2))
        static, bals = balances(FLAGSHIP, [], args.replications, args.seed)
        print(f"\nImports from Russia, GWh, flagship as it is ({args.replications} replications):\n")
        print(markdown(imports_table(static, bals)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
