"""Three working days of two coders, worked out by hand.

Clock minutes from 00:00 of day 0 (Monday). Shift 08:00–10:00 (480–600) with
a 10-minute break at 09:00; overtime of 30 minutes when more than 5 charts
wait at the first login of a day. Policy ``type_priority``: queried charts
(``q``) first, then ``long``, then ``a``.

- ``a``: 25 min; 5 on Monday, 3 on Tuesday and Wednesday (weekday factor 0.6).
- ``q``: 10 min, always queried: 5 min to write, answered exactly a day
  later, 4 min to finish; one a day.
- ``long``: 130 min, one on Wednesday only: it runs past the end of shift.

Billing questions are placed by hand (the coders' desks are replaced): coder
0 gets one on Tuesday at 08:20 (6 min) and one on Wednesday at 09:10 during
the break (3 min); coder 1 one on Wednesday at 09:50 (4 min), while the long
chart is in hand.

The timeline (see the comments in each test) was worked out on paper first.
"""

from __future__ import annotations

import math

import pytest

import sim
from sim.model.department import Department
from sim.model.records import BILLING_QUESTION, BREAK
from sim.runs.metrics import pay_per_minute
from sim.scenario.calendar import DAY
from sim.scenario.config import parse_scenario
from tests.conftest import fixed_questions

MON, TUE, WED = 0.0, DAY, 2 * DAY

SCENARIO = {
    "name": "three days by hand",
    "days": 3,
    "chart_types": {
        "a": {"coding_time": {"dist": "fixed", "value": 25}},
        "q": {
            "coding_time": {"dist": "fixed", "value": 10},
            "query": {
                "probability": 1.0,
                "writing_time": {"dist": "fixed", "value": 5},
                "completion_time": {"dist": "fixed", "value": 4},
            },
        },
        "long": {"coding_time": {"dist": "fixed", "value": 130}},
    },
    "arrivals": {
        "daily": {
            "a": {"count": {"dist": "fixed", "value": 5}, "weekday_factor": {"tue": 0.6, "wed": 0.6}},
            "q": {"count": {"dist": "fixed", "value": 1}},
            "long": {"count": {"dist": "fixed", "value": 1}, "weekday_factor": {"mon": 0, "tue": 0}},
        }
    },
    "coders": {"count": 2, "policy": "type_priority", "priority": ["q", "long", "a"]},
    "shift": {"start": "08:00", "end": "10:00"},
    "breaks": [{"at": "09:00", "minutes": 10}],
    "overtime": {"backlog_threshold": 5, "minutes": 30, "pay_factor": 1.5},
    "queries": {"answer_delay": {"dist": "fixed", "value": 1, "unit": "days"}},
}

# (coder, day) → billing questions as (run minute, minutes)
QUESTIONS = {
    (0, 1): [(TUE + 500, 6.0)],
    (0, 2): [(WED + 550, 3.0)],
    (1, 2): [(WED + 590, 4.0)],
}


@pytest.fixture
def hand_desks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Department, "desks", fixed_questions(QUESTIONS))


@pytest.fixture
def records(hand_desks: None):
    return Department(parse_scenario(SCENARIO)).simulate(seed=1, replication=0)


def _day(records, day: int, coder: int):
    (found,) = [d for d in records.coder_days if (d.day, d.coder) == (day, coder)]
    return found


def test_monday_overtime_for_both_coders(records) -> None:
    # Monday: 5 a + 1 q wait at 08:00, more than 5 → 30 min overtime for both coders
    # (decided before coder 0 takes the q: coder 1 must not see only 5 left).
    # c0: q 480–495 (query out), a 495–520, a 520–545, break 545–555, idle 555–630
    # c1: a 480–505, a 505–530, a 530–555, break 555–565, idle 565–630
    c0, c1 = _day(records, 0, 0), _day(records, 0, 1)
    assert (c0.overtime, c1.overtime) == (30, 30)
    assert (c0.login, c0.logout, c1.logout) == (480, 630, 630)
    assert (c0.coding, c0.query_writing, c0.on_break, c0.idle) == (60, 5, 10, 75)
    assert (c1.coding, c1.on_break, c1.idle) == (75, 10, 65)
    assert (c0.coded, c1.coded) == ([2, 0, 0], [3, 0, 0])
    assert (c0.paid, c1.paid, c0.after_shift) == (150, 150, 0)


def test_tuesday_question_lands_on_tuesday(records) -> None:
    # Tuesday: 3 a + 1 q wait at 08:00 (4 ≤ 5: no overtime); Monday's q returns at 08:15.
    # c0: new q 1920–1935, Monday's q 1935–1939, a 1939–1970 with the 08:20 question (1940–1946),
    #     idle 1970–1980, break 1980–1990, idle 1990–2040
    # c1: a 1920–1945, a 1945–1970, idle 1970–1980, break 1980–1990, idle 1990–2040
    c0, c1 = _day(records, 1, 0), _day(records, 1, 1)
    assert (c0.overtime, c1.overtime) == (0, 0)
    assert (c0.coding, c0.query_writing, c0.interrupted, c0.on_break, c0.idle) == (39, 5, 6, 10, 60)
    assert (c1.coding, c1.on_break, c1.idle) == (50, 10, 60)
    assert c0.interruptions == 1 and c0.coded == [1, 1, 0]
    question = [a for a in records.activities if a[:3] == (0, 1, BILLING_QUESTION)]
    assert question == [(0, 1, BILLING_QUESTION, TUE + 500, 6.0, TUE + 500)]
    # the chart in hand when the question came took 25 + 6 minutes, not more
    (interrupted,) = [c for c in records.charts if c.started_at == TUE + 499]
    assert interrupted.coded_at == TUE + 530


def test_wednesday_late_chart_and_question_during_a_break(records) -> None:
    # Wednesday: 3 a + 1 q + 1 long wait (5: no overtime); Tuesday's q returns at 08:15.
    # c0: q 3360–3375, Tuesday's q 3375–3379, a 3379–3404, a 3404–3429, break 3429–3439,
    #     question from 09:10 answered 3439–3442, a 3442–3467, idle 3467–3480
    # c1: long 3360–3490 with the 09:50 question (4 min) → 3494: 14 min after shift, no break
    c0, c1 = _day(records, 2, 0), _day(records, 2, 1)
    assert (c0.coding, c0.query_writing, c0.interrupted, c0.on_break, c0.idle) == (89, 5, 3, 10, 13)
    assert (c0.logout, c0.after_shift) == (WED + 600, 0)
    assert (c1.coding, c1.interrupted, c1.on_break, c1.idle) == (130, 4, 0, 0)
    assert (c1.logout, c1.after_shift, c1.paid) == (WED + 614, 14, 134)
    assert [a[3] for a in records.activities if a[:3] == (0, 2, BILLING_QUESTION)] == [WED + 559]
    assert [a[3] for a in records.activities if a[:3] == (0, 2, BREAK)] == [WED + 549]
    assert not [a for a in records.activities if a[:3] == (1, 2, BREAK)]


def test_every_coder_day_adds_up(records) -> None:
    assert len(records.coder_days) == 6
    for d in records.coder_days:
        parts = d.coding + d.query_writing + d.interrupted + d.on_break + d.idle
        assert parts == d.paid == d.logout - d.login, (d.day, d.coder)


def test_charts_at_the_end(records) -> None:
    coded = [c for c in records.charts if not math.isnan(c.coded_at)]
    on_hold = [c for c in records.charts if not math.isnan(c.query_sent_at) and math.isnan(c.query_answered_at)]
    assert len(records.charts) == 15 and len(coded) == 14
    assert [c.query_sent_at for c in on_hold] == [WED + 495]  # Wednesday's query, answered Thursday


def test_tables_and_pay_from_the_same_days(hand_desks: None) -> None:
    scenario = parse_scenario(SCENARIO)
    results = sim.run(scenario, reps=1, seed=1)
    cd = results.coder_days
    assert cd["charts_coded"].sum() == results.charts["coded_at"].notna().sum() == 14
    assert cd["after_shift_minutes"].tolist() == [0, 0, 0, 0, 0, 14]
    assert cd["overtime_minutes"].tolist() == [30, 30, 0, 0, 0, 0]
    rate = pay_per_minute(scenario, scenario.levels["mid"].salary)
    # shift 120 min × 6 coder-days, overtime 2 × 30 at 1.5, after-shift 14 at straight time
    expected = rate * (6 * 120 + 1.5 * 60 + 14)
    row = results.replications.iloc[0]
    assert math.isclose(row["labour_cost"], expected)
    assert math.isclose(row["cost_per_chart"], expected / 14)
    assert row["backlog_end"] == 1 and row["on_hold_end"] == 1
    assert math.isclose(row["share_open_end"], 1 / 15)


def test_after_shift_paid_at_the_scenario_rate(hand_desks: None) -> None:
    data = {**SCENARIO, "shift": {**SCENARIO["shift"], "after_shift_pay_factor": 1.5}}
    scenario = parse_scenario(data)
    row = sim.run(scenario, reps=1, seed=1).replications.iloc[0]
    rate = pay_per_minute(scenario, scenario.levels["mid"].salary)
    assert math.isclose(row["labour_cost"], rate * (6 * 120 + 1.5 * 60 + 1.5 * 14))


# A 24-hour shift, every day: the README's M/M/c setting. The chart in hand at
# midnight is finished after it, and that last day must still be recorded.
ROUND_THE_CLOCK = {
    "chart_types": {"chart": {"coding_time": {"dist": "fixed", "value": 50}}},
    "arrivals": {"backlog": {"dist": "fixed", "value": 100}, "mix": {"chart": 1.0}},
    "coders": {"count": 2},
    "shift": {"start": "00:00", "end": "24:00",
              "workdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]},
}


@pytest.mark.parametrize("days", [1, 3])
def test_round_the_clock_shift_counts_every_day(days: int) -> None:
    results = sim.run(parse_scenario({**ROUND_THE_CLOCK, "days": days}), reps=1, seed=1)
    cd = results.coder_days
    # each coder codes back to back: 50-minute charts, the one in hand at midnight finished
    per_day = math.ceil(1440 / 50)  # 29 charts started before midnight on day 0
    assert len(cd) == 2 * days
    # 29 a day each; over 3 days the 100 waiting run out on day 1
    assert cd["charts_coded"].sum() == results.charts["coded_at"].notna().sum() == {1: 58, 3: 100}[days]
    assert cd.loc[cd["day"] == 0, "charts_coded"].tolist() == [per_day, per_day]
    # day 0 ends at 1450 (29 × 50): 10 minutes after midnight, paid as after-shift time
    assert cd.loc[cd["day"] == 0, "after_shift_minutes"].tolist() == [10, 10]
    assert (cd["paid_minutes"] == cd[["coding_minutes", "query_minutes", "interrupted_minutes",
                                        "break_minutes", "idle_minutes"]].sum(axis=1)).all()
    summary = results.summary.set_index("metric")
    for metric in ("charts_per_coder_day", "utilisation", "cost_per_chart"):
        assert not math.isnan(summary.at[metric, "mean"]), metric


# One coder, two 33-hour charts waiting at Monday's login; shift 08:00–16:30 (480–990) with 60 minutes of overtime
# when any chart waits at login. Each chart runs past the next day's shift, so a day's login can fall after its end.
LONG_CHARTS = {
    "name": "charts longer than a day",
    "days": 3,
    "chart_types": {"a": {"coding_time": {"dist": "fixed", "value": 1980}}},
    "arrivals": {"at_login_per_coder": {"dist": "fixed", "value": 2}, "mix": {"a": 1.0}},
    "coders": {"count": 1},
    "shift": {"start": "08:00", "end": "16:30"},
    "breaks": [],
    "interruptions": {"per_day": 0},
    "overtime": {"backlog_threshold": 0, "minutes": 60, "pay_factor": 1.5},
}


def test_a_day_begun_on_yesterdays_chart_counts_only_its_own_time() -> None:
    # Mon: login 480, 1 chart waits after the first is taken → overtime granted (end 1050); chart 1 480–2460
    #   (Tue 17:00): paid 1980, overtime 60, after-shift 2460 − 1050 = 1410.
    # Tue: shift 1920–2430, overtime to 2490 (chart 2 waited at 08:00); login 2460, inside the overtime:
    #   chart 2 2460–4440 (Thu 02:00): paid 1980, overtime worked 2490 − 2460 = 30, after-shift 4440 − 2490 = 1950.
    # Wed: shift 3360–3870, nothing waits (no overtime); login 4440, past the shift: no time at work today.
    results = sim.run(parse_scenario(LONG_CHARTS), reps=1, seed=1)
    cd = results.coder_days.set_index("day")
    assert cd["paid_minutes"].tolist() == [1980, 1980, 0]
    assert cd["overtime_minutes"].tolist() == [60, 30, 0]
    assert cd["after_shift_minutes"].tolist() == [1410, 1950, 0]
    assert cd["charts_coded"].tolist() == [1, 1, 0]
    # the time at work is counted once: no day's overtime and after-shift exceed its paid time
    assert (cd["overtime_minutes"] + cd["after_shift_minutes"] <= cd["paid_minutes"]).all()
    per_minute = pay_per_minute(results.scenario, results.scenario.levels["mid"].salary)
    regular = cd["paid_minutes"] - cd["overtime_minutes"] - cd["after_shift_minutes"]
    assert regular.tolist() == [510, 0, 0]
    cost = results.replications.at[0, "labour_cost"]
    after_factor = results.scenario.shift.after_shift_pay_factor
    assert math.isclose(cost, per_minute * (510 + 1.5 * 90 + after_factor * (1410 + 1950)))
