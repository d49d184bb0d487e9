"""Text and Markdown tables, and the one number formatter they all use.

Numbers are shown with thousands separators and a fixed number of decimals;
a missing or non-finite value is ``-``. Metric labels and decimals come from
:data:`sim.vocab.METRICS`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from sim.vocab import label, metric

#: Metrics of the short table ``gridshed run`` prints, in order.
RUN_TABLE = (
    "relief_mw",
    "closures_voluntary",
    "closures_forced",
    "criminal_cases",
    "devices_seized",
    "eue_mwh",
    "lole_h",
    "lolf",
    "peak_shortfall_mw",
)
#: How each relief definition is named in tables.
DEFINITIONS = {
    "before_after": "before and after",
    "accounting": "accounting",
    "counterfactual": "counterfactual",
}
#: Width of the label column of the run tables (characters).
LABEL_WIDTH = 32
#: Decimals of paired differences in the baseline table.
DIFF_DIGITS = 1


def num(x: Any, digits: int = 0, sign: bool = False) -> str:
    """``x`` with thousands separators and ``digits`` decimals (``+`` for
    positive values with ``sign``); ``-`` for None, NaN or infinity."""
    if x is None or not math.isfinite(x):
        return "-"
    return f"{x:+,.{digits}f}" if sign else f"{x:,.{digits}f}"


def interval(lo: Any, hi: Any, digits: int = 0, sign: bool = False) -> str:
    """``[lo, hi]`` formatted by :func:`num`."""
    return f"[{num(lo, digits, sign)}, {num(hi, digits, sign)}]"


def ci(row: Mapping[str, Any], key: str, digits: int = 0) -> str:
    """``mean [low, high]`` of ``key`` in a flat row (``key``, ``key.ci95_low``,
    ``key.ci95_high``); ``-`` if the row lacks it."""
    if key not in row:
        return "-"
    lo, hi = row.get(f"{key}.ci95_low"), row.get(f"{key}.ci95_high")
    return f"{num(row[key], digits)} {interval(lo, hi, digits)}"


def text_table(head: Sequence[str], body: Sequence[Sequence[str]]) -> str:
    """A plain-text table: the first column left-aligned, the others right-aligned,
    a rule under the header."""
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


def md_table(head: Sequence[str], body: Sequence[Sequence[str]]) -> str:
    """A Markdown table: the first column left-aligned, the others right-aligned."""

    def esc(c: str) -> str:
        return str(c).replace("|", "\\|")

    lines = ["| " + " | ".join(esc(h) for h in head) + " |"]
    lines.append("|" + "|".join([" --- "] + [" ---: "] * (len(head) - 1)) + "|")
    lines += ["| " + " | ".join(esc(c) for c in row) + " |" for row in body]
    return "\n".join(lines)


def result_table(summary: dict[str, Any]) -> str:
    """The short table ``gridshed run`` prints: mean and 95 % interval of the
    :data:`RUN_TABLE` metrics (in their units), then the target check."""
    lines = [f"{'':{LABEL_WIDTH}} {'mean':>12} {'95% interval':>24}"]
    for key in RUN_TABLE:
        e = summary.get(key)
        if e is None:
            continue
        d = metric(key).digits
        span = interval(e["ci95_low"], e["ci95_high"], d)
        lines.append(f"{label(key):{LABEL_WIDTH}} {num(e['mean'], d):>12} {span:>24}")
    lines += relief_lines(summary) + order_lines(summary) + enough_lines(summary)
    t = summary.get("target")
    if t:
        p = t["probability_within"]
        lines.append("")
        lines.append(
            f"target {t['relief_mw']:.0f} +- {t['tolerance_mw']:.0f} MW by {t['by'][:10]} "
            f"({DEFINITIONS[t.get('definition', 'accounting')]}): "
            f"{t['verdict'].upper()}; P(relief within band) = {p['mean']:.2f} "
            f"[{p['ci95_low']:.2f}, {p['ci95_high']:.2f}]"
        )
    return "\n".join(lines)


def relief_lines(summary: dict[str, Any]) -> list[str]:
    """Rows of the run table for the relief by each definition (the verdict's
    marked) and the share of licensed miners gone beside the reported share."""
    r, gone = summary.get("relief"), summary.get("licensed_left")
    if not r or not gone:
        return []
    lines = [f"relief by definition, {r['by'][:10]}:"]
    for key in ("before_after", "accounting", "counterfactual"):
        e = r.get(key)
        name = f"  {DEFINITIONS[key]}" + (" (verdict)" if key == r["definition"] else "")
        if e is None:
            lines.append(f"{name:{LABEL_WIDTH}} {'-':>12} {'(run with --counterfactual)':>24}")
            continue
        span = interval(e["ci95_low"], e["ci95_high"])
        lines.append(f"{name:{LABEL_WIDTH}} {num(e['mean']):>12} {span:>24}")
    lines.append(f"licensed miners gone abroad by {gone['by'][:10]}:")
    for key, what in (("share", "share of count"), ("share_mw", "share of MW")):
        e = gone[key]
        span = interval(e["ci95_low"], e["ci95_high"], 2)
        lines.append(f"{'  ' + what:{LABEL_WIDTH}} {num(e['mean'], 2):>12} {span:>24}")
    if gone.get("reported_share") is not None:
        lines.append(f"{'  reported (unverified claim)':{LABEL_WIDTH}} {num(gone['reported_share'], 2):>12}")
    return lines


def order_lines(summary: dict[str, Any]) -> list[str]:
    """Rows of the run table for the operator's first rationing and first
    cut-off: median date and 5-95 % range, beside the reported date; and the
    share of first rationings in the target's window."""
    orders = summary.get("orders") or {}
    lines = []
    for key, what in (("first_rationing", "first rationing"), ("first_cutoff", "first cut-off")):
        o = orders.get(key)
        if not o:
            continue
        span = f"[{o['p05']}, {o['p95']}]"
        lines.append(f"{what + ' (median, 5-95 %)':{LABEL_WIDTH}} {o['median']:>12} {span:>24}")
        extra = f"never in {o['never']:.0%} of replications"
        if o.get("reported"):
            extra += f"; reported {o['reported']}"
        lines.append(f"{'  ' + extra}")
    w = orders.get("first_rationing_in_window")
    if w:
        span = interval(w["ci95_low"], w["ci95_high"], 2)
        name = f"  first rationing {w['from']} to {w['to']}"
        lines.append(f"{name:{LABEL_WIDTH}} {num(w['share'], 2):>12} {span:>24}")
    return lines


def baseline_table(b: dict[str, Any]) -> str:
    """This scenario minus the baseline, per metric, with 95 % intervals
    (``b``: a run summary's ``baseline``, see :func:`sim.results.paired.baseline_summary`)."""
    lines = [
        f"paired difference: this minus {b['scenario']} (common random numbers)",
        f"{'':{LABEL_WIDTH}} {'this':>12} {'baseline':>12} {'difference':>12} {'95% interval':>24}",
    ]
    for key, d in b["difference"].items():
        span = interval(d["ci95_low"], d["ci95_high"], DIFF_DIGITS)
        this, base, diff = (num(d[k], DIFF_DIGITS) for k in ("this", "baseline", "mean"))
        lines.append(f"{key:{LABEL_WIDTH}} {this:>12} {base:>12} {diff:>12} {span:>24}")
    return "\n".join(lines)


def enough_lines(summary: dict[str, Any]) -> list[str]:
    """Rows of the run table for "was it enough?": the probability that no firm
    load is shed after the campaign start, the relief obtained and (with
    ``--counterfactual``) the relief needed, nationally."""
    e = summary.get("enough")
    if not e:
        return []
    p = e["probability"]
    lines = [
        f"was it enough? (after the {e['after']}):",
        f"{'  P(no firm load shed)':{LABEL_WIDTH}} {num(p['mean'], 2):>12} "
        f"{interval(p['ci95_low'], p['ci95_high'], 2):>24}",
    ]
    for key, what in (
        ("relief_needed_mw", "relief needed (MW)"),
        ("relief_obtained_mw", "relief obtained (MW)"),
    ):
        v = e.get(key)
        v = v.get("national") if v and key == "relief_needed_mw" else v
        if v is None:
            lines.append(f"{'  ' + what:{LABEL_WIDTH}} {'-':>12} {'(run with --counterfactual)':>24}")
        else:
            span = interval(v["ci95_low"], v["ci95_high"])
            lines.append(f"{'  ' + what:{LABEL_WIDTH}} {num(v['mean']):>12} {span:>24}")
    return lines
