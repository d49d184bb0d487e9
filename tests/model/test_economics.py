"""Miners as economic actors: hashprice, margins, moves abroad and licensed sites
going grey, on small constructed scenarios with known answers.

Scenarios start at local midnight, so day ``d`` covers hours ``[24 d, 24 (d + 1))``;
a decision taken "at the end of day d" is at hour ``24 (d + 1)``.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import Z99, binomial_ok
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.balance import dispatch, facility_load
from sim.model.economics import first_run_end, hashprice, spans
from sim.model.replication import prepare, simulate
from sim.results.metrics import evaluate
from sim.scenario.schema import Scenario

#: One S9-class device, 98 J/TH (sources M26): 1e6 / (98 x 1.07) TH/s per MW.
S9 = [{"name": "S9", "kw": 1.35, "share": 1.0, "j_per_th": 98.0}]
#: January 2022 at $40,000 and a difficulty of 25 T: about $0.20 per TH/s per day,
#: $1,920 per MW-day for an S9 site, above a power bill of $1,200 at 5 US cents.
GOOD = [{"month": "2022-01", "btc_usd": 40_000, "difficulty_t": 25}]
#: The same at $1,000 a bitcoin: revenue about $48 per MW-day, a loss.
BAD = [{"month": "2022-01", "btc_usd": 1_000, "difficulty_t": 25}]
FIVE_CENTS = {"low_usd_per_kwh": 0.05, "high_usd_per_kwh": 0.05}


def scenario(populations, economics=None, orders=(), enforcement=None, target=None, end="2022-02-01"):
    data = {
        "name": "econ",
        "start": "2022-01-01",
        "end": end,
        "zones": {"A": {"demand": {"peak_mw": 100}}},
        # Ample generation that never fails: nothing is shed or curtailed.
        "generation": {"units": [{"name": "big", "zone": "A", "capacity_mw": 10_000, "mttf_h": 1e9}]},
        "mining": {"populations": populations, "hardware": S9},
        "operator": {"orders": list(orders)},
    }
    if economics is not None:
        data["mining"]["economics"] = {
            "enabled": True,
            "tariff_licensed": FIVE_CENTS,
            "tariff_grey": FIVE_CENTS,
            **economics,
        }
    if enforcement is not None:
        data["enforcement"] = {"enabled": True, **enforcement}
    if target is not None:
        data["target"] = target
    return Scenario.model_validate(data)


def moves(sc, rep=0, kind="moved_abroad"):
    raw = simulate(prepare(sc), rep)
    ev = raw.events
    sel = ev["event"] == kind
    return raw, ev["entity"][sel], ev["t_h"][sel]


FIXED = {"patience": {"mean_days": 3, "cv": 0}, "delay": {"mean_days": 2, "cv": 0}}


def test_hashprice_follows_price_and_difficulty():
    # Sources M30: a difficulty of 24 T and $40,000 give about $0.21 per TH/s per day.
    assert hashprice(40_000, 24, 6.25) == pytest.approx(86_400 / (24 * 2**32) * 6.25 * 40_000)
    assert hashprice(40_000, 24, 6.25) == pytest.approx(0.2095, abs=1e-4)
    assert hashprice(40_000, 24, 6.25, fees_share=0.1) == pytest.approx(1.1 * hashprice(40_000, 24, 6.25))


def test_first_run_end_finds_the_first_day_a_condition_has_held_long_enough():
    mask = np.array(
        [
            [0, 1, 1, 0, 1, 1, 1, 0],
            [1, 1, 1, 1, 1, 1, 1, 1],
            [0, 0, 0, 0, 0, 0, 0, 0],
        ],
        dtype=bool,
    )
    assert first_run_end(mask, 3).tolist() == [6, 2, 8]
    assert first_run_end(mask, np.array([2, 8, 1])).tolist() == [2, 7, 8]


@settings(max_examples=60, deadline=None)
@given(
    lengths=st.lists(st.integers(1, 6), min_size=1, max_size=12),
    rows=st.lists(st.lists(st.booleans(), min_size=12, max_size=12), min_size=1, max_size=5),
    need=st.integers(1, 15),
)
def test_first_run_end_over_runs_of_days_gives_the_days_of_the_daily_mask(lengths, rows, need):
    """Margins are computed per run of unchanged days: the answer must be the day
    found on the mask expanded to every day."""
    length = np.array(lengths)
    start = np.r_[0, np.cumsum(length)[:-1]]
    mask = np.array([r[: len(lengths)] for r in rows], dtype=bool)
    daily = np.repeat(mask, length, axis=1)
    assert first_run_end(mask, need, start, length).tolist() == first_run_end(daily, need).tolist()
    cut_start, cut_len = spans(np.array([3, 0, 3, 7, 99]), 10)
    assert cut_start.tolist() == [0, 3, 7] and cut_len.tolist() == [3, 4, 3]


def test_a_facility_with_a_negative_margin_leaves_after_its_patience_and_delay():
    sc = scenario([{"zone": "A", "legal_status": "licensed", "count": 5}], {"market": BAD, "leaving": FIXED})
    raw, who, when = moves(sc)
    assert sorted(who.tolist()) == [0, 1, 2, 3, 4]
    # Bad from day 0: three bad days end at hour 72, then two days to leave.
    assert (when == 72 + 48).all()
    _, licensed = facility_load(prepare(sc), raw)
    assert licensed[0, 119] == pytest.approx(raw.facilities.load_mw.sum())
    assert licensed[0, 120] == 0


def test_a_facility_with_a_positive_margin_stays():
    sc = scenario([{"zone": "A", "legal_status": "licensed", "count": 5}], {"market": GOOD, "leaving": FIXED})
    assert moves(sc)[1].size == 0


def test_a_cutoff_longer_than_a_facilitys_patience_makes_it_leave_through_its_fixed_costs():
    cutoff = {"name": "cut-off", "start": "2022-01-03", "end": "2022-01-07", "licensed_limit": 0.0}
    pops = [{"zone": "A", "legal_status": "licensed", "count": 3}]
    eco = {"market": GOOD, "fixed_usd_per_mw_day": 100, "leaving": FIXED}
    _, who, when = moves(scenario(pops, eco, [cutoff]))
    # Days 2, 3, 4 (of the four cut off) are bad: decided at hour 120, gone at 168.
    assert who.size == 3 and (when == 120 + 48).all()
    patient = {**eco, "leaving": {**FIXED, "patience": {"mean_days": 5, "cv": 0}}}
    assert moves(scenario(pops, patient, [cutoff]))[1].size == 0
    # Grey sites run whenever on the grid: the order does not touch them.
    grey = [{"zone": "A", "legal_status": "grey", "count": 3}]
    assert moves(scenario(grey, eco, [cutoff]))[1].size == 0


def test_a_site_connecting_later_counts_bad_days_from_its_first_whole_day():
    pops = [
        {
            "zone": "A",
            "legal_status": "licensed",
            "count": 4,
            "connect": {"start": "2022-01-05T01:00", "end": "2022-01-05T23:00"},
        }
    ]
    _, who, when = moves(scenario(pops, {"market": BAD, "leaving": FIXED}))
    # First whole day on the grid: day 5 (from hour 120); bad days 5, 6, 7.
    assert who.size == 4 and (when == 24 * 8 + 48).all()


def test_a_licensed_miner_limited_long_enough_goes_grey_with_its_probability():
    rationing = {"name": "rationing", "start": "2022-01-01", "licensed_limit": 0.5}
    n, p = 400, 0.3
    pops = [{"zone": "A", "legal_status": "licensed", "count": n}]
    eco = {"market": GOOD, "going_grey": {"probability": p, "after_days": 5}}
    sc = scenario(pops, eco, [rationing])
    raw, who, when = moves(sc, kind="went_grey")
    assert binomial_ok(who.size, n, p, Z99)
    assert (when == 24 * 5).all()
    # Their load moves from the licensed pool (curtailable, at half) to the grey pool (firm).
    static = prepare(sc)
    bal = dispatch(static, raw)
    went = raw.facilities.load_mw[who].sum()
    total = raw.facilities.load_mw.sum()
    assert bal.grey[0, 119] == 0 and bal.grey[0, 120] == pytest.approx(went)
    assert bal.licensed[0, 120] == pytest.approx(total - went)
    assert bal.allowed[0, 120] == pytest.approx(0.5 * (total - went))
    # Limited for fewer days than after_days: none goes grey.
    short = {**rationing, "end": "2022-01-05"}
    assert moves(scenario(pops, eco, [short]), kind="went_grey")[1].size == 0


def test_licensed_miners_gone_abroad_are_counted_as_exits_and_as_the_share_that_left():
    pops = [
        {"zone": "A", "legal_status": "licensed", "count": 4},
        {"zone": "A", "legal_status": "grey", "count": 6},
    ]
    # Grey sites pay nothing for power here: only the licensed ones lose money.
    eco = {"market": BAD, "leaving": FIXED, "tariff_grey": {"low_usd_per_kwh": 0, "high_usd_per_kwh": 0}}
    sc = scenario(pops, eco, target={"relief_mw": 10, "by": "2022-01-10"})
    static = prepare(sc)
    raw = simulate(static, 0)
    s = evaluate(static, raw).summary
    lic = raw.facilities.licensed
    assert s["moved_abroad"] == 4 and s["exits"] == 4
    assert s["licensed_left_share"] == 1.0 and s["licensed_left_share_mw"] == 1.0
    assert s["relief_exit_mw"] == pytest.approx(raw.facilities.load_mw[lic].sum())


def test_economic_draws_do_not_depend_on_the_crackdown():
    from sim.experiments.compare import without_crackdown

    pops = [
        {"zone": "A", "legal_status": "licensed", "count": 30},
        {"zone": "A", "legal_status": "grey", "count": 30},
    ]
    eco = {"market": BAD, "leaving": {"patience": {"mean_days": 8}, "delay": {"mean_days": 3}}}
    enf = {"campaign": {"start": "2022-01-20", "end": "2022-02-01"}, "deterrence": {"probability": 0.5}}
    sc = scenario(pops, eco, enforcement=enf)
    for rep in range(3):
        a = moves(sc, rep)
        b = moves(without_crackdown(sc), rep)
        before = a[2] < 19 * 24
        assert before.any()
        assert a[1][before].tolist() == b[1][b[2] < 19 * 24].tolist()
