"""Starting from this morning's state: open charts, charts on hold, charts in hand, known leave, team dates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from pydantic import TypeAdapter
from scipy import stats

from sim.model.opening import delay_cdf, remaining_delay
from sim.runs.runner import run
from sim.scenario.config import load_scenario
from sim.scenario.distributions import TimeDistribution
from sim.scenario.errors import ScenarioError

parse_time = TypeAdapter(TimeDistribution).validate_python
AS_OF = "2026-03-01 20:00"  # a Sunday evening: Monday 2 March is day 1


def _scenario(tmp_path: Path, charts: int = 100, leave: str | None = None, extra: dict | None = None) -> Path:
    """Two coders, 08:00–16:00 without breaks, 10-minute charts, no arrivals, no queries, no questions."""
    rows = ["chart_id,chart_type,arrived_at"] + [f"c{i},a,2026-02-2{i % 7 + 1} 09:00" for i in range(charts)]
    (tmp_path / "open.csv").write_text("\n".join(rows) + "\n")
    data = {
        "days": 7,
        "chart_types": {"a": {"coding_time": {"dist": "fixed", "value": 10}}},
        "arrivals": {},
        "coders": {"count": 2},
        "shift": {"start": "08:00", "end": "16:00"},
        "state": {"as_of": AS_OF, "open_charts": "open.csv"},
        **(extra or {}),
    }
    if leave is not None:
        (tmp_path / "leave.csv").write_text(leave)
        data["coders"]["leave"] = "leave.csv"
        data["absence"] = {}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_a_hundred_open_charts_clear_on_the_second_working_day(tmp_path):
    """100 × 10 min, 2 coders × 8 h: 96 coded on Monday (48 each), the last 4 on Tuesday."""
    scenario = load_scenario(_scenario(tmp_path))
    assert scenario.start_date == "2026-03-01" and scenario.start_weekday == "sun"
    days = run(scenario, reps=1, seed=3).days
    assert days["coded"].tolist() == [0, 96, 4, 0, 0, 0, 0]
    assert days["backlog"].tolist() == [100, 4, 0, 0, 0, 0, 0]


def test_a_coder_on_leave_for_two_working_days_delays_the_clearing_to_the_third(tmp_path):
    leave = "coder,from,to\ncoders.1,2026-03-02,2026-03-03\n"
    days = run(load_scenario(_scenario(tmp_path, leave=leave)), reps=1, seed=3).days
    assert days["coded"].tolist() == [0, 48, 48, 4, 0, 0, 0]
    assert days["backlog"].tolist() == [100, 52, 4, 0, 0, 0, 0]


def test_every_open_chart_appears_once_with_its_id_and_original_arrival(tmp_path):
    results = run(load_scenario(_scenario(tmp_path, charts=30)), reps=2, seed=1)
    charts = results.charts
    for _, one in charts.groupby("replication"):
        assert sorted(one["source_id"]) == sorted(f"c{i}" for i in range(30))
    # 2026-02-21 09:00 is 7 days and 15 hours before 00:00 of 1 March (day 0)
    first = charts.loc[charts["source_id"] == "c0", "arrived_at"].iloc[0]
    assert first == -(7 * 1440 + 15 * 60)
    # turnaround counts from the original arrival (a week before as_of), not from as_of
    own = ((charts["coded_at"] - charts["arrived_at"]) / 1440).groupby(charts["replication"]).mean()
    assert np.allclose(results.replications["turnaround_mean_days"], own) and (own > 5).all()


def test_the_run_starts_at_as_of_mid_shift(tmp_path):
    """as_of Monday 12:00: each coder has 4 hours left that day (24 charts each)."""
    path = _scenario(tmp_path)
    text = path.read_text().replace(AS_OF, "2026-03-02 12:00")
    path.write_text(text)
    days = run(load_scenario(path), reps=1, seed=3).days
    assert days["coded"].tolist()[:2] == [48, 52]


def test_a_chart_in_a_coders_hands_is_finished_by_that_coder_first(tmp_path):
    rows = "chart_id,chart_type,arrived_at,started_by\nold,a,2026-02-01 09:00,\nmine,a,2026-02-27 09:00,coders.1\n"
    path = _scenario(tmp_path, charts=0)
    (tmp_path / "open.csv").write_text(rows)
    charts = run(load_scenario(path), reps=1, seed=3).charts.set_index("source_id")
    assert charts.loc["mine", "coder"] == 1 and charts.loc["mine", "started_at"] == 1440 + 480
    assert charts.loc["old", "coder"] == 0


def _held_scenario(tmp_path: Path, delay: dict) -> Path:
    rows = "chart_id,chart_type,arrived_at,query_sent_at\nh,a,2026-02-20 09:00,2026-02-25 10:00\n"
    path = _scenario(tmp_path, charts=0, extra={"queries": {"answer_delay": delay}})
    (tmp_path / "open.csv").write_text(rows)
    return path


def test_a_held_chart_waits_for_the_rest_of_its_answer_then_needs_only_its_completion(tmp_path):
    # fixed 6-day delay, sent 25 Feb 10:00: answered 3 Mar 10:00 (day 2), completed at once (3–6 min)
    charts = run(load_scenario(_held_scenario(tmp_path, {"dist": "fixed", "value": 6, "unit": "days"})), reps=1,
                 seed=3).charts
    row = charts.iloc[0]
    assert row["query_answered_at"] == 2 * 1440 + 600
    assert row["query_sent_at"] == -(3 * 1440 + 14 * 60)
    assert 600 + 3 <= row["coded_at"] - 2 * 1440 <= 600 + 6
    # waited past every delay a fixed 3-day one allows: answered at once, at as_of
    charts = run(load_scenario(_held_scenario(tmp_path, {"dist": "fixed", "value": 3, "unit": "days"})), reps=1,
                 seed=3).charts
    assert charts.iloc[0]["query_answered_at"] == 1200


@pytest.mark.parametrize("delay", [
    {"dist": "lognormal", "mean": 72, "sd": 48, "unit": "hours"},
    {"dist": "weibull", "mean": 40, "shape": 0.8, "unit": "hours"},
    {"dist": "uniform", "low": 10, "high": 100, "unit": "hours"},
])
def test_the_conditioned_rest_of_a_delay_is_the_delay_restricted_to_more_than_the_wait(delay):
    """Two samples from one law: D = w + rest, and unconditioned delays kept where they exceed w (KS, α = 0.001)."""
    dist = parse_time(delay)
    waited = 50 * 60.0
    rng = np.random.default_rng(11)
    n = 4000
    conditioned = waited + remaining_delay(dist, np.full(n, waited), rng.random(n))
    plain = dist.minutes(rng.random(40 * n))
    restricted = plain[plain > waited][:n]
    assert len(restricted) > 1000
    assert stats.ks_2samp(conditioned, restricted).pvalue > 0.001
    assert (conditioned >= waited).all()


def test_the_delays_distribution_function_by_bisection_matches_the_closed_form():
    dist = parse_time({"dist": "exponential", "mean": 10})
    w = np.array([0.0, 1.0, 10.0, 50.0])
    assert np.allclose(delay_cdf(dist, w), 1 - np.exp(-w / 10), atol=1e-12)


def test_an_exponential_delay_forgets_the_wait():
    """Memoryless: the rest after any wait has the full delay's mean (95 % CI of the mean of 20,000)."""
    dist = parse_time({"dist": "exponential", "mean": 10})
    rest = remaining_delay(dist, np.full(20_000, 30.0), np.random.default_rng(5).random(20_000))
    half = 1.96 * 10 / np.sqrt(len(rest))
    assert abs(rest.mean() - 10) < half * 1.5  # 1.5 × the 95 % half-width: a false alarm about 1 in 3,000 runs


@pytest.mark.parametrize("rows,column,words", [
    ("chart_id,chart_type,arrived_at\nx,a,2026-02-01 09:00\ny,xray,2026-02-01 09:00\nz,xray,2026-02-01\n",
     "chart_type", "a chart type the scenario lacks (it has: a) in 2 rows: line 3 ('xray'), line 4 ('xray')"),
    ("chart_id,chart_type,arrived_at\nx,a,2026-03-05 09:00\n", "arrived_at", "after as_of (2026-03-01 20:00) in 1 row: line 2 ('2026-03-05 09:00')"),
    ("chart_id,chart_type,arrived_at\nx,a,yesterday\n", "arrived_at", "not a date and time"),
    ("chart_id,chart_type,arrived_at,started_by\nx,a,2026-02-01 09:00,coders.7\n", "started_by",
     "a coder (team.place, or a name in names) the scenario lacks (it has: coders.0, coders.1) in 1 row: line 2 ('coders.7')"),
    ("chart_id,chart_type\nx,a\n", None, "missing column arrived_at"),
])
def test_a_bad_open_charts_file_is_refused_naming_file_column_and_lines(tmp_path, rows, column, words):
    path = _scenario(tmp_path, charts=0)
    (tmp_path / "open.csv").write_text(rows)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    message = str(err.value)
    assert message.startswith(str(tmp_path / "open.csv")) and words in message and "\n" not in message
    if column:
        assert f"column {column}" in message


def test_unknown_coder_in_the_leave_file_is_refused(tmp_path):
    with pytest.raises(ScenarioError, match=r"leave.csv: column coder: a coder .* in 1 row: line 3 \('coders.5'\)"):
        load_scenario(_scenario(tmp_path, leave="coder,from,to\ncoders.0,2026-03-02,2026-03-02\ncoders.5,2026-03-02,2026-03-03\n"))


def test_a_new_hire_starts_on_their_start_date_and_a_leaver_stops_after_their_end_date(tmp_path):
    extra = {"coders": {"count": 1, "teams": {"hire": {"count": 1, "start_date": "2026-03-03"},
                                                "leaver": {"count": 1, "end_date": "2026-03-02"}}}}
    path = _scenario(tmp_path, charts=300, extra=extra)
    cd = run(load_scenario(path), reps=1, seed=3).coder_days
    worked = cd.groupby("team")["day"].apply(sorted).to_dict()
    assert worked["hire"] == [2, 3, 4, 5] and worked["leaver"] == [1] and worked["coders"] == [1, 2, 3, 4, 5]


def test_known_leave_replaces_the_random_planned_leave_of_the_coders_it_names(tmp_path):
    """Planned leave of every working day for everyone, but coders.0's booked leave is Monday only."""
    path = _scenario(tmp_path, charts=0, leave="team,seat,from,to\ncoders,0,2026-03-02,2026-03-02\n")
    text = path.read_text().replace("absence: {}", "absence: {planned_days_per_year: 260, block_days: 1}")
    path.write_text(text)
    cd = run(load_scenario(path), reps=1, seed=4).coder_days
    away = cd.loc[cd["absent_minutes"] > 0].groupby("coder")["day"].apply(sorted).to_dict()
    assert away == {0: [1], 1: [1, 2, 3, 4, 5]}


def test_a_volume_forecast_replaces_the_weekday_mean_on_its_dates(tmp_path):
    (tmp_path / "volume.csv").write_text("date,chart_type,expected\n2026-03-03,a,30\n2026-03-04,a,0\n")
    extra = {"arrivals": {"daily": {"a": {"count": {"dist": "fixed", "value": 10}}},
                          "volume_forecast": "volume.csv"}}
    days = run(load_scenario(_scenario(tmp_path, charts=5, extra=extra)), reps=1, seed=3).days
    # day 0's discharges (00:00, before as_of 20:00) are in the open-charts file
    assert days["arrived"].tolist() == [5, 10, 30, 0, 10, 10, 10]


def test_a_chart_answered_before_as_of_waits_only_for_its_completion(tmp_path):
    rows = ("chart_id,chart_type,arrived_at,query_sent_at,query_answered_at\n"
            "b,a,2026-02-20 09:00,2026-02-21 10:00,2026-02-27 15:00\n")
    path = _scenario(tmp_path, charts=0)
    (tmp_path / "open.csv").write_text(rows)
    row = run(load_scenario(path), reps=1, seed=3).charts.iloc[0]
    # taken at the first login (Monday 08:00), finished after its 3–6 minute completion, not a 10-minute coding
    assert row["resumed_at"] == 1440 + 480 and 3 <= row["coded_at"] - row["resumed_at"] <= 6
    assert row["query_answered_at"] == -(1440 + 9 * 60)


@pytest.mark.parametrize("change,words", [
    ({"warmup_days": 14}, "warmup_days: must be 0 with state"),
    ({"arrivals": {"backlog": {"dist": "fixed", "value": 10}}, "arrivals.mix": None},
     "arrivals.backlog: with state the starting queue is state.open_charts"),
    ({"start_date": "2026-03-02"}, "start_date: 2026-03-02 is not the date of state.as_of (2026-03-01)"),
    ({"start_weekday": "mon"}, "start_weekday: 'mon', but state.as_of is a sun"),
    ({"state": {"as_of": AS_OF, "open_charts": [{"chart_id": "x", "chart_type": "z", "arrived_at": "2026-02-01"}]}},
     "state.open_charts: a chart type the scenario lacks in 1 row: row 1"),
    ({"state": {"as_of": "2026-13-01 08:00"}}, "is not a calendar date and time"),
    ({"coders": {"count": 2, "teams": {"hire": {"count": 1, "end_date": "2026-03-01", "start_date": "2026-03-05"}}}},
     "coders.teams.hire.end_date: 2026-03-01 is before start_date 2026-03-05"),
])
def test_a_state_that_does_not_fit_the_scenario_is_refused_in_one_line(change, words):
    from sim.scenario.config import parse_scenario

    data = {"days": 7, "chart_types": {"a": {"coding_time": {"dist": "fixed", "value": 10}}},
            "arrivals": {"mix": {"a": 1.0}}, "coders": {"count": 2}, "state": {"as_of": AS_OF}}
    for key, value in change.items():
        if key == "arrivals.mix":
            continue
        data[key] = {**data[key], **value} if key == "arrivals" else value
    with pytest.raises(ScenarioError) as err:
        parse_scenario(data)
    assert words in str(err.value) and "\n" not in str(err.value)


def test_with_physician_hours_the_wait_and_its_rest_count_physician_working_time(tmp_path):
    """16 working hours, 08:00–16:00 Mon–Fri; sent Thursday 26 Feb 12:00: 4 h Thursday + 8 h Friday waited by
    as_of (Sunday evening), so 4 h remain: answered Monday 2 March 12:00 (day 1, 720)."""
    rows = "chart_id,chart_type,arrived_at,query_sent_at\nh,a,2026-02-25 09:00,2026-02-26 12:00\n"
    extra = {"queries": {"answer_delay": {"dist": "fixed", "value": 16, "unit": "hours"},
                         "physician_hours": {"start": "08:00", "end": "16:00"}}}
    path = _scenario(tmp_path, charts=0, extra=extra)
    (tmp_path / "open.csv").write_text(rows)
    assert run(load_scenario(path), reps=1, seed=3).charts.iloc[0]["query_answered_at"] == 1440 + 720


def test_coders_may_be_named_in_the_files_by_the_names_their_team_gives(tmp_path):
    path = _scenario(tmp_path, charts=0, leave="coder,from,to\nBea,2026-03-02,2026-03-03\n",
                     extra={"coders": {"count": 2, "names": ["Ann", "Bea"]}})
    (tmp_path / "open.csv").write_text("chart_id,chart_type,arrived_at,started_by\nmine,a,2026-02-27 09:00,Ann\n")
    scenario = load_scenario(path)
    results = run(scenario, reps=1, seed=3)
    assert results.charts.iloc[0]["coder"] == 0
    cd = results.coder_days
    assert cd.loc[cd["absent_minutes"] > 0, ["coder", "day"]].values.tolist() == [[1, 1], [1, 2]]
    with pytest.raises(ScenarioError, match="the name 'ann' is given to two coders"):
        scenario.with_changes({"coders.teams": {"more": {"count": 1, "names": ["ann"]}}}, "test")


def test_a_trailing_comma_on_every_row_of_the_open_charts_file_shifts_nothing(tmp_path):
    path = _scenario(tmp_path, charts=0)
    (tmp_path / "open.csv").write_text("chart_id,chart_type,arrived_at\nA1,a,2026-03-01 10:00,\nNA,a,2026-02-27 09:00,\n")
    charts = load_scenario(path).state.open_charts
    assert [(c.chart_id, c.chart_type, c.arrived_at[:16]) for c in charts] == [
        ("A1", "a", "2026-03-01 10:00"), ("NA", "a", "2026-02-27 09:00")]


def test_a_value_past_the_open_charts_files_last_column_is_refused(tmp_path):
    path = _scenario(tmp_path, charts=0)
    (tmp_path / "open.csv").write_text("chart_id,chart_type,arrived_at\nA1,a,2026-03-01 10:00,x\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    message = str(err.value)
    assert message.startswith(str(tmp_path / "open.csv")) and "\n" not in message
    assert "a value past the header's last column" in message


def test_a_bad_as_of_in_a_scenario_file_is_refused_naming_the_file(tmp_path):
    path = _scenario(tmp_path, charts=3, extra={"state": {"as_of": "2026-02-30 07:30", "open_charts": "open.csv"}})
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert str(err.value) == f"{path}: state.as_of: '2026-02-30 07:30' is not a calendar date and time"


def test_dnfb_days_above_without_revenue_is_refused_before_anything_runs(tmp_path):
    from typer.testing import CliRunner

    from sim.cli.app import app

    path = _scenario(tmp_path, charts=3)
    result = CliRunner().invoke(app, ["run", str(path), "--dnfb-days-above", "4", "--reps", "1",
                                      "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "--dnfb-days-above" in result.output and "no revenue section" in result.output
    assert not (tmp_path / "out").exists()


def test_turnaround_counts_hold_the_charts_open_at_as_of_as_the_metrics_do(tmp_path):
    """From a starting state without warm-up, the turnaround metrics count every chart, the open ones too:
    so do turnaround.csv and the figure drawn from it (the open charts were left out, giving another p95)."""
    path = _scenario(tmp_path, charts=60, extra={"arrivals": {"daily": {"a": {"count": {"dist": "fixed", "value": 40}}}}})
    results = run(load_scenario(path), reps=2, seed=3)
    charts, counts = results.charts, results.turnaround
    assert (charts["arrived_at"] < 0).sum() == 2 * 60  # the open charts arrived before day 0
    assert counts["charts"].sum() == len(charts)
    assert counts.loc[counts["status"] == "open", "charts"].item() == charts["coded_at"].isna().sum()


def test_billing_questions_of_the_shift_under_way_start_at_as_of():
    """From noon of a shift (08:00–16:30), the coder gets that shift's questions from noon on only: none before,
    a Poisson number at the daily rate over the 270 of its 510 minutes that are left (they piled up at as_of)."""
    from sim.scenario.config import parse_scenario

    data = {"days": 1, "state": {"as_of": "2026-03-02 12:00", "open_charts": [
                {"chart_id": "A", "chart_type": "a", "arrived_at": "2026-02-27 10:00"}]},
            "chart_types": {"a": {"coding_time": {"dist": "fixed", "value": 60}}}, "arrivals": {},
            "shift": {"start": "08:00", "end": "16:30"},
            "interruptions": {"per_day": 8, "duration": {"dist": "fixed", "value": 10}}}
    results = run(parse_scenario(data), reps=2000, seed=1)
    questions = results.activities.loc[results.activities["activity"] == "billing_question"]
    assert len(questions) and (questions["arrived_at"] >= 12 * 60).all()
    mean, n = 8 * 270 / 510, 2000  # Poisson: the mean count per coder-day, its variance the same
    got = results.coder_days["interruptions"].mean()
    assert abs(got - mean) < 3.29 * np.sqrt(mean / n)  # a 99.9 % interval of the mean of n counts


def test_a_hire_who_started_before_as_of_is_part_way_up_the_ramp():
    """A hire from 16 February on a 4-week ramp from half speed is, on Monday 2 March (14 days in), at
    0.5 + 0.5 · 14/28 = 0.75 of full speed: a 30-minute chart takes 40 minutes (the ramp restarted at as_of)."""
    from sim.scenario.config import parse_scenario

    data = {"days": 1, "state": {"as_of": "2026-03-02 07:30", "open_charts": [
                {"chart_id": f"c{i}", "chart_type": "a", "arrived_at": "2026-02-27 10:00"} for i in range(3)]},
            "chart_types": {"a": {"coding_time": {"dist": "fixed", "value": 30}}}, "arrivals": {},
            "breaks": [], "interruptions": {"per_day": 0},
            "coders": {"count": 0, "teams": {"hire": {"count": 1, "start_date": "2026-02-16",
                                                      "ramp": {"start_fraction": 0.5, "weeks": 4}}}}}
    charts = run(parse_scenario(data), reps=1, seed=1).charts
    assert np.allclose(charts["coded_at"] - charts["started_at"], 40)
