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
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from sim.metrics import metric_names as known_metrics
from sim.output import new_folder, write_scenario, write_table
from sim.runner import run
from sim.scenario import WEEKDAYS, Scenario, ScenarioError
from sim.theory import erlang_c, mmc_mean_wait

Rule = Literal["bound", "probability"]
RULES: tuple[str, ...] = ("bound", "probability")
WILSON_LEVEL = 0.95  # two-sided level of the Wilson interval on P(target met)
STAFFING_COLUMNS = ["coders", "mean", "ci_low", "ci_high", "p_met", "p_met_low", "p_met_high", "met"]
SHOWN = [
    "backlog_mean", "backlog_end", "turnaround_mean_days", "turnaround_p95_days", "share_within_target",
    "utilisation", "overtime_hours", "labour_cost", "cost_per_chart",
]


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

    work_per_workday: float  # minutes of work arriving per working day (queries included)
    productive_minutes: float  # per coder-day: shift − breaks − billing questions
    other_capacity: float  # minutes per working day the other teams supply
    main_speed: float  # speed of one main-team coder
    workdays: int

    @property
    def coders(self) -> float:
        """Main-team coders at which utilisation reaches 1."""
        return max(0.0, (self.work_per_workday - self.other_capacity) / (self.main_speed * self.productive_minutes))

    @property
    def minimum(self) -> int:
        """The fewest main-team coders that can keep up on average."""
        return math.ceil(self.coders - 1e-9)


def _work_per_chart(scenario: Scenario, kind: str) -> float:
    spec = scenario.chart_types[kind]
    q = spec.query
    return spec.coding_time.mean_minutes() + q.probability * (
        q.writing_time.mean_minutes() + q.completion_time.mean_minutes()
    )


def expected_charts(scenario: Scenario) -> dict[str, float]:
    """Expected charts of each type over the horizon (see Scenario.expected_charts)."""
    return scenario.expected_charts()


def workload(scenario: Scenario) -> Workload:
    """Work arriving per working day and what one coder-day can do (skills are pooled)."""
    first = WEEKDAYS.index(scenario.start_weekday)
    workdays = {WEEKDAYS.index(d) for d in scenario.shift.workdays}
    n_workdays = sum((first + d) % 7 in workdays for d in range(scenario.days))
    total = sum(n * _work_per_chart(scenario, k) for k, n in expected_charts(scenario).items())
    shift = scenario.shift.end_min - scenario.shift.start_min
    questions = scenario.interruptions.per_day * scenario.interruptions.duration.mean_minutes()
    productive = max(shift - sum(b.minutes for b in scenario.breaks) - questions, 1e-9)
    others = sum(_speed(scenario, t) * t.count for name, t in scenario.all_teams() if name != "coders")
    return Workload(
        work_per_workday=total / max(n_workdays, 1),
        productive_minutes=productive,
        other_capacity=others * productive,
        main_speed=_speed(scenario, scenario.coders),
        workdays=n_workdays,
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
    return max(0.0, (centre - half) / denom), min(1.0, (centre + half) / denom)


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

    def rule_text(self) -> str:
        c = f"{self.confidence:.0%}"
        if self.rule == "bound":
            side = "upper" if self.target.op == "<=" else "lower"
            return f"bound: the one-sided {c} {side} confidence bound of the mean must meet the target"
        return f"probability: P(target met) ≥ {c}, judged on the lower end of the {WILSON_LEVEL:.0%} Wilson interval"

    def table(self) -> pd.DataFrame:
        """The staffing curve: one row per simulated count (``staffing.csv``)."""
        rows = [{c: getattr(p, c) for c in STAFFING_COLUMNS} for _, p in sorted(self.points.items())]
        return pd.DataFrame(rows, columns=STAFFING_COLUMNS)


def evaluate(
    scenario: Scenario, n: int, target: Target, reps: int, seed: int, confidence: float, rule: Rule, workers: int = 1
) -> Point:
    """Simulate ``n`` main-team coders and decide whether the target is met."""
    s = with_coders(scenario, n)
    results = run(s, reps=reps, seed=seed, workers=workers, keep_charts=False)
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

    def met(n: int) -> bool:
        if n not in points:
            points[n] = evaluate(base, n, target, reps, seed, confidence, rule, workers)
            if progress:
                progress(n, points[n])
        return points[n].met

    answer: int | None
    if met(start):
        answer = start
        while answer > lo and met(answer - 1):
            answer -= 1
    else:
        failed, step, answer = start, 1, None
        while failed < hi:
            n = min(failed + step, hi)
            if met(n):
                answer = n
                break
            failed, step = n, step * 2
        if answer is not None:
            while answer - failed > 1:
                mid = (answer + failed) // 2
                if met(mid):
                    answer = mid
                else:
                    failed = mid
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


# ---------------------------------------------------------------- output folder


def write_staffing(result: Staffing, out: Path) -> Path:
    """Write the staffing curve and everything needed to re-report it into the new folder ``out``.

    ``staffing.csv`` (one row per count: coders, mean, ci_low, ci_high, p_met,
    p_met_low, p_met_high, met), ``staffing_metrics.csv`` (every metric's
    summary per count), ``staffing_replications.csv``, ``staffing.json`` (the
    question and the answer) and ``scenario.yaml``.
    """
    with new_folder(out) as tmp:
        write_table(result.table(), tmp / "staffing.csv")
        ordered = [p for _, p in sorted(result.points.items())]
        write_table(
            pd.concat([p.summary.assign(coders=p.coders) for p in ordered], ignore_index=True),
            tmp / "staffing_metrics.csv",
        )
        write_table(pd.concat([p.replications for p in ordered], ignore_index=True), tmp / "staffing_replications.csv")
        meta = {
            "scenario": result.scenario.name,
            "target": str(result.target),
            "rule": result.rule,
            "rule_text": result.rule_text(),
            "confidence": result.confidence,
            "ci_level_two_sided": 2 * result.confidence - 1,
            "wilson_level": WILSON_LEVEL,
            "replications": result.reps,
            "seed": result.seed,
            "coder_range": list(result.coder_range),
            "varied": "coders.count (main team)",
            "answer": result.answer,
            "answer_total_coders": result.points[result.answer].total_coders if result.answer is not None else None,
            "analytic": {**asdict(result.workload), "coders": result.workload.coders, "minimum": result.workload.minimum},
            "erlang_c": asdict(result.erlang),
            "notes": result.notes,
        }
        (tmp / "staffing.json").write_text(json.dumps(meta, indent=2) + "\n")
        write_scenario(result.scenario, tmp / "scenario.yaml")
    return Path(out)
