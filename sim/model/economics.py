"""Miners as economic actors: daily margins, moves abroad and switches to grey mining.

Everything is a daily array computed with numpy, once per replication, from
the share of their load the operator allows licensed miners
(:class:`~sim.model.signals.GridSignals`): the margin of every facility on every
day (F x D), the first day on which a condition has held for a run of days, and
from those a plan of moves (``moved_abroad``, ``went_grey``) that one SimPy
process follows (:meth:`sim.model.mining.Facilities.follow`). No Python loop runs
per facility per day.

Decisions are causal: whether a facility has had enough on day ``d`` depends
only on the signals up to day ``d``, so a closed-loop operator that fills the
signals as it goes can replan from any day with the same functions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model.clock import Clock
from sim.model.enforcement import HOURS_PER_DAY, gamma_hours
from sim.model.mining import FacilityTable
from sim.model.signals import GridSignals, day_starts
from sim.scenario.schema import Economics, Scenario
from sim.vocab import FacilityState as S

#: Seconds per day over 2^32 hashes per unit of difficulty (sources M30): with the
#: difficulty in units of 10^12 and the hashrate in TH/s (10^12 hashes a second),
#: the 10^12 cancel.
BLOCKS_PER_TH_DAY = 86_400.0 / 2.0**32
#: kWh drawn by one MW in one day.
KWH_PER_MW_DAY = 24_000.0
#: W in one MW.
W_PER_MW = 1e6


def hashprice(btc_usd: np.ndarray, difficulty_t: np.ndarray, reward_btc: float, fees_share: float = 0.0):
    """USD earned per TH/s per day (sources M30): expected blocks per TH/s per day,
    86,400 / (difficulty x 2^32), times the reward with fees, times the price."""
    return (
        BLOCKS_PER_TH_DAY / np.asarray(difficulty_t) * reward_btc * (1.0 + fees_share) * np.asarray(btc_usd)
    )


@dataclass(frozen=True)
class Market:
    """What the economics of every replication share, per local day (D days)."""

    day_start_h: np.ndarray
    """Hours from the start of each day's first step, then the horizon (D + 1)."""
    hashprice: np.ndarray
    """USD per TH/s per day (D)."""
    levy_usd_per_kwh: np.ndarray
    """Levy on licensed miners' power, USD per kWh (D)."""
    th_per_mw: np.ndarray
    """Hashrate per MW of facility capacity, TH/s, per hardware class (overhead included)."""


def market(sc: Scenario, clock: Clock) -> Market | None:
    """The scenario's market per day, or None if its economics are off."""
    e = sc.mining.economics
    if not e.enabled:
        return None
    starts = day_starts(clock)
    day_start_h = np.r_[starts * clock.step_h, clock.horizon_h]
    when = clock.index[starts]
    month = when.year.to_numpy() * 12 + when.month.to_numpy() - 1
    given = np.array([int(m.month[:4]) * 12 + int(m.month[5:]) - 1 for m in e.market])
    # A month not given takes the last month given before it (or the first month).
    pick = np.clip(np.searchsorted(given, month, side="right") - 1, 0, given.size - 1)
    price = np.array([m.btc_usd for m in e.market])[pick]
    difficulty = np.array([m.difficulty_t for m in e.market])[pick]
    levy = np.full(starts.size, e.levy_kzt_per_kwh / e.kzt_per_usd)
    if e.levy_from is not None:
        levy[day_start_h[:-1] < clock.hours(e.levy_from)] = 0.0
    j_per_th = np.array([h.j_per_th for h in sc.mining.hardware], dtype=float)
    return Market(
        day_start_h=day_start_h,
        hashprice=hashprice(price, difficulty, e.block_reward_btc, e.fees_share),
        levy_usd_per_kwh=levy,
        th_per_mw=W_PER_MW / (j_per_th * sc.mining.overhead),
    )


def spans(change_days: np.ndarray, n_days: int) -> tuple[np.ndarray, np.ndarray]:
    """Runs of days cut at ``change_days``: the first day and the length of each."""
    cuts = change_days[(change_days > 0) & (change_days < n_days)]
    start = np.unique(np.append(cuts, 0)).astype(np.int64)
    return start, np.diff(start, append=n_days)


def first_run_end(
    mask: np.ndarray, length: np.ndarray | int, span_start: np.ndarray | None = None, span_len=None
) -> np.ndarray:
    """Per row of ``mask``, the first day on which it has held for ``length``
    consecutive days (per row or one for all); the number of days where it never has.

    ``mask`` is F x D days, or F x S runs of days over which it does not change
    (``span_start``, ``span_len``: the first day and the length of each run), which
    gives the same days for a fraction of the work when few things change.
    """
    F, S = mask.shape
    if span_start is None:
        span_start, span_len = np.arange(S), np.ones(S, dtype=np.int64)
    n_days = int(span_start[-1] + span_len[-1]) if S else 0
    need = np.broadcast_to(np.asarray(length), (F,))
    count = np.cumsum(mask * span_len, axis=1)
    run = count - np.maximum.accumulate(np.where(mask, 0, count), axis=1)
    hit = mask & (run >= need[:, None])
    s = hit.argmax(axis=1)
    before = run[np.arange(F), s] - span_len[s]  # bad days of the run before span s
    return np.where(hit.any(axis=1), span_start[s] + need - before - 1, n_days)


@dataclass(frozen=True)
class Draws:
    """Random draws of the economics, one of each per facility, drawn whatever is
    used so that scenarios differing elsewhere see the same draws."""

    tariff_u: np.ndarray
    """Position of the facility's tariff between its bounds (uniform)."""
    patience_days: np.ndarray
    """Consecutive bad days it bears (whole days, at least one)."""
    delay_h: np.ndarray
    """Hours from its decision to leave to its load leaving the grid."""
    grey_u: np.ndarray
    """Uniform draw deciding whether it goes grey when limited long enough."""


def draw(spec: Economics, n: int, rng: np.random.Generator) -> Draws:
    """The economics' draws for ``n`` facilities, in a fixed order."""
    tariff_u = rng.random(n)
    patience = np.maximum(np.ceil(gamma_hours(spec.leaving.patience, rng, n) / HOURS_PER_DAY), 1)
    delay = np.asarray(gamma_hours(spec.leaving.delay, rng, n), dtype=float)
    return Draws(tariff_u, patience.astype(np.int64), delay, rng.random(n))


def margins(
    spec: Economics, mk: Market, table: FacilityTable, share: np.ndarray, licensed: np.ndarray, tariff_u
) -> np.ndarray:
    """Margin of every facility on every day of ``mk``, USD per MW of capacity (F x D).

    ``share``: share of the day it may run (F x D); ``licensed``: whether it pays
    the levy that day (F x D); ``tariff_u``: its place between the tariff bounds.
    """
    lo = np.where(table.licensed, spec.tariff_licensed.low_usd_per_kwh, spec.tariff_grey.low_usd_per_kwh)
    hi = np.where(table.licensed, spec.tariff_licensed.high_usd_per_kwh, spec.tariff_grey.high_usd_per_kwh)
    price = (lo + tariff_u * (hi - lo))[:, None] + licensed * mk.levy_usd_per_kwh[None, :]
    revenue = mk.hashprice[None, :] * mk.th_per_mw[table.hardware][:, None]
    utilisation = np.divide(
        table.load_mw, table.capacity_mw, out=np.zeros(table.n), where=table.capacity_mw > 0
    )
    return utilisation[:, None] * share * (revenue - KWH_PER_MW_DAY * price) - spec.fixed_usd_per_mw_day


def plan(
    spec: Economics,
    mk: Market,
    table: FacilityTable,
    signals: GridSignals,
    clock: Clock,
    rng: np.random.Generator,
) -> list[tuple[float, int, S]]:
    """The moves the facilities' economics lead to, ``(hours, facility, state)`` in
    time order, before the horizon: ``went_grey`` at the end of the day a licensed
    site has been limited for ``after_days`` (if its draw says so), ``moved_abroad``
    a delay after the day its margin has been bad for its patience. A site that
    would go grey after deciding to leave does not.

    Margins are computed per run of days over which nothing changes (market,
    levy, orders, connections, switches to grey): F x S values instead of F x D.
    """
    d = draw(spec, table.n, rng)
    D = mk.hashprice.size
    allowed = signals.daily_allowed(clock)
    changes = (np.diff(mk.hashprice) != 0) | (np.diff(mk.levy_usd_per_kwh) != 0)
    changes |= np.any(allowed[:, 1:] != allowed[:, :-1], axis=0)
    # Whole days on the grid: from the first day that starts after it connects.
    on_from = np.minimum(np.searchsorted(mk.day_start_h, table.connect_h, side="left"), D)
    cuts = np.concatenate([np.flatnonzero(changes) + 1, on_from])
    lic = table.licensed[:, None]
    grey_day = np.full(table.n, D)
    g = spec.going_grey
    if g is not None and table.n:
        start, length = spans(cuts, D)
        zone_limited = allowed[:, start] < g.limited_below
        limited = (start[None, :] >= on_from[:, None]) & lic & zone_limited[table.zone]
        grey_day = np.where(d.grey_u < g.probability, first_run_end(limited, g.after_days, start, length), D)
        cuts = np.append(cuts, grey_day + 1)
    start, length = spans(cuts, D)
    after_grey = start[None, :] > grey_day[:, None]
    share = np.where(lic & ~after_grey, allowed[:, start][table.zone], 1.0)
    sub = Market(mk.day_start_h, mk.hashprice[start], mk.levy_usd_per_kwh[start], mk.th_per_mw)
    margin = margins(spec, sub, table, share, lic & ~after_grey, d.tariff_u)
    bad = (start[None, :] >= on_from[:, None]) & (margin < spec.leaving.below_usd_per_mw_day)
    exit_day = first_run_end(bad, d.patience_days, start, length) if table.n else grey_day
    end_of = np.append(mk.day_start_h[1:], np.inf)  # end of each day, inf for "never" (D)
    moves = [(end_of[grey_day], S.WENT_GREY, grey_day < exit_day)]
    moves.append((end_of[exit_day] + d.delay_h, S.MOVED_ABROAD, exit_day < D))
    out = [
        (float(t[i]), int(i), state)
        for t, state, ok in moves
        for i in np.flatnonzero(ok & (t < clock.horizon_h))
    ]
    return sorted(out)
