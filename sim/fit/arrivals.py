"""Arrivals: charts per day by type, weekday factors, and the backlog the log starts with.

With ``discharged_at`` the daily volume is counted by discharge date over the
log's *complete* days: a chart discharged near the log's end may not have
been opened before it ends and so is missing from the log, so days within
the 99th percentile of the wait (discharge to first review) of the end are
left out. The model lands each day's charts at 00:00 with a Poisson count of
mean × the weekday's factor; ``mean`` is the Monday–Friday average and each
factor the weekday's average over it. The dispersion index (Pearson χ² over
its degrees of freedom) says whether Poisson fits: within its interval
under Poisson, or over-/underdispersed. Overdispersed counts are written as a
negative binomial with the same mean and factors and the dispersion k
(variance = mean + mean²/k) fitted by maximum likelihood, with a profile
likelihood interval.

The backlog at the start is the charts discharged before the log's first day
and first reviewed in it. Without ``discharged_at`` the volume is the charts
finished per calendar day (a department in steady state codes what
arrives) and the backlog an assumption.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from sim.scenario.calendar import WEEKDAYS

WAIT_QUANTILE = 0.99
WORKWEEK = WEEKDAYS[:5]


@dataclass(frozen=True)
class Window:
    """The log's days, and those whose arrivals are complete."""

    day0: pd.Timestamp  # 00:00 of the log's first day
    n_days: int
    complete_days: int  # days 0 … complete_days − 1 have complete arrival counts

    def day_of(self, t: pd.Series) -> pd.Series:
        return np.floor((t - self.day0) / pd.Timedelta(days=1))

    @property
    def start_weekday(self) -> str:
        return WEEKDAYS[self.day0.weekday()]


@dataclass(frozen=True)
class Volume:
    """Daily volume of one chart type."""

    kind: str
    days: int
    mean: float
    factors: dict[str, float] | None
    dispersion: float
    dispersion_ci: tuple[float, float]
    from_discharges: bool
    k: tuple[float, float, float] | None = None  # negative binomial dispersion and its interval, when overdispersed
    confidence: float = 0.95

    @property
    def overdispersed(self) -> bool:
        return self.k is not None

    @property
    def verdict(self) -> str:
        low, high = self.dispersion_ci
        if math.isnan(self.dispersion):
            return "Poisson assumed"
        if self.k is not None:
            k, k_low, k_high = self.k
            return (f"overdispersed (index {self.dispersion:.2f}, Poisson range {low:.2f}–{high:.2f}): negative "
                    f"binomial, dispersion k={k:.3g} ({self.confidence * 100:g} % interval {k_low:.3g}–{k_high:.3g}; "
                    "variance = mean + mean²/k)")
        if self.dispersion > high:
            return f"overdispersed (index {self.dispersion:.2f}, Poisson range {low:.2f}–{high:.2f}): Poisson understates the day-to-day spread"
        if self.dispersion < low:
            return f"underdispersed (index {self.dispersion:.2f}, Poisson range {low:.2f}–{high:.2f}): steadier than Poisson"
        return f"Poisson (dispersion index {self.dispersion:.2f} within {low:.2f}–{high:.2f})"


@dataclass(frozen=True)
class Backlog:
    """Charts waiting for a first review when the log begins."""

    count: int
    mix: dict[str, float]
    on_hold: int  # charts on query hold at the start (completions only in the log); not modelled
    inferred: bool


def window(charts: pd.DataFrame, first_day: pd.Timestamp, n_days: int) -> Window:
    day0 = pd.Timestamp(first_day).normalize()
    arrived = charts["discharged_at"]
    seen = arrived.notna() & (arrived >= day0) & charts["first_start"].notna()
    if not seen.any():
        return Window(day0, n_days, n_days)
    wait = ((charts["first_start"] - arrived)[seen] / pd.Timedelta(days=1)).clip(lower=0)
    margin = math.ceil(float(np.quantile(wait, WAIT_QUANTILE)))
    complete = n_days - margin
    return Window(day0, n_days, complete if complete >= 2 else n_days)


def daily_volumes(charts: pd.DataFrame, win: Window, confidence: float = 0.95) -> dict[str, Volume]:
    """Per chart type: mean daily count, weekday factors and dispersion."""
    from_discharges = charts["discharged_at"].notna().any()
    when = charts["discharged_at"] if from_discharges else charts["coded_at"]
    n_days = win.complete_days if from_discharges else win.n_days
    day = win.day_of(when)
    dates = pd.date_range(win.day0, periods=n_days, freq="D")
    weekday = np.array([d.weekday() for d in dates])
    by_weekday = np.bincount(weekday, minlength=7)
    weekly = from_discharges and by_weekday.min() >= 2
    out = {}
    for kind in sorted(charts["chart_type"].unique()):
        mine = day[(charts["chart_type"] == kind) & day.between(0, n_days - 1)]
        counts = np.bincount(mine.astype(int), minlength=n_days).astype(float)
        if weekly:
            day_means = np.array([counts[weekday == w].mean() for w in range(7)])
            base = float(day_means[:5].mean())
            factors = {WEEKDAYS[w]: round(float(day_means[w] / base), 3) if base > 0 else 1.0 for w in range(7)}
            expected = day_means[weekday]
            df = n_days - 7
        else:
            base, factors = float(counts.mean()), None
            expected = np.full(n_days, base)
            df = n_days - 1
        if from_discharges and df > 0 and expected.min() > 0:
            index = float(((counts - expected) ** 2 / expected).sum() / df)
            ci = (float(stats.chi2.ppf((1 - confidence) / 2, df) / df), float(stats.chi2.ppf((1 + confidence) / 2, df) / df))
        else:
            index, ci = math.nan, (math.nan, math.nan)
        k = None
        if not math.isnan(index) and index > ci[1]:
            k = nb_dispersion(counts, expected, weekday if weekly else np.zeros(n_days, int), confidence)
        out[str(kind)] = Volume(str(kind), n_days, base, factors, index, ci, bool(from_discharges), k, confidence)
    return out


def nb_dispersion(counts: np.ndarray, expected: np.ndarray, groups: np.ndarray,
                  confidence: float = 0.95) -> tuple[float, float, float]:
    """Negative binomial dispersion k and its profile interval; ``expected`` are the means of ``groups`` (weekdays).

    The likelihood is Cox–Reid adjusted for the group means estimated from the same days (as edgeR and DESeq
    do): plain maximum likelihood would take their spread for less dispersion, as a variance divided by n does.
    """
    from scipy.optimize import brentq, minimize_scalar
    from scipy.special import gammaln

    c, e = np.asarray(counts, dtype=float), np.asarray(expected, dtype=float)
    group_means = np.array([e[groups == g][0] for g in np.unique(groups)])

    def loglik(log_k: float) -> float:
        k = math.exp(log_k)
        plain = np.sum(gammaln(c + k) - gammaln(k) - gammaln(c + 1) + k * np.log(k / (k + e)) + c * np.log(e / (k + e)))
        return float(plain + 0.5 * np.sum(np.log1p(group_means / k)))

    lo_bound, hi_bound = math.log(1e-3), math.log(1e6)
    best = minimize_scalar(lambda v: -loglik(v), bounds=(lo_bound, hi_bound), method="bounded")
    top = -float(best.fun)
    drop = float(stats.chi2.ppf(confidence, 1)) / 2

    def edge(bound: float) -> float:
        gap = lambda v: loglik(v) - (top - drop)  # noqa: E731
        return math.exp(brentq(gap, bound, best.x) if gap(bound) < 0 else bound)

    return math.exp(best.x), edge(lo_bound), edge(hi_bound)


def starting_backlog(charts: pd.DataFrame, win: Window) -> Backlog:
    """Charts discharged before day 0 and first reviewed in the log (see the module docstring)."""
    arrived = charts["discharged_at"]
    if not arrived.notna().any():
        mix = charts["chart_type"].value_counts(normalize=True).sort_index()
        return Backlog(0, {str(k): float(v) for k, v in mix.items()}, 0, False)
    before = arrived < win.day0
    waiting = charts[before & charts["has_first_review"]]
    on_hold = int((before & ~charts["has_first_review"]).sum())
    source = waiting if len(waiting) else charts
    mix = source["chart_type"].value_counts(normalize=True).sort_index()
    return Backlog(len(waiting), {str(k): float(v) for k, v in mix.items()}, on_hold, True)
