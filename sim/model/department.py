"""One replication of a coding department: coders, work queues, physicians.

A :class:`Department` is built once from a scenario (coders, shifts,
breaks: everything that does not change between replications). Its
``simulate`` draws one replication's charts and interruptions, starts one
process per coder and one that releases charts as they arrive, runs the clock
to the end of the horizon and returns the raw records.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Generator, Iterator, Sequence
from itertools import accumulate

import numpy as np
import simpy

from sim.model.absence import absent_days
from sim.model.charts import ChartDraws, Charts
from sim.model.clock import Clock
from sim.model.coder import CoderSpec, Desk, code_charts
from sim.model.opening import Opening
from sim.model.physician import answered_at
from sim.model.records import Activity, CoderDay, Records
from sim.model.streams import Streams
from sim.model.vendor import in_house
from sim.model.worklist import Worklist, queue_slots
from sim.scenario.calendar import DAY, Calendar
from sim.scenario.config import Overtime, Scenario
from sim.scenario.state import day_of_date, roster

_CHARTS_PER_BATCH = 20_000  # charts drawn at once: big enough to amortise numpy, small in memory


def coder_specs(scenario: Scenario) -> list[CoderSpec]:
    """Every coder of every team, numbered from 0 in team order."""
    kinds = list(scenario.chart_types)
    order = [k for k in scenario.coders.priority] + [k for k in kinds if k not in scenario.coders.priority]
    specs = []
    for team_name, team in scenario.all_teams():
        level = scenario.levels[team.level]
        skills = set(team.skills) if team.skills is not None else set(kinds)
        mine = tuple(kinds.index(k) for k in order if k in skills)
        first, last = _team_days(scenario, team)
        for place in range(team.count):
            specs.append(
                CoderSpec(
                    index=len(specs),
                    team=team_name.removeprefix("coders.teams."),
                    level=team.level,
                    speed=team.speed if team.speed is not None else level.speed,
                    salary=team.salary if team.salary is not None else level.salary,
                    kinds=mine,
                    seat=f"{team_name.removeprefix('coders.teams.')}.{place}",
                    first_day=first,
                    last_day=last,
                    audits=scenario.audits is not None and team_name == f"coders.teams.{scenario.audits.team}",
                )
            )
    return specs


def _team_days(scenario: Scenario, team) -> tuple[int, int]:
    """The first and last calendar day a team works: its start_date/end_date, else its ramp's start_day."""
    first = team.ramp.start_day if team.ramp is not None else 0
    last = 1 << 30
    if team.start_date is not None:
        first = max(0, day_of_date(scenario.start_date, team.start_date, "start_date"))
    if team.end_date is not None:
        last = day_of_date(scenario.start_date, team.end_date, "end_date")
    return first, last


def _release(env: simpy.Environment, charts: Charts, queued: list[int], worklist: Worklist) -> Generator:
    """Put each chart in its queue at its arrival time: one event per arrival instant, its charts added together.

    ``queued`` is in order of arrival, so the charts due by the clock's time
    are a run of it (a day's discharges, all at 00:00): they reach the
    worklist as one batch, in queue order, as they would one by one.
    """
    arrived_at, i = charts.arrived_at, 0
    while i < len(queued):
        if arrived_at[queued[i]] > env.now:
            yield env.timeout(arrived_at[queued[i]] - env.now)
        stop = bisect_right(queued, env.now, lo=i + 1, key=arrived_at.__getitem__)
        worklist.arrive(queued[i:stop])
        i = stop


class Department:
    """A scenario made ready to simulate: coders, their shifts and the rules of work."""

    def __init__(self, scenario: Scenario, lookahead: bool = True) -> None:
        self.scenario = scenario
        self.lookahead = lookahead  # coders skip timeouts nothing could come before (sim.model.clock)
        self.coders = coder_specs(scenario)
        self.n_types = len(scenario.chart_types)
        self.slots = queue_slots([c.kinds for c in self.coders], self.n_types, scenario.coders.policy)
        self.calendar = Calendar(scenario.days, scenario.start_weekday)
        shift = scenario.shift
        self.shifts = self.calendar.shifts(
            shift.start_min, shift.end_min, shift.workdays, [(b.at_min, b.minutes) for b in scenario.breaks]
        )
        self.opening = Opening(scenario, self.calendar) if scenario.state is not None else None
        if self.opening is not None:
            self.shifts = self.opening.cut(self.shifts)
        self.horizon = self.calendar.horizon
        ramps = {name.removeprefix("coders.teams."): team.ramp for name, team in scenario.all_teams()}
        for name, team in scenario.all_teams():  # a hire given a start_date ramps up from it
            if team.ramp is not None and team.start_date is not None:
                # from that date even when it is before the run (a hire two weeks in, from this morning)
                first = day_of_date(scenario.start_date, team.start_date, "start_date")
                ramps[name.removeprefix("coders.teams.")] = team.ramp.model_copy(update={"start_day": first})
        self.paces: list[list[float]] = [
            [ramps[c.team].fraction(s.day) for s in self.shifts] if ramps[c.team] is not None else []
            for c in self.coders
        ]
        season = scenario.season
        if season is not None:
            first = scenario.season_first_day()
            self.coding_factor = [season.factor(s.day, first) for s in self.shifts]
        else:
            self.coding_factor = []
        accuracy, kinds = scenario.accuracy, list(scenario.chart_types)
        self.errors: list[list[float]] = [
            [accuracy.probability(k, c.level) for k in kinds] if accuracy is not None else [] for c in self.coders
        ]
        self._shift_days = np.array([s.day * DAY for s in self.shifts])
        # The clock starts when the first coder logs in: nothing happens before
        # that but charts arriving, and those can simply be waiting at login.
        self.login = self.calendar.first_login(shift.start_min, shift.workdays)
        if self.opening is not None:  # the run starts when the state was taken
            self.login = self.opening.as_of
        self.leave = _leave_days(scenario, self.coders)
        self.absence_paid = scenario.absence.paid if scenario.absence is not None else True
        self.audited = scenario.audits is not None
        self.outsourced = scenario.outsourcing is not None

    def answer_at(self, sent: float, delay: float) -> float:
        """Run minute at which a query sent at ``sent`` is answered."""
        return answered_at(sent, delay, self.scenario.queries.physician_hours, self.calendar)

    def desks(self, streams: Streams, reps: Sequence[int]) -> list[list[list[Desk]]]:
        """Billing questions of replications ``reps``: a desk per replication, coder and shift.

        Each coder's questions come from the coder's own stream: a Poisson
        number per shift, each at a uniform time within its own day's shift.
        The stream is named by the coder's team and place in it, so adding a
        coder to one team leaves every other coder's questions unchanged.
        Times and lengths are computed once for the whole batch, and the desks
        made in one flat pass, then cut per replication and coder. From a
        starting state, the questions of the shift under way at ``as_of`` that
        came before it were answered before the run: left out, the rest are
        the Poisson number over what is left of the shift.
        """
        n_shifts, n_coders = len(self.shifts), len(self.coders)
        rate = self.scenario.interruptions.per_day
        if rate <= 0:
            return [[[Desk([], []) for _ in self.shifts] for _ in self.coders] for _ in reps]
        names = [f"interruptions.{coder.seat}" for coder in self.coders]
        per_desk: list[int] = []
        rows = []
        for rep in reps:
            for name in names:
                rng = streams.get(rep, name)
                counts = rng.poisson(rate, size=n_shifts).tolist()
                per_desk += counts
                rows.append(rng.random((sum(counts), 2)))  # (time within the shift, length)
        u = np.concatenate(rows)
        shift = self.scenario.shift
        desk = np.repeat(np.arange(len(per_desk)), per_desk)
        times = np.tile(self._shift_days, len(reps) * n_coders)[desk] + shift.start_min + u[:, 0] * (
            shift.end_min - shift.start_min)
        if self.opening is not None:  # a shift under way at as_of: its questions before then were answered then
            kept = times >= self.opening.as_of
            u, desk, times = u[kept], desk[kept], times[kept]
            per_desk = np.bincount(desk, minlength=len(per_desk)).tolist()
        order = np.lexsort((times, desk))  # by arrival within each desk
        times = times[order].tolist()
        lengths = self.scenario.interruptions.duration.minutes(u[order, 1]).tolist()
        stops = list(accumulate(per_desk))
        flat = [Desk(times[a:b], lengths[a:b]) for a, b in zip([0, *stops], stops)]
        return [[flat[(r * n_coders + c) * n_shifts : (r * n_coders + c + 1) * n_shifts] for c in range(n_coders)]
                for r in range(len(reps))]

    def simulate(self, seed: int, replication: int) -> Records:
        """Run one replication and return its raw records (see :meth:`replications`)."""
        return next(self.replications(seed, [replication]))

    def replications(self, seed: int, reps: Sequence[int]) -> Iterator[Records]:
        """Run replications ``reps`` one after another, yielding each one's raw records.

        Charts are drawn a batch of replications at a time (the draws of a
        replication do not depend on its batch). A run ends at midnight after
        its last day, or when the last coder has logged out if later: the last
        shift is finished, never cut.
        """
        draws = ChartDraws(self.scenario, seed, self.opening)
        per_batch = max(1, int(_CHARTS_PER_BATCH // max(1.0, sum(self.scenario.expected_charts().values()))))
        for first in range(0, len(reps), per_batch):
            batch = reps[first : first + per_batch]
            charts, desks = draws.batch(batch), self.desks(draws.streams, batch)
            for replication, rep_charts, rep_desks in zip(batch, charts, desks):
                yield self._run(replication, rep_charts, rep_desks, self.absences(draws.streams, replication))

    def absences(self, streams: Streams, rep: int) -> list[list[bool]]:
        """Each coder's absent working days in replication ``rep`` (empty lists when absence is off)."""
        absence = self.scenario.absence
        if absence is None:
            return [[] for _ in self.coders]
        year = 52 * len(self.scenario.shift.workdays)
        if self.leave:  # known leave replaces those coders' random planned leave; unplanned absence still applies
            booked = absence.model_copy(update={"planned_days_per_year": 0.0})
            return [
                (absent_days(booked, c.seat, len(self.shifts), year, streams, rep)
                 | np.array([s.day in self.leave[c.index] for s in self.shifts], dtype=bool)).tolist()
                if c.index in self.leave else absent_days(absence, c.seat, len(self.shifts), year, streams, rep).tolist()
                for c in self.coders
            ]
        return [absent_days(absence, c.seat, len(self.shifts), year, streams, rep).tolist() for c in self.coders]

    def _run(
        self, replication: int, charts: Charts, desks: list[list[Desk]], away: list[list[bool]]
    ) -> Records:
        env = Clock(self.login, self.lookahead)
        worklist = Worklist(env, charts, self.n_types, self.scenario.coders.policy, self.slots)
        first = self.opening.start(env, worklist, charts, self.answer_at) if self.opening is not None else 0
        # the open charts of a state are placed by the opening; a vendor's never reach the coders
        queued = in_house(charts, first) if self.outsourced else list(range(first, len(charts)))
        waiting = bisect_right(queued, self.login, key=charts.arrived_at.__getitem__)  # queued in order of arrival
        worklist.stock(queued[:waiting])  # waiting at the first login: no event needed
        if waiting < len(queued):
            env.process(_release(env, charts, queued[waiting:], worklist))
        log: list[CoderDay] = []
        activities: list[Activity] = []
        rule = self.scenario.overtime
        overtime_on = OvertimeDecision(rule, worklist).minutes_on if rule is not None else _no_overtime
        coders = [
            env.process(code_charts(
                env, spec, self.shifts, coder_desks, worklist, self.answer_at,
                overtime_on, log, activities, self.n_types, coder_away, self.absence_paid, self.errors[spec.index],
                self.paces[spec.index], self.coding_factor, self.audited,
            ))
            for spec, coder_desks, coder_away in zip(self.coders, desks, away)
        ]
        env.run(until=simpy.AllOf(env, [*coders, env.timeout(max(0.0, self.horizon - self.login))]))
        env.close()
        if len(log) > 1:
            log.sort(key=_day_then_coder)
        activities.sort()
        return Records(replication, self.horizon, charts, log, activities, self.audited, self.outsourced)


def _leave_days(scenario: Scenario, coders: list[CoderSpec]) -> dict[int, set[int]]:
    """Known leave (coders.leave): coder index → the calendar days of the run they are away."""
    index = roster(scenario)
    out: dict[int, set[int]] = {}
    for row in scenario.coders.leave:
        first = day_of_date(scenario.start_date, row.first_day, "coders.leave")
        last = day_of_date(scenario.start_date, row.last_day, "coders.leave")
        out.setdefault(index[row.coder], set()).update(range(max(0, first), min(last, scenario.days - 1) + 1))
    return out


def _day_then_coder(day: CoderDay) -> tuple[int, int]:
    return day.day, day.coder


def _no_overtime(day: int) -> float:
    """Overtime when the scenario grants none: never any."""
    return 0.0


class OvertimeDecision:
    """Overtime is granted once per working day, for every coder alike, from the backlog at the first login.

    The first coder to log in asks, before anyone takes a chart; the others
    get the same answer. (A scenario without overtime uses ``_no_overtime``.)
    """

    def __init__(self, rule: Overtime, worklist: Worklist) -> None:
        self.rule = rule
        self.worklist = worklist
        self.granted: dict[int, float] = {}

    def minutes_on(self, day: int) -> float:
        if day not in self.granted:
            self.granted[day] = self.rule.minutes if self.worklist.waiting > self.rule.backlog_threshold else 0.0
        return self.granted[day]


def simulate(scenario: Scenario, seed: int, replication: int) -> Records:
    """Run one replication of a scenario (builds the Department each time; see Department)."""
    return Department(scenario).simulate(seed, replication)
