"""The grid signals of one replication while the operator is scripted (open loop).

The scripted operator's orders give the allowed share, the first limit and the
first cut-off (:meth:`~sim.model.signals.GridSignals.scripted`), the same in
every replication. The first shedding depends on the replication's outages,
weather and miners, so :func:`open_loop_signals` finds it by dispatching the
replication's grid with its miners as they connect, before anyone responds (no
exits, no campaign): what the operator would have seen had nobody reacted. A
closed-loop operator records its own first shedding instead.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from sim.dispatch.balance import EPS_MW
from sim.model.balance import dispatch_runs
from sim.model.mining import sample_population
from sim.model.replication import Raw, Static, draw_grid, streams
from sim.model.signals import GridSignals, first_time
from sim.vocab import FacilityState


def needs_first_shedding(static: Static) -> bool:
    """Whether the scenario's campaign waits for the first shedding (also when it is
    disabled: its start is the default reference of the before-and-after relief)."""
    trigger = static.scenario.enforcement.trigger
    return trigger is not None and trigger.after == "first_shedding"


def first_shedding_h(static: Static, replication: int, signals: GridSignals | None = None) -> float:
    """Start (h) of the first step with firm load shed anywhere in replication
    ``replication`` if nobody responded to the operator's orders (``signals``;
    none: the scripted ones); inf if it never sheds. Draws the replication's own
    population, outages and weather (the same draws as
    :func:`sim.model.replication.simulate`)."""
    sc, clock = static.scenario, static.clock
    rng = streams(sc.seed, replication)
    table = sample_population(sc, clock, rng["population"])
    arriving = np.flatnonzero((table.connect_h > 0) & (table.connect_h < clock.horizon_h))
    events = {
        "t_h": table.connect_h[arriving],
        "event": np.full(arriving.size, FacilityState.OPERATING, dtype=object),
        "entity": arriving,
        "zone": table.zone[arriving],
        "mw": table.load_mw[arriving],
        "count": np.zeros(arriving.size, np.int64),
        "flag": np.zeros(arriving.size, np.int64),
    }
    grid = draw_grid(static, rng)
    raw = Raw(replication, table, events, *grid[:5], 0, *grid[5:], signals=signals)
    bal = dispatch_runs(static, raw)
    return first_time(bal.shed.zone_sum().expand() > EPS_MW, clock.step_h)


def open_loop_signals(static: Static, replication: int) -> GridSignals | None:
    """The signals of replication ``replication`` under the scripted operator:
    ``static.signals`` with the first shedding filled in when the campaign
    waits for it; None when the scripted signals suffice."""
    if not needs_first_shedding(static):
        return None
    base = static.scripted_signals()
    return replace(base, first_shedding_h=first_shedding_h(static, replication))
