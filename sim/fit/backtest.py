"""Back-test: simulate the fitted scenario over the log's days and set it beside the log.

The fitted scenario is run for a modest number of replications over as many
days as the log covers, and charts per coder-day, turnaround and backlog are
measured as sim.fit.observed measures them in the log. Each replication
gives one value; their t interval is the simulation's. Overlapping
intervals do not prove the fit right, but a clear gap points at what the
model misses (absences, priorities, a query hold at the start).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

import sim
from sim.fit import observed
from sim.fit.department import DepartmentFit
from sim.fit.observed import Measure
from sim.scenario.calendar import DAY
from sim.scenario.config import Scenario
from sim.stats.summary import t_interval

METRICS = (
    ("charts_per_coder_day", "charts", "charts finished per coder-day at work"),
    ("turnaround_mean_days", "days", "arrival (00:00 of its day) to finished, charts arriving on days 1…"),
    ("backlog_mean", "charts", "charts arrived and not finished at the end of a day"),
)


@dataclass(frozen=True)
class Backtest:
    """The comparison table and the simulation behind it."""

    table: pd.DataFrame
    reps: int
    seed: int


def backtest(fit: DepartmentFit, scenario: Scenario, reps: int = 20, seed: int = 0, workers: int = 1) -> Backtest:
    results = sim.run(scenario, reps=reps, seed=seed, workers=workers, keep_charts=True)
    log = {
        "charts_per_coder_day": observed.charts_per_coder_day(fit),
        "turnaround_mean_days": observed.turnaround_days(fit),
        "backlog_mean": observed.backlog(fit),
    }
    model = _simulated(results, fit.window.complete_days)
    rows = []
    for name, unit, meaning in METRICS:
        o, m = log[name], model[name]
        rows.append({
            "metric": name, "unit": unit, "meaning": meaning,
            "observed": o.mean, "observed_low": o.low, "observed_high": o.high,
            "simulated": m.mean, "simulated_low": m.low, "simulated_high": m.high,
            "overlap": bool(o.low <= m.high and m.low <= o.high) if np.isfinite([o.low, m.low]).all() else None,
        })
    return Backtest(pd.DataFrame(rows), reps, seed)


def _simulated(results, complete_days: int) -> dict[str, Measure]:
    def measure(per_rep: pd.Series) -> Measure:
        mean, low, high = t_interval(per_rep.to_numpy(dtype=float))
        return Measure(mean, low, high, len(per_rep))

    charts = results.charts
    day = np.floor(charts["arrived_at"] / DAY)
    mine = (day >= 1) & (day < complete_days) & charts["coded_at"].notna()
    turnaround = ((charts["coded_at"] - day * DAY) / DAY)[mine].groupby(charts.loc[mine, "replication"]).mean()
    days = results.days[results.days["day"] < complete_days]
    return {
        "charts_per_coder_day": measure(results.replications["charts_per_coder_day"]),
        "turnaround_mean_days": measure(turnaround),
        "backlog_mean": measure(days.groupby("replication")["backlog"].mean()),
    }
