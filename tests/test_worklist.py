"""The queue policies, on a hand-made worklist."""

from __future__ import annotations

import simpy

from sim.model.charts import Chart
from sim.model.worklist import Worklist


def chart(i: int, kind: int) -> Chart:
    return Chart(i, kind, float(i), 10.0, False, 0.0, 0.0, 0.0)


def worklist(policy: str) -> Worklist:
    """Type 0 waits with charts 1 and 4, type 1 with 2 and 3; chart 5 of type 1 came back answered."""
    w = Worklist(simpy.Environment(), 2, policy)
    w.stock([chart(1, 0), chart(2, 1), chart(3, 1), chart(4, 0)])
    w.give_back(chart(5, 1))
    return w


def order(w: Worklist, kinds: tuple[int, ...]) -> list[int]:
    take = w.taker(kinds)
    out = []
    while (c := take()) is not None:
        out.append(c.id)
    return out


def test_oldest_first_takes_charts_in_arrival_order() -> None:
    assert order(worklist("oldest_first"), (0, 1)) == [1, 2, 3, 4, 5]


def test_returns_first_takes_answered_queries_before_new_charts() -> None:
    assert order(worklist("returns_first"), (0, 1)) == [5, 1, 2, 3, 4]


def test_type_priority_follows_the_coders_type_order() -> None:
    assert order(worklist("type_priority"), (1, 0)) == [5, 2, 3, 1, 4]


def test_skills_limit_what_a_coder_takes() -> None:
    w = worklist("oldest_first")
    assert order(w, (0,)) == [1, 4]
    assert w.waiting == 3  # the type-1 charts are still there for someone else


def test_new_work_wakes_an_idle_coder_with_the_skill() -> None:
    env = simpy.Environment()
    w = Worklist(env, 2, "oldest_first")
    inpatient_only = w.wait(frozenset({0}), until=100)
    anyone = w.wait(frozenset({0, 1}), until=100)
    w.add(chart(1, 1))  # type 1: only the second coder can code it
    assert anyone.triggered and not inpatient_only.triggered
