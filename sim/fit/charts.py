"""Sessions → charts: which session was a first review, which a completion.

A session that starts once the chart's query was answered is its
*completion*; every other session is part of its *first review* (a review
split over two sittings is summed). Without query columns the chart's first
session is its first review and any later one its completion, and a chart
with a completion counts as queried. A chart whose only sessions in the log
are completions was first reviewed before the log began (on hold at its
start).

Times are minutes; ``coded_at`` is the end of the session that finished the
chart (NaT if it is still open at the end of the log).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.fit.log import SessionLog

DEFAULT_LEVEL = "mid"  # the level written when the log has no coder_level


def sessions_with_roles(log: SessionLog) -> pd.DataFrame:
    """The log's sessions with ``minutes``, ``level`` and ``role`` (first_review | completion)."""
    s = log.sessions.sort_values(["chart_id", "started_at"]).reset_index(drop=True)
    s["minutes"] = (s["ended_at"] - s["started_at"]) / pd.Timedelta(minutes=1)
    s["level"] = coder_levels(log).reindex(s["coder"]).to_numpy()
    if log.has("query_answered_at"):
        answered = s.groupby("chart_id")["query_answered_at"].transform("max")
        completion = answered.notna() & (s["started_at"] >= answered)
    else:
        completion = s.groupby("chart_id").cumcount() > 0
    s["role"] = np.where(completion, "completion", "first_review")
    return s


def coder_levels(log: SessionLog) -> pd.Series:
    """Each coder's level: the one most often recorded for them (or DEFAULT_LEVEL)."""
    coders = log.sessions["coder"]
    if not log.has("coder_level"):
        return pd.Series(DEFAULT_LEVEL, index=pd.Index(coders.unique(), name="coder"), name="level")
    levels = log.sessions["coder_level"].fillna(DEFAULT_LEVEL)
    return levels.groupby(coders).agg(lambda v: v.value_counts().index[0]).rename("level")


def charts_from(sessions: pd.DataFrame, log: SessionLog) -> pd.DataFrame:
    """One row per chart: first review and completion minutes, who, query times, arrival, coded_at."""
    first = sessions[sessions["role"] == "first_review"].groupby("chart_id")
    done = sessions[sessions["role"] == "completion"].groupby("chart_id")
    every = sessions.groupby("chart_id")
    out = pd.DataFrame({
        "chart_type": every["chart_type"].first(),
        "first_start": first["started_at"].min(),
        "first_end": first["ended_at"].max(),
        "first_minutes": first["minutes"].sum(),
        "first_level": first["level"].first(),
        "first_coder": first["coder"].first(),
        "completion_start": done["started_at"].min(),
        "completion_end": done["ended_at"].max(),
        "completion_minutes": done["minutes"].sum(),
        "completion_level": done["level"].first(),
    })
    for col in ("discharged_at", "query_sent_at", "query_answered_at"):
        out[col] = every[col].min() if log.has(col) else pd.NaT
    has_first = out["first_start"].notna()
    if log.has("query_sent_at"):
        out["queried"] = out["query_sent_at"].notna()
    else:
        out["queried"] = out["completion_start"].notna()
    out["has_first_review"] = has_first
    finished = np.where(out["queried"], out["completion_end"], out["first_end"])
    out["coded_at"] = pd.to_datetime(pd.Series(finished, index=out.index))
    out.loc[~has_first & out["completion_end"].isna(), "coded_at"] = pd.NaT
    return out
