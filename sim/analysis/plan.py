"""The cheapest plan that meets the targets: levers searched, the answer decided statistically.

A coding manager has several levers at once — coders per team, their level,
overtime, a share of charts sent to a vendor — each with a price, and wants
the cheapest combination that keeps turnaround (and DNFB, …) within target
with stated confidence. ``find_plan`` answers in three steps:

1. **Screen.** Every combination of the levers' values (sim.scenario.levers) is
   simulated for ``reps`` replications with common random numbers: plan p's
   replication r sees the same charts as every other plan's, so differences
   between plans are not noise. Each target is judged on the one-sided
   ``confidence`` bound of its mean (Student t; Law §9.4.1): ``yes`` when
   the unfavourable bound meets it, ``no`` when even the favourable bound
   does not, ``unclear`` in between.
2. **Resolve.** In order of the screened objective, the cheapest plans not
   ruled out get more replications, a batch at a time, until ``candidates``
   of them are known feasible (each target's unfavourable bound meets it)
   or the budget ``max_reps`` is spent.
3. **Select.** The feasible candidates go through KN++ (Kim & Nelson 2006;
   the ``select`` machinery of sim.analysis.selection): the plan chosen is the
   cheapest with probability at least 1 − ``alpha`` whenever it is cheaper
   than the others by ``delta`` or more. Its feasibility is checked again on
   every replication it then has; if it no longer holds, it leaves and KN++
   runs again among the rest.

The search's noisy screening scores never decide the answer; they only order
the work. Replication r is the same whenever and wherever it runs, so the
answer does not depend on the worker count or the executor.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from sim.analysis.plan_resume import Replay
from sim.analysis.selection import BATCH, Plan, Race
from sim.analysis.targets import Target
from sim.runs.executor import Submitter, executing, in_order, workers_of
from sim.runs.registry import lookup
from sim.runs.runner import Experiment
from sim.runs.tasks import simulate_chunk
from sim.scenario.config import Scenario
from sim.scenario.economics import Costs, team_counts
from sim.scenario.errors import ScenarioError
from sim.scenario.levers import Lever, combinations, plan_name
from sim.scenario.whatifs import set_path
from sim.stats.kn import select_best

Feasible = Literal["yes", "no", "unclear"]
CI_LEVEL = 0.95  # two-sided level of the objective's interval in plans.csv and plan.json
ENUMERATE_MAX = 500  # plans enumerated; a larger grid is searched by an optimiser
TRIALS = 60  # plans the optimiser proposes


@dataclass
class Candidate(Plan):
    """One plan: its levers, its scenario and every replication simulated for it (all metrics)."""

    levers: dict[str, Any] = field(default_factory=dict)
    tables: list[pd.DataFrame] = field(default_factory=list)
    journal: Callable[[str, int, pd.DataFrame], None] | None = None  # saves each batch taken (sim.analysis.plan_resume)

    __eq__ = object.__eq__  # a plan is itself: compared and hashed by identity, never by its tables
    __hash__ = object.__hash__

    def extend(self, table: pd.DataFrame) -> None:
        first = len(self.values)
        super().extend(table)
        self.tables.append(table)
        if self.journal is not None:
            self.journal(self.name, first, table)

    @property
    def reps(self) -> int:
        return len(self.values)

    def column(self, metric: str) -> np.ndarray:
        return np.concatenate([t[metric].to_numpy(dtype=float) for t in self.tables])

    def replications(self) -> pd.DataFrame:
        return pd.concat(self.tables, ignore_index=True)


@dataclass(frozen=True)
class Judged:
    """A target judged on a plan's replications so far."""

    target: Target
    mean: float
    bound: float  # the unfavourable one-sided bound (upper for <=, lower for >=)
    favourable: float  # the other one-sided bound
    p_met: float  # share of replications meeting the target
    status: Feasible

    def as_dict(self) -> dict[str, Any]:
        t = self.target
        return {"metric": t.metric, "op": t.op, "threshold": t.value, "mean": _num(self.mean),
                "bound": _num(self.bound), "p_met": self.p_met, "met": self.status == "yes"}


def judge(x: np.ndarray, target: Target, confidence: float) -> Judged:
    """``yes`` when the unfavourable one-sided ``confidence`` bound meets the target, ``no`` when even the
    favourable one does not, ``unclear`` otherwise (and when a value is missing or fewer than 2)."""
    n = len(x)
    p_met = float(target.met(x).mean()) if n else math.nan
    if n < 2 or np.isnan(x).any():
        mean = float(np.mean(x)) if n else math.nan
        return Judged(target, mean, math.nan, math.nan, p_met, "no" if np.isnan(x).all() else "unclear")
    mean = float(np.mean(x))
    half = float(stats.t.ppf(confidence, n - 1) * np.std(x, ddof=1) / math.sqrt(n))
    high, low = mean + half, mean - half
    bound, favourable = (high, low) if target.op == "<=" else (low, high)
    status: Feasible = "yes" if target.met(bound) else ("no" if not target.met(favourable) else "unclear")
    return Judged(target, mean, bound, favourable, p_met, status)


def feasibility(judged: list[Judged]) -> Feasible:
    if all(j.status == "yes" for j in judged):
        return "yes"
    if any(j.status == "no" for j in judged):
        return "no"
    return "unclear"


def _num(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def interval(x: np.ndarray, level: float = CI_LEVEL) -> tuple[float, float, float]:
    """Mean and two-sided ``level`` Student-t interval."""
    mean = float(np.mean(x))
    if len(x) < 2:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + level / 2, len(x) - 1) * np.std(x, ddof=1) / math.sqrt(len(x)))
    return mean, mean - half, mean + half


@dataclass
class PlanSearch:
    """What ``plan`` was asked, what it simulated and what it decided."""

    scenario: Scenario  # the base, with costs.staff_now set (hires are coders beyond it)
    levers: list[Lever]
    targets: list[Target]
    objective: str
    confidence: float
    alpha: float
    delta: float
    seed: int
    reps: int  # screening replications per plan
    max_reps: int
    plans: list[Candidate]
    invalid: dict[str, str]  # plan name → why its combination is not a valid scenario
    chosen: Candidate | None = None
    runner_up: Candidate | None = None
    runner_up_reason: str = ""
    kn_rounds: int = 0
    stopped_by_budget: bool = False
    shortfall: str = ""  # when nothing is feasible: which target binds, which lever would help
    notes: list[str] = field(default_factory=list)
    journal: Callable[[str, int, pd.DataFrame], None] | None = None

    def judged(self, plan: Candidate) -> list[Judged]:
        return [judge(plan.column(t.metric), t, self.confidence) for t in self.targets]

    def status(self, plan: Candidate) -> Feasible:
        return feasibility(self.judged(plan))

    @property
    def total_reps(self) -> int:
        return sum(p.reps for p in self.plans)

    def table(self) -> pd.DataFrame:
        """``plans.csv``: one row per plan evaluated."""
        rows = []
        for p in self.plans:
            row: dict[str, Any] = dict(p.levers)
            mean, low, high = interval(np.asarray(p.values))
            row.update(objective_mean=mean, objective_ci_low=low, objective_ci_high=high)
            for j, (mean_col, bound_col) in zip(self.judged(p), target_columns(self.targets)):
                row[mean_col] = j.mean
                row[bound_col] = j.bound
            row["feasible"] = self.status(p)
            row["reps"] = p.reps
            rows.append(row)
        columns = [lever.path for lever in self.levers] + ["objective_mean", "objective_ci_low", "objective_ci_high"]
        for pair in target_columns(self.targets):
            columns += [c for c in pair if c not in columns]
        return pd.DataFrame(rows, columns=[*columns, "feasible", "reps"])


OP_WORDS = {"<=": "le", ">=": "ge"}


def target_columns(targets: list[Target]) -> list[tuple[str, str]]:
    """Each target's ``plans.csv`` columns: its metric's mean and its own bound, in the order of ``targets``.

    ``<metric>_mean`` and ``<metric>_bound`` for the first target on a metric; a later target on the same
    metric with the other operator has a bound of its own (the lower one for ``>=``, the upper for ``<=``),
    ``<metric>_bound_ge`` or ``<metric>_bound_le``. The mean is the metric's, shared; so is the bound of
    two targets with the same operator (the same bound, against different thresholds).
    """
    first_op: dict[str, str] = {}
    out = []
    for t in targets:
        op = first_op.setdefault(t.metric, t.op)
        suffix = "" if t.op == op else f"_{OP_WORDS[t.op]}"
        out.append((f"{t.metric}_mean", f"{t.metric}_bound{suffix}"))
    return out


def plan_base(scenario: Scenario) -> Scenario:
    """The scenario the plans start from: without what-ifs, with ``costs`` on and ``staff_now`` its own counts.

    A plan's hires are its coders beyond today's staff; unless the scenario
    says who is on staff today (``costs.staff_now``), its own team counts are.
    """
    costs = scenario.costs or Costs()
    staff = costs.staff_now or team_counts(scenario)
    data = {**costs.model_dump(mode="json"), "staff_now": staff}
    return scenario.with_changes({"costs": data}, "plan")


def check_paths(base: Scenario, levers: list[Lever]) -> None:
    """A lever whose path is not a setting of the scenario is refused before anything is built."""
    data = base.model_dump(mode="json", exclude={"variants", "sweeps", "levers"})
    for lever in levers:
        set_path(data, lever.path, lever.values[0], f"--lever {lever.path}")


def build_plan(base: Scenario, combo: dict[str, Any], objective: str, seed: int, invalid: dict[str, str]
               ) -> Candidate | None:
    """One combination as a validated plan; an invalid one is noted in ``invalid`` (name → why) and None returned."""
    name = plan_name(combo)
    try:
        s = base.with_changes(combo, f"plan {name}")
    except ScenarioError as exc:
        invalid[name] = str(exc).removeprefix(f"plan {name}: ")
        return None
    return Candidate(name, s, objective, seed, 0, levers=combo)


def build_plans(base: Scenario, levers: list[Lever], objective: str, seed: int
                ) -> tuple[list[Candidate], dict[str, str]]:
    """Every combination as a validated scenario; a path that does not exist is refused at once."""
    check_paths(base, levers)
    invalid: dict[str, str] = {}
    plans = [p for combo in combinations(levers) if (p := build_plan(base, combo, objective, seed, invalid))]
    return plans, invalid


def analytic_start(base: Scenario, levers: list[Lever]) -> dict[str, Any]:
    """The optimiser's first plan: the main team at its analytic estimate (sim.analysis.staffing), other levers as the
    scenario has them (or their middle value)."""
    from sim.analysis.estimate import workload

    data = base.model_dump(mode="json")
    start = {}
    for lever in levers:
        node: Any = data
        for key in lever.path.split("."):
            node = node.get(key) if isinstance(node, dict) else None
        if lever.path == "coders.count" and all(isinstance(v, int) for v in lever.values):
            node = min(lever.values, key=lambda v: (abs(v - workload(base).minimum), v))
        start[lever.path] = node if node in lever.values else lever.values[len(lever.values) // 2]
    return start


def find_plan(
    scenario: Scenario,
    levers: list[Lever],
    targets: list[Target],
    objective: str = "total_cost",
    confidence: float = 0.9,
    reps: int = 10,
    max_reps: int = 200,
    candidates: int = 5,
    delta: float | None = None,
    alpha: float = 0.05,
    seed: int = 0,
    workers: int = 1,
    executor: Submitter | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    enumerate_max: int = ENUMERATE_MAX,
    trials: int = TRIALS,
    journal: Callable[[str, int, pd.DataFrame], None] | None = None,
    replay: dict[tuple[str, int], pd.DataFrame] | None = None,
) -> PlanSearch:
    """The cheapest plan on ``objective`` meeting every target (see the module docstring).

    Grids of up to ``enumerate_max`` plans are enumerated; above that an
    optimiser (sim.analysis.plan_optimiser) proposes ``trials`` plans to simulate.
    ``journal`` is told every batch a plan takes; ``replay`` (batches saved by
    an interrupted search, sim.analysis.plan_resume) answers those batches again
    instead of simulating them, so a resumed search takes the same path.
    """
    if not 0 < confidence < 1:
        raise ScenarioError(f"--confidence: must be between 0 and 1, exclusive (got {confidence:g})")
    if not 0 < alpha < 1:
        raise ScenarioError(f"--alpha: must be between 0 and 1, exclusive (got {alpha:g})")
    if reps < 2 or reps % BATCH:
        raise ScenarioError(f"--reps: a multiple of {BATCH}, at least {BATCH} (got {reps})")
    if max_reps < reps:
        raise ScenarioError(f"--max-reps: at least --reps ({reps}) (got {max_reps})")
    if candidates < 1:
        raise ScenarioError(f"--candidates: at least 1 (got {candidates})")
    if delta is not None and not delta > 0:
        raise ScenarioError(f"--delta: the indifference zone must be above 0 (got {delta:g})")
    if not targets:
        raise ScenarioError("--target: at least one target, e.g. 'turnaround_p95_days <= 3'")
    if lookup(objective).better == "higher":
        raise ScenarioError(f"--minimize: {objective} is better higher; minimise a cost (e.g. total_cost)")
    base = plan_base(scenario)
    from sim.runs.metrics import metric_names

    known = metric_names(base)
    for name in [objective, *(t.metric for t in targets)]:
        if name not in known:
            where = "--minimize" if name == objective else "--target"
            raise ScenarioError(f"{where}: unknown metric {name!r} (known: {', '.join(known)})")
    size = math.prod(len(lever.values) for lever in levers)
    optimised = size > enumerate_max
    if optimised and trials < 1:
        raise ScenarioError(f"--trials: at least 1 (got {trials})")
    if optimised:
        check_paths(base, levers)
        plans, invalid = [], {}
    else:
        plans, invalid = build_plans(base, levers, objective, seed)
        if not plans:
            first = next(iter(invalid.items()))
            raise ScenarioError(f"plan: no combination of the levers is a valid scenario ({first[0]}: {first[1]})")
    search = PlanSearch(base, levers, targets, objective, confidence, alpha, delta or math.nan, seed, reps, max_reps,
                        plans, invalid, journal=journal)
    for p in plans:
        p.journal = journal
    with executing(workers, executor) as pool:
        ex = Replay(pool, replay) if replay else pool
        warmup = Experiment(base, seed).warmup(pool)
        if optimised:
            _optimise(search, warmup, trials, ex, progress)
            if not search.plans:
                raise ScenarioError("plan: the optimiser proposed no valid scenario; check the levers' ranges")
            search.notes.append(f"{size:,} combinations: an optimiser (Optuna, TPE with constraints) proposed "
                                f"{trials} of them, {len(search.plans)} distinct and valid, starting from the analytic "
                                "estimate; the answer is the best of those")
        for p in search.plans:
            p.warmup = warmup
        _simulate(search.plans, reps, ex, progress, "screening")
        feasible = _resolve(search, candidates, ex, progress)
        _choose(search, feasible, ex, progress)
    if search.chosen is None:
        search.shortfall = shortfall(search)
    return search


def _optimise(search: PlanSearch, warmup: int, trials: int, ex: Submitter,
              progress: Callable[[str, int, int], None] | None) -> None:
    """Let the optimiser choose the plans to screen (sim.analysis.plan_optimiser); each is simulated once, when first proposed."""
    try:
        import optuna  # noqa: F401

        from sim.analysis.plan_optimiser import optimise
    except ImportError:
        raise ScenarioError(
            f"--enumerate: {math.prod(len(v.values) for v in search.levers):,} plans are more than are enumerated and "
            "the optimiser needs Optuna (pip install 'chartsim[optimise]'); narrow the levers or raise --enumerate"
        ) from None

    cache: dict[str, Candidate] = {}

    def evaluate(combos: list[dict[str, Any]]) -> list[tuple[float, list[float]] | None]:
        batch: list[Candidate | None] = []
        for combo in combos:
            name = plan_name(combo)
            if name not in cache and name not in search.invalid:
                plan = build_plan(search.scenario, combo, search.objective, search.seed, search.invalid)
                if plan is not None:
                    plan.warmup, plan.journal = warmup, search.journal
                    cache[name] = plan
                    search.plans.append(plan)
            batch.append(cache.get(name))
        _simulate([p for p in dict.fromkeys(b for b in batch if b is not None)], search.reps, ex, None, "searching")
        if progress:
            progress("searching", len(search.plans), trials)
        out: list[tuple[float, list[float]] | None] = []
        for plan in batch:
            if plan is None:
                out.append(None)
                continue
            gaps = [(j.bound - j.target.value) if j.target.op == "<=" else (j.target.value - j.bound)
                    for j in search.judged(plan)]
            out.append((float(np.mean(plan.values)), gaps))
        return out

    optimise(search.levers, evaluate, trials, search.seed, analytic_start(search.scenario, search.levers))


def _simulate(plans: list[Candidate], upto: int, ex: Submitter,
              progress: Callable[[str, int, int], None] | None, stage: str) -> None:
    """Bring every plan in ``plans`` up to ``upto`` replications, batch by batch, all on the executor at once."""
    tasks = [(p, range(lo, lo + BATCH)) for p in plans for lo in range(p.reps, upto, BATCH)]
    if not tasks:
        return
    args = ((p.name, p.scenario, p.seed, r, p.warmup, False) for p, r in tasks)
    for done, ((p, _), chunk) in enumerate(zip(tasks, in_order(ex, simulate_chunk, args,
                                                             window=2 * workers_of(ex) + 2)), 1):
        p.extend(chunk.replications)
        if progress:
            progress(stage, done, len(tasks))


def _resolve(search: PlanSearch, k: int, ex: Submitter,
             progress: Callable[[str, int, int], None] | None) -> list[Candidate]:
    """The ``k`` cheapest plans (by the screened objective) that are feasible; unclear ones get more replications.

    Each round takes the cheapest plans not ruled out until ``k`` of them are
    feasible or unclear with budget left, and gives the unclear ones one
    more batch each, side by side.
    """
    order = sorted(search.plans, key=lambda p: (np.mean(p.values), search.plans.index(p)))
    while True:
        window, waiting = [], []
        for p in order:
            status = search.status(p)
            if status == "no" or (status == "unclear" and p.reps >= search.max_reps):
                continue
            window.append(p)
            if status == "unclear":
                waiting.append(p)
            if len(window) >= k:
                break
        if not waiting:
            return [p for p in window if search.status(p) == "yes"]
        _simulate_each(waiting, ex, progress)


def _simulate_each(plans: list[Candidate], ex: Submitter, progress: Callable[[str, int, int], None] | None) -> None:
    """One more batch for each plan, side by side on the executor."""
    args = [(p.name, p.scenario, p.seed, range(p.reps, p.reps + BATCH), p.warmup, False) for p in plans]
    for done, (p, chunk) in enumerate(zip(plans, in_order(ex, simulate_chunk, args, window=2 * workers_of(ex) + 2)), 1):
        p.extend(chunk.replications)
        if progress:
            progress("resolving", done, len(plans))


def _choose(search: PlanSearch, feasible: list[Candidate], ex: Submitter,
            progress: Callable[[str, int, int], None] | None) -> None:
    """KN++ among the feasible candidates; the winner must still be feasible on all its replications."""
    pool = list(feasible)
    if search.delta != search.delta and pool:  # NaN: 1 % of the cheapest candidate's screened objective
        search.delta = max(1e-9, 0.01 * abs(min(float(np.mean(p.values)) for p in pool)))
    while pool:
        if len(pool) == 1:
            chosen = pool[0]
            ranked = [chosen]
        else:
            n0 = min(p.reps for p in pool)
            for p in pool:
                p.asked = n0 - 1
            race = Race(pool, ex)  # type: ignore[arg-type]
            selection = select_best(race.observation, len(pool), search.delta, alpha=search.alpha, n0=n0,
                                    maximise=False, max_reps=max(search.max_reps, n0))
            search.kn_rounds += 1
            search.stopped_by_budget = search.stopped_by_budget or selection.stopped_by_budget
            chosen = pool[selection.best]
            ranked = sorted(pool, key=lambda p: (p is not chosen, np.mean(p.values)))
            if progress:
                progress("selecting", search.kn_rounds, search.kn_rounds)
        if search.status(chosen) == "yes":
            search.chosen = chosen
            _runner_up(search, ranked)
            search.notes.extend(edge_notes(search.levers, chosen.levers))
            return
        search.notes.append(f"{chosen.name} won KN++ but no longer met every target on its {chosen.reps} "
                            "replications; it left the race")
        pool.remove(chosen)


def _runner_up(search: PlanSearch, ranked: list[Candidate]) -> None:
    """The plan closest to the answer, and why it lost.

    A cheaper plan not ruled out (still unclear) comes first; then the
    feasible plan KN++ ranked second; then the dearest of the cheaper plans
    ruled out (the nearest saving the targets forbid).
    """
    chosen = search.chosen
    assert chosen is not None
    metric = search.objective

    def cost(p: Candidate) -> float:
        return float(np.mean(p.values))

    def failing(p: Candidate) -> str:
        return "; ".join(
            f"{j.target} is {'not met' if j.status == 'no' else 'not shown'} with {search.confidence:.0%} confidence "
            f"(mean {j.mean:.4g}, bound {j.bound:.4g}, {p.reps} replications)"
            for j in search.judged(p) if j.status != "yes")

    cheaper = [p for p in search.plans if p is not chosen and cost(p) < cost(chosen)]
    unclear = [p for p in cheaper if search.status(p) == "unclear"]
    if unclear:
        other = min(unclear, key=cost)
        reason = f"cheaper ({metric} mean {cost(other):.2f} against {cost(chosen):.2f}) but {failing(other)}"
    elif len(ranked) > 1:
        other = ranked[1]
        reason = (f"feasible but costlier: {metric} mean {cost(other):.2f} against {cost(chosen):.2f} "
                  f"(KN++, indifference zone {search.delta:.4g}, P(correct) ≥ {1 - search.alpha:.0%})")
    elif cheaper:
        other = max(cheaper, key=cost)
        reason = f"cheaper ({metric} mean {cost(other):.2f} against {cost(chosen):.2f}) but {failing(other)}"
    else:
        return
    search.runner_up, search.runner_up_reason = other, reason


def edge_notes(levers: list[Lever], chosen: dict[str, Any]) -> list[str]:
    """Numeric levers whose chosen value is the end of their range: a plan beyond it was never tried."""
    out = []
    for lever in levers:
        values = [v for v in lever.values if isinstance(v, int | float) and not isinstance(v, bool)]
        if len(values) < 2 or len(values) != len(lever.values):
            continue
        v = chosen[lever.path]
        low, high = min(values), max(values)
        if v == high or (v == low and low != 0):
            end = "highest" if v == high else "lowest"
            out.append(f"{lever.path} = {v} is the {end} value tried; widen its range to be sure no plan beyond it "
                       "is cheaper")
    return out


def shortfall(search: PlanSearch) -> str:
    """When no plan is feasible: the target that binds, and the lever that, widened, would help it."""
    if not search.plans:
        return "no plan could be simulated"
    met_by = {t: sum(1 for p in search.plans if judge(p.column(t.metric), t, search.confidence).status == "yes")
              for t in search.targets}
    binding = min(search.targets, key=lambda t: met_by[t])
    sign = 1.0 if binding.op == ">=" else -1.0
    means = {p.name: float(np.mean(p.column(binding.metric))) for p in search.plans}
    best = max(search.plans, key=lambda p: sign * means[p.name])
    text = (f"{binding} binds: no plan meets it with {search.confidence:.0%} confidence "
            f"(the best, {best.name}, has mean {means[best.name]:.4g})")
    if met_by[binding] and len(search.targets) > 1:
        text = f"{binding} binds: {met_by[binding]} plan(s) meet it but none meets every target at once"
    hints = []
    for lever in search.levers:
        if len(lever.values) < 2:
            continue
        by_value = {}
        for v in lever.values:
            xs = [sign * means[p.name] for p in search.plans if p.levers[lever.path] == v]
            if xs:
                by_value[repr(v)] = (v, max(xs))
        if len(by_value) < 2:
            continue
        values = [by_value[k] for k in by_value]
        top = max(values, key=lambda vx: vx[1])
        first, last = values[0], values[-1]
        if top[0] == last[0] and last[1] > values[-2][1]:
            hints.append((last[1] - values[-2][1], f"widen {lever.path} beyond {last[0]!r} (it still improves "
                                                   f"{binding.metric} at the top of its range)"))
        elif top[0] == first[0] and first[1] > values[1][1]:
            hints.append((first[1] - values[1][1], f"widen {lever.path} below {first[0]!r} (it still improves "
                                                   f"{binding.metric} at the bottom of its range)"))
    if hints:
        hints.sort(key=lambda h: -h[0])
        return f"{text}; {hints[0][1]}"
    return (f"{text}; no lever still improves it at the end of its range: the levers' ranges do not move "
            f"{binding.metric} enough (add another lever, or relax the target)")
