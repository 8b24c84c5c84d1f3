"""A coder's working day.

At shift start the coder logs in and, until the shift ends, takes the next
chart by the department's policy and codes it. Finding the documentation
ambiguous, the coder writes a physician query and sets the chart aside; the
answered chart comes back and needs only a short completion. Breaks are taken
at their set time once the chart in hand is finished (a coder does not drop a
half-read record). Billing questions interrupt whatever the coder is doing and
add their minutes to it; those that arrive while the coder is away are
answered on return. The chart in hand at shift end is finished; no new one is
started.

Breaks and interruptions are computed, not simulated as events: a chart costs
one timeout, which keeps a coder-day to a few dozen events.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass

import simpy

from sim.model.charts import DAY
from sim.model.worklist import Worklist
from sim.records import CoderDay

_NO_BREAK = (float("inf"), 0.0)  # (clock minute, minutes) once the day's breaks are taken


@dataclass(frozen=True)
class CoderSpec:
    """Who a coder is: index, team, speed, pay and the chart types they code."""

    index: int
    team: str
    level: str
    speed: float
    salary: float
    kinds: tuple[int, ...]  # chart types this coder may code, in the coder's order
    seat: str  # team and place in it, e.g. "coders.3": names the coder's random streams


class Desk:
    """One coder's billing questions for one day: arrival minutes and durations."""

    __slots__ = ("times", "durations", "next", "minutes", "count")

    def __init__(self, times: list[float], durations: list[float]) -> None:
        self.times = times
        self.durations = durations
        self.next = 0
        self.minutes = 0.0
        self.count = 0

    def finish(self, start: float, work: float) -> float:
        """When ``work`` minutes begun at ``start`` end, counting questions answered meanwhile."""
        end = start + work
        times, i = self.times, self.next
        if i == len(times) or times[i] >= end:
            return end  # no question arrives before the work is done
        while i < len(times) and times[i] < end:
            end += self.durations[i]
            self.minutes += self.durations[i]
            i += 1
        self.count += i - self.next
        self.next = i
        return end

    def while_idle(self, since: float, until: float) -> float:
        """Answer questions that came while waiting; returns when the coder is free again."""
        free = since
        times, i = self.times, self.next
        while i < len(times) and times[i] < until:
            free = max(free, times[i]) + self.durations[i]
            self.minutes += self.durations[i]
            i += 1
        self.count += i - self.next
        self.next = i
        return max(free, until)


@dataclass(frozen=True)
class Workday:
    """One working day of one coder, as clock minutes from the start of the run."""

    day: int
    start: float
    end: float
    breaks: tuple[tuple[float, float], ...]  # (clock minute, minutes)
    desk: Desk


def code_charts(
    env: simpy.Environment,
    me: CoderSpec,
    days: list[Workday],
    worklist: Worklist,
    answer_at: Callable[[float, float], float],
    overtime: tuple[int, float] | None,
    log: list[CoderDay],
    n_types: int,
) -> Generator[simpy.Event, object, None]:
    """The coder's process over the whole horizon."""
    speed, kinds, skills, me_index = me.speed, me.kinds, frozenset(me.kinds), me.index
    take, timeout = worklist.taker(kinds), env.timeout
    for workday in days:
        if env.now < workday.start:
            yield timeout(workday.start - env.now)
        end = workday.end
        extra = 0.0
        if overtime is not None and worklist.waiting > overtime[0]:
            extra = overtime[1]
            end += extra
        day = CoderDay(workday.day, me_index, end - workday.start, extra, n_types)
        desk = workday.desk
        breaks = iter(workday.breaks)
        break_at, break_minutes = next(breaks, _NO_BREAK)
        while (now := env.now) < end:
            if now >= break_at:
                day.on_break += break_minutes
                yield timeout(break_minutes)
                break_at, break_minutes = next(breaks, _NO_BREAK)
                continue
            chart = take()
            if chart is None:
                yield worklist.wait(skills, min(end, break_at))
                answered = desk.minutes
                free = desk.while_idle(now, env.now)
                if free > env.now:
                    yield timeout(free - env.now)
                day.idle += (free - now) - (desk.minutes - answered)
                continue
            if chart.started_at != chart.started_at:  # NaN: first time this chart is opened
                chart.started_at = now
                chart.started_by = me_index
                coding = chart.coding_time / speed
                if chart.needs_query:
                    writing = chart.writing_time / speed
                    yield timeout(desk.finish(now, coding + writing) - now)
                    day.coding += coding
                    day.query_writing += writing
                    day.queries_sent += 1
                    sent = chart.query_sent_at = env.now
                    answer = timeout(answer_at(sent, chart.answer_delay) - sent)
                    answer.callbacks.append(lambda _, c=chart: worklist.give_back(c))
                    continue
            else:
                chart.resumed_at = now
                coding = chart.completion_time / speed
            yield timeout(desk.finish(now, coding) - now)
            day.coding += coding
            chart.coded_at = env.now
            chart.coder = me_index
            day.coded[chart.kind] += 1
        day.interrupted = desk.minutes
        day.interruptions = desk.count
        log.append(day)


def workdays_for(
    scenario_days: int, first_weekday: int, workdays: set[int], start: float, end: float,
    breaks: tuple[tuple[float, float], ...], desks: list[Desk],
) -> list[Workday]:
    """The coder's calendar: one Workday per working day, with that day's desk."""
    out = []
    di = 0
    for d in range(scenario_days):
        if (first_weekday + d) % 7 in workdays:
            base = d * DAY
            out.append(
                Workday(d, base + start, base + end, tuple((base + at, m) for at, m in breaks), desks[di])
            )
            di += 1
    return out
