"""Did we run enough replications? Sequential precision on replication means.

:func:`sequential_precision` adds replications until every key metric's
confidence interval is narrow enough (Law, *Simulation Modeling and Analysis*,
5th ed., §9.4.1). Replications are the unit of independence: days of one
replication are linked by the backlog they hand on, so they are never treated
as independent samples.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.stats.summary import t_interval

# ------------------------------------------------------------------ precision


def half_width(values: np.ndarray, level: float = 0.95) -> float:
    """Half-width of the Student-t interval, t_{n-1, 1-α/2} · s / √n (NaN below two values)."""
    mean, low, high = t_interval(values, level)
    return (high - low) / 2 if not math.isnan(low) else math.nan


ZERO_HALF_WIDTH = 1e-9  # the absolute half-width without --half-width: only a metric that is (numerically) constant


def precision_limit(mean: float, precision: float, absolute: float | None = None) -> tuple[float, str]:
    """The half-width a metric must reach, and which rule sets it (``relative`` or ``absolute``).

    limit = max(γ·|x̄|, H): the relative target γ·|x̄|, unless the absolute
    half-width H is larger, which it is exactly when |x̄| < H/γ — metrics
    near zero, where a relative target shrinks to nothing. Since γ < 1 every
    metric whose mean is within H of 0 is judged on H. Without H only the
    relative rule applies.
    """
    relative = precision * abs(mean)
    if absolute is not None and absolute > relative:
        return absolute, "absolute"
    return relative, "relative"


def precise_enough(mean: float, half: float, precision: float, absolute: float | None = None) -> bool:
    """Is ``half`` ≤ max(precision · |mean|, absolute)? (see :func:`precision_limit`)

    The absolute bound rescues metrics whose mean is near zero, where a
    relative target can never be met.
    """
    if math.isnan(half) or math.isnan(mean):
        return False
    return half <= precision_limit(mean, precision, absolute)[0]


@dataclass(frozen=True)
class PrecisionPlan:
    """Settings of the sequential procedure (validated on creation).

    precision: relative half-width target γ, 0 < γ < 1 (0.02 = within 2 % of the mean).
    half_width: absolute half-width H in the metrics' own units; a metric is
        precise enough when h ≤ max(γ·|x̄|, H), so metrics near zero
        (|x̄| < H/γ, in particular |x̄| ≤ H) are judged on H. Without it
        H = ``ZERO_HALF_WIDTH`` (1e-9): a metric that is the same, e.g. 0,
        in every replication converges, any other near-zero metric does not.
    min_reps: replications at the first check (at least 2; ``--reps``).
    batch: replications added between checks.
    look_ahead: further checks a metric must stay precise for before it counts.
    max_reps: budget; the procedure stops here whatever the precision.
    level: confidence level of the intervals.
    """

    precision: float
    half_width: float | None = None
    min_reps: int = 10
    batch: int = 10
    look_ahead: int = 2
    max_reps: int = 1000
    level: float = 0.95

    def __post_init__(self) -> None:
        if not 0 < self.precision < 1:
            raise ValueError(f"--precision must be between 0 and 1, a share of the mean such as 0.02 "
                             f"(got {self.precision:g})")
        if self.half_width is not None and not (self.half_width > 0 and math.isfinite(self.half_width)):
            raise ValueError(f"--half-width must be > 0 (got {self.half_width:g})")
        if self.min_reps < 2:
            raise ValueError(f"--precision needs at least 2 replications at the first check (--reps {self.min_reps})")
        if self.batch < 1:
            raise ValueError(f"batch must be at least 1 (got {self.batch})")
        if self.look_ahead < 0:
            raise ValueError(f"look-ahead must be ≥ 0 (got {self.look_ahead})")
        if self.max_reps < self.min_reps:
            raise ValueError(f"--max-reps must be at least {self.min_reps}, the replications of the first check "
                             f"(--reps; got {self.max_reps})")
        if not 0 < self.level < 1:
            raise ValueError(f"confidence level must be between 0 and 1 (got {self.level:g})")

    @property
    def absolute(self) -> float:
        """The absolute half-width H in force: ``half_width``, or ``ZERO_HALF_WIDTH`` without it."""
        return self.half_width if self.half_width is not None else ZERO_HALF_WIDTH


@dataclass
class PrecisionOutcome:
    """What the sequential procedure found: one row per metric, and the replications run."""

    table: pd.DataFrame
    reps: int
    checks: list[int] = field(default_factory=list)

    @property
    def converged(self) -> bool:
        return bool(self.table["converged"].all())


PRECISION_COLUMNS = ["metric", "reps_needed", "mean", "half_width", "relative_half_width", "converged", "criterion"]


def sequential_precision(sample: Callable[[int], pd.DataFrame], plan: PrecisionPlan) -> PrecisionOutcome:
    """Add replications until every metric is precise enough, with a look-ahead.

    ``sample(n)`` returns one row per replication 0 … n−1 and one column per
    metric; it is called with a growing n and should simulate only the new
    replications. At each check (n = min_reps, min_reps + batch, …) a metric
    is precise when its t half-width h = t_{n−1,1−α/2}·s/√n satisfies
    h ≤ max(γ·|x̄|, H) (:func:`precision_limit`; H = ``plan.absolute``); this
    is Law's sequential procedure for relative precision (Law 2015, §9.4.1)
    with an absolute floor for metrics near zero. Because h is itself
    random, a lucky streak can meet the target early, so a metric counts as
    converged only after it has stayed precise for ``look_ahead`` further
    checks; its ``reps_needed`` is the n at which that run of checks began.
    The procedure stops when every metric has converged at once, or at
    ``max_reps``. ``criterion`` says which rule set the limit at the last check.
    """
    n = plan.min_reps
    streak_start: dict[str, int | None] = {}
    streak_len: dict[str, int] = {}
    checks: list[int] = []
    while True:
        table = sample(n)
        if len(table) != n:
            raise ValueError(f"sampler returned {len(table)} replications, expected {n}")
        checks.append(n)
        for metric in table.columns:
            mean, h = _mean_half(table[metric], plan.level)
            if precise_enough(mean, h, plan.precision, plan.absolute):
                if streak_start.get(metric) is None:
                    streak_start[metric], streak_len[metric] = n, 0
                streak_len[metric] += 1
            else:
                streak_start[metric], streak_len[metric] = None, 0
        done = all(streak_len.get(m, 0) > plan.look_ahead for m in table.columns)
        if done or n >= plan.max_reps:
            break
        n = min(n + plan.batch, plan.max_reps)

    rows = []
    for metric in table.columns:
        mean, h = _mean_half(table[metric], plan.level)
        converged = streak_len.get(metric, 0) > plan.look_ahead
        rows.append(
            {
                "metric": metric,
                "reps_needed": streak_start[metric] if converged else math.nan,
                "mean": mean,
                "half_width": h,
                "relative_half_width": h / abs(mean) if mean else math.nan,
                "converged": converged,
                "criterion": precision_limit(mean, plan.precision, plan.absolute)[1] if not math.isnan(mean) else "",
            }
        )
    return PrecisionOutcome(pd.DataFrame(rows, columns=PRECISION_COLUMNS), n, checks)


def _mean_half(column: pd.Series, level: float) -> tuple[float, float]:
    x = column.to_numpy(dtype=float)
    mean = float(np.nanmean(x)) if np.isfinite(x).any() else math.nan
    return mean, half_width(x, level)
