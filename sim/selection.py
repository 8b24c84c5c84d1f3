"""Choosing the best plan: KN++ over a scenario's variants.

A manager with several staffing plans (the scenario's variants and sweep
points, and the base) asks which is best on one metric — lowest cost per
chart, say — and is indifferent to differences smaller than ``delta``.
:func:`sim.analysis.select_best` (Kim & Nelson's KN++) takes replications one
stage at a time and drops plans that are clearly worse, so clear losers cost
few replications. Replication r of every plan uses the same random streams,
which KN++ exploits through the variance of the differences.

Replications are simulated on demand in batches; replication r is the same
whenever it is run, so the batch size does not change the answer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from sim.analysis import Selection, select_best
from sim.chunk import simulate_chunk
from sim.executor import Inline
from sim.metrics import metric_names
from sim.runner import BASE, Experiment
from sim.scenario import Scenario, ScenarioError

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

    def observation(self, r: int) -> float:
        while r >= len(self.values):
            self._simulate(range(len(self.values), len(self.values) + BATCH))
        return self.values[r]

    def _simulate(self, reps: range) -> None:
        table = simulate_chunk(self.name, self.scenario, self.seed, reps, self.warmup, keep_charts=False).replications
        values = table[self.metric].to_numpy(dtype=float)
        if any(math.isnan(v) for v in values):
            raise ScenarioError(f"--metric: {self.metric} is not observed in every replication of {self.name}")
        self.values.extend(values.tolist())


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
) -> Choice:
    """The best of the base and its variants on ``metric``, by KN++ with indifference zone ``delta``."""
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
    warmup = Experiment(plans_by_name[BASE], seed).warmup(Inline())
    plans = [Plan(name, s, metric, seed, warmup) for name, s in plans_by_name.items()]
    selection = select_best(
        lambda i, r: plans[i].observation(r), len(plans), delta, alpha=alpha, n0=n0,
        maximise=maximise, max_reps=max_reps,
    )
    return Choice(plans, selection, metric, maximise, delta, alpha)

