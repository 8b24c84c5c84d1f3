"""A deterministic coder's day whose timeline is worked out by hand."""

from __future__ import annotations

import math

import sim
from sim.model.coder import Desk
from sim.model.department import simulate
from sim.scenario.config import parse_scenario

# Clock minutes from midnight of day 0. Shift 08:00 (480) – 12:00 (720), a
# 15-minute break at 10:00 (600). Two "long" charts (20 min, no query) and two
# "short" ones (10 min, always queried: 5 min to write, answered 60 min later,
# 4 min to finish), all waiting at 00:00.
DAY = {
    "name": "by hand",
    "chart_types": {
        "long": {"coding_time": {"dist": "fixed", "value": 20}},
        "short": {
            "coding_time": {"dist": "fixed", "value": 10},
            "query": {
                "probability": 1.0,
                "writing_time": {"dist": "fixed", "value": 5},
                "completion_time": {"dist": "fixed", "value": 4},
            },
        },
    },
    "arrivals": {
        "daily": {
            "long": {"count": {"dist": "fixed", "value": 2}},
            "short": {"count": {"dist": "fixed", "value": 2}},
        }
    },
    "coders": {"policy": "type_priority", "priority": ["long", "short"]},
    "shift": {"start": "08:00", "end": "12:00"},
    "breaks": [{"at": "10:00", "minutes": 15}],
    "queries": {"answer_delay": {"dist": "fixed", "value": 60}},
}

# In the order the coder opens them (long charts first, by type priority):
# (type, started, query sent, answered, resumed, coded)
NAN = math.nan
TIMELINE = [
    (0, 480, NAN, NAN, NAN, 500),  # long
    (0, 500, NAN, NAN, NAN, 520),  # long
    (1, 520, 535, 595, 595, 599),  # short: 10 + 5 writing; back at 595, wakes the idle coder
    (1, 535, 550, 610, 615, 619),  # short: back at 610 during the break (600–615)
]


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def test_timeline_matches_hand_calculation() -> None:
    records = simulate(parse_scenario(DAY), seed=1, replication=0)
    opened = sorted(records.charts, key=lambda c: c.started_at)
    assert len(opened) == len(TIMELINE)
    for chart, want in zip(opened, TIMELINE):
        got = (chart.kind, chart.started_at, chart.query_sent_at, chart.query_answered_at, chart.resumed_at, chart.coded_at)
        assert all(same(g, w) for g, w in zip(got, want)), (chart.id, got)


def test_time_use_matches_hand_calculation() -> None:
    (day,) = simulate(parse_scenario(DAY), seed=1, replication=0).coder_days
    assert day.coding == 20 + 20 + 10 + 10 + 4 + 4
    assert day.query_writing == 5 + 5
    assert day.on_break == 15
    # idle: 550–595 (waiting for the first answer), 599–600, 619–720
    assert day.idle == 45 + 1 + 101
    assert day.coding + day.query_writing + day.on_break + day.idle == day.paid == 240
    assert day.coded == [2, 2] and day.queries_sent == 2


def test_same_day_through_the_public_api() -> None:
    results = sim.run(parse_scenario(DAY), reps=3, seed=5)
    # fixed times: every replication is the same day
    assert results.coder_days["charts_coded"].tolist() == [4, 4, 4]
    assert results.coder_days["queries_answered"].tolist() == [2, 2, 2]
    row = results.summary.set_index("metric").loc["charts_per_coder_day"]
    assert row["mean"] == 4 and row["sd"] == 0


def test_break_waits_for_the_chart_in_hand() -> None:
    data = {**DAY, "breaks": [{"at": "08:10", "minutes": 15}]}
    charts = sorted(simulate(parse_scenario(data), seed=1, replication=0).charts, key=lambda c: c.started_at)
    # the first chart runs 480–500 through the 08:10 break time; the break follows it (500–515)
    assert charts[0].coded_at == 500
    assert charts[1].started_at == 515


def test_interruptions_extend_the_work_in_hand() -> None:
    desk = Desk(times=[490.0, 495.0, 530.0], durations=[3.0, 2.0, 4.0])
    # 20 minutes from 480: questions at 490 and 495 add 5 minutes → 505; 530 is after
    assert desk.finish(480.0, 20.0) == 505.0
    assert (desk.count, desk.minutes) == (2, 5.0)
    # idle from 505 to 540: the 530 question is answered while waiting, done at 534
    assert desk.answer_until(505.0, 540.0) == 534.0
    assert (desk.count, desk.minutes) == (3, 9.0)
    assert desk.begun == [490.0, 495.0, 530.0]


def test_question_overlapping_the_end_of_idle_delays_the_next_chart() -> None:
    desk = Desk(times=[538.0], durations=[5.0])
    assert desk.answer_until(500.0, 540.0) == 543.0


def test_charts_arriving_together_are_not_queued_by_type() -> None:
    """A login queue is mixed: the first ten charts opened are not all of one type."""
    from tests.conftest import SCENARIOS

    scenario = sim.load_scenario(SCENARIOS / "baseline.yaml")
    mixed = 0
    for rep in range(20):
        charts = sorted(
            (c for c in simulate(scenario, seed=3, replication=rep).charts if c.started_at == c.started_at),
            key=lambda c: c.started_at,
        )
        mixed += len({c.kind for c in charts[:10]}) > 1
    # with 45/45/10 shares, ten charts of one type in a row has probability ≈ 2 · 0.45^10 < 0.1 %
    assert mixed == 20


def test_started_by_and_coder_name_who_opened_and_who_finished() -> None:
    results = sim.run(parse_scenario(DAY), reps=1, seed=1)
    assert (results.charts["started_by"] == results.charts["coder"]).all()  # one coder: the same
