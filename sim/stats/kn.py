"""Which staffing plan is best? Kim & Nelson's fully sequential KN++ with an indifference zone.

:func:`select_best` takes one observation at a time from each surviving
system and drops a system once it is behind by more than the indifference
zone allows (Kim & Nelson 2006).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass
class Selection:
    """Outcome of KN++: the chosen system, and what it took to choose it."""

    best: int
    replications: list[int]  # observations taken from each system
    means: list[float]  # sample mean of each system when it left (or at the end)
    eliminated_at: list[int | None]  # stage r at which a system was eliminated (None: survived)
    stopped_by_budget: bool = False

    @property
    def total(self) -> int:
        return sum(self.replications)


def kn_eta(alpha: float, k: int, dof: int) -> float:
    """η = ½[(2β)^(−2/f) − 1] with β = 1 − (1 − α)^(1/(k−1)) (Kim & Nelson 2006, KN++)."""
    beta = 1 - (1 - alpha) ** (1 / (k - 1))
    return 0.5 * ((2 * beta) ** (-2 / dof) - 1)


def select_best(
    sample: Callable[[int, int], float],
    k: int,
    delta: float,
    alpha: float = 0.05,
    n0: int = 10,
    maximise: bool = True,
    max_reps: int | None = None,
) -> Selection:
    """Select the system with the largest (or smallest) mean by KN++.

    ``sample(i, r)`` returns observation r (0, 1, …) of system i; with
    common random numbers observation r of every system should use the same
    streams, which KN++ exploits through the variance of differences.

    Kim & Nelson (2006), "Selecting the best system", *Handbooks in OR & MS*
    13, ch. 17, procedure KN++ with c = 1 and variance updating: take n0
    observations of each system; at stage r (observations so far) compute
    S²_il, the sample variance of X_i − X_l (f = r − 1 degrees of freedom),
    h² = 2η f with η from :func:`kn_eta`, and
    W_il = max{0, δ/(2r) · (h² S²_il / δ² − r)}; keep system i only if
    X̄_i ≥ X̄_l − W_il for every other survivor l; stop when one survives,
    else take one more observation from each survivor. With probability at
    least 1 − α (asymptotically, for normal data) the chosen system is the
    best whenever the best beats the rest by at least the indifference
    zone δ > 0. ``max_reps`` caps observations per system; at the cap the
    survivor with the best mean is returned and ``stopped_by_budget`` set.
    """
    if k < 2:
        raise ValueError("select_best needs at least two systems")
    if not delta > 0:
        raise ValueError(f"indifference zone must be > 0 (got {delta:g})")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1 (got {alpha:g})")
    if n0 < 2:
        raise ValueError(f"n0 must be at least 2 (got {n0})")
    if max_reps is not None and max_reps < n0:
        raise ValueError(f"max_reps must be at least n0 = {n0} (got {max_reps})")
    sign = 1.0 if maximise else -1.0
    obs: list[list[float]] = [[sign * float(sample(i, r)) for r in range(n0)] for i in range(k)]
    alive = list(range(k))
    eliminated: list[int | None] = [None] * k
    r = n0
    budget_hit = False
    while True:
        x = np.array([obs[i][:r] for i in alive])
        means = x.mean(axis=1)
        f = r - 1
        h2 = 2 * kn_eta(alpha, k, f) * f
        keep = []
        for a in range(len(alive)):
            d = x[a] - x  # differences X_i − X_l for every survivor l
            s2 = d.var(axis=1, ddof=1)
            w = np.maximum(0.0, delta / (2 * r) * (h2 * s2 / delta**2 - r))
            others = np.arange(len(alive)) != a
            keep.append(bool(np.all(means[a] >= (means - w)[others])))
        for a, i in enumerate(alive):
            if not keep[a]:
                eliminated[i] = r
        survivors = [i for a, i in enumerate(alive) if keep[a]]
        if not survivors:  # cannot happen with W ≥ 0, kept as a guard
            survivors = [alive[int(np.argmax(means))]]
        alive = survivors
        if len(alive) == 1:
            break
        if max_reps is not None and r >= max_reps:
            budget_hit = True
            break
        for i in alive:
            obs[i].append(sign * float(sample(i, r)))
        r += 1
    final_means = {i: float(np.mean(obs[i])) for i in range(k)}
    best = max(alive, key=lambda i: final_means[i])
    return Selection(
        best=best,
        replications=[len(o) for o in obs],
        means=[sign * final_means[i] for i in range(k)],
        eliminated_at=eliminated,
        stopped_by_budget=budget_hit,
    )
