"""The calendar: clock times of working days → minutes of the run.

The run's clock counts minutes from 00:00 of day 0, and day 0 falls on the
scenario's ``start_weekday``. Everything with a time of day — shifts, breaks,
billing questions, physician hours, arrivals — is written in clock time in
the scenario and becomes run time here, once, so a rule that holds on day 0
holds on every day. Nothing else in chartsim counts weekdays or knows how
long a day is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

DAY = 1440.0  # minutes in a calendar day
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


_CLOCK = re.compile(r"([0-9]{2}):([0-9]{2})")


@lru_cache(maxsize=1024)
def clock_minutes(text: str) -> float:
    """'08:30' → 510.0 minutes after midnight; '24:00' is the end of the day.

    Exactly HH:MM with ASCII digits, hours 00–24: no sign, no seconds, no
    single-digit hour, so a typo such as '-0:30' is refused, not read as 00:30.
    """
    m = _CLOCK.fullmatch(text) if isinstance(text, str) else None
    if m is None:
        raise ValueError(f"time of day must be HH:MM between 00:00 and 24:00, e.g. '08:00' (got {text!r})")
    h, minutes = int(m[1]), int(m[2])
    if h > 24 or minutes > 59 or (h == 24 and minutes):
        raise ValueError(f"time of day must be between 00:00 and 24:00 (got {text!r})")
    return h * 60.0 + minutes


def clock_text(minutes: float) -> str:
    """Run or clock minutes → 'HH:MM' within their day."""
    m = int(round(minutes % DAY))
    return f"{m // 60:02d}:{m % 60:02d}"


def day_of(t: float) -> int:
    """The calendar day a run minute falls in."""
    return int(t // DAY)


@dataclass(frozen=True)
class Shift:
    """One working day of the department's shift, in run minutes."""

    day: int
    start: float
    end: float
    breaks: tuple[tuple[float, float], ...]  # (run minute, minutes), in order


class Calendar:
    """The run's days: which weekday each is, and clock times turned into run times."""

    def __init__(self, days: int, start_weekday: str = "mon") -> None:
        self.days = days
        self.first_weekday = WEEKDAYS.index(start_weekday)
        self.horizon = days * DAY

    def weekday(self, day: int) -> int:
        """0 for Monday … 6 for Sunday."""
        return (self.first_weekday + day) % 7

    def days_on(self, weekdays: Iterable[str]) -> list[int]:
        """The days of the run that fall on these weekdays."""
        wanted = {WEEKDAYS.index(w) for w in weekdays}
        return [d for d in range(self.days) if self.weekday(d) in wanted]

    @staticmethod
    def at(day: int, clock: float) -> float:
        """Run minute of clock minute ``clock`` on ``day``."""
        return day * DAY + clock

    def shifts(
        self, start: float, end: float, weekdays: Iterable[str], breaks: Sequence[tuple[float, float]] = ()
    ) -> list[Shift]:
        """Each working day of a shift from clock ``start`` to ``end``, with its breaks (clock minute, minutes)."""
        ordered = sorted(breaks)
        return [
            Shift(d, d * DAY + start, d * DAY + end, tuple((d * DAY + at, m) for at, m in ordered))
            for d in self.days_on(weekdays)
        ]

    def first_login(self, start: float, weekdays: Iterable[str]) -> float:
        """When the first shift of the run starts (0 if nobody ever works)."""
        days = self.days_on(weekdays)
        return days[0] * DAY + start if days else 0.0

    def working_time_end(self, since: float, minutes: float, start: float, end: float, weekdays: Iterable[str]) -> float:
        """The run minute at which ``minutes`` of working time, counted from ``since``, are used up.

        Working time is the daily window ``start``–``end`` (clock) on ``weekdays``,
        the pattern repeating beyond the horizon: a physician asked Friday evening
        for 8 working hours answers on Monday afternoon. Never, without working days.
        """
        open_days = {WEEKDAYS.index(w) for w in weekdays}
        if not open_days:
            return float("inf")
        day = day_of(since)
        t, remaining = since, minutes
        while True:
            if self.weekday(day) in open_days:
                opens, closes = day * DAY + start, day * DAY + end
                t = max(t, opens)
                if t < closes:
                    if t + remaining <= closes:
                        return t + remaining
                    remaining -= closes - t
            day += 1
            t = day * DAY
