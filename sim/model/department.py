"""One replication of a coding department: coders, work queues, physicians.

A :class:`Department` is built once from a scenario (coders, calendars,
breaks: everything that does not change between replications). Its
``simulate`` draws one replication's charts and interruptions, starts one
process per coder and one that releases charts as they arrive, runs the clock
to the end of the horizon and returns the raw records.
"""

from __future__ import annotations

from collections.abc import Generator

import simpy

from sim.model.charts import DAY, Chart, draw_charts
from sim.model.coder import CoderSpec, Desk, Workday, code_charts, workdays_for
from sim.model.physician import answered_at
from sim.model.worklist import Worklist
from sim.records import CoderDay, Records
from sim.scenario import WEEKDAYS, Scenario
from sim.streams import stream


def coder_specs(scenario: Scenario) -> list[CoderSpec]:
    """Every coder of every team, numbered from 0 in team order."""
    kinds = list(scenario.chart_types)
    order = [k for k in scenario.coders.priority] + [k for k in kinds if k not in scenario.coders.priority]
    specs = []
    for team_name, team in scenario.all_teams():
        level = scenario.levels[team.level]
        skills = set(team.skills) if team.skills is not None else set(kinds)
        mine = tuple(kinds.index(k) for k in order if k in skills)
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
                )
            )
    return specs


def _release(env: simpy.Environment, charts: list[Chart], worklist: Worklist) -> Generator:
    """Put each chart in its queue at its arrival time (one event per arrival instant)."""
    for chart in charts:
        if chart.arrived_at > env.now:
            yield env.timeout(chart.arrived_at - env.now)
        worklist.add(chart)


class Department:
    """A scenario made ready to simulate: coders, their calendars and the rules of work."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.coders = coder_specs(scenario)
        self.n_types = len(scenario.chart_types)
        self.first_weekday = WEEKDAYS.index(scenario.start_weekday)
        self.workdays = {WEEKDAYS.index(d) for d in scenario.shift.workdays}
        self.n_workdays = sum((self.first_weekday + d) % 7 in self.workdays for d in range(scenario.days))
        self.breaks = tuple((b.at_min, b.minutes) for b in sorted(scenario.breaks, key=lambda b: b.at_min))
        self.shift = (scenario.shift.start_min, scenario.shift.end_min)
        overtime = scenario.overtime
        self.overtime = (overtime.backlog_threshold, overtime.minutes) if overtime else None
        self.horizon = scenario.days * DAY
        first_workday = next(
            (d for d in range(scenario.days) if (self.first_weekday + d) % 7 in self.workdays), None
        )
        # The clock starts when the first coder logs in: nothing happens before
        # that but charts arriving, and those can simply be waiting at login.
        self.login = 0.0 if first_workday is None else first_workday * DAY + self.shift[0]

    def answer_at(self, sent: float, delay: float) -> float:
        """Clock minute at which a query sent at ``sent`` is answered."""
        return answered_at(sent, delay, self.scenario.queries.physician_hours, self.first_weekday)

    def desks(self, seed: int, replication: int, coder: CoderSpec) -> list[Desk]:
        """Billing questions for each of a coder's working days, from the coder's own stream.

        The stream is named by the coder's team and place in it, so adding a
        coder to one team leaves every other coder's questions unchanged.
        """
        rate = self.scenario.interruptions.per_day
        if rate <= 0:
            return [Desk([], []) for _ in range(self.n_workdays)]
        rng = stream(seed, replication, f"interruptions.{coder.seat}")
        start, end = self.shift
        duration = self.scenario.interruptions.duration
        counts = rng.poisson(rate, size=self.n_workdays)
        times = rng.uniform(start, end, size=int(counts.sum()))
        lengths = duration.minutes(rng.random(len(times))).tolist()
        desks, i = [], 0
        for n in counts.tolist():
            desks.append(Desk(sorted(times[i : i + n].tolist()), lengths[i : i + n]))
            i += n
        return desks

    def calendar(self, desks: list[Desk]) -> list[Workday]:
        return workdays_for(self.scenario.days, self.first_weekday, self.workdays, *self.shift, self.breaks, desks)

    def simulate(self, seed: int, replication: int) -> Records:
        """Run one replication and return its raw records."""
        env = simpy.Environment(initial_time=self.login)
        charts = draw_charts(self.scenario, seed, replication)
        worklist = Worklist(env, self.n_types, self.scenario.coders.policy)
        waiting = 0
        while waiting < len(charts) and charts[waiting].arrived_at <= self.login:
            waiting += 1
        worklist.stock(charts[:waiting])  # waiting at the first login: no event needed
        if waiting < len(charts):
            env.process(_release(env, charts[waiting:], worklist))
        log: list[CoderDay] = []
        for spec in self.coders:
            days = self.calendar(self.desks(seed, replication, spec))
            env.process(code_charts(env, spec, days, worklist, self.answer_at, self.overtime, log, self.n_types))
        env.run(until=self.horizon)
        log.sort(key=lambda d: (d.day, d.coder))
        return Records(replication=replication, horizon=self.horizon, charts=charts, coder_days=log)


def simulate(scenario: Scenario, seed: int, replication: int) -> Records:
    """Run one replication of a scenario (builds the Department each time; see Department)."""
    return Department(scenario).simulate(seed, replication)
