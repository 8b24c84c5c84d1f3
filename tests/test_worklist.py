"""The queue policies, on a hand-made worklist."""

from __future__ import annotations

import simpy

from sim.model.charts import Charts
from sim.model.worklist import Worklist

KINDS = [1, 0, 1, 1, 0, 1]  # chart i's type; chart 0 (type 1) is never queued


def charts() -> Charts:
    n = len(KINDS)
    return Charts(KINDS, [float(i) for i in range(n)], [10.0] * n, [False] * n, [0.0] * n, [0.0] * n, [0.0] * n)


def worklist(policy: str) -> Worklist:
    """Type 0 waits with charts 1 and 4, type 1 with 2 and 3; chart 5 of type 1 came back answered."""
    w = Worklist(simpy.Environment(), charts(), 2, policy)
    w.stock([1, 2, 3, 4])
    w.give_back(5)
    return w


def order(w: Worklist, kinds: tuple[int, ...]) -> list[int]:
    take = w.taker(kinds)
    out = []
    while (c := take()) is not None:
        out.append(c)
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
    w = Worklist(env, charts(), 2, "oldest_first")
    inpatient_only = w.wait(frozenset({0}), until=100)
    anyone = w.wait(frozenset({0, 1}), until=100)
    w.add(2)  # type 1: only the second coder can code it
    assert anyone.triggered and not inpatient_only.triggered


def test_charts_arriving_together_wake_the_coders_that_one_by_one_arrivals_would() -> None:
    """``arrive`` (a day's discharges at once) is ``add`` chart by chart: same queues, same coders woken, same order."""
    import random

    rng = random.Random(3)
    for _ in range(200):
        n = rng.randrange(1, 7)
        kinds = [rng.randrange(3) for _ in range(n)]
        made = [Charts(kinds, [0.0] * n, [1.0] * n, [False] * n, [0.0] * n, [0.0] * n, [0.0] * n) for _ in range(2)]
        slots = rng.choice([(0, 1, 2), (0, 0, 1), (0, 0, 0)])
        idle = [frozenset(rng.sample(range(3), rng.randrange(1, 4))) for _ in range(rng.randrange(5))]
        arriving = rng.sample(range(n), rng.randrange(1, n + 1))
        worklists, woken = [], []
        for w in (Worklist(simpy.Environment(), made[0], 3, "oldest_first", slots),
                  Worklist(simpy.Environment(), made[1], 3, "oldest_first", slots)):
            waits = [w.wait(skills, until=100, coder=i) for i, skills in enumerate(idle)]
            worklists.append(w)
            woken.append(waits)
        for chart in arriving:
            worklists[0].add(chart)
        worklists[1].arrive(arriving)
        one, batch = worklists
        assert [list(q) for q in one.new] == [list(q) for q in batch.new]
        assert one.waiting == batch.waiting == len(arriving)
        assert [e.triggered for e in woken[0]] == [e.triggered for e in woken[1]]
        assert [e[2] for e in one._idle] == [e[2] for e in batch._idle]
        # the wake-ups are scheduled in the same order
        assert [woken[0].index(e) for _, _, _, e in one.env._queue if e in woken[0]] == \
            [woken[1].index(e) for _, _, _, e in batch.env._queue if e in woken[1]]


def test_chart_zero_is_taken_like_any_other() -> None:
    """Chart ids are numbers from 0: the first chart of a replication is a chart, not "nothing"."""
    for policy in ("oldest_first", "returns_first", "type_priority"):
        w = Worklist(simpy.Environment(), charts(), 2, policy)
        w.stock([0, 1])
        assert order(w, (0, 1)) == ([0, 1] if policy != "type_priority" else [1, 0])


def test_types_coded_by_the_same_coders_share_a_queue_unless_the_policy_orders_by_type() -> None:
    from sim.model.worklist import queue_slots

    skills = [(0, 1, 2), (0, 1, 2), (2,)]  # types 0 and 1 by the first two coders, type 2 by all three
    assert queue_slots(skills, 3, "oldest_first") == (0, 0, 1)
    assert queue_slots(skills, 3, "returns_first") == (0, 0, 1)
    assert queue_slots(skills, 3, "type_priority") == (0, 1, 2)
    assert queue_slots([(0, 1)], 3, "oldest_first") == (0, 0, 1)  # type 2, coded by nobody, waits apart


def test_shared_queues_take_charts_in_the_same_order_as_a_queue_per_type() -> None:
    """Every policy but type_priority, every coder's types: one shared queue changes no choice."""
    for policy in ("oldest_first", "returns_first"):
        for kinds in ((0, 1), (1, 0)):
            shared = Worklist(simpy.Environment(), charts(), 2, policy, slots=[0, 0])
            shared.stock([1, 2, 3, 4])
            shared.give_back(5)
            assert order(shared, kinds) == order(worklist(policy), kinds)
            assert shared.waiting == 0
