"""The department as coding managers run it: absence, revenue waiting on coding, and the rest.

Each mechanism is off unless its scenario section is given (an unchanged
scenario gives byte-identical results, checked by hand in the change that
added them), and each is tested here against a number worked out by hand
or from theory.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import sim
from sim.model.absence import absent_days, expected_share
from sim.model.department import Department
from sim.model.streams import Streams
from sim.scenario.config import Absence, parse_scenario
from sim.scenario.errors import ScenarioError

ONE_TYPE = {
    "days": 5,
    "chart_types": {"a": {"coding_time": {"dist": "fixed", "value": 30}}},
    "arrivals": {"daily": {"a": {"count": {"dist": "fixed", "value": 10}}}},
    "coders": {"count": 1},
    "shift": {"start": "08:00", "end": "10:00"},
}


def scenario(**changes) -> sim.Scenario:
    return parse_scenario({**ONE_TYPE, **changes})


# ---------------------------------------------------------------- absence


def test_absence_thins_coder_days_by_its_expected_share():
    """Over many coder-days the absent share sits within a 99.9 % binomial interval of theory.

    10 days of planned leave a year in blocks of 5 (0.0385 of a 260-day year)
    and 3 % unplanned on the days left: 0.0385 + 0.9615 × 0.03 = 0.0673.
    Planned blocks make days within a coder correlated, so the interval is
    taken over blocks of one coder's horizon (each coder-replication one draw).
    """
    absence = Absence(planned_days_per_year=10, block_days=5, unplanned_probability=0.03)
    p = expected_share(absence, 260)
    assert p == pytest.approx(10 / 260 + (1 - 10 / 260) * 0.03)
    streams, n_shifts = Streams(11), 260
    shares = np.array([
        absent_days(absence, f"coders.{c}", n_shifts, 260, streams, rep).mean() for rep in range(40) for c in range(10)
    ])
    half = 3.29 * shares.std(ddof=1) / math.sqrt(len(shares))
    assert abs(shares.mean() - p) < half
    # Planned leave comes in whole blocks of consecutive days.
    planned = absent_days(Absence(planned_days_per_year=20, block_days=5), "coders.0", 260, 260, streams, 0)
    assert planned.sum() == 20
    starts = np.flatnonzero(np.diff(np.concatenate([[0], planned.astype(int)])) == 1)
    assert all(planned[s : s + 5].all() for s in starts) and len(starts) * 5 == 20


def test_absence_in_a_run_thins_coder_days_and_shrinkage_counts_it():
    """A run's coder-days: absent days do no work, are paid, and shrinkage = (absent + breaks) / scheduled."""
    s = scenario(days=364, absence={"planned_days_per_year": 20, "block_days": 5, "unplanned_probability": 0.05},
                 breaks=[{"at": "09:00", "minutes": 10}])
    results = sim.run(s, reps=2, seed=3)
    cd = results.coder_days
    away = cd["absent_minutes"] > 0
    assert away.any() and (cd.loc[away, "charts_coded"] == 0).all()
    assert (cd.loc[away, "paid_minutes"] == 120).all() and (cd.loc[away, "coding_minutes"] == 0).all()
    present = cd.loc[~away]
    time_use = present[["coding_minutes", "query_minutes", "interrupted_minutes", "break_minutes", "idle_minutes"]]
    assert np.allclose(time_use.sum(axis=1), present["paid_minutes"])
    p = expected_share(s.absence, 260)
    n = len(cd)
    assert abs(away.mean() - p) < 4 * math.sqrt(p * (1 - p) / (n / 5))  # blocks of 5: fewer independent draws
    from sim.stats.quantiles import coder_day_quantiles

    assert coder_day_quantiles(cd)["coder_days"].sum() == (~away).sum()  # percentiles of days worked
    reps = results.replications.set_index("replication")
    for rep, days in cd.groupby("replication"):
        expected = (days["absent_minutes"].sum() + days["break_minutes"].sum()) / (len(days) * 120)
        assert reps.at[rep, "shrinkage"] == pytest.approx(expected)
        assert reps.at[rep, "absent_days"] == (days["absent_minutes"] > 0).sum()


def test_unpaid_absence_is_not_paid():
    s = scenario(days=28, absence={"unplanned_probability": 0.5, "paid": False})
    cd = sim.run(s, reps=1, seed=1).coder_days
    assert (cd.loc[cd["absent_minutes"] > 0, "paid_minutes"] == 0).all()


def test_absence_leaves_other_draws_alone():
    """Charts and billing questions are the same with and without absence (their own streams)."""
    base = Department(scenario(interruptions={"per_day": 2}))
    away = Department(scenario(interruptions={"per_day": 2}, absence={"unplanned_probability": 0.3}))
    a, b = base.simulate(4, 0), away.simulate(4, 0)
    assert [c.coding_time for c in a.charts] == [c.coding_time for c in b.charts]
    assert [d.times for d in base.desks(Streams(4), [0])[0][0]] == [d.times for d in away.desks(Streams(4), [0])[0][0]]


@pytest.mark.parametrize("section, message", [
    ({"unplanned_probability": 0.9}, "absence.unplanned_probability"),
    ({"block_days": 0}, "absence.block_days"),
    ({"planned_days_per_year": -1}, "absence.planned_days_per_year"),
    ({"paid": "yes"}, "absence.paid"),
    ({"holidays": 3}, "unknown setting 'holidays'"),
])
def test_bad_absence_is_refused_in_one_line(section, message):
    with pytest.raises(ScenarioError, match=message) as err:
        sim.scenario.config.parse_scenario({**ONE_TYPE, "absence": section})
    assert "\n" not in str(err.value)


# ---------------------------------------------------------------- revenue


def test_dnfb_dollars_are_open_charts_times_reimbursement():
    """One coder, 30 min a chart, a 2-hour shift: 4 charts a day of the 10 that land each day.

    Open at the end of day d (Mon = 0): 10(d+1) − 4(d+1) = 6(d+1) charts, at $1,000 each;
    arriving: $10,000 a day. Mean over the five days: 6 × 3 × $1,000 = $18,000, i.e. 1.8 DNFB days.
    """
    s = scenario(revenue={"per_chart": {"a": 1000}})
    results = sim.run(s, reps=1, seed=1)
    days = results.days
    assert days["dnfb_dollars"].tolist() == [6000.0 * (d + 1) for d in range(5)]
    assert days["arrived_dollars"].tolist() == [10_000.0] * 5
    row = results.replications.iloc[0]
    assert row["dnfb_dollars_mean"] == pytest.approx(18_000)
    assert row["dnfb_days"] == pytest.approx(1.8)
    charts = results.charts  # without audits a chart is billable once coded, and the day it is, recorded
    assert charts["billable_at"].equals(charts["coded_at"]) and charts["billable_at"].notna().sum() == 20


def test_revenue_needs_known_types_and_bounded_dollars():
    with pytest.raises(ScenarioError, match="revenue.per_chart: unknown chart type 'b'"):
        scenario(revenue={"per_chart": {"b": 1}})
    with pytest.raises(ScenarioError, match="revenue.per_chart"):
        scenario(revenue={"per_chart": {"a": -5}})


def test_optional_metrics_are_registered_and_reported_only_when_on():
    from sim.runs.metrics import metric_names
    from sim.runs.registry import lookup

    off, on = scenario(), scenario(revenue={"per_chart": {"a": 1}}, absence={"unplanned_probability": 0.1})
    extra = {"shrinkage", "absent_days", "dnfb_dollars_mean", "dnfb_days"}
    assert not extra & set(metric_names(off))
    assert extra <= set(metric_names(on))
    assert all(lookup(name).unit for name in extra)
    assert not extra & set(sim.run(off, reps=1, seed=1).replications.columns)


# ---------------------------------------------------------------- accuracy and rework

ACCURACY = {
    "error_probability": {"a": 0.1},
    "level_factor": {"entry": 2.0},
    "detection_delay": {"dist": "fixed", "value": 60},
    "rework_time": {"dist": "fixed", "value": 10},
}


def test_rework_volume_is_charts_times_error_rate():
    """Mid coders err on 10 % of charts, entry coders on 20 % (× 2): each count within 4 binomial sd.

    Errors are found an hour after coding and capacity is ample, so every
    error found before the last day is reworked (once) by the end.
    """
    s = scenario(
        days=70, accuracy=ACCURACY,
        arrivals={"daily": {"a": {"count": {"dist": "fixed", "value": 6}}}},
        coders={"count": 1, "teams": {"new": {"count": 1, "level": "entry"}}},
    )
    results = sim.run(s, reps=2, seed=5)
    ch = results.charts.loc[results.charts["coded_at"].notna()]
    for coder, p in ((0, 0.1), (1, 0.2)):
        mine = ch.loc[ch["coder"] == coder]
        n, errors = len(mine), int(mine["error"].sum())
        assert abs(errors - n * p) < 4 * math.sqrt(n * p * (1 - p)), (coder, n, errors)
    found = ch["error_found_at"].notna()
    assert (found == ch["error"].astype(bool)).all()  # found an hour later, inside the horizon
    assert ch.loc[found, "reworked_at"].notna().all()
    reps = results.replications.set_index("replication")
    cd = results.coder_days
    assert reps["rework_charts"].sum() == found.sum() == cd["charts_reworked"].sum()
    assert 10 * found.sum() <= cd["rework_minutes"].sum() <= 10 / 0.85 * found.sum() + 1e-9  # mid 1.0, entry 0.85
    assert reps["denials_per_1000"].tolist() == pytest.approx((1000 * reps["rework_charts"] / reps["charts_coded"]).tolist())


def test_a_found_error_comes_back_after_the_delay_and_costs_the_rework_time():
    """Every chart wrong (p = 1): the error is found 60 min after coding and reworked in 10 min at the next chance."""
    s = scenario(days=1, accuracy={**ACCURACY, "error_probability": {"a": 1.0}},
                 arrivals={"daily": {"a": {"count": {"dist": "fixed", "value": 2}}}})
    ch = sim.run(s, reps=1, seed=1).charts
    # Chart 0 coded 08:00–08:30, chart 1 08:30–09:00; chart 0's error found 09:30 and reworked
    # 09:30–09:40; chart 1's found 10:00, as the shift ends: it waits for a next day there is not.
    assert ch["coded_at"].tolist() == [510.0, 540.0]
    assert ch["error_found_at"].tolist() == [570.0, 600.0]
    assert ch["reworked_at"].iloc[0] == 580.0
    assert math.isnan(ch["reworked_at"].iloc[1])  # found as the shift ended: waits for the next day


def test_accuracy_leaves_the_charts_and_their_order_alone():
    s = scenario(interruptions={"per_day": 2})
    on = scenario(interruptions={"per_day": 2}, accuracy=ACCURACY)
    a, b = Department(s).simulate(4, 0), Department(on).simulate(4, 0)
    assert [(c.arrived_at, c.coding_time) for c in a.charts] == [(c.arrived_at, c.coding_time) for c in b.charts]


def test_bad_accuracy_is_refused_in_one_line():
    for section, message in [
        ({"error_probability": {"a": 1.5}}, "accuracy.error_probability"),
        ({"error_probability": {"b": 0.1}}, "unknown chart type 'b'"),
        ({"error_probability": {"a": 0.1}, "level_factor": {"guru": 1}}, "unknown level 'guru'"),
        ({"error_probability": {}}, "accuracy.error_probability"),
    ]:
        with pytest.raises(ScenarioError, match=message) as err:
            scenario(accuracy=section)
        assert "\n" not in str(err.value)


# ---------------------------------------------------------------- ramp-up and season


def minutes_per_chart(results) -> dict[int, float]:
    cd = results.coder_days
    return dict(zip(cd["day"], cd["coding_minutes"] / cd["charts_coded"]))


def test_a_new_hire_starts_on_start_day_and_reaches_full_speed_after_the_ramp():
    """Hired on Wednesday (day 2) at half speed, full speed one week later (day 9).

    A 30-min chart takes 30 / f minutes with f = 0.5 + 0.5 × (day − 2) / 7:
    60 on day 2, 52.5 on day 3, 30 from day 9 on; no coder-days before day 2.
    """
    s = scenario(days=14, coders={"count": 1, "ramp": {"start_fraction": 0.5, "weeks": 1, "start_day": 2}})
    per_chart = minutes_per_chart(sim.run(s, reps=1, seed=1))
    assert min(per_chart) == 2
    assert per_chart[2] == pytest.approx(60)
    assert per_chart[3] == pytest.approx(30 / (0.5 + 0.5 / 7))
    assert per_chart[8] == pytest.approx(30 / (0.5 + 0.5 * 6 / 7))
    assert all(per_chart[d] == pytest.approx(30) for d in (9, 10, 11))


def test_the_code_update_season_slows_coding_inside_its_window_only():
    """Coding × 1.2 from day 7 for one week: 36 min a chart on days 7–11, 30 before and after."""
    s = scenario(days=21, season={"start": 7, "weeks": 1, "coding_time_factor": 1.2})
    per_chart = minutes_per_chart(sim.run(s, reps=1, seed=1))
    assert all(per_chart[d] == pytest.approx(36) for d in (7, 8, 9, 10, 11))
    assert all(per_chart[d] == pytest.approx(30) for d in (0, 4, 14, 18))


def test_bad_ramp_and_season_are_refused_in_one_line():
    for changes, message in [
        ({"coders": {"count": 1, "ramp": {"start_day": 9}}}, "coders.ramp.start_day: must be inside the horizon"),
        ({"coders": {"count": 1, "ramp": {"start_fraction": 0}}}, "coders.ramp.start_fraction"),
        ({"season": {"start": 0, "weeks": 0, "coding_time_factor": 1.2}}, "season.weeks"),
        ({"season": {"start": "10-01", "weeks": 4, "coding_time_factor": 1.2}}, "season.start"),
    ]:
        with pytest.raises(ScenarioError, match=message) as err:
            scenario(**changes)
        assert "\n" not in str(err.value)
