"""What the log itself shows: charts per coder-day, turnaround and backlog, with intervals.

These are the yardsticks of the back-test, measured the way the model
measures them: charts finished per coder-day at work; turnaround from 00:00
of the arrival day (the model lands a day's charts then) to the end of the
session that finished the chart, for charts arriving on days 1 … of the
complete window; backlog (arrived and not finished, query holds included) at
the end of each complete day. Days of one week are correlated, so each
interval is a Student-t interval over weekly means (batch means).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.fit.department import DepartmentFit
from sim.stats.summary import t_interval

DAYS_PER_BATCH = 7


@dataclass(frozen=True)
class Measure:
    """A metric's mean with its interval and how many values it rests on."""

    mean: float
    low: float
    high: float
    n: int


NOT_IN_LOG = Measure(math.nan, math.nan, math.nan, 0)


def batch_means(values: pd.Series, weights: pd.Series | None = None) -> Measure:
    """Mean and t interval over weekly means of daily values indexed by day number."""
    if values.empty:
        return NOT_IN_LOG
    week = (values.index.to_numpy() // DAYS_PER_BATCH).astype(int)
    if weights is None:
        weekly = values.groupby(week).mean()
    else:
        weekly = (values * weights).groupby(week).sum() / weights.groupby(week).sum()
    series = weekly if len(weekly) >= 2 else values
    mean, low, high = t_interval(series.to_numpy(dtype=float))
    return Measure(mean, low, high, len(values))


def charts_per_coder_day(fit: DepartmentFit) -> Measure:
    s, charts, win = fit.sessions, fit.charts, fit.window
    present = s.groupby(win.day_of(s["started_at"]))["coder"].nunique()
    finished = charts["coded_at"].dropna()
    coded = win.day_of(finished).value_counts().reindex(present.index, fill_value=0)
    return batch_means(coded / present, present)


def turnaround_days(fit: DepartmentFit) -> Measure:
    charts, win = fit.charts, fit.window
    if not charts["discharged_at"].notna().any():
        return NOT_IN_LOG
    day = win.day_of(charts["discharged_at"])
    mine = day.between(1, win.complete_days - 1) & charts["coded_at"].notna()
    midnight = win.day0 + pd.to_timedelta(day[mine], unit="D")
    days = (charts.loc[mine, "coded_at"] - midnight) / pd.Timedelta(days=1)
    return batch_means(days.groupby(day[mine]).mean(), days.groupby(day[mine]).size())


def backlog(fit: DepartmentFit) -> Measure:
    charts, win = fit.charts, fit.window
    if not charts["discharged_at"].notna().any():
        return NOT_IN_LOG
    seen = charts[charts["has_first_review"] & charts["discharged_at"].notna()]
    arrived = np.sort(win.day_of(seen["discharged_at"]).to_numpy())
    coded = np.sort(win.day_of(seen["coded_at"]).fillna(np.inf).to_numpy())
    ends = np.arange(win.complete_days)
    open_ = np.searchsorted(arrived, ends, side="right") - np.searchsorted(coded, ends, side="right")
    return batch_means(pd.Series(open_.astype(float), index=ends))
