"""The enforcement agency: inspection teams working through a campaign.

Teams are a resource, as the repair crew of SimPy's machine-shop example
(:class:`Teams`: :class:`simpy.Resource`'s events, without its generality):
the campaign asks for a free team, picks the next site by the targeting
policy, and starts the inspection: a timeout whose callback applies the
outcome and gives the team back. The campaign's loop runs as callbacks of
those events, leaving out the events that change nothing (see :meth:`Agency.look`).

The campaign starts at its window's start (scripted) or at a signal from the
grid plus a delay (``trigger``, read from :class:`~sim.model.signals.GridSignals`);
it may escalate (more teams, faster inspections) and may deter grey sites, a
share of which stop and leave once it starts (``gone_dark``).
"""

from __future__ import annotations

import heapq
import math

import numpy as np
import pandas as pd
import simpy

from sim.model import network
from sim.model.clock import Clock
from sim.model.mining import Facilities
from sim.model.signals import GridSignals
from sim.scenario.schema import Duration, Enforcement, Scenario
from sim.vocab import FacilityState as S
from sim.vocab import LegalStatus

HOURS_PER_DAY = 24.0
#: When no operating site is left to inspect, a free team looks again after this
#: many hours (h): once a day, as new sites connect at most that often to matter.
REPOLL_H = 24.0


def gamma_hours(d: Duration, rng: np.random.Generator, size: int | None = None) -> float | np.ndarray:
    """A duration in hours (or ``size`` of them) with mean ``mean_days`` and
    coefficient of variation ``cv``."""
    mean_h = d.mean_days * HOURS_PER_DAY
    if d.cv == 0:
        return mean_h if size is None else np.full(size, mean_h)
    shape = 1.0 / d.cv**2
    if size is None:
        return float(rng.gamma(shape, mean_h / shape))
    return rng.gamma(shape, mean_h / shape, size)


def gamma_draw(d: Duration) -> tuple[float, float, float]:
    """``(mean_h, shape, scale)`` of :func:`gamma_hours` for ``d`` (shape 0: fixed),
    worked out once for a duration drawn many times."""
    mean_h = d.mean_days * HOURS_PER_DAY
    if d.cv == 0:
        return mean_h, 0.0, 0.0
    shape = 1.0 / d.cv**2
    return mean_h, shape, mean_h / shape


def campaign_start_h(spec: Enforcement, clock: Clock, signals: GridSignals | None) -> float:
    """Hours from the start at which the campaign starts: the window's start, or the
    trigger's signal plus its delay but not before the window's start; inf if the
    signal never comes, nan if there is neither window nor trigger."""
    floor = -math.inf if spec.campaign is None else clock.hours(spec.campaign.start)
    trig = spec.trigger
    if trig is None or trig.after == "date":
        delay = 0.0 if trig is None else trig.delay_days * HOURS_PER_DAY
        return math.nan if spec.campaign is None else floor + delay
    if signals is None:
        raise ValueError(f"a campaign triggered by {trig.after} needs the replication's grid signals")
    return max(signals.time_of(trig.after) + trig.delay_days * HOURS_PER_DAY, floor)


def scripted_start(sc: Scenario) -> pd.Timestamp | None:
    """When the scenario's campaign starts under its scripted orders (local,
    time-zone aware), or None if it never starts or waits for a signal that
    only a replication knows (the first shedding, or any order of the day-ahead rule)."""
    e = sc.enforcement
    per_replication = e.trigger is not None and (
        e.trigger.after == "first_shedding" or (e.trigger.after != "date" and sc.operator.rule is not None)
    )
    if not e.enabled or per_replication:
        return None
    clock = Clock(sc.start, sc.timezone, sc.step_h, sc.n_steps)
    allowed, _ = network.limit_factors(sc, clock)
    hours = campaign_start_h(e, clock, GridSignals.scripted(allowed, clock))
    if not math.isfinite(hours):
        return None
    return pd.Timestamp(sc.start).tz_localize(sc.timezone) + pd.Timedelta(hours=hours)


class Teams:
    """A pool of ``capacity`` teams that schedules the very events a
    :class:`simpy.Resource` of that capacity schedules, in the same order and
    with the same priorities (so a run is the same event for event), at a
    fraction of the cost: a request is an event that succeeds when a team is
    free, first come first served; a release is an event that, once
    processed, hands the freed team to the first waiting request. (A
    Resource's release succeeds at once and its requests' own callbacks
    have nothing to do, as no release ever waits.)"""

    def __init__(self, env: simpy.Environment, capacity: int) -> None:
        self.env = env
        self.capacity = capacity
        self.users: list[simpy.Event] = []
        self.queue: list[simpy.Event] = []

    def request(self) -> simpy.Event:
        """An event that succeeds when a team is free for it."""
        req = simpy.Event(self.env)
        self.queue.append(req)
        self._grant(None)
        return req

    def release(self, req: simpy.Event) -> simpy.Event:
        """Give back the team of ``req`` (an event, processed as a Resource's is)."""
        if req in self.users:
            self.users.remove(req)
        done = simpy.Event(self.env)
        done.callbacks.append(self._grant)
        done.succeed()
        return done

    def take(self) -> simpy.Event | None:
        """A request granted now without its event, if a team is free and no
        request waits (else None): what :meth:`request` gives when it is
        granted at once, for a caller that would go on when that event is
        processed and knows that no other event is due before."""
        if self.queue or len(self.users) >= self.capacity:
            return None
        req = simpy.Event(self.env)
        self.users.append(req)
        return req

    def hand_over(self, req: simpy.Event) -> simpy.Event | None:
        """Give back the team of ``req`` without a release event and grant it to
        the first waiting request without that request's event: returns that
        request (None if none waits; its holder goes on at once). What
        :meth:`release` comes to when no other event is due at this instant
        and the caller schedules nothing more in this step (the caller checks)."""
        if req in self.users:
            self.users.remove(req)
        if self.queue and len(self.users) < self.capacity:
            nxt = self.queue.pop(0)
            self.users.append(nxt)
            return nxt
        return None

    def _grant(self, _: simpy.Event | None) -> None:
        # As Resource: only the first waiting request is looked at.
        if self.queue and len(self.users) < self.capacity:
            req = self.queue.pop(0)
            self.users.append(req)
            req.succeed()


class Agency:
    """Inspects facilities during the campaign and decides their fate."""

    def __init__(
        self,
        env: simpy.Environment,
        spec: Enforcement,
        clock: Clock,
        facilities: Facilities,
        rng: np.random.Generator,
        signals: GridSignals | None = None,
        deterrence_rng: np.random.Generator | None = None,
    ) -> None:
        self.env = env
        self.spec = spec
        self.facilities = facilities
        self.rng = rng
        self.start_h = campaign_start_h(spec, clock, signals)
        end = clock.horizon_h if spec.campaign is None else clock.hours(spec.campaign.end)
        self.end_h = min(end, clock.horizon_h)
        esc = spec.escalation
        self.extra_teams = 0 if esc is None else esc.extra_teams
        self.escalation_h = math.inf if esc is None else self.start_h + esc.after_days * HOURS_PER_DAY
        self.inspection_factor = 1.0 if esc is None else esc.inspection_factor
        self.inspection = gamma_draw(spec.inspection)
        self.teams = Teams(env, spec.teams + self.extra_teams)
        t = facilities.table
        self.statuses = frozenset(spec.targeting.statuses)
        # Deterrence draws one uniform and one delay per facility, used or not, so
        # that scenarios that differ elsewhere see the same draws.
        self.deter_u = self.deter_delay_h = None
        if spec.deterrence is not None:
            assert deterrence_rng is not None, "deterrence needs its random stream"
            self.deter_u = deterrence_rng.random(t.n)
            self.deter_delay_h = gamma_hours(spec.deterrence.delay, deterrence_rng, t.n)
        pol = spec.targeting
        # Exponential race: the candidate with the smallest key is picked, which
        # draws sites with probability proportional to their weight, without
        # replacement. A site gets its key when it first becomes a candidate, as
        # the last picked key plus Exp(1) / weight: by memorylessness every
        # waiting site then has the same chance per unit of weight, whenever it
        # connected. Weights depend on the site's legal status when it is keyed.
        self.size_weight = t.capacity_mw**pol.size_exponent if pol.policy == "anomaly" else np.ones(t.n)
        self.tipoffs = pol.policy == "tipoffs"
        self.largest_first = pol.policy == "largest_first"
        self.keyed = np.zeros(t.n, dtype=bool)
        self.last_key = 0.0
        self.heap: list[tuple[float, int]] = []
        self.seen = 0  # arrivals already keyed

    def status(self, i: int) -> str:
        """Legal status of facility ``i`` now."""
        return LegalStatus.LICENSED if self.facilities.licensed[i] else LegalStatus.GREY

    def start(self) -> list:
        """The campaign's processes, in their fixed order: reserve (teams that join
        at the escalation), campaign, deterrence."""
        procs = []
        if self.extra_teams:
            procs.append(self.env.process(self.reserve()))
        procs.append(self.env.process(self.campaign()))
        if self.spec.deterrence is not None:
            procs.append(self.env.process(self.deterrence()))
        return procs

    def pick(self) -> int | None:
        """The next site by the targeting policy among those operating and not yet
        inspected, or None."""
        f = self.facilities
        if self.seen < len(f.arrivals):
            new = sorted(
                {
                    i
                    for i in f.arrivals[self.seen :]
                    if self.status(i) in self.statuses
                    and not self.keyed[i]
                    and f.operating[i]
                    and not f.inspected[i]
                }
            )
            self.seen = len(f.arrivals)
            if new:
                idx = np.array(new)
                if self.largest_first:
                    keys = -f.table.capacity_mw[idx]
                else:
                    weight = self.size_weight[idx]
                    if self.tipoffs:
                        weight = np.where(f.licensed[idx], 1.0, self.spec.targeting.tipoff_weight)
                    keys = self.last_key + self.rng.standard_exponential(idx.size) / weight
                self.keyed[idx] = True
                for k, i in zip(keys.tolist(), new, strict=True):
                    heapq.heappush(self.heap, (k, i))
        # A site that stopped waiting (inspected, exited) never waits again.
        while self.heap:
            k, i = heapq.heappop(self.heap)
            if f.operating[i] and not f.inspected[i]:
                self.last_key = max(self.last_key, k)
                return i
        return None

    def reserve(self):
        """Process: hold the extra teams until the escalation, then let them work."""
        held = [self.teams.request() for _ in range(self.extra_teams)]
        yield self.env.all_of(held)
        if self.escalation_h >= self.end_h:
            return
        yield self.env.timeout(max(self.escalation_h - self.env.now, 0.0))
        for req in held:
            self.teams.release(req)

    def campaign(self):
        """Process: wait for the campaign's start, then keep every team busy to
        its end (:meth:`look`)."""
        if not self.start_h < self.end_h:  # the signal never came, or too late
            return
        yield self.env.timeout(max(self.start_h - self.env.now, 0.0))
        self.look()

    # The campaign's loop runs as callbacks, the steps a process would take at
    # the same events: ask for a team (:meth:`look`), pick a site when it is
    # granted and start the inspection (:meth:`use`), or, with no site, look
    # again a day later (:meth:`look_again`). Only the campaign asks for teams
    # after the start (the reserve's are granted at once at time 0), and it
    # waits for at most one: so a release finds a request waiting only if the
    # campaign's is; without one it does nothing, and when no other event is
    # due at the instant a grant would be processed next. Such events (a
    # release that grants nothing, a grant with nothing due before it) are
    # left out: every other event keeps its place.

    def look(self) -> None:
        """Ask for teams and start inspections until none is free or the campaign ends."""
        env, teams = self.env, self.teams
        while env.now < self.end_h:
            req = teams.take() if env.peek() > env.now else None
            if req is None:
                teams.request().callbacks.append(self.granted)
                return
            if not self.use(req):
                return

    def granted(self, req: simpy.Event) -> None:
        """Callback of a request of the campaign's when it is granted."""
        if self.use(req):
            self.look()

    def use(self, req: simpy.Event) -> bool:
        """The team of ``req`` is granted: inspect the next site (True), or give
        it back (False) when the campaign is over or finds no site, then look
        again a day later."""
        env = self.env
        if env.now >= self.end_h:
            self.give_back(req)
            return False
        site = self.pick()
        if site is None:
            # Nothing to inspect now: look again later (new sites may connect).
            self.give_back(req)
            env.timeout(min(REPOLL_H, self.end_h - env.now)).callbacks.append(self.look_again)
            return False
        self.facilities.inspected[site] = True
        self.inspect(site, req)
        return True

    def look_again(self, _: simpy.Event) -> None:
        """A day after a look that found nothing: look again, or skip the look
        that would find nothing. A look asks for a team (granted at once: the
        campaign holds none), picks a site when that is processed, and gives
        the team back when there is none; while no site has arrived since the
        last pick and no other event is due at this instant (so none can arrive
        before the grant is processed), it changes nothing: wait a day more."""
        env, f = self.env, self.facilities
        if env.now < self.end_h and self.seen == len(f.arrivals) and not self.heap and env.peek() > env.now:
            env.timeout(min(REPOLL_H, self.end_h - env.now)).callbacks.append(self.look_again)
        else:
            self.look()

    def give_back(self, req: simpy.Event) -> None:
        """Give back the team of ``req``: with its release event only if the
        campaign's request waits for a team (then the event grants it)."""
        if self.teams.queue:
            self.teams.release(req)
        elif req in self.teams.users:
            self.teams.users.remove(req)

    def inspect(self, site: int, req: simpy.Event) -> None:
        """One team starts inspecting one site: the outcome (:meth:`conclude`) is
        the callback of the inspection's timeout, not a process of its own. The
        same steps in the same order as a process started here would take (its
        first step would run next, before any other event of the instant), with
        two events fewer per inspection."""
        f = self.facilities
        f.set_state(site, S.INSPECTED)
        mean_h, shape, scale = self.inspection  # as gamma_hours(spec.inspection, rng)
        hours = float(self.rng.gamma(shape, scale)) if shape else mean_h
        env = self.env
        done = env.timeout(hours * (self.inspection_factor if env.now >= self.escalation_h else 1.0))
        done.callbacks.append(lambda _: self.conclude(site, req))

    def conclude(self, site: int, req: simpy.Event) -> None:
        """The inspection of ``site`` ends: its outcome is applied and the team released."""
        f, spec, rng = self.facilities, self.spec, self.rng
        licensed = bool(f.licensed[site])
        out = spec.outcomes_licensed if licensed else spec.outcomes_grey
        u = rng.random()
        if f.state[site] != S.INSPECTED:  # left meanwhile (exodus)
            self.give_back(req)
            return
        if u < out.compliant:
            f.set_state(site, S.COMPLIANT)
        elif u < out.compliant + out.closed_voluntarily:
            f.set_state(site, S.CLOSED_VOLUNTARILY)
        else:
            seized = rng.random() < spec.seizure_probability
            case = rng.random() < spec.criminal_case_probability
            devices = int(f.table.devices[site]) if seized else 0
            f.set_state(site, S.DISCONNECTED_BY_FORCE, count=devices, flag=int(case))
            if not seized and rng.random() < spec.reconnection_probability:
                self.env.process(f.reconnect(site, gamma_hours(spec.reconnection_delay, rng)))
        if self.env.peek() > self.env.now:  # nothing else due now: the grant goes on at once
            waiting = self.teams.hand_over(req)
            if waiting is not None and self.use(waiting):
                self.look()
        else:
            self.give_back(req)

    def deterrence(self):
        """Process: at the campaign's start, each grey site on the grid and not under
        inspection leaves with its chance (by size), after its delay."""
        d, f = self.spec.deterrence, self.facilities
        assert d is not None and self.deter_u is not None and self.deter_delay_h is not None
        if not self.start_h < self.end_h:
            return
        yield self.env.timeout(max(self.start_h - self.env.now, 0.0))
        cap = f.table.capacity_mw
        chance = np.minimum(d.probability * (cap / d.reference_mw) ** d.size_exponent, 1.0)
        grey_now = np.array([f.on_grid(i) and not f.licensed[i] for i in range(f.table.n)], dtype=bool)
        who = np.flatnonzero(grey_now & (self.deter_u < chance))
        when = self.env.now + self.deter_delay_h[who]
        plan = [(float(when[j]), int(i), S.GONE_DARK) for j, i in enumerate(who)]
        yield from f.follow(sorted(plan))
