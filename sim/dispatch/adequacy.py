"""Which steps can be short: the adequacy fast path's search, vectorised.

Without mining load, a step where every zone's own generation covers its load
is served in full: nothing is shed, curtailed, imported or transferred, and
the balance need not be solved there. Generation is constant between outage
events, so it is compared first with the largest load over each of its runs
(one pass of a segment maximum); only the runs where it may fall short are
examined step by step. The cost follows the outage events and the steps with
a deficit, not the steps. Pure numpy.
"""

from __future__ import annotations

import numpy as np

from sim.dispatch.runs import ranges

#: Slack, as a share of a zone's generation plus import capacity, under which
#: a step counts as possibly short: a step with more headroom than this is
#: served without round-off (its imports are exactly zero), any other is solved.
SLACK = 1e-9


def run_peaks(load: np.ndarray, load_starts: np.ndarray, starts: np.ndarray, n: int) -> np.ndarray:
    """Largest ``load`` (zones x runs ``load_starts``) over each run of another
    axis ``starts`` (both over ``n`` steps): zones x ``starts.size``."""
    if load_starts.size == n:
        return np.maximum.reduceat(load, starts, axis=1)
    first = np.searchsorted(load_starts, starts, side="right") - 1
    last = np.searchsorted(load_starts, np.append(starts[1:], n) - 1, side="right") - 1
    peak = np.maximum.reduceat(load, first, axis=1)
    # A run that ends inside the load run where the next one starts also sees it.
    shared = np.flatnonzero(last[:-1] == first[1:])
    peak[:, shared] = np.maximum(peak[:, shared], load[:, first[shared + 1]])
    return peak


def short_steps(
    gen: np.ndarray,
    gen_starts: np.ndarray,
    load: np.ndarray,
    load_starts: np.ndarray,
    slack: np.ndarray,
    n: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Steps at which some zone's load exceeds its generation less ``slack``.

    ``gen`` and ``slack`` (MW, zones x runs ``gen_starts``) and ``load`` (MW,
    zones x runs ``load_starts``) are constant on their runs over ``n`` steps.
    Returns the steps (sorted) and the generation run of each.
    """
    head = gen - slack
    over = run_peaks(load, load_starts, gen_starts, n) > head
    maybe = np.flatnonzero(over[0] if over.shape[0] == 1 else over.any(axis=0))
    if maybe.size == 0:
        return maybe, maybe
    first = gen_starts[maybe]
    lengths = np.append(gen_starts, n)[maybe + 1] - first
    steps = ranges(first, lengths)
    cols = steps if load_starts.size == n else np.searchsorted(load_starts, steps, side="right") - 1
    run = np.repeat(maybe, lengths)
    short = load.take(cols, axis=1) > head.take(run, axis=1)
    short = short[0] if short.shape[0] == 1 else short.any(axis=0)
    return steps[short], run[short]
