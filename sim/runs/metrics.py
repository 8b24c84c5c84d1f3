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
from sim.runs.tables import replication_codes, rows_where
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


def counted_from(scenario: Scenario, warmup: int) -> float:
    """The run minute from which arriving charts count in the chart metrics (turnaround, waits, service levels).

    After the warm-up; with a starting state and no warm-up, every chart, the
    ones open at ``as_of`` (arrived before day 0) too.
    """
    return warmup * DAY if warmup or scenario.state is None else -np.inf


def replication_metrics(
    scenario: Scenario,
    charts: pd.DataFrame,
    coder_days: pd.DataFrame,
    days: pd.DataFrame,
    warmup: int,
    salaries: list[float],
) -> pd.DataFrame:
    """One row of key metrics per replication (see sim.runs.registry for their meaning)."""
    cut = counted_from(scenario, warmup)
    scheduled = rows_where(coder_days, coder_days["day"].to_numpy() >= warmup)
    absence = "absent_minutes" in scheduled.columns
    # Per-coder-day figures describe the days worked; absent days only count in pay and shrinkage.
    cd = rows_where(scheduled, scheduled["absent_minutes"].to_numpy() == 0) if absence else scheduled
    by_rep = cd.groupby("replication")
    reps = np.unique(days["replication"].to_numpy())
    out = MetricColumns(pd.Index(reps if len(reps) else [], name="replication"))
    # Whole-number columns are averaged and summed in numpy (exact: see _whole); the minutes by pandas, one
    # groupby call for their means and one for their sums, each column reduced on its own as before.
    kinds = [f"coded_{kind}" for kind in scenario.chart_types]
    times = ["coding_minutes", "query_minutes", "interrupted_minutes", "break_minutes", "idle_minutes",
             "after_shift_minutes", "paid_minutes"]
    work_columns = ["coding_minutes", "query_minutes", "interrupted_minutes"]
    if "audit_minutes" in cd.columns:
        work_columns.append("audit_minutes")
    whole = _Whole(cd, out.index)
    means = by_rep[times].mean()
    sums = by_rep[[*work_columns, "idle_minutes", "overtime_minutes"]].sum()
    out["charts_per_coder_day"] = whole.mean("charts_coded")
    for kind, column in zip(scenario.chart_types, kinds):
        out[f"coded_{kind}_per_coder_day"] = whole.mean(column)
    out["charts_coded"] = whole.sum("charts_coded")
    out["queries_sent"] = whole.sum("queries_sent")
    chart_rep = replication_codes(charts["replication"].to_numpy(), reps)
    answered = charts["query_answered_at"].to_numpy() >= cut
    out["queries_answered"] = np.bincount(chart_rep[answered], minlength=len(reps))
    for col in times:
        out[col] = means[col]
    # Time at work: the columns' sums added left to right, as pandas' row sum of by_rep[work_columns].sum() does
    # (one block a column, as coder_days_frame builds the table, summed blockwise in column order).
    working = sums[work_columns[0]]
    for col in work_columns[1:]:
        working = working + sums[col]
    out["utilisation"] = working / (working + sums["idle_minutes"])

    _day_metrics(out, days, warmup)
    after = charts["arrived_at"].to_numpy() >= cut
    every = bool(after.all())  # no copy of the columns when every chart counts
    ch = {c: charts[c].to_numpy() if every else charts[c].to_numpy()[after] for c in ("arrived_at", "started_at", "coded_at")}
    _chart_metrics(out, scenario, chart_rep if every else chart_rep[after], ch)
    _labour_metrics(out, scenario, scheduled, sums["overtime_minutes"], salaries)
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
    return out.table()


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


class _Whole:
    """Means and sums per replication of whole-number coder-day columns (charts coded, queries), in numpy.

    Every partial sum of whole numbers is exact in float64, so a sum is
    pandas' (Kahan) sum and a mean the one division its groupby mean makes;
    replications without a row are left out, as a groupby leaves them.
    """

    def __init__(self, cd: pd.DataFrame, index: pd.Index) -> None:
        self.cd = cd
        self.rep = replication_codes(cd["replication"].to_numpy(), index.to_numpy())
        self.n = np.bincount(self.rep, minlength=len(index))
        self.present = self.n > 0
        self.index = index[self.present]

    def _total(self, column: str) -> np.ndarray:
        values = self.cd[column].to_numpy()
        if values.dtype.kind not in "iu":
            raise TypeError(f"{column} is not a whole-number column")
        return np.bincount(self.rep, values.astype(float), minlength=len(self.n))[self.present]

    def sum(self, column: str) -> pd.Series:
        return pd.Series(self._total(column).astype(np.int64), index=self.index)

    def mean(self, column: str) -> pd.Series:
        return pd.Series(self._total(column) / self.n[self.present], index=self.index)


def _share(rep: np.ndarray, mask: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Per replication, the share of its ``n`` rows where ``mask`` holds; NaN where it has none.

    ``rep``: each row's place among the replications. Counts are whole, so
    the share is the one division pandas' groupby mean of a bool makes.
    """
    k = np.bincount(rep[mask], minlength=len(n))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n > 0, k / n, np.nan)


def _day_metrics(out: MetricColumns, days: pd.DataFrame, warmup: int) -> None:
    """The backlog: its mean over the days after warm-up, and at the end of the last day (with the part on hold).

    Backlogs are whole numbers, so their sums are exact and the mean is the
    one division pandas' groupby mean makes.
    """
    rep = replication_codes(days["replication"].to_numpy(), out.index.to_numpy())
    day = days["day"].to_numpy()
    backlog = days["backlog"].to_numpy()
    kept = day >= warmup
    n = np.bincount(rep[kept], minlength=len(out.index))
    with np.errstate(divide="ignore", invalid="ignore"):
        out["backlog_mean"] = np.where(
            n > 0, np.bincount(rep[kept], backlog[kept].astype(float), minlength=len(n)) / n, np.nan)
    last = day == day.max()
    at = out.index[rep[last]]
    out["backlog_end"] = pd.Series(backlog[last], index=at)
    out["on_hold_end"] = pd.Series(days["on_hold"].to_numpy()[last], index=at)


def _chart_metrics(out: MetricColumns, scenario: Scenario, rep: np.ndarray, ch: dict[str, np.ndarray]) -> None:
    """Turnaround, waits and service levels over every chart that arrived after warm-up.

    A chart still open at the end of the last day counts at its age then: its
    true turnaround (or wait) is at least that, so means and percentiles are
    lower bounds whenever ``share_open_end`` is above zero — never the
    flattering figure that leaves the slowest charts out. ``rep`` is each
    chart's place among the replications; shares are counted in numpy, the
    means and percentiles of times by pandas (one call each for both).
    """
    horizon = scenario.days * DAY
    arrived, started, coded = ch["arrived_at"], ch["started_at"], ch["coded_at"]
    n = np.bincount(rep, minlength=len(out.index))
    out["share_open_end"] = _share(rep, np.isnan(coded), n)
    turnaround = np.where(np.isnan(coded), horizon, coded) - arrived
    wait = np.where(np.isnan(started), horizon, started) - arrived
    times = pd.DataFrame({"turnaround": np.where(turnaround >= 0, turnaround, 0.0) / DAY,
                          "wait": np.where(wait >= 0, wait, 0.0)})
    by_rep = times.groupby(rep)  # by place among the replications: cheaper to group by than the replications
    means = by_rep.mean()
    means.index = out.index[means.index.to_numpy()]
    # Rows of each replication's quantiles, p50, p90 and p95 in turn: one sort of its charts for all three.
    quantiles = by_rep.quantile([0.5, 0.9, 0.95])
    turnaround_q = quantiles["turnaround"].to_numpy().reshape(len(means), 3)
    wait_q = quantiles["wait"].to_numpy().reshape(len(means), 3)
    out["turnaround_mean_days"] = means["turnaround"]
    for i, q in enumerate((50, 90, 95)):
        out[f"turnaround_p{q}_days"] = pd.Series(turnaround_q[:, i], index=means.index)
    # Shares within a target count only charts whose outcome is known by the end.
    target = scenario.target_days * DAY
    known = arrived <= horizon - target
    out["share_within_target"] = _share(rep[known], (coded - arrived)[known] <= target, np.bincount(
        rep[known], minlength=len(n)))

    out["wait_mean_minutes"] = means["wait"]
    for i, q in enumerate((50, 90, 95)):
        out[f"wait_p{q}_minutes"] = pd.Series(wait_q[:, i], index=means.index)
    start_target = scenario.start_target_hours * 60
    known = arrived <= horizon - start_target
    out["share_started_within_target"] = _share(rep[known], (started - arrived)[known] <= start_target, np.bincount(
        rep[known], minlength=len(n)))
    out["p_wait"] = _share(rep, times["wait"].to_numpy() > 1e-9, n)


def _labour_metrics(
    out: MetricColumns, scenario: Scenario, cd: pd.DataFrame, overtime_minutes: pd.Series, salaries: list[float],
) -> None:
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
    out["overtime_hours"] = overtime_minutes / 60
    out["labour_cost"] = pd.Series(pay, index=cd.index).groupby(cd["replication"]).sum()
    out["cost_per_chart"] = out["labour_cost"] / out["charts_coded"].replace(0, np.nan)
