"""Raw records → tidy tables, built once for all replications.

The model fills plain Python objects; here they become columns (lists), the
columns of many replications are concatenated, and pandas sees them once.
Times are minutes from the start of the run; NaN means "did not happen".
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd

from sim.model.charts import DAY
from sim.records import Records

CHART_COLUMNS = (
    "replication", "chart_id", "chart_type", "arrived_at", "started_at",
    "query_sent_at", "query_answered_at", "resumed_at", "coded_at", "coder",
)
_TIME_COLUMNS = ("coding", "query_writing", "interrupted", "on_break", "idle", "paid", "overtime")


class Columns:
    """Accumulates the columns of the charts and coder-days tables across replications."""

    def __init__(self, kinds: list[str], keep_charts: bool = True) -> None:
        self.kinds = kinds
        self.keep_charts = keep_charts
        self.charts: dict[str, list] = defaultdict(list)
        self.coder_days: dict[str, list] = defaultdict(list)

    def add(self, rec: Records) -> None:
        cols = self.charts
        n = len(rec.charts)
        cols["replication"].extend([rec.replication] * n)
        for name, attr in (
            ("chart_id", "id"), ("kind", "kind"), ("arrived_at", "arrived_at"),
            ("started_at", "started_at"), ("query_sent_at", "query_sent_at"),
            ("query_answered_at", "query_answered_at"), ("resumed_at", "resumed_at"),
            ("coded_at", "coded_at"), ("coder", "coder"),
        ):
            cols[name].extend([getattr(c, attr) for c in rec.charts])
        days = self.coder_days
        m = len(rec.coder_days)
        days["replication"].extend([rec.replication] * m)
        days["day"].extend([d.day for d in rec.coder_days])
        days["coder"].extend([d.coder for d in rec.coder_days])
        for k in range(len(self.kinds)):
            days[f"kind{k}"].extend([d.coded[k] for d in rec.coder_days])
        days["queries_sent"].extend([d.queries_sent for d in rec.coder_days])
        days["interruptions"].extend([d.interruptions for d in rec.coder_days])
        for name in _TIME_COLUMNS:
            days[name].extend([getattr(d, name) for d in rec.coder_days])

    def extend(self, other: Columns) -> None:
        for mine, theirs in ((self.charts, other.charts), (self.coder_days, other.coder_days)):
            for key, values in theirs.items():
                mine[key].extend(values)


def charts_frame(cols: Columns) -> pd.DataFrame:
    """One row per chart per replication (the ``charts.csv`` table)."""
    c = cols.charts
    kinds = pd.Categorical.from_codes(np.asarray(c["kind"], dtype=int), categories=cols.kinds)
    coder = pd.array([x if x >= 0 else None for x in c["coder"]], dtype="Int64")
    return pd.DataFrame(
        {
            "replication": np.asarray(c["replication"], dtype=int),
            "chart_id": np.asarray(c["chart_id"], dtype=int),
            "chart_type": kinds,
            "arrived_at": np.asarray(c["arrived_at"], dtype=float),
            "started_at": np.asarray(c["started_at"], dtype=float),
            "query_sent_at": np.asarray(c["query_sent_at"], dtype=float),
            "query_answered_at": np.asarray(c["query_answered_at"], dtype=float),
            "resumed_at": np.asarray(c["resumed_at"], dtype=float),
            "coded_at": np.asarray(c["coded_at"], dtype=float),
            "coder": coder,
        }
    )


def coder_days_frame(cols: Columns, charts: pd.DataFrame, teams: list[str], levels: list[str]) -> pd.DataFrame:
    """One row per replication × day × coder (the ``coder_days.csv`` table)."""
    d = cols.coder_days
    frame = pd.DataFrame({"replication": d["replication"], "day": d["day"], "coder": d["coder"]})
    frame["team"] = [teams[i] for i in frame["coder"]]
    frame["level"] = [levels[i] for i in frame["coder"]]
    coded = np.zeros(len(frame), dtype=int)
    for k, kind in enumerate(cols.kinds):
        frame[f"coded_{kind}"] = d[f"kind{k}"]
        coded += np.asarray(d[f"kind{k}"], dtype=int)
    frame.insert(5, "charts_coded", coded)
    frame["queries_sent"] = d["queries_sent"]
    frame["queries_answered"] = _answered_per_coder_day(charts, frame)
    frame["interruptions"] = d["interruptions"]
    frame["paid_minutes"] = d["paid"]
    frame["overtime_minutes"] = d["overtime"]
    frame["coding_minutes"] = d["coding"]
    frame["query_minutes"] = d["query_writing"]
    frame["interrupted_minutes"] = d["interrupted"]
    frame["break_minutes"] = d["on_break"]
    frame["idle_minutes"] = d["idle"]
    return frame


def _answered_per_coder_day(charts: pd.DataFrame, frame: pd.DataFrame) -> np.ndarray:
    """Queries of each coder answered by a physician on each day."""
    answered = charts.loc[charts["query_answered_at"].notna()]
    if answered.empty or frame.empty:
        return np.zeros(len(frame), dtype=int)
    key = pd.DataFrame(
        {
            "replication": answered["replication"].to_numpy(),
            "day": (answered["query_answered_at"].to_numpy() // DAY).astype(int),
            "coder": answered["coder"].to_numpy(dtype=int),
        }
    )
    counts = key.value_counts().rename("n")
    joined = frame[["replication", "day", "coder"]].join(counts, on=["replication", "day", "coder"])
    return joined["n"].fillna(0).to_numpy(dtype=int)


def days_frame(charts: pd.DataFrame, kinds: list[str], reps: list[int], n_days: int) -> pd.DataFrame:
    """One row per replication × day: arrivals, charts coded, backlog at the end of the day.

    Backlog is every chart that has arrived and is not yet coded (waiting, in
    hand, or on query hold); ``on_hold`` is the part waiting for a physician.
    """
    rep_index = {r: i for i, r in enumerate(reps)}
    n_reps, n_kinds = len(reps), len(kinds)
    r = charts["replication"].map(rep_index).to_numpy()
    k = charts["chart_type"].cat.codes.to_numpy()

    def per_day(times: np.ndarray) -> np.ndarray:
        grid = np.zeros((n_reps, n_days + 1, n_kinds))
        day = np.where(np.isnan(times), n_days, np.minimum(times // DAY, n_days)).astype(int)
        np.add.at(grid, (r, day, k), 1)
        return grid[:, :n_days, :]

    arrived = per_day(charts["arrived_at"].to_numpy())
    coded = per_day(charts["coded_at"].to_numpy())
    sent = per_day(charts["query_sent_at"].to_numpy())
    answered = per_day(charts["query_answered_at"].to_numpy())
    backlog = np.cumsum(arrived, axis=1) - np.cumsum(coded, axis=1)
    on_hold = (np.cumsum(sent, axis=1) - np.cumsum(answered, axis=1)).sum(axis=2)
    out = {
        "replication": np.repeat(reps, n_days),
        "day": np.tile(np.arange(n_days), n_reps),
        "arrived": arrived.sum(axis=2).ravel().astype(int),
        "coded": coded.sum(axis=2).ravel().astype(int),
        "backlog": backlog.sum(axis=2).ravel().astype(int),
        "on_hold": on_hold.ravel().astype(int),
    }
    for i, kind in enumerate(kinds):
        out[f"backlog_{kind}"] = backlog[:, :, i].ravel().astype(int)
    return pd.DataFrame(out)
