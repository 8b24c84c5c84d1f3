"""A coder's working day.

At shift start the coder logs in and, until the shift (and any overtime the
department granted that morning) ends, takes the next chart by the
department's policy and codes it. Finding the documentation ambiguous, the
coder writes a physician query and sets the chart aside; the answered chart
comes back and needs only a short completion. Breaks are taken at their set
time once the chart in hand is finished (a coder does not drop a half-read
record); a break that would run past the end of the shift ends with it.
Billing questions interrupt whatever the coder is doing and add their minutes
to it; those that arrive while the coder is away are answered on return. At
shift end no new chart is started: the chart in hand is finished and any
question still waiting is answered, and that time is recorded as after-shift
time. Every minute from login to logout is in exactly one time-use column.

With pre-bill audits, a coded chart sampled for audit is held for the audit
team, whose coders take waiting audits before charts: an error is caught
there, before billing, and the chart comes straight back to be reworked.

Breaks and interruptions are computed, not simulated as events: a chart costs
at most one timeout, and none when nothing else is due before the coder is
done with it (the clock skips ahead, sim.model.clock), which keeps a
coder-day to a few dozen events, and a lone coder's day to a handful.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass

import simpy

from sim.model.clock import Clock
from sim.model.records import BILLING_QUESTION, BREAK, Activity, CoderDay
from sim.model.worklist import AUDIT, Worklist
from sim.scenario.calendar import Shift

_NEVER = float("inf")
_NO_BREAK = (_NEVER, 0.0)  # (run minute, minutes) once the day's breaks are taken


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
    first_day: int = 0  # first calendar day the coder works (a hire later in the run)
    last_day: int = 1 << 30  # last calendar day the coder works (a leaver)
    audits: bool = False  # on the audit team: takes waiting audits before charts


class Desk:
    """One coder's billing questions for one day: arrival minutes (run time, sorted) and durations.

    Questions are answered in order of arrival; ``begun`` records when each
    answered one was dealt with.
    """

    __slots__ = ("times", "durations", "next", "due", "minutes", "begun")

    def __init__(self, times: list[float], durations: list[float]) -> None:
        self.times = times
        self.durations = durations
        self.next = 0
        self.due = times[0] if times else _NEVER  # when the next unanswered question arrives
        self.minutes = 0.0
        self.begun: list[float] = []

    @property
    def count(self) -> int:
        return self.next

    def finish(self, start: float, work: float) -> float:
        """When ``work`` minutes begun at ``start`` end, counting questions answered meanwhile.

        A question that arrives before the work is done pauses it; questions
        that came while the coder was away are answered first.
        """
        end = start + work
        if self.due >= end:
            return end  # no question arrives before the work is done
        times, i = self.times, self.next
        cursor = start  # when the coder can next turn to a question
        while i < len(times) and times[i] < end:
            d = self.durations[i]
            cursor = max(cursor, times[i])
            self.begun.append(cursor)
            cursor += d
            end += d
            self.minutes += d
            i += 1
        self.next = i
        self.due = times[i] if i < len(times) else _NEVER
        return end

    def answer_until(self, since: float, until: float) -> float:
        """Answer questions arriving before ``until`` while free from ``since``; returns when free again."""
        free = since
        times, i = self.times, self.next
        while i < len(times) and times[i] < until:
            free = max(free, times[i])
            self.begun.append(free)
            free += self.durations[i]
            self.minutes += self.durations[i]
            i += 1
        self.next = i
        self.due = times[i] if i < len(times) else _NEVER
        return free

    def log(self, coder: int, day: int, into: list[Activity]) -> None:
        """Append the questions answered today to the activity records."""
        for t, start, d in zip(self.times, self.begun, self.durations):
            into.append((coder, day, BILLING_QUESTION, start, d, t))


def code_charts(
    env: Clock,
    me: CoderSpec,
    shifts: list[Shift],
    desks: list[Desk],
    worklist: Worklist,
    answer_at: Callable[[float, float], float],
    overtime_on: Callable[[int], float],
    log: list[CoderDay],
    activities: list[Activity],
    n_types: int,
    absent: Sequence[bool] = (),
    absence_paid: bool = True,
    error_probability: Sequence[float] = (),
    pace: Sequence[float] = (),
    coding_factor: Sequence[float] = (),
    audited: bool = False,
) -> Generator[simpy.Event, object, None]:
    """The coder's process over the whole horizon: one pass of the loop per working day.

    ``absent`` marks the working days (by shift index) the coder is absent: the
    day is logged as absent and nothing is done, not even its billing questions.
    ``error_probability`` (by chart type; empty when errors are not modelled)
    decides, with the chart's own draw, whether a chart is coded with an
    error; the error is found the chart's detection delay later and the
    chart comes back to be reworked, once. ``pace`` (per shift; empty: 1)
    multiplies the coder's speed, e.g. while a new hire ramps up, and
    ``coding_factor`` (per shift; empty: 1) the charts' coding times, e.g.
    in a code-update season. Shifts before ``me.first_day`` are not worked.

    With ``audited`` (the scenario audits) a chart sampled for audit goes,
    once coded, to the audit queue instead of billing; its error, if any, is
    caught there rather than by a later denial. A coder of the audit team
    (``me.audits``) takes any waiting audit of a chart someone else coded before
    a chart: the audit takes the chart's audit time, and a chart found wrong
    goes back to be reworked at once.
    """
    speed, kinds, me_index = me.speed, me.kinds, me.index
    skills = frozenset((*kinds, AUDIT)) if me.audits else frozenset(kinds)
    audits = worklist.audits if me.audits else None
    take, timeout, skip = worklist.taker(kinds, me_index), env.timeout, env.skip
    ch = worklist.charts  # the replication's charts, as columns; a chart is its id
    kind, started_at, coded_at, coder = ch.kind, ch.started_at, ch.coded_at, ch.coder
    started_by, coding_time, needs_query = ch.started_by, ch.coding_time, ch.needs_query
    scale = 1.0
    for i, (shift, desk) in enumerate(zip(shifts, desks)):
        if shift.day < me.first_day or shift.day > me.last_day:
            continue
        if pace:
            speed = me.speed * pace[i]
        if coding_factor:
            scale = coding_factor[i]
        if env.now < shift.start:
            if not skip(minutes := shift.start - env.now):
                yield timeout(minutes)
        if absent and absent[i]:
            day = CoderDay(shift.day, me_index, env.now, 0.0, n_types)
            day.absent = shift.end - shift.start
            day.paid = day.absent if absence_paid else 0.0
            log.append(day)
            continue
        extra = overtime_on(shift.day)
        end = shift.end + extra
        day = CoderDay(shift.day, me_index, env.now, extra, n_types)
        breaks = iter(shift.breaks)
        break_at, break_minutes = next(breaks, _NO_BREAK)
        while (now := env.now) < end:
            if now >= break_at:
                away = min(break_minutes, end - now)  # a break ends with the shift at the latest
                activities.append((me_index, shift.day, BREAK, now, away, break_at))
                day.on_break += away
                if not skip(minutes := away):
                    yield timeout(minutes)
                break_at, break_minutes = next(breaks, _NO_BREAK)
                continue
            if audits and (audit := worklist.take_audit(me_index)):  # an auditor, and a chart waits for its audit
                chart, wrong = audit
                auditing = ch.audit_time[chart] / speed
                if not skip(minutes := desk.finish(now, auditing) - now):
                    yield timeout(minutes)
                day.auditing += auditing
                day.audits += 1
                ch.audited_at[chart] = env.now
                if wrong:  # caught before billing: back to be reworked now
                    ch.caught[chart] = True
                    worklist.send_back(chart)
                continue
            chart = take()
            if chart is None:
                until = min(end, break_at)
                if not skip(until - now):  # nothing can come before then: idle until then
                    yield worklist.wait(skills, until, me_index)
                answered = desk.minutes
                free = desk.answer_until(now, env.now)
                if free > env.now:
                    if not skip(minutes := free - env.now):
                        yield timeout(minutes)
                day.idle += (env.now - now) - (desk.minutes - answered)
                continue
            if started_at[chart] != started_at[chart]:  # NaN: first time this chart is opened
                started_at[chart] = now
                started_by[chart] = me_index
                coding = coding_time[chart] * scale / speed
                if needs_query[chart]:
                    writing = ch.writing_time[chart] / speed
                    if not skip(minutes := desk.finish(now, coding + writing) - now):
                        yield timeout(minutes)
                    day.coding += coding
                    day.query_writing += writing
                    day.queries_sent += 1
                    sent = ch.query_sent_at[chart] = env.now
                    answer = timeout(answer_at(sent, ch.answer_delay[chart]) - sent)
                    answer.callbacks.append(lambda _, c=chart: worklist.give_back(c))
                    continue
            elif coded_at[chart] == coded_at[chart]:  # coded before: back because an error was found
                rework = ch.rework_time[chart] / speed
                if not skip(minutes := desk.finish(now, rework) - now):
                    yield timeout(minutes)
                day.coding += rework
                day.rework += rework
                day.reworked += 1
                ch.reworked_at[chart] = env.now
                continue
            else:
                ch.resumed_at[chart] = now
                coding = ch.completion_time[chart] / speed
            if (done := now + coding) > desk.due:  # a question comes first (Desk.finish, inlined when none does)
                done = desk.finish(now, coding)
            if not skip(minutes := done - now):
                yield timeout(minutes)
            day.coding += coding
            coded_at[chart] = env.now
            coder[chart] = me_index
            day.coded[kind[chart]] += 1
            if audited and ch.to_audit[chart]:  # held for a pre-bill audit, which finds any error
                wrong = bool(error_probability) and ch.error_u[chart] < error_probability[kind[chart]]
                day.errors += wrong
                worklist.to_audit(chart, wrong)
            elif error_probability and ch.error_u[chart] < error_probability[kind[chart]]:
                day.errors += 1
                found = timeout(ch.detection_delay[chart])
                found.callbacks.append(lambda _, c=chart: worklist.send_back(c))
        # Questions still waiting (they came during the last break or the last chart).
        free = desk.answer_until(env.now, _NEVER)
        if free > env.now:
            if not skip(minutes := free - env.now):
                yield timeout(minutes)
        day.logout = env.now
        day.paid = day.logout - day.login
        # Only time at work today is today's: a coder still on yesterday's chart past today's shift end
        # (it counts as yesterday's after-shift time) works none of today's overtime or after-shift.
        if day.login > shift.end:  # then only the part of the overtime after login was worked today
            day.overtime = max(0.0, min(day.logout, end) - day.login)
        day.after_shift = max(0.0, day.logout - max(end, day.login))
        day.interrupted = desk.minutes
        day.interruptions = desk.count
        desk.log(me_index, shift.day, activities)
        log.append(day)
