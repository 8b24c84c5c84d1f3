"""How many coders, before simulating? The workload bound and Erlang's C formula.

The work that arrives per working day divided by the productive minutes of
one coder-day is the count at which utilisation reaches 1: fewer can never
keep up. When charts arrive as a Poisson stream during the day and the
target is a waiting metric, the M/M/c queue (Gross & Harris §2.3) gives a
sharper estimate. The simulated search (sim.analysis.staffing) starts here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.analysis.targets import Target
from sim.analysis.theory import erlang_c, mmc_mean_wait
from sim.model.absence import expected_share
from sim.scenario.calendar import Calendar
from sim.scenario.config import Scenario

MAX_ABSENT_SHARE = 0.95  # cap on the expected absent share, so capacity never reaches 0


@dataclass(frozen=True)
class Workload:
    """The fluid (average-rate) view of the department, in minutes of a speed-1.0 coder."""

    work_per_workday: float  # minutes of work arriving per working day (queries and expected rework included)
    productive_minutes: float  # per scheduled coder-day: (shift − breaks − billing questions) × (1 − absent_share)
    other_capacity: float  # minutes per working day the other teams supply
    main_speed: float  # speed of one main-team coder
    workdays: int
    absent_share: float = 0.0  # expected share of working days a coder is away (scenario.absence)

    @property
    def coders(self) -> float:
        """Main-team coders at which utilisation reaches 1."""
        return max(0.0, (self.work_per_workday - self.other_capacity) / (self.main_speed * self.productive_minutes))

    @property
    def minimum(self) -> int:
        """The fewest main-team coders that can keep up on average."""
        return math.ceil(self.coders - 1e-9)


def _work_per_chart(scenario: Scenario, kind: str) -> float:
    """Mean minutes one chart of ``kind`` costs: coding, its query if any, its expected rework and audit.

    Rework (``accuracy``) is the error probability at the main team's level
    times the mean rework time: a found error costs the rework once. Audits
    (``audits``) cost the audit share times the mean audit time; the audit
    team's capacity is counted with the other teams'.
    """
    spec = scenario.chart_types[kind]
    q = spec.query
    work = spec.coding_time.mean_minutes() + q.probability * (
        q.writing_time.mean_minutes() + q.completion_time.mean_minutes()
    )
    if scenario.accuracy is not None:
        work += scenario.accuracy.probability(kind, scenario.coders.level) * scenario.accuracy.rework_time.mean_minutes()
    if scenario.audits is not None:
        work += scenario.audits.share * scenario.audits.audit_time.mean_minutes()
    return work


def absent_share(scenario: Scenario) -> float:
    """Expected share of working days a coder is away (0 without ``absence``), as the model draws it."""
    if scenario.absence is None:
        return 0.0
    return min(expected_share(scenario.absence, 52 * len(scenario.shift.workdays)), MAX_ABSENT_SHARE)


def expected_charts(scenario: Scenario) -> dict[str, float]:
    """Expected charts of each type over the horizon (see Scenario.expected_charts)."""
    return scenario.expected_charts()


def workload(scenario: Scenario) -> Workload:
    """Work arriving per working day and what one scheduled coder-day can do (skills are pooled).

    Charts a vendor codes (``outsourcing``) are left out. Shrinkage: with
    ``absence`` a coder is away a share ``a`` of working days
    (planned leave, then unplanned absence on the days left), so a scheduled
    coder-day yields ``1 − a`` of a worked day's productive minutes and the
    coders needed rise by ``1 / (1 − a)``.
    """
    n_workdays = len(Calendar(scenario.days, scenario.start_weekday).days_on(scenario.shift.workdays))
    total = sum(n * _work_per_chart(scenario, k) for k, n in expected_charts(scenario).items())
    if (vendor := scenario.outsourcing) is not None:  # charts sent to the vendor never reach a coder
        total = sum(n * (1 - vendor.share.get(k, 0.0)) * _work_per_chart(scenario, k)
                    for k, n in expected_charts(scenario).items())
    shift = scenario.shift.end_min - scenario.shift.start_min
    questions = scenario.interruptions.per_day * scenario.interruptions.duration.mean_minutes()
    away = absent_share(scenario)
    productive = max((shift - sum(b.minutes for b in scenario.breaks) - questions) * (1 - away), 1e-9)
    others = sum(_speed(scenario, t) * t.count for name, t in scenario.all_teams() if name != "coders")
    return Workload(
        work_per_workday=total / max(n_workdays, 1),
        productive_minutes=productive,
        other_capacity=others * productive,
        main_speed=_speed(scenario, scenario.coders),
        workdays=n_workdays,
        absent_share=away,
    )


def _speed(scenario: Scenario, team) -> float:
    return team.speed if team.speed is not None else scenario.levels[team.level].speed


@dataclass(frozen=True)
class ErlangEstimate:
    """Erlang C answer (M/M/c) for a waiting-time target, or why it does not apply."""

    coders: int | None  # main-team coders
    note: str


def erlang_estimate(scenario: Scenario, target: Target, limit: int = 10_000) -> ErlangEstimate:
    """Smallest main-team count whose M/M/c queue meets a p_wait or wait_mean_minutes target.

    Applies only when charts arrive as a Poisson stream during the day
    (``per_hour``), with no daily batches and no starting queue; service is
    treated as exponential with the mean work per chart (an approximation
    unless coding times are exponential).
    """
    a = scenario.arrivals
    if target.metric not in ("p_wait", "wait_mean_minutes"):
        return ErlangEstimate(None, "not applicable (Erlang C answers p_wait and wait_mean_minutes targets)")
    if a.daily or a.backlog is not None or a.at_login_per_coder is not None or not a.per_hour:
        return ErlangEstimate(None, "not applicable (charts arrive in daily batches or a starting queue, not a Poisson stream)")
    if target.op != "<=":
        return ErlangEstimate(None, "not applicable (waiting targets are upper limits)")
    lam = sum(a.per_hour.values()) / 60  # charts per minute
    mean_work = sum(r * _work_per_chart(scenario, k) for k, r in a.per_hour.items()) / (lam * 60)
    others = [(name, t) for name, t in scenario.all_teams() if name != "coders" and t.count > 0]
    mu = _speed(scenario, scenario.coders) / mean_work  # charts per minute per coder
    for c in range(1, limit + 1):
        if lam / (c * mu) >= 1:
            continue
        value = erlang_c(c, lam, mu) if target.metric == "p_wait" else mmc_mean_wait(c, lam, mu)
        if value <= target.value:
            main = c - sum(t.count for _, t in others)
            note = "M/M/c approximation, all coders at the main team's speed"
            return ErlangEstimate(max(main, 0), note)
    return ErlangEstimate(None, f"no count up to {limit} meets the target in the M/M/c queue")
