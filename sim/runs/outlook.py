"""The weeks ahead from a starting state: each replication's day-by-day path, and ``forecast.csv``.

With ``state:`` every task reduces its replications where they ran to one
small table, the *outlook*: per replication, day and chart type (and
``all``, the department), the values at the end of the day of

- ``backlog``: charts arrived and not yet coded (waiting, in hand, on hold);
- ``on_hold``: the part waiting for a physician's answer;
- ``coded``: charts coded that day;
- ``dnfb_dollars``: the revenue of charts not yet billable (with ``revenue:``);
- ``dnfb_days``: those dollars over the average daily revenue of the charts
  arriving after ``as_of`` (HFMA's DNFB days, docs/sources.md#S27);
- ``turnaround_p95_days``: the 95th percentile of the turnaround, from the
  original arrival, of the charts coded that day (empty on a day none is).

``forecast_table`` turns the outlooks of every replication into
``forecast.csv``: mean and percentiles across replications, one row per
variant, day, chart type and metric. Day 0 is the day of ``as_of``. The
percentiles are of the replications' values on that day (a fan, not the
path of one replication); sim.runs.answers reads the replications themselves.
"""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd

from sim.runs.tables import day_counter
from sim.scenario.calendar import DAY

METRICS = ("backlog", "on_hold", "coded", "dnfb_dollars", "dnfb_days", "turnaround_p95_days")
REVENUE_METRICS = ("dnfb_dollars", "dnfb_days")
PERCENTILES = (5, 25, 50, 75, 95)
ALL = "all"


def daily_outlook(
    charts: pd.DataFrame, kinds: list[str], reps: list[int], n_days: int, as_of: float,
    revenue: list[float] | None = None,
) -> pd.DataFrame:
    """One row per replication × day × chart type (``all`` first): the six values at the end of the day.

    Work finished after midnight of the last day counts on the last day;
    charts that arrived before day 0 (the open charts) count from day 0.
    """
    n_reps, n_kinds = len(reps), len(kinds)
    r = charts["replication"].map({rep: i for i, rep in enumerate(reps)}).to_numpy()
    k = charts["chart_type"].cat.codes.to_numpy()
    count = day_counter(charts, reps, n_days, n_kinds)

    def per_day(times: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        grid = count(times, weights)
        return np.concatenate([grid.sum(axis=2, keepdims=True), grid], axis=2)  # "all" first

    arrived_at, coded_at = charts["arrived_at"].to_numpy(), charts["coded_at"].to_numpy()
    arrived, coded = per_day(arrived_at), per_day(coded_at)
    values = {
        "backlog": np.cumsum(arrived, axis=1) - np.cumsum(coded, axis=1),
        "on_hold": np.cumsum(per_day(charts["query_sent_at"].to_numpy()), axis=1)
        - np.cumsum(per_day(charts["query_answered_at"].to_numpy()), axis=1),
        "coded": coded,
    }
    if revenue is not None:
        w = np.asarray(revenue, dtype=float)[k]
        if "expected_reimbursement" in charts.columns:
            own = charts["expected_reimbursement"].to_numpy(dtype=float)
            w = np.where(np.isnan(own), w, own)
        billed = charts["billable_at" if "billable_at" in charts.columns else "coded_at"].to_numpy()
        dollars = np.cumsum(per_day(arrived_at, w), axis=1) - np.cumsum(per_day(billed, w), axis=1)
        new = np.where(arrived_at > as_of, w, 0.0)  # the revenue arriving after as_of, per day on average
        daily = per_day(arrived_at, new).sum(axis=1, keepdims=True) / n_days
        values["dnfb_dollars"] = dollars
        with np.errstate(divide="ignore", invalid="ignore"):
            values["dnfb_days"] = np.where(daily > 0, dollars / daily, np.nan)
    values["turnaround_p95_days"] = _turnaround_p95(charts, r, k, n_reps, n_days, n_kinds)
    labels = [ALL, *kinds]
    out = {
        "replication": np.repeat(reps, n_days * (n_kinds + 1)),
        "day": np.tile(np.repeat(np.arange(n_days), n_kinds + 1), n_reps),
        "chart_type": np.tile(labels, n_reps * n_days),
    }
    for name, grid in values.items():
        out[name] = grid.astype(float).ravel()
    return pd.DataFrame(out)


def _turnaround_p95(charts: pd.DataFrame, r: np.ndarray, k: np.ndarray, n_reps: int, n_days: int,
                    n_kinds: int) -> np.ndarray:
    """95th percentile of turnaround (days, from the original arrival) of the charts coded each day; NaN if none."""
    out = np.full((n_reps, n_days, n_kinds + 1), np.nan)
    coded_at = charts["coded_at"].to_numpy()
    done = ~np.isnan(coded_at)
    if not done.any():
        return out
    day = np.minimum(coded_at[done] // DAY, n_days - 1).astype(int)
    frame = pd.DataFrame({"r": r[done], "d": day, "k": k[done] + 1,
                          "t": (coded_at[done] - charts["arrived_at"].to_numpy()[done]) / DAY})
    for keys, column in ((["r", "d", "k"], None), (["r", "d"], 0)):
        q = frame.groupby(keys)["t"].quantile(0.95)
        idx = [q.index.get_level_values(i).to_numpy() for i in range(len(keys))]
        out[idx[0], idx[1], idx[2] if column is None else column] = q.to_numpy()
    return out


def forecast_table(outlook: pd.DataFrame, as_of: str, revenue: bool) -> pd.DataFrame:
    """``forecast.csv``: per variant, date, day, chart type and metric, the mean and percentiles across replications."""
    metrics = [m for m in METRICS if revenue or m not in REVENUE_METRICS]
    first = datetime.date.fromisoformat(as_of[:10])
    order = {name: i for i, name in enumerate(outlook["chart_type"].drop_duplicates())}
    variants = []
    for variant, one in outlook.groupby("variant", sort=False):
        one = one.sort_values(["replication", "day"], kind="stable")  # chart types stay in the outlook's order
        n_reps = one["replication"].nunique()
        cells = one.loc[one["replication"] == one["replication"].iloc[0], ["day", "chart_type"]].reset_index(drop=True)
        parts = []
        for m, metric in enumerate(metrics):
            grid = one[metric].to_numpy(dtype=float).reshape(n_reps, len(cells))
            seen = ~np.isnan(grid).all(axis=0)
            stats = np.full((len(PERCENTILES) + 1, len(cells)), np.nan)
            if seen.any():
                stats[0, seen] = np.nanmean(grid[:, seen], axis=0)
                stats[1:, seen] = np.nanpercentile(grid[:, seen], PERCENTILES, axis=0)
            part = cells.assign(variant=variant, metric=metric, _k=cells["chart_type"].map(order), _m=m)
            part["mean"] = stats[0]
            for i, p in enumerate(PERCENTILES, 1):
                part[f"p{p}"] = stats[i]
            parts.append(part)
        variants.append(pd.concat(parts, ignore_index=True).sort_values(["day", "_k", "_m"], kind="stable"))
    table = pd.concat(variants, ignore_index=True)
    table["date"] = [(first + datetime.timedelta(days=int(d))).isoformat() for d in table["day"]]
    cols = ["variant", "date", "day", "chart_type", "metric", "mean", *(f"p{p}" for p in PERCENTILES)]
    return table[cols]


def daily_revenue(charts: pd.DataFrame, revenue: list[float], as_of: float, n_days: int) -> pd.Series:
    """Each replication's average daily revenue of the charts arriving after ``as_of`` (the open charts are not)."""
    w = np.asarray(revenue, dtype=float)[charts["chart_type"].cat.codes.to_numpy()]
    if "expected_reimbursement" in charts.columns:
        own = charts["expected_reimbursement"].to_numpy(dtype=float)
        w = np.where(np.isnan(own), w, own)
    new = np.where(charts["arrived_at"].to_numpy() > as_of, w, 0.0)
    return pd.Series(new, index=charts.index).groupby(charts["replication"]).sum() / n_days
