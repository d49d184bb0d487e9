"""The enforcement agency: teams as a resource, the campaign window, targeting,
inspection durations and outcomes against their probabilities.

Inspections are reconstructed from the event log: a team is busy from a site's
``inspected`` event to its outcome (``compliant``, ``closed_voluntarily``,
``disconnected_by_force``).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import simpy
from conftest import Z99, binomial_ok
from scipy import stats

from sim.model.clock import Clock
from sim.model.enforcement import Agency, Teams, gamma_hours
from sim.model.mining import Facilities, FacilityTable
from sim.model.recorder import Recorder
from sim.model.replication import prepare, simulate
from sim.scenario.schema import Duration, Enforcement, Scenario

OUTCOMES = ("compliant", "closed_voluntarily", "disconnected_by_force")


def scenario(populations, enforcement, end="2022-02-01", **extra):
    return Scenario.model_validate(
        {
            "name": "enf",
            "start": "2022-01-01",
            "end": end,
            "zones": {"A": {"demand": {"peak_mw": 100}}},
            "mining": {"populations": populations},
            "enforcement": {"enabled": True, **enforcement},
            **extra,
        }
    )


def events(static, rep):
    raw = simulate(static, rep)
    ev = pd.DataFrame(raw.events)
    return raw, ev


def inspections(ev, horizon_h):
    """One row per inspection: site, start, end (outcome time, or the horizon), outcome."""
    starts = ev[ev["event"] == "inspected"][["entity", "t_h"]].rename(columns={"t_h": "start"})
    ends = ev[ev["event"].isin(OUTCOMES)][["entity", "t_h", "event"]].rename(columns={"t_h": "end"})
    assert not starts["entity"].duplicated().any(), "a site is inspected once"
    out = starts.merge(ends, on="entity", how="left")
    out["end"] = out["end"].fillna(horizon_h)
    return out


def max_busy(ins):
    """Most inspections in progress at once (an end frees a team before a start at
    the same time takes it)."""
    moments = sorted([(e, -1) for e in ins["end"]] + [(s, 1) for s in ins["start"]])
    return max(itertools.accumulate(d for _, d in moments), default=0)


# --------------------------------------------------------------- a large campaign

BIG = scenario(
    [
        {"zone": "A", "legal_status": "grey", "count": 800},
        {"zone": "A", "legal_status": "licensed", "count": 300},
    ],
    {
        "teams": 8,
        "campaign": {"start": "2022-01-03", "end": "2022-02-01"},
        "targeting": {"policy": "random"},
        "inspection": {"mean_days": 0.05, "cv": 0.5},
        "outcomes_grey": {"compliant": 0.2, "closed_voluntarily": 0.3, "disconnected_by_force": 0.5},
        "outcomes_licensed": {"compliant": 0.7, "closed_voluntarily": 0.3},
        "seizure_probability": 0.4,
        "criminal_case_probability": 0.6,
        "reconnection_probability": 0.5,
        "reconnection_delay": {"mean_days": 1.0, "cv": 0.5},
    },
)


@pytest.fixture(scope="module")
def big():
    static = prepare(BIG)
    runs = [events(static, rep) for rep in range(3)]
    return static, runs


def test_every_site_is_inspected_once_when_time_allows(big):
    static, runs = big
    for raw, ev in runs:
        ins = inspections(ev, static.clock.horizon_h)
        assert len(ins) == raw.facilities.n == 1100
        assert ins["event"].notna().all()


def test_inspections_in_progress_never_exceed_the_teams_and_all_teams_work(big):
    static, runs = big
    for _, ev in runs:
        ins = inspections(ev, static.clock.horizon_h)
        assert max_busy(ins) == 8


def test_inspection_durations_have_the_gamma_mean_and_cv(big):
    _, runs = big
    d = np.concatenate(
        [(lambda i: (i["end"] - i["start"]).to_numpy())(inspections(ev, 1e9)) for _, ev in runs]
    )
    mean_h = 0.05 * 24
    assert abs(d.mean() - mean_h) <= Z99 * 0.5 * mean_h / np.sqrt(d.size)
    assert d.std(ddof=1) / d.mean() == pytest.approx(0.5, rel=0.1)
    assert stats.kstest(d, stats.gamma(a=4, scale=mean_h / 4).cdf).pvalue > 0.001


@pytest.mark.parametrize(
    ("licensed", "probs"),
    [(False, (0.2, 0.3, 0.5)), (True, (0.7, 0.3, 0.0))],
    ids=["grey", "licensed"],
)
def test_outcome_frequencies_match_the_probabilities(big, licensed, probs):
    static, runs = big
    counts = dict.fromkeys(OUTCOMES, 0)
    n = 0
    for raw, ev in runs:
        ins = inspections(ev, static.clock.horizon_h)
        mine = ins[raw.facilities.licensed[ins["entity"].to_numpy()] == licensed]
        n += len(mine)
        for k, v in mine["event"].value_counts().items():
            counts[k] += v
    # One multinomial goodness-of-fit test over the possible outcomes.
    possible = [o for o, p in zip(OUTCOMES, probs, strict=True) if p > 0]
    observed = [counts[o] for o in possible]
    expected = [n * p for p in probs if p > 0]
    assert sum(observed) == n and n > 500
    assert stats.chisquare(observed, expected).pvalue > 0.001, counts
    assert all(counts[o] == 0 for o, p in zip(OUTCOMES, probs, strict=True) if p == 0)


def test_forced_disconnections_seize_devices_and_open_cases_with_their_probabilities(big):
    _, runs = big
    seized = cases = n = 0
    for raw, ev in runs:
        forced = ev[ev["event"] == "disconnected_by_force"]
        devices = raw.facilities.devices[forced["entity"].to_numpy()]
        took = forced["count"].to_numpy() > 0
        assert (forced["count"].to_numpy()[took] == devices[took]).all()
        seized += took.sum()
        cases += forced["flag"].sum()
        n += len(forced)
    assert binomial_ok(seized, n, 0.4)
    assert binomial_ok(cases, n, 0.6)


def test_unseized_disconnected_sites_reconnect_with_their_probability_after_the_delay(big):
    static, runs = big
    back = candidates = 0
    delays = []
    for _, ev in runs:
        forced = ev[(ev["event"] == "disconnected_by_force") & (ev["count"] == 0)].set_index("entity")["t_h"]
        rec = ev[ev["event"] == "reconnected"].set_index("entity")["t_h"]
        assert set(rec.index) <= set(forced.index)  # seized sites never come back
        # Sites disconnected 10 days before the end had time to come back (delay ~ 1 day).
        early = forced[forced < static.clock.horizon_h - 240]
        came = early.index.intersection(rec.index)
        candidates += len(early)
        back += len(came)
        delays += list(rec.loc[came] - early.loc[came])
    assert candidates > 200
    assert binomial_ok(back, candidates, 0.5)
    delays = np.array(delays)
    assert abs(delays.mean() - 24) <= Z99 * 12 / np.sqrt(delays.size)


def test_reconnected_sites_draw_their_load_again(big):
    _, runs = big
    for raw, ev in runs:
        rec = ev[ev["event"] == "reconnected"]
        assert (rec["mw"].to_numpy() == raw.facilities.load_mw[rec["entity"].to_numpy()]).all()
        forced = ev[ev["event"] == "disconnected_by_force"]
        assert (forced["mw"].to_numpy() == -raw.facilities.load_mw[forced["entity"].to_numpy()]).all()


# --------------------------------------------------------------- the window


def test_no_inspection_starts_outside_the_campaign_window():
    sc = scenario(
        [{"zone": "A", "legal_status": "grey", "count": 400}],
        {
            "teams": 3,
            "campaign": {"start": "2022-01-10T08:00", "end": "2022-01-12T17:00"},
            "inspection": {"mean_days": 0.5, "cv": 1.0},
        },
    )
    static = prepare(sc)
    start, end = (
        static.clock.hours(sc.enforcement.campaign.start),
        static.clock.hours(sc.enforcement.campaign.end),
    )
    for rep in range(10):
        _, ev = events(static, rep)
        ins = inspections(ev, static.clock.horizon_h)
        assert len(ins) > 3
        assert ins["start"].min() >= start and ins["start"].max() < end
        assert max_busy(ins) == 3
        # The campaign ends before every site is seen; started inspections finish.
        assert len(ins) < 400 and ins["event"].notna().all()


def test_the_example_keeps_its_teams_and_window_in_every_replication(example, example_static):
    camp = example.enforcement.campaign
    clock = example_static.clock
    for rep in range(example.replications):
        _, ev = events(example_static, rep)
        ins = inspections(ev, clock.horizon_h)
        assert max_busy(ins) == example.enforcement.teams, rep
        assert ins["start"].min() >= clock.hours(camp.start), rep
        assert ins["start"].max() < min(clock.hours(camp.end), clock.horizon_h), rep


# ------------------------------------------------------------------- targeting


def agency(capacity, licensed, policy, seed, **targeting):
    env = simpy.Environment()
    n = len(capacity)
    table = FacilityTable(
        zone=np.zeros(n, np.int64),
        licensed=np.asarray(licensed, bool),
        capacity_mw=np.asarray(capacity, float),
        load_mw=np.asarray(capacity, float),
        devices=np.ones(n, np.int64),
        connect_h=np.full(n, -1.0),
    )
    fac = Facilities(env, table, Recorder())
    spec = Enforcement(
        campaign={"start": "2022-01-01", "end": "2022-02-01"}, targeting={"policy": policy, **targeting}
    )
    clock = Clock(pd.Timestamp("2022-01-01").to_pydatetime(), "UTC", 1.0, 744)
    return Agency(env, spec, clock, fac, np.random.default_rng(seed)), fac


def pick_order(capacity, licensed, policy, seed, k, **targeting):
    ag, fac = agency(capacity, licensed, policy, seed, **targeting)
    order = []
    for _ in range(k):
        i = ag.pick()
        order.append(i)
        fac.inspected[i] = True
    return tuple(order)


def test_anomaly_targeting_draws_sites_in_proportion_to_size_without_replacement():
    """P(order i, j, k) = w_i / W x w_j / (W - w_i) with w = size ** exponent."""
    cap = [1.0, 2.0, 3.0]
    w = np.array(cap) ** 1.5
    orders = [pick_order(cap, [False] * 3, "anomaly", s, 3, size_exponent=1.5) for s in range(3000)]
    perms = list(itertools.permutations(range(3)))
    observed = np.array([orders.count(p) for p in perms])
    expected = np.array([w[i] / w.sum() * w[j] / (w.sum() - w[i]) for i, j, _ in perms]) * len(orders)
    assert stats.chisquare(observed, expected).pvalue > 0.001


def test_tipoffs_make_grey_sites_more_likely():
    firsts = [
        pick_order([1, 1, 1, 1], [True, True, False, True], "tipoffs", s, 1, tipoff_weight=3.0)[0]
        for s in range(2000)
    ]
    assert binomial_ok(firsts.count(2), 2000, 3 / 6)


def test_random_targeting_ignores_size():
    firsts = [pick_order([1, 10, 100], [False] * 3, "random", s, 1)[0] for s in range(1500)]
    for i in range(3):
        assert binomial_ok(firsts.count(i), 1500, 1 / 3)


def test_largest_first_inspects_in_decreasing_size():
    sc = scenario(
        [
            {"zone": "A", "legal_status": "grey", "count": 60},
            {"zone": "A", "legal_status": "licensed", "count": 20},
        ],
        {
            "teams": 2,
            "campaign": {"start": "2022-01-02", "end": "2022-02-01"},
            "targeting": {"policy": "largest_first"},
            "inspection": {"mean_days": 0.25},
        },
    )
    static = prepare(sc)
    raw, ev = events(static, 0)
    order = ev[ev["event"] == "inspected"]["entity"].to_numpy()
    assert order.size == 80
    assert (np.diff(raw.facilities.capacity_mw[order]) <= 0).all()


def test_only_the_listed_statuses_are_inspected():
    sc = scenario(
        [
            {"zone": "A", "legal_status": "grey", "count": 30},
            {"zone": "A", "legal_status": "licensed", "count": 30},
        ],
        {
            "teams": 4,
            "campaign": {"start": "2022-01-02", "end": "2022-02-01"},
            "targeting": {"statuses": ["grey"]},
        },
    )
    static = prepare(sc)
    raw, ev = events(static, 0)
    seen = ev[ev["event"] == "inspected"]["entity"].to_numpy()
    assert seen.size == 30 and not raw.facilities.licensed[seen].any()


def test_a_disabled_campaign_inspects_nothing():
    sc = BIG.model_copy(update={"enforcement": BIG.enforcement.model_copy(update={"enabled": False})})
    static = prepare(sc)
    _, ev = events(static, 0)
    assert not ev["event"].isin(("inspected", *OUTCOMES)).any()


def test_a_site_that_connects_late_is_picked_like_the_others():
    """Two sites from the start, a third connects during the first inspection (one
    team): under ``random`` the second pick is either remaining site with chance 1/2."""
    sc = scenario(
        [
            {"zone": "A", "legal_status": "grey", "count": 2},
            {
                "zone": "A",
                "legal_status": "grey",
                "count": 1,
                "connect": {"start": "2022-01-01T00:30", "end": "2022-01-01T01:00"},
            },
        ],
        {
            "teams": 1,
            "campaign": {"start": "2022-01-01", "end": "2022-01-02"},
            "targeting": {"policy": "random"},
            "inspection": {"mean_days": 0.25, "cv": 0},
        },
        end="2022-01-02",
    )
    static = prepare(sc)
    second_is_late = 0
    n = 300
    for rep in range(n):
        _, ev = events(static, rep)
        order = ev[ev["event"] == "inspected"]["entity"].to_numpy()
        second_is_late += order[1] == 2
    assert binomial_ok(second_is_late, n, 0.5)


def test_gamma_durations_are_fixed_with_cv_zero():
    rng = np.random.default_rng(0)
    assert gamma_hours(Duration(mean_days=2, cv=0), rng) == 48.0
    x = np.array([gamma_hours(Duration(mean_days=1, cv=0.25), rng) for _ in range(4000)])
    assert abs(x.mean() - 24) <= Z99 * 6 / np.sqrt(x.size)


def late_arrivals(cv: float) -> Scenario:
    """A campaign that runs out of sites while late ones keep connecting, with
    ties in time when durations are fixed (``cv`` 0)."""
    late = {
        "zone": "A",
        "legal_status": "grey",
        "count": 20,
        "connect": {"start": "2022-01-05", "end": "2022-01-20"},
    }
    return scenario(
        [{"zone": "A", "legal_status": "grey", "count": 60}, late],
        {
            "teams": 3,
            "campaign": {"start": "2022-01-03", "end": "2022-02-01"},
            "escalation": {"after_days": 4, "extra_teams": 2, "inspection_factor": 0.5},
            "inspection": {"mean_days": 0.25, "cv": cv},
            "outcomes_grey": {"compliant": 0.2, "closed_voluntarily": 0.3, "disconnected_by_force": 0.5},
            "reconnection_probability": 0.8,
            "reconnection_delay": {"mean_days": 1.0, "cv": cv},
        },
    )


def same_runs(fast: list, slow: list) -> None:
    """The runs ``fast`` took fewer events than ``slow`` for the same records."""
    for a, b in zip(fast, slow, strict=True):
        assert a.sim_events < b.sim_events
        for col in a.events:
            np.testing.assert_array_equal(a.events[col], b.events[col])


def with_every_event(monkeypatch) -> None:
    """The agency as a process with every event: each grant and release
    through its event, each daily look taken."""
    monkeypatch.setattr(Teams, "take", lambda self: None)

    def hand_over(self, req):
        self.release(req)

    monkeypatch.setattr(Teams, "hand_over", hand_over)
    monkeypatch.setattr(Agency, "give_back", lambda self, req: self.teams.release(req))
    monkeypatch.setattr(Agency, "look_again", lambda self, _: self.look())


@pytest.mark.parametrize("cv", [0.0, 0.5])
def test_the_events_the_agency_leaves_out_change_no_run(monkeypatch, cv):
    """Grants taken at once when nothing else is due, releases that grant
    nothing, looks that would find nothing: left out, the run is the one
    every event gives, event for event, with fixed durations (many ends at
    the same instant) or random ones."""
    static = prepare(late_arrivals(cv))
    used = {"take": 0, "hand_over": 0, "skip": 0}
    take, hand_over, look_again = Teams.take, Teams.hand_over, Agency.look_again

    def counting_take(self):
        req = take(self)
        used["take"] += req is not None
        return req

    def counting_hand_over(self, req):
        nxt = hand_over(self, req)
        used["hand_over"] += nxt is not None
        return nxt

    looks = []
    look = Agency.look

    def counting_look(self):
        looks.append(self.env.now)
        look(self)

    def counting_look_again(self, event):
        before = len(looks)
        look_again(self, event)
        used["skip"] += len(looks) == before

    monkeypatch.setattr(Teams, "take", counting_take)
    monkeypatch.setattr(Teams, "hand_over", counting_hand_over)
    monkeypatch.setattr(Agency, "look", counting_look)
    monkeypatch.setattr(Agency, "look_again", counting_look_again)
    fast = [simulate(static, rep) for rep in range(3)]
    # Every shortcut is taken (with fixed durations, ends fall with other events).
    assert used["take"] > 0 and used["skip"] > 0 and (used["hand_over"] > 0 or cv == 0), used
    with_every_event(monkeypatch)
    same_runs(fast, [simulate(static, rep) for rep in range(3)])
