"""Tables built from the records agree with each other."""

from __future__ import annotations

import numpy as np

import sim
from sim.scenario.calendar import DAY
from sim.scenario.config import parse_scenario

WEEK = {
    "days": 9,  # Monday to the next Tuesday: a weekend in the middle
    "chart_types": {
        "inpatient": {
            "coding_time": {"dist": "uniform", "low": 15, "high": 20},
            "query": {"probability": 0.5},
        }
    },
    "arrivals": {"daily": {"inpatient": {"count": {"dist": "poisson", "mean": 20}}}},
    "queries": {"answer_delay": {"dist": "exponential", "mean": 30, "unit": "hours"}},
}


def test_answers_on_days_off_count_on_the_next_working_day() -> None:
    results = sim.run(parse_scenario(WEEK), reps=5, seed=1)
    charts, days = results.charts, results.coder_days
    last_workday = days["day"].max()
    answered = charts["query_answered_at"].dropna()
    assert (answered // DAY).isin([5, 6]).any(), "no answer fell on the weekend: the test checks nothing"
    expected = int((answered < (last_workday + 1) * DAY).sum())
    assert days["queries_answered"].sum() == expected
    # the replication total counts every answer
    assert results.replications["queries_answered"].sum() == len(answered)


def test_days_table_backlog_is_arrived_minus_coded() -> None:
    results = sim.run(parse_scenario(WEEK), reps=3, seed=2)
    d = results.days
    for rep, rows in d.groupby("replication"):
        assert np.array_equal(rows["backlog"], rows["arrived"].cumsum() - rows["coded"].cumsum())
        charts = results.charts.loc[results.charts["replication"] == rep]
        assert rows["backlog"].iloc[-1] == charts["coded_at"].isna().sum()
