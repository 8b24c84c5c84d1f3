"""Output analysis over replications: confidence intervals, comparisons and the warm-up cut.

Replications are independent and identically distributed, so a metric's
replication means give a Student-t confidence interval (Law, *Simulation
Modeling and Analysis*, 5th ed., §9.4.1). Scenario variants run with common
random numbers, so a variant is compared with the base by the paired-t
interval on the per-replication differences (Law §10.2.1), Bonferroni-adjusted
when several variants are compared at once (Law §10.3).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from scipy.special import stdtr, stdtrit  # Student t distribution and quantile; scipy.stats loads only for Welch

PERCENTILES = (5, 25, 50, 75, 95)
WILSON_LEVEL = 0.95  # two-sided level of the Wilson interval on P(target met)


def t_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and two-sided Student-t confidence interval; NaN bounds with fewer than two values.

    mean ± t_{n-1, 1-α/2} · s / √n
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if n < 2:
        return mean, math.nan, math.nan
    half = float(stdtrit(n - 1, 0.5 + level / 2) * x.std(ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half


def summarise(table: pd.DataFrame, metrics: list[str], level: float = 0.95) -> pd.DataFrame:
    """Per metric: n, mean, sd, CI low/high (t over replications) and percentiles across replications."""
    rows = []
    for metric in metrics:
        x = table[metric].to_numpy(dtype=float)
        x = x[~np.isnan(x)]
        mean, low, high = t_interval(x, level)
        row = {
            "metric": metric,
            "n": len(x),
            "mean": mean,
            "sd": float(x.std(ddof=1)) if len(x) > 1 else math.nan,
            "ci_low": low,
            "ci_high": high,
        }
        cuts = np.percentile(x, PERCENTILES).tolist() if len(x) else [math.nan] * len(PERCENTILES)
        row.update((f"p{p}", cut) for p, cut in zip(PERCENTILES, cuts))  # one partition for all five
        rows.append(row)
    return pd.DataFrame(rows)


def paired_difference(
    variant: np.ndarray, base: np.ndarray, level: float = 0.95
) -> tuple[float, float, float, float]:
    """Mean of (variant − base) over replications, its t interval, and the two-sided p-value.

    The paired-t test (``scipy.stats.ttest_rel``) on the replications where
    both values exist, computed directly: d̄ ± t_{n−1, 1−α/2} · s_d/√n and
    p = 2·P(T_{n−1} > |d̄| / (s_d/√n)); with no spread in the differences the
    interval is the point and the p-value 1 (no difference) or 0. (scipy.stats'
    own test builds a result object per call: 165 of them were a third of a
    department run's summary.)
    """
    d = np.asarray(variant, dtype=float) - np.asarray(base, dtype=float)
    d = d[~np.isnan(d)]
    n = len(d)
    if n < 2:
        return (float(d.mean()) if n else math.nan), math.nan, math.nan, math.nan
    mean = float(d.mean())
    sd = float(d.std(ddof=1))
    if sd == 0:
        return mean, mean, mean, (1.0 if mean == 0 else 0.0)
    se = sd / math.sqrt(n)
    half = float(stdtrit(n - 1, 0.5 + level / 2)) * se
    p = 2 * float(stdtr(n - 1, -abs(mean) / se))
    return mean, mean - half, mean + half, min(1.0, p)


def welch_difference(
    variant: np.ndarray, base: np.ndarray, level: float = 0.95
) -> tuple[float, float, float]:
    """Mean difference with the Welch interval, for independent (not paired) samples (Law §10.2.2).

    x̄₁ − x̄₂ ± t_{f̂, 1−α/2} · √(s₁²/n₁ + s₂²/n₂), with the Welch–Satterthwaite
    degrees of freedom f̂ = (s₁²/n₁ + s₂²/n₂)² / [(s₁²/n₁)²/(n₁−1) + (s₂²/n₂)²/(n₂−1)].
    """
    diff, low, high, _ = welch_test(variant, base, level)
    return diff, low, high


def welch_test(
    variant: np.ndarray, base: np.ndarray, level: float = 0.95
) -> tuple[float, float, float, float]:
    """Welch interval as in :func:`welch_difference`, plus the two-sided p-value of no difference.

    ``scipy.stats.ttest_ind(equal_var=False)`` on the values present; with no
    spread in either sample the interval is the point and the p-value 1 or 0.
    """
    a = np.asarray(variant, dtype=float)
    b = np.asarray(base, dtype=float)
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    if len(a) < 2 or len(b) < 2:
        diff = float(a.mean() - b.mean()) if len(a) and len(b) else math.nan
        return diff, math.nan, math.nan, math.nan
    diff = float(a.mean() - b.mean())
    if a.var(ddof=1) == 0 and b.var(ddof=1) == 0:
        return diff, diff, diff, (1.0 if diff == 0 else 0.0)
    from scipy import stats

    with warnings.catch_warnings():  # scipy warns of precision loss when one sample is constant
        warnings.simplefilter("ignore", RuntimeWarning)
        test = stats.ttest_ind(a, b, equal_var=False)
        low, high = test.confidence_interval(level)
    return diff, float(low), float(high), float(test.pvalue)


def compare(
    replications: pd.DataFrame, metrics: list[str], base: str = "base", level: float = 0.95, paired: bool = True
) -> pd.DataFrame:
    """Each variant against the base, Bonferroni-adjusted over variants.

    ``paired``: replications share random numbers, so the paired-t interval on
    the differences is used; otherwise the samples are independent and the
    Welch interval is (column ``method``).

    The family is the k variants compared on one metric: each interval has
    confidence 1 − α/k (α = 1 − ``level``), ``p_value`` is the test's own
    p-value and ``p_value_adjusted`` = min(1, k · p_value), its Bonferroni
    adjustment. ``significant`` is exactly ``p_value_adjusted < α`` (the
    adjusted interval excluding 0, up to rounding); False where the p-value
    is undefined.
    """
    variants = [v for v in replications["variant"].unique() if v != base]
    if not variants:
        return pd.DataFrame()
    alpha, k = 1 - level, len(variants)
    adjusted = 1 - alpha / k
    base_rows = replications.loc[replications["variant"] == base].set_index("replication")
    rows = []
    for v in variants:
        mine = replications.loc[replications["variant"] == v].set_index("replication")
        for metric in metrics:
            if paired:
                a, b = mine[metric].align(base_rows[metric], join="inner")
                diff, low, high, p = paired_difference(a.to_numpy(), b.to_numpy(), adjusted)
            else:
                a, b = mine[metric], base_rows[metric]
                diff, low, high, p = welch_test(a.to_numpy(), b.to_numpy(), adjusted)
            p_adjusted = min(1.0, k * p) if not math.isnan(p) else math.nan
            rows.append(
                {
                    "variant": v,
                    "metric": metric,
                    "base_mean": float(b.mean()),
                    "variant_mean": float(a.mean()),
                    "difference": diff,
                    "ci_low": low,
                    "ci_high": high,
                    "confidence": adjusted,
                    "method": "paired-t" if paired else "welch",
                    "p_value": p,
                    "p_value_adjusted": p_adjusted,
                    "significant": bool(p_adjusted < alpha),  # NaN < α is False
                }
            )
    return pd.DataFrame(rows)


def mser5(series: np.ndarray) -> int:
    """Warm-up cut-off by MSER-5 (White 1997; White, Cobb & Spratt 2000).

    The series is grouped into batches of 5; for each truncation point d (in
    batches, up to half the series) MSER(d) = Σ_{i>d} (Z_i − Z̄_d)² / (k − d)²,
    where Z are the batch means. The cut-off minimising it, in original units
    (days), is returned.
    """
    x = np.asarray(series, dtype=float)
    k = len(x) // 5
    if k < 2:
        return 0
    z = x[: k * 5].reshape(k, 5).mean(axis=1)
    best, best_d = math.inf, 0
    for d in range(k // 2 + 1):
        rest = z[d:]
        value = float(((rest - rest.mean()) ** 2).sum() / (k - d) ** 2)
        if value < best - 1e-12:
            best, best_d = value, d
    return best_d * 5


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


# ------------------------------------------------------------------ proportions


def wilson(successes: int, n: int, level: float = WILSON_LEVEL) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (Wilson 1927)."""
    from scipy import stats  # loaded only here: the runner needs none of scipy.stats

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
    from scipy import stats

    z = float(stats.norm.ppf(0.5 + level / 2))
    return math.ceil(confidence * z * z / (1 - confidence) - 1e-9)
