"""Arrivals: charts per day by type, weekday factors, and the backlog the log starts with.

With ``discharged_at`` the daily volume is counted by discharge date over the
log's *complete* days: a chart discharged near the log's end may not have
been opened before it ends and so is missing from the log, so days within
the 99th percentile of the wait (discharge to first review) of the end are
left out. The model lands each day's charts at 00:00 with a Poisson count of
mean × the weekday's factor; ``mean`` is the Monday–Friday average and each
factor the weekday's average over it. The dispersion index (Pearson χ² over
its degrees of freedom) says whether Poisson fits: within its interval
under Poisson, or over-/underdispersed.

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

    @property
    def verdict(self) -> str:
        low, high = self.dispersion_ci
        if math.isnan(self.dispersion):
            return "Poisson assumed"
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
        out[str(kind)] = Volume(str(kind), n_days, base, factors, index, ci, bool(from_discharges))
    return out


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
