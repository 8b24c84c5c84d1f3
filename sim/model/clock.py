"""The department's clock: SimPy's environment, with lookahead.

A coder coding a chart yields a timeout so that everything else due before
the chart is done (a new arrival, an answered query, another coder taking a
chart) happens first. When nothing at all is scheduled until then, the
timeout changes nothing but the clock: :meth:`Clock.skip` moves the clock
itself and the process carries on without the event. Skipping yields the
same clock times (``now + delay``, the sum SimPy's own timeout computes) and
leaves every other event in its order, so a run is identical with or without
lookahead; a lone coder's day then costs a handful of events instead of one
per chart.
"""

from __future__ import annotations

from operator import attrgetter

import simpy


class Clock(simpy.Environment):
    """A SimPy environment whose processes may skip a timeout that nothing could come before.

    ``lookahead=False`` turns skipping off (every timeout is an event), to
    check that both give the same run.
    """

    def __init__(self, initial_time: float = 0, lookahead: bool = True) -> None:
        super().__init__(initial_time)
        if not lookahead:
            self.skip = _never  # type: ignore[method-assign]

    # The current time, read a few times per chart: a property made of a C getter, not a Python function.
    now = property(attrgetter("_now"), doc="The current simulation time.")

    def skip(self, delay: float) -> bool:
        """Move the clock ``delay`` on if no event is due by then; False (clock unchanged) if one is.

        An event due at exactly that time would have been processed before the
        timeout (it was scheduled first), so only a strictly later one allows the skip.
        """
        if delay < 0:
            raise ValueError(f"negative delay {delay}")
        then = self._now + delay
        queue = self._queue
        if queue and queue[0][0] <= then:
            return False
        self._now = then
        return True

    def close(self) -> None:
        """Drop whatever is still scheduled (answers due after the run's end, …): the run is over.

        Those events' callbacks point back at the replication's work queues, which
        point at the clock; dropping them lets the replication be freed at once,
        without waiting for the cyclic garbage collector.
        """
        self._queue.clear()


def _never(delay: float) -> bool:
    return False
