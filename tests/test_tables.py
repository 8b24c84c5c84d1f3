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


def test_turnaround_counts_hold_every_chart_after_warmup_in_its_bin() -> None:
    """turnaround.csv: each chart arrived after the warm-up is counted once, in the 5-minute bin of its turnaround
    (or as open), and the counts do not depend on how the replications were cut into tasks."""
    from sim.runs.executor import Inline
    from sim.runs.tables import TURNAROUND_BIN_MINUTES

    scenario = parse_scenario({**WEEK, "warmup_days": 2, "variants": {"faster": {"set": {
        "chart_types.inpatient.coding_time.low": 10, "chart_types.inpatient.coding_time.high": 12}}}})
    results = sim.run(scenario, reps=4, seed=3)
    counts = results.turnaround
    charts = results.charts.loc[results.charts["arrived_at"] >= 2 * DAY]
    assert list(counts.columns) == ["variant", "status", "from_minutes", "to_minutes", "charts"]
    for variant, mine in charts.groupby("variant"):
        got = counts.loc[counts["variant"] == variant]
        minutes = (mine["coded_at"] - mine["arrived_at"]).dropna()
        assert got.loc[got["status"] == "open", "charts"].item() == mine["coded_at"].isna().sum() > 0
        coded = got.loc[got["status"] == "coded"]
        assert coded["charts"].sum() == len(minutes) and (coded["charts"] > 0).all()
        assert (coded["to_minutes"] - coded["from_minutes"] == TURNAROUND_BIN_MINUTES).all()
        expected = (minutes // TURNAROUND_BIN_MINUTES * TURNAROUND_BIN_MINUTES).value_counts().sort_index()
        assert np.array_equal(coded["from_minutes"].to_numpy(), expected.index.to_numpy())
        assert np.array_equal(coded["charts"].to_numpy(), expected.to_numpy())

    class OneRepTasks(Inline):
        workers = 8  # many small tasks

    assert sim.run(scenario, reps=4, seed=3, executor=OneRepTasks(), keep_charts=False).turnaround.equals(counts)
