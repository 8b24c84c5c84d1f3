"""Physician queries: how often each chart type needs one, and how long answers take.

The query rate is the share of first reviews in the log that sent a query,
with a Wilson score interval (scipy's ``binomtest``). The answer delay is
calendar time from ``query_sent_at`` to ``query_answered_at``; queries sent
so late that a slow answer could not be back before the log ends are left
out, so the delays are not biased toward quick answers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

LATE_QUANTILE = 0.95  # queries sent within this quantile of the answer delay before the log's end are left out


@dataclass(frozen=True)
class QueryRate:
    """Queried first reviews of one chart type, with a Wilson interval."""

    kind: str
    n: int
    queried: int
    low: float
    high: float
    confidence: float

    @property
    def p(self) -> float:
        return self.queried / self.n if self.n else 0.0

    def note(self) -> str:
        return (f"n={self.n} first reviews, {self.queried} queried, Wilson {self.confidence:.0%} CI "
                f"{self.low:.3f}–{self.high:.3f}")


def query_rates(charts: pd.DataFrame, confidence: float = 0.95) -> dict[str, QueryRate]:
    """Per chart type: the share of charts first reviewed in the log that were queried."""
    out = {}
    reviewed = charts[charts["has_first_review"]]
    for kind, group in reviewed.groupby("chart_type"):
        n, k = len(group), int(group["queried"].sum())
        ci = stats.binomtest(k, n).proportion_ci(confidence, method="wilson")
        out[str(kind)] = QueryRate(str(kind), n, k, float(ci.low), float(ci.high), confidence)
    return out


def answer_delays(charts: pd.DataFrame, log_end: pd.Timestamp) -> np.ndarray:
    """Hours from query to answer, for queries sent early enough for a slow answer to be seen."""
    sent, answered = charts["query_sent_at"], charts["query_answered_at"]
    both = sent.notna() & answered.notna()
    hours = ((answered - sent)[both] / pd.Timedelta(hours=1)).to_numpy(dtype=float)
    if len(hours) == 0:
        return hours
    cutoff = log_end - pd.Timedelta(hours=float(np.quantile(hours, LATE_QUANTILE)))
    return hours[(sent[both] <= cutoff).to_numpy()]
