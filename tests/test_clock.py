"""The department's clock: a skip moves time only when nothing else is due by then."""

from __future__ import annotations

import pytest

from sim.model.clock import Clock


def test_a_skip_moves_the_clock_when_nothing_is_due() -> None:
    env = Clock(480.0)
    env.timeout(100)  # due at 580
    assert env.skip(50.0) and env.now == 530.0
    assert not env.skip(50.0) and env.now == 530.0  # due exactly then: it goes first, so no skip
    assert not env.skip(60.0) and env.now == 530.0


def test_the_skipped_time_is_the_sum_a_timeout_would_reach() -> None:
    """now + delay, the float SimPy's own timeout fires at, not the target the delay was computed from."""
    env, timed = Clock(0.1), Clock(0.1)
    target = 0.7
    env.skip(target - env.now)
    timed.run(until=timed.timeout(target - timed.now))
    assert env.now == timed.now == 0.1 + (0.7 - 0.1)


def test_without_lookahead_nothing_is_skipped() -> None:
    env = Clock(0.0, lookahead=False)
    assert not env.skip(10.0) and env.now == 0.0


def test_a_negative_delay_is_refused_as_simpy_refuses_it() -> None:
    with pytest.raises(ValueError):
        Clock(10.0).skip(-1.0)


@pytest.mark.parametrize("name", ["baseline", "slow_queries", "department"])
def test_a_finished_replication_leaves_nothing_for_the_cyclic_collector(name: str) -> None:
    """Its clock, processes and queues are freed by reference counting as soon as its records are dropped."""
    import gc

    import sim
    from sim.model.department import Department

    department = Department(sim.load_scenario(name))
    for _ in department.replications(7, [0]):  # first calls (imports, caches) are not the replication's
        pass
    gc.collect()
    was_on = gc.isenabled()
    gc.disable()
    try:
        for _ in department.replications(7, [1, 2]):
            pass
        assert gc.collect() == 0
    finally:
        if was_on:
            gc.enable()
