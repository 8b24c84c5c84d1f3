"""How many coders? An analytic estimate, then a simulated search.

A coding manager asks "how many coders do I need so that 95 % of charts are
coded within three days?". The answer comes in two steps:

1. **Analytic estimate.** The work that arrives per working day (charts ×
   mean minutes per chart, queries included) divided by the productive
   minutes of one coder-day (shift less breaks and billing questions) is the
   number of coders at which utilisation reaches 1: fewer can never keep up.
   When charts arrive as a Poisson stream during the day (``per_hour``) and
   the target is a waiting metric, Erlang's C formula for the M/M/c queue
   (Gross & Harris §2.3) gives a sharper estimate.
2. **Simulated search.** Around that estimate the main team's ``coders.count``
   is varied through the scenario's own override mechanism, each count
   simulated with the same seed (common random numbers: the same charts and
   draws for every count, so the metric moves smoothly with the count). The
   smallest count in the range that meets the target is the answer.

"Meets the target with confidence c" is decided by one of two rules:

- ``bound``: the unfavourable one-sided c-confidence bound of the metric's
  mean over replications meets the target (Student t; Law §9.4.1). For
  ``<=`` that is the upper bound, for ``>=`` the lower one.
- ``probability``: the share of replications in which the target is met is at
  least c, judged on the lower end of its 95 % Wilson score interval (Wilson
  1927), so a lucky handful of replications cannot pass.

The interval shown beside each count is the two-sided ``2c − 1`` interval of
the mean (80 % for c = 0.9): its unfavourable end is the one-sided c bound.
When no count in the range meets the target, :meth:`Staffing.shortfall` says
whether the curve is flat at the top of the range (more coders will not fix
it, and what bounds it) or still improving (widen ``--coders``).
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from sim.calendar import WEEKDAYS, Calendar
from sim.executor import Submitter, executing, workers_of
from sim.folders import new_folder
from sim.model.absence import expected_share
from sim.output import write_scenario, write_table
from sim.registry import fmt, lookup, scenario_metrics
from sim.runner import Experiment, Results, simulate_together
from sim.scenario import Scenario, ScenarioError
from sim.theory import erlang_c, mmc_mean_wait

Rule = Literal["bound", "probability"]
RULES: tuple[str, ...] = ("bound", "probability")
WILSON_LEVEL = 0.95  # two-sided level of the Wilson interval on P(target met)
STAFFING_COLUMNS = [
    "coders", "total_coders", "mean", "ci_low", "ci_high", "ci_level", "p_met", "p_met_low", "p_met_high", "met",
]
MAX_ABSENT_SHARE = 0.95  # cap on the expected absent share, so capacity never reaches 0
MAIN_TEAM = "coders"  # Scenario.all_teams() name of the main team, the one the search varies


def known_metrics(scenario: Scenario) -> list[str]:
    """Every metric a run of this scenario reports (names usable in ``--target``; see sim.registry)."""
    return [m.name for m in scenario_metrics(scenario)]


def shown_metrics(scenario: Scenario, target: str) -> list[str]:
    """The metrics compared at N and N−1: the target's, then the registry's headline metrics that have a better direction."""
    rest = [m.name for m in scenario_metrics(scenario) if m.headline and m.better and m.name != target]
    return [target, *rest]


# ---------------------------------------------------------------- targets


@dataclass(frozen=True)
class Target:
    """``metric op value``, e.g. ``turnaround_p95_days <= 3``."""

    metric: str
    op: Literal["<=", ">="]
    value: float

    def met(self, x: np.ndarray | float) -> np.ndarray:
        """Element-wise: does ``x`` meet the target? NaN (not observed) never does."""
        x = np.asarray(x, dtype=float)
        with np.errstate(invalid="ignore"):
            ok = x <= self.value if self.op == "<=" else x >= self.value
        return ok & ~np.isnan(x)

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.value:g}"


_TARGET = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(<=|>=)\s*([-+0-9.eE]+)\s*$")


def parse_target(text: str, known: list[str]) -> Target:
    """'turnaround_p95_days <= 3' → Target; a one-line ScenarioError otherwise."""
    m = _TARGET.match(text)
    if not m:
        raise ScenarioError(f"--target: expected 'METRIC <= VALUE' or 'METRIC >= VALUE' (got {text!r})")
    metric, op, number = m.groups()
    if metric not in known:
        raise ScenarioError(f"--target: unknown metric {metric!r} (known: {', '.join(known)})")
    try:
        value = float(number)
    except ValueError:
        raise ScenarioError(f"--target: {number!r} is not a number") from None
    if not math.isfinite(value):
        raise ScenarioError(f"--target: the value must be a finite number (got {number!r})")
    return Target(metric, op, value)  # type: ignore[arg-type]


def parse_coders(text: str) -> tuple[int, int]:
    """'2..30' → (2, 30); '8' → (8, 8). Counts of the main team."""
    m = re.fullmatch(r"\s*(\d+)\s*(?:\.\.\s*(\d+)\s*)?", text)
    if not m:
        raise ScenarioError(f"--coders: expected a range like 2..30 (got {text!r})")
    lo = int(m.group(1))
    hi = int(m.group(2)) if m.group(2) is not None else lo
    if lo > hi:
        raise ScenarioError(f"--coders: the range {lo}..{hi} is empty (the first number must not exceed the second)")
    if hi > 10_000:
        raise ScenarioError(f"--coders: at most 10000 coders (got {hi})")
    return lo, hi


def with_coders(scenario: Scenario, n: int) -> Scenario:
    """The scenario with ``coders.count = n`` and without its what-ifs (same override path as variants)."""
    try:
        return scenario.with_changes({"coders.count": n}, "--coders")
    except ScenarioError as exc:
        reason = str(exc).removeprefix("--coders: ")
        raise ScenarioError(f"--coders: {n} coders is not a valid scenario ({reason})") from None


# ---------------------------------------------------------------- analytic estimate


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


def wilson(successes: int, n: int, level: float = WILSON_LEVEL) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (Wilson 1927)."""
    if n == 0:
        return math.nan, math.nan
    z = float(stats.norm.ppf(0.5 + level / 2))
    p = successes / n
    centre = p + z * z / (2 * n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    denom = 1 + z * z / n
    low = 0.0 if successes == 0 else max(0.0, (centre - half) / denom)  # exact ends, no rounding residue
    high = 1.0 if successes == n else min(1.0, (centre + half) / denom)
    return low, high


def min_reps_for_probability(confidence: float, level: float = WILSON_LEVEL) -> int:
    """Fewest replications whose Wilson lower bound can reach ``confidence`` (all replications meeting it)."""
    z = float(stats.norm.ppf(0.5 + level / 2))
    return math.ceil(confidence * z * z / (1 - confidence) - 1e-9)


# ---------------------------------------------------------------- simulated search


@dataclass
class Point:
    """One coder count, simulated: the target metric's statistics and the decision."""

    coders: int
    total_coders: int
    mean: float
    ci_low: float  # one-sided `confidence` bounds on either side
    ci_high: float
    p_met: float
    p_met_low: float
    p_met_high: float
    met: bool
    replications: pd.DataFrame = field(repr=False)
    summary: pd.DataFrame = field(repr=False)


@dataclass
class Staffing:
    """The outcome of a staffing search."""

    scenario: Scenario
    target: Target
    rule: Rule
    confidence: float
    reps: int
    seed: int
    coder_range: tuple[int, int]
    workload: Workload
    erlang: ErlangEstimate
    start: int
    points: dict[int, Point]
    answer: int | None
    notes: list[str]

    @property
    def ci_level(self) -> float:
        """Two-sided level of the interval shown beside each count (its ends are one-sided ``confidence`` bounds)."""
        return 2 * self.confidence - 1

    def ci_text(self) -> str:
        """What the interval beside each count is, with its real level."""
        side = "upper" if self.target.op == "<=" else "lower"
        return (f"{self.ci_level:.0%} two-sided t interval of the mean over {self.reps} replications; "
                f"its {side} end is the one-sided {self.confidence:.0%} bound")

    @property
    def fixed_teams(self) -> dict[str, int]:
        """The teams the search does not vary, by name, with their coder counts."""
        return fixed_teams(self.scenario)

    def headcount(self, n: int) -> str:
        """'5 main team + 3 specialists + 2 outpatient = 10 coders' for ``n`` main-team coders."""
        return headcount_text(n, self.fixed_teams)

    def shortfall(self) -> Shortfall | None:
        """Why no count in the range meets the target (None when one does)."""
        if self.answer is not None:
            return None
        return shortfall(self)

    def rule_text(self) -> str:
        c = f"{self.confidence:.0%}"
        if self.rule == "bound":
            side = "upper" if self.target.op == "<=" else "lower"
            return f"bound: the one-sided {c} {side} confidence bound of the mean must meet the target"
        return f"probability: P(target met) ≥ {c}, judged on the lower end of the {WILSON_LEVEL:.0%} Wilson interval"

    def table(self) -> pd.DataFrame:
        """The staffing curve: one row per simulated count (``staffing.csv``).

        ``coders`` is the main team, ``total_coders`` everyone (fixed teams
        included); ``ci_low``–``ci_high`` is the two-sided ``ci_level``
        interval of the mean.
        """
        rows = [{c: self.ci_level if c == "ci_level" else getattr(p, c) for c in STAFFING_COLUMNS}
                for _, p in sorted(self.points.items())]
        return pd.DataFrame(rows, columns=STAFFING_COLUMNS)


def fixed_teams(scenario: Scenario) -> dict[str, int]:
    """Coder counts of every team but the main one, by team name."""
    return {name.removeprefix("coders.teams."): t.count for name, t in scenario.all_teams() if name != MAIN_TEAM}


def headcount_text(n: int, teams: dict[str, int]) -> str:
    """Total headcount by team: '5 main team + 3 specialists = 8 coders' (just '5 coders' without other teams)."""
    if not teams:
        return f"{n} coder{'s' if n != 1 else ''}"
    total = n + sum(teams.values())
    parts = [f"{n} main team", *(f"{c} {name}" for name, c in teams.items())]
    return f"{' + '.join(parts)} = {total} coder{'s' if total != 1 else ''}"


# ---------------------------------------------------------------- when no count meets the target


@dataclass(frozen=True)
class Shortfall:
    """Why the searched range holds no answer.

    ``kind``: ``flat`` (adding coders hardly moves the metric at the top of
    the range), ``improving`` (it still moves: a wider range may meet it),
    ``uncertain`` (the mean meets the target, the decision rule does not yet)
    or ``unknown`` (a single count was simulated).
    """

    kind: Literal["flat", "improving", "uncertain", "unknown"]
    text: str
    per_coder: float = math.nan  # favourable change of the mean per added coder at the top of the range
    more_coders: int | None = None  # coders beyond the range at that rate (improving only)


def _floors(scenario: Scenario, metric: str) -> list[str]:
    """What, besides coder capacity, keeps ``metric`` where it is (plain words, for a flat curve)."""
    out = []
    days_like = metric.startswith(("turnaround_", "backlog_")) or metric in (
        "share_within_target", "on_hold_end", "share_open_end")
    wait_like = metric.startswith("wait_") or metric in ("p_wait", "share_started_within_target")
    expected = scenario.expected_charts()
    total = sum(expected.values())
    queried = sum(n * scenario.chart_types[k].query.probability for k, n in expected.items()) / total if total else 0.0
    if days_like and queried > 0:
        delay = scenario.queries.answer_delay.mean_minutes() / 60
        when = " counted in physician working hours" if scenario.queries.physician_hours else ""
        amount = f"{delay / 24:.1f} days" if delay >= 48 else f"{delay:.0f} hours"
        out.append(f"the physician's answer to a query (mean {amount}{when}), which {queried:.0%} of charts wait for")
    shift = scenario.shift
    off_days = [d for d in WEEKDAYS if d not in shift.workdays]
    if (days_like or wait_like) and (off_days or shift.end_min - shift.start_min < 24 * 60):
        hours = f"outside {shift.start}–{shift.end}" + (f" and on {', '.join(off_days)}" if off_days else "")
        out.append(f"the wait for the next shift of charts that arrive when no coder works ({hours})")
    if metric in ("charts_per_coder_day", "utilisation", "cost_per_chart", "labour_cost") or (
        metric.startswith("coded_") and metric.endswith("_per_coder_day")
    ):
        out.append("the work that arrives: more coders share the same charts, so output per coder falls "
                   "and cost per chart rises with every coder added")
    if metric in ("overtime_hours", "after_shift_minutes", "paid_minutes"):
        out.append("each coder's own day: the chart in hand at shift end, and overtime granted to every coder")
    return out or ["something other than the number of coders (the scenario's delays, calendar or arrival pattern)"]


def shortfall(result: Staffing) -> Shortfall:
    """Classify an unmet search by the curve's slope at the top of the range (see :class:`Shortfall`)."""
    target, points = result.target, result.points
    lo, hi = result.coder_range
    counts = sorted(points)
    top = counts[-1]
    p = points[top]
    sign = 1.0 if target.op == ">=" else -1.0
    gap = sign * (target.value - p.mean)  # favourable change still needed by the mean
    if not math.isnan(p.mean) and gap <= 0:
        return Shortfall("uncertain", (
            f"at {top} main-team coders the mean ({_num(p.mean, target.metric)}) meets {target} but not with "
            f"{result.confidence:.0%} confidence; run more replications (--reps) or widen --coders beyond {hi}"))
    if len(counts) < 2 or math.isnan(p.mean):
        return Shortfall("unknown", f"only {top} main-team coders were simulated; widen --coders (e.g. {lo}..{2 * hi + 2})")
    below = counts[-2]
    step = sign * (p.mean - points[below].mean) / (top - below)
    u = p.replications["utilisation"].mean() if "utilisation" in p.replications else math.nan
    idle = f"; utilisation is {u:.0%} at {top}" if not math.isnan(u) else ""
    if step <= 0 or gap / step > max(top, 1):
        moved = (f"{_num(abs(step), target.metric)} per added coder" if step > 0 else "not at all") + \
            f" between {below} and {top} main-team coders"
        return Shortfall("flat", (
            f"the curve is flat: {target.metric} moves {moved}{idle}, so more coders will not meet {target}. "
            f"It is bounded by {'; and by '.join(_floors(result.scenario, target.metric))}"), step)
    more = math.ceil(gap / step)
    return Shortfall("improving", (
        f"still improving at the top of the range ({_num(step, target.metric)} per added coder between {below} "
        f"and {top}); at that rate about {more} more would be needed — widen --coders (e.g. {lo}..{hi + 2 * more})"),
        step, more)


def _num(value: float, metric: str) -> str:
    u = lookup(metric).unit
    text = fmt(value, metric)
    return text if u in ("share", "$", "") else f"{text} {u}"


def evaluate(
    scenario: Scenario, n: int, target: Target, reps: int, seed: int, confidence: float, rule: Rule, workers: int = 1,
    executor: Submitter | None = None,
) -> Point:
    """Simulate ``n`` main-team coders and decide whether the target is met."""
    with executing(workers, executor) as ex:
        return evaluate_many(scenario, [n], target, reps, seed, confidence, rule, ex)[n]


def evaluate_many(
    scenario: Scenario, counts: list[int], target: Target, reps: int, seed: int, confidence: float, rule: Rule,
    executor: Submitter,
) -> dict[int, Point]:
    """Simulate several main-team counts at once on ``executor``; each as if run alone (``sim.run``)."""
    started = time.perf_counter()
    experiments = {n: Experiment(with_coders(scenario, n), seed) for n in counts}
    simulate_together(list(experiments.values()), executor, reps)
    return {n: _point(e.scenario, n, e.results(workers_of(executor), False, started), target, confidence, rule)
            for n, e in experiments.items()}


def _point(s: Scenario, n: int, results: Results, target: Target, confidence: float, rule: Rule) -> Point:
    """Whether ``n`` coders meet the target, by ``rule``, from their run's replications."""
    reps_table = results.replications.drop(columns="variant").assign(coders=n)
    x = reps_table[target.metric].to_numpy(dtype=float)
    ok = target.met(x)
    mean = float(np.mean(x)) if not np.isnan(x).any() else math.nan
    if len(x) >= 2 and not math.isnan(mean):
        half = float(stats.t.ppf(confidence, len(x) - 1) * np.std(x, ddof=1) / math.sqrt(len(x)))
    else:
        half = math.nan
    low, high = mean - half, mean + half
    p_low, p_high = wilson(int(ok.sum()), len(x))
    if rule == "bound":
        bound = high if target.op == "<=" else low
        met = bool(target.met(bound))
    else:
        met = bool(p_low >= confidence)
    return Point(
        coders=n, total_coders=s.n_coders, mean=mean, ci_low=low, ci_high=high,
        p_met=float(ok.mean()), p_met_low=p_low, p_met_high=p_high, met=met,
        replications=reps_table, summary=results.summary.drop(columns="variant"),
    )


def search(
    scenario: Scenario,
    target: Target,
    coders: tuple[int, int] = (1, 60),
    confidence: float = 0.9,
    rule: Rule = "bound",
    reps: int = 30,
    seed: int = 0,
    workers: int = 1,
    progress: Callable[[int, Point], None] | None = None,
    executor: Submitter | None = None,
) -> Staffing:
    """The smallest main-team count in ``coders`` that meets ``target``; see the module docstring.

    From the analytic estimate, step down while the count below still meets
    the target; otherwise gallop upwards (+1, +2, +4, …) to the first count
    that meets it and bisect back. Bisection relies on the metric being
    monotone in the count, which common random numbers make hold sample by
    sample in practice; every evaluated count is kept and any count that
    breaks monotonicity is reported in ``notes``.
    """
    if not 0 < confidence < 1:
        raise ScenarioError(f"--confidence: must be between 0 and 1, exclusive (got {confidence:g})")
    if rule not in RULES:
        raise ScenarioError(f"--rule: must be one of {', '.join(RULES)} (got {rule!r})")
    if rule == "bound" and reps < 2:
        raise ScenarioError("--reps: the bound rule needs at least 2 replications for a confidence bound")
    if rule == "probability" and reps < min_reps_for_probability(confidence):
        need = min_reps_for_probability(confidence)
        raise ScenarioError(
            f"--reps: with --rule probability and --confidence {confidence:g} at least {need} replications are "
            f"needed (the {WILSON_LEVEL:.0%} Wilson lower bound of {reps}/{reps} is below {confidence:g})"
        )
    if target.metric not in known_metrics(scenario):
        raise ScenarioError(f"--target: unknown metric {target.metric!r} (known: {', '.join(known_metrics(scenario))})")
    lo, hi = coders
    base = scenario.model_copy(update={"variants": {}, "sweeps": {}})
    with_coders(base, lo), with_coders(base, hi)  # refuse an impossible range before simulating anything
    load = workload(base)
    erl = erlang_estimate(base, target)
    estimate = erl.coders if erl.coders is not None else load.minimum
    start = min(max(estimate, lo), hi)
    points: dict[int, Point] = {}
    with executing(workers, executor) as ex:  # one pool (or cluster) for every count tried

        def met(counts: list[int]) -> dict[int, bool]:
            new = [n for n in counts if n not in points]
            if new:
                points.update(evaluate_many(base, new, target, reps, seed, confidence, rule, ex))
                for n in new:
                    if progress:
                        progress(n, points[n])
            return {n: points[n].met for n in counts}

        answer = _search(met, lo, hi, start, width=workers_of(ex))
        if answer is None and hi - 1 >= lo:
            met([hi - 1])  # the slope at the top of the range tells a flat curve from one still improving

    notes = []
    bad = [n for n, p in points.items() if answer is not None and ((n < answer and p.met) or (n > answer and not p.met))]
    if bad:
        notes.append(f"the target is not monotone in the coder count at {sorted(bad)}; the answer may not be the smallest")
    if base.arrivals.at_login_per_coder is not None:
        notes.append("the starting queue grows with the coder count (arrivals.at_login_per_coder); use arrivals.backlog to hold it fixed")
    if any(t.skills is not None for _, t in base.all_teams()):
        notes.append("the analytic estimate pools skills; teams that code only some chart types may need more")
    return Staffing(
        scenario=base, target=target, rule=rule, confidence=confidence, reps=reps, seed=seed,
        coder_range=(lo, hi), workload=load, erlang=erl, start=start, points=points, answer=answer, notes=notes,
    )


def _search(met: Callable[[list[int]], dict[int, bool]], lo: int, hi: int, start: int, width: int = 1) -> int | None:
    """The smallest count in [lo, hi] with ``met``: step down from ``start``, or gallop up and bisect.

    ``width`` counts are tried at once at each step (as many as the executor
    runs side by side): the next counts down, the next gallop points, or
    points spread evenly through the bracket. With width 1 this is the plain
    step-down, gallop and bisection.
    """
    if met([start])[start]:
        answer = start
        while answer > lo:
            below = list(range(answer - 1, max(lo, answer - width) - 1, -1))
            outcome = met(below)
            for n in below:
                if not outcome[n]:
                    return answer
                answer = n
        return answer
    failed, step = start, 1
    while failed < hi:
        ups, n = [], failed
        while len(ups) < width and n < hi:
            n = min(n + step, hi)
            ups.append(n)
            step *= 2
        outcome = met(ups)
        for n in ups:
            if outcome[n]:
                return _bisect(met, failed, n, width)
            failed = n
    return None


def _bisect(met: Callable[[list[int]], dict[int, bool]], failed: int, ok: int, width: int) -> int:
    """The smallest count in (failed, ok] with ``met``, given ``ok`` meets it: ``width`` probes a step."""
    while ok - failed > 1:
        m = min(width, ok - failed - 1)
        probes = sorted({failed + (i + 1) * (ok - failed) // (m + 1) for i in range(m)})
        outcome = met(probes)
        for n in probes:
            if outcome[n]:
                ok = n
                break
            failed = n
    return ok


# ---------------------------------------------------------------- output folder


def _plain(d: dict) -> dict:
    """NaN as null, so staffing.json stays valid JSON."""
    return {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in d.items()}


def write_staffing(result: Staffing, out: Path) -> Path:
    """Write the staffing curve and everything needed to re-report it into the new folder ``out``.

    ``staffing.csv`` (one row per count: coders (main team), total_coders,
    mean, ci_low, ci_high, ci_level (two-sided), p_met, p_met_low, p_met_high, met), ``staffing_metrics.csv`` (every metric's
    summary per count), ``staffing_replications.csv``, ``staffing.json`` (the
    question and the answer) and ``scenario.yaml``.
    """
    with new_folder(out) as tmp:
        write_staffing_files(result, tmp)
    return Path(out)


def write_staffing_files(result: Staffing, folder: Path) -> None:
    """Write the files of :func:`write_staffing` into an existing folder (one claimed before the search)."""
    write_table(result.table(), folder / "staffing.csv")
    ordered = [p for _, p in sorted(result.points.items())]
    write_table(
        pd.concat([p.summary.assign(coders=p.coders) for p in ordered], ignore_index=True),
        folder / "staffing_metrics.csv",
    )
    write_table(pd.concat([p.replications for p in ordered], ignore_index=True), folder / "staffing_replications.csv")
    meta = {
        "scenario": result.scenario.name,
        "target": str(result.target),
        "rule": result.rule,
        "rule_text": result.rule_text(),
        "confidence": result.confidence,
        "ci_level_two_sided": result.ci_level,
        "ci_text": result.ci_text(),
        "wilson_level": WILSON_LEVEL,
        "replications": result.reps,
        "seed": result.seed,
        "coder_range": list(result.coder_range),
        "varied": "coders.count (main team)",
        "fixed_teams": result.fixed_teams,
        "answer": result.answer,
        "answer_total_coders": result.points[result.answer].total_coders if result.answer is not None else None,
        "answer_headcount": result.headcount(result.answer) if result.answer is not None else None,
        "shortfall": _plain(asdict(short)) if (short := result.shortfall()) is not None else None,
        "analytic": {**asdict(result.workload), "coders": result.workload.coders, "minimum": result.workload.minimum},
        "erlang_c": asdict(result.erlang),
        "notes": result.notes,
    }
    (folder / "staffing.json").write_text(json.dumps(meta, indent=2) + "\n")
    write_scenario(result.scenario, folder / "scenario.yaml")
