"""When a physician answers a query.

Without working hours the answer comes ``delay`` minutes after the query is
sent. With working hours, the delay counts only time inside the physician's
daily window on the physician's weekdays: a query sent Friday evening with an
8-hour delay is answered Monday afternoon.
"""

from __future__ import annotations

from sim.scenario.calendar import Calendar
from sim.scenario.config import Window


def answered_at(sent_at: float, delay: float, hours: Window | None, calendar: Calendar) -> float:
    """Run minute at which a query sent at ``sent_at`` is answered."""
    if hours is None:
        return sent_at + delay
    return calendar.working_time_end(sent_at, delay, hours.start_min, hours.end_min, hours.weekdays)
