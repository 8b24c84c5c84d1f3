"""Choosing the best plan: KN++ over a scenario's variants.

A manager with several staffing plans (the scenario's variants and sweep
points, and the base) asks which is best on one metric — lowest cost per
chart, say — and is indifferent to differences smaller than ``delta``.
:func:`sim.stats.kn.select_best` (Kim & Nelson's KN++) takes replications one
stage at a time and drops plans that are clearly worse, so clear losers cost
few replications. Replication r of every plan uses the same random streams,
which KN++ exploits through the variance of the differences.

Replications are simulated on demand in batches, for every plan still in
the race at once, on the run's executor (worker processes or a Dask
cluster); replication r is the same whenever and wherever it is run, so
neither the batch size nor the workers change the answer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from sim.runs.executor import Submitter, executing, in_order, workers_of
from sim.runs.metrics import metric_names
from sim.runs.runner import BASE, Experiment
from sim.runs.tasks import simulate_chunk
from sim.scenario.config import Scenario
from sim.scenario.errors import ScenarioError
from sim.stats.kn import Selection, select_best

BATCH = 10


@dataclass
class Plan:
    """One plan's per-replication values of the metric, simulated when asked for."""

    name: str
    scenario: Scenario
    metric: str
    seed: int
    warmup: int
    values: list[float] = field(default_factory=list)
    asked: int = -1  # the highest replication KN++ has asked this plan for

    def task(self) -> tuple:
        """The next batch of this plan, as arguments of ``simulate_chunk``."""
        lo = len(self.values)
        return (self.name, self.scenario, self.seed, range(lo, lo + BATCH), self.warmup, False)

    def extend(self, table: pd.DataFrame) -> None:
        values = table[self.metric].to_numpy(dtype=float)
        if any(math.isnan(v) for v in values):
            raise ScenarioError(f"--metric: {self.metric} is not observed in every replication of {self.name}")
        self.values.extend(values.tolist())


class Race:
    """The plans' observations for KN++, simulated a batch at a time for every plan still running.

    When a plan needs replications it has not got, the next batch is
    simulated for it and for every other plan that was asked for the last
    batch's final replication (still in the race then), all at once on the
    executor; plans KN++ has eliminated are not simulated further.
    """

    def __init__(self, plans: list[Plan], executor: Submitter) -> None:
        self.plans = plans
        self.executor = executor

    def observation(self, i: int, r: int) -> float:
        plan = self.plans[i]
        plan.asked = max(plan.asked, r)
        while r >= len(plan.values):
            lo = len(plan.values)
            running = [p for p in self.plans if p is plan or (len(p.values) == lo and p.asked >= lo - 1)]
            for p, chunk in zip(running, in_order(self.executor, simulate_chunk, [p.task() for p in running],
                                                  window=2 * workers_of(self.executor) + 2)):
                p.extend(chunk.replications)
        return plan.values[r]


@dataclass
class Choice:
    """The chosen plan and what each plan cost to judge."""

    plans: list[Plan]
    selection: Selection
    metric: str
    maximise: bool
    delta: float
    alpha: float

    @property
    def best(self) -> str:
        return self.plans[self.selection.best].name

    def table(self) -> pd.DataFrame:
        s = self.selection
        return pd.DataFrame(
            {
                "plan": [p.name for p in self.plans],
                "replications": s.replications,
                "mean": s.means,
                "eliminated_at": pd.array(s.eliminated_at, dtype="Int64"),
                "chosen": [i == s.best for i in range(len(self.plans))],
            }
        )


def choose_plan(
    scenario: Scenario,
    metric: str,
    delta: float,
    maximise: bool = False,
    alpha: float = 0.05,
    n0: int = 10,
    max_reps: int = 1000,
    seed: int = 0,
    workers: int = 1,
    executor: Submitter | None = None,
) -> Choice:
    """The best of the base and its variants on ``metric``, by KN++ with indifference zone ``delta``.

    Batches of replications run on ``executor`` (e.g. a ``dask.distributed.Client``)
    or a pool of ``workers`` processes; the answer is the same either way.
    """
    plans_by_name = {BASE: scenario.with_changes({}, "select"), **scenario.expanded()}
    if len(plans_by_name) < 2:
        raise ScenarioError("select: the scenario has no variants or sweeps to choose among")
    if not delta > 0:
        raise ScenarioError(f"--delta: the indifference zone must be above 0 (got {delta:g})")
    if not 0 < alpha < 1:
        raise ScenarioError(f"--alpha: must be between 0 and 1 (got {alpha:g})")
    if n0 < 2 or max_reps < n0:
        raise ScenarioError(f"--n0 must be at least 2 and --max-reps at least --n0 (got {n0} and {max_reps})")
    if metric not in metric_names(scenario):
        raise ScenarioError(f"--metric: unknown metric {metric!r} (known: {', '.join(metric_names(scenario))})")
    with executing(workers, executor) as ex:
        warmup = Experiment(plans_by_name[BASE], seed).warmup(ex)
        plans = [Plan(name, s, metric, seed, warmup) for name, s in plans_by_name.items()]
        race = Race(plans, ex)
        selection = select_best(race.observation, len(plans), delta, alpha=alpha, n0=n0, maximise=maximise,
                                max_reps=max_reps)
    return Choice(plans, selection, metric, maximise, delta, alpha)

