"""Output analysis beyond a single confidence interval.

Four questions a manager asks of a simulation, each answered by one small
function:

- *Did we run enough replications?* :func:`sequential_precision` adds
  replications until every key metric's confidence interval is narrow
  enough (Law, *Simulation Modeling and Analysis*, 5th ed., §9.4.1).
- *Where does the transient end?* :func:`warmup_table` lays out the mean
  daily backlog with the MSER-5 cut-off of :func:`sim.stats.summary.mser5`.
- *How spread out is a coder's day, and how sure are we?*
  :func:`percentile_intervals` puts a between-replication interval on each
  percentile of charts per coder-day.
- *Which staffing plan is best?* :func:`select_best` runs Kim & Nelson's
  fully sequential KN++ procedure with an indifference zone.

Replications are the unit of independence throughout: days of one
replication are linked by the backlog they hand on, so they are never
treated as independent samples.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.runs.metrics import CODER_DAY_PERCENTILES, coder_day_quantiles
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


# ------------------------------------------------------------------ warm-up


def warmup_table(days: pd.DataFrame, cut: int) -> pd.DataFrame:
    """The series MSER-5 looks at (mean end-of-day backlog across replications) and the cut.

    Columns: day, mean_backlog, warmup (day < cut), cut. With a ``variant``
    column only the base is used: the warm-up is chosen on the base and
    applied to every variant.
    """
    if "variant" in days.columns and (days["variant"] == "base").any():
        days = days.loc[days["variant"] == "base"]
    series = days.groupby("day")["backlog"].mean()
    return pd.DataFrame(
        {
            "day": series.index.to_numpy(dtype=int),
            "mean_backlog": series.to_numpy(dtype=float),
            "warmup": series.index.to_numpy() < cut,
            "cut": cut,
        }
    )


# ------------------------------------------------------------------ percentiles


def percentile_intervals(
    coder_days: pd.DataFrame,
    value: str = "charts_coded",
    percentiles: Sequence[float] = CODER_DAY_PERCENTILES,
    level: float = 0.95,
    warmup: int = 0,
) -> pd.DataFrame:
    """Each percentile of ``value`` per coder-day, with a between-replication interval (see :func:`quantile_intervals`)."""
    return quantile_intervals(coder_day_quantiles(coder_days, value, percentiles, warmup), percentiles, level)


def quantile_intervals(
    quantiles: pd.DataFrame, percentiles: Sequence[float] = CODER_DAY_PERCENTILES, level: float = 0.95,
) -> pd.DataFrame:
    """Each coder-day percentile with a between-replication interval, from :func:`coder_day_quantiles`.

    Within replication r the p-th percentile ξ̂_p,r of its coder-days is
    computed (days after the warm-up); the ξ̂_p,r are independent across
    replications, so the estimate is their mean with the t interval
    ξ̄_p ± t_{R−1,1−α/2} · s/√R (the replication/deletion approach, Law 2015
    §9.5.2, applied to a quantile). Days of one replication are linked by
    the backlog and are never treated as independent. The estimand is the
    expected within-replication percentile; with few coder-days per
    replication it lies closer to the median than the population quantile.

    When every replication has exactly one coder-day the days *are*
    independent (each ξ̂_p,r is that day's value), and the distribution-free
    order-statistic interval is used instead: [X_(l), X_(u)] with l, u from
    Binomial(R, p) (Conover 1999, *Practical Nonparametric Statistics*, §3.2).
    """
    groups = quantiles.groupby("variant", sort=False) if "variant" in quantiles.columns else [(None, quantiles)]
    rows = []
    for variant, frame in groups:
        sizes = frame["coder_days"]
        single = bool((sizes == 1).all())
        for p in percentiles:
            xi = frame[f"p{p:g}"].to_numpy(dtype=float)
            if single:
                est, low, high = _order_statistic_interval(xi, p / 100, level)
                method = "order statistics (one coder-day per replication)"
            else:
                est, low, high = t_interval(xi, level)
                method = "t over replications"
            row = {"percentile": p, "estimate": est, "ci_low": low, "ci_high": high,
                   "replications": len(sizes), "coder_days_per_replication": float(sizes.mean()),
                   "method": method}
            rows.append(row if variant is None else {"variant": variant, **row})
    return pd.DataFrame(rows)


def _order_statistic_interval(x: np.ndarray, p: float, level: float) -> tuple[float, float, float]:
    """Sample p-quantile and a distribution-free interval from order statistics (≥ ``level`` coverage)."""
    x = np.sort(x[~np.isnan(x)])
    n = len(x)
    if n == 0:
        return math.nan, math.nan, math.nan
    est = float(np.quantile(x, p))
    alpha = 1 - level
    # l = largest with P(B ≤ l−1) ≤ α/2, u = smallest with P(B ≥ u) ≤ α/2, B ~ Bin(n, p) (1-based ranks).
    lo = _binomial_quantile(alpha / 2, n, p)
    hi = _binomial_quantile(1 - alpha / 2, n, p) + 1
    low = float(x[lo - 1]) if lo >= 1 else math.nan
    high = float(x[hi - 1]) if hi <= n else math.nan
    return est, low, high


def _binomial_quantile(q: float, n: int, p: float) -> int:
    """The smallest k with P(B ≤ k) ≥ q, B ~ Binomial(n, p): ``scipy.stats.binom.ppf`` without loading scipy.stats."""
    from scipy.special import bdtr

    return int(np.searchsorted(bdtr(np.arange(n + 1), n, p), q, side="left"))


# ------------------------------------------------------------------ selection of the best


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
