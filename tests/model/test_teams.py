"""The agency's team pool schedules exactly the events a simpy.Resource does, so
that swapping one for the other changes no run: on random traffic (workers
asking for a team, holding it a while, giving it back; ties in time on
purpose), the order in which requests are granted, the times, the events
scheduled and the order of every process step are the same."""

from __future__ import annotations

import numpy as np
import pytest
import simpy

from sim.model.enforcement import Teams
from sim.model.replication import CountingEnvironment


def traffic(make_pool, seed: int, capacity: int) -> tuple[list, int]:
    """Trace of (time, worker, what) of a random run, and the events scheduled."""
    rng = np.random.default_rng(seed)
    env = CountingEnvironment()
    pool = make_pool(env, capacity)
    trace = []
    # Whole hours only: many requests and releases fall at the same time.
    plans = [(rng.integers(0, 5, 6).tolist(), rng.integers(0, 4, 6).tolist()) for _ in range(8)]

    def worker(w: int, waits: list[int], holds: list[int]):
        for wait, hold in zip(waits, holds, strict=True):
            yield env.timeout(wait)
            req = pool.request()
            trace.append((env.now, w, "ask"))
            yield req
            trace.append((env.now, w, "got"))
            if hold:
                yield env.timeout(hold)
            pool.release(req)
            trace.append((env.now, w, "gave"))

    def reserve():  # as the agency's reserve: hold some teams, then free them
        held = [pool.request() for _ in range(min(2, capacity))]
        yield env.all_of(held)
        trace.append((env.now, -1, "held"))
        yield env.timeout(3)
        for req in held:
            pool.release(req)
        trace.append((env.now, -1, "freed"))

    env.process(reserve())
    for w, (waits, holds) in enumerate(plans):
        env.process(worker(w, waits, holds))
    env.run()
    return trace, env.scheduled


@pytest.mark.parametrize("capacity", [1, 2, 3, 5])
def test_the_team_pool_runs_event_for_event_as_a_simpy_resource(capacity: int) -> None:
    for seed in range(25):
        want = traffic(lambda env, c: simpy.Resource(env, capacity=c), seed, capacity)
        got = traffic(Teams, seed, capacity)
        assert got == want, seed


def test_a_team_pool_never_has_more_users_than_teams() -> None:
    env = simpy.Environment()
    pool = Teams(env, 2)
    reqs = [pool.request() for _ in range(4)]
    assert [r.triggered for r in reqs] == [True, True, False, False]
    pool.release(reqs[0])
    env.run()
    assert [r.triggered for r in reqs] == [True, True, True, False]
    assert len(pool.users) == 2
