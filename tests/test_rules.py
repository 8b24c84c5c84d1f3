"""Working rules computed by hand: physician working hours, overtime and its pay."""

from __future__ import annotations

import math

import pytest

import sim
from sim.model.department import simulate
from sim.model.physician import answered_at
from sim.runs.metrics import pay_per_minute
from sim.scenario.calendar import DAY, Calendar
from sim.scenario.config import Window, parse_scenario

OFFICE = Window(start="08:00", end="17:00", weekdays=["mon", "tue", "wed", "thu", "fri"])


@pytest.mark.parametrize(
    ("sent", "delay", "expected"),
    [
        (0 * DAY + 600, 60, 0 * DAY + 660),  # Monday 10:00 + 1 h → 11:00
        (0 * DAY + 600, 8 * 60, 1 * DAY + 540),  # 7 h left on Monday, 1 h on Tuesday → Tue 09:00
        (4 * DAY + 1020, 8 * 60, 7 * DAY + 960),  # Friday 17:00 → Monday 08:00 + 8 h → Mon 16:00
        (5 * DAY + 120, 30, 7 * DAY + 510),  # sent Saturday night → Monday 08:30
        (2 * DAY + 300, 0, 2 * DAY + 480),  # before opening, no delay → at opening
    ],
)
def test_answers_count_only_physician_working_time(sent: float, delay: float, expected: float) -> None:
    assert answered_at(sent, delay, OFFICE, Calendar(14, "mon")) == expected


def test_answers_without_working_hours_use_the_clock() -> None:
    assert answered_at(4 * DAY + 1020, 480, None, Calendar(14, "mon")) == 4 * DAY + 1500


# One coder, 20-minute charts, a two-hour shift and 30 charts waiting: overtime
# of 60 minutes is granted while more than 10 charts wait at the start of a day.
OVERTIME = {
    "days": 3,
    "chart_types": {"chart": {"coding_time": {"dist": "fixed", "value": 20}}},
    "arrivals": {"backlog": {"dist": "fixed", "value": 30}, "mix": {"chart": 1.0}},
    "shift": {"start": "08:00", "end": "10:00"},
    "overtime": {"backlog_threshold": 10, "minutes": 60, "pay_factor": 1.5},
}


def test_overtime_is_granted_while_the_backlog_is_above_the_threshold() -> None:
    days = simulate(parse_scenario(OVERTIME), seed=1, replication=0).coder_days
    # day 0: 30 waiting → 180 min → 9 charts; day 1: 21 waiting → 9; day 2: 12 waiting → 9 (> 10 still)
    assert [sum(d.coded) for d in days] == [9, 9, 9]
    assert [d.overtime for d in days] == [60, 60, 60]
    assert [d.paid for d in days] == [180, 180, 180]
    data = {**OVERTIME, "days": 4}
    fourth = simulate(parse_scenario(data), seed=1, replication=0).coder_days[3]
    # day 3 starts with 3 charts: no overtime, all three coded in the regular shift
    assert (fourth.overtime, sum(fourth.coded), fourth.paid) == (0, 3, 120)


def test_overtime_is_paid_at_its_factor() -> None:
    scenario = parse_scenario(OVERTIME)
    results = sim.run(scenario, reps=2, seed=1)
    rate = pay_per_minute(scenario, scenario.levels["mid"].salary)
    expected = 3 * rate * (120 + 1.5 * 60)
    assert math.isclose(results.replications["labour_cost"].iloc[0], expected)
    assert math.isclose(results.replications["overtime_hours"].iloc[0], 3.0)
    assert math.isclose(results.replications["cost_per_chart"].iloc[0], expected / 27)
