"""The work queues coders pull from: one per chart type, plus answered queries.

New charts wait in their type's queue in order of arrival; a chart whose query
has been answered comes back to a second queue of its type, kept in order of
first arrival (a heap: answers come back in any order). Which chart a coder
takes next is a named policy:

- ``oldest_first``: the chart that arrived earliest, answered or not (charts
  that arrived together in their random queue order: ids follow it);
- ``returns_first``: answered queries before new charts, oldest first;
- ``type_priority``: by the coder's type order, answered before new within a type.

Queues hold chart ids (sim.model.charts: ids follow queue order), so the
heaps and the choice compare plain numbers. Types that the same coders code
share their queues unless the policy orders by type (``slots``): oldest first
over one queue is oldest first over the types' queues, so a coder who codes
every type looks at two queues, not two per type. A coder who finds nothing
waits on the worklist; a new chart of a type the coder may code wakes the
first such coder.

With pre-bill audits, a coded chart sampled for audit waits in ``audits``
(oldest first) for a coder of the audit team other than the one who coded
it; a new audit wakes the first idle auditor (a coder whose skills include
``AUDIT``) who did not code it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from functools import lru_cache
from heapq import heappop, heappush

import simpy

from sim.model.charts import Charts

_NEVER = float("inf")  # an id above every chart's
AUDIT = -1  # the skill of auditors, beside the chart types they code


class Worklist:
    """Charts waiting to be coded, by type; wakes idle coders when work comes."""

    def __init__(
        self, env: simpy.Environment, charts: Charts, n_types: int, policy: str, slots: Sequence[int] | None = None
    ) -> None:
        """``slots[k]`` is the queue type ``k`` waits in (types sharing one: see :func:`queue_slots`); default one each."""
        if policy not in _POLICIES:
            raise KeyError(policy)
        self.env = env
        self.charts = charts
        self.slot = tuple(slots) if slots is not None else tuple(range(n_types))  # no copy of a tuple
        n_queues = max(self.slot, default=-1) + 1
        self.new: list[deque[int]] = [deque() for _ in range(n_queues)]
        self.returned: list[list[int]] = [[] for _ in range(n_queues)]  # heaps of chart ids
        self.waiting = 0  # charts in the queues (not those on query hold)
        self.audits: deque[tuple[int, bool]] = deque()  # coded charts waiting for an audit, and coded wrong?
        self._idle: list[tuple[simpy.Event, frozenset[int], int]] = []  # (wake-up, skills, coder)
        self.in_hand: dict[int, deque[int]] = {}  # coder → charts opened before the run started (sim.model.opening)
        self.policy = policy

    def taker(self, kinds: tuple[int, ...], coder: int = -1) -> Callable[[], int | None]:
        """A coder's way to take the next chart: the policy bound to the coder's queues.

        A coder with charts in hand (opened before the run started) finishes those first.
        """
        take = _POLICIES[self.policy](self, self._queues(kinds))
        mine = self.in_hand.get(coder)
        if not mine:
            return take

        def mine_first() -> int | None:
            if mine:
                self.waiting -= 1
                return mine.popleft()
            return take()

        return mine_first

    def restock(self, chart: int) -> None:
        """A chart answered before the run started: waiting with its type's answered queries (no coder to wake)."""
        heappush(self.returned[self.slot[self.charts.kind[chart]]], chart)
        self.waiting += 1

    def hand(self, chart: int, coder: int) -> None:
        """A chart ``coder`` opened before the run started: theirs to finish first."""
        self.in_hand.setdefault(coder, deque()).append(chart)
        self.waiting += 1

    # -- work coming in
    def add(self, chart: int) -> None:
        """A new chart arriving alone."""
        self.arrive([chart])

    def arrive(self, charts: list[int]) -> None:
        """New charts arriving together, in queue order: the same as adding them one by one, in one pass.

        Each wakes the first idle coder who may code it, as :meth:`add` does,
        until no coder is idle.
        """
        new, kind, slot = self.new, self.charts.kind, self.slot
        if len(new) == 1:  # every type in one queue
            new[0].extend(charts)
        else:
            for chart in charts:
                new[slot[kind[chart]]].append(chart)
        self.waiting += len(charts)
        for chart in charts:
            if not self._idle:
                return
            self._wake(kind[chart])

    def stock(self, charts: list[int]) -> None:
        """Charts already waiting before anyone logs in (no coder to wake), in order of arrival."""
        new = self.new
        if len(new) == 1:  # every type in one queue
            new[0].extend(charts)
        else:
            kind, slot = self.charts.kind, self.slot
            for chart in charts:
                new[slot[kind[chart]]].append(chart)
        self.waiting += len(charts)

    def give_back(self, chart: int) -> None:
        """A physician answered this chart's query: it is ready to finish."""
        self.charts.query_answered_at[chart] = self.env.now
        kind = self.charts.kind[chart]
        heappush(self.returned[self.slot[kind]], chart)
        self._arrived(kind)

    def send_back(self, chart: int) -> None:
        """A coding error was found on this coded chart: it comes back to be reworked.

        It waits with the answered queries of its type (in order of first arrival).
        """
        self.charts.error_found_at[chart] = self.env.now
        kind = self.charts.kind[chart]
        heappush(self.returned[self.slot[kind]], chart)
        self._arrived(kind)

    def take_audit(self, auditor: int) -> tuple[int, bool] | None:
        """The oldest waiting audit of a chart ``auditor`` did not code (nobody audits their own work)."""
        audits, coder = self.audits, self.charts.coder
        for i, (chart, wrong) in enumerate(audits):
            if coder[chart] != auditor:
                del audits[i]
                return chart, wrong
        return None

    def to_audit(self, chart: int, wrong: bool) -> None:
        """A coded chart sampled for audit waits for an auditor (``wrong``: coded with an error)."""
        self.audits.append((chart, wrong))
        coded_by = self.charts.coder[chart]
        for i, (wake, skills, coder) in enumerate(self._idle):
            if AUDIT in skills and coder != coded_by:
                del self._idle[i]
                wake.succeed()
                return

    def _arrived(self, kind: int) -> None:
        self.waiting += 1
        self._wake(kind)

    def _wake(self, kind: int) -> None:
        """Wake the first idle coder who may code charts of type ``kind``, if any."""
        for i, (wake, skills, _) in enumerate(self._idle):
            if kind in skills:
                del self._idle[i]
                wake.succeed()
                return

    # -- coders waiting for work
    def wait(self, skills: frozenset[int], until: float, coder: int = -1) -> simpy.Event:
        """An event that fires when work for ``skills`` arrives (an audit: of a chart ``coder`` did not code), or at
        clock ``until``."""
        wake = self.env.event()
        entry = (wake, skills, coder)
        self._idle.append(entry)

        def timeout(_: simpy.Event) -> None:
            if not wake.triggered:
                self._idle.remove(entry)
                wake.succeed()

        self.env.timeout(until - self.env.now).callbacks.append(timeout)
        return wake

    def _queues(self, kinds: tuple[int, ...]) -> tuple[Queue, ...]:
        """The queues of the coder's types in the coder's order: answered (even places), then new, per queue."""
        return tuple(q for s in _own_slots(self.slot, kinds) for q in (self.returned[s], self.new[s]))


@lru_cache(maxsize=256)
def _own_slots(slot: tuple[int, ...], kinds: tuple[int, ...]) -> tuple[int, ...]:
    """The queues of a coder's types, each shared queue once, in the coder's order."""
    return tuple(dict.fromkeys(slot[k] for k in kinds))


def queue_slots(skills: Sequence[Sequence[int]], n_types: int, policy: str) -> tuple[int, ...]:
    """The queue of each chart type: types coded by exactly the same coders share one, unless ``policy`` orders by type.

    ``skills`` holds each coder's types. Sharing changes no choice: a coder
    taking the oldest of its queues' heads takes the oldest chart either way.
    """
    if policy == "type_priority":
        return tuple(range(n_types))
    coders_of = [frozenset(i for i, mine in enumerate(skills) if k in mine) for k in range(n_types)]
    first = {}
    return tuple(first.setdefault(who, len(first)) for who in coders_of)


Queue = list[int] | deque[int]  # a heap of answered charts' ids, or new charts' ids in order


# -- policies: each binds a coder's queues (see Worklist._queues) into a function that takes a chart's id or None
def _oldest_first(worklist: Worklist, queues: tuple[Queue, ...]) -> Callable[[], int | None]:
    if len(queues) == 2 and type(queues[0]) is list and type(queues[1]) is deque:
        # One queue of answered and one of new charts (every type shared): the common case, kept short.
        returned, new = queues

        def take_one() -> int | None:
            if returned and (not new or returned[0] < new[0]):
                worklist.waiting -= 1
                return heappop(returned)  # type: ignore[arg-type]
            if new:
                worklist.waiting -= 1
                return new.popleft()  # type: ignore[union-attr]
            return None

        return take_one

    def take() -> int | None:
        best: Queue | None = None
        oldest = _NEVER
        for queue in queues:
            if queue and queue[0] < oldest:
                best, oldest = queue, queue[0]
        if best is None:
            return None
        worklist.waiting -= 1
        return best.popleft() if type(best) is deque else heappop(best)

    return take


def _returns_first(worklist: Worklist, queues: tuple[Queue, ...]) -> Callable[[], int | None]:
    answered, new = _oldest_first(worklist, queues[0::2]), _oldest_first(worklist, queues[1::2])

    def take() -> int | None:
        chart = answered()
        return chart if chart is not None else new()

    return take


def _type_priority(worklist: Worklist, queues: tuple[Queue, ...]) -> Callable[[], int | None]:
    def take() -> int | None:
        for queue in queues:
            if queue:
                worklist.waiting -= 1
                return queue.popleft() if type(queue) is deque else heappop(queue)
        return None

    return take


_POLICIES = {"oldest_first": _oldest_first, "returns_first": _returns_first, "type_priority": _type_priority}
