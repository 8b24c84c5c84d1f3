"""The work queues coders pull from: one per chart type, plus answered queries.

New charts wait in their type's queue in order of arrival; a chart whose query
has been answered comes back to a second queue of its type, kept in order of
first arrival (a heap: answers come back in any order). Which chart a coder
takes next is a named policy:

- ``oldest_first``: the chart that arrived earliest, answered or not (charts
  that arrived together in their random queue order: ids follow it);
- ``returns_first``: answered queries before new charts, oldest first;
- ``type_priority``: by the coder's type order, answered before new within a type.

Queues hold ``(id, chart)`` pairs, so the heap and the choice compare plain
numbers. A coder who finds nothing waits on the worklist; a new chart of a type the
coder may code wakes the first such coder.

With pre-bill audits, a coded chart sampled for audit waits in ``audits``
(oldest first) for a coder of the audit team other than the one who coded
it; a new audit wakes the first idle auditor (a coder whose skills include
``AUDIT``) who did not code it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from heapq import heappop, heappush

import simpy

from sim.model.charts import Chart

_NEVER = float("inf")  # an id above every chart's
AUDIT = -1  # the skill of auditors, beside the chart types they code


class Worklist:
    """Charts waiting to be coded, by type; wakes idle coders when work comes."""

    def __init__(self, env: simpy.Environment, n_types: int, policy: str) -> None:
        if policy not in _POLICIES:
            raise KeyError(policy)
        self.env = env
        self.new: list[deque[tuple[int, Chart]]] = [deque() for _ in range(n_types)]
        self.returned: list[list[tuple[int, Chart]]] = [[] for _ in range(n_types)]  # heaps by chart id
        self.waiting = 0  # charts in the queues (not those on query hold)
        self.audits: deque[tuple[Chart, bool]] = deque()  # coded charts waiting for an audit, and coded wrong?
        self._idle: list[tuple[simpy.Event, frozenset[int], int]] = []  # (wake-up, skills, coder)
        self.in_hand: dict[int, deque[Chart]] = {}  # coder → charts opened before the run started (sim.model.opening)
        self.policy = policy

    def taker(self, kinds: tuple[int, ...], coder: int = -1) -> Callable[[], Chart | None]:
        """A coder's way to take the next chart: the policy bound to the coder's queues.

        A coder with charts in hand (opened before the run started) finishes those first.
        """
        take = _POLICIES[self.policy](self, self._queues(kinds))
        mine = self.in_hand.get(coder)
        if not mine:
            return take

        def mine_first() -> Chart | None:
            if mine:
                self.waiting -= 1
                return mine.popleft()
            return take()

        return mine_first

    def restock(self, chart: Chart) -> None:
        """A chart answered before the run started: waiting with its type's answered queries (no coder to wake)."""
        heappush(self.returned[chart.kind], (chart.id, chart))
        self.waiting += 1

    def hand(self, chart: Chart, coder: int) -> None:
        """A chart ``coder`` opened before the run started: theirs to finish first."""
        self.in_hand.setdefault(coder, deque()).append(chart)
        self.waiting += 1

    # -- work coming in
    def add(self, chart: Chart) -> None:
        self.new[chart.kind].append((chart.id, chart))
        self._arrived(chart.kind)

    def stock(self, charts: list[Chart]) -> None:
        """Charts already waiting before anyone logs in (no coder to wake)."""
        new = self.new
        for chart in charts:
            new[chart.kind].append((chart.id, chart))
        self.waiting += len(charts)

    def give_back(self, chart: Chart) -> None:
        """A physician answered this chart's query: it is ready to finish."""
        chart.query_answered_at = self.env.now
        heappush(self.returned[chart.kind], (chart.id, chart))
        self._arrived(chart.kind)

    def send_back(self, chart: Chart) -> None:
        """A coding error was found on this coded chart: it comes back to be reworked.

        It waits with the answered queries of its type (in order of first arrival).
        """
        chart.error_found_at = self.env.now
        heappush(self.returned[chart.kind], (chart.id, chart))
        self._arrived(chart.kind)

    def take_audit(self, auditor: int) -> tuple[Chart, bool] | None:
        """The oldest waiting audit of a chart ``auditor`` did not code (nobody audits their own work)."""
        audits = self.audits
        for i, (chart, wrong) in enumerate(audits):
            if chart.coder != auditor:
                del audits[i]
                return chart, wrong
        return None

    def to_audit(self, chart: Chart, wrong: bool) -> None:
        """A coded chart sampled for audit waits for an auditor (``wrong``: coded with an error)."""
        self.audits.append((chart, wrong))
        for i, (wake, skills, coder) in enumerate(self._idle):
            if AUDIT in skills and coder != chart.coder:
                del self._idle[i]
                wake.succeed()
                return

    def _arrived(self, kind: int) -> None:
        self.waiting += 1
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
        """The queues of the coder's types in the coder's order: answered (even places), then new, per type."""
        return tuple(q for k in kinds for q in (self.returned[k], self.new[k]))


Queue = list[tuple[int, Chart]] | deque[tuple[int, Chart]]  # a heap of answered charts, or new charts in order


# -- policies: each binds a coder's queues (see Worklist._queues) into a function that takes a chart or None
def _oldest_first(worklist: Worklist, queues: tuple[Queue, ...]) -> Callable[[], Chart | None]:
    def take() -> Chart | None:
        best: Queue | None = None
        oldest = _NEVER
        for queue in queues:
            if queue and queue[0][0] < oldest:
                best, oldest = queue, queue[0][0]
        if best is None:
            return None
        worklist.waiting -= 1
        return (best.popleft() if type(best) is deque else heappop(best))[1]

    return take


def _returns_first(worklist: Worklist, queues: tuple[Queue, ...]) -> Callable[[], Chart | None]:
    answered, new = _oldest_first(worklist, queues[0::2]), _oldest_first(worklist, queues[1::2])
    return lambda: answered() or new()


def _type_priority(worklist: Worklist, queues: tuple[Queue, ...]) -> Callable[[], Chart | None]:
    def take() -> Chart | None:
        for queue in queues:
            if queue:
                worklist.waiting -= 1
                return (queue.popleft() if type(queue) is deque else heappop(queue))[1]
        return None

    return take


_POLICIES = {"oldest_first": _oldest_first, "returns_first": _returns_first, "type_priority": _type_priority}
