"""The README's shortage table: is 600 MW enough, scenario by scenario?

``python -m tools.shortage_table [-n N]`` compares every file of
``scenarios/shortages/`` with the flagship (common random numbers, each with its
counterfactual without the crackdown; the flagship's seed and replications by
default), keeps the comparison's tables and figure in ``docs/shortages/`` (not
its per-replication files) and rewrites the
README block between the ``shortages`` markers from it. A test checks that the
README matches the stored comparison and that the comparison was made from the
scenario files as they are (their hashes in ``docs/shortages/inputs.json``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import pandas as pd

from sim.report.tables import num
from tools import readme

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "scenarios" / "kazakhstan_2021_22.yaml"
SHORTAGES = ROOT / "scenarios" / "shortages"
DOCS = ROOT / "docs" / "shortages"
NAME = "shortages"
#: Files of the comparison folder not kept in docs/shortages/.
KEEP_OUT = ("replications.parquet", "replications_long.parquet", "summary.json")


def inputs() -> dict[str, str]:
    """sha256 of every scenario file the comparison reads (relative path -> hash)."""
    files = [FLAGSHIP, *sorted(SHORTAGES.glob("*.yaml"))]
    return {str(f.relative_to(ROOT)): hashlib.sha256(f.read_bytes()).hexdigest() for f in files}


def run(replications: int | None = None, workers: int | None = None) -> None:
    """Compare the shortages with the flagship and store the folder in :data:`DOCS`
    (``replications``: the flagship's own if None, as ``gridshed compare``)."""
    from sim.experiments.compare import compare
    from sim.report.comparison_folder import write_comparison
    from sim.scenario.load import load_scenario

    scenarios = [load_scenario(p) for p in sorted(SHORTAGES.glob("*.yaml"))]
    cmp = compare(
        scenarios, load_scenario(FLAGSHIP), replications=replications, workers=workers, counterfactual=True
    )
    write_comparison(cmp, DOCS)
    # The repository keeps the tables and the figure; the per-replication files
    # and the full summary (about 1 MB) are rebuilt by running the comparison.
    for name in KEEP_OUT:
        (DOCS / name).unlink(missing_ok=True)
    (DOCS / "inputs.json").write_text(json.dumps(inputs(), indent=2) + "\n", encoding="utf-8")


def _ci(mean: float, lo: float, hi: float, digits: int = 0, sign: bool = False) -> str:
    return f"{num(mean, digits, sign=sign)} [{num(lo, digits, sign=sign)}, {num(hi, digits, sign=sign)}]"


def block(folder: Path = DOCS) -> str:
    """The README table from a stored comparison folder."""
    table = pd.read_csv(folder / "comparison.csv").set_index("scenario")
    diffs = pd.read_csv(folder / "differences.csv")
    enough = pd.read_csv(folder / "enough.csv").set_index("scenario")
    vs = diffs[diffs["kind"] == "vs_baseline"].set_index(["scenario", "metric"])
    effect = diffs[diffs["kind"] == "crackdown_effect"].set_index(["scenario", "metric"])
    base = table.index[table["role"] == "baseline"][0]
    lines = [
        "| scenario | relief (MW) | relief minus the flagship's (MW) | verdict vs 600 | EUE (MWh) "
        "| relief needed (MW) | P(no shedding after the campaign start) | EUE the crackdown avoids (MWh) |",
        "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for name, r in table.iterrows():
        is_base = r["role"] == "baseline"
        e = enough.loc[f"{name} (baseline)" if is_base else name]
        if is_base:
            delta, avoided = "(the baseline)", "-"
        else:
            d = vs.loc[(name, "relief_mw")]
            star = "*" if d["direction"] != "no clear difference" else ""
            delta = _ci(d["mean"], d["ci95_low"], d["ci95_high"], sign=True) + star
            a = effect.loc[(name, "eue_mwh")]
            avoided = _ci(a["mean"], a["ci95_low"], a["ci95_high"])
        needed = "-" if pd.isna(e["relief_needed_mw"]) else num(e["relief_needed_mw"])
        lines.append(
            f"| {name} | {_ci(r['relief_mw'], r['relief_mw.ci95_low'], r['relief_mw.ci95_high'])} | {delta} "
            f"| {r['verdict']} | {_ci(r['eue_mwh'], r['eue_mwh.ci95_low'], r['eue_mwh.ci95_high'])} "
            f"| {needed} | {_ci(e['probability'], e['probability.ci95_low'], e['probability.ci95_high'], 2)} "
            f"| {avoided} |"
        )
    n, seed = int(table["replications"].iloc[0]), int(table["seed"].iloc[0])
    lines += [
        "",
        f"{n} replications each, seed {seed}, common random numbers; baseline {base}; "
        "`python -m tools.shortage_table` (stored in [docs/shortages/](docs/shortages/)). "
        "Relief by the verdict's definition on the target date; * the paired 95 % interval "
        "excludes 0. Relief needed: the deepest firm-load shortfall after the campaign start "
        "without the crackdown (mean over replications).",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the comparison, store it and rewrite the README block."""
    p = argparse.ArgumentParser(prog="python -m tools.shortage_table", description=__doc__.splitlines()[0])
    p.add_argument("-n", "--replications", type=int, default=None, help="default: the flagship's")
    p.add_argument("-w", "--workers", type=int, default=None)
    p.add_argument("--no-run", action="store_true", help="only rewrite the README from docs/shortages/")
    args = p.parse_args(argv)
    if not args.no_run:
        run(args.replications, args.workers)
    text = block()
    readme.rewrite(NAME, text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
