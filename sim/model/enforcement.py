"""The enforcement agency: inspection teams working through a campaign.

Teams are a :class:`simpy.Resource`, as the repair crew of SimPy's machine-shop
example: the campaign process asks for a free team, picks the next site by the
targeting policy, and hands team and site to an inspection process that
releases the team when the inspection ends.
"""

from __future__ import annotations

import heapq

import numpy as np
import simpy

from sim.model.clock import Clock
from sim.model.mining import Facilities
from sim.scenario.schema import Duration, Enforcement
from sim.vocab import FacilityState as S
from sim.vocab import LegalStatus

HOURS_PER_DAY = 24.0
#: When no operating site is left to inspect, a free team looks again after this
#: many hours (h): once a day, as new sites connect at most that often to matter.
REPOLL_H = 24.0


def gamma_hours(d: Duration, rng: np.random.Generator) -> float:
    """A duration in hours with mean ``mean_days`` and coefficient of variation ``cv``."""
    mean_h = d.mean_days * HOURS_PER_DAY
    if d.cv == 0:
        return mean_h
    shape = 1.0 / d.cv**2
    return float(rng.gamma(shape, mean_h / shape))


class Agency:
    """Inspects facilities during the campaign window and decides their fate."""

    def __init__(
        self,
        env: simpy.Environment,
        spec: Enforcement,
        clock: Clock,
        facilities: Facilities,
        rng: np.random.Generator,
    ) -> None:
        self.env = env
        self.spec = spec
        self.facilities = facilities
        self.rng = rng
        self.teams = simpy.Resource(env, capacity=spec.teams)
        assert spec.campaign is not None
        self.start_h = clock.hours(spec.campaign.start)
        self.end_h = min(clock.hours(spec.campaign.end), clock.horizon_h)
        t = facilities.table
        statuses = spec.targeting.statuses
        self.eligible = np.where(t.licensed, LegalStatus.LICENSED in statuses, LegalStatus.GREY in statuses)
        pol = spec.targeting
        if pol.policy == "anomaly":
            weight = t.capacity_mw**pol.size_exponent
        elif pol.policy == "tipoffs":
            weight = np.where(t.licensed, 1.0, pol.tipoff_weight)
        else:
            weight = np.ones(t.n)
        # Exponential race: the candidate with the smallest key is picked, which
        # draws sites with probability proportional to their weight, without
        # replacement. A site gets its key when it first becomes a candidate, as
        # the last picked key plus Exp(1) / weight: by memorylessness every
        # waiting site then has the same chance per unit of weight, whenever it
        # connected.
        self.weight = weight
        self.largest_first = pol.policy == "largest_first"
        self.keyed = np.zeros(t.n, dtype=bool)
        self.last_key = 0.0
        self.heap: list[tuple[float, int]] = []
        self.seen = 0  # arrivals already keyed

    def pick(self) -> int | None:
        """The next site by the targeting policy among those operating and not yet
        inspected, or None."""
        f = self.facilities
        if self.seen < len(f.arrivals):
            new = sorted(
                {
                    i
                    for i in f.arrivals[self.seen :]
                    if self.eligible[i] and not self.keyed[i] and f.operating[i] and not f.inspected[i]
                }
            )
            self.seen = len(f.arrivals)
            if new:
                idx = np.array(new)
                if self.largest_first:
                    keys = -f.table.capacity_mw[idx]
                else:
                    keys = self.last_key + self.rng.standard_exponential(idx.size) / self.weight[idx]
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

    def campaign(self):
        """Process: keep every team busy from the campaign's start to its end."""
        yield self.env.timeout(max(self.start_h - self.env.now, 0.0))
        while self.env.now < self.end_h:
            req = self.teams.request()
            yield req
            if self.env.now >= self.end_h:
                self.teams.release(req)
                break
            site = self.pick()
            if site is None:
                # Nothing to inspect now: look again later (new sites may connect).
                self.teams.release(req)
                yield self.env.timeout(min(REPOLL_H, self.end_h - self.env.now))
                continue
            self.facilities.inspected[site] = True
            self.env.process(self.inspect(site, req))

    def inspect(self, site: int, req: simpy.resources.resource.Request):
        """Process: one team inspects one site, then the outcome is applied."""
        f, spec, rng = self.facilities, self.spec, self.rng
        f.set_state(site, S.INSPECTED)
        yield self.env.timeout(gamma_hours(spec.inspection, rng))
        licensed = bool(f.table.licensed[site])
        out = spec.outcomes_licensed if licensed else spec.outcomes_grey
        u = rng.random()
        if f.state[site] != S.INSPECTED:  # left meanwhile (exodus)
            self.teams.release(req)
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
        self.teams.release(req)
