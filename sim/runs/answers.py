"""A coding manager's Monday questions, answered as sentences with their probability.

From the replications of a run that started from the department's state
(sim.runs.outlook), never from the mean path: the mean of many paths can cross a
line on a day no single replication does.

- *When does the backlog fall under N?* Each replication's first day ending
  with fewer than N charts waiting; the median of those days, and the day
  by which 90 % of the replications have crossed ("the backlog falls under
  150 by 14 March (median; 90 % of runs by 19 March)"). Replications that
  never cross within the horizon count as later than every day.
- *On which days is DNFB too high, or the turnaround target missed?* On
  each day, the share of replications above the threshold; the days where
  that share exceeds the chosen probability are named as ranges
  ("P(DNFB days > 4) exceeds 50 % on 3–7 March").

Thresholds are ``state.answers`` (sim.scenario.state.Answers).
"""

from __future__ import annotations

import datetime
import math

import numpy as np
import pandas as pd

from sim.runs.outlook import ALL


def backlog_threshold(scenario) -> int:
    """state.answers.backlog_below, else one weekday's expected arrivals, else half the open charts."""
    state = scenario.state
    if state.answers.backlog_below is not None:
        return state.answers.backlog_below
    arrivals = scenario.arrivals
    daily = sum(v.count.expected() for v in arrivals.daily.values())
    daily += sum(arrivals.per_hour.values()) * (arrivals.window.end_min - arrivals.window.start_min) / 60
    return round(daily) if daily >= 1 else len(state.open_charts) // 2


def day_text(first: datetime.date, day: int) -> str:
    when = first + datetime.timedelta(days=int(day))
    return f"{when.day} {when:%B}"


def days_text(first: datetime.date, days: list[int]) -> str:
    """Days of the run as dates, consecutive ones as ranges: '3–7 March, 10 March'."""
    ranges: list[tuple[int, int]] = []
    for d in days:
        if ranges and d == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], d)
        else:
            ranges.append((d, d))
    out = []
    for a, b in ranges:
        start, end = first + datetime.timedelta(days=a), first + datetime.timedelta(days=b)
        if a == b:
            out.append(day_text(first, a))
        elif start.month == end.month:
            out.append(f"{start.day}–{end.day} {end:%B}")
        else:
            out.append(f"{day_text(first, a)}–{day_text(first, b)}")
    return ", ".join(out)


def by_day(days: np.ndarray, share: float) -> float:
    """The day by which ``share`` of the replications have crossed (inf: not within the horizon)."""
    ordered = np.sort(days)
    return float(ordered[max(0, math.ceil(share * len(ordered)) - 1)])


def backlog_answer(backlog: np.ndarray, threshold: int, first: datetime.date) -> str:
    """``backlog``: replications × days of the department's backlog at the end of each day."""
    n_days = backlog.shape[1]
    below = backlog < threshold
    crossed = np.where(below.any(axis=1), below.argmax(axis=1), np.inf)
    median, p90 = by_day(crossed, 0.5), by_day(crossed, 0.9)
    last = day_text(first, n_days - 1)
    if math.isinf(median):
        share = float(np.isinf(crossed).mean())
        return f"the backlog stays at {threshold} or above through {last} in {share * 100:.0f} % of runs"
    text = f"the backlog falls under {threshold} by {day_text(first, int(median))} (median; "
    if math.isinf(p90):
        return text + f"in {float(np.isinf(crossed).mean()) * 100:.0f} % of runs not by {last}, the last day)"
    return text + f"90 % of runs by {day_text(first, int(p90))})"


def days_above_answer(values: np.ndarray, threshold: float, probability: float, label: str,
                      first: datetime.date, unit: str = "") -> str:
    """``values``: replications × days; the days on which P(value > threshold) exceeds ``probability``."""
    share = (np.nan_to_num(values, nan=-np.inf) > threshold).mean(axis=0)
    head = f"P({label} > {threshold:g}{unit}) "
    hot = [int(d) for d in np.flatnonzero(share > probability)]
    if hot:
        return head + f"exceeds {probability * 100:.0f} % on {days_text(first, hot)}"
    top = int(share.argmax())
    return head + (f"stays at or below {probability * 100:.0f} % on every day to {day_text(first, len(share) - 1)} "
                   f"(highest {share[top] * 100:.0f} %, on {day_text(first, top)})")


def _grids(one: pd.DataFrame):
    """metric → replications × days, from one variant's department rows sorted by replication and day."""
    n_reps = one["replication"].nunique()
    return lambda metric: one[metric].to_numpy(dtype=float).reshape(n_reps, -1)


def answers_table(outlook: pd.DataFrame, scenario) -> pd.DataFrame:
    """``answers.csv``: one sentence per variant and question, with its threshold."""
    state, a = scenario.state, scenario.state.answers
    first = state.moment.date()
    backlog_n = backlog_threshold(scenario)
    turnaround = a.turnaround_days if a.turnaround_days is not None else scenario.target_days
    rows = []
    for variant, one in outlook.loc[outlook["chart_type"] == ALL].groupby("variant", sort=False):
        one = one.sort_values(["replication", "day"])
        grid = _grids(one)
        rows.append((variant, "backlog_below", backlog_n, backlog_answer(grid("backlog"), backlog_n, first)))
        if "dnfb_days" in one.columns:
            rows.append((variant, "dnfb_days_above", a.dnfb_days_above,
                         days_above_answer(grid("dnfb_days"), a.dnfb_days_above, a.probability, "DNFB days", first)))
        rows.append((variant, "turnaround_p95_above", turnaround,
                     days_above_answer(grid("turnaround_p95_days"), turnaround, a.probability,
                                       "turnaround p95", first, " days")))
    return pd.DataFrame(rows, columns=["variant", "question", "threshold", "answer"])
