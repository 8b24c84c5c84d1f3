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
   smallest count in the range that meets the target is the answer — near
   the estimate for targets more coders help (turnaround, backlog), at the
   bottom of the range for those more coders hurt (cost per chart, charts
   per coder-day), which the curve itself shows.

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
it, and what bounds it), still improving (widen ``--coders``) or moving the
wrong way (each coder added takes the metric further from the target, and
even the fewest tried miss it).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from sim.analysis.estimate import ErlangEstimate, Workload, erlang_estimate, workload
from sim.analysis.targets import Target, known_metrics, with_coders
from sim.runs.executor import Submitter, executing, workers_of
from sim.runs.folders import new_folder
from sim.runs.registry import fmt, lookup
from sim.runs.runner import Experiment, Results, simulate_together
from sim.runs.write import write_scenario, write_table
from sim.scenario.calendar import WEEKDAYS
from sim.scenario.config import Scenario
from sim.scenario.errors import ScenarioError
from sim.stats.summary import WILSON_LEVEL, min_reps_for_probability, wilson

Rule = Literal["bound", "probability"]
RULES: tuple[str, ...] = ("bound", "probability")
STAFFING_COLUMNS = [
    "coders", "total_coders", "mean", "ci_low", "ci_high", "ci_level", "p_met", "p_met_low", "p_met_high", "met",
]
MAIN_TEAM = "coders"  # Scenario.all_teams() name of the main team, the one the search varies


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
    ``worse`` (it moves the wrong way: each added coder takes the metric
    further from the target, and even the fewest coders tried miss it),
    ``uncertain`` (the mean meets the target, the decision rule does not yet)
    or ``unknown`` (a single count was simulated).
    """

    kind: Literal["flat", "improving", "worse", "uncertain", "unknown"]
    text: str
    per_coder: float = math.nan  # favourable change of the mean per added coder at the top of the range (< 0: worse)
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
    if len(counts) >= 2 and _favourable(target, points[top].mean - points[counts[-2]].mean) < 0 < _favourable(
            target, points[counts[0]].mean - points[top].mean):
        return _worse(result)  # more coders make it worse, and the fewest tried did better than the most
    p = points[top]
    gap = _favourable(target, target.value - p.mean)  # favourable change still needed by the mean
    if not math.isnan(p.mean) and gap <= 0:
        return Shortfall("uncertain", (
            f"at {top} main-team coders the mean ({_num(p.mean, target.metric)}) meets {target} but not with "
            f"{result.confidence:.0%} confidence; run more replications (--reps) or widen --coders beyond {hi}"))
    if len(counts) < 2 or math.isnan(p.mean):
        return Shortfall("unknown", f"only {top} main-team coders were simulated; widen --coders (e.g. {lo}..{2 * hi + 2})")
    below = counts[-2]
    step = _favourable(target, p.mean - points[below].mean) / (top - below)
    u = p.replications["utilisation"].mean() if "utilisation" in p.replications else math.nan
    idle = f"; utilisation is {u:.0%} at {top}" if not math.isnan(u) else ""
    if step <= 0 or gap / step > max(top, 1):
        rate = _num(abs(step), target.metric)
        moved = (f"{rate} per added coder" if step > 0 else f"the wrong way, by {rate} per added coder" if step < 0
                 else "not at all") + f" between {below} and {top} main-team coders"
        return Shortfall("flat", (
            f"the curve is flat: {target.metric} moves {moved}{idle}, so more coders will not meet {target}. "
            f"It is bounded by {'; and by '.join(_floors(result.scenario, target.metric))}"), step)
    more = math.ceil(gap / step)
    return Shortfall("improving", (
        f"still improving at the top of the range ({_num(step, target.metric)} per added coder between {below} "
        f"and {top}); at that rate about {more} more would be needed — widen --coders (e.g. {lo}..{hi + 2 * more})"),
        step, more)


def _worse(result: Staffing) -> Shortfall:
    """The curve moves the wrong way: judged at the fewest coders tried, where the metric is nearest the target."""
    target, points = result.target, result.points
    counts = sorted(points)
    (first, second), (below, top) = counts[:2], counts[-2:]
    at_top = _favourable(target, points[top].mean - points[below].mean) / (top - below)
    p = points[first]
    worse = (f"the curve moves the wrong way: {target.metric} gets worse as coders are added, by "
             f"{_num(-at_top, target.metric)} per added coder between {below} and {top} main-team coders, "
             f"so more coders will not meet {target}")
    if _favourable(target, target.value - p.mean) <= 0:
        return Shortfall("uncertain", (
            f"{worse}; at {first}, the fewest tried, the mean ({_num(p.mean, target.metric)}) meets it but not with "
            f"{result.confidence:.0%} confidence; run more replications (--reps)"), at_top)
    fewest = f"{worse}; even {first} main-team coders, the fewest in --coders, miss it (mean {_num(p.mean, target.metric)})"
    at_bottom = _favourable(target, points[second].mean - p.mean) / (second - first)
    if first > (0 if result.fixed_teams else 1) and at_bottom < 0:  # fewer still do better, and fewer are possible
        fewer = math.ceil(_favourable(target, target.value - p.mean) / -at_bottom)
        return Shortfall("worse", (
            f"{fewest}; fewer might: at the rate between {first} and {second} about {fewer} fewer would be needed "
            f"— widen --coders below {first}"), at_top)
    return Shortfall("worse", f"{fewest}, and fewer do no better", at_top)


def _favourable(target: Target, change: float) -> float:
    """``change`` in the target's metric, positive when it moves towards meeting the target (NaN stays NaN)."""
    return change if target.op == ">=" else -change


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
    width: int = 1,
) -> Staffing:
    """The smallest main-team count in ``coders`` that meets ``target``; see the module docstring.

    ``width`` counts are tried at each step of the search. The counts tried,
    hence the rows of ``staffing.csv``, depend on it and never on the
    workers or the cluster, which share each step's replications: the same
    rows on any machine. A wider step finishes sooner where the workers
    outnumber what one count's replications keep busy, and may try a few
    more counts.

    From the analytic estimate, step down while the count below still meets
    the target; otherwise gallop upwards (+1, +2, +4, …) to the first count
    that meets it and bisect back. A target that more coders make worse
    (``cost_per_chart <=``, ``charts_per_coder_day >=``) is met, if at all, by
    the fewest coders: when a step from the estimate shows the mean moving
    away from the target as coders are added, the bottom of the range is
    tried next, and it is tried in any case before saying no count meets.
    Bisection relies on the metric being monotone in the count (either way),
    which common random numbers make hold sample by sample in practice; every
    evaluated count is kept and a curve met, missed and met again (or the
    reverse) is reported in ``notes``.
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

        def worse(a: int, b: int) -> bool:
            return _favourable(target, points[b].mean - points[a].mean) < 0

        answer = _search(met, lo, hi, start, width=width, worse=worse)
        if answer is None and hi - 1 >= lo:
            met([hi - 1])  # the slope at the top of the range tells a flat curve from one still improving

    notes = []
    ran = [points[n].met for n in sorted(points)]
    if sum(a != b for a, b in zip(ran, ran[1:])) > 1:  # met, then not, then met again (or the reverse)
        notes.append(f"the target is not monotone in the coder count (met at {sorted(n for n, p in points.items() if p.met)}, "
                     f"not at {sorted(n for n, p in points.items() if not p.met)}); the answer may not be the smallest")
    if base.arrivals.at_login_per_coder is not None:
        notes.append("the starting queue grows with the coder count (arrivals.at_login_per_coder); use arrivals.backlog to hold it fixed")
    if any(t.skills is not None for _, t in base.all_teams()):
        notes.append("the analytic estimate pools skills; teams that code only some chart types may need more")
    return Staffing(
        scenario=base, target=target, rule=rule, confidence=confidence, reps=reps, seed=seed,
        coder_range=(lo, hi), workload=load, erlang=erl, start=start, points=points, answer=answer, notes=notes,
    )


def _search(
    met: Callable[[list[int]], dict[int, bool]], lo: int, hi: int, start: int, width: int = 1,
    worse: Callable[[int, int], bool] | None = None,
) -> int | None:
    """The smallest count in [lo, hi] with ``met``, for targets more coders help or more coders hurt.

    Where more coders help (met from some count up: turnaround, backlog), step down from ``start`` while
    the count below meets, or gallop up and bisect. Where they hurt (met up to some count: cost per
    chart, charts per coder-day), the answer is the fewest coders that meet, so those are tried first:
    ``worse(a, b)`` says whether the target's mean is further from the target at ``b`` coders than at
    ``a`` (both simulated), and when the first step up or down from ``start`` shows fewer coders doing
    better the search tries the bottom of the range. If nothing at or above ``start`` meets, the bottom
    is tried in any case, so a curve monotone in either direction is answered right whatever ``worse``
    says; it only saves simulations.

    ``width`` counts are tried at once at each step: the next counts down, the next gallop points, the
    lowest counts, or points spread evenly through the bracket. With width 1 this is the plain
    step-down, gallop and bisection.
    """
    hurts = worse or (lambda a, b: False)
    if met([start])[start]:
        answer = start
        while answer > lo:
            below = list(range(answer - 1, max(lo, answer - width) - 1, -1))
            outcome = met(below)
            for n in below:
                if not outcome[n]:
                    return answer
                answer = n
            if answer > lo and hurts(below[0], below[0] + 1):  # fewer coders did better: the fewest first
                return _fewest(met, lo, answer, width, answer)
        return answer
    failed, step, turned = start, 1, False
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
        if not turned and hurts(start, ups[0]):  # more coders made it worse: the fewest first, then on up
            turned = True
            if (answer := _fewest(met, lo, start, width)) is not None:
                return answer
    return None if turned else _fewest(met, lo, start, width)


def _fewest(met: Callable[[list[int]], dict[int, bool]], lo: int, top: int, width: int, ok: int | None = None
            ) -> int | None:
    """The smallest count in [lo, top) with ``met``, the fewest tried first (``width`` counts up from ``lo``).

    When none of those meets, ``ok`` (a count at or above ``top`` known to meet, if any) is bisected down
    to them; without it there is no answer below ``top``.
    """
    probes = list(range(lo, min(lo + width, top)))
    if not probes:
        return ok
    outcome = met(probes)
    for n in probes:
        if outcome[n]:
            return n
    return _bisect(met, probes[-1], ok, width) if ok is not None else None


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
