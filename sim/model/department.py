"""One replication of a coding department: coders, work queues, physicians.

``simulate`` draws the replication's charts and interruptions, starts one
process per coder and one that releases charts as they arrive, runs the
clock to the end of the horizon and returns the raw records.
"""

from __future__ import annotations

from collections.abc import Generator

import simpy

from sim.model.charts import DAY, Chart, draw_charts
from sim.model.coder import CoderSpec, Desk, code_charts, workdays_for
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
        for _ in range(team.count):
            specs.append(
                CoderSpec(
                    index=len(specs),
                    team=team_name.removeprefix("coders.teams."),
                    level=team.level,
                    speed=team.speed if team.speed is not None else level.speed,
                    salary=team.salary if team.salary is not None else level.salary,
                    kinds=mine,
                )
            )
    return specs


def _desks(scenario: Scenario, seed: int, rep: int, coder: int, n_days: int) -> list[Desk]:
    """Billing questions for each of a coder's working days, from the coder's own stream."""
    rate = scenario.interruptions.per_day
    if rate <= 0:
        return [Desk([], []) for _ in range(n_days)]
    rng = stream(seed, rep, f"interruptions.{coder}")
    start, end = scenario.shift.start_min, scenario.shift.end_min
    desks = []
    for _ in range(n_days):
        n = int(rng.poisson(rate))
        times = rng.uniform(start, end, size=n)
        times.sort()
        durations = scenario.interruptions.duration.minutes(rng.random(n))
        desks.append(Desk(times.tolist(), durations.tolist()))
    return desks


def _release(env: simpy.Environment, charts: list[Chart], worklist: Worklist) -> Generator:
    """Put each chart in its queue at its arrival time (one event per arrival instant)."""
    for chart in charts:
        if chart.arrived_at > env.now:
            yield env.timeout(chart.arrived_at - env.now)
        worklist.add(chart)


def simulate(scenario: Scenario, seed: int, replication: int) -> Records:
    """Run one replication and return its raw records."""
    env = simpy.Environment()
    charts = draw_charts(scenario, seed, replication)
    n_types = len(scenario.chart_types)
    worklist = Worklist(env, n_types, scenario.coders.policy)
    first = WEEKDAYS.index(scenario.start_weekday)
    workdays = {WEEKDAYS.index(d) for d in scenario.shift.workdays}
    n_workdays = sum((first + d) % 7 in workdays for d in range(scenario.days))
    breaks = tuple((b.at_min, b.minutes) for b in sorted(scenario.breaks, key=lambda b: b.at_min))
    hours = scenario.queries.physician_hours

    def answer_at(sent: float, delay: float) -> float:
        return answered_at(sent, delay, hours, first)

    overtime = scenario.overtime
    rule = (overtime.backlog_threshold, overtime.minutes) if overtime else None
    log: list[CoderDay] = []
    env.process(_release(env, charts, worklist))
    for spec in coder_specs(scenario):
        desks = _desks(scenario, seed, replication, spec.index, n_workdays)
        days = workdays_for(
            scenario.days, first, workdays, scenario.shift.start_min, scenario.shift.end_min, breaks, desks
        )
        env.process(code_charts(env, spec, days, worklist, answer_at, rule, log, n_types))
    env.run(until=scenario.days * DAY)
    log.sort(key=lambda d: (d.day, d.coder))
    return Records(replication=replication, horizon=scenario.days * DAY, charts=charts, coder_days=log)
