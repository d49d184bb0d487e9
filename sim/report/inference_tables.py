"""Markdown of a calibration and of a sensitivity analysis, from their summaries.

Pure functions of the JSON summaries that ``gridshed calibrate`` and ``gridshed
sensitivity`` write, so that a table can be rebuilt from a stored run (the README
blocks are, by ``tools/inference_tables.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sim.report.tables import md_table, num

#: Labels of the sensitivity indices.
INDEX_LABELS = {"S1": "first-order", "ST": "total", "mu_star": "mu*", "sigma": "sigma"}


def _digits(*xs: float) -> int:
    """Decimals for figures of this size: none from 100 on (or for whole numbers), one
    from 10, else two."""
    a = max(abs(x) for x in xs)
    return 0 if a >= 100 or all(float(x).is_integer() for x in xs) else (1 if a >= 10 else 2)


def fmt(x: Any) -> str:
    """A model figure, with :func:`_digits` decimals (``never``: not a number,
    as the median of a date that never came)."""
    if isinstance(x, str) or x is None:
        return "never" if x is None else x
    return num(float(x), _digits(float(x)))


def span(lo: float | None, hi: float | None) -> str:
    """``lo to hi`` with the same decimals at both ends; an end that is not a
    number (a date that never came: stored as null) is ``never``."""
    ends = [float(x) for x in (lo, hi) if x is not None and x == x and abs(float(x)) != float("inf")]
    d = _digits(*ends) if ends else 0

    def end(x: float | None) -> str:
        ok = x is not None and x == x and abs(float(x)) != float("inf")
        return num(float(x), d) if ok else "never"

    return f"{end(lo)} to {end(hi)}"


def reported(x: Any) -> str:
    """A reported figure as written (thousands separated)."""
    return f"{x:,g}" if isinstance(x, int | float) else str(x)


def posterior_table(summary: Mapping[str, Any]) -> str:
    """Per unknown: the key it sets, the prior's and the posterior's 90 % intervals."""
    head = ["unknown", "sets", "prior 90 %", "posterior median", "posterior 90 %", "interval left"]
    body = []
    for name, u in summary["unknowns"].items():
        body.append(
            [
                u.get("label") or name,
                f"`{u['key']}`" if u.get("key") else "(derived keys)",
                span(u["prior_q05"], u["prior_q95"]),
                fmt(u["median"]),
                span(u["q05"], u["q95"]),
                f"{u['width_ratio']:.0%}",
            ]
        )
    return md_table(head, body)


def records_table(rows: Sequence[Mapping[str, Any]], prior: Sequence[Mapping[str, Any]] | None = None) -> str:
    """Records against the posterior predictive (and the prior predictive, if given)."""
    head = ["figure", "reported", "source", "model median", "model 90 %", "record inside"]
    head.append("P(model <= record)")
    if prior is not None:
        head.append("before calibration: 90 %")
    body = []
    for i, r in enumerate(rows):
        cells = [r["label"], reported(r["reported"]), r.get("source", "")]
        if r["status"] != "checked":
            cells += [r["status"], "", "", ""]
        else:
            inside = "yes" if r["inside"] else "**no**"
            band = span(r["q05"], r["q95"])
            cells += [fmt(r["median"]), band, inside, f"{r['p_at_most']:.2f}"]
        if prior is not None:
            p = prior[i]
            cells.append(span(p["q05"], p["q95"]) if p["status"] == "checked" else "")
        body.append(cells)
    return md_table(head, body)


def verdict_lines(verdicts: Mapping[str, Mapping[str, Any]]) -> str:
    """One line per verdict: its probability and Monte Carlo interval."""
    return "\n".join(
        f"- P({v['label']}) = **{v['probability']:.2f}** (95 % interval {v['ci95_low']:.2f} "
        f"to {v['ci95_high']:.2f}, {v['n']:,} draws)"
        for v in verdicts.values()
    )


def heldout_block(summary: Mapping[str, Any]) -> str:
    """The held-out table and the verdicts, as the README shows them."""
    prior = summary.get("prior_predictive", {}).get("held_out")
    s = summary["settings"]
    return (
        f"{records_table(summary['held_out'], prior)}\n\n"
        f"Posterior predictive: {s['predictive_draws']:,} draws (a parameter set from the posterior, "
        f"one replication each), seed {summary['seed']}.\n\n{verdict_lines(summary['verdicts'])}"
    )


def calibration_markdown(summary: Mapping[str, Any]) -> str:
    """The whole calibration report."""
    s = summary["settings"]
    gens = summary["generations"]
    last = gens[-1]
    reached = "reached" if summary["reached_final_epsilon"] else "**not reached**"
    evals = sum(g["evaluations"] for g in gens)
    return (
        f"# Calibration of {summary['scenario']}\n\n"
        f"ABC-SMC (pyabc): {len(gens)} generations of {s['population']} particles, "
        f"{evals:,} simulations, seed {summary['seed']}, {summary['elapsed_s']['total']:.0f} s. "
        f"Final epsilon {last['epsilon']:.3g} (target {s['final_epsilon']:g}: {reached}); "
        f"epsilon 1 means every fitted record within its band.\n\n"
        f"## Posterior\n\n{posterior_table(summary)}\n\n"
        f"## Fitted records (posterior predictive)\n\n{records_table(summary['fitted'])}\n\n"
        f"## Held-out records\n\n{heldout_block(summary)}\n"
    )


def sensitivity_table(summary: Mapping[str, Any]) -> str:
    """Per unknown, each output's indices with their 95 % intervals; sorted by the
    first output's total (or mu*) index."""
    rows = summary["indices"]
    outputs = summary["outputs"]
    kinds = list(dict.fromkeys(r["index"] for r in rows))
    val = {(r["output"], r["unknown"], r["index"]): r for r in rows}
    unknowns = list(dict.fromkeys(r["unknown"] for r in rows))
    labels = summary.get("labels", {})
    rank = kinds[-1] if summary["method"] == "sobol" else kinds[0]
    unknowns.sort(key=lambda u: -val[(outputs[0], u, rank)]["value"])
    names = summary.get("output_labels", {})
    head = ["unknown", *(f"{names.get(o, o)}: {INDEX_LABELS[k]}" for o in outputs for k in kinds)]
    body = []
    for u in unknowns:
        cells = [labels.get(u) or u]
        for o in outputs:
            for k in kinds:
                r = val[(o, u, k)]
                conf = r["conf"]
                cells.append(fmt(r["value"]) + (f" +- {fmt(conf)}" if conf == conf else ""))
        body.append(cells)
    return md_table(head, body)


def sensitivity_block(summary: Mapping[str, Any]) -> str:
    """The sensitivity table with a line on how it was made."""
    s = summary["settings"]
    how = (
        f"Sobol' indices (Saltelli's sampling, N = {s['samples']})"
        if summary["method"] == "sobol"
        else f"Morris elementary effects ({s['samples']} trajectories)"
    )
    return (
        f"{sensitivity_table(summary)}\n\n{how}: {s['points']:,} points x {s['replications']} replications "
        f"with common random numbers, seed {s['seed']}; +- is the half-width of the 95 % bootstrap interval."
    )
