"""When a physician answers a query.

Without working hours the answer comes ``delay`` minutes after the query is
sent. With working hours, the delay counts only time inside the physician's
daily window on the physician's weekdays: a query sent Friday evening with an
8-hour delay is answered Monday afternoon.
"""

from __future__ import annotations

from sim.scenario import WEEKDAYS, Window

DAY = 1440.0


def answered_at(sent_at: float, delay: float, hours: Window | None, first_weekday: int) -> float:
    """Clock minute at which a query sent at ``sent_at`` is answered."""
    if hours is None:
        return sent_at + delay
    open_days = {WEEKDAYS.index(d) for d in hours.weekdays}
    if not open_days:
        return float("inf")
    start, end = hours.start_min, hours.end_min
    day = int(sent_at // DAY)
    t = sent_at
    remaining = delay
    while True:
        if (first_weekday + day) % 7 in open_days:
            opens, closes = day * DAY + start, day * DAY + end
            t = max(t, opens)
            if t < closes:
                if t + remaining <= closes:
                    return t + remaining
                remaining -= closes - t
        day += 1
        t = day * DAY
