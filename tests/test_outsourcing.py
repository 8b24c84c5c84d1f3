"""The coding vendor and the costs section.

A share of each chart type goes to the vendor at arrival and comes back
coded after the vendor's turnaround; the department's coders never see it.
Checked against a timeline by hand, against theory (an M/G/∞ station: the
vendor's charts take exactly the vendor's turnaround, and the fees are share ×
volume × fee) and for common random numbers (a share drawn per chart, on a
stream of its own).
"""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

import sim
from sim.runs.metrics import metric_names, pay_per_minute
from sim.scenario.calendar import DAY
from sim.scenario.config import parse_scenario
from sim.scenario.errors import ScenarioError

Z99 = 2.576  # two-sided 99 % normal quantile

FIXED = {
    "days": 2,
    "chart_types": {"a": {"coding_time": {"dist": "fixed", "value": 30}},
                    "b": {"coding_time": {"dist": "fixed", "value": 10}}},
    "arrivals": {"daily": {"a": {"count": {"dist": "fixed", "value": 2}},
                           "b": {"count": {"dist": "fixed", "value": 3}}}},
    "coders": {"count": 1},
    "shift": {"start": "08:00", "end": "10:00"},
    "outsourcing": {"share": {"b": 1.0}, "fee_per_chart": {"b": 7.0},
                    "turnaround": {"dist": "fixed", "value": 2, "unit": "hours"}},
    "costs": {},
}


def scenario(**changes) -> sim.Scenario:
    return parse_scenario({**FIXED, **changes})


def test_vendor_charts_by_hand_leave_the_coders_queue_and_count_in_turnaround_and_cost():
    """Each day: two a-charts (30 min) for the one coder, 08:00–09:00; three b-charts to the vendor, back at 02:00.

    Turnaround over the five charts of a day: (510 + 540 + 3 × 120) / 5
    minutes. The coder codes two charts a day, not five; the vendor bills
    3 × $7 a working day; total_cost is the coder's pay a day plus that.
    """
    s = scenario()
    r = sim.run(s, reps=1, seed=3)
    ch = r.charts
    b = ch.loc[ch["chart_type"] == "b"]
    assert b["outsourced"].all() and not ch.loc[ch["chart_type"] == "a", "outsourced"].any()
    assert (b["coded_at"] - b["arrived_at"]).tolist() == [120.0] * 6
    assert (b["started_at"] == b["arrived_at"]).all() and b["coder"].isna().all()
    a = ch.loc[ch["chart_type"] == "a"]
    assert sorted(a["coded_at"].tolist()) == [510.0, 540.0, DAY + 510, DAY + 540]
    row = r.replications.iloc[0]
    assert row["charts_per_coder_day"] == 2 and row["charts_coded"] == 4
    assert row["coded_b_per_coder_day"] == 0
    assert math.isclose(row["turnaround_mean_days"], (510 + 540 + 3 * 120) / 5 / DAY)
    assert row["vendor_charts"] == 6 and row["outsourced_share"] == 0.6
    assert math.isclose(row["vendor_turnaround_mean_days"], 120 / DAY)
    assert math.isclose(row["vendor_fees"], 21.0)
    pay = pay_per_minute(s, 48_780) * 120  # a mid-level coder, paid the whole 2-hour shift
    assert math.isclose(row["labour_cost_per_day"], pay)
    assert math.isclose(row["cost_per_chart"], 2 * pay / 4), "cost_per_chart stays labour only"
    assert math.isclose(row["total_cost"], pay + 21.0)
    days = r.days.set_index("day")
    assert days.loc[0, "coded"] == 5 and days.loc[0, "backlog"] == 0


def test_costs_licences_hires_and_dnfb_carrying_by_hand():
    """$2,600 a coder-year of licence over 260 working days is $10 a day a coder; a $26,000 hire spread
    over 2 years is $50 a day; DNFB carrying at 26 % a year over 260 days is 0.1 % of the mean DNFB a day."""
    s = scenario(
        coders={"count": 2},
        revenue={"per_chart": {"a": 1000}},
        costs={"cac_licence_per_coder_year": 2600, "hire_cost": 26_000, "hire_horizon_years": 2,
               "staff_now": {"coders": 1}, "dnfb_annual_rate": 0.26},
    )
    row = sim.run(s, reps=1, seed=3).replications.iloc[0]
    assert math.isclose(row["licence_cost_per_day"], 20.0)
    assert math.isclose(row["hire_cost_per_day"], 50.0)
    assert math.isclose(row["dnfb_carrying_per_day"], row["dnfb_dollars_mean"] * 0.001)
    parts = ["labour_cost_per_day", "vendor_fees", "licence_cost_per_day", "hire_cost_per_day", "dnfb_carrying_per_day"]
    assert math.isclose(row["total_cost"], sum(row[p] for p in parts))


MGINF = {
    "days": 70,
    "warmup_days": 7,
    "chart_types": {"in": {"coding_time": {"dist": "uniform", "low": 15, "high": 20}},
                    "out": {"coding_time": {"dist": "uniform", "low": 5, "high": 10}}},
    "arrivals": {"daily": {"in": {"count": {"dist": "poisson", "mean": 10}},
                           "out": {"count": {"dist": "poisson", "mean": 40}}}},
    "coders": {"count": 3},
    "outsourcing": {"share": {"out": 0.3}, "fee_per_chart": {"out": 5.0},
                    "turnaround": {"dist": "lognormal", "mean": 36, "sd": 18, "unit": "hours"}},
}


def test_vendor_is_an_infinite_server_its_turnaround_is_its_distribution_and_fees_share_volume_fee():
    """M/G/∞: the vendor never queues, so the turnaround of its charts is a sample of its distribution.

    Over the charts that arrive early enough to be back by the end, the mean
    turnaround is 36 h within 99 % CI of the sample, and a Kolmogorov–Smirnov
    test does not reject the lognormal. Sent charts are Binomial(n, 0.3) of the
    outpatient arrivals. Fees: E[charts sent after warm-up] = share × 40 × days,
    × $5, over the working days — within 99 % of its Poisson sampling error.
    """
    s = parse_scenario(MGINF)
    r = sim.run(s, reps=4, seed=11)
    ch = r.charts
    late = ch["arrived_at"] > s.days * DAY - 10 * DAY  # the lognormal's tail beyond 10 days is negligible
    vendor = ch.loc[ch["outsourced"] & ~late]
    hours = (vendor["coded_at"] - vendor["arrived_at"]).to_numpy() / 60
    assert not np.isnan(hours).any()
    se = hours.std(ddof=1) / math.sqrt(len(hours))
    assert abs(hours.mean() - 36) < Z99 * se
    sigma2 = math.log(1 + (18 / 36) ** 2)
    shape, scale = math.sqrt(sigma2), 36 * math.exp(-sigma2 / 2)
    assert stats.kstest(hours, stats.lognorm(shape, scale=scale).cdf).pvalue > 0.001

    out = ch.loc[ch["chart_type"] == "out"]
    n, sent = len(out), int(out["outsourced"].sum())
    assert abs(sent - 0.3 * n) < Z99 * math.sqrt(n * 0.3 * 0.7)
    assert not ch.loc[ch["chart_type"] == "in", "outsourced"].any()

    reps = r.replications
    post = s.days - s.warmup_days  # charts arriving on days 7 … 69 (every day: daily volume has no weekday factor)
    working = 50 - 5  # weekdays of 10 weeks, less the first week's
    expected = 0.3 * 40 * post * 5.0 / working  # $ per working day
    sd = math.sqrt(0.3 * 40 * post) * 5.0 / working / math.sqrt(len(reps))  # Poisson thinning: Var = mean
    assert abs(reps["vendor_fees"].mean() - expected) < Z99 * sd
    assert np.allclose(reps["vendor_fees"] * working / 5.0, reps["vendor_charts"])


def test_share_is_drawn_per_chart_on_its_own_stream_common_random_numbers():
    """A larger share sends the same charts and more; share 0 changes no coder's work."""
    base = {**MGINF, "days": 21, "warmup_days": 0}
    off = sim.run(parse_scenario({k: v for k, v in base.items() if k != "outsourcing"}), reps=1, seed=5)
    zero = sim.run(parse_scenario({**base, "outsourcing": {"share": {"out": 0.0}}}), reps=1, seed=5)
    cols = ["chart_id", "chart_type", "arrived_at", "started_at", "coded_at", "coder"]
    assert off.charts[cols].equals(zero.charts[cols])
    assert off.coder_days.equals(zero.coder_days)
    sent = {}
    for share in (0.2, 0.5):
        ch = sim.run(parse_scenario({**base, "outsourcing": {"share": {"out": share}}}), reps=1, seed=5).charts
        sent[share] = set(ch.loc[ch["outsourced"], "chart_id"])
    assert sent[0.2] < sent[0.5]


def test_vendor_charts_are_not_audited_and_their_errors_count_in_the_error_rate():
    s = scenario(
        coders={"count": 1, "teams": {"auditors": {"count": 1, "skills": []}}},
        accuracy={"error_probability": {"a": 0.0}},
        audits={"share": 1.0, "team": "auditors"},
        revenue={"per_chart": {"a": 10, "b": 10}},
        outsourcing={"share": {"b": 1.0}, "error_rate": 1.0,
                     "turnaround": {"dist": "fixed", "value": 2, "unit": "hours"}},
    )
    r = sim.run(s, reps=1, seed=1)
    b = r.charts.loc[r.charts["chart_type"] == "b"]
    assert not b["to_audit"].any() and (b["billable_at"] == b["coded_at"]).all()
    assert b["error"].all() and b["vendor_error"].all()
    row = r.replications.iloc[0]
    assert math.isclose(row["error_rate"], 6 / 10) and row["vendor_error_rate"] == 1.0
    assert row["audit_coverage"] == 1.0, "the department audits its own charts only"


def test_metrics_appear_only_with_their_sections():
    plain = parse_scenario({k: v for k, v in FIXED.items() if k not in ("outsourcing", "costs")})
    names = metric_names(plain)
    assert "total_cost" not in names and "vendor_fees" not in names
    assert {"total_cost", "vendor_fees", "outsourced_share"} <= set(metric_names(scenario()))


@pytest.mark.parametrize(
    "changes, words",
    [
        ({"outsourcing": {"share": {"c": 0.5}}}, "outsourcing.share: 'c' is not a chart type"),
        ({"outsourcing": {"share": {"a": 1.5}}}, "share for a must be between 0 and 1"),
        ({"costs": {"dnfb_annual_rate": 0.05}}, "needs revenue"),
        ({"costs": {"staff_now": {"nobody": 2}}}, "costs.staff_now: 'nobody' is not a team"),
    ],
)
def test_bad_sections_are_refused_in_one_line(changes, words):
    with pytest.raises(ScenarioError, match=words):
        scenario(**changes)


def test_bad_outsourcing_on_the_command_line_exits_2_naming_the_field(write_scenario, tmp_path):
    path = write_scenario({**FIXED, "outsourcing": {"share": {"b": "half"}}})
    p = subprocess.run([sys.executable, "-m", "sim", "run", str(path), "--reps", "1", "--out", str(tmp_path / "o")],
                       capture_output=True, text=True)
    assert p.returncode == 2 and "outsourcing.share.b" in p.stderr and "Traceback" not in p.stderr
    assert not (tmp_path / "o").exists()


def test_staffing_estimate_leaves_out_the_charts_the_vendor_codes():
    from sim.analysis.estimate import workload

    s = parse_scenario(MGINF)
    without = workload(parse_scenario({k: v for k, v in MGINF.items() if k != "outsourcing"}))
    sent = 0.3 * s.expected_charts()["out"] * 7.5 / without.workdays  # uniform 5–10 min: 7.5 on average
    assert math.isclose(without.work_per_workday - workload(s).work_per_workday, sent)


def _from_this_morning(arrivals: dict, in_hand: bool = False, accuracy: bool = False) -> sim.Scenario:
    """One coder, one chart open at Monday 07:30 (in the coder's hands or waiting), every arriving chart sent out."""
    chart = {"chart_id": "A", "chart_type": "a", "arrived_at": "2026-02-27 10:00"}
    if in_hand:
        chart["started_by"] = "coders.0"
    data = {"days": 2 if arrivals else 1, "state": {"as_of": "2026-03-02 07:30", "open_charts": [chart]},
            "chart_types": {"a": {"coding_time": {"dist": "fixed", "value": 60}}}, "arrivals": arrivals,
            "coders": {"count": 1}, "interruptions": {"per_day": 0},
            "outsourcing": {"share": {"a": 1.0}, "fee_per_chart": {"a": 4},
                            "turnaround": {"dist": "fixed", "value": 1, "unit": "days"}, "error_rate": 0}}
    if accuracy:
        data["accuracy"] = {"error_probability": {"a": 0.1}}
    return parse_scenario(data)


@pytest.mark.parametrize("in_hand", [False, True])
def test_charts_open_at_as_of_stay_with_the_department(in_hand: bool):
    """A vendor takes charts at arrival: the open charts of a starting state arrived before the run and are the
    department's (they were sent too, coded days before as_of and then coded again, with NaN minutes)."""
    daily = {"daily": {"a": {"count": {"dist": "fixed", "value": 1}}}}
    results = sim.run(_from_this_morning(daily, in_hand), reps=1, seed=1)
    charts = results.charts.set_index("chart_id")
    # the open chart: coded by the coder from the 08:00 login (Monday = day 0), 60 minutes
    assert not charts.at[0, "outsourced"] and (charts.at[0, "started_at"], charts.at[0, "coded_at"]) == (480, 540)
    # the one arriving on Tuesday 00:00 goes out and is back a day later
    assert charts.at[1, "outsourced"] and (charts.at[1, "started_at"], charts.at[1, "coded_at"]) == (DAY, 2 * DAY)
    days = results.coder_days
    assert days["paid_minutes"].tolist() == [510, 510] and days["coding_minutes"].tolist() == [60, 0]
    assert days["charts_coded"].tolist() == [1, 0]


@pytest.mark.parametrize("accuracy", [False, True])
def test_a_state_with_no_arrivals_draws_its_sections_for_the_open_charts(accuracy: bool):
    """No chart arrives during the run: the open charts still get the vendor's (and the errors') columns."""
    results = sim.run(_from_this_morning({}, accuracy=accuracy), reps=2, seed=1)
    assert len(results.charts) == 2 and not results.charts["outsourced"].any()
    assert (results.charts["coded_at"] == 540).all()
    assert ("error" in results.charts) == accuracy
