"""Pre-bill audits, and a season given by its date.

A share of coded charts is held for an audit by the audit team before it can
be billed; an error in an audited chart is caught there and reworked at once,
an error elsewhere is found later by a denial. Checked against a timeline
worked out by hand, binomial theory over a long run, and the invariants every
run keeps (each chart once, every paid minute in one time-use column).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from sim.model.department import Department
from sim.runs.metrics import metric_names
from sim.scenario.config import parse_scenario
from sim.scenario.errors import ScenarioError
from tests.test_properties import scenarios as random_scenarios

Z99 = 2.576  # two-sided 99 % normal quantile

TIME_USE = ["coding_minutes", "query_minutes", "interrupted_minutes", "break_minutes", "idle_minutes", "audit_minutes"]

FIXED = {
    "days": 2,
    "chart_types": {"a": {"coding_time": {"dist": "fixed", "value": 30}}},
    "arrivals": {"daily": {"a": {"count": {"dist": "fixed", "value": 3}}}},
    "coders": {"count": 1, "teams": {"auditors": {"count": 1, "skills": []}}},
    "shift": {"start": "08:00", "end": "10:00"},
    "accuracy": {
        "error_probability": {"a": 1.0},
        "detection_delay": {"dist": "fixed", "value": 60},
        "rework_time": {"dist": "fixed", "value": 10},
    },
    "audits": {"share": 1.0, "team": "auditors", "audit_time": {"dist": "fixed", "value": 15}},
    "revenue": {"per_chart": {"a": 100}},
}


def scenario(**changes) -> sim.Scenario:
    return parse_scenario({**FIXED, **changes})


# ---------------------------------------------------------------- a timeline by hand


def test_every_chart_audited_and_wrong_the_audit_catches_each_error_before_billing():
    """One coder (30 min a chart, 10 min a rework) and one auditor (15 min an audit), 08:00–10:00.

    Day 0: chart 0 coded 08:00–08:30, audited 08:30–08:45 and caught; the coder
    codes chart 1 08:30–09:00, then reworks chart 0 (oldest first) 09:00–09:10.
    Chart 1 audited 09:00–09:15; the coder codes chart 2 09:10–09:40 (chart 1 is
    not back yet), reworks chart 1 09:40–09:50, waits, and reworks chart 2
    (audited 09:40–09:55) 09:55–10:05. Day 1 repeats it 1,440 minutes later.
    No chart is billed before its rework; no denial is ever needed.
    """
    results = sim.run(scenario(), reps=1, seed=1)
    ch = results.charts.sort_values("chart_id")
    day0 = {
        "coded_at": [510.0, 540.0, 580.0],
        "audited_at": [525.0, 555.0, 595.0],
        "error_found_at": [525.0, 555.0, 595.0],
        "reworked_at": [550.0, 590.0, 605.0],
        "billable_at": [550.0, 590.0, 605.0],
    }
    for column, times in day0.items():
        assert ch[column].tolist() == times + [t + 1440 for t in times], column
    assert ch["to_audit"].all() and ch["caught_by_audit"].all() and ch["error"].all()
    cd = results.coder_days.set_index(["day", "team"])
    coder, auditor = cd.loc[(0, "coders")], cd.loc[(0, "auditors")]
    assert (coder["coding_minutes"], coder["rework_minutes"], coder["idle_minutes"]) == (120, 30, 5)
    assert (coder["paid_minutes"], coder["after_shift_minutes"], coder["audit_minutes"]) == (125, 5, 0)
    assert (auditor["audit_minutes"], auditor["charts_audited"], auditor["idle_minutes"]) == (45, 3, 75)
    assert auditor["paid_minutes"] == 120 and auditor["charts_coded"] == 0
    row = results.replications.iloc[0]
    assert row["audit_coverage"] == 1.0 and row["caught_before_billing"] == 1.0
    assert row["denials_per_1000"] == 0 and row["rework_charts"] == 6 and row["audit_backlog_end"] == 0


def test_a_chart_waiting_for_its_audit_is_not_billable():
    """The auditor starts on day 1: day 0's three charts are coded (no backlog) but still in DNFB.

    Without errors, each chart is billable when its audit ends: day 0's charts
    at 08:00–08:45 of day 1, before the auditor turns to day 1's charts.
    """
    s = scenario(
        accuracy=None,
        coders={"count": 1, "teams": {"auditors": {"count": 1, "skills": [], "ramp": {"start_day": 1, "weeks": 0}}}},
    )
    results = sim.run(s, reps=1, seed=1)
    days = results.days
    assert days["backlog"].tolist() == [0, 0]
    assert days["dnfb_dollars"].tolist() == [300.0, 0.0]
    ch = results.charts.sort_values("chart_id")
    assert ch["coded_at"].tolist() == [510.0, 540.0, 570.0, 1950.0, 1980.0, 2010.0]
    assert ch["audited_at"].tolist() == [1935.0, 1950.0, 1965.0, 1980.0, 1995.0, 2025.0]
    assert ch["billable_at"].tolist() == ch["audited_at"].tolist()
    assert not ch["caught_by_audit"].any()
    assert math.isnan(results.replications.iloc[0]["caught_before_billing"])  # no accuracy: nothing to catch


def test_an_error_in_a_chart_not_audited_is_found_by_a_denial_after_billing():
    s = scenario(audits={**FIXED["audits"], "share": 0.0})
    results = sim.run(s, reps=1, seed=1)
    ch = results.charts
    assert not ch["to_audit"].any() and ch["audited_at"].isna().all() and ch["caught_by_audit"].isna().all()
    assert (ch["billable_at"] == ch["coded_at"]).all()
    assert (ch["error_found_at"] == ch["coded_at"] + 60).all()  # the denial comes after the detection delay
    row = results.replications.iloc[0]
    assert row["audit_coverage"] == 0 and row["caught_before_billing"] == 0 and row["denials_per_1000"] == 1000


# ---------------------------------------------------------------- theory over a long run

LONG = {
    "days": 364,
    "chart_types": {"a": {"coding_time": {"dist": "uniform", "low": 8, "high": 12}}},
    "arrivals": {"daily": {"a": {"count": {"dist": "fixed", "value": 30}}}},
    "coders": {"count": 1, "teams": {"auditors": {"count": 1, "skills": []}}},
    "accuracy": {"error_probability": {"a": 0.2}, "detection_delay": {"dist": "fixed", "value": 1, "unit": "days"},
                 "rework_time": {"dist": "fixed", "value": 5}},
    "audits": {"share": 0.3, "team": "auditors", "audit_time": {"dist": "uniform", "low": 10, "high": 15}},
}


def test_audited_charts_and_caught_errors_match_the_share():
    """Sampled charts ~ Binomial(coded, share); errors caught before billing ~ Binomial(errors, share).

    The audit draw is the chart's own and independent of its error draw, so
    the share of errors caught is the audit share. Both within 99 % intervals.
    """
    results = sim.run(parse_scenario(LONG), reps=2, seed=11)
    ch = results.charts
    coded = ch.loc[ch["coded_at"].notna()]
    n, p = len(coded), 0.3
    sampled = int(coded["to_audit"].sum())
    assert abs(sampled - n * p) < Z99 * math.sqrt(n * p * (1 - p)), (n, sampled)
    pending = int((coded["to_audit"] & coded["audited_at"].isna()).sum())
    assert pending == results.replications["audit_backlog_end"].sum() <= 10  # the auditor keeps up
    audited = int(coded["audited_at"].notna().sum())
    assert audited == sampled - pending
    errors = coded.loc[coded["error"].astype(bool)]
    known = errors.loc[~(errors["to_audit"] & errors["audited_at"].isna())]
    caught = int(known["caught_by_audit"].fillna(False).sum())
    e = len(known)
    assert abs(caught - e * p) < Z99 * math.sqrt(e * p * (1 - p)), (e, caught)
    reps = results.replications
    assert reps["audit_coverage"].mean() == pytest.approx(audited / n, rel=0.01)
    assert abs(reps["caught_before_billing"].mean() - p) < Z99 * math.sqrt(p * (1 - p) / (e / 2))
    # Every caught error is reworked and never denied; the denials are the errors billed unaudited.
    assert (known.loc[known["caught_by_audit"].fillna(False).astype(bool), "error_found_at"]
            == known.loc[known["caught_by_audit"].fillna(False).astype(bool), "audited_at"]).all()
    cd = results.coder_days
    assert cd["charts_audited"].sum() == audited
    assert 10 * audited <= cd["audit_minutes"].sum() <= 15 * audited


def test_doubling_the_share_audits_the_same_charts_and_more():
    """Common random numbers: a chart's audit draw does not depend on the share."""
    base = Department(parse_scenario({**LONG, "days": 28})).simulate(5, 0)
    doubled = Department(parse_scenario({**LONG, "days": 28, "audits": {**LONG["audits"], "share": 0.6}})).simulate(5, 0)
    a = [c.to_audit for c in base.charts]
    b = [c.to_audit for c in doubled.charts]
    assert [c.coding_time for c in base.charts] == [c.coding_time for c in doubled.charts]
    assert all(y for x, y in zip(a, b) if x) and sum(b) > sum(a)


# ---------------------------------------------------------------- invariants with audits on


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_scenarios(), st.integers(0, 2**31), st.sampled_from([0.0, 0.3, 1.0]), st.booleans())
def test_time_use_adds_up_and_every_chart_is_counted_once(data: dict, seed: int, share: float, errors: bool) -> None:
    kinds = list(data["chart_types"])
    data = {
        **data,
        "coders": {**data["coders"], "teams": {"auditors": {"count": 1, "level": "experienced", "skills": kinds[:1]}}},
        "audits": {"share": share, "team": "auditors", "audit_time": {"dist": "uniform", "low": 5, "high": 20}},
    }
    if errors:
        data["accuracy"] = {"error_probability": {k: 0.3 for k in kinds},
                            "detection_delay": {"dist": "exponential", "mean": 1, "unit": "days"}}
    scenario = parse_scenario(data)
    results = sim.run(scenario, reps=2, seed=seed)
    ch, cd, days = results.charts, results.coder_days, results.days
    assert not ch.duplicated(["replication", "chart_id"]).any()
    np.testing.assert_allclose(cd[TIME_USE].sum(axis=1), cd["paid_minutes"], rtol=0, atol=1e-6)
    assert (cd[TIME_USE] >= -1e-9).all().all()
    assert (cd.loc[cd["team"] != "auditors", "charts_audited"] == 0).all()
    # coded charts per type agree between the tables; the backlog counts every chart not coded
    coded = ch.dropna(subset=["coded_at"])
    assert cd["charts_coded"].sum() == len(coded)
    last = days.loc[days["day"] == scenario.days - 1].set_index("replication")
    for rep, group in ch.groupby("replication"):
        assert last.at[rep, "backlog"] == group["coded_at"].isna().sum()
    # an audit follows coding; only sampled charts are audited; billing follows the audit and its rework
    audited = ch["audited_at"].notna()
    assert (ch.loc[audited, "to_audit"]).all()
    assert (ch.loc[audited, "audited_at"] >= ch.loc[audited, "coded_at"] - 1e-9).all()
    billable = ch["billable_at"].notna()
    assert (ch.loc[billable, "billable_at"] >= ch.loc[billable, "coded_at"] - 1e-9).all()
    assert (billable <= ch["coded_at"].notna()).all()
    caught = ch["caught_by_audit"].fillna(False).astype(bool)
    if errors:
        assert (ch.loc[caught, "error"].astype(bool)).all()
        assert (ch.loc[caught, "error_found_at"] == ch.loc[caught, "audited_at"]).all()
    else:
        assert not caught.any()
    assert cd["charts_audited"].sum() == audited.sum()


# ---------------------------------------------------------------- settings


def test_audit_metrics_are_reported_only_when_audits_are_on():
    extra = {"audit_coverage", "caught_before_billing", "audit_minutes", "audit_backlog_end"}
    assert extra <= set(metric_names(scenario()))
    off = scenario(audits=None)
    assert not extra & set(metric_names(off))
    results = sim.run(off, reps=1, seed=1)
    assert not extra & set(results.replications.columns)
    assert not {"audited_at", "to_audit", "caught_by_audit"} & set(results.charts.columns)  # billable_at stays: revenue
    assert "audit_minutes" not in results.coder_days.columns


@pytest.mark.parametrize("audits, message", [
    ({"share": 0.1, "team": "qa"}, "audits.team: no team 'qa' in coders.teams"),
    ({"share": 1.5, "team": "auditors"}, "audits.share"),
    ({"share": 0.1}, "audits.team"),
    ({"share": 0.1, "team": "auditors", "per_coder": 3}, "unknown setting 'per_coder'"),
    ({"share": 0.1, "team": "auditors", "audit_time": {"dist": "fixed", "value": -1}}, "audits.audit_time"),
])
def test_bad_audits_are_refused_in_one_line(audits, message):
    with pytest.raises(ScenarioError, match=message) as err:
        scenario(audits=audits)
    assert "\n" not in str(err.value)


def test_an_audit_team_without_coders_is_refused():
    with pytest.raises(ScenarioError, match="audits.team: team 'auditors' has no coders"):
        scenario(coders={"count": 1, "teams": {"auditors": {"count": 0}}})


# ---------------------------------------------------------------- the season by its date

SEASON = {"weeks": 4, "coding_time_factor": 1.1}


def test_a_season_given_by_month_and_day_starts_on_its_first_occurrence_after_start_date():
    """1 October is day 30 from Tuesday 1 September 2026; a full date or a day index say the same."""
    for start in ("10-01", "2026-10-01", 30):
        s = scenario(days=60, start_date="2026-09-01", start_weekday="tue", season={**SEASON, "start": start})
        assert s.season_first_day() == 30
        factors = Department(s).coding_factor
        days = [shift.day for shift in Department(s).shifts]
        assert [d for d, f in zip(days, factors) if f != 1.0] == [d for d in days if 30 <= d < 58]
    # on or after start_date: from 2 October, the next 1 October is a year later
    s = scenario(days=400, start_date="2026-10-02", start_weekday="fri", season={**SEASON, "start": "10-01"})
    assert s.season_first_day() == 364
    # the default start is 1 October
    assert scenario(days=60, start_date="2026-09-01", start_weekday="tue", season=SEASON).season_first_day() == 30


@pytest.mark.parametrize("changes, message", [
    ({"season": {**SEASON, "start": "10-01"}}, "season.start: '10-01' is a date; give start_date"),
    ({"start_date": "2026-09-01", "start_weekday": "tue", "season": {**SEASON, "start": "2027-10-01"}},
     "season.start: '2027-10-01' is day 395 from start_date 2026-09-01, outside the horizon"),
    ({"start_date": "2026-09-01", "start_weekday": "tue", "season": {**SEASON, "start": "2026-08-01"}},
     "season.start: '2026-08-01' is day -31"),
    ({"start_date": "2026-09-01", "start_weekday": "tue", "season": {**SEASON, "start": "02-30"}},
     "season.start: '02-30' is not a month and day"),
    ({"start_date": "2026-09-01", "start_weekday": "tue", "season": {**SEASON, "start": "2026-13-01"}},
     "season.start: '2026-13-01' is not a calendar date"),
    ({"start_date": "2026-09-01", "start_weekday": "tue", "season": {**SEASON, "start": "october"}},
     "season.start: must be a day of the run"),
    ({"start_date": "2026-09-01", "season": {**SEASON, "start": 3}}, "start_date: 2026-09-01 is a tue"),
    ({"start_date": "1 Sep 2026"}, "start_date: must be a date written YYYY-MM-DD"),
])
def test_bad_season_dates_are_refused_in_one_line(changes, message):
    with pytest.raises(ScenarioError, match=message) as err:
        scenario(days=60, **changes)
    assert "\n" not in str(err.value)


def test_dates_read_unquoted_from_yaml_are_accepted(tmp_path):
    """YAML reads 2026-09-01 unquoted as a date; the scenario takes it as the same text."""
    import yaml

    text = yaml.safe_dump({**FIXED, "days": 60, "start_weekday": "tue", "season": SEASON})
    path = tmp_path / "s.yaml"
    path.write_text(text + "start_date: 2026-09-01\n", encoding="utf-8")
    s = sim.load_scenario(path)
    assert s.start_date == "2026-09-01" and s.season_first_day() == 30
    assert s.with_changes({}, "x").season_first_day() == 30  # dumped and validated again


def test_the_staffing_estimate_counts_the_audit_minutes_and_the_audit_team():
    """Audit work per chart = share × mean audit time; the auditors' capacity counts with the other teams'."""
    from sim.analysis.estimate import workload

    audited = scenario(days=28, accuracy=None, audits={**FIXED["audits"], "share": 0.2})
    plain = audited.with_changes({"audits": None}, "x")
    charts = sum(audited.expected_charts().values())
    w, p = workload(audited), workload(plain)
    assert w.work_per_workday == pytest.approx(p.work_per_workday + charts * 0.2 * 15 / w.workdays)
    assert w.other_capacity == p.other_capacity > 0


def test_nobody_audits_a_chart_they_coded():
    """A lone auditor who also codes: their own charts wait for another auditor, who never comes.

    With two such auditors each chart is audited, by the one who did not code it.
    """
    alone = scenario(accuracy=None, coders={"count": 0, "teams": {"auditors": {"count": 1}}})
    results = sim.run(alone, reps=1, seed=1)
    ch = results.charts
    assert ch["coded_at"].notna().sum() == 6 and ch["audited_at"].isna().all()
    assert results.replications.iloc[0]["audit_backlog_end"] == 6

    pair = sim.run(scenario(accuracy=None, coders={"count": 0, "teams": {"auditors": {"count": 2}}}), reps=1, seed=1)
    ch = pair.charts
    assert ch["audited_at"].notna().all() and pair.replications.iloc[0]["audit_backlog_end"] == 0
    audited = pair.coder_days.groupby("coder")["charts_audited"].sum()
    coded = pair.coder_days.groupby("coder")["charts_coded"].sum()
    assert audited.to_dict() == {0: coded[1], 1: coded[0]}  # each audits exactly what the other coded
