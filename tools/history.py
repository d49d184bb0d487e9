"""Does the flagship's grid run short when history says it did?

``python -m tools.history [-n N] [--seed S]`` prints two tables from real runs
of the flagship (its own seed unless given; 200 replications by default):

1. **autumn shortage**: with the operator's scripted orders removed
   (``operator.orders=[]``), per month from 13 October 2021 (the day the
   rationing of licensed miners began, E6): how many days the operator had to
   curtail licensed miners for shortage, the share of replications in which it
   did so on more than half the days, the energy curtailed, and the days with
   firm load shed;
2. **imports from Russia** (the flagship as it is): per month, the scheduled
   exchange (an input, Z17), the unscheduled imports (an outcome of the
   balance) and their sum against the gross imports of the statistics (Z11).

Nothing here feeds the model: the statistics are only compared with.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "scenarios" / "kazakhstan_2021_22.yaml"
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


def main(argv: list[str] | None = None) -> int:
    """Command line: print both tables in Markdown."""
    p = argparse.ArgumentParser(prog="python -m tools.history", description=__doc__.splitlines()[0])
    p.add_argument("-n", "--replications", type=int, default=200)
    p.add_argument("--seed", type=int, default=None)
    args = p.parse_args(argv)
    static, bals = balances(FLAGSHIP, ["operator.orders=[]"], args.replications, args.seed)
    n = args.replications
    print(f"Licensed miners curtailed for shortage, operator orders removed ({n} replications):\n")
    print(markdown(shortage_table(static, bals), 2))
    static, bals = balances(FLAGSHIP, [], args.replications, args.seed)
    print(f"\nImports from Russia, GWh, flagship as it is ({args.replications} replications):\n")
    print(markdown(imports_table(static, bals)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
