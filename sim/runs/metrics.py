"""Key metrics of each replication, from the tidy tables.

One row per replication; these are the numbers a manager asks for and the
names ``chartsim staff --target`` and comparisons refer to. Days before the
warm-up cut-off are left out; charts still open at the end are counted at
their age (``share_open_end`` says how many), never dropped.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.runs.cost_metrics import cost_metrics, outsourcing_metrics
from sim.runs.metric_columns import MetricColumns
from sim.runs.registry import METRICS, OPTIONAL_METRICS
from sim.runs.registry import metric_names as registry_names
from sim.runs.registry import sections_on as registry_sections_on
from sim.scenario.calendar import DAY
from sim.scenario.config import Scenario

METRIC_DOCS: dict[str, str] = {m.name: m.meaning for m in (*METRICS, *(m for ms in OPTIONAL_METRICS.values() for m in ms))}


def sections_on(scenario: Scenario) -> list[str]:
    """The optional scenario sections turned on, whose metrics a run reports (see sim.runs.registry.OPTIONAL_METRICS)."""
    return registry_sections_on(scenario)


def metric_names(scenario: Scenario) -> list[str]:
    """Every metric a run of this scenario reports (see sim.runs.registry)."""
    return registry_names(scenario.chart_types, sections_on(scenario))


def pay_per_minute(scenario: Scenario, salary: float) -> float:
    """Salary spread over the year's paid minutes (52 weeks of the scenario's shift)."""
    minutes = 52 * len(scenario.shift.workdays) * (scenario.shift.end_min - scenario.shift.start_min)
    return salary / minutes


def replication_metrics(
    scenario: Scenario,
    charts: pd.DataFrame,
    coder_days: pd.DataFrame,
    days: pd.DataFrame,
    warmup: int,
    salaries: list[float],
) -> pd.DataFrame:
    """One row of key metrics per replication (see sim.runs.registry for their meaning)."""
    # With a starting state every chart counts, those open at as_of (arrived before day 0) too.
    cut = warmup * DAY if warmup or scenario.state is None else -np.inf
    scheduled = coder_days.loc[coder_days["day"] >= warmup]
    absence = "absent_minutes" in scheduled.columns
    # Per-coder-day figures describe the days worked; absent days only count in pay and shrinkage.
    cd = scheduled.loc[scheduled["absent_minutes"] == 0] if absence else scheduled
    by_rep = cd.groupby("replication")
    out = MetricColumns(pd.Index(sorted(days["replication"].unique()), name="replication"))
    out["charts_per_coder_day"] = by_rep["charts_coded"].mean()
    for kind in scenario.chart_types:
        out[f"coded_{kind}_per_coder_day"] = by_rep[f"coded_{kind}"].mean()
    out["charts_coded"] = by_rep["charts_coded"].sum()
    out["queries_sent"] = by_rep["queries_sent"].sum()
    answers = charts.loc[charts["query_answered_at"] >= cut]
    out["queries_answered"] = answers.groupby("replication").size().reindex(out.index, fill_value=0)
    for col in ("coding_minutes", "query_minutes", "interrupted_minutes", "break_minutes", "idle_minutes",
                "after_shift_minutes", "paid_minutes"):
        out[col] = by_rep[col].mean()
    work_columns = ["coding_minutes", "query_minutes", "interrupted_minutes"]
    if "audit_minutes" in cd.columns:
        work_columns.append("audit_minutes")
    working = by_rep[work_columns].sum().sum(axis=1)
    out["utilisation"] = working / (working + by_rep["idle_minutes"].sum())

    kept_days = days.loc[days["day"] >= warmup].groupby("replication")
    out["backlog_mean"] = kept_days["backlog"].mean()
    last = days.loc[days["day"] == days["day"].max()].set_index("replication")
    out["backlog_end"] = last["backlog"]
    out["on_hold_end"] = last["on_hold"]
    _chart_metrics(out, scenario, charts.loc[charts["arrived_at"] >= cut])
    _labour_metrics(out, scenario, scheduled, by_rep, salaries)
    if absence:
        _absence_metrics(out, scenario, scheduled)
    if "dnfb_dollars" in days.columns:
        _revenue_metrics(out, days.loc[days["day"] >= warmup])
        if scenario.state is not None:  # the open charts of the state (day 0's "arrivals") are no day's revenue
            from sim.runs.outlook import daily_revenue
            from sim.runs.tables import revenue_per_chart

            revenue = daily_revenue(charts, revenue_per_chart(scenario), scenario.state.as_of_minute, scenario.days)
            out["dnfb_days"] = out["dnfb_dollars_mean"] / revenue.reindex(out.index).replace(0, np.nan)
    if "error" in charts.columns:
        _accuracy_metrics(out, charts, by_rep, cut)
    if "audited_at" in charts.columns:
        _audit_metrics(out, charts, by_rep, cut)
    if scenario.outsourcing is not None:
        outsourcing_metrics(out, scenario, charts, warmup)
    if scenario.costs is not None:
        cost_metrics(out, scenario, warmup)
    return out.frame().reset_index()


def _audit_metrics(out: MetricColumns, charts: pd.DataFrame, by_rep, cut: float) -> None:
    """Pre-bill audits of the charts coded after warm-up: coverage, errors caught before billing, audit time.

    Charts a vendor coded (``outsourcing``) are not the department's to audit and are left out."""
    rep = charts["replication"]
    coded = charts["coded_at"] >= cut
    if "outsourced" in charts.columns:
        coded &= ~charts["outsourced"]
    audited = charts["audited_at"].notna()

    def count(mask: pd.Series) -> pd.Series:
        return mask.groupby(rep).sum().reindex(out.index, fill_value=0)

    out["audit_coverage"] = count(coded & audited) / count(coded).replace(0, np.nan)
    if "error" in charts.columns:
        errors = coded & charts["error"].fillna(False).astype(bool)
        caught = count(errors & charts["caught_by_audit"].fillna(False).astype(bool))
        billed = count(errors & ~charts["to_audit"])
        out["caught_before_billing"] = caught / (caught + billed).replace(0, np.nan)
    else:
        out["caught_before_billing"] = np.nan
    out["audit_minutes"] = by_rep["audit_minutes"].mean()
    out["audit_backlog_end"] = count(charts["to_audit"] & charts["coded_at"].notna() & ~audited)


def _accuracy_metrics(out: MetricColumns, charts: pd.DataFrame, by_rep, cut: float) -> None:
    """Errors among the charts coded after warm-up, the errors found (denials) and the rework they caused."""
    rep = charts["replication"]
    coded = charts["coded_at"] >= cut
    errors = charts["error"].fillna(False).astype(bool)
    n_coded = coded.groupby(rep).sum().reindex(out.index, fill_value=0).replace(0, np.nan)
    out["error_rate"] = (coded & errors).groupby(rep).sum().reindex(out.index, fill_value=0) / n_coded
    out["rework_charts"] = (charts["reworked_at"] >= cut).groupby(rep).sum().reindex(out.index, fill_value=0)
    out["rework_minutes"] = by_rep["rework_minutes"].mean()
    found = charts["error_found_at"] >= cut
    if "caught_by_audit" in charts.columns:  # caught before billing: not a denial
        found &= ~charts["caught_by_audit"].fillna(False).astype(bool)
    found = found.groupby(rep).sum().reindex(out.index, fill_value=0)
    out["denials_per_1000"] = 1000 * found / n_coded


def _absence_metrics(out: MetricColumns, scenario: Scenario, scheduled: pd.DataFrame) -> None:
    """Shrinkage: absent days and breaks over the scheduled shift minutes of every coder-day."""
    shift = scenario.shift.end_min - scenario.shift.start_min
    by_rep = scheduled.groupby("replication")
    away = by_rep["absent_minutes"].sum() + by_rep["break_minutes"].sum()
    out["shrinkage"] = (away / (by_rep.size() * shift)).reindex(out.index)
    out["absent_days"] = (scheduled["absent_minutes"] > 0).groupby(scheduled["replication"]).sum().reindex(out.index)


def _revenue_metrics(out: MetricColumns, days: pd.DataFrame) -> None:
    """DNFB dollars at the end of each day, and in days of the revenue arriving (HFMA's DNFB days)."""
    by_rep = days.groupby("replication")
    out["dnfb_dollars_mean"] = by_rep["dnfb_dollars"].mean()
    out["dnfb_days"] = out["dnfb_dollars_mean"] / by_rep["arrived_dollars"].mean().replace(0, np.nan)


def _chart_metrics(out: MetricColumns, scenario: Scenario, ch: pd.DataFrame) -> None:
    """Turnaround, waits and service levels over every chart that arrived after warm-up.

    A chart still open at the end of the last day counts at its age then: its
    true turnaround (or wait) is at least that, so means and percentiles are
    lower bounds whenever ``share_open_end`` is above zero — never the
    flattering figure that leaves the slowest charts out.
    """
    horizon = scenario.days * DAY
    rep = ch["replication"]
    arrived = ch["arrived_at"]
    coded = ch["coded_at"]
    out["share_open_end"] = coded.isna().groupby(rep).mean()
    turnaround = (coded.fillna(horizon) - arrived).clip(lower=0) / DAY
    by_rep = turnaround.groupby(rep)
    out["turnaround_mean_days"] = by_rep.mean()
    for q in (50, 90, 95):
        out[f"turnaround_p{q}_days"] = by_rep.quantile(q / 100)
    # Shares within a target count only charts whose outcome is known by the end.
    target = scenario.target_days * DAY
    known = arrived <= horizon - target
    within = (coded - arrived) <= target
    out["share_within_target"] = within[known].groupby(rep[known]).mean()

    wait = (ch["started_at"].fillna(horizon) - arrived).clip(lower=0)
    by_rep = wait.groupby(rep)
    out["wait_mean_minutes"] = by_rep.mean()
    for q in (50, 90, 95):
        out[f"wait_p{q}_minutes"] = by_rep.quantile(q / 100)
    start_target = scenario.start_target_hours * 60
    known = arrived <= horizon - start_target
    started = (ch["started_at"] - arrived) <= start_target
    out["share_started_within_target"] = started[known].groupby(rep[known]).mean()
    out["p_wait"] = (wait > 1e-9).groupby(rep).mean()


def _labour_metrics(out: MetricColumns, scenario: Scenario, cd: pd.DataFrame, by_rep, salaries: list[float]) -> None:
    """Overtime and pay: straight time for the shift, the overtime rate for overtime, the
    scenario's after-shift rate for time spent finishing work after the shift."""
    rate = np.array([pay_per_minute(scenario, s) for s in salaries])
    overtime_factor = scenario.overtime.pay_factor if scenario.overtime else 1.0
    after_factor = scenario.shift.after_shift_pay_factor
    coder_rate = rate[cd["coder"].to_numpy()]
    overtime = cd["overtime_minutes"].to_numpy()
    after = cd["after_shift_minutes"].to_numpy()
    regular = cd["paid_minutes"].to_numpy() - overtime - after
    pay = coder_rate * (regular + overtime * overtime_factor + after * after_factor)
    out["overtime_hours"] = by_rep["overtime_minutes"].sum() / 60
    out["labour_cost"] = pd.Series(pay, index=cd.index).groupby(cd["replication"]).sum()
    out["cost_per_chart"] = out["labour_cost"] / out["charts_coded"].replace(0, np.nan)
