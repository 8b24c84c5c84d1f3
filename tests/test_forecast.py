"""The weeks ahead: forecast.csv across replications, and the answers read from the replications themselves."""

from __future__ import annotations

import datetime
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from sim.runs.answers import backlog_answer, days_above_answer, days_text
from sim.runs.outlook import forecast_table
from sim.runs.runner import run
from sim.scenario.config import load_scenario
from tests.test_state import _scenario

MARCH_1 = datetime.date(2026, 3, 1)


def test_the_backlog_answer_is_the_median_and_90th_percentile_of_each_runs_first_day_under_the_line():
    # ten runs crossing 150 on days 13, 13, 13, 13, 13, 14, 15, 16, 18, 19 (1 March is day 0)
    crossing = [13, 13, 13, 13, 13, 14, 15, 16, 18, 19]
    backlog = np.array([[400 - (390 * (d >= c)) for d in range(25)] for c in crossing])
    assert backlog_answer(backlog, 150, MARCH_1) == "the backlog falls under 150 by 14 March (median; 90 % of runs by 19 March)"
    # four runs of ten never cross within the horizon: the median still does, the 90th percentile not
    backlog[6:] = 400
    assert backlog_answer(backlog, 150, MARCH_1) == (
        "the backlog falls under 150 by 14 March (median; in 40 % of runs not by 25 March, the last day)")
    backlog[:] = 400
    assert backlog_answer(backlog, 150, MARCH_1) == "the backlog stays at 150 or above through 25 March in 100 % of runs"


def test_days_above_a_line_are_named_where_more_than_the_probability_of_runs_are_above_it():
    values = np.zeros((4, 10))
    values[:3, 2:7] = 6  # 3 of 4 runs above 5 on days 2–6 (3–7 March)
    values[:2, 9] = 6  # 2 of 4 (not more than half) on day 9
    assert days_above_answer(values, 5, 0.5, "DNFB days", MARCH_1) == "P(DNFB days > 5) exceeds 50 % on 3–7 March"
    values[:, :] = np.nan  # nothing observed: never above
    assert "stays at or below 50 % on every day to 10 March" in days_above_answer(values, 5, 0.5, "x", MARCH_1)


def test_day_ranges_cross_months():
    assert days_text(datetime.date(2026, 2, 27), [0, 1, 2, 3, 5]) == "27 February–2 March, 4 March"


def test_forecast_table_gives_the_percentiles_across_replications_of_each_day():
    rng = np.random.default_rng(2)
    reps, days = 7, 3
    outlook = pd.DataFrame({
        "variant": "base",
        "replication": np.repeat(np.arange(reps), days * 2),
        "day": np.tile(np.repeat(np.arange(days), 2), reps),
        "chart_type": np.tile(["all", "a"], reps * days),
        **{m: rng.random(reps * days * 2) for m in ("backlog", "on_hold", "coded", "turnaround_p95_days")},
    })
    table = forecast_table(outlook, "2026-03-01 20:00", revenue=False)
    assert list(table.columns) == ["variant", "date", "day", "chart_type", "metric", "mean", "p5", "p25", "p50", "p75",
                                   "p95"]
    assert len(table) == days * 2 * 4 and set(table["metric"]) == {"backlog", "on_hold", "coded", "turnaround_p95_days"}
    row = table.loc[(table["day"] == 2) & (table["chart_type"] == "a") & (table["metric"] == "coded")].iloc[0]
    values = outlook.loc[(outlook["day"] == 2) & (outlook["chart_type"] == "a"), "coded"].to_numpy()
    assert row["date"] == "2026-03-03"
    assert row["p25"] == pytest.approx(np.percentile(values, 25)) and row["mean"] == pytest.approx(values.mean())


def test_the_outlooks_department_backlog_is_the_days_table_backlog(tmp_path):
    results = run(load_scenario(_scenario(tmp_path, charts=60)), reps=3, seed=2)
    mine = results.outlook.loc[results.outlook["chart_type"] == "all"]
    assert mine["backlog"].tolist() == results.days["backlog"].astype(float).tolist()
    assert mine["coded"].tolist() == results.days["coded"].astype(float).tolist()


def _chartsim(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_a_run_from_a_state_writes_forecast_and_answers_and_says_them(tmp_path):
    path = _scenario(tmp_path)
    done = _chartsim("run", str(path), "--reps", "3", "--seed", "1", "--out", str(tmp_path / "out"),
                     "--backlog-below", "50", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "the backlog falls under 50 by 2 March (median; 90 % of runs by 2 March)" in done.stdout
    forecast = pd.read_csv(tmp_path / "out" / "forecast.csv")
    backlog = forecast.loc[(forecast["chart_type"] == "all") & (forecast["metric"] == "backlog")]
    assert backlog["p50"].tolist() == [100, 4, 0, 0, 0, 0, 0] and backlog["date"].iloc[0] == "2026-03-01"
    answers = pd.read_csv(tmp_path / "out" / "answers.csv")
    assert answers["question"].tolist() == ["backlog_below", "turnaround_p95_above"]


def test_a_bad_open_charts_file_on_the_command_line_is_one_line_exit_2_nothing_written(tmp_path):
    path = _scenario(tmp_path, charts=3)
    (tmp_path / "bad.csv").write_text("chart_id,chart_type,arrived_at\nx,a,2026-02-01 09:00\ny,b,2026-02-01\n")
    done = _chartsim("run", str(path), "--open-charts", "bad.csv", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "bad.csv: column chart_type: a chart type the scenario lacks (it has: a) in 1 row: line 3 ('b')" in (
        " ".join(done.stderr.split()))
    assert not (tmp_path / "out").exists()


def test_without_a_state_nothing_new_is_written(tmp_path):
    from sim.runs.write import write_run
    from tests.conftest import SCENARIOS

    results = run(load_scenario(SCENARIOS / "baseline.yaml"), reps=2, seed=1)
    assert results.outlook is None
    folder = write_run(results, tmp_path / "run")
    assert not (folder / "forecast.csv").exists() and not (folder / "answers.csv").exists()
    text = (folder / "scenario.yaml").read_text()
    assert "state:" not in text and "leave:" not in text and "volume_forecast" not in text


def test_the_report_of_a_run_from_a_state_has_the_answers_and_a_fan_chart_per_metric(tmp_path):
    from sim.report import build_report
    from sim.runs.write import write_run

    path = _scenario(tmp_path, charts=120, extra={"revenue": {"per_chart": {"a": 100}},
                                                  "arrivals": {"daily": {"a": {"count": {"dist": "poisson", "mean": 40}}}}})
    folder = write_run(run(load_scenario(path), reps=3, seed=2, keep_charts=True), tmp_path / "run")
    html = build_report(folder).read_text()
    assert "Ahead: the backlog falls under 40 by" in html
    for title in ("Backlog ahead", "Charts on hold ahead", "Charts coded each day ahead", "DNFB dollars ahead",
                  "DNFB days ahead", "Turnaround ahead (95th percentile)"):
        assert title in html


def test_a_run_from_a_state_is_the_same_whatever_the_worker_count(tmp_path):
    extra = {"arrivals": {"daily": {"a": {"count": {"dist": "poisson", "mean": 30}}}},
             "chart_types": {"a": {"coding_time": {"dist": "uniform", "low": 8, "high": 12},
                                   "query": {"probability": 0.2}}}}
    scenario = load_scenario(_scenario(tmp_path, charts=80, extra=extra))
    one = run(scenario, reps=4, seed=5, workers=1, keep_charts=False).outlook
    two = run(scenario, reps=4, seed=5, workers=2, keep_charts=False).outlook
    pd.testing.assert_frame_equal(one, two)


def test_open_charts_on_the_command_line_set_aside_the_scenarios_drawn_queue_and_warm_up(tmp_path):
    from tests.conftest import SCENARIOS

    (tmp_path / "open.csv").write_text("chart_id,chart_type,arrived_at\nx1,inpatient,2026-02-27 00:00\n"
                                       "x2,outpatient,2026-03-01 00:00\n")
    done = _chartsim("run", str(SCENARIOS / "slow_queries.yaml"), "--open-charts", "open.csv", "--as-of",
                     "2026-03-02 07:30", "--reps", "2", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    charts = pd.read_csv(tmp_path / "out" / "charts.csv")
    assert set(charts["source_id"].dropna()) == {"x1", "x2"}
    assert (charts.groupby(["variant", "replication"])["source_id"].count() == 2).all()


def test_dnfb_days_divide_by_the_revenue_arriving_after_as_of_not_the_open_charts(tmp_path):
    """No arrivals but a fixed 10 a day at $100: the open charts' $12,000 are DNFB, not a day's revenue."""
    extra = {"revenue": {"per_chart": {"a": 100}},
             "arrivals": {"daily": {"a": {"count": {"dist": "fixed", "value": 10}}}}}
    results = run(load_scenario(_scenario(tmp_path, charts=120, extra=extra)), reps=1, seed=2)
    days = results.days
    # 6 of the 7 days bring 10 charts after as_of (day 0's came at 00:00, before it): $6,000 over 7 days
    assert results.replications["dnfb_days"].iloc[0] == pytest.approx(days["dnfb_dollars"].mean() / (6000 / 7))
    mine = results.outlook.loc[results.outlook["chart_type"] == "all"]
    assert mine["dnfb_days"].tolist() == pytest.approx((days["dnfb_dollars"] / (6000 / 7)).tolist())


def test_a_resumed_run_from_a_state_keeps_each_finished_tasks_outlook(tmp_path):
    from sim.runs.checkpoint import Checkpoint, load_checkpoint
    from sim.runs.tasks import simulate_chunk

    scenario = load_scenario(_scenario(tmp_path, charts=20))
    chunk = simulate_chunk("base", scenario, 1, range(0, 2), 0, False)
    (tmp_path / "partial").mkdir()
    Checkpoint(tmp_path / "partial", {"charts": False}, None)(chunk)
    _, chunks = load_checkpoint(tmp_path / "partial")
    pd.testing.assert_frame_equal(chunks[0].outlook, chunk.outlook)


def test_the_run_folder_keeps_the_state_as_csv_files_beside_its_scenario_and_reads_back_the_same(tmp_path):
    from sim.runs.write import write_run
    from tests.conftest import ROOT

    scenario = load_scenario(ROOT / "scenarios" / "monday.yaml")
    results = run(scenario.with_changes({"days": 3}, "test"), reps=1, seed=1, keep_charts=False)
    folder = write_run(results, tmp_path / "run")
    assert {"open_charts.csv", "leave.csv", "volume_forecast.csv"} <= {p.name for p in folder.iterdir()}
    assert "open_charts: open_charts.csv" in (folder / "scenario.yaml").read_text()
    again = load_scenario(folder / "scenario.yaml")
    assert again.model_dump(exclude={"variants", "sweeps"}) == results.scenario.model_dump(exclude={"variants", "sweeps"})
