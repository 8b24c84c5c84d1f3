"""Large grids of levers: Optuna proposes the plans to simulate, the analytic estimate first.

When the levers have more combinations than ``chartsim plan`` enumerates,
a TPE sampler (Optuna; Watanabe 2023) proposes plans in batches of a fixed
size. Each proposal is simulated like an enumerated plan (the same seed, so
common random numbers still hold) and told back with its objective mean and
one constraint per target: the unfavourable one-sided confidence bound's
distance past the threshold (≤ 0 when met), so the sampler learns where the
feasible plans are (constrained TPE). The first proposal is the analytic
estimate. Batches never depend on the worker count, and the sampler is
seeded, so the plans tried — and the answer — are the same on any executor.

The optimiser only chooses which plans to simulate: the answer is still
decided on their replications by sim.analysis.plan (feasibility on the bounds, then
KN++), never by the sampler's scores.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

from sim.scenario.levers import Lever

TRIALS_PER_BATCH = 8  # proposals simulated side by side; fixed, so the answer does not depend on the workers
INFEASIBLE = 1e12  # a constraint value for a target that could not be judged


def optimise(
    levers: list[Lever],
    evaluate: Callable[[list[dict[str, Any]]], list[tuple[float, list[float]] | None]],
    trials: int,
    seed: int,
    start: dict[str, Any] | None = None,
) -> None:
    """Propose ``trials`` plans; ``evaluate`` simulates a batch and returns (objective, constraints) or None (invalid)."""
    import optuna
    from optuna.distributions import IntDistribution

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    native = hasattr(optuna.trial.Trial, "set_constraint")  # Optuna 5; before it, a constraints function
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        sampler = optuna.samplers.TPESampler(seed=seed % 2**32) if native else optuna.samplers.TPESampler(
            seed=seed % 2**32, constraints_func=lambda t: t.user_attrs.get("constraints", [INFEASIBLE]))
    study = optuna.create_study(direction="minimize", sampler=sampler)
    names = [f"lever{i}" for i in range(len(levers))]
    space = {n: IntDistribution(0, len(lever.values) - 1) for n, lever in zip(names, levers)}
    if start is not None:
        study.enqueue_trial({n: lever.values.index(start[lever.path]) for n, lever in zip(names, levers)})
    asked = 0
    while asked < trials:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            batch = [study.ask(space) for _ in range(min(TRIALS_PER_BATCH, trials - asked))]
        asked += len(batch)
        combos = [{lever.path: lever.values[t.params[n]] for n, lever in zip(names, levers)} for t in batch]
        for trial, outcome in zip(batch, evaluate(combos)):
            if outcome is None:
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
                continue
            value, constraints = outcome
            gaps = [c if math.isfinite(c) else INFEASIBLE for c in constraints]
            if native:
                for i, gap in enumerate(gaps):
                    trial.set_constraint(f"target{i}", gap)
            else:
                trial.set_user_attr("constraints", gaps)
            study.tell(trial, value)
