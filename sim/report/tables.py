"""Text and Markdown tables, and the one number formatter they all use.

Numbers are shown with thousands separators and a fixed number of decimals;
a missing or non-finite value is ``-``. Metric labels and decimals come from
:data:`sim.vocab.METRICS`.

Tables for the terminal are drawn by rich (:func:`render`) to fit its width
(``COLUMNS`` if set): cells wrap, and a table too wide even so is turned so that
its rows become columns. Sign conventions, said in each table's title:
differences against a baseline are *this minus the baseline*; the crackdown's
effect is *positive where the crackdown helps* (more relief, less mining load,
less load shedding: :func:`helps`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
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
#: Decimals of paired differences in the baseline table.
DIFF_DIGITS = 1
#: Metrics of which more is better (for the others, among the paired
#: differences, less is better: load shedding, mining load on the grid).
HIGHER_IS_BETTER = frozenset({"relief_mw", "relief_accounting_mw", "relief_before_after_mw"})
#: Title of the crackdown's effect, saying its sign convention.
CRACKDOWN_TITLE = (
    "Crackdown effect, paired with the same scenario without the crackdown "
    "(positive = the crackdown helps: more relief, less mining load, less load shedding)"
)

Block = tuple[str, list[str], list[list[str]]]
"""A titled table: title, header, rows (the first column names the rows)."""


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


def md_table(head: Sequence[str], body: Sequence[Sequence[str]]) -> str:
    """A Markdown table: the first column left-aligned, the others right-aligned."""

    def esc(c: str) -> str:
        return str(c).replace("|", "\\|")

    lines = ["| " + " | ".join(esc(h) for h in head) + " |"]
    lines.append("|" + "|".join([" --- "] + [" ---: "] * (len(head) - 1)) + "|")
    lines += ["| " + " | ".join(esc(c) for c in row) + " |" for row in body]
    return "\n".join(lines)


def helps(key: str, on_minus_off: float) -> float:
    """How much the crackdown helps on ``key``, given (with the crackdown) minus
    (without it): as is for metrics of which more is better, negated for the others."""
    value = on_minus_off if key.split(".", 1)[0] in HIGHER_IS_BETTER else -on_minus_off
    return value + 0.0  # no -0.0


def render(blocks: Iterable[Block], width: int | None = None) -> str:
    """Titled tables for the terminal, ``width`` columns wide at most (default:
    the terminal's, ``COLUMNS`` if set, else 80): the first column left-aligned,
    the others right-aligned. Numbers are never broken; headers and the first
    column wrap at spaces. A table too wide is turned (columns as rows) if that
    needs fewer parts, and cut into parts by columns, each repeating the first
    column, as many as it takes."""
    import io

    from rich.console import Console

    out = io.StringIO()
    console = Console(file=out, width=width, color_system=None, highlight=False, emoji=False, markup=False)
    for n, (title, head, body) in enumerate(blocks):
        if n:
            console.print()
        if title:
            console.print(title, overflow="fold")
        widths, parts = _layout(head, body, console.width)
        if len(head) > 2:
            turned = _transposed(head, body)
            turned_widths, turned_parts = _layout(*turned, console.width)
            if len(turned_parts) < len(parts):
                (head, body), widths, parts = turned, turned_widths, turned_parts
        for k, cols in enumerate(parts):
            if k:
                console.print()
            part_head, part_body = [head[c] for c in cols], [[row[c] for c in cols] for row in body]
            wanted = [max(len(str(c)) for c in col) for col in zip(part_head, *part_body, strict=True)]
            sizes = _spread([widths[c] for c in cols], wanted, console.width)
            console.print(_rich_table(part_head, part_body, sizes))
    return out.getvalue().rstrip() + "\n"


#: Narrowest the first column (row names) is made before a table is cut into
#: parts, and narrower still if that saves a part.
NAMES_MIN, NAMES_NARROW = 24, 14
#: Characters between two columns (a divider and a space either side).
GAP = 3


def _widths(head: Sequence[str], body: Sequence[Sequence[str]], names: int = NAMES_MIN) -> list[int]:
    """Each column's width: its widest cell, or its header's longest word; the
    first column's at most ``names`` (it wraps at spaces) unless a word is longer."""
    widths = []
    for i, col in enumerate(zip(head, *body, strict=True)):
        cells = max((len(str(c)) for c in col[1:]), default=0)
        word = max((len(w) for c in (col if i == 0 else col[:1]) for w in str(c).split()), default=0)
        widths.append(max(cells, word) if i else max(min(cells, names), word))
    return widths


def _layout(
    head: Sequence[str], body: Sequence[Sequence[str]], width: int
) -> tuple[list[int], list[list[int]]]:
    """Column widths, and the columns of each part of a table cut to ``width``
    (each part starts with column 0); the names are made narrower (down to
    :data:`NAMES_NARROW`) if that saves a part."""
    best: tuple[list[int], list[list[int]]] | None = None
    for names in (NAMES_MIN, NAMES_NARROW):
        w = _widths(head, body, names)
        parts: list[list[int]] = [[0]]
        used = w[0]
        for i in range(1, len(w)):
            if len(parts[-1]) > 1 and used + GAP + w[i] > width:
                parts.append([0])
                used = w[0]
            parts[-1].append(i)
            used += GAP + w[i]
        if best is None or len(parts) < len(best[1]):
            best = (w, parts)
    assert best is not None
    return best


def _transposed(head: list[str], body: list[list[str]]) -> tuple[list[str], list[list[str]]]:
    """Columns as rows: the first column's cells become the header."""
    cols = list(zip(head, *body, strict=True))
    return ["", *cols[0][1:]], [list(c) for c in cols[1:]]


def _spread(widths: list[int], wanted: list[int], width: int) -> list[int]:
    """Widen columns towards their ``wanted`` width (names and headers on one
    line) with the room ``widths`` leave in ``width``: the names first, then the
    other columns a character at a time in turn."""
    out = list(widths)
    room = width - sum(out) - GAP * (len(out) - 1)
    extra = max(0, min(room, wanted[0] - out[0]))
    out[0] += extra
    room -= extra
    while room > 0:
        short = [i for i in range(1, len(out)) if out[i] < wanted[i]]
        if not short:
            break
        for i in short[:room]:
            out[i] += 1
        room -= min(room, len(short))
    return out


def _rich_table(head: Sequence[str], body: Sequence[Sequence[str]], widths: Sequence[int]) -> Any:
    """A rich table with columns of exactly ``widths`` (headers and names wrap in them)."""
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=False)
    for i, h in enumerate(head):
        justify = "left" if i == 0 else "right"
        table.add_column(str(h), justify=justify, overflow="fold", width=widths[i])
    for row in body:
        table.add_row(*(str(c) for c in row))
    return table


def result_block(summary: dict[str, Any]) -> Block:
    """The table ``gridshed run`` prints: mean and 95 % interval of the
    :data:`RUN_TABLE` metrics (in their units), then the relief by definition."""
    rows = []
    for key in RUN_TABLE:
        e = summary.get(key)
        if e is None:
            continue
        d = metric(key).digits
        rows.append([label(key), num(e["mean"], d), interval(e["ci95_low"], e["ci95_high"], d)])
    rows += relief_rows(summary) + order_rows(summary) + enough_rows(summary)
    return "", ["", "mean", "95% interval"], rows


def target_line(summary: dict[str, Any]) -> str:
    """The target check in one sentence, or ``""`` without a target."""
    t = summary.get("target")
    if not t:
        return ""
    p = t["probability_within"]
    return (
        f"target {t['relief_mw']:.0f} +- {t['tolerance_mw']:.0f} MW by {t['by'][:10]} "
        f"({DEFINITIONS[t.get('definition', 'accounting')]}): "
        f"{t['verdict'].upper()}; P(relief within band) = {p['mean']:.2f} "
        f"[{p['ci95_low']:.2f}, {p['ci95_high']:.2f}]"
    )


def result_table(summary: dict[str, Any], width: int | None = None) -> str:
    """:func:`result_block` and :func:`target_line`, for the terminal."""
    import shutil
    import textwrap

    text = render([result_block(summary)], width)
    line = textwrap.fill(target_line(summary), width or shutil.get_terminal_size().columns)
    return text + (f"\n{line}\n" if line else "")


def relief_rows(summary: dict[str, Any]) -> list[list[str]]:
    """Rows of the run table for the relief by each definition (the verdict's
    marked) and the share of licensed miners gone beside the reported share."""
    r, gone = summary.get("relief"), summary.get("licensed_left")
    if not r or not gone:
        return []
    rows = [[f"relief by definition, {r['by'][:10]}:", "", ""]]
    for key in ("before_after", "accounting", "counterfactual"):
        e = r.get(key)
        name = f"  {DEFINITIONS[key]}" + (" (verdict)" if key == r["definition"] else "")
        if e is None:
            rows.append([name, "-", "(run with --counterfactual)"])
            continue
        rows.append([name, num(e["mean"]), interval(e["ci95_low"], e["ci95_high"])])
    rows.append([f"licensed miners gone abroad by {gone['by'][:10]}:", "", ""])
    for key, what in (("share", "share of count"), ("share_mw", "share of MW")):
        e = gone[key]
        rows.append([f"  {what}", num(e["mean"], 2), interval(e["ci95_low"], e["ci95_high"], 2)])
    if gone.get("reported_share") is not None:
        rows.append(["  reported (unverified claim)", num(gone["reported_share"], 2), ""])
    return rows


def baseline_block(b: dict[str, Any], crackdown: bool = False) -> Block:
    """This scenario against the baseline, per metric, with 95 % intervals (``b``:
    a run summary's ``baseline``, see :func:`sim.results.paired.baseline_summary`).
    ``crackdown``: the baseline is this scenario without the crackdown, and the
    difference is shown as how much the crackdown helps (:func:`helps`)."""
    rows = []
    for key, d in b["difference"].items():
        lo, hi, mean = d["ci95_low"], d["ci95_high"], d["mean"]
        if crackdown:
            lo, hi = sorted((helps(key, lo), helps(key, hi)))
            mean = helps(key, mean)
        cells = [num(d["this"], DIFF_DIGITS), num(d["baseline"], DIFF_DIGITS), num(mean, DIFF_DIGITS, True)]
        rows.append([label(key), *cells, interval(lo, hi, DIFF_DIGITS, True)])
    if crackdown:
        head = ["", "with", "without", "helps by", "95% interval"]
        return CRACKDOWN_TITLE + " (common random numbers)", head, rows
    title = f"Paired difference: this minus {b['scenario']} (common random numbers)"
    return title, ["", "this", "baseline", "difference", "95% interval"], rows


def order_rows(summary: dict[str, Any]) -> list[list[str]]:
    """Rows of the run table for the operator's first rationing and first
    cut-off: median date and 5-95 % range, beside the reported date; and the
    share of first rationings in the target's window."""
    orders = summary.get("orders") or {}
    rows = []
    for key, what in (("first_rationing", "first rationing"), ("first_cutoff", "first cut-off")):
        o = orders.get(key)
        if not o:
            continue
        rows.append([f"{what} (median, 5-95 %)", o["median"], f"[{o['p05']}, {o['p95']}]"])
        extra = f"  never in {o['never']:.0%} of replications"
        if o.get("reported"):
            extra += f"; reported {o['reported']}"
        rows.append([extra, "", ""])
    w = orders.get("first_rationing_in_window")
    if w:
        rows.append(
            [
                f"  first rationing {w['from']} to {w['to']}",
                num(w["share"], 2),
                interval(w["ci95_low"], w["ci95_high"], 2),
            ]
        )
    return rows


def enough_rows(summary: dict[str, Any]) -> list[list[str]]:
    """Rows of the run table for "was it enough?": the probability that no firm
    load is shed after the campaign start, the relief obtained and (with
    ``--counterfactual``) the relief needed, nationally."""
    e = summary.get("enough")
    if not e:
        return []
    p = e["probability"]
    rows = [
        [f"was it enough? (after the {e['after']}):", "", ""],
        ["  P(no firm load shed)", num(p["mean"], 2), interval(p["ci95_low"], p["ci95_high"], 2)],
    ]
    shown = (("relief_needed_mw", "relief needed (MW)"), ("relief_obtained_mw", "relief obtained (MW)"))
    for key, what in shown:
        v = e.get(key)
        v = v.get("national") if v and key == "relief_needed_mw" else v
        if v is None:
            rows.append([f"  {what}", "-", "(run with --counterfactual)"])
        else:
            rows.append([f"  {what}", num(v["mean"]), interval(v["ci95_low"], v["ci95_high"])])
    return rows
